//! Password hashing (argon2id) and the password policy.
//!
//! Parameters follow the OWASP Password Storage Cheat Sheet's first argon2id option:
//! m = 19 MiB (19,456 KiB), t = 2 iterations, p = 1 lane, 16-byte random salt, 32-byte output.
//! The PHC string stores the parameters with each hash, so they can be raised later and old
//! hashes still verify.
use std::cell::RefCell;

use argon2::{
    Algorithm, Argon2, Block, Params, Version,
    password_hash::{Output, PasswordHash, PasswordHasher, SaltString, rand_core::OsRng},
};

use crate::error::{ApiError, ApiResult};

pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Passwords too common to allow whatever their length (the most frequent ones in breach lists
/// that reach 12 characters, plus the obvious local ones).
const COMMON_PASSWORDS: &[&str] = &[
    "123456789012",
    "1234567890123",
    "password1234",
    "password12345",
    "passwordpassword",
    "qwertyuiop12",
    "qwertyuiopasdf",
    "administrator",
    "changeme1234",
    "letmein12345",
    "iloveyou1234",
    "welcome12345",
    "ppaos-password",
    "thailand1234",
];

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, Some(32)).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Checks a new password against the policy; `field` names the input field in the error.
pub fn check_policy(password: &str, login: &str, field: &str) -> ApiResult<()> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(ApiError::bad_input(
            field,
            format!("the password must have at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(ApiError::bad_input(
            field,
            format!("the password must have at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    let lower = password.to_lowercase();
    if COMMON_PASSWORDS.contains(&lower.as_str()) {
        return Err(ApiError::bad_input(field, "this password is too common"));
    }
    let login = login.trim().to_lowercase();
    if !login.is_empty() && lower.contains(&login) {
        return Err(ApiError::bad_input(
            field,
            "the password must not contain the login",
        ));
    }
    let distinct: std::collections::HashSet<char> = password.chars().collect();
    if distinct.len() < 5 {
        return Err(ApiError::bad_input(
            field,
            "the password needs more variety (at least 5 different characters)",
        ));
    }
    Ok(())
}

/// Hashes a password; CPU-heavy, so call it through `spawn_blocking` on a server thread.
pub fn hash(password: &str) -> ApiResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(ApiError::internal)
}

thread_local! {
    /// argon2's working memory (19 MiB at the current parameters), kept by each thread that
    /// verifies (the two argon2 threads) and reused by every login: allocated and freed per
    /// login, each block stayed resident in the allocator, and a login flood grew the process
    /// by 19 MiB per checked password.
    static BLOCKS: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Verifies a password against a stored PHC string, in constant time. Any malformed or
/// unsupported hash is a mismatch.
pub fn verify(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(expected), Some(salt)) = (parsed.hash, parsed.salt) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let blocks = params.block_count();
    let mut out = vec![0u8; expected.len()];
    let computed = BLOCKS.with(|cell| {
        let mut memory = cell.borrow_mut();
        if memory.len() < blocks {
            memory.resize(blocks, Block::new());
        }
        Argon2::new(algorithm, version, params).hash_password_into_with_memory(
            password.as_bytes(),
            salt,
            &mut out,
            &mut memory[..blocks],
        )
    });
    // `Output`'s equality is constant-time.
    computed.is_ok() && Output::new(&out).is_ok_and(|out| out == expected)
}

/// A hash of a random password, verified against when a login does not exist, so that an
/// unknown login costs the same time as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("a-dummy-password-nobody-has").expect("hashing works"))
}

/// Argon2 runs on its own two threads, fed by a semaphore, never on the blocking pool. Each
/// computation takes 19 MiB and a core: spread over the blocking pool (up to 512 threads, each
/// with its own allocator arena that keeps what was freed), a few dozen logins grew the process
/// by hundreds of MiB; on two long-lived threads the same memory is reused by every login.
const ARGON2_THREADS: usize = 2;
static ARGON2_PERMITS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(ARGON2_THREADS);

type Job = Box<dyn FnOnce() + Send>;

fn argon2_pool() -> &'static std::sync::Mutex<std::sync::mpsc::Sender<Job>> {
    static POOL: std::sync::OnceLock<std::sync::Mutex<std::sync::mpsc::Sender<Job>>> =
        std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        for n in 0..ARGON2_THREADS {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || {
                    loop {
                        let job = match rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })
                .expect("the argon2 threads start");
        }
        std::sync::Mutex::new(tx)
    })
}

/// Runs `work` on an argon2 thread once a permit is free; None if the pool is gone.
async fn on_argon2_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let _permit = ARGON2_PERMITS.acquire().await.ok()?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(work());
    });
    argon2_pool().lock().ok()?.send(job).ok()?;
    rx.await.ok()
}

pub async fn hash_blocking(password: String) -> ApiResult<String> {
    on_argon2_thread(move || hash(&password))
        .await
        .unwrap_or_else(|| Err(ApiError::internal("the password hashing threads stopped")))
}

pub async fn verify_blocking(password: String, stored: String) -> bool {
    on_argon2_thread(move || verify(&password, &stored))
        .await
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_own_password() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterY", &h));
        assert!(!verify("anything", "not-a-phc-string"));
    }

    #[test]
    fn the_policy_rejects_short_common_and_login_containing_passwords() {
        assert!(check_policy("short", "somchai", "password").is_err());
        assert!(check_policy("password1234", "somchai", "password").is_err());
        assert!(check_policy("xx-somchai-xx-99", "somchai", "password").is_err());
        assert!(check_policy("aaaaaaaaaaaaaaaa", "somchai", "password").is_err());
        assert!(check_policy("mango sticky rice 42", "somchai", "password").is_ok());
    }
}
