//! Participants: read a poll, answer it, watch its results.

use std::convert::Infallible;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use tokio::sync::broadcast::error::RecvError;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ErrorBody;
use crate::json_body::AppJson;
use crate::polls::live;
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

/// Live results (Server-Sent Events): `snapshot` first (the results body), then `update` after
/// votes, `closed` when the poll closes (`data` the final results, or `{"deleted":true}`), and a
/// `: heartbeat` comment (ignored by EventSource) every 15 s (`SSE_HEARTBEAT_SECONDS`).
#[utoipa::path(get, path = "/api/polls/{slug}/results/stream", tag = "polls",
    params(("slug" = String, Path, description = "The poll's slug")),
    responses(
        (status = 200, description = "text/event-stream of snapshot, update and closed events", content_type = "text/event-stream", body = PollResults),
        (status = 404, body = ErrorBody),
    ))]
async fn stream_results(State(state): State<AppState>, Path(slug): Path<String>) -> Result<Response, AppError> {
    let poll = service::find(&state.db, PollKey::Slug(&slug)).await?;
    // Subscribe first, then read: an update between the two is not lost, at worst repeated.
    let receiver = state.live.subscribe(poll.id);
    let snapshot = serde_json::to_string(&results(&state.db, &state.surveys, PollKey::Id(poll.id)).await?)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let first = live::sse_frame("snapshot", &snapshot);
    // Frames are shared `Bytes`, written as they are: one formatting per update, not per watcher.
    let events = futures_util::stream::unfold((Some(first), Some(receiver)), |(first, receiver)| async move {
        if let Some(frame) = first {
            return Some((frame, (None, receiver)));
        }
        let mut receiver = receiver?;
        loop {
            match receiver.recv().await {
                Ok(event) if event.ends_stream => return Some((event.frame, (None, None))),
                Ok(event) => return Some((event.frame, (None, Some(receiver)))),
                // Missed some: the next update carries the full results anyway.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
    });
    let every = state.settings.sse_heartbeat;
    let heartbeats = futures_util::stream::unfold(tokio::time::interval_at(tokio::time::Instant::now() + every, every), |mut interval| async move {
        interval.tick().await;
        Some((Bytes::from_static(b": heartbeat\n\n"), interval))
    });
    // The stream ends when the events do (a `None` marks it); heartbeats only fill the silences.
    let events = events.map(Some).chain(futures_util::stream::once(std::future::ready(None)));
    let stream = futures_util::stream::select(events, heartbeats.map(Some))
        .take_while(|frame| std::future::ready(frame.is_some()))
        .map(Option::unwrap_or_default);
    let body = Body::from_stream(stream.map(Ok::<_, Infallible>));
    Ok((
        [(header::CONTENT_TYPE, "text/event-stream"), (header::CACHE_CONTROL, "no-cache"), (header::HeaderName::from_static("x-accel-buffering"), "no")],
        body,
    )
        .into_response())
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_poll))
        .routes(routes!(submit))
        .routes(routes!(get_results))
        .routes(routes!(stream_results))
}
