//! A path-parameter extractor whose rejections are `AppError`s: `/api/admin/accounts/abc` and
//! `/api/polls/%00` get the JSON error shape with 400, not axum's plain text or a database error.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::AppError;

pub(crate) struct AppPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for AppPath<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // A NUL cannot be in any slug, name or id (and PostgreSQL text cannot hold one).
        if parts.uri.path().to_ascii_lowercase().contains("%00") {
            return Err(AppError::invalid_parameter("path", "the path must not contain a NUL character"));
        }
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(Self(value)),
            Err(rejection) => Err(AppError::invalid_parameter("path", rejection.body_text())),
        }
    }
}
