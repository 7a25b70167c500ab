//! The API checked from outside by tools that share no code with pinbridge
//! (`scripts/api-check.sh`, installed from PyPI by `scripts/api-tools.sh`):
//! openapi-spec-validator validates the served document as OpenAPI 3.1, and
//! schemathesis fuzzes the live API from it: no 5xx, statuses, content types
//! and bodies as documented. `make test` runs it on both backends
//! (`PINBRIDGE_API_CHECK=1`); elsewhere it is skipped, except under CI, where
//! a missing run is a failure.

use domain::accounts::{EnvironmentId, OperatorId, RequestMeta, WorkspaceId, actor_in};
use domain::api::keys::{self, KeyInput};
use domain::shared::ApiPermission;

use super::connections::{EndUser, connect, world};

#[tokio::test]
async fn the_openapi_document_validates_and_the_live_api_survives_a_fuzzer() {
    if std::env::var("PINBRIDGE_API_CHECK").as_deref() != Ok("1") {
        assert!(
            std::env::var_os("CI").is_none(),
            "under CI the API check must run: set PINBRIDGE_API_CHECK=1 (make test does)"
        );
        eprintln!(
            "skipped: set PINBRIDGE_API_CHECK=1 to validate and fuzz the API (make test does)"
        );
        return;
    }
    let w = world().await;
    let user = EndUser::new();
    connect(&w, &user, "fuzzed-user").await;
    let state = w.app.state();
    let actor = actor_in(
        &state.db,
        &WorkspaceId::parse(&w.ws).unwrap(),
        &OperatorId::parse(&w.owner.operator_id).unwrap(),
    )
    .await
    .unwrap();
    let created = keys::create(
        state,
        &actor,
        &EnvironmentId::parse(&w.env_id).unwrap(),
        KeyInput {
            name: "Fuzzer".into(),
            permissions: ApiPermission::ALL.to_vec(),
            expires_in_days: None,
            rate_limit: keys::RATE_LIMIT_MAX,
            end_user_id: None,
        },
        &RequestMeta::default(),
    )
    .await
    .unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let report =
        std::env::temp_dir().join(format!("pinbridge-fuzz-{:?}", crate::common::backend()));
    let out = tokio::process::Command::new(root.join("scripts/api-check.sh"))
        .arg(&w.app.base)
        .arg(created.key.expose())
        .env("PINBRIDGE_FUZZ_REPORT", &report)
        .current_dir(&root)
        .output()
        .await
        .expect("scripts/api-check.sh runs");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "the API check failed:\n{text}");
    // The fuzzer's requests never made pinbridge log a secret.
    let logs = crate::common::logs::captured();
    assert!(!logs.contains(created.key.expose()));
    w.stop().await;
}
