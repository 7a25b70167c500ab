//! Benchmarks of the application API (`/v1`) against the release `pinbridge`
//! binary, with pinterest-sim in process as Pinterest. Run it through
//! `scripts/bench-api.sh`, which builds both and prepares the databases; or
//! by hand:
//!
//! ```text
//! cargo build --release -p server --bin pinbridge
//! cargo run --release -p server --example api_bench
//! ```
//!
//! What it does, in order:
//!
//! 1. starts pinterest-sim on 127.0.0.1 (its own runtime, one thread) and
//!    registers an app in it;
//! 2. prepares the database (`PINBRIDGE_BENCH_DATABASE_URL`, default a SQLite
//!    file in a temporary directory): migrations, a workspace and its owner,
//!    Pinterest settings pointing at the simulator, [`CONNECTIONS`] active
//!    connections holding tokens the simulator minted (sealed with the key
//!    ring the server is given), and an API key with `tokens`, `proxy` and
//!    `connections:read` and the highest rate limit;
//! 3. starts the release binary (`PINBRIDGE_BIN`) on that database and waits
//!    for `/readyz`;
//! 4. load, `BENCH_CONCURRENCY` workers for `BENCH_DURATION` seconds each
//!    (after `BENCH_WARMUP` seconds not counted): (a) `GET /healthz`, then
//!    (b) `POST /v1/connections/{id}/access-token` round-robin over the
//!    connections;
//! 5. proxy latency, one request at a time: `GET /v1/connections/{id}/
//!    pinterest/user_account` through pinbridge and `GET /v5/user_account`
//!    straight at the simulator with the same token, interleaved (so noise on
//!    the machine hits both alike), `BENCH_PROXY_REQUESTS` of each after
//!    `BENCH_PROXY_WARMUP`;
//! 6. the server's resident memory (`VmRSS`) right after start and after the
//!    benchmarks, and its peak (`VmHWM`);
//! 7. the MCP section (`BENCH_MCP`), with a second key (`agent` and `proxy`):
//!    Pinterest's user account through the REST proxy (`GET /v1/connections/
//!    {id}/pinterest/user_account`) against the same through the agent
//!    gateway (`tools/call get_user_account {"connection_id": id}` at `/mcp`),
//!    `BENCH_MCP_CONCURRENCY` clients round-robin over the connections. Each
//!    MCP client has its own session (protocol 2025-06-18: `initialize` and
//!    `notifications/initialized` before anything is timed); with
//!    `BENCH_MCP_STATELESS` also the stateless revision (2026-07-28: no
//!    session, the client's context in each request's `_meta`, `Mcp-Method`
//!    and `Mcp-Name` headers). After a warm-up of each way, `BENCH_MCP_ROUNDS`
//!    rounds of `BENCH_MCP_DURATION` seconds per way, the order reversed every
//!    other round so that noise on the machine hits all ways alike; for each
//!    simulator latency in `BENCH_MCP_SIM_LATENCIES_MS`. The figure is the
//!    MCP overhead: the REST proxy's calls a second over MCP's, medians of
//!    the rounds (target ≤ 1.5×); next to it latencies (pooled over the
//!    rounds), the server's CPU time and log bytes per call. Before the
//!    rounds, `BENCH_MCP_SEQUENTIAL` calls one at a time each way, in turn,
//!    timed to the answer's head and to its first and last body chunk
//!    (where an answer's time goes when nothing else runs).
//!
//! It prints a table with each target's pass or miss, then one line of JSON
//! starting with `{"bench":"api"`. The exit status is 1 when any request
//! failed (the numbers are then not valid), 2 when the run could not be set
//! up, and 0 otherwise: a missed target is reported, not an error.
//!
//! The server's CPU time per request (from `/proc/<pid>/stat`) is printed
//! for each load phase, next to the load generator's own: on a small machine
//! the three processes share the cores.
//!
//! With `BENCH_BREAKDOWN=1`, once the server has stopped, the parts of the
//! access-token operation are timed in this process on the same database:
//! opening a sealed token, one connection read, and the domain operation
//! the handler calls, with pinbridge's pool and with sqlx's ping before each
//! acquire switched off. Under load on a shared machine its concurrent rows
//! move a lot from run to run; the one-task rows less.
//!
//! Environment: `PINBRIDGE_BENCH_DATABASE_URL` (default: a temporary SQLite
//! file), `PINBRIDGE_BIN` (default `$CARGO_TARGET_DIR/release/pinbridge`),
//! `BENCH_DURATION` (10 s), `BENCH_CONCURRENCY` (32), `BENCH_WARMUP` (1 s),
//! `BENCH_PROXY_REQUESTS` (500), `BENCH_PROXY_WARMUP` (50),
//! `BENCH_SIM_LATENCY_MS` (0: latency the simulator adds to
//! `/v5/user_account` during the proxy comparison, as Pinterest would),
//! `BENCH_SERVER_LOG` (the server's log filter, default `info` as shipped;
//! each request then writes a log line), `BENCH_BREAKDOWN` (0), `BENCH_MCP`
//! (`1`: the MCP section after the others; `only`: it alone; `0`: not),
//! `BENCH_MCP_CONCURRENCY` (`BENCH_CONCURRENCY`), `BENCH_MCP_DURATION` (5 s),
//! `BENCH_MCP_ROUNDS` (3), `BENCH_MCP_SIM_LATENCIES_MS` (`0,20`),
//! `BENCH_MCP_STATELESS` (1).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use domain::Services;
use domain::accounts::operators::NewOperator;
use domain::accounts::{
    DisplayName, Email, EnvironmentId, Hasher, NewPassword, RequestMeta, WorkspaceName, actor_in,
    environments, setup,
};
use domain::api::keys::{self, KeyInput, RATE_LIMIT_MAX};
use domain::connections::{TokenColumn, seal_token};
use domain::crypto::SecretString;
use domain::db::repo::connections as rows;
use domain::db::{Db, now_ms};
use domain::pinterest::settings::{self, SaveRequest};
use domain::pinterest::{ClientId, NewSecret, PinterestApi, ScopeSet};
use domain::shared::ApiPermission;
use pinterest_sim::{RunningSim, SimConfig};
use serde_json::{Value, json};

/// Connections the access-token load goes round.
const CONNECTIONS: usize = 32;
const APP_ID: &str = "7654321";
const APP_SECRET: &str = "bench-secret-0123456789";
const SCOPES: [&str; 3] = ["user_accounts:read", "boards:read", "pins:read"];
/// The server's key ring (also what `domain::testing::services` seals with).
const KEY_RING: &[(&str, u8)] = &[("k1", 7)];

/// The targets, printed next to the numbers.
const TOKEN_VS_HEALTHZ_MIN: f64 = 0.35;
const TOKEN_P99_MAX_MS: f64 = 5.0;
const PROXY_P50_RATIO_MAX: f64 = 1.3;
const RSS_AFTER_MAX_MB: f64 = 60.0;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Result<T> = std::result::Result<T, BoxError>;

fn fail<E: std::fmt::Debug>(what: &'static str) -> impl FnOnce(E) -> BoxError {
    move |e| format!("{what}: {e:?}").into()
}

/// What the run is told through the environment.
struct Settings {
    duration: Duration,
    warmup: Duration,
    concurrency: usize,
    proxy_requests: usize,
    proxy_warmup: usize,
    /// Latency the simulator adds to `/v5/user_account` during the proxy
    /// comparison (0: none; Pinterest itself is tens of milliseconds away).
    sim_latency_ms: u64,
    database_url: Option<String>,
    bin: PathBuf,
    server_log: String,
    /// Also time the access-token operation's parts in this process.
    breakdown: bool,
    /// The MCP section: after the others, instead of them, or not at all.
    mcp: McpMode,
    /// Its clients (each with its own MCP session), seconds per measured
    /// phase, rounds of each variant, and the simulator latencies it runs at.
    mcp_concurrency: usize,
    mcp_duration: Duration,
    mcp_rounds: usize,
    mcp_latencies_ms: Vec<u64>,
    /// Also the stateless variant (protocol 2026-07-28, no session).
    mcp_stateless: bool,
    /// Calls one at a time each way (interleaved) before the rounds, timed
    /// to the answer's head, first and last body chunk.
    mcp_sequential: usize,
}

/// Whether and how the MCP section runs (`BENCH_MCP`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum McpMode {
    /// `0`: not at all.
    Off,
    /// `1` (default): after the other phases.
    After,
    /// `only`: the MCP section alone.
    Only,
}

fn env_number(name: &str, default: u64) -> Result<u64> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .map_err(|_| format!("{name}={v:?} is not a whole number").into()),
        _ => Ok(default),
    }
}

