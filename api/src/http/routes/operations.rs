//! `GET /api/admin/operations`: the operations panel's figures, for each process of the fleet
//! and for the whole of it (see `observability::operations`).

use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::ErrorBody;
use crate::http::extract::staff::StaffUser;
use crate::observability::operations::Operations;
use crate::state::AppState;

/// Is it working, for everyone, right now: per process and for the fleet, votes/s, watchers,
/// vote → frame lag p50/p99 over the last minute, queue depth, pool use, 5xx and 429 answers in
/// the last 5 minutes. Every process reports every 2 s through PostgreSQL; one silent for 10 s
/// drops out. Staff only (read-only for analysts too: nothing here changes anything).
#[utoipa::path(get, path = "/api/admin/operations", tag = "operations",
    responses(
        (status = 200, description = "The fleet's processes and their sum", body = Operations),
        (status = 401, description = "Not logged in", body = ErrorBody),
    ))]
async fn operations(State(state): State<AppState>, _staff: StaffUser) -> Json<Operations> {
    Json(state.operations.operations())
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(operations))
}
