//! CSRF protection for cookie-authenticated state changes: a browser states where a request comes
//! from (`Sec-Fetch-Site`, `Origin`); a POST/PUT/PATCH/DELETE from another site is refused. Clients
//! that send neither header (curl, scripts) are not browsers and carry no ambient cookie risk.

use axum::extract::Request;
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

/// `scheme` is how browsers reach this server: `https` behind TLS (`COOKIE_SECURE=true`), else
/// `http`. An `Origin` must be exactly `<scheme>://<Host>`: another scheme is another origin.
fn cross_site(headers: &HeaderMap, scheme: &str) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let Some((origin_scheme, origin_host)) = origin.split_once("://") else { return true };
    !(origin_scheme.eq_ignore_ascii_case(scheme) && !host.is_empty() && origin_host.eq_ignore_ascii_case(host))
}

/// Where a slide deck drives a poll with a presenter link: those routes read no cookie (the link
/// comes in the `Authorization` header, which another site's page cannot make a browser send on
/// its own), so a request from another site carries no ambient authority there.
pub(crate) const PRESENTER_PREFIX: &str = "/api/presenter/";

/// The refusal of a state-changing request from another site (`None`: it may go on); `secure`
/// as `COOKIE_SECURE`.
pub(super) fn refusal(secure: bool, request: &Request) -> Option<Response> {
    if request.uri().path().starts_with(PRESENTER_PREFIX) {
        return None;
    }
    let changes_state = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    (changes_state && cross_site(request.headers(), if secure { "https" } else { "http" }))
        .then(|| AppError::Forbidden("cross-site request refused".to_owned()).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (header::HeaderName::from_static(k), v.parse().unwrap())).collect()
    }

    #[test]
    fn same_origin_and_headerless_requests_pass() {
        assert!(!cross_site(&headers(&[("host", "localhost:8080"), ("origin", "http://localhost:8080")]), "http"));
        assert!(!cross_site(&headers(&[("host", "blw.example"), ("origin", "https://blw.example")]), "https"));
        assert!(!cross_site(&headers(&[("sec-fetch-site", "same-origin")]), "http"));
        assert!(!cross_site(&headers(&[("host", "localhost:8080")]), "http"));
    }

    #[test]
    fn other_sites_are_refused() {
        assert!(cross_site(&headers(&[("host", "localhost:8080"), ("origin", "https://evil.example")]), "http"));
        assert!(cross_site(&headers(&[("sec-fetch-site", "cross-site")]), "http"));
        assert!(cross_site(&headers(&[("host", "localhost:8080"), ("origin", "null")]), "http"));
    }

    #[test]
    fn the_same_host_under_another_scheme_is_another_origin() {
        for origin in ["https://localhost:8080", "evil://localhost:8080", "localhost:8080"] {
            let mut h = headers(&[("host", "localhost:8080")]);
            h.insert(header::ORIGIN, origin.parse().unwrap());
            assert!(cross_site(&h, "http"), "{origin}");
        }
        assert!(cross_site(&headers(&[("host", "blw.example"), ("origin", "http://blw.example")]), "https"));
    }
}
