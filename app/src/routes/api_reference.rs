//! [Environment] → API reference: every operation of pinbridge's API, read
//! from the OpenAPI document the server generates, with `curl` examples
//! against this pinbridge. Plain HTML: it works offline and without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::CopyButton;
use crate::functions::api_reference::load_api_reference;
use crate::models::{
    API_KEY_VARIABLE, ApiDocumentView, ApiReferenceView, OperationView, ProblemTypeView, SchemaNode,
};
use crate::routes::workspace_frame::{LoadError, WorkspaceCtx};

#[component]
pub fn ApiReferencePage() -> impl IntoView {
    let ctx = WorkspaceCtx::get();
    let params = use_params_map();
    let environment = Memo::new(move |_| params.read().get("env").unwrap_or_default());
    let data = Resource::new(
        move || (ctx.workspace.get(), environment.get()),
        |(ws, env)| load_api_reference(ws, env),
    );
    view! {
        <Title text="API reference · pinbridge"/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <Reference view workspace=ctx.workspace.get_untracked()/> }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Reference(view: ApiReferenceView, workspace: String) -> impl IntoView {
    let keys = format!("/w/{workspace}/e/{}/api-keys", view.environment.slug);
    let body = match view.document {
        Some(doc) => view! { <Document doc/> }.into_any(),
        None => view! {
            <p class="warning" role="note" data-field="no-document">
                "This pinbridge serves no API description, so there is no reference to show."
            </p>
        }
        .into_any(),
    };
    view! {
        <section class="page page-wide api-reference">
            <nav class="breadcrumbs" aria-label="Breadcrumb">
                <span>{view.environment.name.clone()}</span>
                <span aria-hidden="true">" / "</span>
                <span aria-current="page">"API reference"</span>
            </nav>
            <h1>"API reference"</h1>
            <div class="card api-basics">
                <dl class="facts">
                    <dt>"Base URL"</dt>
                    <dd>
                        <div class="copy-field">
                            <code data-field="api-base-url">{view.base_url.clone()}</code>
                            <CopyButton text=view.base_url.clone() label="Copy base URL"/>
                        </div>
                    </dd>
                    <dt>"Authentication"</dt>
                    <dd>
                        <code>"Authorization: Bearer " {API_KEY_VARIABLE}</code>
                        ", with a key of " {view.environment.name.clone()} " from "
                        <a href=keys>"API keys"</a> "."
                    </dd>
                </dl>
            </div>
            {body}
        </section>
    }
}

#[component]
fn Document(doc: ApiDocumentView) -> impl IntoView {
    let contents = contents(
        &doc.operations,
        !doc.problem_types.is_empty() || doc.problem.is_some(),
    );
    let operations = doc
        .operations
        .into_iter()
        .map(|op| view! { <Operation op/> })
        .collect_view();
    let errors = (doc.problem.is_some() || !doc.problem_types.is_empty()).then(|| {
        view! { <Errors problem=doc.problem problem_types=doc.problem_types/> }
    });
    view! {
        <p class="lead">
            <strong>{doc.title}</strong>
            {(!doc.version.is_empty()).then(|| view! { " " <span class="badge" data-field="api-version">{doc.version.clone()}</span> })}
        </p>
        {doc.description.map(|d| view! { <p class="prose">{d}</p> })}
        {contents}
        {operations}
        {errors}
    }
}

/// The contents: operations by tag, linking to each.
fn contents(operations: &[OperationView], errors: bool) -> AnyView {
    let mut groups: Vec<(Option<String>, Vec<&OperationView>)> = Vec::new();
    for op in operations {
        match groups.last_mut() {
            Some((tag, ops)) if *tag == op.tag => ops.push(op),
            _ => groups.push((op.tag.clone(), vec![op])),
        }
    }
    let groups = groups
        .into_iter()
        .map(|(tag, ops)| {
            let items = ops
                .into_iter()
                .map(|op| {
                    view! {
                        <li>
                            <a href=format!("#{}", op.anchor)>
                                <span class=method_class(&op.method)>{op.method.clone()}</span>
                                " " <code>{op.path.clone()}</code>
                            </a>
                            {op.summary.clone().map(|s| view! { " " <span class="muted small">{s}</span> })}
                        </li>
                    }
                })
                .collect_view();
            view! {
                {tag.map(|t| view! { <h3>{t}</h3> })}
                <ul>{items}</ul>
            }
        })
        .collect_view();
    view! {
        <nav class="card api-contents" aria-label="Operations">
            <h2>"Operations"</h2>
            {groups}
            {errors.then(|| view! { <p><a href="#errors">"Errors"</a></p> })}
        </nav>
    }
    .into_any()
}

fn method_class(method: &str) -> String {
    format!("method method-{}", method.to_ascii_lowercase())
}

#[component]
fn Operation(op: OperationView) -> impl IntoView {
    let parameters = (!op.parameters.is_empty()).then(|| {
        let rows = op
            .parameters
            .iter()
            .map(|p| {
                view! {
                    <tr>
                        <td><code>{p.name.clone()}</code></td>
                        <td>{p.location.clone()}</td>
                        <td class="schema-type">{p.schema_type.clone()}</td>
                        <td>{if p.required { "required" } else { "optional" }}</td>
                        <td>{p.description.clone()}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <h3>"Parameters"</h3>
            <div class="table-scroll">
                <table class="table api-table">
                    <thead><tr><th>"Name"</th><th>"In"</th><th>"Type"</th><th>"Required"</th><th>"Description"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
    });
    let body = op.request_body.clone().map(|b| {
        view! {
            <h3>"Request body"</h3>
            <p class="small muted">
                <code>{b.content_type}</code> {if b.required { ", required" } else { ", optional" }} ": "
                <span class="schema-type">{b.schema.type_text.clone()}</span>
            </p>
            {b.schema.description.clone().map(|d| view! { <p class="prose small">{d}</p> })}
            {outline(b.schema.children)}
        }
    });
    let responses = op
        .responses
        .iter()
        .map(|r| {
            view! {
                <tr data-status=r.status.clone()>
                    <td><code>{r.status.clone()}</code></td>
                    <td>{r.description.clone()}</td>
                    <td>
                        {r.schema.clone().map(|s| view! { <span class="schema-type">{s}</span> })}
                        {r.content_type.clone().map(|c| view! { " " <span class="muted small">{c}</span> })}
                        {r.problem.then(|| view! { " " <a href="#errors" class="small">"problem"</a> })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <article class="card operation" id=op.anchor.clone() data-operation=op.anchor.clone()>
            <h2>
                <span class=method_class(&op.method)>{op.method.clone()}</span>
                " " <code class="operation-path">{op.path.clone()}</code>
            </h2>
            {op.summary.clone().map(|s| view! { <p class="operation-summary">{s}</p> })}
            <p class="small muted">
                {op.tag.clone().map(|t| view! { <span class="badge">{t}</span> " " })}
                {op.deprecated.then(|| view! { <span class="status status-warn">"deprecated"</span> " " })}
                {if op.authorized { "Needs an API key." } else { "Needs no API key." }}
            </p>
            {op.description.clone().map(|d| view! { <p class="prose">{d}</p> })}
            {parameters}
            {body}
            <h3>"Responses"</h3>
            <div class="table-scroll">
                <table class="table api-table">
                    <thead><tr><th>"Status"</th><th>"Description"</th><th>"Body"</th></tr></thead>
                    <tbody>{responses}</tbody>
                </table>
            </div>
            <h3>"Example"</h3>
            <pre class="curl" tabindex="0" data-field="curl"><code>{op.curl.clone()}</code></pre>
            <CopyButton text=op.curl.clone() label="Copy curl example"/>
        </article>
    }
}

/// A schema's fields as nested lists.
fn outline(nodes: Vec<SchemaNode>) -> AnyView {
    if nodes.is_empty() {
        return ().into_any();
    }
    let items = nodes
        .into_iter()
        .map(|n| {
            view! {
                <li>
                    {n.name.map(|name| view! { <code class="field-name">{name}</code> " " })}
                    <span class="schema-type">{n.type_text}</span>
                    {n.required.then(|| view! { " " <span class="badge badge-required">"required"</span> })}
                    {n.description.map(|d| view! { <span class="schema-description">{d}</span> })}
                    {outline(n.children)}
                </li>
            }
        })
        .collect_view();
    view! { <ul class="schema-outline">{items}</ul> }.into_any()
}

#[component]
fn Errors(problem: Option<SchemaNode>, problem_types: Vec<ProblemTypeView>) -> impl IntoView {
    let table = (!problem_types.is_empty()).then(|| {
        let rows = problem_types
            .into_iter()
            .map(|p| {
                view! {
                    <tr data-problem=p.type_uri.clone()>
                        <td><code>{p.type_uri.clone()}</code></td>
                        <td>{p.title}</td>
                        <td>{p.status.map(|s| s.to_string())}</td>
                        <td>{p.description}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <div class="table-scroll">
                <table class="table api-table problem-types">
                    <thead><tr><th>"Type"</th><th>"Title"</th><th>"Status"</th><th>"Description"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
    });
    view! {
        <section class="card api-errors" id="errors">
            <h2>"Errors"</h2>
            <p>"Errors are answered as " <code>"application/problem+json"</code>
               " (RFC 9457): the " <code>"type"</code> " says which error it is, " <code>"detail"</code> " what to do."</p>
            {problem.map(|p| view! {
                {p.description.clone().map(|d| view! { <p class="prose small">{d}</p> })}
                {outline(p.children)}
            })}
            {table}
        </section>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use crate::functions::openapi;
    use crate::models::EnvironmentView;

    #[test]
    fn the_reference_renders_every_operation_and_the_errors() {
        let doc = openapi::fixture();
        let base_url = openapi::base_url(&doc, "https://pb.example");
        let view = ApiReferenceView {
            environment: EnvironmentView {
                id: "e".into(),
                name: "Development".into(),
                slug: "development".into(),
                created_at: 0,
            },
            document: Some(openapi::read(&doc, &base_url)),
            base_url,
        };
        let owner = Owner::new();
        owner.set();
        let html = view! { <Reference view workspace="w".to_owned()/> }.to_html();
        for anchor in ["op-health", "op-list_connections", "op-access_token"] {
            assert!(html.contains(&format!(r##"href="#{anchor}""##)), "{anchor}");
            assert!(html.contains(&format!(r#"id="{anchor}""#)), "{anchor}");
        }
        assert!(html.contains("https://pb.example/v1/connections/{connection_id}/access-token"));
        assert!(html.contains("Authorization: Bearer $PINBRIDGE_API_KEY"));
        assert!(html.contains(r#"id="errors""#));
        assert!(html.contains("https://pinbridge.dev/problems/rate-limited"));
        assert!(html.contains("min_valid_secs"));
        assert!(html.contains(r#"href="/w/w/e/development/api-keys""#));
        assert!(!html.contains("<script"), "plain HTML");
    }
}
