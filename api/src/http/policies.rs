//! What every answer gets, in one middleware: the cross-site check, the time limit, the JSON error
//! shape for a library's bodiless error, and the security headers (the embed set under `/embed/`).

use axum::http::{HeaderName, HeaderValue, header};

use crate::error::AppError;
use crate::http::site::EMBED_PREFIX;

/// The pages' Content-Security-Policy: only their own scripts, styles and data (Plot writes
/// inline styles; PNG export draws a blob: image).
macro_rules! page_policy {
    () => {
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; \
         connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'"
    };
}

/// Sent with every response: nothing may frame the app's pages…
const SECURITY_HEADERS: [(&str, &str); 4] = [
    ("content-security-policy", concat!(page_policy!(), "; frame-ancestors 'none'")),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("x-frame-options", "DENY"),
];

/// …except the embeddable charts, which any site may frame (they show public data only and
/// send no cookies); otherwise the same policy.
const EMBED_HEADERS: [(&str, &str); 3] = [
    ("content-security-policy", concat!(page_policy!(), "; frame-ancestors *")),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
];

/// What every answer gets, in one middleware (each middleware is a service cloned and a future
/// boxed per request): the cross-site check (CORS instead for a deck's presenter routes), the
/// time limit, the JSON error shape for a library's bodiless error, and the security headers.
pub(crate) async fn response_policies(
    secure: bool,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let uri = request.uri().clone();
    let response = match super::csrf::refusal(secure, &request) {
        Some(refused) => refused,
        None if super::cors::is_presenter_route(&request) => {
            within_time_limit(super::cors::for_presenter_route(request, next)).await
        }
        None => within_time_limit(next.run(request)).await,
    };
    let mut response = as_json_error(&uri, response);
    add_security_headers(uri.path().starts_with(EMBED_PREFIX), &mut response);
    response
}

/// Adds the security headers a response has not set itself: the embed set under `/embed/`.
fn add_security_headers(embed: bool, response: &mut axum::response::Response) {
    let headers = response.headers_mut();
    for (name, value) in if embed { &EMBED_HEADERS[..] } else { &SECURITY_HEADERS[..] } {
        headers.entry(HeaderName::from_static(name)).or_insert(HeaderValue::from_static(value));
    }
}

/// The longest the api works on one request before answering 503: a lock or a query that hangs
/// must not hold the client (and its connection) forever. Live-result streams start their
/// response at once, so their length is not limited by it.
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

async fn within_time_limit(response: impl Future<Output = axum::response::Response>) -> axum::response::Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, response).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!("request timed out after {REQUEST_TIMEOUT:?}");
            axum::response::IntoResponse::into_response(AppError::Unavailable(
                "the request took too long; retry shortly".to_owned(),
            ))
        }
    }
}

/// A known path with the wrong method: JSON too, not an empty 405.
pub(crate) async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> AppError {
    AppError::MethodNotAllowed(format!("{method} is not allowed on {}", uri.path()))
}

/// An error answer without a body (a library's own 404 or 405): the JSON error shape instead.
fn as_json_error(uri: &axum::http::Uri, response: axum::response::Response) -> axum::response::Response {
    let status = response.status();
    if !status.is_client_error() || response.headers().contains_key(header::CONTENT_TYPE) {
        return response;
    }
    let error = match status {
        axum::http::StatusCode::NOT_FOUND => no_such_path(uri),
        axum::http::StatusCode::METHOD_NOT_ALLOWED => {
            AppError::MethodNotAllowed(format!("not allowed on {}", uri.path()))
        }
        _ => AppError::BadRequest(status.canonical_reason().unwrap_or("bad request").to_owned()),
    };
    let (parts, _) = response.into_parts();
    let mut replaced = axum::response::IntoResponse::into_response(error);
    *replaced.status_mut() = status;
    // The original's other headers stand (a 405's Allow, a 416's Content-Range).
    for (name, value) in &parts.headers {
        if name != header::CONTENT_LENGTH && !replaced.headers().contains_key(name) {
            replaced.headers_mut().insert(name.clone(), value.clone());
        }
    }
    replaced
}

pub(crate) fn no_such_path(uri: &axum::http::Uri) -> AppError {
    AppError::NotFound(format!("no such path: {}", uri.path()))
}
