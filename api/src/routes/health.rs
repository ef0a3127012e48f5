//! `GET /healthz`: the process is up and its database answers.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use sea_orm::ConnectionTrait;
use serde::Serialize;

use crate::{AppError, AppState};

#[derive(Serialize)]
struct Health {
    status: &'static str,
    database: &'static str,
}

async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, AppError> {
    state
        .db
        .execute_unprepared("SELECT 1")
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "health check: database unreachable");
            AppError::Unavailable("database unreachable".to_owned())
        })?;
    Ok(Json(Health { status: "ok", database: "ok" }))
}

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz))
}
