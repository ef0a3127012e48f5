//! The question catalog: batteries, sub-batteries, questions.

use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::AppError;
use crate::http::ErrorBody;
use crate::http::extract::path::AppPath;
use crate::state::AppState;
use crate::surveys::service::{self, BatteryView, QuestionView};

/// Every battery with its sub-batteries and questions.
#[utoipa::path(get, path = "/api/batteries", tag = "catalog",
    responses((status = 200, description = "All batteries", body = Vec<BatteryView>)))]
async fn list_batteries(State(state): State<AppState>) -> Result<Json<Vec<BatteryView>>, AppError> {
    Ok(Json(service::batteries(&state.surveys, &state.db).await?))
}

/// One question.
#[utoipa::path(get, path = "/api/questions/{var_name}", tag = "catalog",
    params(("var_name" = String, Path, description = "The question's variable name", example = "perf_judicial_ind")),
    responses(
        (status = 200, description = "The question", body = QuestionView),
        (status = 404, description = "No such question", body = ErrorBody),
    ))]
async fn get_question(
    State(state): State<AppState>,
    AppPath(var_name): AppPath<String>,
) -> Result<Json<QuestionView>, AppError> {
    Ok(Json(service::question(&state.surveys, &state.db, &var_name).await?))
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_batteries)).routes(routes!(get_question))
}
