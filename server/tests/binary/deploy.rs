//! The deployment guide (README, "Deploying pinbridge: TLS proxy, several
//! instances, systemd") followed on one machine: Debian's nginx terminating TLS
//! with a self-signed certificate for 127.0.0.1 and running `deploy/nginx.conf`
//! (its ports, paths and name replaced); two `pinbridge serve` processes on one
//! PostgreSQL, started as `deploy/pinbridge.service` starts them with the
//! settings of `deploy/pinbridge.env.example`; pinterest-sim as Pinterest.
//!
//! Through the proxy over https: sign-in, the Pinterest settings saved by a form
//! without JavaScript, an API key, a connect link, an end user's connect flow,
//! the API and MCP. Then one instance is killed with SIGKILL in the middle of a
//! refresh batch, and (restarted, as systemd would) again in the middle of a
//! settings save: nothing is lost, the other instance finishes, and the audit
//! log shows the client's own address (127.0.0.3), not nginx's (127.0.0.2).
//!
//! PostgreSQL only (several instances need it): on the SQLite pass it says so
//! and returns. nginx comes from `scripts/setup.sh --test`; without it the test
//! is skipped with a message, except under `CI=true`, where it fails.

use std::collections::BTreeSet;
use std::fs::File;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::portal::{Answer, Browser, PASSWORD};
use crate::common::{TestBackend, TestDb, backend, free_port, stderr};
use app::models::{AuditView, IssuedApiKey, IssuedConnectLink, PinterestSaved};
use domain::accounts::{ConnectionId, EnvironmentId, WorkspaceId};
use domain::connections::{TokenColumn, open_token, seal_token};
use domain::crypto::{Aad, KeyRing, Sealed, SecretString};
use domain::db::Db;
use domain::db::repo::connections as rows;
use pinterest_sim::{RunningSim, SimConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

const BIN: &str = env!("CARGO_BIN_EXE_pinbridge");
/// The person at the browser, and the API's caller.
const CLIENT_IP: &str = "127.0.0.3";
/// Where nginx connects to the instances from (`proxy_bind`): its own address,
/// as a proxy on another machine would have one.
const PROXY_IP: &str = "127.0.0.2";
/// What the client claims to be in every request it sends; never believed.
const SPOOFED_IP: &str = "203.0.113.9";
const EMAIL: &str = "owner@acme.test";
const APP_ID: &str = "7654321";
const APP_SECRET: &str = "deploy-test-app-secret-0123";
const SCOPES: [&str; 3] = ["user_accounts:read", "boards:read", "pins:read"];
/// Connections whose refresh is due when an instance is killed.
const DUE: usize = 40;
/// How long Pinterest takes to answer a token request while the refresh batch
/// runs: the kill lands while every refresh the instance claimed is waiting.
const TOKEN_LATENCY_MS: u64 = 1500;

// ---------------------------------------------------------------------------
// The shipped files

fn deploy_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../deploy")
        .join(name)
}

fn read_deploy_file(name: &str) -> String {
    let path = deploy_file(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `NAME=value` lines of an environment file, in order (systemd's format).
fn env_file(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (name, value) = l
                .split_once('=')
                .unwrap_or_else(|| panic!("not NAME=value: {l:?}"));
            (name.trim().to_owned(), value.trim().to_owned())
        })
        .collect()
}

/// Replaces the value of `name`, which the file must set.
fn set(env: &mut [(String, String)], name: &str, value: impl Into<String>) {
    let entry = env
        .iter_mut()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("deploy/pinbridge.env.example does not set {name}"));
    entry.1 = value.into();
}

/// The unit's command after the binary (`serve`).
fn unit_arguments(unit: &str) -> Vec<String> {
    let line = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("the unit has ExecStart=");
    let mut words = line.split_whitespace();
    assert_eq!(words.next(), Some("/usr/local/bin/pinbridge"), "{line}");
    words.map(str::to_owned).collect()
}

/// `text` with `from` replaced by `to`, which must occur exactly `times` times:
/// when the shipped file changes, the test says where instead of testing
/// something else.
fn replaced(text: &str, from: &str, to: &str, times: usize) -> String {
    assert_eq!(
        text.matches(from).count(),
        times,
        "deploy/nginx.conf should hold {from:?} {times} time(s)"
    );
    text.replace(from, to)
}

// ---------------------------------------------------------------------------
// Processes

/// A process this test started: stopped when dropped (SIGTERM, then SIGKILL).
struct Proc {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Proc {
    /// Starts `cmd` with its output in `dir/<name>.log`.
    fn spawn(name: &str, cmd: &mut Command, dir: &Path) -> Self {
        let log = dir.join(format!("{name}.log"));
        let out = File::create(&log).unwrap();
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        Self {
            name: name.to_owned(),
            child,
            log,
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn signal(&self, signal: &str) {
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &self.pid().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(sent, "kill -{signal} {}", self.name);
    }

    fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().unwrap()
    }

    /// Waits for the process to end, at most `limit`.
    async fn ended(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.exited() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if !matches!(self.child.try_wait(), Ok(None)) {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// nginx from Debian's package, if installed.
fn nginx_binary() -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':')
        .chain(["/usr/sbin", "/usr/local/sbin"])
        .map(|dir| Path::new(dir).join("nginx"))
        .find(|p| p.is_file())
}

/// Whether this process runs as root (nginx then needs `user root;` to use
/// the test's private temporary directory).
fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1).map(|euid| euid == "0"))
        .unwrap_or(false)
}

