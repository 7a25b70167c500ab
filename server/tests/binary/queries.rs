//! How many statements a signed-in page sends to the database (issue 18).
//! Each is a round trip to a connection (an SQLite connection's worker
//! thread, PostgreSQL's socket) and, with the pool's check of a connection
//! as it comes back, most of a page's server time under load: a page that
//! goes back to asking more fails here, not only in the benchmark. Counted in
//! the `pinbridge` binary's own query log, which sees the statements of every
//! task a render spawns.

use std::process::Stdio;
use std::time::Duration;

use crate::common::TestDb;
use crate::scale;

const BIN: &str = env!("CARGO_BIN_EXE_pinbridge");

/// The statements a signed-in Integrations page makes: the session, the
/// sign-in it names, the membership with the workspace's two-factor rule, the
/// operator with their workspaces, the environments, the Pinterest settings
/// and the connection counts.
const INTEGRATIONS_PAGE_QUERIES: usize = 7;

#[tokio::test]
async fn a_signed_in_integrations_page_asks_the_database_seven_times() {
    let db = TestDb::new().await;
    scale::create_owner(BIN, &db, "Counted", "owner@counted.test");
    let log_path = db.dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let server = scale::serve_with(
        scale::pinbridge(BIN, &db)
            .env("PINBRIDGE_LOG", "warn,sqlx::query=debug")
            .stderr(Stdio::from(log)),
    );
    let client = scale::sign_in(&server, "owner@counted.test").await;
    let home = client.get(&server.base).send().await.unwrap();
    let page = home.headers()["location"].to_str().unwrap().to_owned();
    assert!(page.ends_with("/e/development/integrations"), "{page}");

    // The statements logged so far (sqlx logs each one's opening words).
    let statements = || -> Vec<String> {
        std::fs::read_to_string(&log_path)
            .unwrap()
            .lines()
            .filter(|line| line.contains("sqlx::query"))
            .map(|line| line.chars().take(240).collect())
            .collect()
    };
    // Three loads; the scheduler's rounds could only add to one of them.
    let mut counts = Vec::new();
    for _ in 0..3 {
        let before = statements().len();
        let answer = client
            .get(format!("{}{page}", server.base))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        assert!(
            answer
                .text()
                .await
                .unwrap()
                .contains("data-integration=\"pinterest\"")
        );
        // The log is written as the statements finish; give it a moment.
        tokio::time::sleep(Duration::from_millis(300)).await;
        counts.push(statements().split_off(before));
    }
    let fewest = counts.iter().min_by_key(|made| made.len()).unwrap();
    assert!(!fewest.is_empty(), "the query log is empty");
    assert!(
        fewest.len() <= INTEGRATIONS_PAGE_QUERIES,
        "a signed-in Integrations page made {} queries (at most {INTEGRATIONS_PAGE_QUERIES}):\n{}",
        fewest.len(),
        fewest.join("\n")
    );
    drop(server);
    db.drop_database().await;
}
