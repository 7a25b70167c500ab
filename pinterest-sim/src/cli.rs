//! Command-line flags of the `pinterest-sim` binary, with the admin API
//! reference that `--help` prints.

use std::path::PathBuf;

use clap::Parser;

use super::model::{ConsentMode, Environment};

const ABOUT: &str = "An offline Pinterest API v5 for tests and demos: OAuth consent page, token endpoint and REST API on one origin.";

const LONG_ABOUT: &str = "\
An offline Pinterest API v5 for tests and demos. One origin serves the OAuth \
consent page (GET /oauth/), the token endpoint (POST /v5/oauth/token) and the REST \
API (/v5/user_account, /v5/boards, /v5/pins, /v5/search/pins), in Pinterest's \
wire format, with state in memory. Point pinbridge's Pinterest OAuth base and API base at it.

Unless --no-demo: app 1234567 (Standard access, secret sim-demo-secret, redirect \
URI http://127.0.0.1:3000/integration-callback) and user demo_pinner with 3 boards \
and 30 Pins.

On start-up it prints one line, `pinterest-sim listening on http://HOST:PORT`, to \
stdout. Logs go to stderr (RUST_LOG, default info).";

const ADMIN_HELP: &str = "\
Admin API (JSON in and out, errors {\"code\":…,\"message\":…}; unauthenticated, so bind to loopback):
  GET    /_sim/health                     {\"status\":\"ok\"}
  GET    /_sim/state                      apps (no secrets), users and their boards, totals, consent
  GET    /_sim/apps                       registered apps
  POST   /_sim/apps                       register an app:
           {\"id\":\"7654321\",\"secret\":\"s3cret\",\"name\":\"My app\",\"tier\":\"trial\"|\"standard\",
            \"redirect_uris\":[\"http://127.0.0.1:3000/cb\"],
            \"access_token_ttl_secs\":60,\"refresh_token_ttl_secs\":120}
           only redirect_uris is required; tier defaults to trial; answers 201 with the secret
  POST   /_sim/users                      create a user with boards and Pins:
           {\"username\":\"alice\",\"boards\":[{\"name\":\"Recipes\",\"privacy\":\"PUBLIC\",\"pins\":250},
            {\"name\":\"Mine\",\"pins\":[{\"title\":\"t\",\"description\":\"d\",\"link\":\"https://…\"}]}]}
           (also account_type PINNER|BUSINESS, business_name, about, website_url,
            follower_count, following_count, monthly_views)
  GET    /_sim/users/{username}           the user's id and boards
  POST   /_sim/users/{username}/boards    {\"boards\":[…]} adds boards to a user
  POST   /_sim/tokens                     issue tokens without the browser leg:
           {\"client_id\":\"1234567\",\"username\":\"demo_pinner\",\"scopes\":\"boards:read,pins:read\",\"count\":1}
           answers {\"items\":[<token endpoint response>…]}
  POST   /_sim/tokens/revoke              {\"token\":\"pina_…|pinr.…\"} (a refresh token takes the access
           tokens of its chain along) or {\"client_id\":\"…\",\"username\":\"…\"} (user disconnects the app)
  POST   /_sim/tokens/expire              {\"token\":\"…\"} the token is expired from now on
  GET    /_sim/faults                     {\"global\":…,\"apps\":{\"<id>\":…}}
  PUT    /_sim/faults                     set global faults (body: a fault set, below)
  DELETE /_sim/faults                     clear all faults, global and per app
  PUT    /_sim/apps/{id}/faults           set one app's faults (they replace the global ones for it)
  DELETE /_sim/apps/{id}/faults           clear one app's faults
  GET    /_sim/consent                    current consent setting
  PUT    /_sim/consent                    {\"mode\":\"ask\"|\"auto-allow\"|\"auto-deny\",\"user\":\"demo_pinner\"}
  GET    /_sim/requests?since=N&limit=M   request log of /oauth and /v5 calls (secrets and tokens
           redacted; tokens shown as sha256 fingerprints), oldest first, with last_seq
  DELETE /_sim/requests                   clear the request log

Fault set (every field optional):
  {\"latency_ms\":200,\"latency_jitter_ms\":50,
   \"error_rate\":0.25,\"error_statuses\":[500,502,503],\"error_body\":\"json\"|\"html\"|\"empty\"|\"echo\",
   \"rate_limit\":{\"requests\":10,\"window_ms\":1000,\"retry_after\":false},
   \"hang\":false,
   \"down\":{\"mode\":\"unavailable\"|\"refuse\",\"for_ms\":5000},
   \"paths\":[\"/v5/oauth/token\"]}
  rate_limit counts per bearer token (per client id on the token endpoint) and answers 429 code 8;
  error_statuses are 5xx, or 400/401/403; error_body \"echo\" repeats the request's query and form
  (credentials included) in the message, to test that a client keeps them to itself;
  down \"unavailable\" answers 503; \"refuse\" (global only, for_ms required) closes the port.

Authorize-page query flags for tests: sim_consent=allow|deny|ask, sim_user=<username>.";

/// `pinterest-sim` flags. Every flag but `--config` may also come from the TOML file.
#[derive(Debug, Clone, Default, Parser)]
#[command(
    name = "pinterest-sim",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = "Run with --help for the admin API reference.",
    after_long_help = ADMIN_HELP
)]
pub struct SimArgs {
    /// Address to listen on [default: 127.0.0.1:4010]; port 0 picks a free one.
    #[arg(long, env = "PINTEREST_SIM_ADDR", value_name = "HOST:PORT")]
    pub addr: Option<String>,

    /// TOML file with any of: addr, public_url, demo, environment,
    /// access_token_ttl_secs, refresh_token_ttl_secs, code_ttl_secs, max_body_bytes,
    /// request_log_capacity, [consent], [faults], [[apps]], [[users]] (same fields as the admin API).
    #[arg(long, env = "PINTEREST_SIM_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Register an app; repeatable. TIER is trial or standard; several redirect URIs are comma-separated.
    #[arg(long, value_name = "ID:SECRET:TIER:REDIRECT_URI[,REDIRECT_URI...]")]
    pub app: Vec<String>,

    /// Do not create the demo app (1234567) and user (demo_pinner).
    #[arg(long)]
    pub no_demo: bool,

    /// Access-token lifetime in seconds [default: 2592000, 30 days].
    #[arg(long, value_name = "SECS")]
    pub access_token_ttl: Option<u64>,

    /// Refresh-token lifetime in seconds, renewed on every refresh [default: 5184000, 60 days].
    #[arg(long, value_name = "SECS")]
    pub refresh_token_ttl: Option<u64>,

    /// Authorization-code lifetime in seconds [default: 600].
    #[arg(long, value_name = "SECS")]
    pub code_ttl: Option<u64>,

    /// What GET /oauth/ does [default: ask].
    #[arg(long, value_enum)]
    pub consent: Option<ConsentMode>,

    /// The user the browser is signed in as [default: the first user, demo_pinner with the demo].
    #[arg(long, value_name = "USERNAME")]
    pub consent_user: Option<String>,

    /// production refuses Pin creation to Trial apps (403 code 29); sandbox allows it [default: production].
    #[arg(long, value_enum)]
    pub environment: Option<Environment>,

    /// Base URL in links the simulator hands out (Pin images) [default: http://ADDR].
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,

    /// Request bodies larger than this get 413 [default: 1048576].
    #[arg(long, value_name = "BYTES")]
    pub max_body_bytes: Option<usize>,

    /// Requests kept in the log; 0 turns it off [default: 10000].
    #[arg(long, value_name = "N")]
    pub request_log_capacity: Option<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn flags_are_consistent() {
        SimArgs::command().debug_assert();
        let args = SimArgs::try_parse_from([
            "pinterest-sim",
            "--addr",
            "127.0.0.1:0",
            "--no-demo",
            "--consent",
            "auto-allow",
            "--app",
            "1:s:trial:http://127.0.0.1:1/cb",
        ])
        .unwrap();
        assert!(args.no_demo);
        assert_eq!(args.consent, Some(ConsentMode::AutoAllow));
    }
}
