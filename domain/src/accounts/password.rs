//! Operator passwords: the policy a new one must meet, and argon2id hashing.
//!
//! Hashing and verification are deliberately slow, so they run on threads of
//! their own rather than on the async runtime's workers, and deliberately
//! memory-hard (19 MiB each), so only a few run at once: a flood of
//! unauthenticated sign-ins must not turn into gigabytes of memory.

use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use argon2::password_hash::{PasswordHasher as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;
use zeroize::Zeroizing;

use super::email::Email;
use super::input::{Field, InvalidInput};
use super::names::WorkspaceName;

pub const PASSWORD_MIN: usize = 12;
pub const PASSWORD_MAX: usize = 1024;

/// Email local parts and workspace names shorter than this are not looked for
/// inside passwords: "a@example.com" must still be able to use the letter a.
const CONTAINED_MIN: usize = 3;

/// Whether `folded_password` contains `part`, when `part` is long enough to matter.
fn contains_part(folded_password: &str, part: &str) -> bool {
    part.chars().count() >= CONTAINED_MIN && folded_password.contains(part)
}

/// A password that met the policy. Held in memory only: redacted in `Debug`,
/// wiped on drop, never `Serialize`.
pub struct NewPassword(Zeroizing<String>);

impl NewPassword {
    /// Checks a chosen password against the policy. `workspace` is the
    /// workspace being created or joined, when there is one.
    ///
    /// Passwords are not trimmed: every character typed counts.
    pub fn parse(
        input: &str,
        email: &Email,
        workspace: Option<&WorkspaceName>,
    ) -> Result<Self, InvalidInput> {
        if input.is_empty() {
            return Err(InvalidInput::Required {
                field: Field::Password,
            });
        }
        let actual = input.chars().count();
        if actual < PASSWORD_MIN {
            return Err(InvalidInput::PasswordTooShort {
                min: PASSWORD_MIN,
                actual,
            });
        }
        if actual > PASSWORD_MAX {
            return Err(InvalidInput::TooLong {
                field: Field::Password,
                max: PASSWORD_MAX,
                actual,
            });
        }
        let mut chars = input.chars();
        let first = chars.next();
        if chars.all(|c| Some(c) == first) {
            return Err(InvalidInput::PasswordRepeated);
        }
        let folded = Zeroizing::new(input.to_lowercase());
        if contains_part(&folded, email.local_part()) {
            return Err(InvalidInput::PasswordContainsEmail);
        }
        if let Some(workspace) = workspace
            && contains_part(&folded, &workspace.folded())
        {
            return Err(InvalidInput::PasswordContainsWorkspaceName);
        }
        Ok(Self(Zeroizing::new(input.to_owned())))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(redacted)")
    }
}

/// A stored argon2id PHC string. Not `Serialize` on purpose: a hash has no
/// business in a page, a JSON body or a log line, and `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// The PHC string, for the repository to store.
    pub fn as_phc(&self) -> &str {
        &self.0
    }

    /// Rebuilds a hash read back from storage.
    pub fn from_stored(phc: String) -> Self {
        Self(phc)
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(redacted)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HashingError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("the hashing task failed: {0}")]
    Task(String),
    /// Every hashing slot is taken and the queue is full: try again shortly.
    #[error("pinbridge is busy checking other passwords; try again in a moment")]
    Busy,
}

/// Bounds the hashing under way: at most `slots` at once, each on one of
/// `slots` threads of its own, and at most `queue` more waiting for one. Past
/// that, callers are turned away at once rather than queued without limit.
///
/// Own threads rather than tokio's blocking pool: on many threads, freed
/// 19 MiB blocks stay resident in the allocator's per-thread arenas. Peak
/// memory growth with 400 parallel sign-ins and two slots
/// (`startup::a_sign_in_flood_from_many_addresses_keeps_memory_bounded`):
/// 462 MiB on the blocking pool, 213 MiB on two own threads allocating afresh
/// under glibc's default thresholds, 41 MiB on two own threads keeping their
/// memory (which an idle server then held for good: 19 MiB per core). The
/// server binary now fixes glibc's mmap threshold below argon2's 19 MiB
/// (`server::memory`), so each verification's memory is mapped afresh and
/// returned when it ends: the flood's peak stays that of the slots, and an
/// idle server holds none of it.
struct Gate {
    slots: tokio::sync::Semaphore,
    workers: std::sync::Mutex<std::sync::mpsc::Sender<Job>>,
    /// Holding a slot or waiting for one.
    admitted: AtomicUsize,
    max_admitted: usize,
    /// Argon2 computations finished or under way, since start.
    runs: AtomicU64,
    /// Running now, and the most that ever ran at once.
    running: AtomicUsize,
    peak: AtomicUsize,
}

