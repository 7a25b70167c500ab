//! The connection pool: PostgreSQL connections are not pinged before every
//! query, yet a connection the server dropped while it sat idle is never
//! handed out.

use std::time::Duration;

use domain::db::{Db, PING_IDLE_AFTER};
use domain::testing::{TestBackend, TestDb, backend};
use sqlx::Connection;

/// The server ends every pool connection (a restart, an administrator, a
/// proxy's idle limit); once they have sat idle, the next query still works:
/// the pool finds them dead and opens another.
#[tokio::test]
async fn connections_the_server_dropped_while_idle_are_replaced() {
    if backend() != TestBackend::Postgres {
        return; // An SQLite connection is a file this process holds open.
    }
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let Db::Postgres(pool) = &db else {
        unreachable!("the backend is PostgreSQL")
    };
    // Several connections in the pool, all idle now.
    let held: Vec<_> = check_out(pool, 3).await;
    drop(held);
    let before = pool.size();
    assert!(before >= 3, "the pool holds {before} connections");

    let mut admin = sqlx::PgConnection::connect(&test_db.url).await.unwrap();
    let (ended,): (i64,) = sqlx::query_as(
        "select count(*) from (select pg_terminate_backend(pid) from pg_stat_activity \
         where datname = current_database() and pid <> pg_backend_pid()) ended",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert!(ended >= i64::from(before), "ended {ended} of {before}");
    admin.close().await.unwrap();

    tokio::time::sleep(PING_IDLE_AFTER + Duration::from_millis(200)).await;
    for _ in 0..before + 1 {
        db.ping()
            .await
            .expect("a query after the server ended the pool's connections");
    }
    db.close().await;
    test_db.drop_database().await;
}

/// `n` connections checked out at once (so the pool opens that many).
async fn check_out(
    pool: &sqlx::PgPool,
    n: usize,
) -> Vec<sqlx::pool::PoolConnection<sqlx::Postgres>> {
    let mut held = Vec::with_capacity(n);
    for _ in 0..n {
        held.push(pool.acquire().await.unwrap());
    }
    held
}
