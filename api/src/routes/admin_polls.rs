//! Running polls: admins create, open/close and delete; analysts read and export.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{AdminUser, StaffUser};
use crate::client_address::ClientAddress;
use crate::error::ErrorBody;
use crate::json_body::AppJson;
use crate::path_param::AppPath;
use crate::polls::activity::{self, PollActivity};
use crate::polls::export;
use crate::polls::live::Audience;
use crate::polls::model::{NewPoll, PollPatch, PollResults, PollView, QuestionPatch, StreamEvent};
use crate::polls::repository::PollKey;
use crate::polls::results::results;
use crate::polls::service;
use crate::{AppError, AppState};

/// Creates a poll (closed until opened).
#[utoipa::path(post, path = "/api/admin/polls", tag = "admin polls", request_body = NewPoll,
    responses(
        (status = 201, body = PollView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "Invalid poll; `error.field` names the field", body = ErrorBody),
    ))]
async fn create_poll(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AppJson(new): AppJson<NewPoll>,
) -> Result<(StatusCode, Json<PollView>), AppError> {
    let poll = service::create(&state.db, &state.surveys, admin.id, new).await?;
    tracing::info!(by = admin.id, poll = poll.id, slug = %poll.slug, "poll created");
    Ok((StatusCode::CREATED, Json(poll)))
}

/// Every poll, newest first.
#[utoipa::path(get, path = "/api/admin/polls", tag = "admin polls",
    responses((status = 200, body = Vec<PollView>), (status = 401, body = ErrorBody)))]
async fn list_polls(State(state): State<AppState>, _staff: StaffUser) -> Result<Json<Vec<PollView>>, AppError> {
    Ok(Json(service::list(&state.db, &state.surveys).await?))
}

/// One poll.
#[utoipa::path(get, path = "/api/admin/polls/{id}", tag = "admin polls",
    params(("id" = i32, Path, description = "Poll id", minimum = 1)),
    responses((status = 200, body = PollView), (status = 404, body = ErrorBody)))]
async fn get_admin_poll(
    State(state): State<AppState>,
    _staff: StaffUser,
    AppPath(id): AppPath<i32>,
) -> Result<Json<PollView>, AppError> {
    Ok(Json(service::get(&state.db, &state.surveys, id).await?))
}

/// Ballots per minute over the last 15 minutes (every minute listed, oldest first): a burst from
/// one script stands out against a hall voting question by question.
#[utoipa::path(get, path = "/api/admin/polls/{id}/activity", tag = "admin polls",
    params(("id" = i32, Path, description = "Poll id", minimum = 1)),
    responses((status = 200, body = PollActivity), (status = 404, body = ErrorBody)))]
async fn get_poll_activity(
    State(state): State<AppState>,
    _staff: StaffUser,
    AppPath(id): AppPath<i32>,
) -> Result<Json<PollActivity>, AppError> {
    Ok(Json(activity::per_minute(&state.db, id).await?))
}

/// Opens or closes a poll.
#[utoipa::path(patch, path = "/api/admin/polls/{id}", tag = "admin polls", request_body = PollPatch,
    params(("id" = i32, Path, description = "Poll id", minimum = 1)),
    responses((status = 200, body = PollView), (status = 404, body = ErrorBody)))]
async fn update_poll(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AppPath(id): AppPath<i32>,
    AppJson(patch): AppJson<PollPatch>,
) -> Result<Json<PollView>, AppError> {
    let poll = service::set_open(&state.db, &state.surveys, id, patch.is_open).await?;
    tracing::info!(by = admin.id, poll = id, is_open = patch.is_open, "poll updated");
    Ok(Json(poll))
}

/// Deletes a poll with all its respondents and answers.
#[utoipa::path(delete, path = "/api/admin/polls/{id}", tag = "admin polls",
    params(("id" = i32, Path, description = "Poll id", minimum = 1)),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody)))]
async fn delete_poll(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AppPath(id): AppPath<i32>,
) -> Result<StatusCode, AppError> {
    service::delete(&state.db, id).await?;
    tracing::info!(by = admin.id, poll = id, "poll deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// Every respondent's answers, one row per respondent, one column per question (the response
/// label; blank where unanswered).
#[utoipa::path(get, path = "/api/admin/polls/{id}/responses.csv", tag = "admin polls",
    params(("id" = i32, Path, description = "Poll id", minimum = 1)),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = ErrorBody)))]
async fn export_responses(
    State(state): State<AppState>,
    _staff: StaffUser,
    AppPath(id): AppPath<i32>,
) -> Result<Response, AppError> {
    let (slug, body) = export::responses_csv(&state.db, id).await?;
    let disposition = format!("attachment; filename=\"{slug}-responses.csv\"");
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)],
        body,
    )
        .into_response())
}

/// Hides (`true`) or reveals (`false`) one question's results to the public; every screen
/// watching the poll hears it with the next live update.
#[utoipa::path(patch, path = "/api/admin/polls/{id}/questions/{var_name}", tag = "admin polls",
    request_body = QuestionPatch,
    params(
        ("id" = i32, Path, description = "Poll id", minimum = 1),
        ("var_name" = String, Path, description = "One of the poll's questions"),
    ),
    responses((status = 200, body = PollView), (status = 404, description = "No such poll, or no such question in it", body = ErrorBody)))]
async fn update_question(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AppPath((id, var_name)): AppPath<(i32, String)>,
    AppJson(patch): AppJson<QuestionPatch>,
) -> Result<Json<PollView>, AppError> {
    let poll = service::set_results_hidden(&state.db, &state.surveys, id, &var_name, patch.results_hidden).await?;
    tracing::info!(by = admin.id, poll = id, var_name, results_hidden = patch.results_hidden, "question updated");
    Ok(Json(poll))
}

/// Everything about the poll's results, hidden questions included (what the console shows).
#[utoipa::path(get, path = "/api/admin/polls/{id}/results", tag = "admin polls",
    params(("id" = i32, Path, description = "Poll id", minimum = 1)),
    responses((status = 200, body = PollResults), (status = 404, body = ErrorBody)))]
async fn get_staff_results(
    State(state): State<AppState>,
    _staff: StaffUser,
    AppPath(id): AppPath<i32>,
) -> Result<Json<PollResults>, AppError> {
    Ok(Json(results(&state.db, &state.surveys, PollKey::Id(id)).await?))
}

/// The live results stream with hidden questions included (what the console shows).
#[utoipa::path(get, path = "/api/admin/polls/{id}/results/stream", tag = "admin polls",
    params(("id" = i32, Path, description = "Poll id", minimum = 1)),
    responses(
        (status = 200, description = "text/event-stream of snapshot, update and closed events", content_type = "text/event-stream", body = StreamEvent),
        (status = 404, body = ErrorBody),
        (status = 429, description = "Too many streams open from this address", body = ErrorBody),
    ))]
async fn stream_staff_results(
    State(state): State<AppState>,
    _staff: StaffUser,
    ClientAddress(client): ClientAddress,
    AppPath(id): AppPath<i32>,
) -> Result<Response, AppError> {
    super::polls::results_stream(&state, client, id, Audience::Staff).await
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_poll, list_polls))
        .routes(routes!(get_admin_poll, update_poll, delete_poll))
        .routes(routes!(export_responses))
        .routes(routes!(get_poll_activity))
        .routes(routes!(update_question))
        .routes(routes!(get_staff_results))
        .routes(routes!(stream_staff_results))
}
