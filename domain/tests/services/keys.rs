//! The key ring over time: `keys status`, `keys rotate` and `keys retire` as
//! the domain runs them, on every kind of sealed value pinbridge stores.

use std::sync::Arc;

use domain::Services;
use domain::accounts::RequestMeta;
use domain::accounts::audit::{self, AuditFilter};
use domain::connections::tokens::{self, Refreshed};
use domain::connections::{TokenColumn, open_token};
use domain::crypto::KeyRing;
use domain::db::repo::connections as connection_rows;
use domain::db::repo::key_ring::{self as ring_rows, InstanceRow};
use domain::db::{Db, now_ms};
use domain::keys::{self, KeysError, SEALED, SealedKind};
use domain::pinterest::settings;
use domain::shared::{AuditAction, CheckOutcome, WebhookEventType};
use domain::testing::key_spec;
use domain::webhooks::endpoints::{self, EndpointInput};
use domain::webhooks::signing::{self, SecretColumn};

use crate::support::{World, world};

/// The world's ring is `k1` (byte 7); these add `k2` first, then drop `k1`.
fn ring(ids: &[(&str, u8)]) -> Arc<KeyRing> {
    Arc::new(KeyRing::parse(&key_spec(ids)).unwrap())
}

fn with_ring(services: &Services, ring: &Arc<KeyRing>) -> Services {
    Services {
        keys: ring.clone(),
        ..services.clone()
    }
}

