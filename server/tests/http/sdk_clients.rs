//! The typed API clients in `sdk/`: TypeScript (`sdk/js`, types by
//! openapi-typescript, calls by openapi-fetch) and Python (`sdk/python`, by
//! openapi-python-client), generated from `sdk/openapi.json` by
//! `scripts/sdk-generate.sh` with the pinned tools of `scripts/sdk-tools.sh`.
//!
//! Two checks. The committed clients match what pinbridge serves: the
//! committed document is the served one (always), and regenerating both
//! clients from the served document gives the committed files byte for byte
//! (with the tools). And the generated clients work against a live pinbridge
//! and pinterest-sim (`scripts/sdk-check.sh`): a connect session, the
//! connection list, a fresh token (the one pinbridge holds, accepted by the
//! simulator), a proxied call, a disconnect, and the typed problem a revoked
//! connection's token request answers. The tool-driven halves run under
//! `PINBRIDGE_SDK_CHECK=1` (`make test` sets it); elsewhere they are skipped,
//! except under CI, where a missing run is a failure.
//!
//! `PINBRIDGE_SDK_WRITE=1` makes the first test write the served document to
//! `sdk/openapi.json` instead of comparing (`make sdk` runs it so, then
//! regenerates the clients).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use domain::api::keys;
use domain::connections::{TokenColumn, open_token};
use domain::shared::{ApiPermission, Health};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::connections::{EndUser, World, connect_sim_user, row, sim_admin, world};
use super::mcp::agent_key;
use crate::common::TestApp;

/// What to run when the committed clients are stale.
const REGENERATE: &str = "make sdk";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Whether the tool-driven checks run; a skip under CI fails.
fn sdk_check(what: &str) -> bool {
    if std::env::var("PINBRIDGE_SDK_CHECK").as_deref() == Ok("1") {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "under CI the SDK check must run: set PINBRIDGE_SDK_CHECK=1 (make test does)"
    );
    eprintln!("skipped: set PINBRIDGE_SDK_CHECK=1 to {what} (make test does)");
    false
}

/// The first place two JSON values differ, as a JSON pointer, or None.
fn first_difference(a: &Value, b: &Value, at: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| {
                let here = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                match (x.get(k), y.get(k)) {
                    (Some(v), Some(w)) => first_difference(v, w, &here),
                    (Some(_), None) => Some(format!("{here} (only served)")),
                    _ => Some(format!("{here} (only committed)")),
                }
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (v, w))| first_difference(v, w, &format!("{at}/{i}"))),
        _ if a == b => None,
        _ => Some(if at.is_empty() { "/".into() } else { at.into() }),
    }
}

/// Every file under `dir` (relative path → bytes), leaving out what using the
/// client leaves behind and git ignores (bytecode, caches, builds, venvs).
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if [
                "__pycache__",
                ".ruff_cache",
                ".mypy_cache",
                ".pytest_cache",
                "build",
                "dist",
                ".venv",
            ]
            .contains(&name.as_str())
                || name.ends_with(".egg-info")
            {
                continue;
            }
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let rel = path.strip_prefix(base).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Where a committed file and its regenerated twin part: the first line
/// that differs, or which one is missing.
fn difference(name: &str, committed: Option<&Vec<u8>>, fresh: Option<&Vec<u8>>) -> String {
    match (committed, fresh) {
        (None, _) => format!("{name}: not committed (generated)"),
        (_, None) => format!("{name}: committed but no longer generated"),
        (Some(c), Some(f)) => {
            let (c, f) = (String::from_utf8_lossy(c), String::from_utf8_lossy(f));
            let line = c
                .lines()
                .zip(f.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| c.lines().count().min(f.lines().count()));
            format!(
                "{name}: differs from line {}\n    committed: {:?}\n    generated: {:?}",
                line + 1,
                c.lines().nth(line).unwrap_or("<end of file>"),
                f.lines().nth(line).unwrap_or("<end of file>"),
            )
        }
    }
}

