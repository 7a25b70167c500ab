//! Members and invitations. Everyone sees who is in the workspace; owners
//! invite, change roles and remove.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

use crate::components::{
    CopyButton, FieldError, FormError, ReauthField, RowError, TextField, described_by,
    field_message, invalid, last_error, reset_on_success,
};
use crate::errors::{AppError, REAUTH_FIELD};
use crate::functions::flash::typed_value;
use crate::functions::members::{
    ChangeRole, InviteMember, RemoveMember, RevokeInvitation, load_members,
};
use crate::functions::two_factor::{SetTwoFactorRequirement, load_two_factor_requirement};
use crate::models::{
    IssuedInvitation, MemberView, MembersView, PendingInvitationView, Role, WorkspaceView,
    format_utc,
};
use crate::routes::workspace_frame::{LoadError, WorkspaceCtx, with_workspace};

#[component]
pub fn MembersPage() -> impl IntoView {
    let ctx = WorkspaceCtx::get();
    let invite = ServerAction::<InviteMember>::new();
    let change = ServerAction::<ChangeRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let revoke = ServerAction::<RevokeInvitation>::new();
    let require = ServerAction::<SetTwoFactorRequirement>::new();
    let data = Resource::new(
        move || {
            (
                ctx.workspace.get(),
                invite.version().get(),
                change.version().get(),
                remove.version().get(),
                revoke.version().get(),
                require.version().get(),
            )
        },
        // One resource for the page: a resource made inside a `Suspend` below
        // would not hydrate (and runs without the server's context).
        |(ws, ..)| async move {
            let members = load_members(ws.clone()).await?;
            let two_factor_required = load_two_factor_requirement(ws).await.unwrap_or(false);
            Ok::<_, AppError>((members, two_factor_required))
        },
    );
    // A role change of one's own shows in the frame (the role badge).
    Effect::new(move |_| {
        if change.version().get() > 0 {
            ctx.refresh.update(|n| *n += 1);
        }
    });
    let actions = Actions {
        invite,
        change,
        remove,
        revoke,
        require,
    };
    view! {
        <Title text="Members · pinbridge"/>
        {with_workspace(move |w| view! {
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {
                    let w = w.clone();
                    move || {
                        let w = w.clone();
                        Suspend::new(async move {
                            match data.await {
                                Ok((m, required)) => view! { <Members w m required actions/> }.into_any(),
                                Err(e) => view! { <LoadError error=e/> }.into_any(),
                            }
                        })
                    }
                }
            </Transition>
        })}
    }
}

#[derive(Clone, Copy)]
struct Actions {
    invite: ServerAction<InviteMember>,
    change: ServerAction<ChangeRole>,
    remove: ServerAction<RemoveMember>,
    revoke: ServerAction<RevokeInvitation>,
    require: ServerAction<SetTwoFactorRequirement>,
}

#[component]
fn Members(w: WorkspaceView, m: MembersView, required: bool, actions: Actions) -> impl IntoView {
    let owner = w.role.can_manage_members();
    let change_error = last_error(actions.change);
    let remove_error = last_error(actions.remove);
    let revoke_error = last_error(actions.revoke);
    let rows = m
        .members
        .into_iter()
        .map(|member| view! { <MemberRow member workspace=w.id.clone() owner actions/> }.into_any())
        .collect_view();
    view! {
        <section class="page">
            <h1>"Members"</h1>
            <p class="lead">
                "Viewers read; admins also configure integrations and environments; owners also "
                "manage members. A workspace always keeps at least one owner."
            </p>
            <FormError error=change_error fields=&[]/>
            <FormError error=remove_error fields=&[]/>
            <table class="table">
                <thead>
                    <tr><th>"Member"</th><th>"Role"</th><th>"Joined"</th>{owner.then(|| view! { <th><span class="visually-hidden">"Actions"</span></th> })}</tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            {owner.then(|| view! {
                <Invite workspace=w.id.clone() invite=actions.invite issued=m.issued.clone()/>
                <h2>"Pending invitations"</h2>
                <FormError error=revoke_error fields=&[]/>
                <PendingInvitations list=m.invitations.clone() workspace=w.id.clone() revoke=actions.revoke/>
                <TwoFactorRequirement workspace=w.id.clone() require=actions.require on=required/>
            })}
        </section>
    }
}

#[component]
fn MemberRow(
    member: MemberView,
    workspace: String,
    owner: bool,
    actions: Actions,
) -> impl IntoView {
    let id = member.operator_id.clone();
    let row_error = Signal::derive({
        let suffix = format!("@{id}");
        move || {
            last_error(actions.change)
                .get()
                .or_else(|| last_error(actions.remove).get())
                .filter(|e| e.field().is_some_and(|f| f.ends_with(&suffix)))
        }
    });
    let you = member
        .is_you
        .then(|| view! { <span class="badge badge-you">"you"</span> });
    let email = member.email.clone();
    let manage = owner.then(|| {
        let (ws_change, id_change) = (workspace.clone(), id.clone());
        let (ws_remove, id_remove) = (workspace.clone(), id.clone());
        let (select_id, label_for, row) = (format!("role-{id}"), format!("role-{id}"), id.clone());
        let options = Role::ALL
            .into_iter()
            .map(|r| view! { <option value=r.as_str() selected=r == member.role>{r.label()}</option> })
            .collect_view();
        let remove_label = if member.is_you { "Leave workspace" } else { "Remove" };
        let (reauth_change, reauth_remove) = (id.clone(), id.clone());
        view! {
            <td class="row-actions">
                <ActionForm action=actions.change attr:class="inline-form">
                    <input type="hidden" name="workspace" value=ws_change/>
                    <input type="hidden" name="operator_id" value=id_change/>
                    <label class="visually-hidden" for=label_for>"Role for " {email}</label>
                    <select id=select_id name="role">{options}</select>
                    <ReauthField error=last_error(actions.change) id=format!("role-reauth-{reauth_change}") row=reauth_change/>
                    <button type="submit" class="button button-secondary">"Change role"</button>
                </ActionForm>
                <ActionForm action=actions.remove attr:class="inline-form">
                    <input type="hidden" name="workspace" value=ws_remove/>
                    <input type="hidden" name="operator_id" value=id_remove/>
                    <ReauthField error=last_error(actions.remove) id=format!("remove-reauth-{reauth_remove}") row=reauth_remove/>
                    <button type="submit" class="button button-danger">{remove_label}</button>
                </ActionForm>
                <RowError error=row_error row=row/>
            </td>
        }
    });
    let manage = manage.map(IntoAny::into_any);
    view! {
        <tr data-member=member.email.clone()>
            <td>
                <strong>{member.display_name.clone()}</strong> " " {you}<br/>
                <span class="muted small">{member.email.clone()}</span>
            </td>
            <td><span class="badge">{member.role.label()}</span></td>
            <td class="muted small">{format_utc(member.joined_at)}</td>
            {manage}
        </tr>
    }
}

