//! Sessions: a random token in an HttpOnly cookie, its sha256 in `users.sessions`.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use axum::http::HeaderMap;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};
use sha2::{Digest, Sha256};

use crate::settings::Settings;

pub const COOKIE_NAME: &str = "blw_session";

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Starts a session for `account_id`; returns the token for the cookie.
///
/// # Errors
/// Any database error.
pub async fn start(db: &DatabaseConnection, account_id: i32, settings: &Settings) -> Result<String, DbErr> {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO users.sessions (token_hash, account_id, expires_at)
         VALUES ($1, $2, now() + make_interval(secs => $3))",
        [token_hash(&token).into(), account_id.into(), (settings.session_ttl.as_secs() as f64).into()],
    ))
    .await?;
    Ok(token)
}

/// Ends the session behind `token` (nothing if there is none).
///
/// # Errors
/// Any database error.
pub async fn end(db: &DatabaseConnection, token: &str) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "DELETE FROM users.sessions WHERE token_hash = $1",
        [token_hash(token).into()],
    ))
    .await?;
    Ok(())
}

/// Ends every session of an account (deactivated, or its password changed).
///
/// # Errors
/// Any database error.
pub async fn end_all<C: ConnectionTrait>(db: &C, account_id: i32) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "DELETE FROM users.sessions WHERE account_id = $1",
        [account_id.into()],
    ))
    .await?;
    Ok(())
}

/// The account of a live session: (id, email, name, role), only while the account is active.
///
/// # Errors
/// Any database error.
pub async fn account_of(db: &DatabaseConnection, token: &str) -> Result<Option<(i32, String, String, String)>, DbErr> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT a.id, a.email, a.name, a.role FROM users.sessions s
             JOIN users.accounts a ON a.id = s.account_id
             WHERE s.token_hash = $1 AND s.expires_at > now() AND a.is_active",
            [token_hash(token).into()],
        ))
        .await?;
    row.map(|r| Ok((r.try_get("", "id")?, r.try_get("", "email")?, r.try_get("", "name")?, r.try_get("", "role")?)))
        .transpose()
}

/// The session token from the request's cookies, if any.
pub fn token_from(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.to_owned())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The `Set-Cookie` value carrying `token` (or clearing the cookie when `None`).
pub fn cookie(token: Option<&str>, settings: &Settings) -> String {
    let secure = if settings.cookie_secure { "; Secure" } else { "" };
    match token {
        Some(token) => format!(
            "{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
            settings.session_ttl.as_secs()
        ),
        None => format!("{COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    }
}
