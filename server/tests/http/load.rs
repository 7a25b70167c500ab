//! Server-rendered pages under load on a multi-threaded runtime, as pinbridge
//! serves them in production: no page may panic, hang or come back broken.
//!
//! Leptos' reactive graph is not safe for two threads computing one memo at
//! once (`reactive_graph`'s `ArcMemo` can be read while another thread holds
//! its value: an `unwrap` on `None` in `arc_memo.rs`); pinbridge renders each
//! request's pages and server functions on one thread (see the router) so the
//! graph of one request is never shared between threads. This test is the
//! load that made the panic appear.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::ACCEPT;

use crate::common::TestApp;
use crate::common::portal::{PASSWORD, set_up};

/// Panics raised inside Leptos' crates, by any thread of this process.
static FRAMEWORK_PANICS: AtomicUsize = AtomicUsize::new(0);
static FIRST_PANIC: Mutex<Option<String>> = Mutex::new(None);

fn count_framework_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let file = info.location().map(|l| l.file()).unwrap_or_default();
            if [
                "reactive_graph",
                "leptos",
                "tachys",
                "any_spawner",
                "server_fn",
            ]
            .iter()
            .any(|c| file.contains(c))
            {
                FRAMEWORK_PANICS.fetch_add(1, Ordering::SeqCst);
                FIRST_PANIC
                    .lock()
                    .unwrap()
                    .get_or_insert_with(|| info.to_string());
            }
            previous(info);
        }));
    });
}

/// The portal's pages of one workspace, each with a phrase only it shows.
const PAGES: [(&str, &str); 8] = [
    ("e/development/integrations", "Integrations"),
    ("e/development/integrations/pinterest", "Redirect URI"),
    ("e/development/connections", "Connections"),
    ("e/production/integrations", "Integrations"),
    ("members", "Members"),
    ("environments", "Environments"),
    ("audit", "Audit log"),
    ("installation", "Installation"),
];
/// Enough to make the panic appear in every run before the fix (2 to 3 panics
/// per run on a 2-core machine): many threads, many pages at once.
const REQUESTS: usize = 4000;
const AT_ONCE: usize = 96;

#[tokio::test(flavor = "multi_thread", worker_threads = 16)]
async fn pages_render_whole_under_load_on_a_multi_threaded_runtime() {
    count_framework_panics();
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Load Co", "owner@load.example").await;
    let ws = owner.workspace_id.clone();
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let signed_in = client
        .post(app.url("/api/auth/sign-in"))
        .header(ACCEPT, "application/json")
        .form(&[("email", owner.email.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(signed_in.status().is_success(), "{}", signed_in.status());

    let gate = Arc::new(tokio::sync::Semaphore::new(AT_ONCE));
    let mut loads = tokio::task::JoinSet::new();
    for i in 0..REQUESTS {
        let (page, phrase) = PAGES[i % PAGES.len()];
        let url = app.url(&format!("/w/{ws}/{page}"));
        let client = client.clone();
        let permit = gate.clone().acquire_owned().await.unwrap();
        loads.spawn(async move {
            let _permit = permit;
            let answer = client.get(&url).send().await;
            let answer = match answer {
                Ok(answer) => answer,
                Err(e) => return Err(format!("{page}: no answer ({e})")),
            };
            let status = answer.status();
            let body = answer.text().await.unwrap_or_default();
            if status != StatusCode::OK || !body.contains(phrase) || !body.contains("</html>") {
                return Err(format!("{page}: {status}, {} bytes", body.len()));
            }
            Ok(())
        });
    }
    let mut broken = Vec::new();
    while let Some(done) = loads.join_next().await {
        if let Err(e) = done.unwrap() {
            broken.push(e);
        }
    }
    let panics = FRAMEWORK_PANICS.load(Ordering::SeqCst);
    assert_eq!(
        panics,
        0,
        "panics inside Leptos while rendering: {panics}, the first: {:?}",
        FIRST_PANIC.lock().unwrap()
    );
    assert!(
        broken.is_empty(),
        "{} of {REQUESTS} pages broken: {:?}",
        broken.len(),
        &broken[..broken.len().min(5)]
    );
    app.stop().await;
}
