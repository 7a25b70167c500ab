//! Upgrades: a database made by the first released schema (the 20261128
//! migrations) is migrated when the current pinbridge starts on it, and its
//! rows all read; a database that a newer pinbridge migrated is refused, with
//! one line and nothing changed. On the backend `PINBRIDGE_TEST_BACKEND` names.

use std::borrow::Cow;

use domain::accounts::{ConnectionId, EnvironmentId, Hasher, NewPassword, OperatorId, WorkspaceId};
use domain::connections::{TokenColumn, open_token, seal_token, tokens};
use domain::crypto::{Aad, KeyRing, SecretString};
use domain::db::{Backend, Db, known_schema_version, now_ms, on_pool, repo};
use sqlx::migrate::Migrator;

use super::startup::pinbridge;
use crate::common::portal::{Browser, PASSWORD};
use crate::common::{TestApp, TestBackend, TestDb, backend, key_spec, snapshot, stderr};

/// The day of the first release: its migrations are the first schema.
const FIRST_RELEASE: i64 = 20261128;

/// The migrations of the first release only, as that version applied them.
fn first_release() -> Migrator {
    let mut migrator = match backend() {
        TestBackend::Sqlite => sqlx::migrate!("../migrations/sqlite"),
        TestBackend::Postgres => sqlx::migrate!("../migrations/postgres"),
    };
    let first: Vec<_> = migrator
        .iter()
        .filter(|m| m.version / 1_000_000 == FIRST_RELEASE)
        .cloned()
        .collect();
    assert_eq!(first.len(), 4, "the first release had four migrations");
    migrator.migrations = Cow::Owned(first);
    migrator
}

fn this_backend() -> Backend {
    match backend() {
        TestBackend::Sqlite => Backend::Sqlite,
        TestBackend::Postgres => Backend::Postgres,
    }
}

/// What the first release stored for one workspace, written with its SQL.
struct OldRows {
    workspace: WorkspaceId,
    environment: EnvironmentId,
    connection: ConnectionId,
    email: &'static str,
    client_secret: &'static str,
    access_token: &'static str,
    refresh_token: &'static str,
}

