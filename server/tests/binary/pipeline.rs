//! `pinbridge env diff` and `pinbridge env promote` as an operator or a
//! script runs them: text and JSON, a dry run that changes nothing, `--apply`
//! with and without versions from the dry run, and every way to get it wrong.
//! No secret is ever printed.

use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use crate::common::{TestDb, key_spec, stderr, stdout};
use domain::accounts::{
    AuditAction, RequestMeta, WorkspaceName, actor_in, environments, workspaces,
};
use domain::crypto::KeyRing;
use domain::db::repo::audit_events::{self, AuditQuery};
use domain::pinterest::settings::{self, SaveRequest};
use domain::pinterest::{ClientId, NewSecret, PinterestApi, ScopeSet};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_pinbridge");
const DEV_SECRET: &str = "cli-dev-secret-77777";
const PROD_SECRET: &str = "cli-prod-secret-88888";

struct Install {
    db: TestDb,
}

impl Install {
    /// Acme, its owner, and Pinterest configured in Development (three
    /// scopes) and Production (two), each with its own secret.
    async fn new() -> Self {
        let install = Self {
            db: TestDb::new().await,
        };
        let out = install.run(&[
            "operator",
            "create",
            "--workspace",
            "Acme",
            "--email",
            "owner@acme.example",
            "--role",
            "owner",
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        let db = install.db.connect().await;
        let mut services =
            domain::testing::services(db, "http://127.0.0.1:9", "http://127.0.0.1:9");
        services.keys = Arc::new(KeyRing::parse(&key_spec(&[("k1", 1)])).unwrap());
        let ws = workspaces::find_by_name(&services.db, &WorkspaceName::parse("Acme").unwrap())
            .await
            .unwrap()
            .unwrap();
        let mut tx = services.db.begin().await.unwrap();
        let owner = domain::db::repo::operators::find_by_email_tx(&mut tx, "owner@acme.example")
            .await
            .unwrap()
            .unwrap();
        drop(tx);
        let actor = actor_in(&services.db, &ws.id, &owner.id).await.unwrap();
        for env in environments::list(&services.db, &actor).await.unwrap() {
            let (secret, scopes): (&str, &[&str]) = if env.name == "Development" {
                (
                    DEV_SECRET,
                    &["user_accounts:read", "boards:read", "pins:read", "ads:read"],
                )
            } else {
                (
                    PROD_SECRET,
                    &["user_accounts:read", "boards:read", "pins:read"],
                )
            };
            settings::save(
                &services.db,
                &services.keys,
                &actor,
                SaveRequest {
                    environment_id: env.id.clone(),
                    expected_version: 0,
                    client_id: ClientId::parse("1234567").unwrap(),
                    secret: NewSecret::parse(Some(secret)).unwrap(),
                    scopes: ScopeSet::parse_selection(scopes).unwrap(),
                    api: PinterestApi::Production,
                },
                &RequestMeta::default(),
            )
            .await
            .unwrap();
        }
        services.db.close().await;
        install
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .current_dir(self.db.dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("PINBRIDGE_LOG", "warn")
            .env("PINBRIDGE_DATABASE_URL", &self.db.url)
            .env("PINBRIDGE_ENCRYPTION_KEYS", key_spec(&[("k1", 1)]))
            .stdin(Stdio::null())
            .args(args)
            .output()
            .unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        no_secret(&out);
        serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)))
    }

    fn diff(&self) -> Value {
        self.json(&[
            "env",
            "diff",
            "--workspace",
            "Acme",
            "--from",
            "Development",
            "--to",
            "production",
            "--json",
        ])
    }

    async fn promotions(&self) -> Vec<audit_events::AuditEventRow> {
        let db = self.db.connect().await;
        let ws = workspaces::find_by_name(&db, &WorkspaceName::parse("Acme").unwrap())
            .await
            .unwrap()
            .unwrap();
        let query = AuditQuery {
            action: Some(AuditAction::EnvironmentPromoted),
            limit: 10,
            ..Default::default()
        };
        let rows = audit_events::list(&db, &ws.id, &query).await.unwrap();
        db.close().await;
        rows
    }
}

fn no_secret(out: &Output) {
    for text in [stdout(out), stderr(out)] {
        assert!(
            !text.contains(DEV_SECRET) && !text.contains(PROD_SECRET),
            "a secret printed: {text}"
        );
    }
}

const PAIR: [&str; 6] = [
    "--workspace",
    "Acme",
    "--from",
    "development",
    "--to",
    "Production",
];