type Job = Box<dyn FnOnce() + Send>;

/// One admitted hashing: frees its place when dropped.
struct Admitted<'a>(&'a Gate);

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        self.0.admitted.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Gate {
    fn new(slots: usize, queue: usize) -> Self {
        let slots = slots.max(1);
        let (send, receive) = std::sync::mpsc::channel::<Job>();
        let receive = Arc::new(std::sync::Mutex::new(receive));
        for i in 0..slots {
            let receive = receive.clone();
            // A thread that cannot start leaves the others to do the work.
            let _ = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    loop {
                        // Ends when the gate (the sender) is dropped.
                        let job = match receive.lock() {
                            Ok(receive) => receive.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
        }
        Self {
            slots: tokio::sync::Semaphore::new(slots),
            workers: std::sync::Mutex::new(send),
            admitted: AtomicUsize::new(0),
            max_admitted: slots + queue,
            runs: AtomicU64::new(0),
            running: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        }
    }

    /// Runs `work` on a hashing thread once a slot is free, or refuses with
    /// `Busy` when the queue is full.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashingError> {
        let before = self.admitted.fetch_add(1, Ordering::AcqRel);
        let admitted = Admitted(self);
        if before >= self.max_admitted {
            return Err(HashingError::Busy);
        }
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|e| HashingError::Task(e.to_string()))?;
        self.runs.fetch_add(1, Ordering::Relaxed);
        let now = self.running.fetch_add(1, Ordering::AcqRel) + 1;
        self.peak.fetch_max(now, Ordering::AcqRel);
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            // A panic drops `done`, which the caller sees as a failed task.
            if let Ok(value) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)) {
                let _ = done.send(value);
            }
        });
        let sent = self
            .workers
            .lock()
            .map_err(|_| HashingError::Task("the hashing threads are gone".into()))
            .and_then(|workers| {
                workers
                    .send(job)
                    .map_err(|_| HashingError::Task("the hashing threads are gone".into()))
            });
        let done = match sent {
            Ok(()) => result
                .await
                .map_err(|_| HashingError::Task("hashing stopped".into())),
            Err(e) => Err(e),
        };
        self.running.fetch_sub(1, Ordering::AcqRel);
        drop(admitted);
        done
    }
}

/// Hashes and verifies passwords with one set of argon2id parameters.
///
/// [`Hasher::default`] uses the argon2 crate's defaults (19 MiB, 2 passes, 1 lane,
/// OWASP's recommendation). [`Hasher::fast_insecure`] exists for tests: in an
/// unoptimised test build the defaults cost about a second per hash, which adds
/// up across a suite; the cheaper parameters exercise exactly the same code.
/// Verification always uses the parameters recorded in the stored PHC string.
///
/// At most one hashing per core runs at once, and at most four per core wait;
/// further callers get [`HashingError::Busy`] (the portal answers 503 with
/// `Retry-After`).
#[derive(Clone)]
pub struct Hasher {
    params: Params,
    /// A hash of a random password with the same parameters, verified against
    /// when the email is unknown so that answer takes as long as a wrong password.
    dummy: Arc<OnceLock<PasswordHash>>,
    gate: Arc<Gate>,
}

impl Default for Hasher {
    fn default() -> Self {
        Self::with_params(Params::default())
    }
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hasher")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl Hasher {
    /// Minimal-cost parameters, for tests only: never for stored passwords.
    pub fn fast_insecure() -> Self {
        Self::with_params(Params::new(8, 1, 1, None).expect("valid minimal argon2 params"))
    }

