//! Logging in: argon2id passwords, sessions kept in PostgreSQL behind an HttpOnly cookie, throttled
//! failures, roles, and a CSRF check for cookie-authenticated state changes.

pub mod csrf;
pub mod current_user;
pub mod login;
pub mod password;
pub mod session;
pub mod throttle;

pub use current_user::{AdminUser, CurrentUser, StaffUser};