/// Waits until `done` answers true, checking every 20 ms; fails naming `what`
/// after `limit`.
async fn until(what: &str, limit: Duration, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// ---------------------------------------------------------------------------
// The installation

/// Everything the guide sets up, on this machine.
struct Install {
    dir: tempfile::TempDir,
    db: TestDb,
    pg: PgPool,
    sim: RunningSim,
    keys: String,
    public: String,
    http_port: u16,
    ports: [u16; 2],
    cert: reqwest::Certificate,
    nginx: Proc,
}

impl Install {
    async fn new(nginx: &Path) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = TestDb::new().await;
        let pg = PgPool::connect(&db.url).await.unwrap();
        let sim = pinterest_sim::spawn(SimConfig {
            request_log_capacity: 100_000,
            ..SimConfig::default()
        })
        .await
        .unwrap();
        // The key ring as the guide makes it: `k1:` and 32 random bytes in base64.
        let keys = {
            use base64::Engine;
            use rand::RngCore;
            let mut key = [0u8; 32];
            rand::thread_rng().fill_bytes(&mut key);
            format!(
                "k1:{}",
                base64::engine::general_purpose::STANDARD.encode(key)
            )
        };
        let (https_port, http_port) = (free_port(), free_port());
        let ports = [free_port(), free_port()];
        let public = format!("https://127.0.0.1:{https_port}");

        // A self-signed certificate for 127.0.0.1, its key private.
        let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
        let cert_pem = certified.cert.pem();
        std::fs::write(dir.path().join("cert.pem"), &cert_pem).unwrap();
        {
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let mut key = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(dir.path().join("key.pem"))
                .unwrap();
            key.write_all(certified.signing_key.serialize_pem().as_bytes())
                .unwrap();
        }
        let cert = reqwest::Certificate::from_pem(cert_pem.as_bytes()).unwrap();

        let conf = nginx_conf(dir.path(), &public, https_port, http_port, ports);
        let test = Command::new(nginx)
            .args(nginx_args(dir.path()))
            .arg("-t")
            .output()
            .unwrap();
        assert!(
            test.status.success(),
            "nginx -t refused the configuration:\n{}\n{conf}",
            stderr(&test)
        );
        let mut nginx = Proc::spawn(
            "nginx",
            Command::new(nginx).args(nginx_args(dir.path())),
            dir.path(),
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", https_port)).is_err() {
            assert!(
                nginx.exited().is_none(),
                "nginx stopped: {}",
                nginx.output()
            );
            assert!(Instant::now() < deadline, "nginx did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Self {
            dir,
            db,
            pg,
            sim,
            keys,
            public,
            http_port,
            ports,
            cert,
            nginx,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The environment file as the guide fills it in, for instance `i`.
    fn env(&self, i: usize) -> Vec<(String, String)> {
        let mut env = env_file(&read_deploy_file("pinbridge.env.example"));
        let mut url = url::Url::parse(&self.db.url).unwrap();
        url.query_pairs_mut()
            .append_pair("application_name", &instance_name(i));
        set(&mut env, "PINBRIDGE_DATABASE_URL", url.as_str());
        set(&mut env, "PINBRIDGE_ENCRYPTION_KEYS", &self.keys);
        set(&mut env, "PINBRIDGE_PUBLIC_URL", &self.public);
        set(
            &mut env,
            "PINBRIDGE_LISTEN_ADDR",
            format!("127.0.0.1:{}", self.ports[i]),
        );
        set(&mut env, "PINBRIDGE_TRUSTED_PROXIES", PROXY_IP);
        set(
            &mut env,
            "PINBRIDGE_SITE_ROOT",
            self.path().join("site").display().to_string(),
        );
        let sim = self.sim.base_url();
        for name in [
            "PINBRIDGE_PINTEREST_OAUTH_URL",
            "PINBRIDGE_PINTEREST_API_URL",
            "PINBRIDGE_PINTEREST_SANDBOX_API_URL",
        ] {
            set(&mut env, name, &sim);
        }
        set(&mut env, "PINBRIDGE_PINTEREST_TIMEOUT_MS", "2000");
        set(&mut env, "PINBRIDGE_SCHEDULER_INTERVAL_MS", "200");
        env
    }

    /// `pinbridge` with instance `i`'s environment and nothing else.
    fn pinbridge(&self, i: usize) -> Command {
        let run_dir = self.path().join(instance_name(i));
        std::fs::create_dir_all(&run_dir).unwrap();
        let mut cmd = Command::new(BIN);
        cmd.current_dir(run_dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.env(i));
        cmd
    }

    /// The first operator and workspace, as the guide makes them:
    /// `pinbridge operator create --password-stdin`.
    fn create_operator(&self) {
        crate::scale::create_owner_with(&mut self.pinbridge(0), "Acme Pins", EMAIL, PASSWORD);
    }

    /// Instance `i` as the unit starts it, once it answers `/readyz`.
    async fn start(&self, i: usize, run: usize) -> Proc {
        let unit = read_deploy_file("pinbridge.service");
        let mut proc = Proc::spawn(
            &format!("{}-run{run}", instance_name(i)),
            self.pinbridge(i).args(unit_arguments(&unit)),
            self.path(),
        );
        let ready = format!("http://127.0.0.1:{}/readyz", self.ports[i]);
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(res) = http.get(&ready).send().await
                && res.status() == StatusCode::OK
            {
                return proc;
            }
            if let Some(status) = proc.exited() {
                panic!("{} exited with {status}: {}", proc.name, proc.output());
            }
            assert!(Instant::now() < deadline, "{} did not start", proc.name);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A client of the site as a person's browser is one: it trusts the
    /// certificate, comes from 127.0.0.3, and claims another address in
    /// `X-Forwarded-For` (which must never be believed).
    fn client(&self) -> reqwest::ClientBuilder {
        let mut spoof = reqwest::header::HeaderMap::new();
        spoof.insert("x-forwarded-for", SPOOFED_IP.parse().unwrap());
        reqwest::Client::builder()
            .add_root_certificate(self.cert.clone())
            .local_address(CLIENT_IP.parse::<IpAddr>().unwrap())
            .default_headers(spoof)
    }

    fn api(&self) -> reqwest::Client {
        self.client()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(crate::common::REQUEST_TIMEOUT)
            .build()
            .unwrap()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.public)
    }

    async fn sim_admin(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let mut request =
            reqwest::Client::new().request(method, format!("{}{path}", self.sim.base_url()));
        if !body.is_null() {
            request = request.json(&body);
        }
        let res = request.send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// The nginx request log so far.
    fn access_log(&self) -> String {
        std::fs::read_to_string(self.path().join("access.log")).unwrap_or_default()
    }

    async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.pg).await.unwrap()
    }

    async fn finish(self) {
        self.pg.close().await;
        self.db.drop_database().await;
        self.sim.shutdown().await;
    }
}

fn instance_name(i: usize) -> String {
    format!("pinbridge-{}", ["a", "b"][i])
}

fn nginx_args(dir: &Path) -> Vec<String> {
    let d = dir.display();
    vec![
        "-p".into(),
        format!("{d}/"),
        "-c".into(),
        format!("{d}/nginx.conf"),
        "-e".into(),
        format!("{d}/nginx-error.log"),
    ]
}

/// Writes nginx's configuration under `dir`: `deploy/nginx.conf` with this
/// machine's ports, paths and name, inside a main file that keeps every path
/// in `dir` and runs in the foreground.
fn nginx_conf(dir: &Path, public: &str, https: u16, http: u16, ports: [u16; 2]) -> String {
    let d = dir.display();
    let mut site = read_deploy_file("nginx.conf");
    for (from, to, times) in [
        (
            "server 127.0.0.1:3001 ",
            format!("server 127.0.0.1:{} ", ports[0]),
            1,
        ),
        (
            "server 127.0.0.1:3002 ",
            format!("server 127.0.0.1:{} ", ports[1]),
            1,
        ),
        (
            "    listen 80;\n",
            format!("    listen 127.0.0.1:{http};\n"),
            1,
        ),
        ("    listen [::]:80;\n", String::new(), 1),
        (
            "    listen 443 ssl http2;\n",
            format!("    listen 127.0.0.1:{https} ssl http2;\n"),
            1,
        ),
        ("    listen [::]:443 ssl http2;\n", String::new(), 1),
        ("https://pinbridge.example.com", public.to_owned(), 1),
        (
            "server_name pinbridge.example.com;",
            "server_name 127.0.0.1;".to_owned(),
            2,
        ),
        (
            "/etc/ssl/pinbridge/fullchain.pem",
            format!("{d}/cert.pem"),
            1,
        ),
        ("/etc/ssl/pinbridge/privkey.pem", format!("{d}/key.pem"), 1),
        (
            "/var/log/nginx/pinbridge.access.log",
            format!("{d}/access.log"),
            2,
        ),
    ] {
        site = replaced(&site, from, &to, times);
    }
    let directives: String = site
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect();
    for system in ["example.com", "/etc/", "/var/", ":3001", ":3002"] {
        assert!(
            !directives.contains(system),
            "deploy/nginx.conf names {system:?} somewhere the test does not replace"
        );
    }
    std::fs::write(dir.join("pinbridge-site.conf"), &site).unwrap();
    let user = if running_as_root() {
        "user root;\n"
    } else {
        ""
    };
    let main = format!(
        "{user}daemon off;\npid {d}/nginx.pid;\nerror_log {d}/nginx-error.log warn;\n\
         worker_processes 1;\nevents {{ worker_connections 512; }}\nhttp {{\n\
         client_body_temp_path {d}/body;\nproxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fastcgi;\nuwsgi_temp_path {d}/uwsgi;\nscgi_temp_path {d}/scgi;\n\
         # As a proxy on another machine: the instances see nginx at {PROXY_IP}.\n\
         proxy_bind {PROXY_IP};\ninclude {d}/pinbridge-site.conf;\n}}\n"
    );
    std::fs::write(dir.join("nginx.conf"), &main).unwrap();
    format!("{main}\n{site}")
}

// ---------------------------------------------------------------------------
// The steps

/// The Pinterest settings form as the page sends it.
fn settings_form(
    ws: &str,
    env: &str,
    version: i64,
    client_id: &str,
    secret: &str,
    scopes: &[&str],
) -> Vec<(&'static str, String)> {
    let mut form = vec![
        ("workspace", ws.to_owned()),
        ("environment_id", env.to_owned()),
        ("version", version.to_string()),
        ("client_id", client_id.to_owned()),
        ("client_secret", secret.to_owned()),
        ("api", "production".to_owned()),
    ];
    form.extend(scopes.iter().map(|s| ("scopes[]", (*s).to_owned())));
    form
}

fn borrowed<'a>(form: &'a [(&'static str, String)]) -> Vec<(&'a str, &'a str)> {
    form.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// What the test sent that must never be written anywhere it could be read.
#[derive(Default)]
struct Secrets(Vec<String>);

impl Secrets {
    fn add(&mut self, secret: impl Into<String>) {
        let secret = secret.into();
        assert!(secret.len() >= 8, "too short to search for: {secret:?}");
        self.0.push(secret);
    }

    fn assert_absent(&self, place: &str, text: &str) {
        for secret in &self.0 {
            assert!(
                !text.contains(secret.as_str()),
                "{place} holds a secret ({}…)",
                &secret[..4]
            );
        }
    }
}

/// The end user's side of a connect link, through the proxy: the page,
/// Continue to Pinterest, consent on pinterest-sim, the callback. Answers the
/// callback URL (its code is a secret).
async fn connect_as_end_user(install: &Install, link: &str) -> String {
    let user = install
        .client()
        .cookie_provider(Arc::new(reqwest::cookie::Jar::default()))
        .redirect(reqwest::redirect::Policy::none())
        .timeout(crate::common::REQUEST_TIMEOUT)
        .build()
        .unwrap();
    let page = user.get(link).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Continue to Pinterest"));
    let go = user.post(link).send().await.unwrap();
    assert_eq!(go.status(), StatusCode::SEE_OTHER);
    let authorize = go.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        authorize.starts_with(&format!("{}/oauth/?", install.sim.base_url())),
        "{authorize}"
    );
    assert_eq!(
        query_param(&authorize, "redirect_uri"),
        Some(install.url("/integration-callback")),
        "Pinterest sends the end user back to the public https address"
    );
    let back = user
        .get(format!("{authorize}&sim_consent=allow"))
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), StatusCode::FOUND);
    let callback = back.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        callback.starts_with(&install.url("/integration-callback?")),
        "{callback}"
    );
    let done = user.get(&callback).send().await.unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    let body = done.text().await.unwrap();
    assert!(body.contains("Connected as @demo_pinner"), "{body}");
    callback
}

