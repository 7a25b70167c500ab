//! Refreshing under a lease: a refresh token works once, so it is spent only by
//! the process that holds the connection's lease for the whole call.

use domain::connections::tokens::{self, Refreshed};
use domain::db::now_ms;
use domain::db::repo::connections as rows;
use domain::shared::Trigger;

use crate::support::world;

#[tokio::test]
async fn a_refresh_whose_lease_was_taken_over_leaves_the_token_alone() {
    let w = world().await;
    let stored = w.connect("user-1").await;
    let db = &w.services.db;
    let id = &stored.connection_id;
    let calls = w.token_calls().await;
    // This process claims the connection; its lease then lapses, and another
    // process claims it (a slow batch ahead of it, say).
    let now = now_ms();
    let ours = rows::claim(db, id, "this", now, now + 1_000)
        .await
        .unwrap()
        .unwrap();
    let theirs = rows::claim(db, id, "other", now + 2_000, now + 60_000)
        .await
        .unwrap()
        .expect("a lapsed lease can be claimed");
    assert!(theirs.lease_fence > ours.lease_fence);
    let outcome = tokens::refresh_leased(&w.services, &ours, Trigger::Scheduled)
        .await
        .unwrap();
    assert_eq!(outcome, Refreshed::LeaseLost);
    assert_eq!(w.token_calls().await, calls, "Pinterest was not asked");
    // The other process's refresh works with the untouched token.
    let outcome = tokens::refresh_leased(&w.services, &theirs, Trigger::Scheduled)
        .await
        .unwrap();
    assert_eq!(outcome, Refreshed::Stored);
    assert_eq!(w.token_calls().await, calls + 1);
    w.stop().await;
}

#[tokio::test]
async fn a_lease_that_ran_short_is_renewed_before_the_token_is_spent() {
    let w = world().await;
    let stored = w.connect("user-2").await;
    let db = w.services.db.clone();
    let id = stored.connection_id.clone();
    // Pinterest answers slowly; this process's lease has half a second left.
    reqwest::Client::new()
        .put(format!("{}/_sim/faults", w.sim.base_url()))
        .json(&serde_json::json!({"latency_ms": 1500, "paths": ["/v5/oauth/token"]}))
        .send()
        .await
        .unwrap();
    let now = now_ms();
    let ours = rows::claim(&db, &id, "this", now, now + 500)
        .await
        .unwrap()
        .unwrap();
    let services = w.services.clone();
    let refreshing =
        tokio::spawn(
            async move { tokens::refresh_leased(&services, &ours, Trigger::Scheduled).await },
        );
    // Past the old lease, in the middle of the call: nobody else may claim it.
    tokio::time::sleep(std::time::Duration::from_millis(900)).await;
    let stolen = rows::claim(&db, &id, "other", now_ms(), now_ms() + 60_000)
        .await
        .unwrap();
    assert!(stolen.is_none(), "the lease was renewed before the call");
    assert_eq!(refreshing.await.unwrap().unwrap(), Refreshed::Stored);
    let row = rows::find_by_id(&db, &id).await.unwrap().unwrap();
    assert_eq!(row.refresh_count, 1);
    w.stop().await;
}

#[tokio::test]
async fn a_round_tells_how_late_the_oldest_due_connection_was() {
    use domain::connections::scheduler::{BATCH, run_round};
    let w = world().await;
    let stored = w.connect("user-3").await;
    let db = &w.services.db;
    // Nothing due: no lag.
    let round = run_round(&w.services, BATCH).await.unwrap();
    assert_eq!((round.claimed(), round.lag_ms), (0, 0));
    // Its refresh fell due 90 seconds ago (a scheduler that was down, say).
    let due = now_ms() - 90_000;
    domain::on_pool!(db, pool => {
        sqlx::query("update connections set next_refresh_at = $1 where id = $2")
            .bind(due)
            .bind(&stored.connection_id)
            .execute(pool)
            .await
            .map(|_| ())
    })
    .unwrap();
    let round = run_round(&w.services, BATCH).await.unwrap();
    assert_eq!(round.refreshed, 1);
    assert!(
        (90_000..120_000).contains(&round.lag_ms),
        "lag {} ms",
        round.lag_ms
    );
    // Refreshed: nothing is late any more.
    let round = run_round(&w.services, BATCH).await.unwrap();
    assert_eq!((round.claimed(), round.lag_ms), (0, 0));
    w.stop().await;
}