/// Every text value in every table that starts with `prefix`, as `table.column`
/// (one entry per value): the catalogue [`SEALED`] must not miss a column.
async fn values_starting_with(db: &Db, prefix: &str) -> Vec<String> {
    let columns: Vec<(String, String)> = match db {
        Db::Sqlite(pool) => {
            let tables: Vec<(String,)> = sqlx::query_as(
                "select name from sqlite_master where type = 'table' and name not like 'sqlite_%'",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            let mut out = Vec::new();
            for (t,) in tables {
                let cols: Vec<(String,)> =
                    sqlx::query_as(&format!("select name from pragma_table_info('{t}')"))
                        .fetch_all(pool)
                        .await
                        .unwrap();
                out.extend(cols.into_iter().map(|(c,)| (t.clone(), c)));
            }
            out
        }
        Db::Postgres(pool) => sqlx::query_as(
            "select table_name::text, column_name::text from information_schema.columns \
             where table_schema = current_schema() and data_type in ('text', 'character varying')",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
    };
    let mut found = Vec::new();
    for (table, column) in columns {
        let sql = format!(
            "select count(*) from \"{table}\" where substr(cast(\"{column}\" as text), 1, {}) = $1",
            prefix.len()
        );
        let n: i64 = match db {
            Db::Sqlite(pool) => sqlx::query_scalar(&sql).bind(prefix).fetch_one(pool).await,
            Db::Postgres(pool) => sqlx::query_scalar(&sql).bind(prefix).fetch_one(pool).await,
        }
        .unwrap();
        for _ in 0..n {
            found.push(format!("{table}.{column}"));
        }
    }
    found.sort();
    found
}

/// Two connections, a webhook endpoint whose secret was rotated (two sealed
/// secrets), and an operator's two-factor enrolment, all sealed under `k1`.
struct Sealed {
    connections: Vec<domain::accounts::ConnectionId>,
    endpoint: domain::accounts::WebhookEndpointId,
    endpoint_secret: String,
    previous_secret: String,
    totp_secret: String,
    sign_in_secret: String,
}

async fn seal_one_of_everything(w: &World) -> Sealed {
    let a = w.connect("user-a").await;
    let b = w.connect("user-b").await;
    let types: Vec<String> = WebhookEventType::SUBSCRIBABLE
        .iter()
        // The audit stream is its own subscription (see audit_chain.rs).
        .filter(|t| **t != WebhookEventType::Audit)
        .map(|t| t.as_str().to_owned())
        .collect();
    let input = EndpointInput::parse("http://127.0.0.1:9/hook", "", &types, true, true).unwrap();
    let meta = RequestMeta::default();
    let created = endpoints::create(&w.services, &w.actor, &w.env, input, &meta)
        .await
        .unwrap();
    let rotated = endpoints::rotate_secret(&w.services, &w.actor, &w.env, &created.row.id, &meta)
        .await
        .unwrap();
    let enrolment = domain::accounts::two_factor::begin(
        &w.services.db,
        &w.services.keys,
        w.actor.operator_id(),
    )
    .await
    .unwrap();
    let sign_in_secret = "the-provider's-secret-9f8e".to_owned();
    domain::agent::sign_in::save(
        &w.services,
        &w.actor,
        &w.env,
        domain::agent::sign_in::SignInInput {
            issuer: "https://login.example.com".into(),
            client_id: "pinbridge".into(),
            client_secret: Some(domain::crypto::SecretString::new(sign_in_secret.clone())),
            user_claim: "sub".into(),
        },
        &meta,
    )
    .await
    .unwrap();
    Sealed {
        connections: vec![a.connection_id, b.connection_id],
        endpoint: created.row.id,
        endpoint_secret: rotated.secret.expose().to_owned(),
        previous_secret: created.secret.expose().to_owned(),
        totp_secret: enrolment.secret.expose().to_owned(),
        sign_in_secret,
    }
}

/// Opens every value of `sealed` with `services`' ring through the code that
/// uses it, and asks Pinterest (the simulator) to accept the App secret.
async fn everything_opens(w: &World, services: &Services, sealed: &Sealed) {
    let ws = w.actor.workspace_id();
    for id in &sealed.connections {
        let row = connection_rows::find_by_id(&services.db, id)
            .await
            .unwrap()
            .unwrap();
        for (column, stored) in [
            (TokenColumn::Access, row.access_token.as_deref().unwrap()),
            (TokenColumn::Refresh, row.refresh_token.as_deref().unwrap()),
        ] {
            open_token(&services.keys, ws, id, column, stored).expect("the token opens");
        }
    }
    let endpoint = domain::db::repo::webhooks::find_endpoint(&services.db, ws, &sealed.endpoint)
        .await
        .unwrap()
        .unwrap();
    let current = signing::open(
        &services.keys,
        ws,
        &sealed.endpoint,
        SecretColumn::Current,
        &endpoint.secret,
    )
    .unwrap();
    assert_eq!(current.expose(), sealed.endpoint_secret);
    let previous = signing::open(
        &services.keys,
        ws,
        &sealed.endpoint,
        SecretColumn::Previous,
        endpoint.previous_secret.as_deref().unwrap(),
    )
    .unwrap();
    assert_eq!(previous.expose(), sealed.previous_secret);
    let pending =
        domain::accounts::two_factor::pending(&services.db, &services.keys, w.actor.operator_id())
            .await
            .unwrap()
            .expect("the enrolment is still there");
    assert_eq!(pending.secret.expose(), sealed.totp_secret);
    let sign_in = domain::agent::sign_in::stored_secret(services, &w.env)
        .await
        .expect("the sign-in secret opens");
    assert_eq!(sign_in.expose(), sealed.sign_in_secret);
    let checked = settings::check_credentials(services, &w.actor, &w.env, &RequestMeta::default())
        .await
        .unwrap();
    assert_eq!(
        checked.last_check.map(|c| c.outcome),
        Some(CheckOutcome::Accepted),
        "Pinterest accepts the App secret opened with the new ring"
    );
}

#[tokio::test]
async fn a_rotation_reseals_every_kind_of_value_and_the_old_key_can_then_leave() {
    let w = world().await;
    let sealed = seal_one_of_everything(&w).await;
    let db = &w.services.db;
    // As `serve` records it at start-up.
    domain::key_check::record_primary(db, &w.services.keys)
        .await
        .unwrap();
    let before = values_starting_with(db, "pb1:k1:").await;
    // The catalogue names every column that holds a sealed value.
    let catalogued: Vec<String> = SEALED
        .iter()
        .map(|c| format!("{}.{}", c.table, c.column))
        .collect();
    for place in &before {
        assert!(
            place == "key_canaries.sealed" || catalogued.contains(place),
            "{place} holds a sealed value that `keys rotate` does not know"
        );
    }
    assert_eq!(before.len(), 1 + 1 + 1 + 4 + 2 + 1, "{before:?}");

    let both = ring(&[("k2", 9), ("k1", 7)]);
    let status = keys::status(db, &both).await.unwrap();
    assert_eq!(status.count_for("k1"), 9);
    assert_eq!(status.count_for("k2"), 0);
    let k1 = status.keys.iter().find(|k| k.key_id == "k1").unwrap();
    assert_eq!(k1.by_kind.get(&SealedKind::Token), Some(&4));
    assert_eq!(k1.by_kind.get(&SealedKind::WebhookSecret), Some(&2));
    assert_eq!(k1.by_kind.get(&SealedKind::PinterestSecret), Some(&1));
    assert_eq!(k1.by_kind.get(&SealedKind::SignInSecret), Some(&1));
    assert_eq!(k1.by_kind.get(&SealedKind::TwoFactorSecret), Some(&1));
    // Too early: values use k1; k2 seals; k9 is not in the ring.
    assert!(matches!(
        keys::check_retire(db, &both, "k1").await,
        Err(KeysError::StillInUse { count: 9, .. })
    ));
    assert!(matches!(
        keys::check_retire(db, &both, "k2").await,
        Err(KeysError::Primary(_))
    ));
    assert!(matches!(
        keys::check_retire(db, &both, "k9").await,
        Err(KeysError::NotInRing(_))
    ));

    let mut seen = Vec::new();
    let report = keys::rotate(db, &both, 3, "cli", &mut |p| seen.push(p))
        .await
        .unwrap();
    assert_eq!(report.resealed, 9);
    assert_eq!(report.remaining, 0);
    assert_eq!(seen.last().map(|p| (p.done, p.total)), Some((9, 9)));
    assert!(seen.len() >= 4, "progress in batches of 3: {seen:?}");
    assert_eq!(
        values_starting_with(db, "pb1:k1:").await,
        ["key_canaries.sealed"],
        "nothing but k1's canary is still under k1"
    );
    assert_eq!(values_starting_with(db, "pb1:k2:").await.len(), 10);
    // Running it again finds nothing to do.
    let again = keys::rotate(db, &both, 3, "cli", &mut |_| {})
        .await
        .unwrap();
    assert_eq!((again.resealed, again.remaining), (0, 0));

    // k1 may now leave: until its canary goes, start-up still asks for it.
    let k2_only = ring(&[("k2", 9)]);
    assert!(
        domain::key_check::check_canaries(db, &k2_only)
            .await
            .is_err()
    );
    keys::check_retire(db, &both, "k1").await.unwrap();
    keys::retired(db, "k1", "cli").await.unwrap();
    domain::key_check::check_canaries(db, &k2_only)
        .await
        .expect("start-up accepts the ring without k1");
    everything_opens(&w, &with_ring(&w.services, &k2_only), &sealed).await;

    // Audited in the workspace (its 8 values; the operator's 2FA secret belongs
    // to no workspace) and installation-wide, never with key material.
    let events = audit::list(
        db,
        &w.actor,
        &AuditFilter {
            action: Some(AuditAction::SecretsResealed),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    let resealed: Vec<_> = events
        .events
        .iter()
        .filter(|e| e.action == AuditAction::SecretsResealed)
        .collect();
    assert_eq!(resealed.len(), 1);
    assert!(
        resealed[0].detail.contains("\"values\":8"),
        "{:?}",
        resealed[0]
    );
    let ring_events = ring_rows::recent_events(db, 10).await.unwrap();
    let actions: Vec<&str> = ring_events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "key.retired",
            "rotation.finished",
            "rotation.started",
            "rotation.finished",
            "rotation.started"
        ]
    );
    let material = key_spec(&[("k2", 9), ("k1", 7)]);
    for e in &ring_events {
        for part in material.split([',', ':']) {
            assert!(!e.detail.contains(part) || part.len() < 8, "{e:?}");
        }
    }
    w.stop().await;
}

fn instance(key_ids: &str, seen_at: i64) -> InstanceRow {
    InstanceRow {
        id: uuid::Uuid::now_v7().to_string(),
        host: "web-1".into(),
        pid: 4242,
        version: "0.1.0".into(),
        key_ids: key_ids.into(),
        started_at: seen_at,
        seen_at,
    }
}

#[tokio::test]
async fn a_serving_instance_without_the_new_key_stops_a_rotation_before_it_changes_anything() {
    let w = world().await;
    w.connect("user-a").await;
    let db = &w.services.db;
    let both = ring(&[("k2", 9), ("k1", 7)]);
    let stale = instance("k1", now_ms() - 60_000);
    ring_rows::upsert_instance(db, &stale).await.unwrap();
    let old = instance("k1", now_ms());
    ring_rows::upsert_instance(db, &old).await.unwrap();
    let err = keys::rotate(db, &both, 100, "cli", &mut |_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, KeysError::InstanceLacksKey { .. }), "{err}");
    assert!(err.to_string().contains("web-1 (pid 4242"), "{err}");
    assert!(err.to_string().contains("does not have key k2"), "{err}");
    assert_eq!(keys::status(db, &both).await.unwrap().count_for("k1"), 3);
    assert_eq!(
        values_starting_with(db, "pb1:k2:").await.len(),
        0,
        "no canary either"
    );

    // Restarted with the new ring (first k2): the rotation goes ahead, and
    // retiring k1 is refused only while an instance still seals with it.
    ring_rows::upsert_instance(
        db,
        &InstanceRow {
            key_ids: "k2,k1".into(),
            ..old.clone()
        },
    )
    .await
    .unwrap();
    let report = keys::rotate(db, &both, 100, "cli", &mut |_| {})
        .await
        .unwrap();
    assert_eq!(report.resealed, 3);
    let sealing_with_k1 = instance("k1,k2", now_ms());
    ring_rows::upsert_instance(db, &sealing_with_k1)
        .await
        .unwrap();
    assert!(matches!(
        keys::check_retire(db, &both, "k1").await,
        Err(KeysError::InstanceSealsWith { .. })
    ));
    ring_rows::delete_instance(db, &sealing_with_k1.id)
        .await
        .unwrap();
    keys::check_retire(db, &both, "k1").await.unwrap();
    w.stop().await;
}

#[tokio::test]
async fn refreshes_during_a_rotation_are_kept_and_their_tokens_still_work() {
    let w = world().await;
    let mut ids = Vec::new();
    for i in 0..12 {
        ids.push(w.connect(&format!("user-{i}")).await.connection_id);
    }
    let both = ring(&[("k2", 9), ("k1", 7)]);
    let serving = with_ring(&w.services, &both);
    let db = &w.services.db;

    // The fence, step by step: a rotation reads a token, a refresh stores a new
    // pair, and the rotation's write of the old token is refused.
    let refresh = SEALED
        .iter()
        .find(|c| c.table == "connections" && c.column == "refresh_token")
        .unwrap();
    let page = ring_rows::page_not_under(db, &refresh.at(), "pb1:k2:", "", 100)
        .await
        .unwrap();
    let first = page.iter().find(|r| r.pk == ids[0].as_str()).unwrap();
    let row = connection_rows::find_by_id(db, &ids[0])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        tokens::refresh_now(&serving, &row).await.unwrap(),
        Some(Refreshed::Stored)
    );
    let refreshed = connection_rows::find_by_id(db, &ids[0])
        .await
        .unwrap()
        .unwrap();
    let mut tx = db.begin().await.unwrap();
    let resealed = both.seal(
        b"stale",
        domain::crypto::Aad {
            table: "connections",
            column: "refresh_token",
            row: "x",
        },
    );
    assert!(
        !ring_rows::replace_tx(
            &mut tx,
            &refresh.at(),
            &first.pk,
            &first.value,
            resealed.unwrap().as_stored()
        )
        .await
        .unwrap()
    );
    tx.commit().await.unwrap();
    let after = connection_rows::find_by_id(db, &ids[0])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.refresh_token, refreshed.refresh_token);

    // And at scale: every connection refreshed three times while a rotation
    // works through them one value per batch.
    let refreshing = {
        let serving = serving.clone();
        let ids = ids.clone();
        tokio::spawn(async move {
            let mut stored = 0;
            for _ in 0..3 {
                for id in &ids {
                    let row = connection_rows::find_by_id(&serving.db, id)
                        .await
                        .unwrap()
                        .unwrap();
                    if tokens::refresh_now(&serving, &row).await.unwrap() == Some(Refreshed::Stored)
                    {
                        stored += 1;
                    }
                }
            }
            stored
        })
    };
    let mut rounds = 0;
    loop {
        let report = keys::rotate(db, &both, 1, "cli", &mut |_| {})
            .await
            .unwrap();
        rounds += 1;
        if refreshing.is_finished() && report.resealed == 0 {
            break;
        }
    }
    assert_eq!(
        refreshing.await.unwrap(),
        36,
        "every refresh stored its tokens"
    );
    assert!(rounds >= 1);
    assert_eq!(keys::status(db, &both).await.unwrap().count_for("k1"), 0);

    // Nothing was lost: with only k2, every connection refreshes once more,
    // which Pinterest allows only with the refresh token it issued last.
    let k2_only = with_ring(&w.services, &ring(&[("k2", 9)]));
    for id in &ids {
        let row = connection_rows::find_by_id(db, id).await.unwrap().unwrap();
        assert_eq!(
            tokens::refresh_now(&k2_only, &row).await.unwrap(),
            Some(Refreshed::Stored),
            "connection {id}"
        );
    }
    w.stop().await;
}
