//! Environments as a pipeline: the drift between two configured environments
//! shows exactly their differences, a promotion copies the chosen ones and
//! nothing else, in one transaction, and a stale view, a concurrent change or
//! bad input is refused with nothing changed. No secret ever appears in the
//! view, the plan or the audit record.

use domain::Services;
use domain::accounts::{Actor, AuditAction, EnvironmentId, RequestMeta, environments};
use domain::api::keys::{self as api_keys, KeyInput};
use domain::connections::links;
use domain::db::repo::audit_events::{self, AuditQuery};
use domain::pinterest::settings::{self, SaveRequest};
use domain::pinterest::{ClientId, NewSecret, PinterestApi, ScopeSet};
use domain::pipeline::{self, Drift, Newer, PipelineError, PromoteRequest};
use domain::shared::WebhookEventType;
use domain::webhooks::endpoints::{self, EndpointInput};

use crate::support::{APP_ID, APP_SECRET, World, world};

const PROD_SECRET: &str = "production-secret-9876";
/// A receiver URL that carries a token in its query: never shown whole.
const HOOK_WITH_TOKEN: &str = "http://127.0.0.1:9/hooks?token=hook-url-token-55";
const HOOK_BOTH: &str = "http://127.0.0.1:9/both";

fn meta() -> RequestMeta {
    RequestMeta::default()
}

async fn production(w: &World) -> EnvironmentId {
    environments::list(&w.services.db, &w.actor)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.id != w.env)
        .unwrap()
        .id
}

async fn add_endpoint(
    s: &Services,
    actor: &Actor,
    env: &EnvironmentId,
    url: &str,
    types: &[WebhookEventType],
) -> String {
    let types: Vec<String> = types.iter().map(|t| t.as_str().to_owned()).collect();
    let input = EndpointInput::parse(url, "receiver", &types, true, true).unwrap();
    let created = endpoints::create(s, actor, env, input, &meta())
        .await
        .unwrap();
    created.secret.expose().to_owned()
}

async fn add_key(
    s: &Services,
    actor: &Actor,
    env: &EnvironmentId,
    name: &str,
    permissions: &[&str],
) -> String {
    let permissions: Vec<String> = permissions.iter().map(|p| (*p).to_owned()).collect();
    let input = KeyInput::parse(name, &permissions, "", "600", "").unwrap();
    let created = api_keys::create(s, actor, env, input, &meta())
        .await
        .unwrap();
    created.key.expose().to_owned()
}

/// Development (from the world) and Production, configured apart:
/// - Pinterest: the same App id, another secret, fewer scopes, the sandbox API;
/// - origins: one shared, one each;
/// - webhooks: one only in Development (its URL holds a token), one in both
///   with other event types;
/// - keys: "Backend" in both with other permissions, "Only dev" in one.
///
/// Answers Production's id and every secret made, to look for.
async fn two_environments(w: &World) -> (EnvironmentId, Vec<String>) {
    let s = &w.services;
    let prod = production(w).await;
    settings::save(
        &s.db,
        &s.keys,
        &w.actor,
        SaveRequest {
            environment_id: prod.clone(),
            expected_version: 0,
            client_id: ClientId::parse(APP_ID).unwrap(),
            secret: NewSecret::parse(Some(PROD_SECRET)).unwrap(),
            scopes: ScopeSet::parse_selection(&[
                "user_accounts:read",
                "boards:read",
                "pins:read",
                "ads:read",
            ])
            .unwrap(),
            api: PinterestApi::Sandbox,
        },
        &meta(),
    )
    .await
    .unwrap();
    let origins = |list: &[&str]| list.iter().map(|o| (*o).to_owned()).collect::<Vec<_>>();
    links::set_origins(
        &s.db,
        &w.actor,
        &w.env,
        origins(&["https://app.example.com", "https://staging.example.com"]),
        &meta(),
    )
    .await
    .unwrap();
    links::set_origins(
        &s.db,
        &w.actor,
        &prod,
        origins(&["https://app.example.com", "https://old.example.com"]),
        &meta(),
    )
    .await
    .unwrap();
    let mut secrets = vec![
        APP_SECRET.to_owned(),
        PROD_SECRET.to_owned(),
        "hook-url-token-55".to_owned(),
    ];
    secrets.push(
        add_endpoint(
            s,
            &w.actor,
            &w.env,
            HOOK_WITH_TOKEN,
            &[WebhookEventType::ConnectionCreated],
        )
        .await,
    );
    secrets.push(
        add_endpoint(
            s,
            &w.actor,
            &w.env,
            HOOK_BOTH,
            &WebhookEventType::SUBSCRIBABLE,
        )
        .await,
    );
    secrets.push(
        add_endpoint(
            s,
            &w.actor,
            &prod,
            HOOK_BOTH,
            &[WebhookEventType::ConnectionCreated],
        )
        .await,
    );
    secrets.push(
        add_key(
            s,
            &w.actor,
            &w.env,
            "Backend",
            &["connect", "connections:read"],
        )
        .await,
    );
    secrets.push(add_key(s, &w.actor, &prod, "Backend", &["connect"]).await);
    secrets.push(add_key(s, &w.actor, &w.env, "Only dev", &["tokens"]).await);
    (prod, secrets)
}

