//! Audience Q&A: participants ask and upvote (their browser's device cookie is who they are);
//! admins moderate, mark answered and pin. The questions travel in the poll's results and stream
//! (`qa`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::AppError;
use crate::http::ErrorBody;
use crate::http::extract::client::BallotAllowed;
use crate::http::extract::json::AppJson;
use crate::http::extract::path::AppPath;
use crate::http::extract::staff::{AdminUser, StaffUser};
use crate::http::routes::polls::{device_cookie, device_origin, public_poll};
use crate::polls::audience_questions::service;
use crate::polls::audience_questions::votes::VoteRequest;
use crate::polls::model::{
    AskedQuestion, AudienceQuestionPatch, MyAudienceQuestions, NewAudienceQuestion, PinnedQuestion,
};
use crate::state::AppState;

/// Asks the presenter a question (one line, ≤ 280 characters; a display name if wanted, else
/// anonymous). Post-moderated polls show it at once (`approved`) unless the blocklist matches a
/// word of it; pre-moderated polls hold every question (`pending`) until the presenter approves
/// it. At most 3 questions a minute per browser, 2,000 per poll.
#[utoipa::path(post, path = "/api/polls/{slug}/audience-questions", tag = "polls",
    request_body = NewAudienceQuestion,
    params(("slug" = String, Path, description = "The poll's slug")),
    responses(
        (status = 201, body = AskedQuestion),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The poll takes no audience questions, is closed, or has its 2,000", body = ErrorBody),
        (status = 422, description = "`text` or `display_name` empty, too long or with control characters", body = ErrorBody),
        (status = 429, description = "Too many questions or requests from this browser or address", body = ErrorBody),
    ))]
async fn ask(
    State(state): State<AppState>,
    BallotAllowed(client): BallotAllowed,
    headers: axum::http::HeaderMap,
    AppPath(slug): AppPath<String>,
    AppJson(new): AppJson<NewAudienceQuestion>,
) -> Result<Response, AppError> {
    let poll = public_poll(&state, client, &headers, &slug).await?;
    let origin = device_origin(&state, client, &headers).await?;
    let asked = service::ask(&state.db, poll.id, (&origin.device_id, &origin.client_key), &new).await?;
    Ok((StatusCode::CREATED, device_cookie(origin.new_cookie), Json(asked)).into_response())
}

/// Votes for an approved question (once per browser: again changes nothing).
#[utoipa::path(put, path = "/api/polls/{slug}/audience-questions/{id}/vote", tag = "polls",
    params(
        ("slug" = String, Path, description = "The poll's slug"),
        ("id" = i64, Path, description = "An approved audience question of the poll", minimum = 1),
    ),
    responses(
        (status = 204, description = "Counted (or counted before)"),
        (status = 404, description = "No such question the room can see", body = ErrorBody),
        (status = 409, description = "The poll takes no audience questions, or is closed", body = ErrorBody),
        (status = 429, description = "More than 30 votes a minute from this browser, or too many requests", body = ErrorBody),
    ))]
async fn vote(
    State(state): State<AppState>,
    BallotAllowed(client): BallotAllowed,
    headers: axum::http::HeaderMap,
    AppPath((slug, id)): AppPath<(String, i64)>,
) -> Result<Response, AppError> {
    cast_vote(&state, client, &headers, (&slug, id), true).await
}

/// Takes this browser's vote for a question back (none cast: nothing changes).
#[utoipa::path(delete, path = "/api/polls/{slug}/audience-questions/{id}/vote", tag = "polls",
    params(
        ("slug" = String, Path, description = "The poll's slug"),
        ("id" = i64, Path, description = "An approved audience question of the poll", minimum = 1),
    ),
    responses(
        (status = 204, description = "Taken back (or none was cast)"),
        (status = 404, description = "No such question the room can see", body = ErrorBody),
        (status = 409, description = "The poll takes no audience questions, or is closed", body = ErrorBody),
        (status = 429, body = ErrorBody),
    ))]
async fn unvote(
    State(state): State<AppState>,
    BallotAllowed(client): BallotAllowed,
    headers: axum::http::HeaderMap,
    AppPath((slug, id)): AppPath<(String, i64)>,
) -> Result<Response, AppError> {
    cast_vote(&state, client, &headers, (&slug, id), false).await
}