/// A comma-separated list of whole numbers.
fn env_numbers(name: &str, default: &[u64]) -> Result<Vec<u64>> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .split(',')
            .map(|x| {
                x.trim().parse().map_err(|_| {
                    format!("{name}={v:?} is not a comma-separated list of whole numbers").into()
                })
            })
            .collect(),
        _ => Ok(default.to_vec()),
    }
}

impl Settings {
    fn from_env() -> Result<Self> {
        let bin = match std::env::var_os("PINBRIDGE_BIN") {
            Some(b) if !b.is_empty() => PathBuf::from(b),
            _ => {
                // The target directory now, or when this was built.
                let target = std::env::var_os("CARGO_TARGET_DIR")
                    .map(PathBuf::from)
                    .or_else(|| option_env!("CARGO_TARGET_DIR").map(PathBuf::from))
                    .unwrap_or_else(|| {
                        Path::new(env!("CARGO_MANIFEST_DIR"))
                            .parent()
                            .map_or_else(|| PathBuf::from("target"), |root| root.join("target"))
                    });
                target.join("release").join("pinbridge")
            }
        };
        let concurrency = env_number("BENCH_CONCURRENCY", 32)?.max(1) as usize;
        Ok(Self {
            duration: Duration::from_secs(env_number("BENCH_DURATION", 10)?.max(1)),
            warmup: Duration::from_secs(env_number("BENCH_WARMUP", 1)?),
            concurrency,
            proxy_requests: env_number("BENCH_PROXY_REQUESTS", 500)?.max(1) as usize,
            proxy_warmup: env_number("BENCH_PROXY_WARMUP", 50)? as usize,
            sim_latency_ms: env_number("BENCH_SIM_LATENCY_MS", 0)?,
            database_url: std::env::var("PINBRIDGE_BENCH_DATABASE_URL")
                .ok()
                .filter(|u| !u.trim().is_empty()),
            bin,
            server_log: std::env::var("BENCH_SERVER_LOG").unwrap_or_else(|_| "info".into()),
            breakdown: env_number("BENCH_BREAKDOWN", 0)? != 0,
            mcp: match std::env::var("BENCH_MCP").unwrap_or_default().trim() {
                "" | "1" | "on" => McpMode::After,
                "0" | "off" => McpMode::Off,
                "only" => McpMode::Only,
                other => return Err(format!("BENCH_MCP={other:?}: 0, 1 or only").into()),
            },
            mcp_concurrency: env_number("BENCH_MCP_CONCURRENCY", concurrency as u64)?.max(1)
                as usize,
            mcp_duration: Duration::from_secs(env_number("BENCH_MCP_DURATION", 5)?.max(1)),
            mcp_rounds: env_number("BENCH_MCP_ROUNDS", 3)?.max(1) as usize,
            mcp_latencies_ms: env_numbers("BENCH_MCP_SIM_LATENCIES_MS", &[0, 20])?,
            mcp_stateless: env_number("BENCH_MCP_STATELESS", 1)? != 0,
            mcp_sequential: env_number("BENCH_MCP_SEQUENTIAL", 100)? as usize,
        })
    }
}

fn main() -> ExitCode {
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("api_bench: {e}");
            return ExitCode::from(2);
        }
    };
    // The simulator on a runtime of its own, so the load generator's workers
    // never delay its answers.
    let sim_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("sim")
        .enable_all()
        .build()
        .expect("a runtime for the simulator");
    let sim = match sim_runtime.block_on(pinterest_sim::spawn(SimConfig {
        // The log is not needed here and costs a little per request.
        request_log_capacity: 0,
        ..SimConfig::default()
    })) {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("api_bench: could not start pinterest-sim: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime for the load");
    // Interrupted: dropping the run kills the server (`kill_on_drop`) and
    // removes the temporary directory.
    let outcome = runtime.block_on(async {
        tokio::select! {
            outcome = run(&settings, &sim) => outcome,
            () = interrupted() => Err("interrupted".into()),
        }
    });
    sim_runtime.block_on(sim.shutdown());
    match outcome {
        Ok(0) => ExitCode::SUCCESS,
        Ok(errors) => {
            eprintln!("api_bench: {errors} requests failed: the numbers are not valid");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("api_bench: {e}");
            ExitCode::from(2)
        }
    }
}

/// The first SIGINT or SIGTERM.
async fn interrupted() {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) {
        (Ok(mut int), Ok(mut term)) => {
            tokio::select! {
                _ = int.recv() => {},
                _ = term.recv() => {},
            }
        }
        _ => std::future::pending().await,
    }
}

/// The whole run; answers the number of failed requests.
async fn run(settings: &Settings, sim: &RunningSim) -> Result<u64> {
    let work = tempfile::Builder::new()
        .prefix("pinbridge-api-bench-")
        .tempdir()?;
    let database_url = settings
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", work.path().join("pinbridge.db").display()));
    let backend = domain::db::Backend::of_url(&database_url)
        .ok_or("PINBRIDGE_BENCH_DATABASE_URL must start with sqlite: or postgres://")?;
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .http1_only()
        .pool_max_idle_per_host(settings.concurrency * 2)
        .pool_idle_timeout(Duration::from_secs(120))
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(30))
        .build()?;

    eprintln!(
        "api_bench: preparing the {} database ({CONNECTIONS} connections)...",
        backend.label()
    );
    let prepared = prepare(&client, &database_url, &base, &sim.base_url()).await?;

    let server = Server::start(settings, work.path(), &database_url, port, sim).await?;
    let outcome = async {
        let mut report = if settings.mcp == McpMode::Only {
            Report {
                table: format!(
                    "\npinbridge /v1 benchmark — {{backend}} — MCP section only, {} CPUs\n",
                    std::thread::available_parallelism().map_or(0, |n| n.get())
                ),
                summary: json!({}),
                errors: 0,
            }
        } else {
            bench(
                settings,
                &client,
                &base,
                &sim.base_url(),
                &server,
                &prepared,
            )
            .await?
        };
        if settings.mcp != McpMode::Off {
            let mcp = mcp_bench(
                settings,
                &client,
                &base,
                &sim.base_url(),
                &server,
                &prepared,
            )
            .await?;
            report.table.push_str(&mcp.table);
            report.summary["mcp"] = mcp.summary;
            report.errors += mcp.errors;
        }
        Ok::<_, BoxError>(report)
    }
    .await;
    let stopped = server.stop().await;
    let mut report = outcome?;
    stopped?;
    if settings.breakdown {
        eprintln!("api_bench: breakdown of the access-token operation, in process...");
        let (table, json) =
            breakdown(settings, &database_url, &base, &sim.base_url(), &prepared).await?;
        report.table.push_str(&table);
        report.summary["breakdown"] = json;
    }

    print!("{}", report.table.replace("{backend}", backend.label()));
    // One line, `bench` and `backend` first (serde_json sorts the others).
    let rest = report.summary.to_string();
    println!(
        "{{\"bench\":\"api\",\"backend\":\"{}\",{}",
        backend.label().to_lowercase(),
        rest.strip_prefix('{').unwrap_or(&rest)
    );
    Ok(report.errors)
}

/// A port free right now (the server binds it a moment later).
fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// What the load needs from the prepared database.
struct Prepared {
    key: String,
    /// A key with `agent` and `proxy`: the MCP section's, for both ways.
    agent_key: String,
    connection_ids: Vec<String>,
}

/// Migrations, a workspace with Pinterest configured, the connections and the
/// API key.
async fn prepare(
    client: &reqwest::Client,
    database_url: &str,
    public_url: &str,
    sim: &str,
) -> Result<Prepared> {
    let registered = client
        .post(format!("{sim}/_sim/apps"))
        .json(
            &json!({"id": APP_ID, "secret": APP_SECRET, "name": "Bench", "tier": "standard",
                      "redirect_uris": [format!("{public_url}/integration-callback")]}),
        )
        .send()
        .await?;
    if !registered.status().is_success() {
        return Err(format!(
            "registering the app in the simulator: {}",
            registered.status()
        )
        .into());
    }

    let db = Db::connect(database_url).await?;
    db.migrate().await?;
    let services = domain::testing::services(db, public_url, sim);
    let prepared = provision(&services, client, sim).await;
    services.db.close().await;
    prepared
}

