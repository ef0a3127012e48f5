//! The HTTP surface, one module per area, merged here.

mod health;

use axum::Router;

use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().merge(health::router()).fallback(unknown_route)
}

/// Unknown paths get the same JSON error shape as every other failure.
async fn unknown_route(uri: axum::http::Uri) -> AppError {
    AppError::NotFound(format!("no such path: {}", uri.path()))
}
