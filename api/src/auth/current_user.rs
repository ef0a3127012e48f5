//! Who is asking: extractors for a logged-in account, an admin, or staff (admin or analyst).

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use serde::Serialize;
use utoipa::ToSchema;

use super::session;
use crate::accounts::Role;
use crate::{AppError, AppState};

/// The account behind the request's session cookie.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CurrentUser {
    pub id: i32,
    pub email: String,
    pub name: String,
    pub role: Role,
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token =
            session::token_from(&parts.headers).ok_or_else(|| AppError::Unauthorized("not logged in".to_owned()))?;
        session::account_of(&state.db, &token)
            .await?
            .ok_or_else(|| AppError::Unauthorized("session expired or ended".to_owned()))?
            .try_into()
    }
}

impl TryFrom<session::SessionAccount> for CurrentUser {
    type Error = AppError;

    fn try_from(account: session::SessionAccount) -> Result<Self, AppError> {
        Ok(Self { role: account.role.parse()?, id: account.id, email: account.email, name: account.name })
    }
}

/// `Option<CurrentUser>`: `None` when no live session comes with the request (a database failure
/// is still an error).
impl OptionalFromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Option<Self>, Self::Rejection> {
        match <Self as FromRequestParts<AppState>>::from_request_parts(parts, state).await {
            Ok(user) => Ok(Some(user)),
            Err(AppError::Unauthorized(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }
}

/// A logged-in admin.
pub struct AdminUser(pub CurrentUser);

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = <CurrentUser as FromRequestParts<AppState>>::from_request_parts(parts, state).await?;
        match user.role {
            Role::Admin => Ok(Self(user)),
            Role::Analyst => Err(AppError::Forbidden("admins only".to_owned())),
        }
    }
}

/// A logged-in admin or analyst (read access to staff views).
pub struct StaffUser(pub CurrentUser);

impl FromRequestParts<AppState> for StaffUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        <CurrentUser as FromRequestParts<AppState>>::from_request_parts(parts, state).await.map(Self)
    }
}
