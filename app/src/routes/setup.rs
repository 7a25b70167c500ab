//! First start: the one-time setup link creates the first workspace and its owner.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::{FormError, PublicFrame, TextField, last_error};
use crate::functions::auth::{CompleteSetup, load_setup};
use crate::functions::flash::typed_value;
use crate::models::SetupLinkState;

const NAME_HINT: &str = "1 to 64 characters.";
const PASSWORD_HINT: &str =
    "At least 12 characters; it must not contain your email's name or the workspace name.";

#[component]
pub fn SetupPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let link = Resource::new(token, load_setup);
    view! {
        <Title text="Set up pinbridge"/>
        <PublicFrame>
            <section class="page page-narrow">
                <p class="eyebrow">"First start"</p>
                <h1>"Set up pinbridge"</h1>
                <Suspense fallback=|| view! { <p class="muted">"Checking the setup link…"</p> }>
                    {move || Suspend::new(async move {
                        match link.await {
                            Ok(SetupLinkState::Open) => view! { <SetupForm token=token()/> }.into_any(),
                            Ok(SetupLinkState::Invalid) => view! {
                                <p class="error" role="alert">
                                    "This setup link is not valid or was already used. Run "
                                    <code>"pinbridge setup-link"</code>
                                    " on the server for a new one."
                                </p>
                            }.into_any(),
                            Ok(SetupLinkState::Expired) => view! {
                                <p class="error" role="alert">
                                    "This setup link has expired. Run "
                                    <code>"pinbridge setup-link"</code>
                                    " on the server (or restart pinbridge) for a new one."
                                </p>
                            }.into_any(),
                            Ok(SetupLinkState::Complete) => view! {
                                <p class="notice" role="status">
                                    "Setup is complete: this installation has an owner. "
                                    <a href="/sign-in">"Sign in"</a>
                                    ", or ask an owner for an invitation."
                                </p>
                            }.into_any(),
                            Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
        </PublicFrame>
    }
}

#[component]
fn SetupForm(token: String) -> impl IntoView {
    // Sent uncompressed (BREACH: see server/src/compression.rs).
    crate::assets::shows_a_secret();
    let action = ServerAction::<CompleteSetup>::new();
    let error = last_error(action);
    let typed = |field| typed_value(CompleteSetup::PATH, field);
    view! {
        <p class="lead">
            "Create your workspace and your owner account. A workspace holds your environments "
            "(Development and Production to start with), their integrations and your team."
        </p>
        <ActionForm action attr:class="form" attr:novalidate=true>
            <FormError error fields=&["workspace_name", "display_name", "email", "password"]/>
            <input type="hidden" name="token" value=token/>
            <TextField label="Workspace name" name="workspace_name" id="setup-workspace"
                value=typed("workspace_name") hint=NAME_HINT maxlength=64 autofocus=true error/>
            <TextField label="Your name" name="display_name" id="setup-name"
                value=typed("display_name") hint=NAME_HINT maxlength=64 autocomplete="name" error/>
            <TextField label="Email" name="email" id="setup-email" kind="email"
                value=typed("email") autocomplete="username" error/>
            <TextField label="Password" name="password" id="setup-password" kind="password"
                hint=PASSWORD_HINT autocomplete="new-password" error/>
            <button type="submit" class="button">"Create workspace and owner"</button>
        </ActionForm>
    }
}
