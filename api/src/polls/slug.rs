//! Poll slugs: the readable, unguessable part of a poll's public URL — the title, then 96 random
//! bits (24 hex digits): trying addresses at any rate finds nothing (2⁹⁶ suffixes per title).

use argon2::password_hash::rand_core::{OsRng, RngCore};

/// A URL-safe slug from the title plus a random suffix, e.g.
/// `democracy-in-the-us-3f9a1c0b7d2e4a6f8c1d3e5b`.
pub(super) fn new_slug(title: &str) -> String {
    let mut base = String::new();
    for c in title.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            base.push(c);
        } else if !base.ends_with('-') && !base.is_empty() {
            base.push('-');
        }
    }
    // Cut to 39 characters (which may end on a dash again): with the dash and the suffix, 64.
    let base: String = base.chars().take(39).collect();
    let base = base.trim_end_matches('-');
    let base = if base.len() < 3 { "poll" } else { base };
    let mut suffix = [0u8; 12];
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
        assert_eq!(a.len(), "democracy-in-the-us-".len() + 24);
        let long = new_slug(&"word ".repeat(30));
        assert!(long.len() <= 64, "{long}");
        assert_ne!(a, new_slug("Democracy in the US?"));
        assert!(new_slug("!!").starts_with("poll-"));
    }
}
