//! Prometheus metrics at `/metrics`, off unless configured: with
//! `PINBRIDGE_METRICS_TOKEN` the main listener serves them to that bearer
//! token; with `PINBRIDGE_METRICS_ADDR` a listener of its own serves them
//! (asking for the token too when one is set).
//!
//! Events are counted through the `metrics` facade where they happen: HTTP
//! requests by route template and API requests by key here, refreshes,
//! probes, the scheduler and webhooks in the domain (`domain::metrics`). One
//! Prometheus recorder per process keeps them; a scrape first sets the gauges
//! read at scrape time (connections, the database pool), then renders it.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use domain::Services;
use domain::accounts::ApiKeyId;
use domain::metrics::ScrapeGauges;
use metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// HTTP requests answered, by `route`, `method` and `status`.
pub const HTTP_REQUESTS: &str = "pinbridge_http_requests_total";
/// How long HTTP requests took until their answer's head, by `route` and `method`.
pub const HTTP_DURATION: &str = "pinbridge_http_request_duration_seconds";
/// `/v1` and `/mcp` requests, by `api` (`v1` or `mcp`), `key` (the API key's
/// id) and `status`.
pub const API_REQUESTS: &str = "pinbridge_api_requests_total";
/// Always 1, labelled with the running `version`.
pub const BUILD_INFO: &str = "pinbridge_build_info";

/// The route label of a request no route matched: one label for all of
/// them, whatever their paths.
pub const UNMATCHED: &str = "unmatched";

/// Upper bounds of the HTTP latency buckets, in seconds: from a cached
/// asset to a Pinterest call that runs into its timeout.
const LATENCY_BUCKETS: [f64; 13] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];
/// Connections are counted at most this often, however often scrapes come.
const CONNECTIONS_COUNTED_EVERY: Duration = Duration::from_secs(5);
/// How often the recorder folds recent histogram samples into its buckets.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Where and to whom `/metrics` is served (`PINBRIDGE_METRICS_*`, checked
/// by the configuration).
#[derive(Clone, Debug, Default)]
pub struct MetricsConfig {
    /// Asked of every scrape; with it, the main listener serves `/metrics` too.
    pub token: Option<MetricsToken>,
    /// A listener of its own for `/metrics`.
    pub addr: Option<SocketAddr>,
}

impl MetricsConfig {
    /// Whether metrics are recorded and served at all.
    pub fn enabled(&self) -> bool {
        self.token.is_some() || self.addr.is_some()
    }
}

/// The metrics token. Only its SHA-256 digest is kept, and a presented token
/// is compared with it in constant time.
#[derive(Clone)]
pub struct MetricsToken([u8; 32]);

impl MetricsToken {
    /// Fewer characters than this are refused at start-up.
    pub const MIN_LEN: usize = 16;

    /// Checks a configured token; the message never repeats it.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if !raw.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(
                "use visible ASCII characters only, no spaces (it is sent as a bearer token)"
                    .into(),
            );
        }
        if raw.len() < Self::MIN_LEN {
            return Err(format!(
                "too short ({} characters): give at least {}, e.g. from `openssl rand -hex 32`",
                raw.len(),
                Self::MIN_LEN
            ));
        }
        Ok(Self(Sha256::digest(raw.as_bytes()).into()))
    }

    /// Whether an `Authorization` header value is `Bearer` with this token.
    pub fn admits(&self, authorization: &str) -> bool {
        let Some((scheme, given)) = authorization.trim().split_once(' ') else {
            return false;
        };
        let digest: [u8; 32] = Sha256::digest(given.trim().as_bytes()).into();
        scheme.eq_ignore_ascii_case("bearer") && bool::from(digest.ct_eq(&self.0))
    }
}

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(redacted)")
    }
}

/// The process's recorder, installed by the first server that serves
/// metrics. The facade has one global recorder, so every server in the
/// process (tests start many) records into it and renders it.
fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.into()), &LATENCY_BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if let Err(e) = metrics::set_global_recorder(recorder) {
            tracing::warn!(error = %e, "another metrics recorder is installed: /metrics shows nothing");
        }
        describe();
        domain::metrics::describe();
        gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
        handle
    })
}

fn describe() {
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by route template (\"unmatched\" when none matched), method and status."
    );
    describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "Time until an HTTP answer's head, by route template and method."
    );
    describe_counter!(
        API_REQUESTS,
        "Application API (/v1) requests by API key id (\"none\" when no key was accepted) and status."
    );
    describe_gauge!(
        BUILD_INFO,
        "Always 1; the version label says which pinbridge runs."
    );
}

/// One server's `/metrics`: the recorder, who may scrape, and the gauges
/// counted at scrape time. Cheap to clone.
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

struct Inner {
    handle: &'static PrometheusHandle,
    token: Option<MetricsToken>,
    gauges: ScrapeGauges,
    services: Services,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("token", &self.0.token)
            .finish_non_exhaustive()
    }
}