fn differing(drift: &Drift) -> Vec<String> {
    let mut keys: Vec<String> = drift.differences().map(|r| r.key.clone()).collect();
    keys.sort();
    keys
}

fn key_of(drift: &Drift, label: &str) -> String {
    drift
        .rows
        .iter()
        .find(|r| r.label == label)
        .unwrap_or_else(|| panic!("no item labelled {label}"))
        .key
        .clone()
}

fn assert_no_secret(text: &str, secrets: &[String]) {
    for secret in secrets {
        assert!(!text.contains(secret.as_str()), "a secret is in: {text}");
    }
}

async fn promoted_records(w: &World) -> Vec<audit_events::AuditEventRow> {
    let query = AuditQuery {
        action: Some(AuditAction::EnvironmentPromoted),
        limit: 100,
        ..Default::default()
    };
    audit_events::list(&w.services.db, w.actor.workspace_id(), &query)
        .await
        .unwrap()
}

#[tokio::test]
async fn drift_shows_exactly_the_differences_and_a_promotion_copies_the_chosen_ones_only() {
    let w = world().await;
    let s = &w.services;
    let (prod, secrets) = two_environments(&w).await;
    let drift = pipeline::diff(s, &w.actor, &w.env, &prod).await.unwrap();

    let hook_token = key_of(&drift, "http://127.0.0.1:9/hooks?…");
    let hook_both = key_of(&drift, HOOK_BOTH);
    let mut expected = vec![
        "api_key:Backend".to_owned(),
        "api_key:Only dev".to_owned(),
        "pinterest.api".to_owned(),
        "pinterest.scopes".to_owned(),
        "pinterest.secret".to_owned(),
        "return_origin:https://old.example.com".to_owned(),
        "return_origin:https://staging.example.com".to_owned(),
        hook_both.clone(),
        hook_token.clone(),
    ];
    expected.sort();
    assert_eq!(differing(&drift), expected);
    let equal: Vec<&str> = drift
        .rows
        .iter()
        .filter(|r| r.equal)
        .map(|r| r.key.as_str())
        .collect();
    assert_eq!(
        equal,
        [
            "pinterest.app_id",
            "pinterest.enabled",
            "return_origin:https://app.example.com"
        ],
        "equal items are there, marked equal"
    );
    // Who changed what, and which side is newer: Production was saved last.
    let scopes = drift
        .rows
        .iter()
        .find(|r| r.key == "pinterest.scopes")
        .unwrap();
    assert_eq!(scopes.newer, Some(Newer::To));
    assert_eq!(scopes.to.as_ref().unwrap().changed_by, "owner@acme.example");
    assert_eq!(
        scopes.from.as_ref().unwrap().value,
        "user_accounts:read boards:read pins:read"
    );
    // The secret shows as a fingerprint, differing; never copied.
    let secret = drift
        .rows
        .iter()
        .find(|r| r.key == "pinterest.secret")
        .unwrap();
    // A keyed fingerprint: the same secret shows the same one, and it is not
    // the secret's plain hash (which a guess could be tested against).
    let shown = &secret.from.as_ref().unwrap().value;
    let expected = pipeline::fingerprint(
        &s.keys,
        &domain::crypto::SecretString::new(APP_SECRET.into()),
    );
    assert_eq!(
        shown,
        &format!("{expected} (…{})", &APP_SECRET[APP_SECRET.len() - 4..])
    );
    let plain = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        APP_SECRET.as_bytes(),
    ));
    assert!(!shown.contains(&plain[..12]), "{shown}");
    assert!(
        secret
            .not_copyable
            .as_deref()
            .unwrap()
            .contains("never copied")
    );
    assert!(
        !drift
            .rows
            .iter()
            .find(|r| r.key == "api_key:Only dev")
            .unwrap()
            .copyable()
    );
    let json = serde_json::to_string(&drift).unwrap();
    assert_no_secret(&json, &secrets);
    assert_no_secret(&format!("{drift:?}"), &secrets);

    // Everything copyable but the old origin's removal.
    let items: Vec<String> = drift
        .rows
        .iter()
        .filter(|r| r.copyable() && r.key != "return_origin:https://old.example.com")
        .map(|r| r.key.clone())
        .collect();
    assert_eq!(items.len(), 6, "{items:?}");
    let plan = pipeline::plan(s, w.actor.workspace_id(), &w.env, &prod, &items)
        .await
        .unwrap();
    assert_eq!(plan.changes.len(), 6);
    assert_eq!(
        plan.secrets_needed.len(),
        1,
        "the new endpoint's signing secret: {:?}",
        plan.secrets_needed
    );
    assert_no_secret(&serde_json::to_string(&plan).unwrap(), &secrets);
    let promoted = pipeline::promote(
        s,
        &w.actor,
        PromoteRequest {
            from: w.env.clone(),
            to: prod.clone(),
            items,
            from_version: drift.from.version.clone(),
            to_version: drift.to.version.clone(),
            confirm: Some("Production".into()),
        },
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!(promoted.plan.changes.len(), 6);

    let after = pipeline::diff(s, &w.actor, &w.env, &prod).await.unwrap();
    assert_eq!(after.to.version, promoted.to_version);
    assert_eq!(
        after.from.version, drift.from.version,
        "the source is untouched"
    );
    // What was not chosen or cannot be copied still differs; nothing else does.
    let hook_token_after = key_of(&after, "http://127.0.0.1:9/hooks?…");
    assert_eq!(hook_token_after, hook_token);
    assert_eq!(
        differing(&after),
        [
            "api_key:Only dev",
            "pinterest.secret",
            "return_origin:https://old.example.com"
        ]
    );
    // The copied endpoint signs with a secret of its own.
    let prod_hooks =
        domain::db::repo::webhooks::list_endpoints(&s.db, w.actor.workspace_id(), &prod)
            .await
            .unwrap();
    let dev_hooks =
        domain::db::repo::webhooks::list_endpoints(&s.db, w.actor.workspace_id(), &w.env)
            .await
            .unwrap();
    let copied = prod_hooks
        .iter()
        .find(|e| e.url == HOOK_WITH_TOKEN)
        .unwrap();
    let original = dev_hooks.iter().find(|e| e.url == HOOK_WITH_TOKEN).unwrap();
    assert_ne!(copied.id, original.id);
    assert_ne!(copied.secret, original.secret);
    // The Pinterest secret stayed: Production still opens its own.
    let prod_settings = settings::find(&s.db, &w.actor, &prod)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(prod_settings.secret.fingerprint, "…9876");
    assert_eq!(prod_settings.api, PinterestApi::Production);

    // One audit record with the list of changes, and no secret.
    let records = promoted_records(&w).await;
    assert_eq!(records.len(), 1);
    let detail: serde_json::Value = serde_json::from_str(&records[0].detail).unwrap();
    assert_eq!(detail["changes"].as_array().unwrap().len(), 6);
    assert_eq!(detail["to_environment"]["name"], "Production");
    assert_eq!(records[0].environment_id.as_ref(), Some(&prod));
    assert_no_secret(&records[0].detail, &secrets);
    assert_no_secret(&records[0].target, &secrets);
}

