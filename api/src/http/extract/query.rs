//! Query strings parsed by hand: `wave` may repeat (`?wave=3&wave=8`), and an unknown or malformed
//! parameter must come back as a 400 that names it.

use crate::error::AppError;

pub(crate) struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    /// Parses `raw`; any parameter not in `allowed` is an error.
    ///
    /// # Errors
    /// An unknown parameter.
    pub(crate) fn parse(raw: Option<&str>, allowed: &[&str]) -> Result<Self, AppError> {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if let Some((name, _)) = pairs.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
            return Err(AppError::invalid_parameter(
                name.clone(),
                format!("unknown parameter '{name}' (allowed: {})", allowed.join(", ")),
            ));
        }
        Ok(Self(pairs))
    }

    /// Every value of `name`, parsed.
    ///
    /// # Errors
    /// A value that does not parse.
    pub(crate) fn all<T: std::str::FromStr>(&self, name: &str, what: &str) -> Result<Vec<T>, AppError> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| {
                v.trim()
                    .parse()
                    .map_err(|_| AppError::invalid_parameter(name, format!("{name} must be {what}, not '{v}'")))
            })
            .collect()
    }

    /// The value of `name` if given once.
    ///
    /// # Errors
    /// Given more than once.
    pub(crate) fn one(&self, name: &str) -> Result<Option<&str>, AppError> {
        let mut values = self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str());
        let first = values.next();
        if values.next().is_some() {
            return Err(AppError::invalid_parameter(name, format!("{name} may be given only once")));
        }
        Ok(first)
    }
}