#[tokio::test]
async fn the_committed_clients_match_the_served_document() {
    let app = TestApp::spawn().await;
    let (status, text) = app.get_text("/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let served: Value = serde_json::from_str(&text).unwrap();
    let committed_path = root().join("sdk/openapi.json");

    if std::env::var("PINBRIDGE_SDK_WRITE").as_deref() == Ok("1") {
        // scripts/sdk-generate.sh rewrites it in its stable form.
        std::fs::write(&committed_path, serde_json::to_vec_pretty(&served).unwrap()).unwrap();
        eprintln!("wrote the served document to {}", committed_path.display());
        app.stop().await;
        return;
    }

    // The committed document is the served one.
    let committed: Value = std::fs::read_to_string(&committed_path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_else(|| panic!("sdk/openapi.json is missing or not JSON: run `{REGENERATE}`"));
    if let Some(at) = first_difference(&served, &committed, "") {
        panic!(
            "sdk/openapi.json is not the document pinbridge serves (first difference at {at}): \
             run `{REGENERATE}` and commit sdk/"
        );
    }

    if !sdk_check("regenerate the typed clients and compare them with sdk/") {
        app.stop().await;
        return;
    }
    // The clients regenerated from the served document are the committed ones.
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("served.json");
    std::fs::write(&source, &text).unwrap();
    let out_dir = dir.path().join("sdk");
    let started = std::time::Instant::now();
    let out = tokio::process::Command::new(root().join("scripts/sdk-generate.sh"))
        .arg(&source)
        .arg(&out_dir)
        .current_dir(root())
        .output()
        .await
        .expect("scripts/sdk-generate.sh runs");
    assert!(
        out.status.success(),
        "scripts/sdk-generate.sh failed:\n{}\n{}",
        crate::common::stdout(&out),
        crate::common::stderr(&out)
    );
    eprintln!(
        "regenerated both clients in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let mut stale = Vec::new();
    for (name, committed, fresh) in [
        (
            "sdk/openapi.json",
            root().join("sdk/openapi.json"),
            out_dir.join("openapi.json"),
        ),
        (
            "sdk/js/src/api/schema.ts",
            root().join("sdk/js/src/api/schema.ts"),
            out_dir.join("js/src/api/schema.ts"),
        ),
    ] {
        let (c, f) = (std::fs::read(committed).ok(), std::fs::read(fresh).ok());
        if c != f || c.is_none() {
            stale.push(difference(name, c.as_ref(), f.as_ref()));
        }
    }
    let committed = files(&root().join("sdk/python"));
    let fresh = files(&out_dir.join("python"));
    assert!(
        fresh.keys().any(|f| f.ends_with("client.py")),
        "the Python client was generated: {:?}",
        fresh.keys().collect::<Vec<_>>()
    );
    let names: std::collections::BTreeSet<&String> = committed.keys().chain(fresh.keys()).collect();
    for name in names {
        let (c, f) = (committed.get(name), fresh.get(name));
        if c != f {
            stale.push(difference(&format!("sdk/python/{name}"), c, f));
        }
    }
    assert!(
        stale.is_empty(),
        "the committed clients are not what the served document generates: run `{REGENERATE}` \
         and commit sdk/\n  {}",
        stale.join("\n  ")
    );
    app.stop().await;
}

/// An end user of the product, and the Pinterest account they connect.
struct Person {
    end_user: &'static str,
    username: &'static str,
}

/// Pins on each person's one board, as a proxied call finds them.
const PINS: u32 = 2;

/// One per client: each script disconnects its connection at the end.
const CLIENTS: [(&str, Person); 2] = [
    (
        "js",
        Person {
            end_user: "ts-user",
            username: "ts_pinner",
        },
    ),
    (
        "python",
        Person {
            end_user: "py-user",
            username: "py_pinner",
        },
    ),
];

/// Makes the person's Pinterest account in the simulator and connects it in
/// the world's environment through the real flow: the connection id.
async fn connect_as(w: &World, p: &Person) -> String {
    sim_admin(
        &w.sim,
        reqwest::Method::POST,
        "/_sim/users",
        json!({"username": p.username, "boards": [{"name": "Ideas", "pins": PINS}]}),
    )
    .await;
    connect_sim_user(w, &w.env_id, p.end_user, p.username).await
}

/// The connection's access token as pinbridge holds it, in the clear.
async fn access_token_of(w: &World, id: &str) -> String {
    let r = row(&w.app, id).await;
    let sealed = r.access_token.as_deref().expect("an access token");
    open_token(
        &w.app.state().keys,
        &r.workspace_id,
        &r.id,
        TokenColumn::Access,
        sealed,
    )
    .unwrap()
    .expose()
    .to_owned()
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

async fn api_key(w: &World, permissions: &[ApiPermission]) -> String {
    agent_key(w, permissions, None, keys::RATE_LIMIT_MAX).await
}

/// Runs `scripts/sdk-check.sh <client>` against the world: its JSON summary
/// (the last line it prints).
async fn run_check(w: &World, client: &str, key: &str, id: &str, p: &Person) -> Value {
    let started = std::time::Instant::now();
    let out = tokio::process::Command::new(root().join("scripts/sdk-check.sh"))
        .arg(client)
        .env("PINBRIDGE_SDK_BASE_URL", w.app.url("/v1"))
        .env("PINBRIDGE_SDK_API_KEY", key)
        .env("PINBRIDGE_SDK_CONNECTION_ID", id)
        .env("PINBRIDGE_SDK_END_USER_ID", p.end_user)
        .env("PINBRIDGE_SDK_USERNAME", p.username)
        .env("PINBRIDGE_SDK_SIM_URL", w.sim.base_url())
        .current_dir(root())
        .output()
        .await
        .expect("scripts/sdk-check.sh runs");
    let (stdout, stderr) = (crate::common::stdout(&out), crate::common::stderr(&out));
    assert!(
        out.status.success(),
        "the {client} client's check failed:\n{stdout}\n{stderr}"
    );
    eprintln!(
        "{stderr}sdk-check {client} passed in {:.1} s ({:?})",
        started.elapsed().as_secs_f64(),
        crate::common::backend()
    );
    let last = stdout.lines().rev().find(|l| !l.trim().is_empty());
    let summary: Value = last
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("the {client} check printed a JSON summary last:\n{stdout}"));
    // It holds no secret (the token only as its digest).
    eprintln!("sdk-check {client}: {summary}");
    summary
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generated_clients_work_against_a_live_pinbridge() {
    if !sdk_check("drive the API with the generated TypeScript and Python clients") {
        return;
    }
    let w = world().await;
    let mut ids = Vec::new();
    for (_, p) in &CLIENTS {
        ids.push(connect_as(&w, p).await);
    }
    use ApiPermission::{Connect, ConnectionsRead, ConnectionsWrite, Proxy, Tokens};
    let key = api_key(
        &w,
        &[Connect, ConnectionsRead, ConnectionsWrite, Tokens, Proxy],
    )
    .await;
    let mut secrets = vec![key.clone(), key[15..40].to_owned()];

    for ((client, p), id) in CLIENTS.iter().zip(&ids) {
        let token = access_token_of(&w, id).await;
        secrets.push(token.clone());
        let report = run_check(&w, client, &key, id, p).await;
        let r = |pointer: &str| report.pointer(pointer).cloned().unwrap_or(Value::Null);

        // The connect session it created opens pinbridge's connect page.
        let url = r("/connect_session/url");
        let url = url.as_str().unwrap_or_else(|| panic!("{report}"));
        assert!(url.starts_with(&w.app.url("/connect/")), "{report}");
        assert_eq!(
            r("/connect_session/end_user_id"),
            format!("{}-new", p.end_user),
            "{report}"
        );
        let page = EndUser::new().get(url).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("Continue to Pinterest"));

        // The list had the connection, active, with its account.
        assert_eq!(r("/listed/id"), json!(id), "{report}");
        assert_eq!(r("/listed/state"), "active", "{report}");
        assert_eq!(r("/listed/username"), p.username, "{report}");
        assert_eq!(r("/listed/filtered_count"), 1, "{report}");

        // The token is the one pinbridge holds (compared by digest: the
        // script never prints it) and the simulator accepts it as the account.
        assert_eq!(
            r("/token/sha256"),
            sha256_hex(&token),
            "the token the {client} client got is the stored one: {report}"
        );
        assert_eq!(r("/token/token_type"), "bearer", "{report}");
        assert!(r("/token/expires_in").as_i64().unwrap_or(0) > 0, "{report}");
        assert_eq!(r("/token/username"), p.username, "{report}");
        assert_eq!(r("/token/sim_username"), p.username, "{report}");

        // The proxied call reached Pinterest as the connection.
        assert_eq!(r("/proxy/status"), 200, "{report}");
        assert_eq!(r("/proxy/username"), p.username, "{report}");
        assert_eq!(r("/proxy/board_pins"), PINS, "{report}");

        // It disconnected the connection, and the token request then answered
        // the typed problem; a wrong key, the typed 401.
        assert_eq!(r("/disconnected/state"), "revoked", "{report}");
        assert_eq!(row(&w.app, id).await.health, Health::Revoked);
        assert_eq!(r("/revoked_error/typed"), true, "{report}");
        assert_eq!(r("/revoked_error/status"), 409, "{report}");
        assert_eq!(
            r("/revoked_error/type"),
            "urn:pinbridge:problem:reconnect-required",
            "{report}"
        );
        assert_eq!(r("/revoked_error/state"), "revoked", "{report}");
        assert_eq!(r("/unauthorized_error/typed"), true, "{report}");
        assert_eq!(r("/unauthorized_error/status"), 401, "{report}");
        assert_eq!(
            r("/unauthorized_error/type"),
            "urn:pinbridge:problem:unauthorized",
            "{report}"
        );
    }

    // No key and no token reached a log line.
    let logs = crate::common::logs::captured();
    for (i, secret) in secrets.iter().enumerate() {
        assert!(secret.len() >= 20, "secret {i} is a real secret");
        assert!(
            !logs.contains(secret.as_str()),
            "secret {i} reached the logs"
        );
    }
    w.stop().await;
}
