//! What a slide deck may do with a presenter link (`Authorization: Bearer <secret>`), to the one
//! poll the link is for: read where it stands, pace it, reveal or hide a question's results, hide
//! a word or show it again, and read its results as the console does (hidden ones included, for
//! the presenter's own screen) — nothing else (no other poll, no console, no data). The link alone
//! authorizes: no cookie is read, so these routes answer other sites' decks (CORS, and no
//! cross-site refusal: see `http::csrf`).

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::AppError;
use crate::http::ErrorBody;
use crate::http::extract::client::ClientAddress;
use crate::http::extract::json::AppJson;
use crate::http::extract::path::AppPath;
use crate::http::extract::presenter::PresenterLink;
use crate::polls::live::frames::Audience;
use crate::polls::live::stream::StaffAccess;
use crate::polls::model::{CurrentQuestion, HiddenWord, PollResults, PresenterPoll, QuestionPatch, StreamEvent};
use crate::polls::presenter_links::{PresenterLinkUse, presenter_poll};
use crate::polls::repository::PollKey;
use crate::polls::results::results;
use crate::polls::service;
use crate::state::AppState;

/// Who a link's actions are recorded as: the admin who made it.
fn maker(link: &PresenterLinkUse) -> Result<i32, AppError> {
    link.made_by.ok_or_else(|| AppError::Forbidden("the account that made this presenter link is gone".to_owned()))
}

/// The poll this link drives: where it stands, its questions, and each catalog question's
/// national results (what the deck shows while the server cannot be reached).
#[utoipa::path(get, path = "/api/presenter/poll", tag = "presenter",
    responses(
        (status = 200, body = PresenterPoll),
    ))]
async fn get_presenter_poll(
    State(state): State<AppState>,
    PresenterLink(link): PresenterLink,
) -> Result<Json<PresenterPoll>, AppError> {
    let poll = service::get(&state.db, &state.surveys, link.poll_id).await?;
    Ok(Json(presenter_poll(&state.db, &state.surveys, poll, &link).await?))
}

/// Shows a question of the presenter-paced poll on every screen (or the join slide with
/// `position: null`), taking answers while `voting_open`: a deck arriving on a poll slide. The
/// console's pacing rules: a closed poll's voting does not open (409), its screens still move
/// through its final results.
#[utoipa::path(put, path = "/api/presenter/current", tag = "presenter", request_body = CurrentQuestion,
    responses(
        (status = 200, body = PresenterPoll),
        (status = 409, description = "`voting_open` on a closed poll (its screens may still move through the final results with `voting_open: false`); `error.field` is `voting_open`", body = ErrorBody),
        (status = 422, description = "No question at `position`", body = ErrorBody),
    ))]
async fn set_presenter_current(
    State(state): State<AppState>,
    PresenterLink(link): PresenterLink,
    AppJson(current): AppJson<CurrentQuestion>,
) -> Result<Json<PresenterPoll>, AppError> {
    let id = link.poll_id;
    // The console's own pacing function: both refuse and allow the same moves.
    let services = (&state.db, state.surveys.as_ref(), state.poll_states.as_ref());
    let poll = service::set_current(services, id, current.position, current.voting_open).await?;
    tracing::info!(link = link.link_id, poll = id, position = ?current.position, voting_open = current.voting_open, "poll paced by a presenter link");
    Ok(Json(presenter_poll(&state.db, &state.surveys, poll, &link).await?))
}

/// Reveals (`false`) or hides (`true`) one question's results on every screen.
#[utoipa::path(patch, path = "/api/presenter/questions/{var_name}", tag = "presenter", request_body = QuestionPatch,
    params(("var_name" = String, Path, description = "One of the poll's questions")),
    responses(
        (status = 200, body = PresenterPoll),
        (status = 404, description = "No such question in the poll", body = ErrorBody),
    ))]
async fn update_presenter_question(
    State(state): State<AppState>,
    PresenterLink(link): PresenterLink,
    AppPath(var_name): AppPath<String>,
    AppJson(patch): AppJson<QuestionPatch>,
) -> Result<Json<PresenterPoll>, AppError> {
    let id = link.poll_id;
    let poll = service::set_results_hidden(&state.db, &state.surveys, id, &var_name, patch.results_hidden).await?;
    tracing::info!(
        link = link.link_id,
        poll = id,
        var_name,
        results_hidden = patch.results_hidden,
        "question updated by a presenter link"
    );
    Ok(Json(presenter_poll(&state.db, &state.surveys, poll, &link).await?))
}

