//! The administrative commands as an operator runs them, on a database of the
//! test's own: `pinbridge setup-link`, the setup link `serve` prints on a first
//! start, and `pinbridge operator create`.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{TestBackend, TestDb, backend, free_port, key_spec, stderr, stdout};
use domain::accounts::operators::NewOperator;
use domain::accounts::sign_in::sign_in;
use domain::accounts::{
    AccountsError, DisplayName, Email, Hasher, NewPassword, OperatorId, RequestMeta, WorkspaceName,
    setup, workspaces,
};
use domain::db::Db;
use domain::db::repo::{memberships, operators};

const BIN: &str = env!("CARGO_BIN_EXE_pinbridge");
const PUBLIC_URL: &str = "https://portal.example.com";

/// One pinbridge installation: its database, and commands run against it.
struct Install {
    db: TestDb,
}

impl Install {
    async fn new() -> Self {
        Self {
            db: TestDb::new().await,
        }
    }

    fn dir(&self) -> &Path {
        self.db.dir.path()
    }

    /// `pinbridge` with only this installation's settings in its environment.
    fn pinbridge(&self) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.current_dir(self.dir())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("PINBRIDGE_LOG", "info")
            .env("PINBRIDGE_DATABASE_URL", &self.db.url)
            .env("PINBRIDGE_PUBLIC_URL", PUBLIC_URL)
            .stdin(Stdio::null());
        if backend() == TestBackend::Postgres {
            cmd.env("PINBRIDGE_ENCRYPTION_KEYS", key_spec(&[("k1", 1)]));
        }
        cmd
    }

    /// Runs `pinbridge ARGS`, with `stdin` as its standard input when given.
    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = self.pinbridge();
        cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
        if stdin.is_some() {
            cmd.stdin(Stdio::piped());
        }
        let mut child = cmd.spawn().unwrap();
        if let Some(text) = stdin {
            let mut pipe = child.stdin.take().unwrap();
            // A command that does not read its input may have exited already.
            let _ = pipe.write_all(text.as_bytes());
        }
        child.wait_with_output().unwrap()
    }

    /// `operator create` that must succeed; returns its standard output.
    fn create(&self, args: &[&str], stdin: Option<&str>) -> String {
        let mut argv = vec!["operator", "create"];
        argv.extend_from_slice(args);
        let out = self.run(&argv, stdin);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        stdout(&out)
    }

    async fn connect(&self) -> Db {
        Db::connect(&self.db.url).await.unwrap()
    }

    /// The operator's id when the password signs in, `None` when it is refused.
    async fn sign_in(&self, email: &str, password: &str) -> Option<OperatorId> {
        let db = self.connect().await;
        let hasher = Hasher::default();
        let result = sign_in(&db, &hasher, email, password, &RequestMeta::default()).await;
        db.close().await;
        match result {
            Ok(accepted) => Some(accepted.operator),
            Err(AccountsError::InvalidCredentials) => None,
            Err(e) => panic!("sign-in failed unexpectedly: {e}"),
        }
    }

    /// The workspace's stored name and its members' emails and roles.
    async fn workspace(&self, name: &str) -> Option<(String, Vec<(String, String)>)> {
        let db = self.connect().await;
        let name = WorkspaceName::parse(name).unwrap();
        let found = match workspaces::find_by_name(&db, &name).await.unwrap() {
            Some(row) => {
                let members = memberships::list(&db, &row.id).await.unwrap();
                let members = members
                    .into_iter()
                    .map(|m| (m.email, m.role.as_str().to_owned()))
                    .collect();
                Some((row.name, members))
            }
            None => None,
        };
        db.close().await;
        found
    }

    async fn operator_exists(&self, email: &str) -> bool {
        let db = self.connect().await;
        let found = operators::credentials_by_email(&db, email).await.unwrap();
        db.close().await;
        found.is_some()
    }

    /// Starts `serve` on a free port, waits until it says it runs, stops it
    /// with SIGTERM and returns everything it printed.
    fn serve_once(&self) -> Output {
        let port = free_port();
        let child = self
            .pinbridge()
            .env("PINBRIDGE_LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .arg("serve")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "pinbridge did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        // The shutdown signal is listened for from the start, so serve finishes
        // starting (and printing) before it stops.
        let ok = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stdout(&out).contains("pinbridge is running: open"),
            "{}",
            stdout(&out)
        );
        out
    }

    async fn finish(self) {
        self.db.drop_database().await;
    }
}

