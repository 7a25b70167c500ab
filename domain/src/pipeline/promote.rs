//! Promotion: copy chosen differences from one environment to another, in one
//! transaction, refused when either side changed since the view was drawn.

use serde::Serialize;
use serde_json::{Value, json};

use super::drift::Pair;
use super::model::{Drift, EnvironmentRef, PipelineError, Section};
use super::snapshot::{
    self, API, APP_ID, ENABLED, ISSUER, ORIGIN, Payload, SCOPES, SIGN_IN_CLIENT, Snapshot,
    USER_CLAIM,
};
use crate::Services;
use crate::accounts::audit::{self, AuditAction, AuditActor, NewAuditEvent};
use crate::accounts::{Actor, EnvironmentId, RequestMeta, WebhookEndpointId, WorkspaceId};
use crate::db::now_ms;
use crate::db::repo::pipeline::{self as rows, EndpointConfigRow};
use crate::db::repo::webhooks::{self as webhook_rows, EndpointRow};
use crate::db::repo::{agent_sign_in, pinterest_settings, workspaces};
use crate::db::tx::Tx;
use crate::webhooks::endpoints::ENDPOINTS_MAX;
use crate::webhooks::signing::{self, SecretColumn};

/// A promotion as asked for.
#[derive(Clone, Debug)]
pub struct PromoteRequest {
    pub from: EnvironmentId,
    pub to: EnvironmentId,
    /// The keys of the differences to copy.
    pub items: Vec<String>,
    /// The versions the view was drawn at.
    pub from_version: String,
    pub to_version: String,
    /// The target's name as typed to confirm; `None` where the caller
    /// confirmed otherwise (the CLI's `--apply`).
    pub confirm: Option<String>,
}

/// One change a promotion makes to the target.
#[derive(Clone, Debug, Serialize)]
pub struct PlannedChange {
    pub key: String,
    pub section: Section,
    pub label: String,
    /// What the target has now (`None`: nothing).
    pub before: Option<String>,
    /// What it will have (`None`: removed).
    pub after: Option<String>,
}

/// Exactly what a promotion changes, and which secrets the target still needs.
#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    pub from: EnvironmentRef,
    pub to: EnvironmentRef,
    pub changes: Vec<PlannedChange>,
    /// Secrets are never copied: what the target needs entered by hand.
    pub secrets_needed: Vec<String>,
}

/// A promotion written.
#[derive(Clone, Debug, Serialize)]
pub struct Promoted {
    pub plan: Plan,
    /// The target's version after the promotion.
    pub to_version: String,
}

/// The plan for copying `items` from `from` to `to` as they are now (a dry
/// run: nothing is written). Every member may look.
pub async fn plan(
    services: &Services,
    workspace_id: &WorkspaceId,
    from: &EnvironmentId,
    to: &EnvironmentId,
    items: &[String],
) -> Result<Plan, PipelineError> {
    let pair = Pair::read(services, workspace_id, from, to).await?;
    build(&pair.drift(), &pair.a, &pair.b, items)
}

/// Promotes as a member of the workspace (owners and admins).
pub async fn promote(
    services: &Services,
    actor: &Actor,
    request: PromoteRequest,
    meta: &RequestMeta,
) -> Result<Promoted, PipelineError> {
    actor.require_configure()?;
    promote_in(services, actor.workspace_id(), actor.into(), request, meta).await
}

