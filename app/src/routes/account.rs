//! The signed-in operator's account: change the password, see and end their
//! sessions. Every form works without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{FormError, PublicFrame, TextField, last_error};
use crate::errors::CURRENT_PASSWORD_FIELD;
use crate::functions::account::{ChangePassword, EndOtherSessions, EndSession, load_account};
use crate::functions::two_factor::{ConfirmTwoFactor, DisableTwoFactor, StartTwoFactor};
use crate::models::{AccountView, SessionView, TwoFactorView, format_utc};
use crate::routes::workspace_frame::LoadError;

const PASSWORD_HINT: &str = "At least 12 characters; it must not contain your email's name.";

#[component]
pub fn AccountPage() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let end = ServerAction::<EndSession>::new();
    let end_others = ServerAction::<EndOtherSessions>::new();
    let start = ServerAction::<StartTwoFactor>::new();
    let confirm = ServerAction::<ConfirmTwoFactor>::new();
    let disable = ServerAction::<DisableTwoFactor>::new();
    let data = Resource::new(
        move || {
            (
                change.version().get(),
                end.version().get(),
                end_others.version().get(),
                start.version().get(),
                confirm.version().get(),
                disable.version().get(),
            )
        },
        |_| load_account(),
    );
    let actions = Actions {
        change,
        end,
        end_others,
        start,
        confirm,
        disable,
    };
    view! {
        <Title text="Account · pinbridge"/>
        <PublicFrame>
            <section class="page page-narrow">
                <p class="eyebrow">"Account"</p>
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match data.await {
                            Ok(a) => view! { <Account a actions/> }.into_any(),
                            Err(e) => view! { <LoadError error=e/> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        </PublicFrame>
    }
}

#[derive(Clone, Copy)]
struct Actions {
    change: ServerAction<ChangePassword>,
    end: ServerAction<EndSession>,
    end_others: ServerAction<EndOtherSessions>,
    start: ServerAction<StartTwoFactor>,
    confirm: ServerAction<ConfirmTwoFactor>,
    disable: ServerAction<DisableTwoFactor>,
}

#[component]
fn Account(a: AccountView, actions: Actions) -> impl IntoView {
    let change_error = last_error(actions.change);
    let end_error = last_error(actions.end);
    let end_others_error = last_error(actions.end_others);
    let changed = move || {
        actions
            .change
            .value()
            .get()
            .and_then(Result::ok)
            .map(|done| {
                let text = match done.sessions_ended {
                    0 => "Your password was changed.".to_owned(),
                    1 => {
                        "Your password was changed, and your 1 other session was ended.".to_owned()
                    }
                    n => format!(
                        "Your password was changed, and your {n} other sessions were ended."
                    ),
                };
                view! { <p class="notice" role="status">{text}</p> }
            })
    };
    let notices = a
        .notices
        .iter()
        .map(|n| view! { <p class="notice" role="status">{n.clone()}</p> })
        .collect_view();
    let others = a.sessions.iter().filter(|s| !s.current).count();
    let rows = a
        .sessions
        .into_iter()
        .map(|s| view! { <SessionRow s end=actions.end/> })
        .collect_view();
    view! {
        <h1>{a.operator.display_name.clone()}</h1>
        <p class="lead">{a.operator.email.clone()}</p>
        {notices}

        <h2>"Change password"</h2>
        <p>"Changing your password signs you out everywhere else; this browser stays signed in."</p>
        <ActionForm action=actions.change attr:class="form" attr:novalidate=true>
            <FormError error=change_error fields=&[CURRENT_PASSWORD_FIELD, "new_password"]/>
            <TextField label="Current password" name="current_password" id="account-current-password"
                kind="password" autocomplete="current-password" error=change_error/>
            <TextField label="New password" name="new_password" id="account-new-password"
                kind="password" hint=PASSWORD_HINT autocomplete="new-password" error=change_error/>
            <button type="submit" class="button">"Change password"</button>
            {changed}
        </ActionForm>

        <h2>"Sessions"</h2>
        <p>"Where you are signed in. End a session you do not recognise, then change your password."</p>
        {move || end_error.get().map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
        <table class="table">
            <thead>
                <tr>
                    <th scope="col">"Signed in"</th>
                    <th scope="col">"Last active"</th>
                    <th scope="col">"From"</th>
                    <th scope="col">"Browser"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
        {(others > 0).then(|| view! {
            <ActionForm action=actions.end_others attr:class="form-inline">
                <button type="submit" class="button button-quiet">"End all other sessions"</button>
            </ActionForm>
        })}
        {move || end_others_error.get().map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}

        <TwoFactor t=a.two_factor actions/>
    }
}

#[component]
fn TwoFactor(t: TwoFactorView, actions: Actions) -> impl IntoView {
    let start_error = last_error(actions.start);
    let confirm_error = last_error(actions.confirm);
    let disable_error = last_error(actions.disable);
    // With JavaScript the codes are the action's answer; without, the page load brings them.
    let shown_codes = t.new_recovery_codes.clone();
    let codes = move || {
        let codes = actions
            .confirm
            .value()
            .get()
            .and_then(Result::ok)
            .unwrap_or_else(|| shown_codes.clone());
        if !codes.is_empty() {
            crate::assets::shows_a_secret();
        }
        (!codes.is_empty()).then(|| view! {
            <div class="notice" role="status" id="recovery-codes">
                <p><strong>"Two-factor sign-in is on. Save these recovery codes now: they are shown only once."</strong></p>
                <p>"Each works once, instead of a code from your app, if you lose your device."</p>
                <ul class="recovery-codes">
                    {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
                </ul>
            </div>
        })
    };
    let required = (!t.required_by.is_empty()).then(|| {
        view! {
            <p class="warning" role="note">
                "Required by " {t.required_by.join(", ")} ": you need two-factor sign-in to use "
                {if t.required_by.len() == 1 { "that workspace" } else { "those workspaces" }} "."
            </p>
        }
    });
    let body = if t.enabled {
        view! {
            <p>
                "Two-factor sign-in is on: after your password, pinbridge asks for a code from your "
                "authenticator app. " {t.recovery_codes_left} " recovery codes left."
            </p>
            <ActionForm action=actions.disable attr:class="form" attr:novalidate=true>
                <FormError error=disable_error fields=&["password"]/>
                <TextField label="Your password" name="password" id="two-factor-disable-password"
                    kind="password" autocomplete="current-password"
                    hint="Needed to turn two-factor sign-in off." error=disable_error/>
                <button type="submit" class="button button-danger">"Turn off two-factor sign-in"</button>
            </ActionForm>
        }
        .into_any()
    } else if let Some(p) = t.pending {
        // Sent uncompressed (BREACH: see server/src/compression.rs).
        crate::assets::shows_a_secret();
        view! {
            <p>"Scan this QR code with your authenticator app, or type the key into it, then enter the code it shows."</p>
            <div class="qr-code" inner_html=p.qr_svg></div>
            <p>"Key: " <code class="totp-secret">{p.secret}</code></p>
            <ActionForm action=actions.confirm attr:class="form" attr:novalidate=true>
                <FormError error=confirm_error fields=&["code"]/>
                <TextField label="Code from the app" name="code" id="two-factor-confirm-code"
                    autocomplete="one-time-code" maxlength=12 hint="6 digits." error=confirm_error/>
                <button type="submit" class="button">"Turn on two-factor sign-in"</button>
            </ActionForm>
            <ActionForm action=actions.start attr:class="form-inline">
                <button type="submit" class="button button-quiet">"Start over with a new key"</button>
            </ActionForm>
        }
        .into_any()
    } else {
        view! {
            <p>"Two-factor sign-in is off. With it on, signing in needs a code from an authenticator app as well as your password."</p>
            <ActionForm action=actions.start attr:class="form-inline">
                <button type="submit" class="button">"Set up two-factor sign-in"</button>
            </ActionForm>
        }
        .into_any()
    };
    view! {
        <h2 id="two-factor">"Two-factor sign-in"</h2>
        {required}
        {codes}
        {move || start_error.get().map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
        {body}
    }
}

#[component]
fn SessionRow(s: SessionView, end: ServerAction<EndSession>) -> impl IntoView {
    let id = s.id.clone();
    let action = if s.current {
        view! { <span class="badge">"This session"</span> }.into_any()
    } else {
        view! {
            <ActionForm action=end attr:class="form-inline">
                <input type="hidden" name="session_id" value=id/>
                <button type="submit" class="button button-quiet">"End session"</button>
            </ActionForm>
        }
        .into_any()
    };
    view! {
        <tr data-session=s.id.clone()>
            <td>{format_utc(s.signed_in_at)}</td>
            <td>{format_utc(s.last_seen_at)}</td>
            <td>{s.ip.unwrap_or_else(|| "unknown".to_owned())}</td>
            <td>{s.user_agent.unwrap_or_else(|| "unknown".to_owned())}</td>
            <td>{action}</td>
        </tr>
    }
}