/// MCP through the proxy: a session opens and a tool acts for the connection.
async fn mcp_through_the_proxy(install: &Install, key: &str, connection_id: &str) {
    let http = install.api();
    let post = |body: Value, session: Option<&str>| {
        let mut request = http
            .post(install.url("/mcp"))
            .bearer_auth(key)
            .header("accept", "application/json, text/event-stream")
            .json(&body);
        if let Some(session) = session {
            request = request
                .header("mcp-session-id", session)
                .header("mcp-protocol-version", "2025-06-18");
        }
        request.send()
    };
    let init = post(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
               "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                          "clientInfo": {"name": "deploy-test", "version": "1"}}}),
        None,
    )
    .await
    .unwrap();
    assert_eq!(init.status(), StatusCode::OK);
    let session = init.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let done = post(
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        Some(&session),
    )
    .await
    .unwrap();
    assert_eq!(done.status(), StatusCode::ACCEPTED);
    let call = post(
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
               "params": {"name": "get_user_account",
                          "arguments": {"connection_id": connection_id}}}),
        Some(&session),
    )
    .await
    .unwrap();
    assert_eq!(call.status(), StatusCode::OK);
    // Within a session the answer comes as a server-sent event.
    let text = call.text().await.unwrap();
    let answer: Value = text
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
        .find(|m| m["id"] == 2)
        .unwrap_or_else(|| panic!("no answer in {:.300}", text));
    assert_eq!(
        answer["result"]["structuredContent"]["username"], "demo_pinner",
        "{:.300}",
        text
    );
}

