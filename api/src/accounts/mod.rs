//! Staff identity: accounts (admins and analysts), argon2id passwords, sessions kept in
//! PostgreSQL behind an HttpOnly cookie, and logins throttled per email. There is no open
//! registration: admins create accounts (over the api, or the first one with `api accounts create`).

pub(crate) mod current_user;
mod email;
pub(crate) mod login;
pub(crate) mod password;
pub(crate) mod service;
pub(crate) mod session;
pub(crate) mod throttle;

pub(crate) use current_user::CurrentUser;
pub(crate) use email::Email;
pub use entity::Role;
pub(crate) use service::{AccountPatch, AccountView, NewAccount};

/// Shortest password accepted (not counting spaces at either end).
pub(crate) const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted: hashing is deliberately costly, and more adds nothing.
pub(crate) const MAX_PASSWORD_CHARS: usize = 1_024;