#[tokio::test]
async fn a_change_since_the_view_was_drawn_refuses_the_promotion_and_changes_nothing() {
    let w = world().await;
    let s = &w.services;
    let (prod, _) = two_environments(&w).await;
    let drift = pipeline::diff(s, &w.actor, &w.env, &prod).await.unwrap();
    let request = |drift: &Drift| PromoteRequest {
        from: w.env.clone(),
        to: prod.clone(),
        items: vec!["pinterest.scopes".into()],
        from_version: drift.from.version.clone(),
        to_version: drift.to.version.clone(),
        confirm: Some("Production".into()),
    };

    // Someone adds an origin to Production after the view was drawn.
    links::set_origins(
        &s.db,
        &w.actor,
        &prod,
        vec!["https://app.example.com".into()],
        &meta(),
    )
    .await
    .unwrap();
    let changed = pipeline::diff(s, &w.actor, &w.env, &prod).await.unwrap();
    let refused = pipeline::promote(s, &w.actor, request(&drift), &meta()).await;
    assert!(
        matches!(&refused, Err(PipelineError::Stale(name)) if name == "Production"),
        "{refused:?}"
    );
    // And to Development.
    links::set_origins(
        &s.db,
        &w.actor,
        &w.env,
        vec!["https://dev.example.com".into()],
        &meta(),
    )
    .await
    .unwrap();
    let refused = pipeline::promote(s, &w.actor, request(&changed), &meta()).await;
    assert!(
        matches!(&refused, Err(PipelineError::Stale(name)) if name == "Development"),
        "{refused:?}"
    );
    let now = pipeline::diff(s, &w.actor, &w.env, &prod).await.unwrap();
    assert_eq!(now.to.version, changed.to.version, "nothing was written");
    assert!(promoted_records(&w).await.is_empty());

    // Two promotions from one view at once: one wins, the other is stale.
    let m = meta();
    let (a, b) = tokio::join!(
        pipeline::promote(s, &w.actor, request(&now), &m),
        pipeline::promote(s, &w.actor, request(&now), &m),
    );
    let wins = [&a, &b].iter().filter(|r| r.is_ok()).count();
    assert_eq!(wins, 1, "{a:?} {b:?}");
    assert!(
        [&a, &b]
            .iter()
            .any(|r| matches!(r, Err(PipelineError::Stale(_))))
    );
    assert_eq!(promoted_records(&w).await.len(), 1);
}

