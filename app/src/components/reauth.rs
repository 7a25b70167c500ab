//! The password prompt of the most sensitive forms: shown when the server
//! refused the form because the sign-in is old, so the person types their
//! password and sends the form again, which then goes through. Works the same
//! without JavaScript (the refusal comes back with the page).

use leptos::prelude::*;

use crate::errors::{AppError, REAUTH_FIELD};

#[component]
pub fn ReauthField(
    error: Signal<Option<AppError>>,
    /// Unique within the page.
    #[prop(into)]
    id: String,
    /// For forms repeated per row: the row's id (see `AppError::for_row`).
    #[prop(optional, into)]
    row: Option<String>,
) -> impl IntoView {
    let key = match row {
        Some(row) => format!("{REAUTH_FIELD}@{row}"),
        None => REAUTH_FIELD.to_owned(),
    };
    let message = Signal::derive(move || error.get().and_then(|e| e.for_field(&key)));
    move || {
        message.get().map(|m| {
            let error_id = format!("{id}-error");
            view! {
                <div class="field field-invalid field-reauth">
                    <label for=id.clone()>"Your password"</label>
                    <input id=id.clone() name=REAUTH_FIELD type="password"
                        autocomplete="current-password" aria-invalid="true"
                        aria-describedby=error_id.clone()/>
                    <p class="field-error" id=error_id role="alert">{m}</p>
                </div>
            }
        })
    }
}
