//! The cookies the api reads and sets: the staff session's (`blw_session`, HttpOnly, SameSite
//! Strict) and a ballot's device (`blw_device`, set by `polls::ballots::devices`).

use axum::http::HeaderMap;

use crate::accounts::session;

pub(crate) const SESSION_COOKIE: &str = "blw_session";

/// The value of the request's cookie `name`, if it sent one.
pub(crate) fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(cookie, _)| *cookie == name)
        .map(|(_, value)| value.to_owned())
}

/// The session token from the request's cookies, if any.
pub(crate) fn session_token(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, SESSION_COOKIE).filter(|value| session::is_token(value))
}

/// The `Set-Cookie` value carrying `token` for `ttl` (or clearing the cookie when `None`);
/// `secure` as `COOKIE_SECURE`.
pub(crate) fn session_cookie(token: Option<&str>, ttl: std::time::Duration, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    match token {
        Some(token) => {
            format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}", ttl.as_secs())
        }
        None => format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    }
}