#[tokio::test]
async fn bad_requests_are_refused_with_a_clear_message_and_change_nothing() {
    let w = world().await;
    let s = &w.services;
    let (prod, _) = two_environments(&w).await;
    let drift = pipeline::diff(s, &w.actor, &w.env, &prod).await.unwrap();
    let request = |to: &EnvironmentId, items: &[&str], confirm: &str| PromoteRequest {
        from: w.env.clone(),
        to: to.clone(),
        items: items.iter().map(|i| (*i).to_owned()).collect(),
        from_version: drift.from.version.clone(),
        to_version: drift.to.version.clone(),
        confirm: Some(confirm.into()),
    };
    let m = meta();
    let promote = |r: PromoteRequest| pipeline::promote(s, &w.actor, r, &m);

    let onto_itself = promote(request(&w.env, &["pinterest.scopes"], "Development")).await;
    assert!(
        matches!(onto_itself, Err(PipelineError::SameEnvironment)),
        "{onto_itself:?}"
    );
    assert!(matches!(
        pipeline::diff(s, &w.actor, &w.env, &w.env).await,
        Err(PipelineError::SameEnvironment)
    ));

    // Another workspace's environment is no environment of this one.
    let other_ws = domain::accounts::workspaces::create(
        &s.db,
        w.actor.operator_id(),
        "Owner",
        &domain::accounts::WorkspaceName::parse("Globex").unwrap(),
        &meta(),
    )
    .await
    .unwrap();
    let other = domain::accounts::actor_in(&s.db, &other_ws, w.actor.operator_id())
        .await
        .unwrap();
    let foreign = environments::list(&s.db, &other).await.unwrap()[0]
        .id
        .clone();
    let refused = promote(request(&foreign, &["pinterest.scopes"], "Development")).await;
    assert!(
        matches!(refused, Err(PipelineError::NotFound)),
        "{refused:?}"
    );
    assert!(matches!(
        pipeline::diff(s, &w.actor, &w.env, &foreign).await,
        Err(PipelineError::NotFound)
    ));

    let empty = promote(request(&prod, &[], "Production")).await;
    assert!(
        matches!(empty, Err(PipelineError::EmptySelection)),
        "{empty:?}"
    );
    let unknown = promote(request(&prod, &["pinterest.nonsense"], "Production")).await;
    assert!(
        matches!(&unknown, Err(PipelineError::UnknownItem(k)) if k == "pinterest.nonsense"),
        "{unknown:?}"
    );
    let equal = promote(request(&prod, &["pinterest.app_id"], "Production")).await;
    assert!(
        matches!(equal, Err(PipelineError::UnknownItem(_))),
        "{equal:?}"
    );
    let secret = promote(request(&prod, &["pinterest.secret"], "Production")).await;
    assert!(
        matches!(&secret, Err(PipelineError::NotCopyable { .. })),
        "{secret:?}"
    );
    assert!(secret.unwrap_err().to_string().contains("never copied"));
    let wrong_name = promote(request(&prod, &["pinterest.scopes"], "production!")).await;
    assert!(
        matches!(&wrong_name, Err(PipelineError::Confirmation(n)) if n == "Production"),
        "{wrong_name:?}"
    );

    let after = pipeline::diff(s, &w.actor, &w.env, &prod).await.unwrap();
    assert_eq!(after.to.version, drift.to.version, "nothing was written");
    assert!(promoted_records(&w).await.is_empty());
}

