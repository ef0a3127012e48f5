//! Participants: read a poll, answer it, watch its results.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ErrorBody;
use crate::json_body::AppJson;
use crate::polls::live::LiveEvent;
use crate::polls::model::{Ballot, BallotReceipt, PollResults, PublicPoll};
use crate::polls::results::results;
use crate::polls::service::{self, PollKey};
use crate::{AppError, AppState};

/// A poll: its questions with the offered responses, and whether it is open.
#[utoipa::path(get, path = "/api/polls/{slug}", tag = "polls",
    params(("slug" = String, Path, description = "The poll's slug")),
    responses((status = 200, body = PublicPoll), (status = 404, body = ErrorBody)))]
async fn get_poll(State(state): State<AppState>, Path(slug): Path<String>) -> Result<Json<PublicPoll>, AppError> {
    Ok(Json(service::public(&state.db, &state.surveys, &slug).await?))
}

/// Submits a participant's answers. Committed before the reply; the same `client_token` again
/// returns the same respondent (200) and changes nothing.
#[utoipa::path(post, path = "/api/polls/{slug}/responses", tag = "polls", request_body = Ballot,
    params(("slug" = String, Path, description = "The poll's slug")),
    responses(
        (status = 201, description = "Recorded", body = BallotReceipt),
        (status = 200, description = "This client token had already answered; nothing changed", body = BallotReceipt),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The poll is closed", body = ErrorBody),
        (status = 422, description = "Unknown question, index not offered, question answered twice; `error.field` names it", body = ErrorBody),
    ))]
async fn submit(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    AppJson(ballot): AppJson<Ballot>,
) -> Result<(StatusCode, Json<BallotReceipt>), AppError> {
    let (receipt, created) = service::vote(&state.db, &slug, ballot).await?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, Json(receipt)))
}

/// Counts and shares per question, overall and per split group, beside the national BLW shares.
#[utoipa::path(get, path = "/api/polls/{slug}/results", tag = "polls",
    params(("slug" = String, Path, description = "The poll's slug")),
    responses((status = 200, body = PollResults), (status = 404, body = ErrorBody)))]
async fn get_results(State(state): State<AppState>, Path(slug): Path<String>) -> Result<Json<PollResults>, AppError> {
    Ok(Json(results(&state.db, &state.surveys, PollKey::Slug(&slug)).await?))
}

fn event(name: &str, data: &str) -> Result<Event, Infallible> {
    Ok(Event::default().event(name).data(data))
}

/// Live results (Server-Sent Events): `snapshot` first (the results body), then `update` after
/// votes, `closed` when the poll closes (`data` the final results, or `{"deleted":true}`), and
/// `heartbeat` comments every 15 s.
#[utoipa::path(get, path = "/api/polls/{slug}/results/stream", tag = "polls",
    params(("slug" = String, Path, description = "The poll's slug")),
    responses(
        (status = 200, description = "text/event-stream of snapshot, update and closed events", content_type = "text/event-stream", body = PollResults),
        (status = 404, body = ErrorBody),
    ))]
async fn stream_results(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    let poll = service::find(&state.db, PollKey::Slug(&slug)).await?;
    // Subscribe first, then read: an update between the two is not lost, at worst repeated.
    let receiver = state.live.subscribe(poll.id);
    let snapshot = serde_json::to_string(&results(&state.db, &state.surveys, PollKey::Id(poll.id)).await?)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let stream = futures_util::stream::unfold((Some(snapshot), Some(receiver)), |(first, receiver)| async move {
        if let Some(snapshot) = first {
            return Some((event("snapshot", &snapshot), (None, receiver)));
        }
        let mut receiver = receiver?;
        loop {
            match receiver.recv().await {
                Ok(LiveEvent::Update(json)) => return Some((event("update", &json), (None, Some(receiver)))),
                Ok(LiveEvent::Closed(json)) => return Some((event("closed", &json), (None, Some(receiver)))),
                Ok(LiveEvent::Deleted) => return Some((event("closed", r#"{"deleted":true}"#), (None, None))),
                // Missed some: the next update carries the full results anyway.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)).text("heartbeat")))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_poll))
        .routes(routes!(submit))
        .routes(routes!(get_results))
        .routes(routes!(stream_results))
}
