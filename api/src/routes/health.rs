//! `GET /healthz`: the process is up and its database answers.

use axum::Json;
use axum::extract::State;
use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ErrorBody;
use crate::{AppError, AppState};

#[derive(Serialize, ToSchema)]
struct Health {
    #[schema(example = "ok")]
    status: &'static str,
    #[schema(example = "ok")]
    database: &'static str,
}

/// Liveness and database reachability, for load balancers and container health checks.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses(
        (status = 200, description = "Up, database reachable", body = Health),
        (status = 503, description = "Database unreachable", body = ErrorBody),
    ))]
async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, AppError> {
    state.db.execute_unprepared("SELECT 1").await.map_err(|e| {
        tracing::warn!(error = %e, "health check: database unreachable");
        AppError::Unavailable("database unreachable".to_owned())
    })?;
    Ok(Json(Health { status: "ok", database: "ok" }))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz))
}