/// `n` connections holding tokens pinterest-sim minted, sealed under the
/// installation's key ring as the handshake seals them, due for a refresh now.
async fn seed_due_connections(install: &Install, ws: &str, env: &str, n: usize) {
    let minted = install
        .sim_admin(
            reqwest::Method::POST,
            "/_sim/tokens",
            json!({"client_id": APP_ID, "username": "demo_pinner",
                   "scopes": SCOPES.join(","), "count": n}),
        )
        .await;
    let keys = KeyRing::parse(&install.keys).unwrap();
    let db = Db::connect(&install.db.url).await.unwrap();
    let ws = WorkspaceId::parse(ws).unwrap();
    let env = EnvironmentId::parse(env).unwrap();
    let now = domain::db::now_ms();
    let mut tx = db.begin().await.unwrap();
    for (i, t) in minted["items"].as_array().unwrap().iter().enumerate() {
        let mut row = domain::testing::connection_row(&ws, &env, &format!("due-{i}"));
        let seal = |column, token: &Value| {
            let token = SecretString::new(token.as_str().unwrap().to_owned());
            seal_token(&keys, &ws, &row.id, column, &token).unwrap()
        };
        row.access_token = Some(seal(TokenColumn::Access, &t["access_token"]));
        row.refresh_token = Some(seal(TokenColumn::Refresh, &t["refresh_token"]));
        row.access_expires_at = Some(now + 60_000);
        row.next_refresh_at = Some(now);
        row.next_probe_at = Some(now + 86_400_000);
        rows::insert(&mut tx, &row).await.unwrap();
    }
    tx.commit().await.unwrap();
    db.close().await;
}

/// Connections whose lease `pid`'s scheduler holds.
async fn leased_by(install: &Install, pid: u32) -> Vec<String> {
    sqlx::query_scalar("select id from connections where lease_owner like $1 and lease_until > $2")
        .bind(format!("{pid}-%"))
        .bind(domain::db::now_ms())
        .fetch_all(&install.pg)
        .await
        .unwrap()
}