impl Metrics {
    /// Installs the recorder (once per process) when metrics are configured;
    /// `None` when they are off.
    pub fn new(config: &MetricsConfig, services: Services) -> Option<Self> {
        config.enabled().then(|| {
            Self(Arc::new(Inner {
                handle: recorder(),
                token: config.token.clone(),
                gauges: ScrapeGauges::new(CONNECTIONS_COUNTED_EVERY),
                services,
            }))
        })
    }

    /// Whether the main listener serves `/metrics` (only behind a token).
    pub fn on_main_listener(&self) -> bool {
        self.0.token.is_some()
    }

    /// `GET /metrics`, for the main listener and the metrics listener alike.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/metrics", get(scrape))
            .with_state(self.clone())
    }

    /// Folds recent histogram samples into their buckets now and then, so
    /// they do not pile up between scrapes.
    pub fn spawn_upkeep(&self) -> tokio::task::JoinHandle<()> {
        let handle = self.0.handle;
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(UPKEEP_EVERY).await;
                handle.run_upkeep();
            }
        })
    }
}

/// `GET /metrics`: the Prometheus text format, or 401 without the token.
async fn scrape(State(metrics): State<Metrics>, headers: HeaderMap) -> Response {
    if let Some(token) = &metrics.0.token {
        let refusal = match headers.get(header::AUTHORIZATION) {
            None => Some(
                "/metrics needs the metrics token: send Authorization: Bearer <PINBRIDGE_METRICS_TOKEN>.\n",
            ),
            Some(given) if !given.to_str().is_ok_and(|g| token.admits(g)) => {
                Some("/metrics refused: the bearer token is not the metrics token.\n")
            }
            Some(_) => None,
        };
        if let Some(message) = refusal {
            return (
                StatusCode::UNAUTHORIZED,
                [
                    (
                        header::WWW_AUTHENTICATE,
                        HeaderValue::from_static("Bearer realm=\"pinbridge metrics\""),
                    ),
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("text/plain; charset=utf-8"),
                    ),
                ],
                message,
            )
                .into_response();
        }
    }
    if let Err(e) = metrics.0.gauges.observe(&metrics.0.services).await {
        // The rest is still worth having; the connection counts stay as last read.
        tracing::warn!(error = %e, "could not count connections for /metrics");
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        metrics.0.handle.render(),
    )
        .into_response()
}

/// Counts every request by its route template and times it. Layered on
/// the router, so that routing has already named the route it matched.
pub async fn track_requests(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED.to_owned(), |p| p.as_str().to_owned());
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    let elapsed = started.elapsed().as_secs_f64();
    let status = response.status().as_u16().to_string();
    counter!(HTTP_REQUESTS, "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    histogram!(HTTP_DURATION, "route" => route, "method" => method).record(elapsed);
    response
}

/// Methods by name; any other (clients may send any token) as `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Which API key an answer went to, put on the answer by the API's gate;
/// `oauth` for every assistant signed in through OAuth (one per end user and
/// assistant would be a label without bound).
#[derive(Clone, Debug)]
struct AnsweredKey(String);

/// Marks `response` as answered to `key`, for [`count_api_requests`].
pub fn answered_to(key: &ApiKeyId, mut response: Response) -> Response {
    response
        .extensions_mut()
        .insert(AnsweredKey(key.as_str().to_owned()));
    response
}

/// Marks `response` as answered to an assistant signed in through OAuth.
pub fn answered_to_assistant(mut response: Response) -> Response {
    response
        .extensions_mut()
        .insert(AnsweredKey("oauth".to_owned()));
    response
}

/// Counts every `/v1` request by API key and status; a request refused
/// before a key was accepted counts as key `none`.
pub async fn count_api_requests(request: Request, next: Next) -> Response {
    count_requests("v1", request, next).await
}

/// As [`count_api_requests`], for the MCP gateway (`/mcp`).
pub async fn count_mcp_requests(request: Request, next: Next) -> Response {
    count_requests("mcp", request, next).await
}

async fn count_requests(api: &'static str, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let key = response
        .extensions()
        .get::<AnsweredKey>()
        .map_or_else(|| "none".to_owned(), |k| k.0.clone());
    let status = response.status().as_u16().to_string();
    counter!(API_REQUESTS, "api" => api, "key" => key, "status" => status).increment(1);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_kept_as_a_digest_and_asked_for_as_a_bearer_token() {
        let token = MetricsToken::parse("0123456789abcdef").unwrap();
        assert!(token.admits("Bearer 0123456789abcdef"));
        assert!(token.admits("bearer 0123456789abcdef"));
        assert!(!token.admits("Bearer 0123456789abcdeF"));
        assert!(!token.admits("Basic 0123456789abcdef"));
        assert!(!token.admits("0123456789abcdef"));
        assert!(!token.admits("Bearer "));
        assert_eq!(format!("{token:?}"), "MetricsToken(redacted)");
        assert!(MetricsToken::parse("0123456789abcde").is_err());
    }

    #[test]
    fn unusual_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(
            method_label(&Method::from_bytes(b"PROPFIND").unwrap()),
            "other"
        );
    }
}
