//! Several pinbridge servers in one process, as the test suites run them:
//! starting one must never stall a page another one is rendering.

use std::time::Duration;

use crate::common::TestApp;
use crate::common::portal::set_up;
use reqwest::StatusCode;

/// As in the suites: each test's server on its own single-threaded runtime,
/// here one serving pages while another thread keeps starting servers.
#[tokio::test]
async fn pages_render_while_other_servers_start_in_the_same_process() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.clone();
    let starter = std::thread::spawn(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                for _ in 0..12 {
                    TestApp::spawn().await.stop().await;
                }
            });
    });
    let loads = async {
        for i in 0..80 {
            let page = [
                "members",
                "environments",
                "audit",
                "e/development/integrations",
            ][i % 4];
            let answer = tokio::time::timeout(
                Duration::from_secs(10),
                owner.browser.page(&format!("/w/{ws}/{page}")),
            )
            .await
            .unwrap_or_else(|_| panic!("/w/{ws}/{page} did not answer within 10 s"));
            assert_eq!(answer.status, StatusCode::OK, "{page}");
        }
    };
    loads.await;
    tokio::task::spawn_blocking(move || starter.join().expect("starts"))
        .await
        .unwrap();
    app.stop().await;
}