/// The instances (by `application_name`) whose database sessions wait for a lock.
async fn waiting_for_a_lock(install: &Install) -> Vec<String> {
    sqlx::query_scalar(
        "select application_name from pg_stat_activity \
         where datname = current_database() and wait_event_type = 'Lock'",
    )
    .fetch_all(&install.pg)
    .await
    .unwrap()
}

// ---------------------------------------------------------------------------

/// The unit and the environment file are ones pinbridge runs with: every
/// variable the file sets is a setting pinbridge knows (a misspelt one would
/// be ignored silently), its placeholder key is refused at start-up before
/// anything is written (no usable secret ships), and the unit passes
/// `systemd-analyze verify` without a warning where systemd is installed.
#[test]
fn the_shipped_unit_and_environment_file_are_ones_pinbridge_runs_with() {
    let help = Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    let mut env = env_file(&read_deploy_file("pinbridge.env.example"));
    for (name, _) in &env {
        assert!(
            help.contains(&format!("[env: {name}=")) || help.contains(&format!("[env: {name}]")),
            "{name} is not a setting of pinbridge"
        );
    }

    // As shipped, but for a database and a port of the test's own: the
    // placeholder key stops start-up, naming the setting.
    let dir = tempfile::tempdir().unwrap();
    set(
        &mut env,
        "PINBRIDGE_DATABASE_URL",
        "sqlite://data/pinbridge.db",
    );
    set(
        &mut env,
        "PINBRIDGE_LISTEN_ADDR",
        format!("127.0.0.1:{}", free_port()),
    );
    let out = Command::new(BIN)
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env)
        .args(unit_arguments(&read_deploy_file("pinbridge.service")))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.lines()
            .last()
            .is_some_and(|l| l.starts_with("pinbridge: PINBRIDGE_ENCRYPTION_KEYS")),
        "{err}"
    );
    assert!(
        crate::common::snapshot(dir.path()).is_empty(),
        "nothing written"
    );

    let Ok(verify) = Command::new("systemd-analyze").arg("--version").output() else {
        eprintln!("systemd-analyze is not installed: the unit was not verified");
        return;
    };
    assert!(verify.status.success());
    let unit = read_deploy_file("pinbridge.service").replace("/usr/local/bin/pinbridge", BIN);
    let path = dir.path().join("pinbridge.service");
    std::fs::write(&path, unit).unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success() && stderr(&out).trim().is_empty(),
        "systemd-analyze verify: {}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deployment_guide_two_instances_behind_nginx_survive_sigkill() {
    let Some(nginx) = nginx_binary() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "nginx is missing: `scripts/setup.sh --test` installs Debian's nginx"
        );
        eprintln!("SKIPPED the deployment test: nginx is missing (scripts/setup.sh --test)");
        return;
    };
    if backend() != TestBackend::Postgres {
        eprintln!(
            "SKIPPED the deployment test on SQLite: several instances need PostgreSQL \
             (it runs with PINBRIDGE_TEST_BACKEND=postgres)"
        );
        return;
    }
    let started = Instant::now();
    let install = Install::new(&nginx).await;
    let mut secrets = Secrets::default();
    secrets.add(PASSWORD);
    secrets.add(APP_SECRET);
    secrets.add(install.keys.trim_start_matches("k1:"));

    // The guide's steps: an operator from the shell, then both instances at
    // once (migrations and the key check are safe to run concurrently).
    install.create_operator();
    let (mut a, mut b) = tokio::join!(install.start(0, 1), install.start(1, 1));
    plain_http_only_redirects(&install).await;
    let portal = set_up_through_the_proxy(&install, &mut secrets).await;
    eprintln!("deploy: set up and connected in {:?}", started.elapsed());

    kill_in_a_refresh_batch(&install, &portal, &mut a, &mut secrets).await;
    // A comes back, as systemd's Restart=on-failure brings it back.
    let mut a = install.start(0, 2).await;
    kill_in_a_settings_save(&install, &portal, &mut a, &mut secrets).await;
    the_audit_log_shows_the_client(&install, &portal).await;

    // B stops as systemd stops it: SIGTERM, exit 0 within TimeoutStopSec.
    b.signal("TERM");
    let status = b.ended(Duration::from_secs(30)).await;
    assert!(
        status.is_some_and(|s| s.success()),
        "B after SIGTERM: {status:?}\n{}",
        b.output()
    );
    install.nginx.signal("QUIT");
    no_secret_in_any_log(&install, &secrets);
    eprintln!("deploy: done in {:?}", started.elapsed());
    drop((a, b));
    install.finish().await;
}