async fn provision(services: &Services, client: &reqwest::Client, sim: &str) -> Result<Prepared> {
    let db = &services.db;
    let meta = RequestMeta::default();
    let token = setup::issue_token(db, &Default::default()).await?;
    let email = Email::parse("bench@pinbridge.test").map_err(fail("email"))?;
    let password = NewPassword::parse("correct horse battery staple", &email, None)
        .map_err(fail("password"))?;
    let done = setup::complete(
        db,
        token.expose(),
        &WorkspaceName::parse("Bench").map_err(fail("workspace name"))?,
        &NewOperator {
            password_hash: Hasher::fast_insecure().hash(&password).await?,
            display_name: DisplayName::parse("Bench").map_err(fail("display name"))?,
            email,
        },
        &meta,
    )
    .await?;
    let actor = actor_in(db, &done.workspace_id, &done.operator_id).await?;
    let env: EnvironmentId = environments::list(db, &actor)
        .await?
        .first()
        .ok_or("the new workspace has no environment")?
        .id
        .clone();
    settings::save(
        db,
        &services.keys,
        &actor,
        SaveRequest {
            environment_id: env.clone(),
            expected_version: 0,
            client_id: ClientId::parse(APP_ID).map_err(fail("client id"))?,
            secret: NewSecret::parse(Some(APP_SECRET)).map_err(fail("secret"))?,
            scopes: ScopeSet::parse_selection(&SCOPES).map_err(fail("scopes"))?,
            api: PinterestApi::Production,
        },
        &meta,
    )
    .await?;

    // Tokens the simulator accepts, as the handshake would have stored them.
    let minted: Value = client
        .post(format!("{sim}/_sim/tokens"))
        .json(
            &json!({"client_id": APP_ID, "username": pinterest_sim::DEMO_USERNAME,
                      "scopes": SCOPES.join(","), "count": CONNECTIONS}),
        )
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let items = minted["items"]
        .as_array()
        .filter(|items| items.len() == CONNECTIONS)
        .ok_or("the simulator did not mint the tokens")?;
    let now = now_ms();
    let ws = actor.workspace_id().clone();
    let mut connection_ids = Vec::new();
    let mut tx = db.begin().await?;
    for (i, t) in items.iter().enumerate() {
        let mut row = domain::testing::connection_row(&ws, &env, &format!("bench-user-{i}"));
        let seal = |column, value: &Value| -> Result<String> {
            let text = value.as_str().ok_or("a minted token is not text")?;
            Ok(seal_token(
                &services.keys,
                &ws,
                &row.id,
                column,
                &SecretString::new(text.to_owned()),
            )?)
        };
        row.access_token = Some(seal(TokenColumn::Access, &t["access_token"])?);
        row.refresh_token = Some(seal(TokenColumn::Refresh, &t["refresh_token"])?);
        let access_ms = t["expires_in"].as_i64().unwrap_or(30 * 86_400) * 1000;
        row.access_expires_at = Some(now + access_ms);
        row.refresh_expires_at = t["refresh_token_expires_at"].as_i64().map(|s| s * 1000);
        // Nothing for the scheduler to do during the run.
        row.next_refresh_at = Some(now + access_ms / 2);
        row.next_probe_at = Some(now + 86_400_000);
        rows::insert(&mut tx, &row).await?;
        connection_ids.push(row.id.to_string());
    }
    tx.commit().await?;

    let created = keys::create(
        services,
        &actor,
        &env,
        KeyInput {
            name: "Benchmark".into(),
            permissions: vec![
                ApiPermission::ConnectionsRead,
                ApiPermission::Proxy,
                ApiPermission::Tokens,
            ],
            expires_in_days: None,
            rate_limit: RATE_LIMIT_MAX,
            end_user_id: None,
        },
        &meta,
    )
    .await?;
    let agent = keys::create(
        services,
        &actor,
        &env,
        KeyInput {
            name: "Benchmark agent".into(),
            permissions: vec![ApiPermission::Agent, ApiPermission::Proxy],
            expires_in_days: None,
            rate_limit: RATE_LIMIT_MAX,
            end_user_id: None,
        },
        &meta,
    )
    .await?;
    Ok(Prepared {
        key: created.key.expose().to_owned(),
        agent_key: agent.key.expose().to_owned(),
        connection_ids,
    })
}

/// The release binary, running.
struct Server {
    child: tokio::process::Child,
    pid: u32,
    log: PathBuf,
    /// VmRSS right after `/readyz` first answered, in kB.
    rss_idle_kb: u64,
}

impl Server {
    async fn start(
        settings: &Settings,
        work: &Path,
        database_url: &str,
        port: u16,
        sim: &RunningSim,
    ) -> Result<Self> {
        if !settings.bin.is_file() {
            return Err(format!(
                "no pinbridge binary at {} (build it with `cargo build --release -p server --bin pinbridge`, or set PINBRIDGE_BIN)",
                settings.bin.display()
            )
            .into());
        }
        let site = work.join("site");
        std::fs::create_dir_all(site.join("pkg"))?;
        let log = work.join("pinbridge.log");
        let base = format!("http://127.0.0.1:{port}");
        let mut command = tokio::process::Command::new(&settings.bin);
        // Only what is given here: no PINBRIDGE_* of the caller's environment.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("PINBRIDGE_") {
                command.env_remove(name);
            }
        }
        let sim_url = sim.base_url();
        command
            .arg("serve")
            .args(["--database-url", database_url])
            .args(["--listen-addr", &format!("127.0.0.1:{port}")])
            .args(["--public-url", &base])
            .args(["--pinterest-oauth-url", &sim_url])
            .args(["--pinterest-api-url", &sim_url])
            .args(["--pinterest-sandbox-api-url", &sim_url])
            .args(["--pinterest-timeout-ms", "10000"])
            .args(["--scheduler-interval-ms", "3600000"])
            .args(["--log", &settings.server_log])
            .arg("--site-root")
            .arg(&site)
            .env(
                "PINBRIDGE_ENCRYPTION_KEYS",
                domain::testing::key_spec(KEY_RING),
            )
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(work.join("pinbridge.out"))?)
            .stderr(std::fs::File::create(&log)?)
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .map_err(|e| format!("could not start {}: {e}", settings.bin.display()))?;
        let pid = child.id().ok_or("the server exited at once")?;
        let ready = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = child.try_wait()? {
                return Err(format!(
                    "pinbridge exited during start-up ({status}):\n{}",
                    tail(&log)
                )
                .into());
            }
            if let Ok(r) = ready.get(format!("{base}/readyz")).send().await
                && r.status().is_success()
            {
                break;
            }
            if Instant::now() > deadline {
                return Err(format!("pinbridge was not ready within 60 s:\n{}", tail(&log)).into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let rss_idle_kb = proc_status_kb(pid, "VmRSS").unwrap_or(0);
        Ok(Self {
            child,
            pid,
            log,
            rss_idle_kb,
        })
    }

    /// SIGTERM and a wait for the graceful stop (it writes the API usage).
    async fn stop(mut self) -> Result<()> {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        match tokio::time::timeout(Duration::from_secs(15), self.child.wait()).await {
            Ok(status) if status.as_ref().is_ok_and(|s| s.success()) => Ok(()),
            Ok(status) => {
                Err(format!("pinbridge stopped with {status:?}:\n{}", tail(&self.log)).into())
            }
            Err(_) => {
                let _ = self.child.kill().await;
                Err("pinbridge did not stop within 15 s of SIGTERM".into())
            }
        }
    }
}

/// The last lines of a log, for an error message.
fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// A `kB` line of `/proc/<pid>/status` (`VmRSS`, `VmHWM`).
fn proc_status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// User plus system CPU time of a process, from `/proc/<pid>/stat`.
fn cpu_time(pid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces), from field 3 on.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_secs_f64(ticks as f64 / clock_ticks() as f64))
}

fn clock_ticks() -> u64 {
    static TICKS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .filter(|&t| t > 0)
            .unwrap_or(100)
    })
}

/// Latencies and failures of one phase.
#[derive(Default)]
struct Samples {
    micros: Vec<u32>,
    errors: u64,
    first_error: Option<String>,
    elapsed: Duration,
    /// CPU time the server and this process spent during the phase.
    server_cpu: Duration,
    own_cpu: Duration,
}

