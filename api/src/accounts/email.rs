/// An email address as accounts use it: trimmed, one `@` with text on both sides, no spaces.
/// Kept as typed; compared without regard to case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// # Errors
    /// Not an email address.
    pub fn parse(text: &str) -> Result<Self, String> {
        let email = text.trim();
        let valid = email.len() <= 254
            && !email.chars().any(char::is_whitespace)
            && email
                .split_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty() && !domain.contains('@'));
        if valid { Ok(Self(email.to_owned())) } else { Err(format!("'{text}' is not an email address")) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used for lookups and throttling.
    pub fn normalized(&self) -> String {
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
        for bad in ["", "ann", "@example.org", "ann@", "a b@example.org", "a@b@c"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