    fn with_params(params: Params) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get().min(8));
        Self {
            params,
            dummy: Arc::new(OnceLock::new()),
            gate: Arc::new(Gate::new(cores, 4 * cores)),
        }
    }

    /// The same hasher with `slots` hashings at once and `queue` more waiting.
    pub fn with_limits(self, slots: usize, queue: usize) -> Self {
        Self {
            gate: Arc::new(Gate::new(slots, queue)),
            ..self
        }
    }

    /// How many argon2 computations this hasher has started (every hash and
    /// verification, the dummy's included): for tests and metrics.
    pub fn runs(&self) -> u64 {
        self.gate.runs.load(Ordering::Relaxed)
    }

    /// The most argon2 computations that ever ran at once on this hasher.
    pub fn peak_concurrency(&self) -> usize {
        self.gate.peak.load(Ordering::Acquire)
    }

    fn argon2(params: Params) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    /// Hashes a password (off the async runtime) with a fresh random salt.
    pub async fn hash(&self, password: &NewPassword) -> Result<PasswordHash, HashingError> {
        let params = self.params.clone();
        let plain = Zeroizing::new(password.expose().to_owned());
        self.gate
            .run(move || hash_blocking(params, plain.as_bytes()))
            .await?
    }

    /// Whether `password` matches `hash` (off the async runtime). A malformed
    /// stored hash counts as a mismatch.
    pub async fn verify(&self, password: &str, hash: &PasswordHash) -> Result<bool, HashingError> {
        let plain = Zeroizing::new(password.to_owned());
        let phc = hash.0.clone();
        self.gate
            .run(move || verify_blocking(plain.as_bytes(), &phc))
            .await
    }

    /// Verifies a sign-in attempt: against the operator's hash when the email is
    /// known, otherwise against a dummy hash of the same cost, so an unknown email
    /// and a wrong password take similar time. Always `false` when `hash` is `None`.
    pub async fn verify_or_dummy(
        &self,
        password: &str,
        hash: Option<&PasswordHash>,
    ) -> Result<bool, HashingError> {
        match hash {
            Some(hash) => self.verify(password, hash).await,
            None => {
                let dummy = self.dummy_hash().await?;
                self.verify(password, &dummy).await?;
                Ok(false)
            }
        }
    }

    /// Computes the dummy hash now (say at start-up), so the first sign-in with
    /// an unknown email does not pay for it and stand out by taking longer.
    pub async fn warm_up(&self) -> Result<(), HashingError> {
        self.dummy_hash().await.map(|_| ())
    }

    async fn dummy_hash(&self) -> Result<PasswordHash, HashingError> {
        if let Some(hash) = self.dummy.get() {
            return Ok(hash.clone());
        }
        let mut random = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut random);
        let params = self.params.clone();
        let hash = self
            .gate
            .run(move || hash_blocking(params, &random))
            .await??;
        Ok(self.dummy.get_or_init(|| hash).clone())
    }
}

fn hash_blocking(params: Params, password: &[u8]) -> Result<PasswordHash, HashingError> {
    let mut salt = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| HashingError::Hash(e.to_string()))?;
    let phc = Hasher::argon2(params)
        .hash_password(password, &salt)
        .map_err(|e| HashingError::Hash(e.to_string()))?;
    Ok(PasswordHash(phc.to_string()))
}

