//! Signing in. The form works without JavaScript; after signing in the
//! operator continues where the sign-in page was asked for (`?next=`).

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::{FormError, PublicFrame, TextField, last_error};
use crate::functions::auth::{SignIn, load_sign_in};
use crate::functions::flash::typed_value;

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let error = last_error(action);
    let query = use_query_map();
    let next = move || query.read().get("next");
    let info = Resource::new(|| (), |_| load_sign_in());
    view! {
        <Title text="Sign in · pinbridge"/>
        <PublicFrame>
            <section class="page page-narrow">
                <h1>"Sign in to pinbridge"</h1>
                <Suspense>
                    {move || Suspend::new(async move {
                        info.await.ok().filter(|i| i.setup_needed).map(|_| view! {
                            <p class="warning" role="note">
                                "pinbridge has no owner yet. Open the one-time setup link that "
                                <code>"pinbridge serve"</code>
                                " printed when it started (or run "
                                <code>"pinbridge setup-link"</code>
                                ") to create the first workspace and its owner."
                            </p>
                        })
                    })}
                </Suspense>
                <ActionForm action attr:class="form" attr:novalidate=true>
                    <FormError error fields=&["email", "password"]/>
                    <input type="hidden" name="next" value=next/>
                    <TextField
                        label="Email"
                        name="email"
                        id="sign-in-email"
                        kind="email"
                        value=typed_value(SignIn::PATH, "email")
                        autocomplete="username"
                        autofocus=true
                        error
                    />
                    <TextField
                        label="Password"
                        name="password"
                        id="sign-in-password"
                        kind="password"
                        autocomplete="current-password"
                        error
                    />
                    <button type="submit" class="button">"Sign in"</button>
                </ActionForm>
                <p class="muted small">
                    "No account? Ask an owner of your workspace for an invitation link."
                </p>
            </section>
        </PublicFrame>
    }
}