/// Promotes in `workspace_id` as `by` (the CLI, which is trusted as the
/// installation's administrator).
pub async fn promote_in(
    services: &Services,
    workspace_id: &WorkspaceId,
    by: AuditActor,
    request: PromoteRequest,
    meta: &RequestMeta,
) -> Result<Promoted, PipelineError> {
    if request.from == request.to {
        return Err(PipelineError::SameEnvironment);
    }
    if request.items.is_empty() {
        return Err(PipelineError::EmptySelection);
    }
    // A stale view is said as such before anything else (its items may
    // have been resolved meanwhile), from the same read as the preview.
    let drawn = Pair::read(services, workspace_id, &request.from, &request.to).await?;
    drawn.check_versions(&request.from_version, &request.to_version)?;
    let preview = build(&drawn.drift(), &drawn.a, &drawn.b, &request.items)?;
    if let Some(typed) = &request.confirm
        && typed.trim() != preview.to.name
    {
        return Err(PipelineError::Confirmation(preview.to.name.clone()));
    }
    // Endpoints the plan creates are checked before the transaction: the
    // check resolves their host, which must not hold the write lock.
    check_new_endpoints(services, &drawn.a, &preview).await?;

    let now = now_ms();
    let mut tx = services.db.begin().await?;
    // One promotion per workspace at a time (PostgreSQL locks the row; SQLite
    // holds the write lock already), and the versions checked again inside.
    workspaces::lock(&mut tx, workspace_id).await?;
    let pair = Pair::read_tx(&mut tx, services, workspace_id, &request.from, &request.to).await?;
    pair.check_versions(&request.from_version, &request.to_version)?;
    let plan = build(&pair.drift(), &pair.a, &pair.b, &request.items)?;
    let (a, b, to_env) = (&pair.a, &pair.b, &pair.to);
    let endpoints_changed =
        apply(services, &mut tx, workspace_id, &plan, a, b, &by.label, now).await?;
    let after = Snapshot::read_tx(&mut tx, &services.keys, to_env, now).await?;
    audit::append_tx(&mut tx, audit_event(workspace_id, &by, &plan), meta).await?;
    tx.commit().await?;
    if endpoints_changed {
        services.webhooks.wake();
    }
    Ok(Promoted {
        to_version: after.version(),
        plan,
    })
}

/// The plan for `items` of `drift`: each must be a difference that can be copied.
fn build(
    drift: &Drift,
    a: &Snapshot,
    b: &Snapshot,
    items: &[String],
) -> Result<Plan, PipelineError> {
    if items.is_empty() {
        return Err(PipelineError::EmptySelection);
    }
    let mut changes = Vec::new();
    // In the view's order, whatever order they were asked in; each once.
    for row in &drift.rows {
        if !items.iter().any(|k| k == &row.key) {
            continue;
        }
        if row.equal {
            return Err(PipelineError::UnknownItem(row.key.clone()));
        }
        if let Some(reason) = &row.not_copyable {
            return Err(PipelineError::NotCopyable {
                label: format!("{}: {}", row.section.label(), row.label),
                reason: reason.clone(),
            });
        }
        changes.push(PlannedChange {
            key: row.key.clone(),
            section: row.section,
            label: row.label.clone(),
            before: row.to.as_ref().map(|s| s.value.clone()),
            after: row.from.as_ref().map(|s| s.value.clone()),
        });
    }
    if let Some(unknown) = items
        .iter()
        .find(|k| !drift.rows.iter().any(|r| &r.key == *k))
    {
        return Err(PipelineError::UnknownItem(unknown.clone()));
    }
    let secrets_needed = secrets_needed(drift, a, b, &changes);
    Ok(Plan {
        from: drift.from.clone(),
        to: drift.to.clone(),
        changes,
        secrets_needed,
    })
}

