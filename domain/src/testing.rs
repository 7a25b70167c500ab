//! For tests of this crate and the crates above it (feature `testing`): a
//! database of its own per test, on the backend `PINBRIDGE_TEST_BACKEND` names
//! (`sqlite`, the default, or `postgres` at `PINBRIDGE_TEST_POSTGRES_URL`).

use base64::Engine;

use crate::db::Db;

pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestBackend {
    Sqlite,
    Postgres,
}

pub fn backend() -> TestBackend {
    match std::env::var("PINBRIDGE_TEST_BACKEND").as_deref() {
        Ok("postgres") => TestBackend::Postgres,
        _ => TestBackend::Sqlite,
    }
}

pub fn postgres_base_url() -> String {
    std::env::var("PINBRIDGE_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.into())
}

/// A database of its own for one test, removed by [`TestDb::drop_database`].
pub struct TestDb {
    pub url: String,
    pub dir: tempfile::TempDir,
    pg_name: Option<String>,
}

impl TestDb {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        match backend() {
            TestBackend::Sqlite => Self {
                url: format!("sqlite://{}", dir.path().join("pinbridge.db").display()),
                dir,
                pg_name: None,
            },
            TestBackend::Postgres => {
                let name = format!("pinbridge_test_{}", uuid::Uuid::new_v4().simple());
                let admin = admin_pool().await;
                sqlx::query(&format!("create database {name}"))
                    .execute(&admin)
                    .await
                    .expect("create test database");
                admin.close().await;
                Self {
                    url: with_database(&postgres_base_url(), &name),
                    dir,
                    pg_name: Some(name),
                }
            }
        }
    }

    /// Another handle on the same database (a second process's view): it does
    /// not drop the database when dropped.
    pub fn sharing(&self) -> Self {
        Self {
            url: self.url.clone(),
            dir: tempfile::tempdir().expect("temp dir"),
            pg_name: None,
        }
    }

    /// Connects and migrates.
    pub async fn connect(&self) -> Db {
        let db = Db::connect(&self.url).await.expect("connect");
        db.migrate().await.expect("migrate");
        db
    }

    pub async fn drop_database(&self) {
        if let Some(name) = &self.pg_name {
            let admin = admin_pool().await;
            let _ = sqlx::query(&format!("drop database if exists {name} with (force)"))
                .execute(&admin)
                .await;
            admin.close().await;
        }
    }
}

async fn admin_pool() -> sqlx::PgPool {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&postgres_base_url())
        .await
        .expect("PostgreSQL for tests (PINBRIDGE_TEST_POSTGRES_URL)")
}