/// `http://` answers only with a redirect to the same path at the public URL.
async fn plain_http_only_redirects(install: &Install) {
    let plain = reqwest::Client::builder()
        .local_address(CLIENT_IP.parse::<IpAddr>().unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let redirect = plain
        .get(format!("http://127.0.0.1:{}/w?tab=1", install.http_port))
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(
        redirect.headers()["location"].to_str().unwrap(),
        install.url("/w?tab=1")
    );
}

/// What the operator set up through the proxy.
struct Portal {
    browser: Arc<Browser>,
    ws: String,
    env_id: String,
    key: String,
}

/// Through the proxy over https: the operator signs in, saves the Pinterest
/// settings without JavaScript, makes an API key and a connect link; the end
/// user connects; the application lists connections, gets a token and calls
/// an MCP tool. nginx spread the requests over both instances.
async fn set_up_through_the_proxy(install: &Install, secrets: &mut Secrets) -> Portal {
    let browser = Arc::new(Browser::at(&install.public, install.client()));
    browser.sign_in(EMAIL, PASSWORD).await.unwrap();
    assert!(
        browser.session_cookie().is_some(),
        "the session cookie is kept over https (it is Secure)"
    );
    let ws = browser.workspace_list().await[0].id.clone();
    let env = browser
        .workspace(&ws)
        .await
        .unwrap()
        .environments
        .into_iter()
        .find(|e| e.name == "Development")
        .unwrap();
    install
        .sim_admin(
            reqwest::Method::POST,
            "/_sim/apps",
            json!({"id": APP_ID, "secret": APP_SECRET, "name": "Acme", "tier": "standard",
                   "redirect_uris": [install.url("/integration-callback")]}),
        )
        .await;

    // The form without JavaScript: a redirect back to the page, which says it
    // saved (the notice rides in a `__Host-` cookie, which needs https).
    let from = format!("/w/{ws}/e/{}/integrations/pinterest", env.slug);
    let form = settings_form(&ws, &env.id, 0, APP_ID, APP_SECRET, &SCOPES);
    let saved = browser
        .plain_post("pinterest/save", &from, &borrowed(&form))
        .await;
    assert_eq!(saved.status, StatusCode::FOUND, "{}", saved.body);
    assert_eq!(saved.location().trim_end_matches('?'), install.url(&from));
    let page = browser.page(&from).await;
    assert!(
        page.body
            .contains("Pinterest is configured in this environment"),
        "{}",
        page.body
    );

    let key: IssuedApiKey = browser
        .call(
            "api-keys/create",
            &[
                ("workspace", ws.as_str()),
                ("environment_id", env.id.as_str()),
                ("name", "Backend"),
                ("expires_in_days", "30"),
                ("rate_limit", "6000"),
                ("permissions[]", "connections:read"),
                ("permissions[]", "tokens"),
                ("permissions[]", "agent"),
            ],
        )
        .await
        .unwrap();
    let key = key.key;
    secrets.add(key.clone());
    let link: IssuedConnectLink = browser
        .call(
            "connections/link",
            &[
                ("workspace", ws.as_str()),
                ("environment_id", env.id.as_str()),
                ("end_user_id", "user-1"),
                ("display_name", "Ada Lovelace"),
                ("return_url", ""),
            ],
        )
        .await
        .unwrap();
    assert!(
        link.url.starts_with(&install.url("/connect/")),
        "{}",
        link.url
    );
    secrets.add(link.url.rsplit('/').next().unwrap());

    let callback = connect_as_end_user(install, &link.url).await;
    secrets.add(query_param(&callback, "code").unwrap());
    secrets.add(query_param(&callback, "state").unwrap());

    // The application, with the key.
    let api = install.api();
    let list: Value = api
        .get(install.url("/v1/connections"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let connected = &list["data"][0];
    assert_eq!(connected["end_user_id"], "user-1", "{list}");
    assert_eq!(connected["state"], "active", "{list}");
    let connection_id = connected["id"].as_str().unwrap().to_owned();
    let access = access_token(install, &key, &connection_id).await;
    secrets.add(access.clone());
    let me = reqwest::Client::new()
        .get(format!("{}/user_account", install.sim.api_base()))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK, "the token works at Pinterest");
    mcp_through_the_proxy(install, &key, &connection_id).await;

    let log = install.access_log();
    for port in install.ports {
        assert!(
            log.contains(&format!(" 127.0.0.1:{port} ")),
            "no request reached 127.0.0.1:{port}:\n{log}"
        );
    }
    assert!(log.lines().all(|l| l.starts_with(CLIENT_IP)), "{log}");
    Portal {
        browser,
        ws,
        env_id: env.id,
        key,
    }
}

/// `POST /v1/connections/{id}/access-token` through the proxy: the token. An
/// application told to come back (503 `busy`: another instance holds the
/// connection's lease, or held it until it died) does so after `Retry-After`.
async fn access_token(install: &Install, key: &str, connection_id: &str) -> String {
    let api = install.api();
    for _ in 0..3 {
        let answer = api
            .post(install.url(&format!("/v1/connections/{connection_id}/access-token")))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        let status = answer.status();
        let retry_after = answer
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        let body: Value = answer.json().await.unwrap();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(body["type"], "urn:pinbridge:problem:busy", "{body}");
            let wait = retry_after.expect("a busy answer says when to come back");
            eprintln!("deploy: {connection_id} is busy; the application comes back in {wait} s");
            tokio::time::sleep(Duration::from_secs(wait.min(10))).await;
            continue;
        }
        assert_eq!(status, StatusCode::OK, "{body}");
        return body["access_token"].as_str().unwrap().to_owned();
    }
    panic!("{connection_id}: still busy after three tries");
}

/// `DUE` connections come due while Pinterest answers token requests slowly;
/// A is killed as soon as it has claimed some. Meanwhile every request through
/// the proxy is answered (by B), including a token for a connection whose
/// refresh died with A (it waits for A's lease to lapse, then refreshes). B
/// finishes every refresh.
async fn kill_in_a_refresh_batch(
    install: &Install,
    portal: &Portal,
    a: &mut Proc,
    secrets: &mut Secrets,
) {
    install
        .sim_admin(
            reqwest::Method::PUT,
            "/_sim/faults",
            json!({"latency_ms": TOKEN_LATENCY_MS, "paths": ["/v5/oauth/token"]}),
        )
        .await;
    seed_due_connections(install, &portal.ws, &portal.env_id, DUE).await;
    let mut held = Vec::new();
    until(
        "instance A claims refreshes",
        Duration::from_secs(20),
        async || {
            held = leased_by(install, a.pid()).await;
            !held.is_empty()
        },
    )
    .await;
    a.signal("KILL");
    let killed_at = Instant::now();
    assert!(a.ended(Duration::from_secs(5)).await.is_some());
    eprintln!("deploy: killed A holding {} of {DUE} refreshes", held.len());

    secrets.add(access_token(install, &portal.key, &held[0]).await);
    let api = install.api();
    for _ in 0..10 {
        let res = api
            .get(install.url("/v1/connections?limit=1"))
            .bearer_auth(&portal.key)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    until(
        "every due refresh is done",
        Duration::from_secs(60),
        async || {
            install
                .count(
                    "select count(*) from connections \
                     where end_user_id like 'due-%' and refresh_count = 0",
                )
                .await
                == 0
        },
    )
    .await;
    eprintln!(
        "deploy: B finished A's refreshes {:?} after the kill",
        killed_at.elapsed()
    );
    install
        .sim_admin(reqwest::Method::DELETE, "/_sim/faults", Value::Null)
        .await;
    check_refreshes(install, &held).await;
}

/// Once nginx sends requests to the restarted A again (after `fail_timeout`),
/// the test holds the settings row locked, so every save that arrives waits
/// inside its transaction, and sends saves until one waits in A. Then A dies,
/// and the lock is let go.
async fn kill_in_a_settings_save(
    install: &Install,
    portal: &Portal,
    a: &mut Proc,
    secrets: &mut Secrets,
) {
    let api = install.api();
    let back = format!(" 127.0.0.1:{} 200", install.ports[0]);
    until(
        "nginx sends requests to A again",
        Duration::from_secs(30),
        async || {
            let res = api.get(install.url("/healthz")).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            install
                .access_log()
                .lines()
                .last()
                .is_some_and(|l| l.contains("GET /healthz") && l.contains(&back))
        },
    )
    .await;

    let version: i64 = sqlx::query_scalar("select version from pinterest_settings")
        .fetch_one(&install.pg)
        .await
        .unwrap();
    let mut lock = install.pg.begin().await.unwrap();
    sqlx::query("select version from pinterest_settings for update")
        .execute(&mut *lock)
        .await
        .unwrap();
    let mut forms = Vec::new();
    let mut sent = Vec::new();
    for i in 0..6 {
        let secret = format!("save-{i}-{}", uuid::Uuid::new_v4().simple());
        secrets.add(secret.clone());
        let scopes: Vec<&str> = if i % 2 == 0 {
            SCOPES.to_vec()
        } else {
            [&SCOPES[..], &["boards:write"]].concat()
        };
        let form = settings_form(
            &portal.ws,
            &portal.env_id,
            version,
            &(8_800_000 + i).to_string(),
            &secret,
            &scopes,
        );
        forms.push(form.clone());
        let before = waiting_for_a_lock(install).await.len();
        let browser = portal.browser.clone();
        sent.push(tokio::spawn(async move {
            browser.post("pinterest/save", &borrowed(&form)).await
        }));
        until(
            "the save waits for the lock",
            Duration::from_secs(10),
            async || waiting_for_a_lock(install).await.len() > before,
        )
        .await;
        if waiting_for_a_lock(install)
            .await
            .contains(&instance_name(0))
        {
            break;
        }
    }
    assert!(
        waiting_for_a_lock(install)
            .await
            .contains(&instance_name(0)),
        "no save reached A"
    );
    a.signal("KILL");
    assert!(a.ended(Duration::from_secs(5)).await.is_some());
    lock.rollback().await.unwrap();
    let mut answers: Vec<Answer> = Vec::new();
    for task in sent {
        answers.push(task.await.unwrap());
    }
    check_saves(install, portal, version, &forms, &answers).await;
}

/// The audit log, as the portal shows it and as stored: every address in it
/// is the client's, never nginx's nor the one the client claimed.
async fn the_audit_log_shows_the_client(install: &Install, portal: &Portal) {
    let audit: AuditView = portal
        .browser
        .call("audit/list", &[("workspace", portal.ws.as_str())])
        .await
        .unwrap();
    let with_ip: Vec<_> = audit.entries.iter().filter(|e| e.ip.is_some()).collect();
    for entry in &with_ip {
        assert_eq!(
            entry.ip.as_deref(),
            Some(CLIENT_IP),
            "{:?} {:?}",
            entry.action,
            entry.detail
        );
    }
    let actions: BTreeSet<&str> = with_ip.iter().map(|e| e.action.as_str()).collect();
    for action in [
        "session.signed_in",
        "pinterest.configured",
        "pinterest.settings_changed",
        "api_key.created",
        "connection.link_created",
        "connection.created",
    ] {
        assert!(actions.contains(action), "{action} in {actions:?}");
    }
    let stored: Vec<Option<String>> = sqlx::query_scalar("select distinct ip from audit_events")
        .fetch_all(&install.pg)
        .await
        .unwrap();
    assert!(
        stored.iter().flatten().all(|ip| ip == CLIENT_IP),
        "{stored:?}"
    );
}

/// nginx's logs and every instance's: no secret the test sent or received,
/// and no panic.
fn no_secret_in_any_log(install: &Install, secrets: &Secrets) {
    let mut logs = vec![
        ("nginx's request log".to_owned(), install.access_log()),
        (
            "nginx's error log".to_owned(),
            std::fs::read_to_string(install.path().join("nginx-error.log")).unwrap_or_default(),
        ),
    ];
    for entry in std::fs::read_dir(install.path()).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("pinbridge-") && name.ends_with(".log") {
            logs.push((name, std::fs::read_to_string(entry.path()).unwrap()));
        }
    }
    assert!(
        logs.len() >= 5,
        "three runs of pinbridge and nginx's two logs"
    );
    for (name, text) in &logs {
        secrets.assert_absent(name, text);
        assert!(!text.contains("panicked"), "{name}: {text}");
    }
}

/// After the refresh batch: every due connection was refreshed exactly once
/// (none twice, none lost), is active, holds tokens that open under the key
/// ring and that Pinterest accepts, and no lease is left behind, A's included.
async fn check_refreshes(install: &Install, held_by_a: &[String]) {
    let keys = KeyRing::parse(&install.keys).unwrap();
    let db = Db::connect(&install.db.url).await.unwrap();
    let ids: Vec<String> =
        sqlx::query_scalar("select id from connections where end_user_id like 'due-%'")
            .fetch_all(&install.pg)
            .await
            .unwrap();
    assert_eq!(ids.len(), DUE);
    let sim = reqwest::Client::new();
    for id in &ids {
        let row = rows::find_by_id(&db, &ConnectionId::parse(id).unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (row.health.as_str(), row.refresh_count, row.token_version),
            ("active", 1, 2),
            "{id}: {}",
            row.health_reason
        );
        assert_eq!(row.lease_owner, None, "{id} is still leased");
        let open = |column, stored: &Option<String>| {
            open_token(
                &keys,
                &row.workspace_id,
                &row.id,
                column,
                stored.as_deref().unwrap(),
            )
            .unwrap()
        };
        open(TokenColumn::Refresh, &row.refresh_token);
        let access = open(TokenColumn::Access, &row.access_token);
        let me = sim
            .get(format!("{}/user_account", install.sim.api_base()))
            .bearer_auth(access.expose())
            .send()
            .await
            .unwrap();
        assert_eq!(
            me.status(),
            StatusCode::OK,
            "{id}: Pinterest refuses its token"
        );
    }
    assert!(held_by_a.iter().all(|id| ids.contains(id)));
    assert_eq!(
        install
            .count("select count(*) from audit_events where action = 'connection.refreshed'")
            .await,
        DUE as i64,
        "one refresh per connection"
    );
    db.close().await;
}

/// After the save that A died in: exactly one save is stored, whole: the one
/// whose sender was told it saved. A's sender got a 502 from nginx (a POST is
/// never sent twice), and sending it again is refused as a conflict.
async fn check_saves(
    install: &Install,
    portal: &Portal,
    version: i64,
    forms: &[Vec<(&'static str, String)>],
    answers: &[Answer],
) {
    let statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 502).count(),
        1,
        "only the save in A failed, with 502: {statuses:?}"
    );
    let saved: Vec<usize> = (0..answers.len())
        .filter(|i| answers[*i].status.is_success())
        .collect();
    assert_eq!(saved.len(), 1, "one save wins: {statuses:?}");
    for answer in answers.iter().filter(|a| a.status.as_u16() != 502) {
        assert!(
            answer.status.is_success() || refused_as_a_conflict(answer),
            "{}",
            answer.body
        );
    }
    let winner = &forms[saved[0]];
    let field = |name: &str| {
        winner
            .iter()
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (client_id, secret, last4, scopes, stored_version): (String, String, String, String, i64) =
        sqlx::query_as(
            "select client_id, client_secret, secret_last4, scopes, version from pinterest_settings",
        )
        .fetch_one(&install.pg)
        .await
        .unwrap();
    assert_eq!(stored_version, version + 1);
    assert_eq!(client_id, field("client_id"));
    assert_eq!(scopes, field("scopes[]"));
    let keys = KeyRing::parse(&install.keys).unwrap();
    let binding = format!("{}/{}", portal.ws, portal.env_id);
    let opened = keys
        .open_str(
            &Sealed::from_stored(secret),
            Aad {
                table: "pinterest_settings",
                column: "client_secret",
                row: &binding,
            },
        )
        .unwrap();
    assert_eq!(opened.expose(), field("client_secret"));
    assert!(opened.expose().ends_with(&last4));
    // The save A never answered, sent again by its person: refused, not applied.
    let lost = answers
        .iter()
        .position(|a| a.status.as_u16() == 502)
        .unwrap();
    let again = portal
        .browser
        .post("pinterest/save", &borrowed(&forms[lost]))
        .await;
    assert!(refused_as_a_conflict(&again), "{}", again.body);
    assert_eq!(
        install
            .count("select count(*) from audit_events where action = 'pinterest.secret_replaced'")
            .await,
        1,
        "one replacement audited"
    );
}

/// A save refused because the settings changed since its form was loaded.
fn refused_as_a_conflict(answer: &Answer) -> bool {
    matches!(
        answer.decode::<PinterestSaved>(),
        Err(app::errors::AppError::Refused(message)) if message.contains("were changed by")
    )
}
