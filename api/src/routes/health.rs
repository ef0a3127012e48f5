//! `GET /healthz` (the process is alive) and `GET /readyz` (it can serve: database reachable,
//! migrations applied, survey snapshot loaded). Both answer within a second, database or not.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use migration::status::migration_status;
use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ErrorBody;
use crate::{AppError, AppState};

/// How long readiness waits for the database before it says it is not ready.
const READINESS_WAIT: Duration = Duration::from_millis(800);

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
    let not_ready = |why: &str| AppError::Unavailable(format!("not ready: {why}"));
    if state.lifecycle.is_draining() {
        return Err(not_ready("shutting down"));
    }
    let checks = async {
        // The cheapest round trip there is; no table needed.
        state.db.execute_unprepared("SELECT 1").await.map_err(|e| {
            tracing::warn!(error = %e, "readiness: database unreachable");
            not_ready("database unreachable")
        })?;
        let status = migration_status(&state.db).await.map_err(|e| {
            tracing::warn!(error = %e, "readiness: migrations unknown");
            not_ready("migrations unknown")
        })?;
        if !status.pending.is_empty() {
            return Err(not_ready(&format!("migrations pending: {}", status.pending.join(", "))));
        }
        Ok(status)
    };
    let status =
        tokio::time::timeout(READINESS_WAIT, checks).await.map_err(|_| not_ready("database not answering"))??;
    if !state.surveys.is_loaded().await {
        return Err(not_ready("survey snapshot not loaded yet"));
    }
    Ok(Json(Readiness {
        status: "ready",
        database: "ok",
        migrations: if status.database_ahead() { "applied; database ahead" } else { "applied" },
        known_migrations: status.known,
        unknown_applied_migrations: status.unknown_applied,
        survey_snapshot: "loaded",
    }))
}

/// Whether `/readyz` would answer 200 now (for the `blw_ready` gauge).
pub async fn is_ready(state: &AppState) -> bool {
    readyz(State(state.clone())).await.is_ok()
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz))
}
