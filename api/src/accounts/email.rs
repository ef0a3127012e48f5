//! Staff e-mail addresses: parsed strictly, kept as typed, compared without regard to case.

/// An email address as accounts use it: trimmed; a local part of letters, digits and the
/// characters RFC 5322 allows unquoted; `@`; a domain of dot-separated labels (letters, digits,
/// hyphens), at least two. Kept as typed; compared without regard to case. Quoted local parts and
/// other exotica are refused: staff addresses do not need them, and markup cannot get in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Email(String);

impl Email {
    /// # Errors
    /// Not an email address.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let email = text.trim();
        let local_ok = |local: &str| {
            !local.is_empty()
                && local.len() <= 64
                && local.chars().all(|c| c.is_ascii_alphanumeric() || "._%+-!#$&'*/=?^`{|}~".contains(c))
        };
        let label_ok = |label: &str| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        let valid = email.len() <= 254
            && email.split_once('@').is_some_and(|(local, domain)| {
                local_ok(local) && domain.split('.').count() >= 2 && domain.split('.').all(label_ok)
            });
        if valid { Ok(Self(email.to_owned())) } else { Err(format!("'{text}' is not an email address")) }
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used for lookups and throttling.
    pub(crate) fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_checked() {
        assert_eq!(Email::parse(" Ann@Example.org ").unwrap().as_str(), "Ann@Example.org");
        assert_eq!(Email::parse("Ann@Example.org").unwrap().normalized(), "ann@example.org");
        for bad in [
            "",
            "ann",
            "@example.org",
            "ann@",
            "a b@example.org",
            "a@b@c",
            "\"><svg onload=x>@x",
            "a<b@example.org",
            "ann@localhost",
            "ann@-x.org",
            "ann\u{0}@example.org",
            "ann@exa mple.org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
