//! Six-digit join codes: drawn at random when a poll opens, unique among open polls (the database
//! enforces it), freed when the poll closes or is deleted.

use argon2::password_hash::rand_core::{OsRng, RngCore};

use crate::error::AppError;

/// A code anyone can type on a phone: six digits, leading zeros kept.
pub(crate) fn draw() -> String {
    // 2³² is not a multiple of 10⁶: drop the top sliver so every code is equally likely.
    const LIMIT: u32 = u32::MAX - u32::MAX % 1_000_000;
    loop {
        let n = OsRng.next_u32();
        if n < LIMIT {
            return format!("{:06}", n % 1_000_000);
        }
    }
}

/// `code` if it is six digits.
///
/// # Errors
/// Anything else (400 naming `code`).
pub(crate) fn parse(code: &str) -> Result<&str, AppError> {
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(code)
    } else {
        Err(AppError::invalid_parameter("code", "a join code is six digits"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_vary() {
        let codes: std::collections::HashSet<String> = (0..200).map(|_| draw()).collect();
        assert!(codes.iter().all(|c| parse(c).is_ok()));
        assert!(codes.len() > 190, "{} distinct of 200", codes.len());
        for bad in ["12345", "1234567", "12a456", "", " 12345", "１２３４５６"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