async fn cast_vote(
    state: &AppState,
    client: std::net::IpAddr,
    headers: &axum::http::HeaderMap,
    (slug, id): (&str, i64),
    up: bool,
) -> Result<Response, AppError> {
    let poll = public_poll(state, client, headers, slug).await?;
    let origin = device_origin(state, client, headers).await?;
    let vote = VoteRequest {
        poll_id: poll.id,
        question_id: id,
        device_id: origin.device_id.clone(),
        client_key: origin.client_key.clone(),
        up,
    };
    state.qa_votes.cast(vote).await?;
    Ok((StatusCode::NO_CONTENT, device_cookie(origin.new_cookie)).into_response())
}

/// What this browser asked (a held question is listed here, not in the results) and which
/// questions it voted for.
#[utoipa::path(get, path = "/api/polls/{slug}/audience-questions/mine", tag = "polls",
    params(("slug" = String, Path, description = "The poll's slug")),
    responses((status = 200, body = MyAudienceQuestions), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn mine(
    State(state): State<AppState>,
    BallotAllowed(client): BallotAllowed,
    headers: axum::http::HeaderMap,
    AppPath(slug): AppPath<String>,
) -> Result<Response, AppError> {
    let poll = public_poll(&state, client, &headers, &slug).await?;
    let origin = device_origin(&state, client, &headers).await?;
    let mine = service::mine(&state.db, poll.id, &origin.device_id).await?;
    Ok((device_cookie(origin.new_cookie), Json(mine)).into_response())
}

/// Approves, hides or holds an audience question, or marks it answered (or not). Every screen
/// follows at once; who decided and when are recorded. Hiding the pinned question unpins it.
#[utoipa::path(patch, path = "/api/admin/polls/{id}/audience-questions/{question_id}", tag = "admin polls",
    request_body = AudienceQuestionPatch,
    params(
        ("id" = i32, Path, description = "Poll id", minimum = 1),
        ("question_id" = i64, Path, description = "An audience question of the poll", minimum = 1),
    ),
    responses(
        (status = 204, description = "Decided"),
        (status = 404, description = "No such poll or question", body = ErrorBody),
        (status = 422, description = "Neither `review` nor `answered` given", body = ErrorBody),
    ))]
async fn moderate(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AppPath((id, question_id)): AppPath<(i32, i64)>,
    AppJson(patch): AppJson<AudienceQuestionPatch>,
) -> Result<StatusCode, AppError> {
    let question = service::moderate(&state.db, id, question_id, patch, admin.id).await?;
    tracing::info!(
        by = admin.id,
        poll = id,
        question_id,
        review = question.review.as_str(),
        answered = question.answered,
        "audience question moderated"
    );
    Ok(StatusCode::NO_CONTENT)
}

/// Pins an approved audience question to the audience view (large, with its votes), or unpins.
#[utoipa::path(put, path = "/api/admin/polls/{id}/audience-questions/pinned", tag = "admin polls",
    request_body = PinnedQuestion,
    params(("id" = i32, Path, description = "Poll id", minimum = 1)),
    responses(
        (status = 204, description = "Pinned (or unpinned)"),
        (status = 404, description = "No such poll or question", body = ErrorBody),
        (status = 422, description = "The question is not approved", body = ErrorBody),
    ))]
async fn pin(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AppPath(id): AppPath<i32>,
    AppJson(pinned): AppJson<PinnedQuestion>,
) -> Result<StatusCode, AppError> {
    service::pin(&state.db, id, pinned.question_id).await?;
    tracing::info!(by = admin.id, poll = id, question_id = ?pinned.question_id, "audience question pinned");
    Ok(StatusCode::NO_CONTENT)
}

/// The poll's audience questions as CSV (staff), one row per question in the order asked: `id`,
/// `asked_at`, `text`, `display_name`, `review`, `reviewed_by`, `reviewed_at`, `answered_at`,
/// `votes`. Text a participant typed that starts like a formula is made inert.
#[utoipa::path(get, path = "/api/admin/polls/{id}/audience-questions.csv", tag = "admin polls",
    params(("id" = i32, Path, description = "Poll id", minimum = 1)),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = ErrorBody)))]
async fn export_questions(
    State(state): State<AppState>,
    _staff: StaffUser,
    AppPath(id): AppPath<i32>,
) -> Result<Response, AppError> {
    let (slug, body) = service::questions_csv(&state.db, id).await?;
    Ok(super::downloads::csv_attachment(&format!("{slug}-audience-questions.csv"), body))
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(ask))
        .routes(routes!(vote, unvote))
        .routes(routes!(mine))
        .routes(routes!(moderate))
        .routes(routes!(pin))
        .routes(routes!(export_questions))
}