async fn save_sign_in(w: &World, env: &EnvironmentId, client: &str, secret: &str, claim: &str) {
    use domain::agent::sign_in::{self, SignInInput};
    let input = SignInInput {
        issuer: "https://id.example.com".into(),
        client_id: client.into(),
        client_secret: Some(domain::crypto::SecretString::new(secret.into())),
        user_claim: claim.into(),
    };
    sign_in::save(&w.services, &w.actor, env, input, &meta())
        .await
        .unwrap();
}

#[tokio::test]
async fn agent_sign_in_settings_are_compared_and_copied_but_never_their_secret() {
    let w = world().await;
    let s = &w.services;
    let prod = production(&w).await;
    let secrets = [
        "sign-in-dev-secret".to_owned(),
        "sign-in-prod-secret".to_owned(),
    ];
    save_sign_in(&w, &w.env, "dev-client", &secrets[0], "sub").await;

    // Only Development has a provider: shown, not copyable (its secret is
    // entered in Production itself).
    let drift = pipeline::diff(s, &w.actor, &w.env, &prod).await.unwrap();
    let issuer = drift
        .rows
        .iter()
        .find(|r| r.key == "agent_sign_in.issuer")
        .unwrap();
    assert_eq!(
        issuer.from.as_ref().unwrap().value,
        "https://id.example.com"
    );
    assert!(issuer.to.is_none());
    assert!(
        issuer
            .not_copyable
            .as_deref()
            .unwrap()
            .contains("set up sign-in in Production first")
    );

    save_sign_in(&w, &prod, "prod-client", &secrets[1], "email").await;
    let drift = pipeline::diff(s, &w.actor, &w.env, &prod).await.unwrap();
    let sign_in: Vec<(&str, bool)> = drift
        .rows
        .iter()
        .filter(|r| r.key.starts_with("agent_sign_in."))
        .map(|r| (r.key.as_str(), r.equal))
        .collect();
    assert_eq!(
        sign_in,
        [
            ("agent_sign_in.issuer", true),
            ("agent_sign_in.client_id", false),
            ("agent_sign_in.user_claim", false),
            ("agent_sign_in.secret", false),
        ]
    );
    let items = vec![
        "agent_sign_in.client_id".to_owned(),
        "agent_sign_in.user_claim".to_owned(),
    ];
    let plan = pipeline::plan(s, w.actor.workspace_id(), &w.env, &prod, &items)
        .await
        .unwrap();
    assert_eq!(plan.secrets_needed.len(), 1, "{:?}", plan.secrets_needed);
    assert!(plan.secrets_needed[0].contains("sign-in client secret"));
    let json = serde_json::to_string(&(&drift, &plan)).unwrap();
    assert_no_secret(&json, &secrets);

    pipeline::promote(
        s,
        &w.actor,
        PromoteRequest {
            from: w.env.clone(),
            to: prod.clone(),
            items,
            from_version: drift.from.version.clone(),
            to_version: drift.to.version.clone(),
            confirm: Some("Production".into()),
        },
        &meta(),
    )
    .await
    .unwrap();
    let after = pipeline::diff(s, &w.actor, &w.env, &prod).await.unwrap();
    assert_eq!(
        after
            .differences()
            .filter(|r| r.key.starts_with("agent_sign_in."))
            .map(|r| r.key.as_str())
            .collect::<Vec<_>>(),
        ["agent_sign_in.secret"],
        "Production has no Pinterest app, so those rows differ too; sign-in now only by its secret"
    );
    let kept = domain::agent::sign_in::stored_secret(s, &prod)
        .await
        .unwrap();
    assert_eq!(kept.expose(), secrets[1], "Production keeps its own secret");
    let records = promoted_records(&w).await;
    assert_no_secret(&records[0].detail, &secrets);
}
