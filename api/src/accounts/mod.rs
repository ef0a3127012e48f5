//! Staff accounts: admins and analysts. There is no open registration: admins create accounts
//! (over the api, or the first one with `api accounts create`).

mod email;
pub mod service;

pub use email::Email;
pub use entity::Role;
pub use service::{AccountPatch, AccountView, NewAccount};

/// Shortest password accepted (not counting spaces at either end).
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted: hashing is deliberately costly, and more adds nothing.
pub const MAX_PASSWORD_CHARS: usize = 1_024;
