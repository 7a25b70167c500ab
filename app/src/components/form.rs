//! Form pieces that behave the same with and without JavaScript: each field
//! shows its own error next to it and keeps what was typed.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::errors::AppError;

/// The error of a form's last submission, if it failed.
pub fn last_error<S>(action: ServerAction<S>) -> Signal<Option<AppError>>
where
    S: ServerFn<Error = AppError> + Send + Sync + Clone + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(Result::err))
}

/// The refusal of a form posted to the server function at `path`, which the
/// page's address brings back after the redirect. For a function that cannot
/// have a `ServerAction` (a file upload: its input is not `Clone`), whose form
/// is always a plain post.
pub fn plain_post_error(path: &'static str) -> Signal<Option<AppError>> {
    let error = use_context::<leptos::server::ServerActionError>()
        .filter(|e| e.path() == path)
        .map(|e| leptos::server_fn::error::ServerFnUrlError::<AppError>::decode_err(e.err()));
    Signal::stored(error)
}

/// Bumps `changed` each time `action` succeeds, so a page can reload its data
/// after a change (not after a refusal: that would redraw the form and lose
/// what was typed).
pub fn bump_on_success<S>(action: ServerAction<S>, changed: RwSignal<u32>)
where
    S: ServerFn<Error = AppError> + Send + Sync + Clone + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Effect::new(move |_| {
        if matches!(action.value().get(), Some(Ok(_))) {
            changed.update(|n| *n += 1);
        }
    });
}

/// Empties a form once its action succeeded, ready for the next entry. Only
/// with JavaScript: a plain post loads a fresh page anyway.
pub fn reset_on_success<S>(action: ServerAction<S>, form: NodeRef<leptos::html::Form>)
where
    S: ServerFn<Error = AppError> + Send + Sync + Clone + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Effect::new(move |_| {
        if matches!(action.value().get(), Some(Ok(_)))
            && let Some(form) = form.get()
        {
            form.reset();
        }
    });
}

/// The message for the field `key` in the last submission's error.
pub fn field_message(
    error: Signal<Option<AppError>>,
    key: impl Into<String>,
) -> Signal<Option<String>> {
    let key = key.into();
    Signal::derive(move || error.get().and_then(|e| e.for_field(&key)))
}

/// `aria-invalid` of a field (or a group of boxes): "true" while it has a message.
pub fn invalid(message: Signal<Option<String>>) -> impl Fn() -> Option<&'static str> + Copy {
    move || message.read().is_some().then_some("true")
}

/// `aria-describedby` of a field (or a group of boxes): its hint, if it has
/// one, and its message while there is one, so a screen reader reads both.
pub fn described_by(
    hint_id: Option<String>,
    error_id: String,
    message: Signal<Option<String>>,
) -> impl Fn() -> Option<String> + Clone + Send + Sync + 'static {
    move || {
        let ids: Vec<&str> = hint_id
            .iter()
            .map(String::as_str)
            .chain(message.read().is_some().then_some(error_id.as_str()))
            .collect();
        (!ids.is_empty()).then(|| ids.join(" "))
    }
}

/// The message of one field, under it. `id` is what the field's
/// `aria-describedby` names (see [`described_by`]).
#[component]
pub fn FieldError(#[prop(into)] id: String, message: Signal<Option<String>>) -> impl IntoView {
    move || {
        message
            .get()
            .map(|m| view! { <p class="field-error" id=id.clone()>{m}</p> })
    }
}

/// A labelled text input with its hint (limits are stated there) and the
/// message for it from the last submission.
#[component]
pub fn TextField(
    label: &'static str,
    /// The form field's name, which server errors refer to.
    name: &'static str,
    /// The key the error for this field has, when not `name` (see `AppError::for_row`).
    #[prop(optional, into)]
    error_key: Option<String>,
    /// Unique within the page.
    #[prop(into)]
    id: String,
    #[prop(default = "text")] kind: &'static str,
    /// The initial value (what was typed before a refused submission, or the current value).
    #[prop(optional_no_strip)]
    value: Option<String>,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional)] maxlength: Option<usize>,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] autofocus: bool,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let message = field_message(error, error_key.unwrap_or_else(|| name.to_owned()));
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let describe = described_by(
        hint.is_some().then(|| hint_id.clone()),
        error_id.clone(),
        message,
    );
    view! {
        <div class="field" class:field-invalid=move || message.read().is_some()>
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type=kind
                value=value
                maxlength=maxlength
                autocomplete=autocomplete
                // A refused post loads the page again: focus lands on the field
                // at fault, so a screen reader reads its label and message.
                autofocus=move || autofocus || message.read().is_some()
                aria-invalid=invalid(message)
                aria-describedby=describe
            />
            {hint.map(|h| view! { <p class="hint" id=hint_id>{h}</p> })}
            <FieldError id=error_id message/>
        </div>
    }
}

/// The refusal for one row of a repeated form (see `AppError::for_row`).
#[component]
pub fn RowError(error: Signal<Option<AppError>>, #[prop(into)] row: String) -> impl IntoView {
    let key = format!("@{row}");
    move || {
        error
            .get()
            .and_then(|e| e.for_field(&key))
            .map(|m| view! { <p class="error" role="alert">{m}</p> })
    }
}

/// The message of an error that belongs to none of `fields` (a refusal, a
/// missing permission, an internal error), shown at the top of the form.
#[component]
pub fn FormError(
    error: Signal<Option<AppError>>,
    fields: &'static [&'static str],
) -> impl IntoView {
    move || {
        error
            .get()
            .filter(|e| {
                e.field()
                    .is_none_or(|f| !f.contains('@') && !fields.contains(&f))
            })
            .map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })
    }
}
