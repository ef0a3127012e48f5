//! The account a request acts as: who is logged in (read from its session by
//! `http::extract::staff`).

use serde::Serialize;
use utoipa::ToSchema;

use crate::accounts::{Role, session};
use crate::error::AppError;

/// The account behind the request's session cookie.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct CurrentUser {
    pub id: i32,
    pub email: String,
    pub name: String,
    pub role: Role,
}

impl TryFrom<session::SessionAccount> for CurrentUser {
    type Error = AppError;

    fn try_from(account: session::SessionAccount) -> Result<Self, AppError> {
        Ok(Self { role: account.role.parse()?, id: account.id, email: account.email, name: account.name })
    }
}
