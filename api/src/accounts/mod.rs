//! Staff identity: accounts (admins and analysts), argon2id passwords, sessions kept in
//! PostgreSQL behind an HttpOnly cookie, and logins throttled per email. There is no open
//! registration: admins create accounts (over the api, or the first one with `api accounts create`).

pub mod current_user;
mod email;
pub mod login;
pub mod password;
pub mod service;
pub mod session;
pub mod throttle;

pub use current_user::CurrentUser;
pub use email::Email;
pub use entity::Role;
pub use service::{AccountPatch, AccountView, NewAccount};

/// Shortest password accepted (not counting spaces at either end).
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted: hashing is deliberately costly, and more adds nothing.
pub const MAX_PASSWORD_CHARS: usize = 1_024;
