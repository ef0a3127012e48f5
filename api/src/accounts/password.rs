//! argon2id password hashing (PHC strings). Both directions are CPU- and memory-heavy on purpose:
//! they run on the blocking pool, never on the async runtime, and at most one per core at a time,
//! so a flood of logins queues instead of multiplying argon2's memory.

use std::sync::OnceLock;
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use tokio::sync::Semaphore;

use crate::error::AppError;

/// How long a password check waits for its turn before the api answers 503.
const QUEUE_WAIT: Duration = Duration::from_secs(5);

/// # Errors
/// Only if argon2 itself fails (it does not for valid parameters).
pub(crate) fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
}

/// A hash of a random password with the parameters accounts are hashed with now: verifying against
/// it when the email is unknown costs what a real check costs, so response time does not tell
/// which emails exist.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        let mut secret = [0u8; 16];
        OsRng.fill_bytes(&mut secret);
        hash_password(&hex::encode(secret)).unwrap_or_default()
    })
}

/// Whether `password` matches the PHC string `hash` (None: check against the decoy, always false).
pub(crate) fn verify_password(password: &str, hash: Option<&str>) -> bool {
    let matches = |phc: &str| {
        PasswordHash::new(phc)
            .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    };
    match hash {
        Some(phc) => matches(phc),
        None => {
            let _ = matches(decoy_hash());
            false
        }
    }
}

/// Whether `hash` was made with other parameters than new hashes are (e.g. a seed account's
/// 64 MiB hash): it is replaced at the next successful login.
pub(crate) fn needs_rehash(hash: &str) -> bool {
    let current = PasswordHash::new(decoy_hash()).map(|h| h.params.to_string()).unwrap_or_default();
    PasswordHash::new(hash).map(|h| h.params.to_string() != current).unwrap_or(true)
}

fn turns() -> &'static Semaphore {
    static TURNS: OnceLock<Semaphore> = OnceLock::new();
    TURNS.get_or_init(|| Semaphore::new(std::thread::available_parallelism().map_or(2, std::num::NonZero::get)))
}

/// Runs a hashing closure on the blocking pool, when one of the per-core turns is free.
///
/// # Errors
/// No turn within `QUEUE_WAIT` (503), or the blocking task panicked.
pub(crate) async fn off_runtime<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
    let turn = tokio::time::timeout(QUEUE_WAIT, turns().acquire())
        .await
        .map_err(|_| AppError::Unavailable("too many logins at once; try again".to_owned()))?
        .map_err(|e| AppError::internal_caused("waiting for a password turn", e))?;
    let result =
        tokio::task::spawn_blocking(work).await.map_err(|e| AppError::internal_caused("checking a password", e));
    drop(turn);
    result
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", Some(&hash)));
        assert!(!verify_password("wrong horse", Some(&hash)));
        assert!(!verify_password("anything", None));
        assert!(!verify_password("anything", Some("not a phc string")));
    }

    #[test]
    fn the_decoy_costs_what_a_real_account_costs() {
        let real = hash_password("correct horse").unwrap();
        let params = |phc: &str| PasswordHash::new(phc).unwrap().params.to_string();
        assert_eq!(params(decoy_hash()), params(&real));
        assert!(!needs_rehash(&real));
        let seed = "$argon2id$v=19$m=65536,t=3,p=4$Pm8hy/ujt2d5Ed80iuJLyg$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assert!(needs_rehash(seed));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn no_more_checks_run_at_once_than_there_are_turns() {
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let checks = (0..24).map(|_| {
            let (running, most) = (running.clone(), most.clone());
            off_runtime(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(20));
                running.fetch_sub(1, Ordering::SeqCst);
            })
        });
        for result in futures_util::future::join_all(checks).await {
            result.unwrap();
        }
        assert!(most.load(Ordering::SeqCst) <= std::thread::available_parallelism().unwrap().get());
    }
}
