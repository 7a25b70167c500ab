//! The second step of signing in with two-factor sign-in on: the code from the
//! authenticator app, or a recovery code. Works without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{FormError, PublicFrame, TextField, last_error};
use crate::functions::two_factor::{CODE_ATTEMPTS, SignInCode, load_sign_in_code};

#[component]
pub fn SignInCodePage() -> impl IntoView {
    let action = ServerAction::<SignInCode>::new();
    let error = last_error(action);
    let pending = Resource::new(|| (), |_| load_sign_in_code());
    view! {
        <Title text="Two-factor sign-in · pinbridge"/>
        <PublicFrame>
            <section class="page page-narrow">
                <h1>"Enter your code"</h1>
                <Suspense>
                    {move || Suspend::new(async move {
                        match pending.await {
                            Ok(true) => view! {
                                <p class="lead">
                                    "Open your authenticator app and enter the 6-digit code it shows for pinbridge. "
                                    "Lost your device? Enter one of your recovery codes instead."
                                </p>
                                <ActionForm action attr:class="form" attr:novalidate=true>
                                    <FormError error fields=&["code"]/>
                                    <TextField label="Code" name="code" id="sign-in-code"
                                        autocomplete="one-time-code" maxlength=16 autofocus=true
                                        hint=format!("{CODE_ATTEMPTS} attempts, then you sign in again with your password.")
                                        error/>
                                    <button type="submit" class="button">"Sign in"</button>
                                </ActionForm>
                            }.into_any(),
                            _ => view! {
                                <FormError error fields=&[]/>
                                <p>"No sign-in is waiting for a code. " <a href="/sign-in">"Sign in"</a> " with your email and password."</p>
                            }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
        </PublicFrame>
    }
}
