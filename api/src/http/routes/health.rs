//! `GET /healthz` (the process is alive) and `GET /readyz` (it can serve: database reachable,
//! migrations applied, survey snapshot loaded). Both answer within a second, database or not.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::AppError;
use crate::http::ErrorBody;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
struct Health {
    #[schema(example = "ok")]
    status: &'static str,
}

#[derive(Serialize, ToSchema)]
struct Readiness {
    #[schema(example = "ready")]
    status: &'static str,
    #[schema(example = "ok")]
    database: &'static str,
    /// `applied`, or `applied; database ahead` when a newer version has migrated the database
    /// (a deploy under way: this process serves on beside the additive changes).
    #[schema(example = "applied")]
    migrations: &'static str,
    /// The migrations this process knows, in order.
    known_migrations: Vec<String>,
    /// Migrations applied that this process does not know (a newer version's).
    unknown_applied_migrations: Vec<String>,
    #[schema(example = "loaded")]
    survey_snapshot: &'static str,
}

/// Liveness: the process is up. No database call, so a database outage does not get the api
/// restarted by its orchestrator.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "Up", body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Readiness, for load balancers: the process is not stopping, the database answers, every
/// migration this process knows is applied (a database ahead of it is fine) and the survey
/// snapshot is in memory.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses(
        (status = 200, description = "Ready to serve", body = Readiness),
        (status = 503, description = "Not ready: the message says why", body = ErrorBody),
    ))]
async fn readyz(State(state): State<AppState>) -> Result<Json<Readiness>, AppError> {
    let status = state.readiness().await.map_err(|why| AppError::Unavailable(format!("not ready: {why}")))?;
    Ok(Json(Readiness {
        status: "ready",
        database: "ok",
        migrations: if status.database_ahead() { "applied; database ahead" } else { "applied" },
        known_migrations: status.known,
        unknown_applied_migrations: status.unknown_applied,
        survey_snapshot: "loaded",
    }))
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz))
}