async fn insert_old_rows(db: &Db, ring: &KeyRing) -> OldRows {
    let rows = OldRows {
        workspace: WorkspaceId::generate(),
        environment: EnvironmentId::generate(),
        connection: ConnectionId::generate(),
        email: "ada@old.example",
        client_secret: "first-release-app-secret-9f3a",
        access_token: "pina_first_release_access_token_0001",
        refresh_token: "pinr_first_release_refresh_token_0001",
    };
    let now = now_ms();
    let operator = OperatorId::generate();
    let email = domain::accounts::Email::parse(rows.email).unwrap();
    let password = NewPassword::parse(PASSWORD, &email, None).unwrap();
    let password_hash = Hasher::fast_insecure().hash(&password).await.unwrap();
    let production = EnvironmentId::generate();
    let binding = format!("{}/{}", rows.workspace, rows.environment);
    let sealed_secret = ring
        .seal_str(
            rows.client_secret,
            Aad {
                table: "pinterest_settings",
                column: "client_secret",
                row: &binding,
            },
        )
        .unwrap();
    let seal = |column, token: &str| {
        seal_token(
            ring,
            &rows.workspace,
            &rows.connection,
            column,
            &SecretString::new(token.to_owned()),
        )
        .unwrap()
    };
    let access = seal(TokenColumn::Access, rows.access_token);
    let refresh = seal(TokenColumn::Refresh, rows.refresh_token);
    let day = 86_400_000;
    on_pool!(db, pool => {
        sqlx::query("insert into workspaces (id, name, name_folded, created_at) values ($1, 'Old Acme', 'old acme', $2)")
            .bind(rows.workspace.as_str()).bind(now).execute(pool).await.unwrap();
        sqlx::query("insert into operators (id, email, display_name, password_hash, created_at) values ($1, $2, 'Ada Old', $3, $4)")
            .bind(operator.as_str()).bind(rows.email).bind(password_hash.as_phc()).bind(now)
            .execute(pool).await.unwrap();
        sqlx::query("insert into memberships (workspace_id, operator_id, role, created_at) values ($1, $2, 'owner', $3)")
            .bind(rows.workspace.as_str()).bind(operator.as_str()).bind(now).execute(pool).await.unwrap();
        for (id, name, slug) in [(&rows.environment, "Development", "development"), (&production, "Production", "production")] {
            sqlx::query("insert into environments (id, workspace_id, name, name_folded, slug, created_at) values ($1, $2, $3, $4, $5, $6)")
                .bind(id.as_str()).bind(rows.workspace.as_str()).bind(name).bind(name.to_lowercase()).bind(slug).bind(now)
                .execute(pool).await.unwrap();
        }
        sqlx::query(
            "insert into pinterest_settings (environment_id, workspace_id, client_id, client_secret, secret_last4, \
             secret_set_by, secret_set_at, scopes, api, enabled, version, updated_by, updated_at) \
             values ($1, $2, '1234567', $3, '9f3a', $4, $5, 'user_accounts:read boards:read pins:read', 'production', $6, 1, $4, $5)",
        )
        .bind(rows.environment.as_str()).bind(rows.workspace.as_str()).bind(sealed_secret.as_stored())
        .bind(rows.email).bind(now).bind(true)
        .execute(pool).await.unwrap();
        sqlx::query(
            "insert into connections (id, workspace_id, environment_id, end_user_id, display_name, account_id, \
             account_username, account_type, scopes_granted, scopes_required, access_token, refresh_token, \
             access_expires_at, refresh_expires_at, token_version, health, health_reason, health_since, \
             created_at, authorized_at, next_refresh_at, next_probe_at) \
             values ($1, $2, $3, 'user-1', 'Old Customer', '4242', 'old_pinner', 'BUSINESS', \
             'user_accounts:read boards:read pins:read', 'user_accounts:read boards:read pins:read', $4, $5, \
             $6, $7, 1, 'active', 'Authorized by the end user.', $8, $8, $8, $6, $9)",
        )
        .bind(rows.connection.as_str()).bind(rows.workspace.as_str()).bind(rows.environment.as_str())
        .bind(&access).bind(&refresh).bind(now + 30 * day).bind(now + 365 * day).bind(now).bind(now + day)
        .execute(pool).await.unwrap();
        sqlx::query(
            "insert into audit_events (id, workspace_id, actor_label, action, target, created_at) \
             values ($1, $2, 'cli', 'workspace.created', 'Old Acme', $3)",
        )
        .bind(uuid::Uuid::now_v7().to_string()).bind(rows.workspace.as_str()).bind(now)
        .execute(pool).await.unwrap();
    });
    domain::key_check::record_primary(db, ring).await.unwrap();
    rows
}

#[tokio::test]
async fn a_database_of_the_first_release_is_migrated_on_start_and_its_rows_all_read() {
    let keys = key_spec(&[("k1", 1)]);
    let ring = KeyRing::parse(&keys).unwrap();
    let test_db = TestDb::new().await;
    let old = Db::connect(&test_db.url).await.unwrap();
    on_pool!(&old, pool => first_release().run(pool).await).unwrap();
    let rows = insert_old_rows(&old, &ring).await;
    let first_version = repo::schema::latest_applied(&old).await.unwrap().unwrap();
    assert_eq!(first_version / 1_000_000, FIRST_RELEASE);
    old.close().await;

    // The current pinbridge starts on it: migrations, key check, served. (On
    // PostgreSQL the harness passes these same keys itself.)
    let extra: &[&str] = match backend() {
        TestBackend::Sqlite => &["--encryption-keys", &keys],
        TestBackend::Postgres => &[],
    };
    let app = TestApp::spawn_on(test_db, extra).await;
    let db = &app.state().db;
    assert_eq!(
        repo::schema::latest_applied(db).await.unwrap(),
        Some(known_schema_version(this_backend())),
        "migrated to this version's schema"
    );

    // The operator signs in with the password of old and sees the workspace.
    let browser = Browser::new(&app);
    browser.sign_in(rows.email, PASSWORD).await.unwrap();
    let ws = rows.workspace.to_string();
    let view = browser.workspace(&ws).await.unwrap();
    let environments: Vec<&str> = view.environments.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(environments, ["Development", "Production"]);

    // The Pinterest settings show, and their sealed secret opens.
    let page: app::models::PinterestPageView = browser
        .call(
            "pinterest/view",
            &[("workspace", &ws), ("environment", "development")],
        )
        .await
        .unwrap();
    let settings = page.settings.expect("the settings of old");
    assert_eq!(settings.client_id, "1234567");
    assert_eq!(settings.secret_fingerprint, "…9f3a");
    assert!(settings.enabled);
    let stored = repo::pinterest_settings::find(db, &rows.workspace, &rows.environment)
        .await
        .unwrap()
        .unwrap();
    let binding = format!("{}/{}", rows.workspace, rows.environment);
    let secret = app
        .state()
        .keys
        .open_str(
            &domain::crypto::Sealed::from_stored(stored.client_secret),
            Aad {
                table: "pinterest_settings",
                column: "client_secret",
                row: &binding,
            },
        )
        .unwrap();
    assert_eq!(secret.expose(), rows.client_secret);

    // The connection shows, and its tokens open (the access token as a caller gets it).
    let detail: app::models::ConnectionDetailView = browser
        .call(
            "connection/view",
            &[
                ("workspace", &ws),
                ("environment", "development"),
                ("connection", rows.connection.as_str()),
            ],
        )
        .await
        .unwrap();
    assert_eq!(detail.row.username, "old_pinner");
    assert_eq!(detail.account_id, "4242");
    let access = tokens::fresh_access_token(app.state(), &rows.connection)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(access.expose(), rows.access_token);
    let row = repo::connections::find_by_id(db, &rows.connection)
        .await
        .unwrap()
        .unwrap();
    let refresh = open_token(
        &app.state().keys,
        &rows.workspace,
        &rows.connection,
        TokenColumn::Refresh,
        row.refresh_token.as_deref().unwrap(),
    )
    .unwrap();
    assert_eq!(refresh.expose(), rows.refresh_token);
    app.stop().await;
}

