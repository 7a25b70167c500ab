//! The OAuth callback's three steps, each on its own, against pinterest-sim:
//! `verify` checks the callback and uses its state up, `exchange` turns the
//! code into a checked grant without storing anything, `store` keeps it as
//! the end user's one connection.

use domain::accounts::RequestMeta;
use domain::connections::handshake::{self, Problem, Refused};
use domain::connections::{TokenColumn, open_token, portal};
use domain::pinterest::settings;
use domain::shared::Health;

use crate::support::{Trip, world};

fn refused<T>(result: Result<T, Refused>) -> Refused {
    match result {
        Ok(_) => panic!("expected a refusal"),
        Err(refused) => refused,
    }
}

#[tokio::test]
async fn verify_checks_the_callback_and_uses_its_state_once() {
    let w = world().await;
    let trip = w.trip("user-1").await;
    // Before any state is read: nothing to tie the failure to.
    let missing = refused(
        handshake::verify(&w.services, Some("code=abc"), None)
            .await
            .unwrap(),
    );
    assert!(
        matches!(missing, Refused::Unknown(Problem::MissingState)),
        "{missing:?}"
    );
    // Another browser's cookie: refused, and the state stays usable.
    let other = refused(
        handshake::verify(
            &w.services,
            Some(&trip.query),
            Some("x".repeat(43).as_str()),
        )
        .await
        .unwrap(),
    );
    assert!(
        matches!(other, Refused::Known(_, Problem::OtherBrowser)),
        "{other:?}"
    );
    let verified = handshake::verify(&w.services, Some(&trip.query), Some(&trip.cookie))
        .await
        .unwrap()
        .expect("the right browser passes");
    // Printed, it names the attempt but never the code (a credential until exchanged).
    let code = url::form_urlencoded::parse(trip.query.as_bytes())
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let printed = format!("{verified:?}");
    assert!(printed.contains("user-1"), "{printed}");
    assert!(!printed.contains(&code), "{printed}");
    // Used up: the same callback again is refused.
    let again = refused(
        handshake::verify(&w.services, Some(&trip.query), Some(&trip.cookie))
            .await
            .unwrap(),
    );
    assert!(
        matches!(again, Refused::Known(_, Problem::StateUsed)),
        "{again:?}"
    );
    assert_eq!(w.connections().await, 0, "verifying stores no connection");
    w.stop().await;
}

#[tokio::test]
async fn exchange_checks_the_grant_and_stores_nothing() {
    let w = world().await;
    let trip = w.trip("user-2").await;
    let verified = handshake::verify(&w.services, Some(&trip.query), Some(&trip.cookie))
        .await
        .unwrap()
        .unwrap();
    // Pinterest's token endpoint failing: not the end user's fault, nothing stored.
    reqwest::Client::new()
        .put(format!("{}/_sim/faults", w.sim.base_url()))
        .json(&serde_json::json!({"error_rate": 1.0, "error_statuses": [503], "paths": ["/v5/oauth/token"]}))
        .send()
        .await
        .unwrap();
    let down = handshake::exchange(&w.services, &verified).await.unwrap();
    assert!(matches!(down, Err(Problem::PinterestDown { .. })));
    reqwest::Client::new()
        .delete(format!("{}/_sim/faults", w.sim.base_url()))
        .send()
        .await
        .unwrap();
    // The code was not used by the failed call: it exchanges now.
    let grant = handshake::exchange(&w.services, &verified).await.unwrap();
    assert!(grant.is_ok(), "the code exchanges");
    assert_eq!(w.connections().await, 0, "exchanging stores no connection");
    // Disabled meanwhile: the exchange does not even try.
    settings::set_enabled(
        &w.services.db,
        &w.actor,
        &w.env,
        false,
        &RequestMeta::default(),
    )
    .await
    .unwrap();
    let off = handshake::exchange(&w.services, &verified).await.unwrap();
    assert!(matches!(off, Err(Problem::Unavailable)));
    w.stop().await;
}

#[tokio::test]
async fn store_keeps_one_connection_per_end_user_and_uses_the_link() {
    let w = world().await;
    let step = |trip: Trip| {
        let services = w.services.clone();
        async move {
            let verified = handshake::verify(&services, Some(&trip.query), Some(&trip.cookie))
                .await
                .unwrap()
                .unwrap();
            let grant = handshake::exchange(&services, &verified)
                .await
                .unwrap()
                .unwrap();
            (verified, grant)
        }
    };
    let (first, first_grant) = step(w.trip("user-3").await).await;
    let (second, second_grant) = step(w.trip("user-3").await).await;
    let meta = RequestMeta::default();
    let stored = handshake::store(&w.services, &first, &first_grant, &meta)
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.reauthorized);
    // The same end user through another link: the same connection, renewed.
    let renewed = handshake::store(&w.services, &second, &second_grant, &meta)
        .await
        .unwrap()
        .unwrap();
    assert!(renewed.reauthorized);
    assert_eq!(renewed.connection_id, stored.connection_id);
    assert_eq!(w.connections().await, 1);
    // A link stores once.
    let used = handshake::store(&w.services, &first, &first_grant, &meta)
        .await
        .unwrap();
    assert_eq!(used, Err(Problem::LinkUsed));
    // The stored tokens are sealed to their connection and column.
    let row = portal::detail(&w.services.db, &w.actor, &w.env, &stored.connection_id)
        .await
        .unwrap()
        .row;
    assert_eq!(row.health, Health::Active);
    let sealed = row.access_token.as_deref().unwrap();
    let ws = w.actor.workspace_id();
    assert!(open_token(&w.services.keys, ws, &row.id, TokenColumn::Access, sealed).is_ok());
    assert!(open_token(&w.services.keys, ws, &row.id, TokenColumn::Refresh, sealed).is_err());
    w.stop().await;
}
