//! The operator's workspaces: switch to one, or create another.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

use crate::components::{FormError, PublicFrame, TextField, last_error};
use crate::functions::auth::SignOut;
use crate::functions::flash::typed_value;
use crate::functions::workspaces::{CreateWorkspace, load_workspaces};

#[component]
pub fn WorkspacesPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| load_workspaces());
    let create = ServerAction::<CreateWorkspace>::new();
    let sign_out = ServerAction::<SignOut>::new();
    let error = last_error(create);
    view! {
        <Title text="Workspaces · pinbridge"/>
        <PublicFrame>
            <section class="page">
                <h1>"Your workspaces"</h1>
                <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match list.await {
                            Ok((operator, workspaces)) => view! {
                                <p class="lead">"Signed in as " <strong>{operator.email}</strong> "."</p>
                                {if workspaces.is_empty() {
                                    view! { <p>"You are not a member of any workspace yet."</p> }.into_any()
                                } else {
                                    view! {
                                        <ul class="workspace-list">
                                            {workspaces.into_iter().map(|w| view! {
                                                <li>
                                                    <a href=format!("/w/{}", w.id)>{w.name}</a>
                                                    <span class="badge">{w.role.label()}</span>
                                                </li>
                                            }).collect_view()}
                                        </ul>
                                    }.into_any()
                                }}
                            }.into_any(),
                            Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        }
                    })}
                </Suspense>
                <h2>"Create a workspace"</h2>
                <ActionForm action=create attr:class="form" attr:novalidate=true>
                    <FormError error fields=&["workspace_name"]/>
                    <TextField label="Workspace name" name="workspace_name" id="new-workspace-name"
                        value=typed_value(CreateWorkspace::PATH, "workspace_name")
                        hint="1 to 64 characters, unique in this installation." maxlength=64 error/>
                    <button type="submit" class="button">"Create workspace"</button>
                </ActionForm>
                <ActionForm action=sign_out attr:class="inline-form">
                    <button type="submit" class="button button-quiet">"Sign out"</button>
                </ActionForm>
            </section>
        </PublicFrame>
    }
}