/// Hides a word of a words question from every public screen (recorded as hidden by the link's
/// maker).
#[utoipa::path(post, path = "/api/presenter/questions/{var_name}/hidden-words", tag = "presenter",
    request_body = HiddenWord,
    params(("var_name" = String, Path, description = "A words question of the poll")),
    responses(
        (status = 204, description = "Hidden"),
        (status = 403, description = "The account that made the link is gone (a hidden word records who hid it)", body = ErrorBody),
        (status = 404, description = "No such question in the poll", body = ErrorBody),
        (status = 422, description = "Not a words question, or not a word", body = ErrorBody),
    ))]
async fn hide_presenter_word(
    State(state): State<AppState>,
    PresenterLink(link): PresenterLink,
    AppPath(var_name): AppPath<String>,
    AppJson(hidden): AppJson<HiddenWord>,
) -> Result<StatusCode, AppError> {
    service::set_word_hidden(&state.db, (link.poll_id, &var_name), &hidden.word, Some(maker(&link)?)).await?;
    tracing::info!(link = link.link_id, poll = link.poll_id, var_name, "word hidden by a presenter link");
    Ok(StatusCode::NO_CONTENT)
}

/// Shows a hidden word again.
#[utoipa::path(delete, path = "/api/presenter/questions/{var_name}/hidden-words/{word}", tag = "presenter",
    params(
        ("var_name" = String, Path, description = "A words question of the poll"),
        ("word" = String, Path, description = "The word, as hidden"),
    ),
    responses(
        (status = 204, description = "Shown again (or was not hidden)"),
        (status = 404, description = "No such question in the poll", body = ErrorBody),
        (status = 422, description = "Not a words question, or not a word", body = ErrorBody),
    ))]
async fn show_presenter_word(
    State(state): State<AppState>,
    PresenterLink(link): PresenterLink,
    AppPath((var_name, word)): AppPath<(String, String)>,
) -> Result<StatusCode, AppError> {
    service::set_word_hidden(&state.db, (link.poll_id, &var_name), &word, None).await?;
    tracing::info!(link = link.link_id, poll = link.poll_id, var_name, "word shown again by a presenter link");
    Ok(StatusCode::NO_CONTENT)
}

/// The poll's results with its hidden questions' numbers included, as the console shows them: for
/// the presenter's own screen (the deck's speaker view, the presenter's laptop), never a
/// projector's — the projected slide reads the public results.
#[utoipa::path(get, path = "/api/presenter/results", tag = "presenter",
    responses(
        (status = 200, body = PollResults),
    ))]
async fn get_presenter_results(
    State(state): State<AppState>,
    PresenterLink(link): PresenterLink,
) -> Result<Json<PollResults>, AppError> {
    Ok(Json(results(&state.db, &state.surveys, PollKey::Id(link.poll_id)).await?))
}

/// The live results stream with hidden questions included (the console's stream), for the
/// presenter's own screen. Send the link in the `Authorization` header (a `fetch` stream, not an
/// `EventSource`, which cannot): never in the address, where logs and shared links keep it. The
/// stream ends when the link expires or is revoked, by the next frame or heartbeat.
#[utoipa::path(get, path = "/api/presenter/results/stream", tag = "presenter",
    params(crate::http::routes::polls::ResumeFrom),
    responses(
        (status = 200, description = "text/event-stream of snapshot, delta and closed events", content_type = "text/event-stream", body = StreamEvent),
        (status = 429, description = "Too many streams open from this address", body = ErrorBody),
    ))]
async fn stream_presenter_results(
    State(state): State<AppState>,
    PresenterLink(link): PresenterLink,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    tracing::info!(link = link.link_id, poll = link.poll_id, "presenter results stream opened");
    let access = StaffAccess::PresenterLink { db: state.db.clone(), link_id: link.link_id };
    crate::http::routes::polls::stream_of(
        &state,
        client,
        (link.poll_id, Audience::Staff),
        (&headers, query.as_deref()),
        Some(access),
    )
    .await
}

/// The deck's routes, answering any site's deck (the link, not the origin, authorizes: CORS in
/// `http::cors`).
pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_presenter_poll))
        .routes(routes!(set_presenter_current))
        .routes(routes!(update_presenter_question))
        .routes(routes!(hide_presenter_word))
        .routes(routes!(show_presenter_word))
        .routes(routes!(get_presenter_results))
        .routes(routes!(stream_presenter_results))
}