impl Samples {
    fn merge(&mut self, other: Samples) {
        self.micros.extend(other.micros);
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    fn requests(&self) -> u64 {
        self.micros.len() as u64 + self.errors
    }

    fn rate(&self) -> f64 {
        self.requests() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn finish(&mut self) {
        self.micros.sort_unstable();
    }

    /// Nearest-rank percentile of the successful requests, in milliseconds.
    fn pct(&self, p: f64) -> f64 {
        if self.micros.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * self.micros.len() as f64).ceil() as usize;
        f64::from(self.micros[rank.clamp(1, self.micros.len()) - 1]) / 1000.0
    }

    fn max(&self) -> f64 {
        self.micros
            .last()
            .map_or(f64::NAN, |&m| f64::from(m) / 1000.0)
    }

    fn server_cpu_us_per_request(&self) -> f64 {
        self.server_cpu.as_secs_f64() * 1e6 / self.requests().max(1) as f64
    }

    fn own_cpu_us_per_request(&self) -> f64 {
        self.own_cpu.as_secs_f64() * 1e6 / self.requests().max(1) as f64
    }

    fn json(&self) -> Value {
        json!({
            "requests": self.requests(),
            "rps": round(self.rate(), 1),
            "p50_ms": round(self.pct(50.0), 3),
            "p90_ms": round(self.pct(90.0), 3),
            "p99_ms": round(self.pct(99.0), 3),
            "max_ms": round(self.max(), 3),
            "errors": self.errors,
            "server_cpu_us_per_req": round(self.server_cpu_us_per_request(), 1),
        })
    }
}

fn round(x: f64, digits: i32) -> Value {
    if x.is_finite() {
        let f = 10f64.powi(digits);
        json!((x * f).round() / f)
    } else {
        Value::Null
    }
}

/// One request of a phase: its builder, given the worker's index and the
/// request's sequence number.
type MakeRequest = Arc<dyn Fn(usize, usize) -> reqwest::RequestBuilder + Send + Sync>;

/// What a successful answer's body must satisfy besides its 2xx status.
type Check = fn(&[u8]) -> std::result::Result<(), String>;

/// Any body will do.
fn any_body(_: &[u8]) -> std::result::Result<(), String> {
    Ok(())
}

/// Sends one request and reads its whole answer: its time when it succeeded,
/// why otherwise.
async fn timed(request: reqwest::RequestBuilder) -> std::result::Result<Duration, String> {
    timed_checked(request, any_body).await
}

/// [`timed`], the body also passing `check`.
async fn timed_checked(
    request: reqwest::RequestBuilder,
    check: Check,
) -> std::result::Result<Duration, String> {
    let started = Instant::now();
    let response = request
        .send()
        .await
        .map_err(|e| format!("no answer: {e}"))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("{status}, body cut short: {e}"))?;
    let took = started.elapsed();
    if status.is_success() {
        check(&body).map(|()| took)
    } else {
        Err(format!(
            "{status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        ))
    }
}

fn record(samples: &mut Samples, outcome: std::result::Result<Duration, String>) {
    match outcome {
        Ok(took) => samples
            .micros
            .push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX)),
        Err(e) => {
            samples.errors += 1;
            samples.first_error.get_or_insert(e);
        }
    }
}

/// `concurrency` workers sending `make`'s requests back to back for `duration`,
/// each answer's body passing `check`.
async fn load(
    make: &MakeRequest,
    check: Check,
    concurrency: usize,
    duration: Duration,
    server_pid: u32,
) -> Samples {
    let next = Arc::new(AtomicUsize::new(0));
    let server_pid = server_pid.to_string();
    let (server_before, own_before) = (cpu_time(&server_pid), cpu_time("self"));
    let started = Instant::now();
    let end = started + duration;
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..concurrency {
        let (make, next) = (make.clone(), next.clone());
        workers.spawn(async move {
            let mut samples = Samples::default();
            while Instant::now() < end {
                let n = next.fetch_add(1, Ordering::Relaxed);
                record(&mut samples, timed_checked(make(worker, n), check).await);
            }
            samples
        });
    }
    let mut all = Samples::default();
    while let Some(done) = workers.join_next().await {
        all.merge(done.unwrap_or_default());
    }
    all.elapsed = started.elapsed();
    let since = |before: Option<Duration>, pid: &str| {
        before
            .zip(cpu_time(pid))
            .map_or(Duration::ZERO, |(b, a)| a.saturating_sub(b))
    };
    all.server_cpu = since(server_before, &server_pid);
    all.own_cpu = since(own_before, "self");
    all.finish();
    all
}

/// A warm-up (not counted but for its failures), then the measured load.
async fn phase(
    name: &str,
    make: &MakeRequest,
    settings: &Settings,
    server_pid: u32,
) -> (Samples, u64) {
    let (c, d) = (settings.concurrency, settings.duration);
    let mut warmup_errors = 0;
    if !settings.warmup.is_zero() {
        eprintln!("api_bench: {name}: warming up for {:?}...", settings.warmup);
        let w = load(make, any_body, c, settings.warmup, server_pid).await;
        if w.errors > 0 {
            eprintln!(
                "api_bench: {name}: {} failed while warming up, e.g. {}",
                w.errors,
                w.first_error.as_deref().unwrap_or("?")
            );
        }
        warmup_errors = w.errors;
    }
    eprintln!("api_bench: {name}: {c} workers for {d:?}...");
    (load(make, any_body, c, d, server_pid).await, warmup_errors)
}

struct Report {
    table: String,
    summary: Value,
    errors: u64,
}

fn mark(pass: bool) -> &'static str {
    if pass { "pass" } else { "MISS" }
}