/// What the target must be given by hand after `changes`.
fn secrets_needed(
    drift: &Drift,
    a: &Snapshot,
    b: &Snapshot,
    changes: &[PlannedChange],
) -> Vec<String> {
    let to = &drift.to.name;
    let has = |key: &str| changes.iter().any(|c| c.key == key);
    let mut needed = Vec::new();
    if let (Some(pa), Some(pb)) = (&a.pinterest, &b.pinterest)
        && has(APP_ID)
        && secret_differs(a, b, snapshot::APP_SECRET)
    {
        needed.push(format!(
            "{to}'s Pinterest App secret key (…{}) was entered for App id {}: enter the secret key of App id {} on {to}'s Pinterest page, or connecting there will fail.",
            pb.secret_last4, pb.client_id, pa.client_id
        ));
    }
    if (has(ISSUER) || has(SIGN_IN_CLIENT)) && secret_differs(a, b, snapshot::SIGN_IN_SECRET) {
        needed.push(format!(
            "{to}'s sign-in client secret belongs to its previous client: enter the new client's secret on {to}'s Agents page."
        ));
    }
    for c in changes
        .iter()
        .filter(|c| snapshot::is_endpoint(&c.key) && c.before.is_none())
    {
        needed.push(format!(
            "The new webhook endpoint {} in {to} has a signing secret of its own, not {}'s: rotate it on {to}'s Webhooks page to see it, and give it to the receiver.",
            c.label, drift.from.name
        ));
    }
    needed
}

fn secret_differs(a: &Snapshot, b: &Snapshot, key: &str) -> bool {
    a.items.get(key).map(|i| &i.side.value) != b.items.get(key).map(|i| &i.side.value)
}

/// Resolves the host of every endpoint the plan creates, as creating one on
/// the Webhooks page does (their URLs from the source's snapshot).
async fn check_new_endpoints(
    services: &Services,
    source: &Snapshot,
    plan: &Plan,
) -> Result<(), PipelineError> {
    for change in plan.changes.iter().filter(|c| c.before.is_none()) {
        if let Some(Payload::Endpoint(e)) = source.items.get(&change.key).map(|i| &i.payload)
            && let Ok(url) = url::Url::parse(&e.url)
        {
            crate::webhooks::endpoints::check_target(services, &url).await?;
        }
    }
    Ok(())
}

/// Writes `plan` into the target; answers whether webhook endpoints changed.
#[allow(clippy::too_many_arguments)]
async fn apply(
    services: &Services,
    tx: &mut Tx,
    ws: &WorkspaceId,
    plan: &Plan,
    a: &Snapshot,
    b: &Snapshot,
    by: &str,
    now: i64,
) -> Result<bool, PipelineError> {
    let to = &plan.to.id;
    let has = |key: &str| plan.changes.iter().any(|c| c.key == key);
    if let (Some(pa), Some(pb)) = (&a.pinterest, &b.pinterest)
        && [APP_ID, API, SCOPES, ENABLED].iter().any(|k| has(k))
    {
        let mut after = pb.clone();
        if has(APP_ID) {
            after.client_id = pa.client_id.clone();
            // The last check was of the old App id.
            after.checked_at = None;
            after.checked_by = None;
            after.check_outcome = None;
            after.check_http_status = None;
            after.check_latency_ms = None;
            after.check_summary = None;
            after.check_message = None;
        }
        if has(API) {
            after.api = pa.api;
        }
        if has(SCOPES) {
            after.scopes = pa.scopes.clone();
        }
        if has(ENABLED) {
            after.enabled = pa.enabled;
        }
        after.version = pb.version + 1;
        after.updated_by = by.to_owned();
        after.updated_at = now;
        if !pinterest_settings::update_if_version(tx, &after, pb.version).await? {
            return Err(PipelineError::Stale(plan.to.name.clone()));
        }
    }
    if let (Some(sa), Some(sb)) = (&a.sign_in, &b.sign_in)
        && [ISSUER, SIGN_IN_CLIENT, USER_CLAIM].iter().any(|k| has(k))
    {
        let mut after = sb.clone();
        if has(ISSUER) {
            after.issuer = sa.issuer.clone();
        }
        if has(SIGN_IN_CLIENT) {
            after.client_id = sa.client_id.clone();
        }
        if has(USER_CLAIM) {
            after.user_claim = sa.user_claim.clone();
        }
        after.updated_by = by.to_owned();
        after.updated_at = now;
        agent_sign_in::upsert_tx(tx, &after).await?;
    }
    let mut endpoints_changed = false;
    for change in &plan.changes {
        if let Some(origin) = change.key.strip_prefix(ORIGIN) {
            if change.after.is_some() {
                rows::add_origin_tx(tx, ws, to, origin, by, now).await?;
            } else {
                rows::remove_origin_tx(tx, ws, to, origin).await?;
            }
            continue;
        }
        let source = a.items.get(&change.key).map(|i| &i.payload);
        let target = b.items.get(&change.key).map(|i| &i.payload);
        match (source, target) {
            (Some(Payload::Endpoint(e)), None) => {
                create_endpoint(services, tx, ws, to, e, by, now).await?;
                endpoints_changed = true;
            }
            (Some(Payload::Endpoint(e)), Some(Payload::Endpoint(t))) => {
                let row = EndpointConfigRow {
                    id: t.id.clone(),
                    ..e.clone()
                };
                rows::update_endpoint_tx(tx, ws, &row, by, now).await?;
                endpoints_changed = true;
            }
            (Some(Payload::Key(k)), Some(Payload::Key(t))) => {
                rows::update_key_tx(tx, ws, &t.id, &k.permissions, k.rate_limit).await?;
            }
            _ => {}
        }
    }
    Ok(endpoints_changed)
}

