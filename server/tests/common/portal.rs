//! Driving the portal over HTTP as its pages do: server functions answered in
//! JSON (or an `AppError`), pages as HTML, plain form posts as a browser without
//! JavaScript sends them. Each [`Browser`] has its own cookies and keeps every
//! body it received, so a test can check what was ever shown.

use std::sync::{Arc, Mutex};

use app::errors::AppError;
use reqwest::StatusCode;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::{ACCEPT, COOKIE, LOCATION, REFERER, RETRY_AFTER, USER_AGENT};
use serde::de::DeserializeOwned;

use super::TestApp;

/// The password every operator made by these helpers has.
pub const PASSWORD: &str = "violet lantern orchard 42";
/// Sent by every [`Browser`], to be found again in the audit log.
pub const BROWSER_AGENT: &str = "pinbridge-access-test/1.0 (integration)";
pub const SESSION_COOKIE: &str = "pinbridge_session";

/// A response, read completely.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub location: Option<String>,
    pub retry_after: Option<String>,
    pub body: String,
}

impl Answer {
    /// The `Location` header, which the test expects to be there.
    pub fn location(&self) -> &str {
        self.location
            .as_deref()
            .unwrap_or_else(|| panic!("no Location ({}): {}", self.status, self.body))
    }

    /// The server function's answer: its JSON value, or the `AppError` it sent.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, AppError> {
        if self.status.is_success() {
            Ok(serde_json::from_str(&self.body)
                .unwrap_or_else(|e| panic!("success body does not decode ({e}): {}", self.body)))
        } else {
            Err(serde_json::from_str(&self.body).unwrap_or_else(|e| {
                panic!("{} is not an AppError ({e}): {}", self.status, self.body)
            }))
        }
    }
}

