//! The `pinterest-sim` binary: `--help` documents flags and the admin API; it
//! starts from flags and a TOML file, announces its address, and stops cleanly on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::*;
use reqwest::StatusCode;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_pinterest-sim");

#[test]
fn help_documents_flags_and_the_admin_api() {
    let output = Command::new(BIN).arg("--help").output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for needle in [
        "--addr",
        "127.0.0.1:4010",
        "--config",
        "--app",
        "--no-demo",
        "--access-token-ttl",
        "--refresh-token-ttl",
        "--consent",
        "--environment",
        "1234567",
        "demo_pinner",
        "POST   /_sim/apps",
        "POST   /_sim/users",
        "POST   /_sim/tokens/revoke",
        "POST   /_sim/tokens/expire",
        "PUT    /_sim/faults",
        "PUT    /_sim/apps/{id}/faults",
        "PUT    /_sim/consent",
        "GET    /_sim/requests",
        "rate_limit",
        "sim_consent",
    ] {
        assert!(help.contains(needle), "--help lacks {needle:?}:\n{help}");
    }
}

/// A running binary; killed on drop if still alive.
struct Sim {
    child: Child,
    base: String,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn launch(args: &[&str]) -> Sim {
    let mut child = Command::new(BIN)
        .args(["--addr", "127.0.0.1:0"])
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let base = line
        .trim()
        .strip_prefix("pinterest-sim listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    Sim { child, base }
}

#[tokio::test]
async fn starts_with_demo_data_and_stops_on_sigterm() {
    let mut sim = launch(&[]);
    let response = client()
        .post(format!("{}/v5/oauth/token", sim.base))
        .header("authorization", demo_basic())
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "pinr.unknown"),
        ])
        .send()
        .await
        .unwrap();
    expect_error(response, 400, 283).await;
    let state: Value = client()
        .get(format!("{}/_sim/state", sim.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["users"][0]["username"], "demo_pinner");
    assert_eq!(state["totals"]["pins"], 30);
    assert_eq!(state["users"][0]["boards"].as_array().unwrap().len(), 3);

    let pid = sim.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let mut waited = Duration::ZERO;
    let status = loop {
        if let Some(status) = sim.child.try_wait().unwrap() {
            break status;
        }
        assert!(waited < Duration::from_secs(10), "did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
        waited += Duration::from_millis(50);
    };
    assert!(status.success(), "graceful exit: {status:?}");
}

#[tokio::test]
async fn apps_and_users_from_flags_and_a_toml_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sim.toml");
    std::fs::write(
        &path,
        r#"
access_token_ttl_secs = 120
environment = "sandbox"

[consent]
mode = "auto-allow"
user = "toml_user"

[[apps]]
id = "7300001"
secret = "toml-secret"
tier = "trial"
redirect_uris = ["http://127.0.0.1:7777/cb"]

[[users]]
username = "toml_user"

[[users.boards]]
name = "From TOML"
pins = 4
"#,
    )
    .unwrap();
    let sim = launch(&[
        "--no-demo",
        "--config",
        path.to_str().unwrap(),
        "--app",
        "7300002:flag-secret:standard:http://127.0.0.1:7777/a,http://127.0.0.1:7777/b",
    ]);
    let apps: Value = client()
        .get(format!("{}/_sim/apps", sim.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = apps["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["7300001", "7300002"], "no demo app");
    assert_eq!(
        apps["items"][1]["redirect_uris"].as_array().unwrap().len(),
        2
    );

    // Consent is automatic (from the file), as toml_user.
    let authorize = format!(
        "{}/oauth/?client_id=7300001&redirect_uri=http%3A%2F%2F127.0.0.1%3A7777%2Fcb&response_type=code&scope=boards:read,pins:read,pins:write,boards:write",
        sim.base
    );
    let response = client().get(authorize).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let code = param(&location_query(&response), "code")
        .unwrap()
        .to_owned();
    let response = client()
        .post(format!("{}/v5/oauth/token", sim.base))
        .header("authorization", basic("7300001", "toml-secret"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:7777/cb"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["expires_in"], 120);
    let pins: Value = client()
        .get(format!("{}/v5/pins", sim.base))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(pins["items"].as_array().unwrap().len(), 4);
    assert_eq!(pins["items"][0]["board_owner"]["username"], "toml_user");

    let demo = client()
        .post(format!("{}/v5/oauth/token", sim.base))
        .header("authorization", demo_basic())
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "pinr.x")])
        .send()
        .await
        .unwrap();
    expect_error(demo, 401, 2).await;
}

#[test]
fn bad_configuration_exits_with_status_2() {
    for args in [
        vec!["--app", "not-enough-parts"],
        vec!["--config", "/nonexistent/pinterest-sim.toml"],
        vec!["--addr", "nowhere"],
    ] {
        let output = Command::new(BIN).args(&args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(!output.stderr.is_empty(), "{args:?} explains itself");
    }
}
