//! CSRF protection for cookie-authenticated state changes: a browser states where a request comes
//! from (`Sec-Fetch-Site`, `Origin`); a POST/PUT/PATCH/DELETE from another site is refused. Clients
//! that send neither header (curl, scripts) are not browsers and carry no ambient cookie risk.

use axum::extract::Request;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppError;

fn cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    origin == "null" || !origin_host.eq_ignore_ascii_case(host)
}

pub async fn reject_cross_site(request: Request, next: Next) -> Response {
    let changes_state = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if changes_state && cross_site(request.headers()) {
        return AppError::Forbidden("cross-site request refused".to_owned()).into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (header::HeaderName::from_static(k), v.parse().unwrap())).collect()
    }

    #[test]
    fn same_origin_and_headerless_requests_pass() {
        assert!(!cross_site(&headers(&[("host", "localhost:8080"), ("origin", "http://localhost:8080")])));
        assert!(!cross_site(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(!cross_site(&headers(&[("host", "localhost:8080")])));
    }

    #[test]
    fn other_sites_are_refused() {
        assert!(cross_site(&headers(&[("host", "localhost:8080"), ("origin", "https://evil.example")])));
        assert!(cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(cross_site(&headers(&[("host", "localhost:8080"), ("origin", "null")])));
    }
}
