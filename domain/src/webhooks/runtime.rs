//! What a process keeps for webhook delivery, and how the installation
//! delivers them: apart from the worker, so that [`crate::Services`] can hold
//! them without depending on it.

use std::sync::Arc;
use std::time::Duration;

use super::target::GuardedResolver;

/// How this installation delivers webhooks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WebhookPolicy {
    /// Whether endpoints may be private addresses (and plain http to them).
    pub allow_private: bool,
    /// How long one attempt may take, answer included.
    pub timeout: Duration,
    /// How long a delivery is retried before it is given up.
    pub retry_for: Duration,
    /// The first retry's delay; each further one doubles it.
    pub backoff_base: Duration,
    /// The longest delay between two attempts.
    pub backoff_max: Duration,
    /// How often the worker looks for due deliveries written by other processes.
    pub poll: Duration,
}

impl WebhookPolicy {
    /// The same, retrying within seconds (a 30 s window) and polling every
    /// 50 ms: for tests (`--webhook-test-timing`, `domain::testing`).
    pub fn quick_retries(self) -> Self {
        Self {
            retry_for: Duration::from_secs(30),
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_secs(2),
            poll: Duration::from_millis(50),
            ..self
        }
    }
}

impl Default for WebhookPolicy {
    fn default() -> Self {
        Self {
            allow_private: false,
            timeout: Duration::from_secs(10),
            retry_for: Duration::from_secs(24 * 3600),
            backoff_base: Duration::from_secs(5),
            backoff_max: Duration::from_secs(3600),
            poll: Duration::from_secs(1),
        }
    }
}

/// The per-process part: the HTTP client deliveries go out with, and the
/// signal that new events are waiting.
#[derive(Debug)]
pub struct Runtime {
    pub(crate) http: reqwest::Client,
    pub(crate) wake: tokio::sync::Notify,
}

impl Runtime {
    pub fn new(policy: &WebhookPolicy) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // A proxy from the environment (HTTPS_PROXY…) would connect to
            // whatever the URL names, past the resolver's checks.
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver {
                allow_private: policy.allow_private,
            }))
            .connect_timeout(policy.timeout)
            .timeout(policy.timeout)
            .user_agent(concat!("pinbridge-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Self {
            http,
            wake: tokio::sync::Notify::new(),
        }
    }

    /// Tells this process's worker that deliveries were just written.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}
