//! Administrative commands run from the shell: the first-start setup link and
//! `pinbridge operator create`. Each opens the database as `serve` does and
//! returns the text to print or an [`AdminError`]; `main` does the printing.

use std::io::BufRead;

use domain::Services;
use domain::accounts::operators::NewOperator;
use domain::accounts::provision;
use domain::accounts::{
    AccountPolicy, AccountsError, DisplayName, Email, Field, InvalidInput, NAME_MAX, NewPassword,
    PasswordHash, RequestMeta, Role, WorkspaceName, setup, workspaces,
};
use domain::crypto::SecretString;
use domain::db::Db;
use rand::Rng;
use zeroize::Zeroizing;

use crate::config::{Config, OperatorCreateArgs};
use crate::startup::{self, StartError};

/// How these commands appear as the actor in the audit log.
const ACTOR_LABEL: &str = "cli";

/// Characters of generated passwords: letters and digits without look-alikes
/// (0/O, 1/l/I), so a password read off a screen is typed right.
const GENERATED_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

/// 24 characters of 57 give about 140 random bits.
const GENERATED_LEN: usize = 24;

/// What a command that reports on stdout answers, and the exit code it chose.
#[derive(Debug)]
pub struct Answer {
    pub stdout: String,
    pub code: u8,
}

impl Answer {
    pub fn ok(stdout: String) -> Self {
        Self { stdout, code: 0 }
    }
}

/// Why a command failed. Displays as one line.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Keys or database, as for `serve`.
    #[error(transparent)]
    Start(#[from] StartError),
    /// A value given on the command line (or standard input), named by its flag.
    #[error("{flag}: {0}", flag = flag(.0.field()))]
    Invalid(InvalidInput),
    #[error(
        "setup is complete (an owner exists): ask an owner for an invitation, or add an operator with `pinbridge operator create`"
    )]
    SetupComplete,
    #[error(
        "no workspace is named \"{workspace}\", and a new workspace's first member must be an owner: use --role owner, or check the name"
    )]
    NewWorkspaceNeedsOwner { workspace: String },
    #[error("{email} is already a member of workspace \"{workspace}\"")]
    AlreadyMember { email: String, workspace: String },
    #[error("cannot read the password from standard input: {0}")]
    Stdin(std::io::Error),
    #[error(transparent)]
    Accounts(AccountsError),
    #[error(
        "no key file at {0} yet: start pinbridge once to create it, or set PINBRIDGE_ENCRYPTION_KEYS"
    )]
    NoKeyFile(String),
    /// A key id given on the command line; the text names where.
    #[error("{0}")]
    KeyId(String),
    #[error(transparent)]
    Keys(#[from] domain::keys::KeysError),
    #[error(
        "{remaining} value(s) are still sealed with keys other than {key}, written meanwhile by an instance that seals with an older key: restart it with the new key ring, then run `pinbridge keys rotate` again"
    )]
    RotationIncomplete { remaining: i64, key: String },
    /// A command's own refusal (no such workspace or environment, a stale
    /// plan, …), said as it is.
    #[error("{0}")]
    Refused(String),
}

impl AdminError {
    /// 2 for a value refused at parsing (as for a bad setting), 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Start(e) => e.exit_code(),
            Self::Invalid(_)
            | Self::NoKeyFile(_)
            | Self::KeyId(_)
            | Self::Keys(domain::keys::KeysError::NotInRing(_)) => 2,
            _ => 1,
        }
    }
}

impl From<InvalidInput> for AdminError {
    fn from(e: InvalidInput) -> Self {
        Self::Invalid(e)
    }
}

impl From<AccountsError> for AdminError {
    fn from(e: AccountsError) -> Self {
        match e {
            AccountsError::Invalid(e) => Self::Invalid(e),
            AccountsError::SetupComplete => Self::SetupComplete,
            other => Self::Accounts(other),
        }
    }
}

/// The flag a field is given with.
fn flag(field: Field) -> &'static str {
    match field {
        Field::Email => "--email",
        Field::DisplayName => "--name",
        Field::WorkspaceName => "--workspace",
        Field::Password => "--password-stdin",
        Field::Role => "--role",
        Field::EnvironmentName => "environment",
    }
}

/// The database as `serve` opens it: migrated, keys checked. On a first run this
/// creates the SQLite file and the key file, so commands work on a fresh install.
pub(crate) async fn open(config: &Config) -> Result<Services, StartError> {
    startup::prepare_services(config).await
}

