//! Who is asking: extractors for a logged-in account, an admin, or staff (admin or analyst).

use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use sea_orm::DatabaseConnection;

use crate::accounts::{CurrentUser, Role, session};
use crate::error::AppError;
use crate::http::cookies::session_token;

impl<S> FromRequestParts<S> for CurrentUser
where
    S: Send + Sync,
    DatabaseConnection: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let token = session_token(&parts.headers).ok_or_else(|| AppError::Unauthorized("not logged in".to_owned()))?;
        session::account_of(&DatabaseConnection::from_ref(state), &token)
            .await?
            .ok_or_else(|| AppError::Unauthorized("session expired or ended".to_owned()))?
            .try_into()
    }
}

/// `Option<CurrentUser>`: `None` when no live session comes with the request (a database failure
/// is still an error).
impl<S> OptionalFromRequestParts<S> for CurrentUser
where
    S: Send + Sync,
    DatabaseConnection: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Option<Self>, Self::Rejection> {
        match <Self as FromRequestParts<S>>::from_request_parts(parts, state).await {
            Ok(user) => Ok(Some(user)),
            Err(AppError::Unauthorized(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }
}

/// A logged-in admin.
pub(crate) struct AdminUser(pub CurrentUser);

impl<S> FromRequestParts<S> for AdminUser
where
    S: Send + Sync,
    DatabaseConnection: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let user = <CurrentUser as FromRequestParts<S>>::from_request_parts(parts, state).await?;
        match user.role {
            Role::Admin => Ok(Self(user)),
            Role::Analyst => Err(AppError::Forbidden("admins only".to_owned())),
        }
    }
}

/// A logged-in admin or analyst (read access to staff views): who it is does not matter, only
/// that it is staff.
pub(crate) struct StaffUser;

impl<S> FromRequestParts<S> for StaffUser
where
    S: Send + Sync,
    DatabaseConnection: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        <CurrentUser as FromRequestParts<S>>::from_request_parts(parts, state).await.map(|_| Self)
    }
}
