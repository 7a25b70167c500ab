//! Branding: how the workspace's end users see the connect and callback pages.
//! Every member sees it and the preview; owners and admins change it. Each
//! form works without JavaScript (the logo form is always a plain post).

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

use crate::components::{
    BrandHeader, FieldError, FormError, SecuredBy, TextField, accent_css, described_by,
    field_message, invalid, last_error, plain_post_error,
};
use crate::functions::branding::{
    LOGO_REMOVED_NOTICE, RemoveLogo, SAVED_NOTICE, SaveBranding, UploadLogo, load_branding,
};
use crate::functions::flash::typed_value;
use crate::models::{BrandingView, WorkspaceView, format_utc};
use crate::routes::workspace_frame::{LoadError, WorkspaceCtx, with_workspace};

#[component]
pub fn BrandingPage() -> impl IntoView {
    let ctx = WorkspaceCtx::get();
    let save = ServerAction::<SaveBranding>::new();
    let remove = ServerAction::<RemoveLogo>::new();
    let data = Resource::new(
        move || {
            (
                ctx.workspace.get(),
                save.version().get(),
                remove.version().get(),
            )
        },
        |(ws, ..)| load_branding(ws),
    );
    let actions = Actions { save, remove };
    view! {
        <Title text="Branding · pinbridge"/>
        {with_workspace(move |w| view! {
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {
                    let w = w.clone();
                    move || {
                        let w = w.clone();
                        Suspend::new(async move {
                            match data.await {
                                Ok(b) => view! { <Branding w b actions/> }.into_any(),
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
    save: ServerAction<SaveBranding>,
    remove: ServerAction<RemoveLogo>,
}

#[component]
fn Branding(w: WorkspaceView, b: BrandingView, actions: Actions) -> impl IntoView {
    let updated = b.updated.clone().map(|(by, at)| {
        view! { <p class="hint">{format!("Last changed by {by}, {}.", format_utc(at))}</p> }
    });
    let edit = b.can_edit.then(|| {
        view! {
            <BrandingForm workspace=w.id.clone() b=b.clone() save=actions.save/>
            <LogoForm workspace=w.id.clone() b=b.clone() remove=actions.remove/>
        }
    });
    // After a plain post, the notice the form left; with an action's answer, that.
    let flashed = crate::functions::flash::notices();
    let notices = move || {
        let mut all = flashed.clone();
        if matches!(actions.save.value().get(), Some(Ok(()))) {
            all.push(SAVED_NOTICE.to_owned());
        }
        if matches!(actions.remove.value().get(), Some(Ok(()))) {
            all.push(LOGO_REMOVED_NOTICE.to_owned());
        }
        all.dedup();
        all.into_iter()
            .map(|n| view! { <p class="notice" role="status">{n}</p> })
            .collect_view()
    };
    let read_only = (!b.can_edit).then(|| {
        view! { <p class="notice">"Owners and admins change the branding; you can see it and its preview."</p> }
    });
    view! {
        <section class="page">
            <h1>"Branding"</h1>
            <p class="lead">
                "Your end users see this when they connect Pinterest: on the connect page and on the page they "
                "return to. pinbridge appears only as a small “Secured by pinbridge”."
            </p>
            {notices}
            {read_only}
            {updated}
            <div class="branding-layout">
                <div class="branding-forms">{edit}</div>
                <BrandPreview b/>
            </div>
        </section>
    }
}

#[component]
fn BrandingForm(
    workspace: String,
    b: BrandingView,
    save: ServerAction<SaveBranding>,
) -> impl IntoView {
    let error = last_error(save);
    let typed = |field: &str, current: &str| {
        Some(typed_value(SaveBranding::PATH, field).unwrap_or_else(|| current.to_owned()))
    };
    view! {
        <h2>"Name, colour and links"</h2>
        <ActionForm action=save attr:class="form" attr:novalidate=true>
            <FormError error fields=&["display_name", "accent_color", "support_url", "privacy_url"]/>
            <input type="hidden" name="workspace" value=workspace/>
            <TextField label="Display name" name="display_name" id="brand-name"
                value=typed("display_name", &b.display_name) maxlength=60
                hint=format!("Up to 60 characters. Empty: your workspace's name, “{}”.", b.workspace_name)
                error/>
            <TextField label="Accent colour" name="accent_color" id="brand-accent"
                value=typed("accent_color", &b.accent_color) maxlength=7
                hint="# and six hexadecimal digits, such as #1f5fbf: the button, links and focus ring. It must have a contrast of at least 4.5:1 with the page (#f6f7f9), WCAG AA for text. Empty: pinbridge's red."
                error/>
            <TextField label="Support URL" name="support_url" id="brand-support" kind="url"
                value=typed("support_url", &b.support_url) maxlength=500
                hint="Where end users get help (https:// or http://). Shown as “Help”." error/>
            <TextField label="Privacy policy URL" name="privacy_url" id="brand-privacy" kind="url"
                value=typed("privacy_url", &b.privacy_url) maxlength=500
                hint="Your privacy policy (https:// or http://)." error/>
            <button type="submit" class="button">"Save branding"</button>
        </ActionForm>
    }
}

#[component]
fn LogoForm(workspace: String, b: BrandingView, remove: ServerAction<RemoveLogo>) -> impl IntoView {
    let error = plain_post_error(UploadLogo::PATH);
    let remove_error = last_error(remove);
    let message = field_message(error, "logo");
    let describe = described_by(
        Some("brand-logo-hint".into()),
        "brand-logo-error".into(),
        message,
    );
    let remove_form = b.logo.is_some().then(|| {
        let workspace = workspace.clone();
        view! {
            <ActionForm action=remove attr:class="inline-form">
                <input type="hidden" name="workspace" value=workspace/>
                <button type="submit" class="button button-danger">"Remove logo"</button>
            </ActionForm>
        }
    });
    view! {
        <h2>"Logo"</h2>
        // A plain post, with or without JavaScript: a file needs multipart.
        <form class="form" method="post" action=UploadLogo::url() enctype="multipart/form-data">
            <FormError error fields=&["logo"]/>
            <input type="hidden" name="workspace" value=workspace/>
            <div class="field" class:field-invalid=move || message.read().is_some()>
                <label for="brand-logo">"Logo file"</label>
                <input id="brand-logo" name="logo" type="file" accept="image/png,image/jpeg,image/webp"
                    required=true
                    autofocus=move || message.read().is_some()
                    aria-invalid=invalid(message) aria-describedby=describe/>
                <p class="hint" id="brand-logo-hint">
                    "PNG, JPEG or WebP, up to 256 KB and 2048 × 2048 pixels (no SVG). pinbridge re-encodes it as PNG, "
                    "at most 480 × 160 pixels, and shows it at half that size."
                </p>
                <FieldError id="brand-logo-error" message/>
            </div>
            <button type="submit" class="button button-secondary">"Upload logo"</button>
        </form>
        {remove_form}
        <FormError error=remove_error fields=&[]/>
    }
}

/// The end user's connect page as it will look, drawn by the same components.
#[component]
fn BrandPreview(b: BrandingView) -> impl IntoView {
    let name = b.shown_name().to_owned();
    let nonce = leptos::nonce::use_nonce();
    let style = (!b.accent_color.is_empty())
        .then(|| view! { <style nonce=nonce>{accent_css(".brand-preview.branded", &b.accent_color)}</style> });
    let support = (!b.support_url.is_empty()).then(|| b.support_url.clone());
    let privacy = (!b.privacy_url.is_empty()).then(|| b.privacy_url.clone());
    view! {
        <section class="branding-preview" aria-labelledby="brand-preview-title">
            <h2 id="brand-preview-title">"Preview"</h2>
            <p class="hint">"The connect page your end users see (saved settings; the page's buttons do nothing here)."</p>
            {style}
            <div class="brand-preview branded end-user">
                <BrandHeader name=name.clone() logo=b.logo.clone()/>
                <div class="card">
                    <p class="eyebrow">"Connect Pinterest"</p>
                    <p class="preview-title">{format!("{name} would like to connect to your Pinterest account")}</p>
                    <p>{format!("On Pinterest you will be asked to allow access. If you do, {name} will be able to read your boards and Pins.")}</p>
                    <p><span class="button" aria-hidden="true">"Continue to Pinterest"</span></p>
                </div>
                <SecuredBy support_url=support privacy_url=privacy/>
            </div>
        </section>
    }
}