/// The one-line message of a command that must fail with `code`.
pub(super) fn failure(out: &Output, code: i32) -> String {
    assert_eq!(out.status.code(), Some(code), "{}", stderr(out));
    let err = stderr(out);
    let last = err.lines().last().unwrap_or_default().to_owned();
    assert!(last.starts_with("pinbridge: "), "{err}");
    assert_eq!(
        err.lines().filter(|l| l.starts_with("pinbridge: ")).count(),
        1,
        "{err}"
    );
    last
}

/// The token of a setup link for this test's public URL.
fn token_of(link: &str) -> &str {
    let prefix = format!("{PUBLIC_URL}/setup?token=");
    link.strip_prefix(prefix.as_str())
        .unwrap_or_else(|| panic!("not a setup link: {link:?}"))
}

/// Completes setup with `token`, as the setup page will.
async fn complete_setup(install: &Install, token: &str) -> Result<(), AccountsError> {
    let email = Email::parse("first@example.com").unwrap();
    let workspace = WorkspaceName::parse("First").unwrap();
    let password = NewPassword::parse("correct horse battery", &email, Some(&workspace)).unwrap();
    let owner = NewOperator {
        email,
        display_name: DisplayName::parse("First Owner").unwrap(),
        password_hash: Hasher::fast_insecure().hash(&password).await.unwrap(),
    };
    let db = install.connect().await;
    let done = setup::complete(&db, token, &workspace, &owner, &RequestMeta::default()).await;
    db.close().await;
    done.map(|_| ())
}

#[test]
fn help_lists_the_commands_and_their_flags() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("setup-link") && help.contains("operator"),
        "{help}"
    );
    let out = Command::new(BIN)
        .args(["operator", "create", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--workspace",
        "--email",
        "--role",
        "--name",
        "--password-stdin",
        "owner, admin or viewer",
    ] {
        assert!(help.contains(flag), "operator create --help lacks {flag}");
    }
}

#[tokio::test]
async fn setup_link_on_an_empty_database_prints_a_new_one_time_link_each_time() {
    let install = Install::new().await;
    let mut tokens = Vec::new();
    for _ in 0..2 {
        let out = install.run(&["setup-link"], None);
        assert!(out.status.success(), "{}", stderr(&out));
        let text = stdout(&out);
        assert_eq!(text.lines().count(), 1, "only the link: {text}");
        let token = token_of(text.trim_end()).to_owned();
        assert!(token.len() >= 32, "{token}");
        assert!(!stderr(&out).contains(&token), "the token is not logged");
        tokens.push(token);
    }
    assert_ne!(tokens[0], tokens[1]);

    // The link works, once: completing setup uses up every link issued.
    assert!(matches!(
        complete_setup(&install, "not-the-token").await,
        Err(AccountsError::SetupTokenInvalid)
    ));
    complete_setup(&install, &tokens[1]).await.unwrap();
    assert!(matches!(
        complete_setup(&install, &tokens[0]).await,
        Err(AccountsError::SetupTokenInvalid)
    ));
    install.finish().await;
}

/// Moves every setup link's expiry into the past, as if its lifetime had passed.
async fn expire_setup_links(install: &Install) {
    let db = install.connect().await;
    domain::on_pool!(&db, pool => {
        sqlx::query("update setup_tokens set expires_at = created_at - 1")
            .execute(pool)
            .await
            .map(|_| ())
    })
    .unwrap();
    db.close().await;
}

#[tokio::test]
async fn an_expired_setup_link_is_refused_and_setup_link_makes_a_working_new_one() {
    let install = Install::new().await;
    let out = install.run(&["setup-link"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("This link works once, for 1 hour"),
        "{}",
        stderr(&out)
    );
    let old = token_of(stdout(&out).trim_end()).to_owned();
    expire_setup_links(&install).await;
    assert!(matches!(
        complete_setup(&install, &old).await,
        Err(AccountsError::SetupTokenExpired)
    ));

    // The lifetime is configurable, and a new link works where the old one does not.
    let out = install
        .pinbridge()
        .env("PINBRIDGE_SETUP_LINK_LIFETIME_SECS", "600")
        .arg("setup-link")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("for 10 minutes"), "{}", stderr(&out));
    let new = token_of(stdout(&out).trim_end()).to_owned();
    assert!(matches!(
        complete_setup(&install, &old).await,
        Err(AccountsError::SetupTokenExpired)
    ));
    complete_setup(&install, &new).await.unwrap();
    install.finish().await;
}