/// One browser: a cookie jar, no redirects followed, a distinctive user agent.
pub struct Browser {
    pub base: String,
    client: reqwest::Client,
    jar: Arc<Jar>,
    bodies: Mutex<Vec<String>>,
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        Self::at(&app.base, reqwest::Client::builder())
    }

    /// A browser of the site at `base` (e.g. behind a proxy), its client made
    /// from `builder` (a root certificate, a local address) with its own
    /// cookies and no redirects followed.
    pub fn at(base: &str, builder: reqwest::ClientBuilder) -> Self {
        let jar = Arc::new(Jar::default());
        let client = builder
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(super::REQUEST_TIMEOUT)
            .build()
            .unwrap();
        Self {
            base: base.to_owned(),
            client,
            jar,
            bodies: Mutex::new(Vec::new()),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn read(&self, request: reqwest::RequestBuilder) -> Answer {
        let res = request
            .header(USER_AGENT, BROWSER_AGENT)
            .send()
            .await
            .unwrap_or_else(|e| panic!("no answer: {e}"));
        let status = res.status();
        let header = |name| {
            res.headers()
                .get(name)
                .map(|v: &reqwest::header::HeaderValue| v.to_str().unwrap().to_owned())
        };
        let location = header(LOCATION);
        let retry_after = header(RETRY_AFTER);
        let body = res.text().await.unwrap();
        self.bodies.lock().unwrap().push(body.clone());
        Answer {
            status,
            location,
            retry_after,
            body,
        }
    }

    /// Calls a server function as the browser code does (`/api/{endpoint}`, JSON answer).
    pub async fn post(&self, endpoint: &str, form: &[(&str, &str)]) -> Answer {
        let request = self
            .client
            .post(self.url(&format!("/api/{endpoint}")))
            .header(ACCEPT, "application/json")
            .form(form);
        self.read(request).await
    }

    /// Calls a server function and decodes its answer.
    pub async fn call<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> Result<T, AppError> {
        self.post(endpoint, form).await.decode()
    }

    /// Sends a form as a browser with JavaScript off does, from the page at `from`.
    pub async fn plain_post(&self, endpoint: &str, from: &str, form: &[(&str, &str)]) -> Answer {
        let request = self
            .client
            .post(self.url(&format!("/api/{endpoint}")))
            .header(ACCEPT, "text/html,application/xhtml+xml")
            .header(REFERER, self.url(from))
            .form(form);
        self.read(request).await
    }

    /// Sends a `multipart/form-data` form as a browser does for a file
    /// field (with or without JavaScript: such a form is always a plain
    /// post), from the page at `from`. `file`: the field's name, the file's
    /// name, its content type and bytes.
    pub async fn upload(
        &self,
        endpoint: &str,
        from: &str,
        fields: &[(&str, &str)],
        file: (&str, &str, &str, &[u8]),
    ) -> Answer {
        let boundary = "----pinbridge-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        let (name, file_name, content_type, bytes) = file;
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        self.raw_post(
            endpoint,
            from,
            &format!("multipart/form-data; boundary={boundary}"),
            body,
        )
        .await
    }

    /// Posts `body` as it is, with `content_type`, as a plain form post from `from`.
    pub async fn raw_post(
        &self,
        endpoint: &str,
        from: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Answer {
        let request = self
            .client
            .post(self.url(&format!("/api/{endpoint}")))
            .header(ACCEPT, "text/html,application/xhtml+xml")
            .header(REFERER, self.url(from))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body);
        self.read(request).await
    }

    /// Loads a page (a path, or a full URL on this site).
    pub async fn page(&self, path: &str) -> Answer {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            self.url(path)
        };
        let request = self.client.get(url).header(ACCEPT, "text/html");
        self.read(request).await
    }

    /// Loads `path` offering `accept_encoding`: the status, the headers and the
    /// body as it came over the wire (this client decompresses nothing).
    pub async fn fetch_encoded(
        &self,
        path: &str,
        accept_encoding: &str,
    ) -> (reqwest::StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
        let res = self
            .client
            .get(self.url(path))
            .header(ACCEPT, "text/html")
            .header(reqwest::header::ACCEPT_ENCODING, accept_encoding)
            .header(USER_AGENT, BROWSER_AGENT)
            .send()
            .await
            .unwrap_or_else(|e| panic!("no answer: {e}"));
        let (status, headers) = (res.status(), res.headers().clone());
        (status, headers, res.bytes().await.unwrap().to_vec())
    }

    /// The value of the session cookie this browser holds, if any.
    pub fn session_cookie(&self) -> Option<String> {
        let url = self.base.parse().unwrap();
        let cookies = self.jar.cookies(&url)?;
        cookies.to_str().unwrap().split("; ").find_map(|pair| {
            pair.strip_prefix(SESSION_COOKIE)
                .and_then(|rest| rest.strip_prefix('='))
                .map(str::to_owned)
        })
    }

    /// Loads a page presenting `cookie` as the session, outside this browser's jar.
    pub async fn page_with_session(&self, path: &str, cookie: &str) -> Answer {
        let request = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(super::REQUEST_TIMEOUT)
            .build()
            .unwrap()
            .get(self.url(path))
            .header(ACCEPT, "text/html")
            .header(COOKIE, format!("{SESSION_COOKIE}={cookie}"));
        self.read(request).await
    }

    /// Every body this browser received so far.
    pub fn bodies(&self) -> Vec<String> {
        self.bodies.lock().unwrap().clone()
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Result<(), AppError> {
        self.call("auth/sign-in", &[("email", email), ("password", password)])
            .await
    }

    pub async fn workspace(&self, ws: &str) -> Result<app::models::WorkspaceView, AppError> {
        self.call("workspaces/view", &[("workspace", ws)]).await
    }

    /// The workspaces the signed-in operator belongs to.
    pub async fn workspace_list(&self) -> Vec<app::models::WorkspaceSummary> {
        let (_, list): (app::models::OperatorView, Vec<_>) =
            self.call("workspaces/list", &[]).await.unwrap();
        list
    }
}

/// A workspace as its first owner's browser knows it.
pub struct Owned {
    pub browser: Browser,
    pub workspace_id: String,
    pub operator_id: String,
    pub email: String,
}

/// The first workspace and its owner, through a setup link over HTTP; the
/// browser returned is signed in as that owner.
pub async fn set_up(app: &TestApp, workspace_name: &str, email: &str) -> Owned {
    let token = domain::accounts::setup::issue_token(&app.state().db, &Default::default())
        .await
        .unwrap();
    let browser = Browser::new(app);
    let answer = browser
        .post(
            "auth/setup",
            &[
                ("token", token.expose()),
                ("workspace_name", workspace_name),
                ("display_name", "First Owner"),
                ("email", email),
                ("password", PASSWORD),
            ],
        )
        .await;
    answer.decode::<()>().unwrap();
    let workspace_id = answer
        .location()
        .strip_prefix("/w/")
        .expect("setup opens the workspace")
        .to_owned();
    owned(browser, workspace_id, email).await
}

/// Another workspace with its owner, as `pinbridge operator create` makes it,
/// and a browser signed in as that owner.
pub async fn provision(app: &TestApp, workspace_name: &str, email: &str) -> Owned {
    use domain::accounts::operators::NewOperator;
    use domain::accounts::provision::provision;
    use domain::accounts::{DisplayName, Email, NewPassword, RequestMeta, Role, WorkspaceName};
    let state = app.state();
    let parsed = Email::parse(email).unwrap();
    let password = NewPassword::parse(PASSWORD, &parsed, None).unwrap();
    let operator = NewOperator {
        password_hash: state.hasher.hash(&password).await.unwrap(),
        display_name: DisplayName::parse("Provisioned Owner").unwrap(),
        email: parsed,
    };
    let done = provision(
        &state.db,
        &WorkspaceName::parse(workspace_name).unwrap(),
        &operator,
        Role::Owner,
        "cli",
        &RequestMeta::default(),
    )
    .await
    .unwrap();
    let browser = Browser::new(app);
    browser.sign_in(email, PASSWORD).await.unwrap();
    owned(browser, done.workspace_id.to_string(), email).await
}

async fn owned(browser: Browser, workspace_id: String, email: &str) -> Owned {
    let view = browser.workspace(&workspace_id).await.unwrap();
    Owned {
        operator_id: view.operator.id,
        workspace_id,
        email: email.to_owned(),
        browser,
    }
}

/// The token in an invitation link.
pub fn token_of(link: &str) -> String {
    link.split_once("token=")
        .unwrap_or_else(|| panic!("no token in {link}"))
        .1
        .to_owned()
}

/// Invites `email` with `role` and answers the link.
pub async fn invite(by: &Browser, ws: &str, email: &str, role: &str) -> String {
    let issued: app::models::IssuedInvitation = by
        .call(
            "members/invite",
            &[("workspace", ws), ("email", email), ("role", role)],
        )
        .await
        .unwrap();
    issued.link
}

/// A new member: invited by `by` with `role`, accepted as a new account in a
/// browser of their own, which is then signed in. Answers that browser and the
/// new operator's id.
pub async fn join(
    app: &TestApp,
    by: &Browser,
    ws: &str,
    email: &str,
    role: &str,
) -> (Browser, String) {
    let link = invite(by, ws, email, role).await;
    let browser = Browser::new(app);
    browser
        .call::<()>(
            "invitations/accept",
            &[
                ("token", &token_of(&link)),
                ("display_name", "New Member"),
                ("password", PASSWORD),
            ],
        )
        .await
        .unwrap();
    let id = browser.workspace(ws).await.unwrap().operator.id;
    (browser, id)
}
