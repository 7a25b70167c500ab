//! The workspace's environments: add, rename, delete (admins and owners).

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

use crate::components::{
    FormError, ReauthField, RowError, TextField, last_error, reset_on_success,
};
use crate::errors::CONFIRM_FIELD;
use crate::functions::environments::{AddEnvironment, DeleteEnvironment, RenameEnvironment};
use crate::functions::flash::typed_value;
use crate::models::{EnvironmentView, WorkspaceView, format_utc};
use crate::routes::workspace_frame::{WorkspaceCtx, with_workspace};

const NAME_HINT: &str = "1 to 64 characters; unique in this workspace.";

#[component]
pub fn EnvironmentsPage() -> impl IntoView {
    let ctx = WorkspaceCtx::get();
    let add = ServerAction::<AddEnvironment>::new();
    let rename = ServerAction::<RenameEnvironment>::new();
    let delete = ServerAction::<DeleteEnvironment>::new();
    // The frame lists environments too: reload it after any change.
    Effect::new(move |_| {
        let changed = add.version().get() + rename.version().get() + delete.version().get();
        if changed > 0 {
            ctx.refresh.update(|n| *n += 1);
        }
    });
    view! {
        <Title text="Environments · pinbridge"/>
        {with_workspace(move |w| view! { <Environments w add rename delete/> })}
    }
}

#[component]
fn Environments(
    w: WorkspaceView,
    add: ServerAction<AddEnvironment>,
    rename: ServerAction<RenameEnvironment>,
    delete: ServerAction<DeleteEnvironment>,
) -> impl IntoView {
    let can_configure = w.role.can_configure();
    let add_error = last_error(add);
    let add_form = NodeRef::new();
    reset_on_success(add, add_form);
    let rows = w
        .environments
        .iter()
        .cloned()
        .map(|env| view! { <EnvironmentRow env workspace=w.id.clone() can_configure rename delete/> })
        .collect_view();
    // After a plain post, the notice the form left; with an action's answer, that.
    let flashed = crate::functions::flash::notices();
    let added = move || {
        let mut notices = flashed.clone();
        if let Some(env) = add.value().get().and_then(Result::ok) {
            notices.push(crate::functions::environments::added_notice(&env.name));
        }
        notices
            .into_iter()
            .map(|n| view! { <p class="notice" role="status">{n}</p> })
            .collect_view()
    };
    view! {
        <section class="page">
            <h1>"Environments"</h1>
            <p class="lead">
                "Each environment has its own Pinterest settings and connections. The address "
                "of every environment page carries its name, so links can be shared."
            </p>
            {(!can_configure).then(|| view! {
                <p class="notice" role="note">"You can view environments; admins and owners change them."</p>
            })}
            <FormError error=last_error(rename) fields=&[]/>
            <FormError error=last_error(delete) fields=&[]/>
            <div class="rows">{rows}</div>
            {(w.environments.len() >= 2).then(|| view! {
                <h2>"Compare and promote"</h2>
                <p>
                    "See every difference in two environments' integration configuration, and copy "
                    "what you choose from one to the other (secrets stay with their environment). "
                    <a href=format!("/w/{}/environments/compare", w.id) class="button button-secondary">"Compare environments"</a>
                </p>
            })}
            {can_configure.then(|| view! {
                <h2>"Add an environment"</h2>
                <ActionForm action=add node_ref=add_form attr:class="form" attr:novalidate=true>
                    <FormError error=add_error fields=&["environment_name"]/>
                    <input type="hidden" name="workspace" value=w.id.clone()/>
                    <TextField label="Name" name="environment_name" id="new-environment-name"
                        value=typed_value(AddEnvironment::PATH, "environment_name")
                        hint=NAME_HINT maxlength=64 error=add_error/>
                    <button type="submit" class="button">"Add environment"</button>
                </ActionForm>
                {added}
            })}
        </section>
    }
}

#[component]
fn EnvironmentRow(
    env: EnvironmentView,
    workspace: String,
    can_configure: bool,
    rename: ServerAction<RenameEnvironment>,
    delete: ServerAction<DeleteEnvironment>,
) -> impl IntoView {
    let rename_error = Signal::derive({
        let id = env.id.clone();
        move || {
            last_error(rename)
                .get()
                .filter(|e| e.field().is_some_and(|f| f.ends_with(&format!("@{id}"))))
        }
    });
    let delete_error = Signal::derive({
        let id = env.id.clone();
        move || {
            last_error(delete)
                .get()
                .filter(|e| e.field().is_some_and(|f| f.ends_with(&format!("@{id}"))))
        }
    });
    // Without JavaScript, a refused rename comes back with what was typed.
    let typed = |action: &str, field: &str| {
        (typed_value(action, "environment_id").as_deref() == Some(env.id.as_str()))
            .then(|| typed_value(action, field))
            .flatten()
    };
    let rename_value =
        typed(RenameEnvironment::PATH, "environment_name").unwrap_or_else(|| env.name.clone());
    let confirm_value = typed(DeleteEnvironment::PATH, CONFIRM_FIELD);
    let address = format!("/w/{workspace}/e/{}/integrations", env.slug);
    let id = env.id.clone();
    view! {
        <article class="row-card" data-environment=env.slug.clone()>
            <header class="row-head">
                <h2><a href=address.clone()>{env.name.clone()}</a></h2>
                <code class="muted small">{address}</code>
                <span class="muted small">"Created " {format_utc(env.created_at)}</span>
            </header>
            {can_configure.then(|| {
                let (ws_rename, id_rename) = (workspace.clone(), id.clone());
                let (ws_delete, id_delete) = (workspace.clone(), id.clone());
                let (row_rename, row_delete) = (id.clone(), id.clone());
                // Reopened after a refusal, so its message (or password prompt) shows.
                let delete_open = {
                    let suffix = format!("@{id}");
                    move || delete_error.get().and_then(|e| e.field().map(|f| f.ends_with(&suffix))).unwrap_or(false)
                };
                view! {
                <div class="row-actions">
                    <ActionForm action=rename attr:class="inline-form" attr:novalidate=true>
                        <input type="hidden" name="workspace" value=ws_rename/>
                        <input type="hidden" name="environment_id" value=id_rename.clone()/>
                        <TextField label="Rename to" name="environment_name" id=format!("rename-{id_rename}")
                            error_key=format!("environment_name@{id_rename}")
                            value=Some(rename_value) hint=NAME_HINT maxlength=64 error=rename_error/>
                        <button type="submit" class="button button-secondary">"Rename"</button>
                        <RowError error=rename_error row=row_rename/>
                    </ActionForm>
                    <details class="danger-zone" open=delete_open>
                        <summary>"Delete…"</summary>
                        <ActionForm action=delete attr:class="inline-form" attr:novalidate=true>
                            <input type="hidden" name="workspace" value=ws_delete/>
                            <input type="hidden" name="environment_id" value=id_delete.clone()/>
                            <TextField label=DELETE_LABEL name=CONFIRM_FIELD id=format!("delete-{id_delete}")
                                error_key=format!("{CONFIRM_FIELD}@{id_delete}")
                                value=confirm_value
                                hint=format!("Type “{}” to confirm. Refused while it has connections.", env.name)
                                error=delete_error/>
                            <ReauthField error=delete_error id=format!("delete-reauth-{id_delete}") row=id_delete.clone()/>
                            <button type="submit" class="button button-danger">"Delete environment"</button>
                            <RowError error=delete_error row=row_delete/>
                        </ActionForm>
                    </details>
                </div>
            }})}
        </article>
    }
}

const DELETE_LABEL: &str = "Environment name";
