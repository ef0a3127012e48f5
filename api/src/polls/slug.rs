//! Poll slugs: the readable, unguessable part of a poll's public URL.

use argon2::password_hash::rand_core::{OsRng, RngCore};

/// A URL-safe slug from the title plus a random suffix, e.g. `democracy-in-the-us-3f9a1c`.
pub fn new_slug(title: &str) -> String {
    let mut base = String::new();
    for c in title.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            base.push(c);
        } else if !base.ends_with('-') && !base.is_empty() {
            base.push('-');
        }
    }
    // Cut to 40 characters, which may end on a dash again.
    let base: String = base.chars().take(40).collect();
    let base = base.trim_end_matches('-');
    let base = if base.len() < 3 { "poll" } else { base };
    let mut suffix = [0u8; 3];
    OsRng.fill_bytes(&mut suffix);
    format!("{base}-{}", hex::encode(suffix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_readable_and_differ() {
        let a = new_slug("Democracy in the US?");
        assert!(a.starts_with("democracy-in-the-us-"), "{a}");
        assert_eq!(a.len(), "democracy-in-the-us-".len() + 6);
        assert_ne!(a, new_slug("Democracy in the US?"));
        assert!(new_slug("!!").starts_with("poll-"));
    }
}
