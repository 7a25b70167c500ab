//! A workspace whose Development environment uses pinterest-sim's app, and an
//! end user's trip to Pinterest and back, for the connections tests.

use domain::Services;
use domain::accounts::operators::NewOperator;
use domain::accounts::{
    Actor, DisplayName, Email, EnvironmentId, Hasher, NewPassword, RequestMeta, WorkspaceName,
    actor_in, environments, setup,
};
use domain::connections::handshake::{self, Stored};
use domain::connections::links::{self, LinkInput};
use domain::connections::portal;
use domain::pinterest::settings::{self, SaveRequest};
use domain::pinterest::{ClientId, NewSecret, PinterestApi, ScopeSet};
use domain::testing::{TestDb, services};
use pinterest_sim::{RunningSim, SimConfig};

pub const APP_ID: &str = "7654321";
pub const APP_SECRET: &str = "sim-test-secret-0123";
pub const PUBLIC_URL: &str = "http://127.0.0.1:9";

pub struct World {
    pub sim: RunningSim,
    test_db: TestDb,
    pub services: Services,
    pub actor: Actor,
    pub env: EnvironmentId,
}

/// A workspace whose Development environment uses the simulator's app.
pub async fn world() -> World {
    let sim = pinterest_sim::spawn(SimConfig::default()).await.unwrap();
    let registered = reqwest::Client::new()
        .post(format!("{}/_sim/apps", sim.base_url()))
        .json(&serde_json::json!({
            "id": APP_ID, "secret": APP_SECRET, "name": "Acme", "tier": "standard",
            "redirect_uris": [format!("{PUBLIC_URL}/integration-callback")]
        }))
        .send()
        .await
        .unwrap();
    assert!(registered.status().is_success());
    let test_db = TestDb::new().await;
    let services = services(test_db.connect().await, PUBLIC_URL, &sim.base_url());
    let db = &services.db;
    let token = setup::issue_token(db, &Default::default()).await.unwrap();
    let email = Email::parse("owner@acme.example").unwrap();
    let password = NewPassword::parse("correct horse battery staple", &email, None).unwrap();
    let done = setup::complete(
        db,
        token.expose(),
        &WorkspaceName::parse("Acme").unwrap(),
        &NewOperator {
            password_hash: Hasher::fast_insecure().hash(&password).await.unwrap(),
            display_name: DisplayName::parse("Owner").unwrap(),
            email,
        },
        &RequestMeta::default(),
    )
    .await
    .unwrap();
    let actor = actor_in(db, &done.workspace_id, &done.operator_id)
        .await
        .unwrap();
    let env = environments::list(db, &actor).await.unwrap()[0].id.clone();
    settings::save(
        db,
        &services.keys,
        &actor,
        SaveRequest {
            environment_id: env.clone(),
            expected_version: 0,
            client_id: ClientId::parse(APP_ID).unwrap(),
            secret: NewSecret::parse(Some(APP_SECRET)).unwrap(),
            scopes: ScopeSet::parse_selection(&["user_accounts:read", "boards:read", "pins:read"])
                .unwrap(),
            api: PinterestApi::Production,
        },
        &RequestMeta::default(),
    )
    .await
    .unwrap();
    World {
        sim,
        test_db,
        services,
        actor,
        env,
    }
}

/// An end user's browser: its cookie, and the callback query Pinterest
/// sends it back with after consenting.
pub struct Trip {
    pub cookie: String,
    pub query: String,
}

impl World {
    /// Link → Continue to Pinterest → Allow on the simulator.
    pub async fn trip(&self, end_user: &str) -> Trip {
        let link = links::create(
            &self.services.db,
            &self.actor,
            &self.env,
            LinkInput::parse(end_user, "", "").unwrap(),
            PUBLIC_URL,
            &RequestMeta::default(),
        )
        .await
        .unwrap();
        let token = link.url.rsplit('/').next().unwrap();
        let begun = handshake::begin(&self.services, token, None, handshake::Display::Page)
            .await
            .unwrap()
            .unwrap();
        let back = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(format!("{}&sim_consent=allow", begun.authorize_url))
            .send()
            .await
            .unwrap();
        let location = back.headers()["location"].to_str().unwrap().to_owned();
        Trip {
            cookie: begun.browser_cookie,
            query: location.split_once('?').unwrap().1.to_owned(),
        }
    }

    pub async fn connections(&self) -> i64 {
        let request = portal::ListRequest::default();
        match portal::list(&self.services.db, &self.actor, &self.env, &request)
            .await
            .unwrap()
            .matching
        {
            portal::Matching::Exactly(n) => n,
            other => panic!("an unfiltered list is counted exactly: {other:?}"),
        }
    }

    pub async fn stop(self) {
        self.services.db.close().await;
        self.test_db.drop_database().await;
        self.sim.shutdown().await;
    }

    /// An end user's connection, made through all three steps.
    pub async fn connect(&self, end_user: &str) -> Stored {
        let trip = self.trip(end_user).await;
        let verified = handshake::verify(&self.services, Some(&trip.query), Some(&trip.cookie))
            .await
            .unwrap()
            .unwrap();
        let grant = handshake::exchange(&self.services, &verified)
            .await
            .unwrap()
            .unwrap();
        handshake::store(&self.services, &verified, &grant, &RequestMeta::default())
            .await
            .unwrap()
            .unwrap()
    }

    /// How many calls the simulator's token endpoint got.
    pub async fn token_calls(&self) -> usize {
        let log: serde_json::Value =
            reqwest::get(format!("{}/_sim/requests?limit=10000", self.sim.base_url()))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
        log["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["path"] == "/v5/oauth/token")
            .count()
    }
}
