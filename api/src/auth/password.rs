//! argon2id password hashing (PHC strings). Both directions are CPU-heavy on purpose: callers run
//! them on the blocking pool, never on the async runtime.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};

/// A well-formed hash of no password anyone has: verifying against it when the email is unknown
/// costs the same time as a real check, so response time does not tell which emails exist.
const DECOY_HASH: &str =
    "$argon2id$v=19$m=65536,t=3,p=4$Pm8hy/ujt2d5Ed80iuJLyg$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// # Errors
/// Only if argon2 itself fails (it does not for valid parameters).
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// Whether `password` matches the PHC string `hash` (None: check against the decoy, always false).
pub fn verify_password(password: &str, hash: Option<&str>) -> bool {
    let matches = |phc: &str| {
        PasswordHash::new(phc)
            .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    };
    match hash {
        Some(phc) => matches(phc),
        None => {
            let _ = matches(DECOY_HASH);
            false
        }
    }
}

/// Runs a hashing closure on the blocking pool.
///
/// # Errors
/// The blocking task panicked.
pub async fn off_runtime<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, crate::AppError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| crate::AppError::Internal(format!("password task: {e}")))
}

#[cfg(test)]
mod tests {
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
}
