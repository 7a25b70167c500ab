//! Sign-in under attack, over HTTP: a burst of parallel guesses, a flood of
//! different accounts from many addresses, malformed input, and the client
//! address behind trusted proxies.

use std::collections::BTreeMap;

use futures::future::join_all;
use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;

use crate::common::TestApp;
use crate::common::portal::{Browser, PASSWORD, set_up};

/// One sign-in attempt as a browser without cookies sends it, from `client`
/// as a trusted proxy would forward it: its status and `Retry-After`.
async fn attempt(
    http: &reqwest::Client,
    app: &TestApp,
    email: &str,
    password: &str,
    client: Option<&str>,
) -> (StatusCode, Option<String>) {
    let mut request = http
        .post(app.url("/api/auth/sign-in"))
        .header("accept", "application/json")
        .form(&[("email", email), ("password", password)]);
    if let Some(client) = client {
        request = request.header("x-forwarded-for", client);
    }
    let response = request.send().await.unwrap();
    let retry = response
        .headers()
        .get(RETRY_AFTER)
        .map(|v| v.to_str().unwrap().to_owned());
    (response.status(), retry)
}

fn tally(answers: &[(StatusCode, Option<String>)]) -> BTreeMap<u16, usize> {
    let mut counts = BTreeMap::new();
    for (status, _) in answers {
        *counts.entry(status.as_u16()).or_default() += 1;
    }
    counts
}