#[tokio::test]
async fn setup_link_is_refused_once_an_owner_exists() {
    let install = Install::new().await;
    install.create(
        &[
            "--workspace",
            "Acme",
            "--email",
            "ada@example.com",
            "--role",
            "owner",
            "--password-stdin",
        ],
        Some("correct horse battery\n"),
    );
    let out = install.run(&["setup-link"], None);
    let line = failure(&out, 1);
    assert_eq!(
        line,
        "pinbridge: setup is complete (an owner exists): ask an owner for an invitation, \
         or add an operator with `pinbridge operator create`"
    );
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    install.finish().await;
}

#[tokio::test]
async fn serve_prints_a_setup_link_on_a_first_start_only() {
    let install = Install::new().await;
    let out = install.serve_once();
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("First start:"))
        .unwrap_or_else(|| panic!("no setup link: {text}"));
    assert_eq!(
        lines[at - 1],
        format!("pinbridge is running: open {PUBLIC_URL}/")
    );
    assert_eq!(
        lines[at],
        "First start: create the first workspace and its owner at this one-time link \
         (valid for 1 hour; `pinbridge setup-link` makes a new one):"
    );
    let link = lines[at + 1]
        .strip_prefix("  ")
        .expect("the link, indented");
    let token = token_of(link);
    assert!(token.len() >= 32, "{token}");
    assert!(
        !stderr(&out).contains(token),
        "the token never reaches the log"
    );

    // The printed link completes setup; after that, serve prints no link.
    complete_setup(&install, token).await.unwrap();
    let out = install.serve_once();
    let text = stdout(&out);
    assert!(
        !text.contains("setup") && !text.contains("First start"),
        "{text}"
    );
    install.finish().await;
}

#[tokio::test]
async fn operator_create_with_a_password_on_stdin_creates_the_workspace_and_its_owner() {
    let install = Install::new().await;
    let password = "correct horse battery staple";
    let out = install.run(
        &[
            "operator",
            "create",
            "--workspace",
            "Acme Corp",
            "--email",
            "Ada@Example.com",
            "--name",
            "Ada Lovelace",
            "--role",
            "owner",
            "--password-stdin",
        ],
        Some(&format!("{password}\n")),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "created workspace \"Acme Corp\" (environments: Development, Production)\n\
         created operator ada@example.com (name: Ada Lovelace)\n\
         added ada@example.com to workspace \"Acme Corp\" as owner\n"
    );
    assert!(
        !stderr(&out).contains(password),
        "the password is not logged"
    );

    let (name, members) = install.workspace("acme corp").await.unwrap();
    assert_eq!(name, "Acme Corp");
    assert_eq!(
        members,
        vec![("ada@example.com".to_owned(), "owner".to_owned())]
    );
    let db = install.connect().await;
    let (_, hash) = operators::credentials_by_email(&db, "ada@example.com")
        .await
        .unwrap()
        .unwrap();
    db.close().await;
    assert!(hash.as_phc().starts_with("$argon2id$"));
    // The line ending is not part of the password.
    assert!(install.sign_in("ada@example.com", password).await.is_some());
    assert!(
        install
            .sign_in("ada@example.com", &format!("{password}\n"))
            .await
            .is_none()
    );
    install.finish().await;
}