/// Owners require two-factor sign-in of every member (members without it are
/// sent to their account page to turn it on before they can use the workspace).
#[component]
fn TwoFactorRequirement(
    workspace: String,
    require: ServerAction<SetTwoFactorRequirement>,
    on: bool,
) -> impl IntoView {
    let error = last_error(require);
    view! {
        <h2>"Two-factor sign-in"</h2>
        <ActionForm action=require attr:class="form">
            <FormError error fields=&[]/>
            <input type="hidden" name="workspace" value=workspace/>
            <label class="choice">
                <input type="checkbox" name="required" value="true" checked=on/>
                "Require two-factor sign-in of every member"
            </label>
            <p class="hint">"Members without it are asked to turn it on before they can use this workspace. Turn it on for your own account first."</p>
            <button type="submit" class="button button-secondary">"Save"</button>
        </ActionForm>
    }
}

#[component]
fn Invite(
    workspace: String,
    invite: ServerAction<InviteMember>,
    issued: Option<IssuedInvitation>,
) -> impl IntoView {
    let error = last_error(invite);
    let role_error = field_message(error, "role");
    let form = NodeRef::new();
    reset_on_success(invite, form);
    let typed_role = typed_value(InviteMember::PATH, "role");
    let options = Role::ALL
        .into_iter()
        .map(|r| {
            let selected = typed_role.as_deref().map_or(r == Role::Viewer, |t| t == r.as_str());
            view! { <option value=r.as_str() selected=selected>{r.label()} " — " {r.summary()}</option> }
        })
        .collect_view();
    // With JavaScript the new link is the action's answer; without, the page load brings it.
    let link = move || {
        invite
            .value()
            .get()
            .and_then(Result::ok)
            .or_else(|| issued.clone())
            .map(|i| view! { <IssuedLink i/> })
    };
    view! {
        <h2>"Invite someone"</h2>
        <ActionForm action=invite node_ref=form attr:class="form" attr:novalidate=true>
            <FormError error fields=&["email", "role", REAUTH_FIELD]/>
            <input type="hidden" name="workspace" value=workspace/>
            <TextField label="Email" name="email" id="invite-email" kind="email"
                value=typed_value(InviteMember::PATH, "email")
                hint="They get a one-time link, valid for 7 days, that you pass on." error/>
            <div class="field" class:field-invalid=move || role_error.read().is_some()>
                <label for="invite-role">"Role"</label>
                <select id="invite-role" name="role" aria-invalid=invalid(role_error)
                    aria-describedby=described_by(None, "invite-role-error".into(), role_error)>
                    {options}
                </select>
                <FieldError id="invite-role-error" message=role_error/>
            </div>
            <ReauthField error id="invite-reauth"/>
            <button type="submit" class="button">"Create invitation link"</button>
        </ActionForm>
        {link}
    }
}

#[component]
fn IssuedLink(i: IssuedInvitation) -> impl IntoView {
    // Sent uncompressed (BREACH: see server/src/compression.rs).
    crate::assets::shows_a_secret();
    view! {
        <div class="card issued" role="status">
            <h3>"Invitation link for " {i.email.clone()} " (" {i.role.label()} ")"</h3>
            <p>"Send this link to them yourself. It works once, until " {format_utc(i.expires_at)}
               ", and is shown only now."</p>
            <div class="copy-field">
                <code id="invitation-link">{i.link.clone()}</code>
                <CopyButton text=i.link label="Copy invitation link"/>
            </div>
        </div>
    }
}

#[component]
fn PendingInvitations(
    list: Vec<PendingInvitationView>,
    workspace: String,
    revoke: ServerAction<RevokeInvitation>,
) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="muted">"No pending invitations."</p> }.into_any();
    }
    let rows = list
        .into_iter()
        .map(|i| {
            let workspace = workspace.clone();
            view! {
                <tr data-invitation=i.email.clone()>
                    <td>{i.email.clone()}</td>
                    <td><span class="badge">{i.role.label()}</span></td>
                    <td class="muted small">{i.invited_by.clone()}</td>
                    <td class="muted small">{format_utc(i.expires_at)}</td>
                    <td>
                        <ActionForm action=revoke attr:class="inline-form">
                            <input type="hidden" name="workspace" value=workspace.clone()/>
                            <input type="hidden" name="invitation_id" value=i.id.clone()/>
                            <button type="submit" class="button button-secondary">"Revoke"</button>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="table">
            <thead><tr><th>"Email"</th><th>"Role"</th><th>"Invited by"</th><th>"Expires"</th><th><span class="visually-hidden">"Actions"</span></th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}