#[tokio::test]
async fn a_burst_of_guesses_hashes_a_few_and_the_operator_still_signs_in_elsewhere() {
    let app = TestApp::spawn_with(&["--trusted-proxies", "127.0.0.1"]).await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let hasher = &app.state().hasher;
    let http = reqwest::Client::new();
    let runs = hasher.runs();

    // 200 wrong guesses at once for one account from one attacker.
    let answers = join_all((0..200).map(|i| {
        let guess = format!("wrong guess number {i}");
        let (http, app, email) = (&http, &app, owner.email.as_str());
        async move { attempt(http, app, email, &guess, Some("198.51.100.7")).await }
    }))
    .await;
    let hashed = hasher.runs() - runs;
    let counts = tally(&answers);
    // Each attempt is counted before its password is checked, so only the
    // allowance (five, and the sixth that follows it) is ever checked.
    assert!(hashed <= 6, "{hashed} hashes ran: {counts:?}");
    assert_eq!(counts.get(&401).copied().unwrap_or(0) as u64, hashed);
    assert_eq!(
        counts.get(&429).copied().unwrap_or(0),
        200 - hashed as usize
    );
    for (status, retry) in &answers {
        if *status == StatusCode::TOO_MANY_REQUESTS {
            let secs: u64 = retry
                .as_deref()
                .expect("429 has Retry-After")
                .parse()
                .unwrap();
            assert!(secs >= 1, "{secs}");
        }
    }

    // The attacker cannot lock the operator out from everywhere: from their
    // own address, the operator signs in at once.
    let (status, _) = attempt(&http, &app, &owner.email, PASSWORD, Some("203.0.113.9")).await;
    assert_eq!(status, StatusCode::OK);
    // From the attacker's address the account stays locked, right password or not.
    let (status, _) = attempt(&http, &app, &owner.email, PASSWORD, Some("198.51.100.7")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // Nor does an attacker's IPv6 /64 escape by changing its last bits.
    let v6 = |host: u16| format!("2001:db8:7:7::{host:x}");
    for host in 1..=6 {
        let (status, _) = attempt(&http, &app, &owner.email, "wrong again!", Some(&v6(host))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _) = attempt(&http, &app, &owner.email, PASSWORD, Some(&v6(99))).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "one /64 is one client"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_flood_of_accounts_from_many_addresses_is_bounded_by_the_hashing_slots() {
    let app = TestApp::spawn_with(&["--trusted-proxies", "127.0.0.0/8"]).await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let hasher = &app.state().hasher;
    let http = reqwest::Client::new();
    let runs = hasher.runs();

    // 200 different accounts from 200 addresses: no throttle applies, so only
    // the hashing slots stand between the flood and the server's memory.
    let answers = join_all((0..200).map(|i| {
        let email = format!("guess{i}@alpha.example");
        let client = format!("198.51.{}.{}", 100 + i / 250, i % 250 + 1);
        let (http, app) = (&http, &app);
        async move { attempt(http, app, &email, "some guess here", Some(&client)).await }
    }))
    .await;
    let counts = tally(&answers);
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get().min(8));
    // Never more hashes at once than slots (one per core, at most eight): each
    // holds 19 MiB, so memory stays bounded whatever the flood.
    assert!(
        hasher.peak_concurrency() <= cores,
        "{} at once with {cores} slots",
        hasher.peak_concurrency()
    );
    // The rest were turned away at once, with a 503 and Retry-After, not queued.
    let busy = counts.get(&503).copied().unwrap_or(0);
    assert!(busy > 0, "{counts:?}");
    assert_eq!(
        counts.get(&401).copied().unwrap_or(0) + busy,
        200,
        "{counts:?}"
    );
    assert_eq!(hasher.runs() - runs, 200 - busy as u64);
    for (status, retry) in &answers {
        if *status == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(retry.as_deref(), Some("1"));
        }
    }
    // A turned-away attempt did not count: the operator signs in right after.
    let (status, _) = attempt(&http, &app, &owner.email, PASSWORD, Some("198.51.100.1")).await;
    assert_eq!(status, StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn malformed_sign_ins_are_refused_before_any_work() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let hasher = &app.state().hasher;
    let runs = hasher.runs();
    let browser = Browser::new(&app);
    let long_email = format!("{}@alpha.example", "a".repeat(400));
    let long_password = "p".repeat(1_025);
    for (email, password, says) in [
        ("not an email", PASSWORD, "email"),
        (long_email.as_str(), PASSWORD, "email"),
        (owner.email.as_str(), long_password.as_str(), "1024"),
        (owner.email.as_str(), "", "password"),
    ] {
        let answer = browser
            .post("auth/sign-in", &[("email", email), ("password", password)])
            .await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            answer.body
        );
        assert!(answer.body.to_lowercase().contains(says), "{}", answer.body);
    }
    assert_eq!(hasher.runs(), runs, "nothing was hashed");
    let attempts: i64 = match &app.state().db {
        domain::db::Db::Sqlite(pool) => sqlx::query_scalar("select count(*) from sign_in_attempts")
            .fetch_one(pool)
            .await
            .unwrap(),
        domain::db::Db::Postgres(pool) => {
            sqlx::query_scalar("select count(*) from sign_in_attempts")
                .fetch_one(pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(attempts, 0, "nothing was counted");
    app.stop().await;
}

#[tokio::test]
async fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
    crate::common::logs::captured();
    // Not trusted: whatever X-Forwarded-For says, every guess is from the peer,
    // so changing the header does not escape the throttle.
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let http = reqwest::Client::new();
    let mut statuses = Vec::new();
    for i in 0..8 {
        let spoofed = format!("192.0.2.{i}");
        statuses.push(
            attempt(&http, &app, &owner.email, "wrong guess!", Some(&spoofed))
                .await
                .0,
        );
    }
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    // The audit log records the peer, not the claimed address.
    let ips = audit_ips(&app).await;
    assert!(ips.iter().all(|ip| ip == "127.0.0.1"), "{ips:?}");
    app.stop().await;

    // Trusted: the right-most address not of a trusted proxy is the client,
    // in the audit log too; what the client itself claimed further left is not.
    let app = TestApp::spawn_with(&["--trusted-proxies", "127.0.0.1, 10.0.0.0/8"]).await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let (status, _) = attempt(
        &http,
        &app,
        &owner.email,
        "wrong guess!",
        Some("6.6.6.6, 203.0.113.50, 10.1.1.1"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let ips = audit_ips(&app).await;
    assert!(ips.contains(&"203.0.113.50".to_owned()), "{ips:?}");
    assert!(!ips.contains(&"6.6.6.6".to_owned()), "{ips:?}");
    // The request log names the same client.
    let logs = crate::common::logs::captured();
    assert!(
        logs.lines()
            .any(|l| l.contains("path=/api/auth/sign-in") && l.contains("client=203.0.113.50")),
        "no request line names the forwarded client"
    );
    assert!(!logs.contains("6.6.6.6"));
    app.stop().await;
}

/// Every IP address the audit log recorded.
async fn audit_ips(app: &TestApp) -> Vec<String> {
    let sql = "select ip from audit_events where ip is not null";
    match &app.state().db {
        domain::db::Db::Sqlite(pool) => sqlx::query_scalar(sql).fetch_all(pool).await.unwrap(),
        domain::db::Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_all(pool).await.unwrap(),
    }
}

#[tokio::test]
async fn a_bad_trusted_proxies_setting_stops_start_up_naming_it() {
    use server::config::{Cli, Config};
    let settings = <Cli as clap::Parser>::try_parse_from([
        "pinbridge",
        "--database-url",
        "sqlite::memory:",
        "--encryption-keys",
        "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "--trusted-proxies",
        "10.0.0.0/8, proxy.internal",
    ])
    .unwrap()
    .settings;
    let err = Config::from_settings(settings).expect_err("refused");
    assert_eq!(err.variable, "PINBRIDGE_TRUSTED_PROXIES");
    assert!(
        err.message
            .contains("\"proxy.internal\" is not an IP network"),
        "{err}"
    );
}
