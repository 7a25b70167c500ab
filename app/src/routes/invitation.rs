//! Accepting an invitation link: create an account, or sign in and join.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::{FormError, PublicFrame, TextField, last_error};
use crate::functions::flash::typed_value;
use crate::functions::members::{AcceptInvitation, load_invitation};
use crate::models::{InvitationView, format_utc};
use crate::routes::percent_encode;

#[component]
pub fn InvitationPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let invitation = Resource::new(token, load_invitation);
    view! {
        <Title text="Invitation · pinbridge"/>
        <PublicFrame>
            <section class="page page-narrow">
                <p class="eyebrow">"Invitation"</p>
                <Suspense fallback=|| view! { <p class="muted">"Checking the invitation…"</p> }>
                    {move || Suspend::new(async move {
                        match invitation.await {
                            Ok(view) => view! { <Invitation view token=token()/> }.into_any(),
                            Err(e) => view! {
                                <h1>"This invitation cannot be used"</h1>
                                <p class="error" role="alert">{e.to_string()}</p>
                                <p>"Ask the owner who invited you for a new link."</p>
                            }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
        </PublicFrame>
    }
}

#[component]
fn Invitation(view: InvitationView, token: String) -> impl IntoView {
    // Sent uncompressed (BREACH: see server/src/compression.rs).
    crate::assets::shows_a_secret();
    let action = ServerAction::<AcceptInvitation>::new();
    let error = last_error(action);
    let signed_in_as_invited = view.signed_in_as.as_deref() == Some(view.email.as_str());
    let sign_in_href = {
        let back = format!("/invitations/accept?token={token}");
        let next = percent_encode(&back);
        format!("/sign-in?next={next}")
    };
    let heading = format!("Join {}", view.workspace_name);
    let summary = view! {
        <h1>{heading}</h1>
        <dl class="facts">
            <dt>"Invited"</dt><dd>{view.email.clone()}</dd>
            <dt>"Role"</dt><dd>{view.role.label()} " — " {view.role.summary()}</dd>
            <dt>"Link valid until"</dt><dd>{format_utc(view.expires_at)}</dd>
        </dl>
    };
    let body = if view.account_exists && signed_in_as_invited {
        view! {
            <ActionForm action attr:class="form" attr:novalidate=true>
                <FormError error fields=&[]/>
                <input type="hidden" name="token" value=token/>
                <p>"You are signed in as " <strong>{view.email.clone()}</strong> "."</p>
                <button type="submit" class="button">"Accept invitation"</button>
            </ActionForm>
        }
        .into_any()
    } else if view.account_exists {
        let other = view.signed_in_as.clone().map(|other| {
            view! {
                <p class="warning" role="note">
                    "You are signed in as " {other} ". Sign out first, then sign in as "
                    {view.email.clone()} "."
                </p>
            }
        });
        view! {
            {other}
            <p>"An account for " <strong>{view.email.clone()}</strong> " exists. Sign in with it to accept."</p>
            <p><a class="button" href=sign_in_href>"Sign in to accept"</a></p>
        }
        .into_any()
    } else {
        let switching = view.signed_in_as.clone().map(|other| {
            view! {
                <p class="warning" role="note">
                    "You are signed in as " {other} ". Accepting creates the account for "
                    {view.email.clone()} " and signs you in as it."
                </p>
            }
        });
        view! {
            {switching}
            <ActionForm action attr:class="form" attr:novalidate=true>
                <FormError error fields=&["display_name", "password"]/>
                <input type="hidden" name="token" value=token/>
                <TextField label="Your name" name="display_name" id="invite-name"
                    value=typed_value(AcceptInvitation::PATH, "display_name")
                    hint="1 to 64 characters." maxlength=64 autocomplete="name" autofocus=true error/>
                <TextField label="Choose a password" name="password" id="invite-password" kind="password"
                    hint="At least 12 characters; it must not contain your email's name or the workspace name."
                    autocomplete="new-password" error/>
                <button type="submit" class="button">"Create account and join"</button>
            </ActionForm>
        }
        .into_any()
    };
    view! { {summary} {body} }
}