async fn bench(
    settings: &Settings,
    client: &reqwest::Client,
    base: &str,
    sim: &str,
    server: &Server,
    prepared: &Prepared,
) -> Result<Report> {
    let (c, d) = (settings.concurrency, settings.duration);
    let healthz: MakeRequest = {
        let (client, url) = (client.clone(), format!("{base}/healthz"));
        Arc::new(move |_, _| client.get(&url))
    };
    let access_token: MakeRequest = {
        let client = client.clone();
        let key = prepared.key.clone();
        let urls: Vec<String> = prepared
            .connection_ids
            .iter()
            .map(|id| format!("{base}/v1/connections/{id}/access-token"))
            .collect();
        Arc::new(move |_, n| client.post(&urls[n % urls.len()]).bearer_auth(&key))
    };

    let (health, health_warmup) = phase("GET /healthz", &healthz, settings, server.pid).await;
    let (tokens, tokens_warmup) =
        phase("POST access-token", &access_token, settings, server.pid).await;
    let warmup_errors = health_warmup + tokens_warmup;

    // (c) Proxy latency, one request at a time, interleaved with the same call
    // straight at the simulator with the same token.
    let id = &prepared.connection_ids[0];
    let token: Value = client
        .post(format!("{base}/v1/connections/{id}/access-token"))
        .bearer_auth(&prepared.key)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = token["access_token"]
        .as_str()
        .ok_or("no access_token in the answer")?
        .to_owned();
    let proxied = format!("{base}/v1/connections/{id}/pinterest/user_account");
    let direct = format!("{sim}/v5/user_account");
    if settings.sim_latency_ms > 0 {
        client
            .put(format!("{sim}/_sim/faults"))
            .json(&json!({"latency_ms": settings.sim_latency_ms, "paths": ["/v5/user_account"]}))
            .send()
            .await?
            .error_for_status()?;
    }
    eprintln!(
        "api_bench: proxy: {} + {} sequential requests each way...",
        settings.proxy_warmup, settings.proxy_requests
    );
    let (mut via, mut straight) = (Samples::default(), Samples::default());
    let mut proxy_warmup_errors = 0;
    let pid = server.pid.to_string();
    let mut server_before = None;
    for i in 0..settings.proxy_warmup + settings.proxy_requests {
        if i == settings.proxy_warmup {
            server_before = cpu_time(&pid);
        }
        let a = timed(client.get(&proxied).bearer_auth(&prepared.key)).await;
        let b = timed(client.get(&direct).bearer_auth(&token)).await;
        if i < settings.proxy_warmup {
            proxy_warmup_errors += u64::from(a.is_err()) + u64::from(b.is_err());
        } else {
            record(&mut via, a);
            record(&mut straight, b);
        }
    }
    // The server's CPU time is all the proxied requests' (the direct ones
    // do not reach it).
    via.server_cpu = server_before
        .zip(cpu_time(&pid))
        .map_or(Duration::ZERO, |(b, a)| a.saturating_sub(b));
    via.finish();
    straight.finish();

    // (d) Memory after all of it.
    let rss_after_kb = proc_status_kb(server.pid, "VmRSS").unwrap_or(0);
    let rss_peak_kb = proc_status_kb(server.pid, "VmHWM").unwrap_or(0);

    let ratio = tokens.rate() / health.rate().max(1e-9);
    let proxy_ratio = via.pct(50.0) / straight.pct(50.0);
    let mb = |kb: u64| kb as f64 / 1024.0;
    let errors = warmup_errors
        + proxy_warmup_errors
        + health.errors
        + tokens.errors
        + via.errors
        + straight.errors;

    let mut t = String::new();
    let _ = writeln!(
        t,
        "\npinbridge /v1 benchmark — {{backend}} — {c} workers × {:.0} s, {CONNECTIONS} connections, {} CPUs",
        d.as_secs_f64(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let _ = writeln!(
        t,
        "{:<34} {:>9} {:>8} {:>8} {:>8} {:>8} {:>7} {:>11} {:>9}",
        "", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors", "server µs/r", "bench µs/r"
    );
    for (name, s) in [
        ("(a) GET /healthz", &health),
        ("(b) POST …/access-token", &tokens),
        ("(c) GET …/pinterest/user_account", &via),
        ("(c) GET sim /v5/user_account", &straight),
    ] {
        let cpu = |d: Duration, x: f64| {
            if d.is_zero() {
                "-".to_owned()
            } else {
                format!("{x:.0}")
            }
        };
        let rate = if s.elapsed.is_zero() {
            "-".to_owned()
        } else {
            format!("{:.0}", s.rate())
        };
        let _ = writeln!(
            t,
            "{name:<34} {rate:>9} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>7} {:>11} {:>9}",
            s.pct(50.0),
            s.pct(90.0),
            s.pct(99.0),
            s.max(),
            s.errors,
            cpu(s.server_cpu, s.server_cpu_us_per_request()),
            cpu(s.own_cpu, s.own_cpu_us_per_request()),
        );
    }
    let _ = writeln!(
        t,
        "(c): {} sequential requests each way, interleaved, the simulator adding {} ms; pinbridge adds {:.3} ms at p50.",
        settings.proxy_requests,
        settings.sim_latency_ms,
        via.pct(50.0) - straight.pct(50.0)
    );
    let _ = writeln!(
        t,
        "µs/r: CPU time per request of the server and of this load generator."
    );
    let _ = writeln!(
        t,
        "memory (VmRSS): {:.1} MB idle after start, {:.1} MB after the benchmarks (peak {:.1} MB)",
        mb(server.rss_idle_kb),
        mb(rss_after_kb),
        mb(rss_peak_kb)
    );
    let _ = writeln!(t, "targets:");
    let checks = [
        (
            format!("access-token throughput / healthz ≥ {TOKEN_VS_HEALTHZ_MIN}×"),
            format!("{ratio:.2}×"),
            ratio >= TOKEN_VS_HEALTHZ_MIN,
        ),
        (
            format!("access-token p99 ≤ {TOKEN_P99_MAX_MS} ms"),
            format!("{:.2} ms", tokens.pct(99.0)),
            tokens.pct(99.0) <= TOKEN_P99_MAX_MS,
        ),
        (
            format!("proxy p50 / direct p50 ≤ {PROXY_P50_RATIO_MAX}×"),
            format!(
                "{proxy_ratio:.2}× ({:.3} / {:.3} ms)",
                via.pct(50.0),
                straight.pct(50.0)
            ),
            proxy_ratio <= PROXY_P50_RATIO_MAX,
        ),
        (
            format!("RSS after ≤ {RSS_AFTER_MAX_MB} MB"),
            format!("{:.1} MB", mb(rss_after_kb)),
            mb(rss_after_kb) <= RSS_AFTER_MAX_MB,
        ),
    ];
    for (what, value, pass) in &checks {
        let _ = writeln!(t, "  [{}] {what:<46} {value}", mark(*pass));
    }
    if errors > 0 {
        let _ = writeln!(t, "ERRORS: {errors} requests failed");
        for (name, s) in [
            ("healthz", &health),
            ("access-token", &tokens),
            ("proxy", &via),
            ("direct", &straight),
        ] {
            if let Some(e) = &s.first_error {
                let _ = writeln!(t, "  {name}: {e}");
            }
        }
        let _ = writeln!(t, "  server log: {}", tail(&server.log));
    }

    let summary = json!({
        "concurrency": c,
        "duration_s": d.as_secs_f64(),
        "connections": CONNECTIONS,
        "healthz": health.json(),
        "access_token": tokens.json(),
        "token_vs_healthz": round(ratio, 3),
        "proxy": {
            "requests": settings.proxy_requests,
            "pinbridge_p50_ms": round(via.pct(50.0), 3),
            "pinbridge_p99_ms": round(via.pct(99.0), 3),
            "server_cpu_us_per_req": round(via.server_cpu_us_per_request(), 1),
            "direct_p50_ms": round(straight.pct(50.0), 3),
            "direct_p99_ms": round(straight.pct(99.0), 3),
            "p50_ratio": round(proxy_ratio, 3),
            "p50_overhead_ms": round(via.pct(50.0) - straight.pct(50.0), 3),
            "sim_latency_ms": settings.sim_latency_ms,
            "errors": via.errors + straight.errors,
        },
        "rss_mb": {
            "idle": round(mb(server.rss_idle_kb), 1),
            "after": round(mb(rss_after_kb), 1),
            "peak": round(mb(rss_peak_kb), 1),
        },
        "targets": {
            "token_vs_healthz": checks[0].2,
            "token_p99": checks[1].2,
            "proxy_p50_ratio": checks[2].2,
            "rss_after": checks[3].2,
        },
        "errors": errors,
    });
    Ok(Report {
        table: t,
        summary,
        errors,
    })
}

/// The MCP section's target: REST proxy calls a second over MCP tool calls a
/// second, at most.
const MCP_OVERHEAD_MAX: f64 = 1.5;
/// The protocol version the session variant negotiates (with a handshake).
const MCP_SESSION_VERSION: &str = "2025-06-18";
/// The stateless revision: no handshake, the client's context in each
/// request's `_meta`, and the `Mcp-Method`/`Mcp-Name` headers (SEP-2243).
const MCP_STATELESS_VERSION: &str = "2026-07-28";
/// The tool both ways call.
const MCP_TOOL: &str = "get_user_account";

/// The three ways the MCP section calls Pinterest's user account.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Way {
    /// `GET /v1/connections/{id}/pinterest/user_account`.
    Proxy,
    /// `tools/call get_user_account` on an MCP session (2025-06-18).
    Session,
    /// The same without a session (2026-07-28).
    Stateless,
}

impl Way {
    fn label(self) -> &'static str {
        match self {
            Way::Proxy => "REST GET …/pinterest/user_account",
            Way::Session => "MCP tools/call, session",
            Way::Stateless => "MCP tools/call, stateless",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Way::Proxy => "proxy",
            Way::Session => "mcp_session",
            Way::Stateless => "mcp_stateless",
        }
    }

    /// What a successful answer's body must hold.
    fn check(self) -> Check {
        match self {
            Way::Proxy => account_ok,
            Way::Session | Way::Stateless => tool_result_ok,
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn cut(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned()
}

/// Pinterest's user account, passed through by the proxy.
fn account_ok(body: &[u8]) -> std::result::Result<(), String> {
    if contains(body, b"\"username\"") {
        Ok(())
    } else {
        Err(format!("not a user account: {}", cut(body)))
    }
}

/// A tool call's result with structured content and no tool error. (A
/// substring test: parsing every answer would cost the load generator, which
/// shares the machine with the server, more than the server's own JSON.)
fn tool_result_ok(body: &[u8]) -> std::result::Result<(), String> {
    if contains(body, b"\"structuredContent\"") && !contains(body, b"\"isError\":true") {
        Ok(())
    } else {
        Err(format!("not a tool result: {}", cut(body)))
    }
}

/// A POST to `/mcp` as an MCP client over Streamable HTTP sends it.
fn mcp_post(
    client: &reqwest::Client,
    url: &str,
    key: &str,
    version: &'static str,
) -> reqwest::RequestBuilder {
    client
        .post(url)
        .bearer_auth(key)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", version)
}

/// The JSON-RPC answer in a body of `/mcp`: the body itself, or the `data:`
/// of the SSE event that carries an id.
fn mcp_message(body: &[u8]) -> Option<Value> {
    if let Ok(message) = serde_json::from_slice::<Value>(body) {
        return Some(message);
    }
    std::str::from_utf8(body)
        .ok()?
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
        .find(|m| m.get("id").is_some())
}

/// `_meta` of a stateless request: the client's context the 2026-07-28
/// revision asks for in every request (no handshake gave it).
const STATELESS_META: &str = concat!(
    r#""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","#,
    r#""io.modelcontextprotocol/clientCapabilities":{},"#,
    r#""io.modelcontextprotocol/clientInfo":{"name":"api_bench","version":"1"}},"#
);

/// `tools/call get_user_account` for one connection, as JSON-RPC request `n`.
fn tool_call(n: usize, connection_id: &str, meta: &str) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":{n},"method":"tools/call","params":{{{meta}"name":"{MCP_TOOL}","arguments":{{"connection_id":"{connection_id}"}}}}}}"#
    )
}

/// Sends a request and reads its answer: status, session header, body.
async fn exchange(
    request: reqwest::RequestBuilder,
) -> Result<(reqwest::StatusCode, Option<String>, Vec<u8>)> {
    let response = request.send().await?;
    let status = response.status();
    let session = response
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Ok((status, session, response.bytes().await?.to_vec()))
}

/// An MCP session of the agent key: `initialize`, then
/// `notifications/initialized`. Answers the session id.
async fn mcp_session(client: &reqwest::Client, url: &str, key: &str) -> Result<String> {
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {"protocolVersion": MCP_SESSION_VERSION, "capabilities": {},
                   "clientInfo": {"name": "api_bench", "version": "1"}}});
    let (status, session, body) =
        exchange(mcp_post(client, url, key, MCP_SESSION_VERSION).body(init.to_string())).await?;
    if status != reqwest::StatusCode::OK {
        return Err(format!("MCP initialize: {status}: {}", cut(&body)).into());
    }
    let negotiated = mcp_message(&body).map(|m| m["result"]["protocolVersion"].clone());
    if negotiated != Some(json!(MCP_SESSION_VERSION)) {
        return Err(format!(
            "MCP initialize did not negotiate {MCP_SESSION_VERSION}: {}",
            cut(&body)
        )
        .into());
    }
    let session = session.ok_or("MCP initialize gave no mcp-session-id")?;
    let done = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let (status, _, body) = exchange(
        mcp_post(client, url, key, MCP_SESSION_VERSION)
            .header("mcp-session-id", &session)
            .body(done.to_string()),
    )
    .await?;
    if status != reqwest::StatusCode::ACCEPTED {
        return Err(format!("MCP notifications/initialized: {status}: {}", cut(&body)).into());
    }
    Ok(session)
}