fn verify_blocking(password: &[u8], phc: &str) -> bool {
    use argon2::password_hash::Output;
    let Ok(parsed) = argon2::password_hash::PasswordHash::new(phc) else {
        return false;
    };
    // The algorithm, version and parameters come from the PHC string.
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let mut salt_bytes = [0u8; argon2::password_hash::Salt::MAX_LENGTH];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let mut computed = Zeroizing::new(vec![0u8; expected.len()]);
    let blocks = params.block_count();
    // Freed when this verification ends (see `Gate`).
    let mut memory = vec![argon2::Block::default(); blocks];
    let hashed = Argon2::new(algorithm, version, params).hash_password_into_with_memory(
        password,
        salt,
        &mut computed,
        &mut memory,
    );
    drop(memory);
    // `Output`'s equality is constant-time.
    hashed.is_ok() && Output::new(&computed).is_ok_and(|computed| computed == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> Email {
        Email::parse("ada.lovelace@example.com").unwrap()
    }

    #[test]
    fn policy_gives_a_specific_message_for_each_problem() {
        let ws = WorkspaceName::parse("Acme Corp").unwrap();
        let check = |p: &str| NewPassword::parse(p, &email(), Some(&ws)).map(|_| ());
        assert_eq!(
            check(""),
            Err(InvalidInput::Required {
                field: Field::Password
            })
        );
        assert_eq!(
            check("short pass!"),
            Err(InvalidInput::PasswordTooShort {
                min: 12,
                actual: 11
            })
        );
        assert!(matches!(
            check(&"ab".repeat(513)),
            Err(InvalidInput::TooLong {
                max: 1024,
                actual: 1026,
                ..
            })
        ));
        assert_eq!(check(&"z".repeat(20)), Err(InvalidInput::PasswordRepeated));
        assert_eq!(
            check("xx-ADA.LOVELACE-xx"),
            Err(InvalidInput::PasswordContainsEmail)
        );
        assert_eq!(
            check("i love acme corp!!"),
            Err(InvalidInput::PasswordContainsWorkspaceName)
        );
        assert!(check("correct horse battery").is_ok());
        assert!(
            check(&"ab".repeat(512)).is_ok(),
            "1024 characters is allowed"
        );
        // Names too short to matter are not looked for.
        let short = Email::parse("al@example.com").unwrap();
        let tiny_ws = WorkspaceName::parse("AB").unwrap();
        assert!(NewPassword::parse("totally alabaster", &short, Some(&tiny_ws)).is_ok());
        // Without a workspace, only the email is checked.
        assert!(NewPassword::parse("i love acme corp!!", &email(), None).is_ok());
        assert_eq!(
            InvalidInput::PasswordTooShort { min: 12, actual: 3 }.to_string(),
            "Password must be at least 12 characters (this one has 3)."
        );
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let p = NewPassword::parse("correct horse battery", &email(), None).unwrap();
        assert_eq!(format!("{p:?}"), "NewPassword(redacted)");
        let h = PasswordHash::from_stored("$argon2id$v=19$secret".into());
        assert_eq!(format!("{h:?}"), "PasswordHash(redacted)");
    }

    #[tokio::test]
    async fn hash_round_trip_and_wrong_password() {
        let hasher = Hasher::fast_insecure();
        let p = NewPassword::parse("correct horse battery", &email(), None).unwrap();
        let hash = hasher.hash(&p).await.unwrap();
        assert!(
            hash.as_phc().starts_with("$argon2id$v=19$"),
            "{}",
            hash.as_phc()
        );
        assert!(hasher.verify("correct horse battery", &hash).await.unwrap());
        assert!(!hasher.verify("correct horse batterY", &hash).await.unwrap());
        // Salted: the same password hashes differently each time.
        assert_ne!(hasher.hash(&p).await.unwrap(), hash);
        // Unknown operator: never verifies, whatever is typed.
        assert!(!hasher.verify_or_dummy("anything", None).await.unwrap());
        assert!(
            hasher
                .verify_or_dummy("correct horse battery", Some(&hash))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("x", &PasswordHash::from_stored("garbage".into()))
                .await
                .unwrap()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn hashing_is_bounded_and_the_overflow_is_turned_away() {
        // One slot and two waiting places admit three; with the slot held
        // here, of ten verifications at once three wait and seven are
        // refused at once, without running argon2.
        let hasher = Hasher::fast_insecure().with_limits(1, 2);
        let p = NewPassword::parse("correct horse battery", &email(), None).unwrap();
        let hash = hasher.hash(&p).await.unwrap();
        let runs_before = hasher.runs();
        let held = hasher.gate.slots.acquire().await.unwrap();
        let tries: Vec<_> = (0..10)
            .map(|_| {
                let (hasher, hash) = (hasher.clone(), hash.clone());
                tokio::spawn(async move { hasher.verify("wrong password!!", &hash).await })
            })
            .collect();
        // Wait until the admitted ones are queued behind the held slot.
        while hasher.gate.admitted.load(Ordering::Acquire) < 3 {
            tokio::task::yield_now().await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        drop(held);
        let mut busy = 0;
        let mut checked = 0;
        for t in tries {
            match t.await.unwrap() {
                Err(HashingError::Busy) => busy += 1,
                Ok(false) => checked += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!((checked, busy), (3, 7));
        assert_eq!(hasher.runs() - runs_before, 3, "refused ones ran nothing");
        assert_eq!(hasher.gate.admitted.load(Ordering::Acquire), 0);
        assert_eq!(hasher.peak_concurrency(), 1);
    }

    #[test]
    fn default_hasher_uses_the_crate_defaults() {
        let hasher = Hasher::default();
        assert_eq!(hasher.params.m_cost(), Params::DEFAULT_M_COST);
        assert_eq!(hasher.params.t_cost(), Params::DEFAULT_T_COST);
        assert_eq!(hasher.params.p_cost(), Params::DEFAULT_P_COST);
    }
}
