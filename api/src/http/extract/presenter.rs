//! A deck driving a poll: the presenter link it sends as `Authorization: Bearer <secret>`,
//! checked in the database on every request (an expiry or revocation holds on every process).

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use sea_orm::DatabaseConnection;

use crate::error::AppError;
use crate::polls::presenter_links::{self, PresenterLinkUse};

/// A working presenter link: the poll it drives.
pub(crate) struct PresenterLink(pub PresenterLinkUse);

impl<S> FromRequestParts<S> for PresenterLink
where
    S: Send + Sync,
    DatabaseConnection: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let secret = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| {
                AppError::Unauthorized("send the presenter link as 'Authorization: Bearer <secret>'".to_owned())
            })?;
        let link = presenter_links::authorize(&DatabaseConnection::from_ref(state), secret.trim()).await?;
        Ok(Self(link))
    }
}