/// One tool call, its answer read in full: a result whose structured content
/// is the account (its text the same JSON).
async fn mcp_verify(request: reqwest::RequestBuilder, what: &str) -> Result<()> {
    let (status, _, body) = exchange(request).await?;
    let message = mcp_message(&body);
    let result = message.as_ref().map(|m| &m["result"]);
    let fine = status == reqwest::StatusCode::OK
        && result.is_some_and(|r| {
            r["isError"] != json!(true)
                && r["structuredContent"]["username"].is_string()
                && r["content"][0]["text"]
                    .as_str()
                    .and_then(|t| serde_json::from_str::<Value>(t).ok())
                    .is_some_and(|t| t == r["structuredContent"])
        });
    if fine {
        Ok(())
    } else {
        Err(format!("{what}: {status}: {}", cut(&body)).into())
    }
}

/// When the parts of one answer arrived, after the request was sent.
#[derive(Default)]
struct Arrival {
    head: Duration,
    first_chunk: Duration,
    last_chunk: Duration,
    chunks: usize,
}

/// One call, alone: when its head and its body's first and last chunk came.
async fn probe(
    request: reqwest::RequestBuilder,
    check: Check,
) -> std::result::Result<Arrival, String> {
    let started = Instant::now();
    let mut response = request
        .send()
        .await
        .map_err(|e| format!("no answer: {e}"))?;
    let mut arrival = Arrival {
        head: started.elapsed(),
        ..Arrival::default()
    };
    let status = response.status();
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("{status}, body cut short: {e}"))?
    {
        let at = started.elapsed();
        if arrival.chunks == 0 {
            arrival.first_chunk = at;
        }
        arrival.last_chunk = at;
        arrival.chunks += 1;
        body.extend_from_slice(&chunk);
    }
    if !status.is_success() {
        return Err(format!("{status}: {}", cut(&body)));
    }
    check(&body).map(|()| arrival)
}

/// The middle value (the mean of the middle two for an even count).
fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}

/// The rounds of one way pooled: all latencies, the summed time and CPU.
fn pool(rounds: &[Samples]) -> Samples {
    let mut all = Samples::default();
    for r in rounds {
        all.micros.extend_from_slice(&r.micros);
        all.errors += r.errors;
        if all.first_error.is_none() {
            all.first_error.clone_from(&r.first_error);
        }
        all.elapsed += r.elapsed;
        all.server_cpu += r.server_cpu;
        all.own_cpu += r.own_cpu;
    }
    all.finish();
    all
}

/// The server log's size now (bytes written per call tell what it logs).
fn log_len(server: &Server) -> u64 {
    std::fs::metadata(&server.log).map_or(0, |m| m.len())
}