#[tokio::test]
async fn a_database_migrated_by_a_newer_pinbridge_is_refused_and_left_as_it_is() {
    let db = TestDb::new().await;
    let run_dir = db.dir.path().join("run");
    std::fs::create_dir(&run_dir).unwrap();
    let keys = key_spec(&[("k1", 1)]);
    let run = |args: &[&str]| {
        pinbridge(&run_dir)
            .env("PINBRIDGE_DATABASE_URL", &db.url)
            .env("PINBRIDGE_ENCRYPTION_KEYS", &keys)
            .env(
                "PINBRIDGE_LISTEN_ADDR",
                format!("127.0.0.1:{}", crate::common::free_port()),
            )
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["migrate"]);
    assert!(out.status.success(), "{}", stderr(&out));

    // A later pinbridge added a migration this one does not have.
    const FUTURE: i64 = 99_991_231_000_001;
    let conn = Db::connect(&db.url).await.unwrap();
    on_pool!(&conn, pool => {
        sqlx::query("insert into _sqlx_migrations (version, description, success, checksum, execution_time) values ($1, 'from a later pinbridge', $2, $3, 1)")
            .bind(FUTURE).bind(true).bind(vec![7u8; 48])
            .execute(pool).await.unwrap();
    });
    let state = || async {
        let conn = Db::connect(&db.url).await.unwrap();
        let versions: Vec<(i64,)> = on_pool!(&conn, pool => {
            sqlx::query_as("select version from _sqlx_migrations order by version").fetch_all(pool).await
        })
        .unwrap();
        conn.close().await;
        versions
    };
    conn.close().await;
    let versions_before = state().await;
    let files_before = snapshot(db.dir.path());

    let expected = format!(
        "pinbridge: PINBRIDGE_DATABASE_URL (--database-url): the database was migrated by a newer \
         pinbridge (schema version {FUTURE}; this pinbridge knows up to {}): run that version or \
         newer, or restore a backup made for this version",
        known_schema_version(this_backend())
    );
    for args in [&["serve"][..], &["migrate"]] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(
            err.lines().last(),
            Some(expected.as_str()),
            "{args:?}: {err}"
        );
        assert_eq!(
            err.lines().filter(|l| l.starts_with("pinbridge: ")).count(),
            1,
            "{err}"
        );
    }
    assert_eq!(state().await, versions_before, "no migration applied");
    if backend() == TestBackend::Sqlite {
        assert_eq!(
            snapshot(db.dir.path()),
            files_before,
            "nothing on disk changed"
        );
    }
    db.drop_database().await;
}