#[tokio::test]
async fn diff_and_a_dry_run_change_nothing_and_apply_writes_exactly_the_plan() {
    let install = Install::new().await;
    let before = install.diff();
    assert_eq!(before["differences"], 2, "{before:#}");
    let keys: Vec<&str> = before["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["equal"] == false)
        .map(|i| i["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["pinterest.secret", "pinterest.scopes"]);

    // Text, for people: each difference with its key to copy it by.
    let text = install.run(&[
        "env",
        "diff",
        "--workspace",
        "Acme",
        "--from",
        "Development",
        "--to",
        "Production",
    ]);
    assert!(text.status.success(), "{}", stderr(&text));
    no_secret(&text);
    let text = stdout(&text);
    assert!(text.contains("2 differences"), "{text}");
    assert!(
        text.contains("copy with: --item 'pinterest.scopes'"),
        "{text}"
    );
    assert!(
        text.contains("not copied: secrets are never copied"),
        "{text}"
    );

    // A dry run prints the plan and changes nothing.
    let mut dry = vec!["env", "promote"];
    dry.extend(PAIR);
    dry.extend(["--item", "pinterest.scopes"]);
    let out = install.run(&dry);
    assert!(out.status.success(), "{}", stderr(&out));
    no_secret(&out);
    assert!(
        stdout(&out).contains("Dry run: nothing was changed"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("Pinterest · Scopes: user_accounts:read boards:read pins:read → user_accounts:read boards:read pins:read ads:read"), "{}", stdout(&out));
    assert_eq!(install.diff(), before, "the dry run changed something");
    assert!(install.promotions().await.is_empty());

    // --apply with the dry run's versions after a change: refused, unchanged.
    let mut stale = dry.clone();
    stale.extend(["--apply", "--from-version", "0000000000000000"]);
    let out = install.run(&stale);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("Development changed since this comparison"),
        "{}",
        stderr(&out)
    );
    assert_eq!(install.diff(), before);

    // --apply --json: the plan written, as one audit record by "cli".
    let mut apply = dry.clone();
    let (fv, tv) = (
        before["from"]["version"].as_str().unwrap().to_owned(),
        before["to"]["version"].as_str().unwrap().to_owned(),
    );
    apply.extend([
        "--apply",
        "--json",
        "--from-version",
        &fv,
        "--to-version",
        &tv,
    ]);
    let done = install.json(&apply);
    assert_eq!(done["applied"], true);
    assert_eq!(done["plan"]["changes"].as_array().unwrap().len(), 1);
    let after = install.diff();
    assert_eq!(after["differences"], 1, "only the secret differs now");
    assert_eq!(after["to"]["version"], done["to_version"]);
    assert_eq!(after["from"]["version"], before["from"]["version"]);
    let records = install.promotions().await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].actor_label, "cli");
}

#[tokio::test]
async fn every_mistake_is_refused_with_a_clear_message_and_changes_nothing() {
    let install = Install::new().await;
    let before = install.diff();
    let refused = |args: &[&str], says: &str| {
        let out = install.run(args);
        assert!(
            !out.status.success(),
            "{args:?} succeeded: {}",
            stdout(&out)
        );
        no_secret(&out);
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    };
    refused(
        &[
            "env",
            "diff",
            "--workspace",
            "Acme",
            "--from",
            "Production",
            "--to",
            "production",
        ],
        "an environment is always equal to itself",
    );
    refused(
        &[
            "env",
            "diff",
            "--workspace",
            "Acme",
            "--from",
            "Development",
            "--to",
            "Staging",
        ],
        "--to: workspace \"Acme\" has no environment named \"Staging\" (it has: Development, Production)",
    );
    refused(
        &[
            "env",
            "diff",
            "--workspace",
            "Globex",
            "--from",
            "Development",
            "--to",
            "Production",
        ],
        "no workspace is named \"Globex\"",
    );
    let mut promote = vec!["env", "promote"];
    promote.extend(PAIR);
    refused(&promote, "nothing to copy");
    let mut unknown = promote.clone();
    unknown.extend(["--item", "pinterest.nonsense", "--apply"]);
    refused(&unknown, "\"pinterest.nonsense\" is not a difference");
    let mut secret = promote.clone();
    secret.extend(["--item", "pinterest.secret", "--apply"]);
    refused(&secret, "never copied");
    assert_eq!(install.diff(), before);
    assert!(install.promotions().await.is_empty());
}