/// The MCP section: `get user account` through `/mcp` (each client its own
/// session; and statelessly) against the same call through the REST proxy,
/// in rounds that alternate the order, at each simulator latency.
async fn mcp_bench(
    settings: &Settings,
    client: &reqwest::Client,
    base: &str,
    sim: &str,
    server: &Server,
    prepared: &Prepared,
) -> Result<Report> {
    let (c, d, rounds) = (
        settings.mcp_concurrency,
        settings.mcp_duration,
        settings.mcp_rounds,
    );
    let key = prepared.agent_key.clone();
    let ids = Arc::new(prepared.connection_ids.clone());
    let mcp_url = format!("{base}/mcp");

    // The sessions, one per client, opened before anything is timed; and
    // one call each way, read in full.
    eprintln!("api_bench: MCP: {c} sessions...");
    let mut sessions = Vec::with_capacity(c);
    for _ in 0..c {
        sessions.push(mcp_session(client, &mcp_url, &key).await?);
    }
    let sessions = Arc::new(sessions);
    for (i, session) in sessions.iter().enumerate() {
        mcp_verify(
            mcp_post(client, &mcp_url, &key, MCP_SESSION_VERSION)
                .header("mcp-session-id", session)
                .body(tool_call(1, &ids[i % ids.len()], "")),
            "MCP tools/call on a session",
        )
        .await?;
    }
    let stateless_request = {
        let (client, url, key) = (client.clone(), mcp_url.clone(), key.clone());
        move |n: usize, id: &str| {
            mcp_post(&client, &url, &key, MCP_STATELESS_VERSION)
                .header("mcp-method", "tools/call")
                .header("mcp-name", MCP_TOOL)
                .body(tool_call(n, id, STATELESS_META))
        }
    };
    if settings.mcp_stateless {
        mcp_verify(
            stateless_request(1, &ids[0]),
            "MCP tools/call without a session (2026-07-28)",
        )
        .await?;
    }

    let make = |way: Way| -> MakeRequest {
        let (client, key, ids) = (client.clone(), key.clone(), ids.clone());
        match way {
            Way::Proxy => {
                let urls: Vec<String> = ids
                    .iter()
                    .map(|id| format!("{base}/v1/connections/{id}/pinterest/user_account"))
                    .collect();
                Arc::new(move |_, n| client.get(&urls[n % urls.len()]).bearer_auth(&key))
            }
            Way::Session => {
                let (url, sessions) = (mcp_url.clone(), sessions.clone());
                Arc::new(move |w, n| {
                    mcp_post(&client, &url, &key, MCP_SESSION_VERSION)
                        .header("mcp-session-id", &sessions[w % sessions.len()])
                        .body(tool_call(n, &ids[n % ids.len()], ""))
                })
            }
            Way::Stateless => {
                let request = stateless_request.clone();
                Arc::new(move |_, n| request(n, &ids[n % ids.len()]))
            }
        }
    };
    let mut ways = vec![Way::Proxy, Way::Session];
    if settings.mcp_stateless {
        ways.push(Way::Stateless);
    }
    let makers: Vec<MakeRequest> = ways.iter().map(|&w| make(w)).collect();

    let mut t = String::new();
    let _ = writeln!(
        t,
        "\nMCP gateway vs REST proxy, Pinterest's user account — {c} clients (each MCP client its own session) × {:.0} s × {rounds} rounds, alternating order; req/s is the median of the rounds",
        d.as_secs_f64()
    );
    let _ = writeln!(
        t,
        "  {:<34} {:>8}  {:<22} {:>7} {:>7} {:>7} {:>11} {:>9} {:>7}",
        "",
        "req/s",
        "(rounds)",
        "p50 ms",
        "p99 ms",
        "errors",
        "server µs/r",
        "bench µs/r",
        "log B/r"
    );
    let mut settings_json = Vec::new();
    let mut checks: Vec<(String, String, bool)> = Vec::new();
    let mut errors = 0;
    let mut first_errors: Vec<String> = Vec::new();
    for &latency in &settings.mcp_latencies_ms {
        let faults = if latency > 0 {
            client
                .put(format!("{sim}/_sim/faults"))
                .json(&json!({"latency_ms": latency, "paths": ["/v5/user_account"]}))
        } else {
            client.delete(format!("{sim}/_sim/faults"))
        };
        faults.send().await?.error_for_status()?;

        if !settings.warmup.is_zero() {
            for (way, maker) in ways.iter().zip(&makers) {
                eprintln!(
                    "api_bench: MCP, sim +{latency} ms: {}: warming up for {:?}...",
                    way.label(),
                    settings.warmup
                );
                let w = load(maker, way.check(), c, settings.warmup, server.pid).await;
                if w.errors > 0 {
                    eprintln!(
                        "api_bench: {}: {} failed while warming up, e.g. {}",
                        way.label(),
                        w.errors,
                        w.first_error.as_deref().unwrap_or("?")
                    );
                }
                errors += w.errors;
            }
        }
        // One call at a time, the ways in turn: where an answer's time goes.
        let mut arrivals: Vec<Vec<Arrival>> = ways.iter().map(|_| Vec::new()).collect();
        if settings.mcp_sequential > 0 {
            eprintln!(
                "api_bench: MCP, sim +{latency} ms: {} calls one at a time each way...",
                settings.mcp_sequential
            );
        }
        for n in 0..settings.mcp_sequential {
            for (i, way) in ways.iter().enumerate() {
                match probe(makers[i](0, n), way.check()).await {
                    Ok(a) => arrivals[i].push(a),
                    Err(e) => {
                        errors += 1;
                        first_errors.push(format!(
                            "{} one at a time (+{latency} ms): {e}",
                            way.label()
                        ));
                    }
                }
            }
        }
        let mut measured: Vec<Vec<Samples>> = ways.iter().map(|_| Vec::new()).collect();
        let mut logged = vec![0u64; ways.len()];
        for round in 0..rounds {
            let order: Vec<usize> = if round % 2 == 0 {
                (0..ways.len()).collect()
            } else {
                (0..ways.len()).rev().collect()
            };
            for i in order {
                eprintln!(
                    "api_bench: MCP, sim +{latency} ms, round {}/{rounds}: {}: {c} clients for {d:?}...",
                    round + 1,
                    ways[i].label()
                );
                let before = log_len(server);
                let s = load(&makers[i], ways[i].check(), c, d, server.pid).await;
                logged[i] += log_len(server).saturating_sub(before);
                measured[i].push(s);
            }
        }

        let medians: Vec<f64> = measured
            .iter()
            .map(|r| median(&r.iter().map(Samples::rate).collect::<Vec<_>>()))
            .collect();
        let pooled: Vec<Samples> = measured.iter().map(|r| pool(r)).collect();
        let _ = writeln!(t, "  simulator latency {latency} ms:");
        let mut entry = serde_json::Map::new();
        entry.insert("sim_latency_ms".into(), json!(latency));
        for (i, way) in ways.iter().enumerate() {
            let s = &pooled[i];
            let per_round: Vec<String> = measured[i]
                .iter()
                .map(|r| format!("{:.0}", r.rate()))
                .collect();
            let log_per = logged[i] as f64 / s.requests().max(1) as f64;
            let _ = writeln!(
                t,
                "  {:<34} {:>8.0}  {:<22} {:>7.3} {:>7.3} {:>7} {:>11.0} {:>9.0} {:>7.0}",
                way.label(),
                medians[i],
                format!("({})", per_round.join(" ")),
                s.pct(50.0),
                s.pct(99.0),
                s.errors,
                s.server_cpu_us_per_request(),
                s.own_cpu_us_per_request(),
                log_per,
            );
            let mut j = s.json();
            j["rps_median"] = round(medians[i], 1);
            j["rps_rounds"] = json!(
                measured[i]
                    .iter()
                    .map(|r| round(r.rate(), 1))
                    .collect::<Vec<_>>()
            );
            j["bench_cpu_us_per_req"] = round(s.own_cpu_us_per_request(), 1);
            j["log_bytes_per_req"] = round(log_per, 0);
            entry.insert(way.key().into(), j);
            errors += s.errors;
            if let Some(e) = &s.first_error {
                first_errors.push(format!("{} (+{latency} ms): {e}", way.label()));
            }
        }
        for (i, way) in ways.iter().enumerate().skip(1) {
            let overhead = medians[0] / medians[i];
            let per_round: Vec<f64> = measured[0]
                .iter()
                .zip(&measured[i])
                .map(|(p, m)| p.rate() / m.rate())
                .collect();
            let cpu_ratio =
                pooled[i].server_cpu_us_per_request() / pooled[0].server_cpu_us_per_request();
            let p50_ratio = pooled[i].pct(50.0) / pooled[0].pct(50.0);
            let _ = writeln!(
                t,
                "  MCP overhead, {}: {overhead:.2}× (REST req/s ÷ MCP req/s; per round {}); p50 {p50_ratio:.2}×, server CPU per call {cpu_ratio:.2}×",
                if *way == Way::Session {
                    "session"
                } else {
                    "stateless"
                },
                per_round
                    .iter()
                    .map(|r| format!("{r:.2}×"))
                    .collect::<Vec<_>>()
                    .join(" "),
            );
            let suffix = if *way == Way::Session {
                ""
            } else {
                "_stateless"
            };
            entry.insert(format!("overhead{suffix}"), round(overhead, 3));
            entry.insert(
                format!("overhead{suffix}_rounds"),
                json!(per_round.iter().map(|&r| round(r, 3)).collect::<Vec<_>>()),
            );
            entry.insert(format!("p50_ratio{suffix}"), round(p50_ratio, 3));
            entry.insert(format!("server_cpu_ratio{suffix}"), round(cpu_ratio, 3));
            checks.push((
                format!(
                    "MCP overhead ({}) ≤ {MCP_OVERHEAD_MAX}× at +{latency} ms",
                    if *way == Way::Session {
                        "session"
                    } else {
                        "stateless"
                    }
                ),
                format!("{overhead:.2}×"),
                overhead <= MCP_OVERHEAD_MAX,
            ));
        }
        if settings.mcp_sequential > 0 {
            let _ = writeln!(
                t,
                "  one call at a time ({} each way, in turn), p50 ms after sending: head / first body chunk / last body chunk (chunks):",
                settings.mcp_sequential
            );
            let mut sequential = serde_json::Map::new();
            for (i, way) in ways.iter().enumerate() {
                let p50 = |f: fn(&Arrival) -> Duration| {
                    median(
                        &arrivals[i]
                            .iter()
                            .map(|a| f(a).as_secs_f64() * 1000.0)
                            .collect::<Vec<_>>(),
                    )
                };
                let (head, first, last) = (
                    p50(|a| a.head),
                    p50(|a| a.first_chunk),
                    p50(|a| a.last_chunk),
                );
                let chunks = median(
                    &arrivals[i]
                        .iter()
                        .map(|a| a.chunks as f64)
                        .collect::<Vec<_>>(),
                );
                let _ = writeln!(
                    t,
                    "    {:<34} {head:>8.3} / {first:>8.3} / {last:>8.3}  ({chunks:.0})",
                    way.label()
                );
                sequential.insert(
                    way.key().into(),
                    json!({"head_p50_ms": round(head, 3), "first_chunk_p50_ms": round(first, 3),
                           "last_chunk_p50_ms": round(last, 3), "chunks": round(chunks, 0),
                           "calls": arrivals[i].len()}),
                );
            }
            entry.insert("one_at_a_time".into(), Value::Object(sequential));
        }
        settings_json.push(Value::Object(entry));
    }
    // The simulator as the other phases left it: no added latency.
    client
        .delete(format!("{sim}/_sim/faults"))
        .send()
        .await?
        .error_for_status()?;

    let rss_after_kb = proc_status_kb(server.pid, "VmRSS").unwrap_or(0);
    let rss_peak_kb = proc_status_kb(server.pid, "VmHWM").unwrap_or(0);
    let mb = |kb: u64| kb as f64 / 1024.0;
    let _ = writeln!(
        t,
        "server µs/r, bench µs/r: CPU time per call of the server and of this load generator; log B/r: server log bytes per call."
    );
    let _ = writeln!(
        t,
        "memory (VmRSS) after the MCP section: {:.1} MB (peak {:.1} MB)",
        mb(rss_after_kb),
        mb(rss_peak_kb)
    );
    let _ = writeln!(t, "MCP targets:");
    for (what, value, pass) in &checks {
        let _ = writeln!(t, "  [{}] {what:<46} {value}", mark(*pass));
    }
    if errors > 0 {
        let _ = writeln!(t, "MCP ERRORS: {errors} calls failed");
        for e in &first_errors {
            let _ = writeln!(t, "  {e}");
        }
        let _ = writeln!(t, "  server log: {}", tail(&server.log));
    }
    let session_pass = checks
        .iter()
        .filter(|(what, _, _)| what.contains("(session)"))
        .all(|(_, _, pass)| *pass);
    let summary = json!({
        "concurrency": c,
        "sessions": sessions.len(),
        "duration_s": d.as_secs_f64(),
        "rounds": rounds,
        "tool": MCP_TOOL,
        "protocol": MCP_SESSION_VERSION,
        "stateless_protocol": settings.mcp_stateless.then_some(MCP_STATELESS_VERSION),
        "by_sim_latency": settings_json,
        "rss_mb": {"after": round(mb(rss_after_kb), 1), "peak": round(mb(rss_peak_kb), 1)},
        "targets": {"overhead": session_pass},
        "errors": errors,
    });
    Ok(Report {
        table: t,
        summary,
        errors,
    })
}