/// A new one-time setup link while no workspace has an owner, `None` once one does.
/// The link holds the token in its query string, which request logs leave out.
pub async fn issue_setup_link(
    db: &Db,
    public_url: &str,
    policy: &AccountPolicy,
) -> Result<Option<SecretString>, AccountsError> {
    match setup::issue_token(db, policy).await {
        Ok(token) => Ok(Some(SecretString::new(format!(
            "{public_url}/setup?token={}",
            token.expose()
        )))),
        Err(AccountsError::SetupComplete) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `pinbridge setup-link`.
pub async fn setup_link(config: &Config) -> Result<SecretString, AdminError> {
    let services = open(config).await?;
    let link = issue_setup_link(&services.db, &config.public_url, &config.accounts).await;
    services.db.close().await;
    link?.ok_or(AdminError::SetupComplete)
}

/// `pinbridge operator create`: every value is parsed before the database is
/// opened, so a typing mistake touches nothing. Returns the lines to print,
/// which hold a generated password.
pub async fn operator_create(
    config: &Config,
    args: &OperatorCreateArgs,
    stdin: &mut dyn BufRead,
) -> Result<Zeroizing<String>, AdminError> {
    let request = OperatorCreate::parse(args)?;
    let services = open(config).await?;
    let result = request.run(&services, stdin).await;
    services.db.close().await;
    result
}

/// `operator create`'s arguments, parsed.
#[derive(Debug)]
struct OperatorCreate {
    workspace: WorkspaceName,
    email: Email,
    display_name: DisplayName,
    role: Role,
    password_stdin: bool,
}

impl OperatorCreate {
    fn parse(args: &OperatorCreateArgs) -> Result<Self, AdminError> {
        let workspace = WorkspaceName::parse(&args.workspace)?;
        let email = Email::parse(&args.email)?;
        let role = args.role.parse::<Role>()?;
        let display_name = match &args.name {
            Some(name) => DisplayName::parse(name)?,
            None => {
                let local: String = email.local_part().chars().take(NAME_MAX).collect();
                DisplayName::parse(&local)?
            }
        };
        Ok(Self {
            workspace,
            email,
            display_name,
            role,
            password_stdin: args.password_stdin,
        })
    }

    async fn run(
        self,
        services: &Services,
        stdin: &mut dyn BufRead,
    ) -> Result<Zeroizing<String>, AdminError> {
        let (password_hash, generated) =
            if domain::accounts::operators::exists(&services.db, &self.email).await? {
                // `provision` keeps an existing operator as they are and never reads
                // this; were it ever stored, an empty PHC string matches no password.
                (PasswordHash::from_stored(String::new()), None)
            } else {
                let (password, generated) = if self.password_stdin {
                    let typed = read_password(stdin)?;
                    let password = NewPassword::parse(&typed, &self.email, Some(&self.workspace))?;
                    (password, false)
                } else {
                    (generate_password(&self.email, &self.workspace), true)
                };
                let hash = services
                    .hasher
                    .hash(&password)
                    .await
                    .map_err(AccountsError::from)?;
                (hash, generated.then_some(password))
            };
        let operator = NewOperator {
            email: self.email.clone(),
            display_name: self.display_name.clone(),
            password_hash,
        };
        let done = provision::provision(
            &services.db,
            &self.workspace,
            &operator,
            self.role,
            ACTOR_LABEL,
            &RequestMeta::default(),
        )
        .await;
        // Named as stored, which may differ in letter case from what was typed.
        let workspace = workspaces::find_by_name(&services.db, &self.workspace)
            .await?
            .map_or_else(|| self.workspace.to_string(), |row| row.name);
        let done = done.map_err(|e| self.refusal(e, &workspace))?;

        let (email, role) = (&self.email, self.role);
        let mut out = Zeroizing::new(String::new());
        if done.workspace_created {
            out.push_str(&format!(
                "created workspace \"{workspace}\" (environments: {})\n",
                workspaces::DEFAULT_ENVIRONMENTS.join(", ")
            ));
        }
        if !done.operator_created {
            out.push_str(&format!(
                "existing operator {email} added to workspace \"{workspace}\" as {role} (password unchanged)\n"
            ));
            return Ok(out);
        }
        out.push_str(&format!(
            "created operator {email} (name: {})\n",
            self.display_name
        ));
        out.push_str(&format!(
            "added {email} to workspace \"{workspace}\" as {role}\n"
        ));
        if let Some(password) = generated {
            out.push_str(&format!(
                "generated password for {email} (shown only this once, keep it safe):\n  "
            ));
            // Appended without a temporary copy or a reallocation, so the only
            // copies left in memory are the zeroized ones.
            out.reserve(password.expose().len() + 1);
            out.push_str(password.expose());
            out.push('\n');
        }
        Ok(out)
    }

    /// The domain's refusals, worded for the command line.
    fn refusal(&self, e: AccountsError, workspace: &str) -> AdminError {
        match e {
            AccountsError::FirstMemberMustBeOwner => AdminError::NewWorkspaceNeedsOwner {
                workspace: workspace.to_owned(),
            },
            AccountsError::AlreadyMember => AdminError::AlreadyMember {
                email: self.email.to_string(),
                workspace: workspace.to_owned(),
            },
            other => other.into(),
        }
    }
}

/// The first line of `input` without its line ending (`\n` or `\r\n`); every
/// other character counts, as in the portal's forms.
fn read_password(input: &mut dyn BufRead) -> Result<Zeroizing<String>, AdminError> {
    let mut line = Zeroizing::new(String::new());
    input.read_line(&mut line).map_err(AdminError::Stdin)?;
    let without_ending = line
        .strip_suffix('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .map_or(line.len(), str::len);
    line.truncate(without_ending);
    Ok(line)
}

/// A random password that meets the policy. A random string very rarely
/// contains the email's local part or the workspace name (which the policy
/// refuses); then another is drawn.
fn generate_password(email: &Email, workspace: &WorkspaceName) -> NewPassword {
    let mut rng = rand::thread_rng();
    loop {
        let candidate: Zeroizing<String> = Zeroizing::new(
            (0..GENERATED_LEN)
                .map(|_| char::from(GENERATED_ALPHABET[rng.gen_range(0..GENERATED_ALPHABET.len())]))
                .collect(),
        );
        if let Ok(password) = NewPassword::parse(&candidate, email, Some(workspace)) {
            return password;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(workspace: &str, email: &str, role: &str, name: Option<&str>) -> OperatorCreateArgs {
        OperatorCreateArgs {
            workspace: workspace.into(),
            email: email.into(),
            role: role.into(),
            name: name.map(Into::into),
            password_stdin: false,
        }
    }

    #[test]
    fn parsing_names_the_flag_of_a_bad_value_and_input_errors_exit_2() {
        let cases = [
            (args("Acme", "ada", "owner", None), "--email: Email must"),
            (args(" ", "ada@example.com", "owner", None), "--workspace: "),
            (
                args("Acme", "ada@example.com", "boss", None),
                "--role: Role must be owner, admin or viewer.",
            ),
            (
                args("Acme", "ada@example.com", "owner", Some("a\tb")),
                "--name: ",
            ),
        ];
        for (args, expected) in cases {
            let e = OperatorCreate::parse(&args).unwrap_err();
            assert!(e.to_string().starts_with(expected), "{e}");
            assert_eq!(e.exit_code(), 2);
        }
        assert_eq!(AdminError::SetupComplete.exit_code(), 1);
    }

    #[test]
    fn the_display_name_defaults_to_the_start_of_the_email() {
        let parsed =
            OperatorCreate::parse(&args("Acme", " Ada.L@Example.com", "ADMIN", None)).unwrap();
        assert_eq!(parsed.display_name.as_str(), "ada.l");
        assert_eq!(parsed.role, Role::Admin);
        let long = format!("{}@example.com", "a".repeat(100));
        let parsed = OperatorCreate::parse(&args("Acme", &long, "owner", None)).unwrap();
        assert_eq!(parsed.display_name.as_str().chars().count(), NAME_MAX);
    }

    #[test]
    fn the_password_is_the_first_line_without_its_ending() {
        let read = |text: &str| read_password(&mut text.as_bytes()).unwrap().to_string();
        assert_eq!(read("  secret pass \nsecond line\n"), "  secret pass ");
        assert_eq!(read("secret\r\n"), "secret");
        assert_eq!(read("no newline"), "no newline");
        assert_eq!(read(""), "");
    }

    #[test]
    fn generated_passwords_are_long_unambiguous_and_differ() {
        let email = Email::parse("abc@example.com").unwrap();
        let workspace = WorkspaceName::parse("xyz").unwrap();
        let a = generate_password(&email, &workspace);
        let b = generate_password(&email, &workspace);
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.expose().chars().count(), GENERATED_LEN);
        assert!(a.expose().bytes().all(|c| GENERATED_ALPHABET.contains(&c)));
        for look_alike in ['0', 'O', '1', 'l', 'I'] {
            assert!(!GENERATED_ALPHABET.contains(&(look_alike as u8)));
        }
    }
}