/// A copy of `source` in `to`, with a signing secret of its own.
async fn create_endpoint(
    services: &Services,
    tx: &mut Tx,
    ws: &WorkspaceId,
    to: &EnvironmentId,
    source: &EndpointConfigRow,
    by: &str,
    now: i64,
) -> Result<(), PipelineError> {
    if webhook_rows::count_endpoints_tx(tx, to).await? >= ENDPOINTS_MAX {
        return Err(PipelineError::Refused(format!(
            "The target already has {ENDPOINTS_MAX} webhook endpoints: delete one there first."
        )));
    }
    let id = WebhookEndpointId::generate();
    let secret = signing::generate();
    let sealed = signing::seal(&services.keys, ws, &id, SecretColumn::Current, &secret)?;
    let row = EndpointRow {
        id: id.clone(),
        workspace_id: ws.clone(),
        environment_id: to.clone(),
        url: source.url.clone(),
        description: source.description.clone(),
        event_types: source.event_types.clone(),
        enabled: source.enabled,
        disabled_reason: None,
        secret: sealed,
        previous_secret: None,
        previous_secret_until: None,
        flagged_at: None,
        flag_reason: None,
        created_by: by.to_owned(),
        created_at: now,
        updated_at: now,
    };
    webhook_rows::insert_endpoint(tx, &row).await?;
    rows::set_endpoint_updated_by_tx(tx, &id, by).await?;
    Ok(())
}

/// One record for the whole promotion, with every change (values as the view
/// shows them: fingerprints and redacted URLs, never a secret).
fn audit_event(ws: &WorkspaceId, by: &AuditActor, plan: &Plan) -> NewAuditEvent {
    let changes: Vec<Value> = plan
        .changes
        .iter()
        .map(|c| {
            json!({
                "item": c.key,
                "section": c.section,
                "label": c.label,
                "before": c.before,
                "after": c.after,
            })
        })
        .collect();
    let detail = crate::accounts::audit::detail([
        (
            "from_environment",
            json!({ "id": plan.from.id, "name": plan.from.name }),
        ),
        (
            "to_environment",
            json!({ "id": plan.to.id, "name": plan.to.name }),
        ),
        ("changes", Value::Array(changes)),
        ("still_needed", json!(plan.secrets_needed)),
    ]);
    NewAuditEvent {
        workspace_id: ws.clone(),
        environment_id: Some(plan.to.id.clone()),
        actor: by.clone(),
        action: AuditAction::EnvironmentPromoted,
        target: format!("{} \u{2192} {}", plan.from.name, plan.to.name),
        detail,
    }
}