/// The access-token operation's parts, timed in this process on the
/// benchmark's database once the server has stopped: one connection read
/// (`rows::find_by_id`), opening a sealed token, and the whole domain
/// operation the handler calls (`calls::access_token`: its connection
/// reads and an open), each by `concurrency` tasks for half the load duration, with
/// the pool as pinbridge makes it and with sqlx's ping before each acquire
/// switched off (sqlx 0.8 pings a connection on every acquire from idle and
/// on every release: round trips to SQLite's worker thread or to PostgreSQL).
async fn breakdown(
    settings: &Settings,
    database_url: &str,
    public_url: &str,
    sim: &str,
    prepared: &Prepared,
) -> Result<(String, Value)> {
    let ids: Arc<Vec<domain::accounts::ConnectionId>> = Arc::new(
        prepared
            .connection_ids
            .iter()
            .map(|id| domain::accounts::ConnectionId::parse(id).ok_or("a connection id"))
            .collect::<std::result::Result<_, _>>()?,
    );
    let duration = settings.duration / 2;
    let c = settings.concurrency;
    let mut t = String::new();
    let mut out = serde_json::Map::new();
    let _ = writeln!(
        t,
        "breakdown, in process ({c} tasks × {:.0} s each; CPU µs/op is this process's: SQLite's threads in, PostgreSQL's server out):",
        duration.as_secs_f64()
    );
    let _ = writeln!(
        t,
        "    {:<48} {:>9} {:>9} {:>9}",
        "", "ops/s", "mean ms", "CPU µs/op"
    );

    // Opening a sealed token: no I/O, one at a time.
    {
        let db = Db::connect(database_url).await?;
        let services = domain::testing::services(db, public_url, sim);
        let row = rows::find_by_id(&services.db, &ids[0])
            .await?
            .ok_or("the first connection is missing")?;
        let sealed = row.access_token.clone().ok_or("no sealed token")?;
        let n = 20_000;
        let (cpu, started) = (cpu_time("self"), Instant::now());
        for _ in 0..n {
            domain::connections::open_token(
                &services.keys,
                &row.workspace_id,
                &row.id,
                TokenColumn::Access,
                &sealed,
            )?;
        }
        let took = started.elapsed();
        let cpu_us = cpu.zip(cpu_time("self")).map_or(f64::NAN, |(b, a)| {
            a.saturating_sub(b).as_secs_f64() * 1e6 / n as f64
        });
        let _ = writeln!(
            t,
            "    {:<48} {:>9.0} {:>9.4} {:>9.1}",
            "open a sealed token (AES-256-GCM), one task",
            n as f64 / took.as_secs_f64(),
            took.as_secs_f64() * 1000.0 / n as f64,
            cpu_us
        );
        out.insert(
            "open_token_us".into(),
            round(took.as_secs_f64() * 1e6 / n as f64, 2),
        );
        services.db.close().await;
    }

    for (pool_name, ping) in [
        (
            "the pool as pinbridge makes it (sqlx pings on acquire and on release):",
            true,
        ),
        (
            "the same without the ping on acquire (test_before_acquire(false)):",
            false,
        ),
    ] {
        let _ = writeln!(t, "  {pool_name}");
        let db = if ping {
            Db::connect(database_url).await?
        } else {
            connect_without_acquire_ping(database_url).await?
        };
        let services = domain::testing::services(db, public_url, sim);
        let caller =
            domain::api::authenticate(&services, Some(&format!("Bearer {}", prepared.key)))
                .await
                .map_err(fail("authenticate"))?;
        let caller = Arc::new(caller);

        let read = {
            let (services, ids) = (services.clone(), ids.clone());
            move |n: usize| {
                let (services, ids) = (services.clone(), ids.clone());
                async move {
                    rows::find_by_id(&services.db, &ids[n % ids.len()])
                        .await
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                }
            }
        };
        let scoped = {
            let (services, ids, caller) = (services.clone(), ids.clone(), caller.clone());
            move |n: usize| {
                let (services, ids, caller) = (services.clone(), ids.clone(), caller.clone());
                async move {
                    rows::find(&services.db, &caller.workspace_id, &ids[n % ids.len()])
                        .await
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                }
            }
        };
        let fresh = {
            let (services, ids) = (services.clone(), ids.clone());
            move |n: usize| {
                let (services, ids) = (services.clone(), ids.clone());
                async move {
                    domain::connections::tokens::fresh_token(
                        &services,
                        &ids[n % ids.len()],
                        domain::connections::tokens::MIN_VALIDITY_MS,
                    )
                    .await
                    .map_err(|e| e.to_string())?
                    .map(|_| ())
                    .map_err(|e| format!("{e:?}"))
                }
            }
        };
        let op = {
            let (services, ids, caller) = (services.clone(), ids.clone(), caller.clone());
            move |n: usize| {
                let (services, ids, caller) = (services.clone(), ids.clone(), caller.clone());
                async move {
                    let id = ids[n % ids.len()].to_string();
                    domain::api::calls::access_token(&services, &caller, &id, None)
                        .await
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                }
            }
        };
        for (what, key, result) in [
            (
                "one connection read, one task",
                "read_sequential",
                spin(1, duration, read.clone()).await,
            ),
            (
                "one connection read (rows::find_by_id)",
                "read",
                spin(c, duration, read).await,
            ),
            (
                "rows::find (by workspace and id)",
                "find",
                spin(c, duration, scoped).await,
            ),
            (
                "tokens::fresh_token (1 read + open)",
                "fresh_token",
                spin(c, duration, fresh).await,
            ),
            (
                "calls::access_token (what the handler calls)",
                "access_token",
                spin(c, duration, op).await,
            ),
        ] {
            let (ops, mean_ms, cpu_us) = result?;
            let _ = writeln!(
                t,
                "    {what:<48} {:>9.0} {:>9.3} {:>9.1}",
                ops, mean_ms, cpu_us
            );
            out.insert(
                format!("{key}_{}", if ping { "default_pool" } else { "no_acquire_ping" }),
                json!({"ops_per_s": round(ops, 0), "mean_ms": round(mean_ms, 3), "cpu_us_per_op": round(cpu_us, 1)}),
            );
        }
        services.db.close().await;
    }
    Ok((t, Value::Object(out)))
}

/// pinbridge's pool (`Db::connect`'s options) but without sqlx's ping
/// before each acquire.
async fn connect_without_acquire_ping(url: &str) -> Result<Db> {
    use std::str::FromStr;
    let timeout = domain::db::CONNECT_TIMEOUT;
    Ok(
        match domain::db::Backend::of_url(url).ok_or("a database URL")? {
            domain::db::Backend::Sqlite => {
                let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)?
                    .create_if_missing(true)
                    .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(5));
                Db::Sqlite(
                    sqlx::sqlite::SqlitePoolOptions::new()
                        .max_connections(8)
                        .acquire_timeout(timeout)
                        .test_before_acquire(false)
                        .connect_with(options)
                        .await?,
                )
            }
            domain::db::Backend::Postgres => Db::Postgres(
                sqlx::postgres::PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(timeout)
                    .test_before_acquire(false)
                    .connect_with(sqlx::postgres::PgConnectOptions::from_str(url)?)
                    .await?,
            ),
        },
    )
}

/// `c` tasks running `op` back to back for `duration`: operations a second,
/// mean milliseconds per operation, and this process's CPU µs per operation.
async fn spin<F, Fut>(c: usize, duration: Duration, op: F) -> Result<(f64, f64, f64)>
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = std::result::Result<(), String>> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let cpu = cpu_time("self");
    let started = Instant::now();
    let end = started + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..c {
        let (op, next) = (op.clone(), next.clone());
        tasks.spawn(async move {
            let (mut n, mut busy) = (0u64, Duration::ZERO);
            while Instant::now() < end {
                let t = Instant::now();
                op(next.fetch_add(1, Ordering::Relaxed)).await?;
                busy += t.elapsed();
                n += 1;
            }
            Ok::<_, String>((n, busy))
        });
    }
    let (mut n, mut busy) = (0u64, Duration::ZERO);
    while let Some(done) = tasks.join_next().await {
        let (k, b) = done??;
        n += k;
        busy += b;
    }
    let elapsed = started.elapsed();
    let cpu_us = cpu.zip(cpu_time("self")).map_or(f64::NAN, |(b, a)| {
        a.saturating_sub(b).as_secs_f64() * 1e6 / n.max(1) as f64
    });
    Ok((
        n as f64 / elapsed.as_secs_f64(),
        busy.as_secs_f64() * 1000.0 / n.max(1) as f64,
        cpu_us,
    ))
}