#[tokio::test]
async fn operator_create_without_a_password_prints_a_generated_one_once() {
    let install = Install::new().await;
    let out = install.run(
        &[
            "operator",
            "create",
            "--workspace",
            "Acme",
            "--email",
            "grace@example.com",
            "--role",
            "owner",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("generated password for grace@example.com"))
        .unwrap_or_else(|| panic!("no generated password: {text}"));
    assert_eq!(at, lines.len() - 2, "the password comes last: {text}");
    let password = lines[at + 1].strip_prefix("  ").unwrap();
    assert_eq!(password.chars().count(), 24, "{password}");
    assert!(password.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(text.matches(password).count(), 1, "shown once");
    assert!(!stderr(&out).contains(password), "never logged");

    let id = install
        .sign_in("grace@example.com", password)
        .await
        .unwrap();
    let db = install.connect().await;
    let operator = operators::find(&db, &id).await.unwrap().unwrap();
    db.close().await;
    assert_eq!(operator.display_name, "grace", "named after the email");
    install.finish().await;
}

#[tokio::test]
async fn operator_create_adds_people_to_an_existing_workspace_matched_in_any_case() {
    let install = Install::new().await;
    let ada = "lovelace's own password";
    install.create(
        &[
            "--workspace",
            "Acme Corp",
            "--email",
            "ada@example.com",
            "--role",
            "owner",
            "--password-stdin",
        ],
        Some(ada),
    );

    // A new operator joins the existing workspace, named in another case.
    let text = install.create(
        &[
            "--workspace",
            "ACME corp",
            "--email",
            "bob@example.com",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some("a builder's password\n"),
    );
    assert_eq!(
        text,
        "created operator bob@example.com (name: bob)\n\
         added bob@example.com to workspace \"Acme Corp\" as admin\n"
    );
    let (_, members) = install.workspace("Acme Corp").await.unwrap();
    assert!(members.contains(&("bob@example.com".to_owned(), "admin".to_owned())));
    assert!(install.workspace("ACME corp").await.is_some());

    // An existing operator keeps their password: what stdin holds is ignored.
    let text = install.create(
        &[
            "--workspace",
            "Globex",
            "--email",
            "ada@example.com",
            "--role",
            "owner",
            "--password-stdin",
        ],
        Some("a different password\n"),
    );
    assert_eq!(
        text,
        "created workspace \"Globex\" (environments: Development, Production)\n\
         existing operator ada@example.com added to workspace \"Globex\" as owner (password unchanged)\n"
    );
    assert!(install.sign_in("ada@example.com", ada).await.is_some());
    assert!(
        install
            .sign_in("ada@example.com", "a different password")
            .await
            .is_none()
    );
    let id = install.sign_in("ada@example.com", ada).await.unwrap();
    let db = install.connect().await;
    let ada_in = workspaces::of_operator(&db, &id).await.unwrap();
    db.close().await;
    let mut names: Vec<_> = ada_in.iter().map(|w| w.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["Acme Corp", "Globex"]);

    // Adding a member twice is refused, whatever the role.
    let out = install.run(
        &[
            "operator",
            "create",
            "--workspace",
            "acme corp",
            "--email",
            "bob@example.com",
            "--role",
            "viewer",
        ],
        None,
    );
    assert_eq!(
        failure(&out, 1),
        "pinbridge: bob@example.com is already a member of workspace \"Acme Corp\""
    );
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    install.finish().await;
}

#[tokio::test]
async fn bad_input_is_refused_with_a_specific_message_and_creates_nothing() {
    let install = Install::new().await;
    let create = |email: &str, role: &str, password: &str| {
        install.run(
            &[
                "operator",
                "create",
                "--workspace",
                "Acme",
                "--email",
                email,
                "--role",
                role,
                "--password-stdin",
            ],
            Some(&format!("{password}\n")),
        )
    };
    let good = "correct horse battery";

    // Values that do not parse stop the command before the database is opened.
    let out = create("ada.example.com", "owner", good);
    assert_eq!(
        failure(&out, 2),
        "pinbridge: --email: Email must have exactly one @ with text on both sides, \
         like name@example.com."
    );
    let out = create("ada@example.com", "boss", good);
    assert_eq!(
        failure(&out, 2),
        "pinbridge: --role: Role must be owner, admin or viewer."
    );
    if backend() == TestBackend::Sqlite {
        assert!(
            crate::common::snapshot(install.dir()).is_empty(),
            "no database created"
        );
    }

    let weak = "s3cr3t";
    let out = create("ada@example.com", "owner", weak);
    assert_eq!(
        failure(&out, 2),
        "pinbridge: --password-stdin: Password must be at least 12 characters (this one has 6)."
    );
    assert!(!stderr(&out).contains(weak), "{}", stderr(&out));
    let out = create("ada@example.com", "owner", "ada's very own password");
    assert_eq!(
        failure(&out, 2),
        "pinbridge: --password-stdin: Password must not contain the part of your email before the @."
    );
    let out = create("ada@example.com", "owner", "");
    assert_eq!(
        failure(&out, 2),
        "pinbridge: --password-stdin: Password is required."
    );

    // A new workspace needs an owner first.
    let out = create("ada@example.com", "viewer", good);
    assert_eq!(
        failure(&out, 1),
        "pinbridge: no workspace is named \"Acme\", and a new workspace's first member \
         must be an owner: use --role owner, or check the name"
    );

    let out = create("ada@example.com", "admin", good);
    assert!(failure(&out, 1).contains("first member must be an owner"));
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));

    assert!(install.workspace("Acme").await.is_none());
    assert!(!install.operator_exists("ada@example.com").await);
    assert!(install.sign_in("ada@example.com", good).await.is_none());
    install.finish().await;
}
