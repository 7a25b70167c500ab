//! [`Services`]: what every domain service works with (the database, the key
//! ring, the settings, the password hasher and the HTTP client for Pinterest).

use std::sync::Arc;
use std::time::Duration;

use super::accounts::Hasher;
use super::crypto::KeyRing;
use super::db::Db;
use super::pinterest::PinterestApi;

/// Non-secret settings the portal shows and uses to build URLs.
#[derive(Clone, Debug)]
pub struct PortalConfig {
    /// The externally visible base URL, without a trailing slash.
    pub public_url: String,
    pub pinterest_oauth_url: String,
    pub pinterest_api_url: String,
    pub pinterest_sandbox_api_url: String,
    /// How long pinbridge waits for any one answer from Pinterest.
    pub pinterest_timeout: Duration,
    /// How often each connection is probed.
    pub health_check_interval: Duration,
    /// Lifetimes of setup links, sign-ins and recent passwords.
    pub accounts: super::accounts::AccountPolicy,
    /// Where and how webhooks are delivered.
    pub webhooks: super::webhooks::runtime::WebhookPolicy,
    /// Whether assistants' client ID metadata documents may be fetched from
    /// private addresses, over plain http too (development and tests only).
    pub agent_documents_allow_private: bool,
}

impl PortalConfig {
    pub fn health_check_interval_ms(&self) -> i64 {
        i64::try_from(self.health_check_interval.as_millis()).unwrap_or(i64::MAX / 4)
    }

    /// The redirect URI operators register with Pinterest.
    pub fn redirect_uri(&self) -> String {
        format!("{}/integration-callback", self.public_url)
    }

    /// Pinterest's token endpoint. Credentials are exchanged and checked with
    /// Pinterest's production OAuth, whichever API an environment uses.
    pub fn token_url(&self) -> String {
        format!("{}/v5/oauth/token", self.pinterest_api_url)
    }

    /// The API base an environment's calls go to.
    pub fn api_base(&self, api: PinterestApi) -> &str {
        match api {
            PinterestApi::Production => &self.pinterest_api_url,
            PinterestApi::Sandbox => &self.pinterest_sandbox_api_url,
        }
    }

    /// Why Pinterest would refuse the redirect URI for a production app, if it would.
    pub fn redirect_uri_warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        let Ok(url) = url::Url::parse(&self.public_url) else {
            return warnings;
        };
        if url.scheme() != "https" {
            warnings.push(format!(
                "This address uses {}, not https. Pinterest accepts only https redirect URIs for apps people use; set PINBRIDGE_PUBLIC_URL to pinbridge's https address.",
                url.scheme()
            ));
        }
        let loopback = match url.host() {
            Some(url::Host::Domain(d)) => {
                d.eq_ignore_ascii_case("localhost")
                    || d.to_ascii_lowercase().ends_with(".localhost")
            }
            Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_unspecified(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback() || ip.is_unspecified(),
            None => false,
        };
        if loopback {
            warnings.push(format!(
                "{} is a loopback address: only a browser on this computer can finish connecting, and Pinterest will refuse it for a production app.",
                url.host_str().unwrap_or_default()
            ));
        }
        warnings
    }
}

/// Cheap to clone: every field is shared.
#[derive(Clone, Debug)]
pub struct Services {
    pub db: Db,
    pub keys: Arc<KeyRing>,
    pub config: Arc<PortalConfig>,
    /// Operator passwords: argon2id with OWASP's parameters.
    pub hasher: Hasher,
    /// Outgoing HTTP to Pinterest: follows no redirects, times out.
    pub http: reqwest::Client,
    /// The API's per-process state: verified keys, rate limits, usage counts.
    pub api: Arc<super::api::Runtime>,
    /// Webhook delivery's per-process state: its HTTP client and wake-up signal.
    pub webhooks: Arc<super::webhooks::runtime::Runtime>,
}

/// The client pinbridge talks to Pinterest with. Redirects are not followed, so
/// an answer can never send pinbridge's requests (and credentials) elsewhere.
pub fn pinterest_http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(timeout)
        .timeout(timeout)
        .user_agent(concat!("pinbridge/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(public_url: &str) -> PortalConfig {
        PortalConfig {
            public_url: public_url.into(),
            pinterest_oauth_url: "https://www.pinterest.com".into(),
            pinterest_api_url: "https://api.pinterest.com".into(),
            pinterest_sandbox_api_url: "https://api-sandbox.pinterest.com".into(),
            pinterest_timeout: Duration::from_secs(10),
            health_check_interval: Duration::from_secs(86_400),
            accounts: Default::default(),
            webhooks: Default::default(),
            agent_documents_allow_private: false,
        }
    }

    #[test]
    fn redirect_uri_warnings_name_plain_http_and_loopback_hosts() {
        assert!(
            config("https://pinbridge.example.com")
                .redirect_uri_warnings()
                .is_empty()
        );
        let w = config("http://127.0.0.1:3000").redirect_uri_warnings();
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].contains("not https"));
        assert!(w[1].contains("127.0.0.1 is a loopback address"));
        assert_eq!(
            config("https://localhost:8443")
                .redirect_uri_warnings()
                .len(),
            1
        );
        assert_eq!(config("https://[::1]").redirect_uri_warnings().len(), 1);
        assert_eq!(
            config("http://pinbridge.internal")
                .redirect_uri_warnings()
                .len(),
            1
        );
        assert_eq!(
            config("https://p.example").redirect_uri(),
            "https://p.example/integration-callback"
        );
    }

    #[test]
    fn the_api_base_follows_the_environment_choice_and_tokens_use_production() {
        let c = config("https://p.example");
        assert_eq!(
            c.api_base(PinterestApi::Sandbox),
            "https://api-sandbox.pinterest.com"
        );
        assert_eq!(
            c.api_base(PinterestApi::Production),
            "https://api.pinterest.com"
        );
        assert_eq!(c.token_url(), "https://api.pinterest.com/v5/oauth/token");
    }
}