fn with_database(base: &str, name: &str) -> String {
    let mut url = url::Url::parse(base).expect("PINBRIDGE_TEST_POSTGRES_URL is a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// Keys in the `id:base64` form, one per `(id, byte)`: 32 bytes of `byte` each.
pub fn key_spec(ids: &[(&str, u8)]) -> String {
    ids.iter()
        .map(|(id, byte)| {
            format!(
                "{id}:{}",
                base64::engine::general_purpose::STANDARD.encode([*byte; 32])
            )
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// An active connection of `end_user_id` in the environment, as the handshake
/// would store it but without tokens: for tests that need connections to exist
/// (store it with `db::repo::connections::insert`; add sealed tokens to refresh it).
pub fn connection_row(
    workspace_id: &crate::accounts::WorkspaceId,
    environment_id: &crate::accounts::EnvironmentId,
    end_user_id: &str,
) -> crate::db::repo::connections::ConnectionRow {
    let now = crate::db::now_ms();
    crate::db::repo::connections::ConnectionRow {
        id: crate::accounts::ConnectionId::generate(),
        workspace_id: workspace_id.clone(),
        environment_id: environment_id.clone(),
        end_user_id: end_user_id.to_owned(),
        display_name: None,
        account_id: "1".into(),
        account_username: "demo_pinner".into(),
        account_type: "PINNER".into(),
        scopes_granted: "user_accounts:read boards:read pins:read".into(),
        scopes_required: "user_accounts:read boards:read pins:read".into(),
        access_token: None,
        refresh_token: None,
        access_expires_at: None,
        refresh_expires_at: None,
        token_version: 1,
        health: crate::shared::Health::Active,
        health_reason: "Authorized by the end user.".into(),
        health_since: now,
        created_at: now,
        authorized_at: now,
        last_refresh_at: None,
        refresh_count: 0,
        next_refresh_at: None,
        refresh_failures: 0,
        last_refresh_error: None,
        next_probe_at: None,
        last_probe_at: None,
        account_mismatch: None,
        lease_owner: None,
        lease_until: None,
        lease_fence: 0,
    }
}

/// Stores [`connection_row`]s for `end_user_ids`; answers their ids.
pub async fn insert_connections(
    db: &Db,
    workspace_id: &crate::accounts::WorkspaceId,
    environment_id: &crate::accounts::EnvironmentId,
    end_user_ids: &[&str],
) -> Vec<crate::accounts::ConnectionId> {
    let mut tx = db.begin().await.expect("begin");
    let mut ids = Vec::new();
    for end_user in end_user_ids {
        let row = connection_row(workspace_id, environment_id, end_user);
        crate::db::repo::connections::insert(&mut tx, &row)
            .await
            .expect("insert connection");
        ids.push(row.id);
    }
    tx.commit().await.expect("commit");
    ids
}

/// The domain's services on `db`, with a fixed test key ring, the public URL
/// `public_url`, and Pinterest (OAuth, API, sandbox) at `pinterest`, typically
/// a `pinterest-sim` on 127.0.0.1.
pub fn services(db: Db, public_url: &str, pinterest: &str) -> crate::Services {
    use std::sync::Arc;
    use std::time::Duration;
    let timeout = Duration::from_secs(5);
    crate::Services {
        db,
        keys: Arc::new(
            crate::crypto::KeyRing::parse(&key_spec(&[("k1", 7)])).expect("a test key ring"),
        ),
        config: Arc::new(crate::PortalConfig {
            public_url: public_url.to_owned(),
            pinterest_oauth_url: pinterest.to_owned(),
            pinterest_api_url: pinterest.to_owned(),
            pinterest_sandbox_api_url: pinterest.to_owned(),
            pinterest_timeout: timeout,
            health_check_interval: Duration::from_secs(86_400),
            accounts: Default::default(),
            webhooks: webhook_policy(),
            agent_documents_allow_private: true,
        }),
        hasher: crate::accounts::Hasher::fast_insecure(),
        http: crate::services::pinterest_http_client(timeout),
        api: Arc::default(),
        webhooks: Arc::new(crate::webhooks::Runtime::new(&webhook_policy())),
    }
}

/// Webhooks as tests deliver them: to receivers on 127.0.0.1, retried within
/// seconds rather than hours.
pub fn webhook_policy() -> crate::webhooks::WebhookPolicy {
    crate::webhooks::WebhookPolicy {
        allow_private: true,
        timeout: std::time::Duration::from_secs(2),
        ..Default::default()
    }
    .quick_retries()
}

/// Writes `count` `connection.state_changed` events of `connections` (round robin,
/// so each connection's events must go out in order) to every endpoint of the
/// environment subscribed to `connection.state_changed`, in batches of 500 per
/// transaction, as the outbox would hold them after that many changes.
/// Answers the event ids in the order they were written.
pub async fn seed_webhook_events(
    db: &Db,
    workspace_id: &crate::accounts::WorkspaceId,
    environment_id: &crate::accounts::EnvironmentId,
    connections: &[crate::accounts::ConnectionId],
    count: usize,
) -> Vec<crate::accounts::WebhookEventId> {
    use crate::shared::WebhookEventType;
    let kind = WebhookEventType::ConnectionStateChanged;
    let mut ids = Vec::with_capacity(count);
    let mut n = 0;
    while n < count {
        let mut tx = db.begin().await.expect("begin");
        let endpoints = crate::db::repo::webhooks::subscribed_tx(&mut tx, environment_id, kind)
            .await
            .expect("subscribed endpoints");
        for _ in 0..500.min(count - n) {
            let connection = &connections[n % connections.len()];
            let data = serde_json::json!({ "connection": { "id": connection }, "seeded": n });
            let now = crate::db::now_ms();
            let id = crate::webhooks::events::write_tx(
                &mut tx,
                workspace_id,
                environment_id,
                Some(connection),
                kind,
                data,
                &endpoints,
                now,
            )
            .await
            .expect("write event");
            ids.push(id);
            n += 1;
        }
        tx.commit().await.expect("commit");
    }
    ids
}
