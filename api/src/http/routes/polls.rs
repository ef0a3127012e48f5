//! Participants: read a poll, answer it, watch its results.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::AppError;
use crate::http::ErrorBody;
use crate::http::extract::client::BallotAllowed;
use crate::http::extract::client::ClientAddress;
use crate::http::extract::json::AppJson;
use crate::http::extract::path::AppPath;
use crate::polls::ballots;
use crate::polls::ballots::writer::BallotOutcome;
use futures_util::StreamExt;

use crate::polls::frozen_results;
use crate::polls::live;
use crate::polls::live::frames::Audience;
use crate::polls::live::stream::{StaffAccess, Watch, results_stream};
use crate::polls::model::{
    Arrival, Ballot, BallotReceipt, FrozenResults, JoinTarget, PollResults, PublicPoll, StreamEvent,
};
use crate::polls::repository::PollKey;
use crate::polls::results::results;
use crate::polls::service;
use crate::state::AppState;

/// A poll: its questions with the offered responses, and whether it is open.
#[utoipa::path(get, path = "/api/polls/{slug}", tag = "polls",
    params(("slug" = String, Path, description = "The poll's slug")),
    responses(
        (status = 200, body = PublicPoll),
        (status = 404, description = "No such poll (`not_found`), or one that has never opened, for anyone but staff (`not_open_yet`)", body = ErrorBody),
        (status = 429, description = "Too many lookups that found nothing from this address (see Retry-After)", body = ErrorBody),
    ))]
async fn get_poll(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    headers: axum::http::HeaderMap,
    AppPath(slug): AppPath<String>,
) -> Result<Json<PublicPoll>, AppError> {
    public_poll(&state, client, &headers, &slug).await?;
    Ok(Json(service::public(&state.db, &state.surveys, &slug).await?))
}

/// The poll behind a public address. A draft (a poll that has never opened) is not shown to
/// anyone but staff: 404 `not_open_yet`, with nothing of its content — its address is 96 random
/// bits, so only those it was given to (a QR code on the screen before the talk) learn that it is
/// there, and their phones wait for it to open. Lookups that find no poll count against the
/// caller's address as wrong join codes do (`JOIN_CODE_MISSES_PER_MINUTE`), so addresses cannot be
/// found by trying them.
///
/// # Errors
/// No such poll (404 `not_found`), a draft (404 `not_open_yet`), too many misses (429).
pub(super) async fn public_poll(
    state: &AppState,
    client: std::net::IpAddr,
    headers: &axum::http::HeaderMap,
    slug: &str,
) -> Result<std::sync::Arc<ballots::poll_states::PollState>, AppError> {
    // A poll already in memory was found before: nothing to count (a hall behind one NAT is not
    // stopped by somebody's typos), and no database read.
    let poll = match state.poll_states.cached(slug) {
        Some(poll) => poll,
        None => {
            crate::http::extract::client::join_allowed(state, client).await?;
            match state.poll_states.get(&state.db, slug).await {
                Err(AppError::NotFound(message)) => {
                    crate::http::extract::client::join_missed(state, client).await?;
                    return Err(AppError::NotFound(message));
                }
                found => found?,
            }
        }
    };
    // Only a draft asks who is looking (one session read; a database that does not answer means
    // nobody logged in).
    if poll.opened_before() || logged_in(state, headers).await {
        Ok(poll)
    } else {
        Err(AppError::NotOpenYet("this poll is not open yet".to_owned()))
    }
}

/// Whether the request comes with a live staff session.
async fn logged_in(state: &AppState, headers: &axum::http::HeaderMap) -> bool {
    let Some(token) = crate::http::cookies::session_token(headers) else { return false };
    matches!(crate::accounts::session::account_of(&state.db, &token).await, Ok(Some(_)))
}

/// Submits a participant's answers. Committed before the reply; the same `client_token` again
/// returns the same respondent (200) and changes nothing. So does a new token from a browser that
/// has answered (its `blw_device` cookie, signed and HttpOnly, set on its first ballot): its first
/// ballot stands.
#[utoipa::path(post, path = "/api/polls/{slug}/responses", tag = "polls", request_body = Ballot,
    params(("slug" = String, Path, description = "The poll's slug")),
    responses(
        (status = 201, description = "Recorded (with `Set-Cookie: blw_device=…` when the request had no valid device cookie)", body = BallotReceipt),
        (status = 200, description = "This client token, or this device, had already answered; nothing changed", body = BallotReceipt),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The poll is closed", body = ErrorBody),
        (status = 422, description = "Unknown question, index not offered, a question answered twice or not at all; `error.field` names it", body = ErrorBody),
        (status = 429, description = "Too many ballots, or lookups that found nothing, from this address (see Retry-After)", body = ErrorBody),
    ))]
async fn submit(
    State(state): State<AppState>,
    BallotAllowed(client): BallotAllowed,
    headers: axum::http::HeaderMap,
    AppPath(slug): AppPath<String>,
    // Taken as a result so that a body that is not a ballot is counted (as invalid) too.
    ballot: Result<AppJson<Ballot>, AppError>,
) -> Result<Response, AppError> {
    let result = match ballot {
        Ok(AppJson(ballot)) => cast(&state, client, &headers, &slug, ballot).await,
        Err(rejected) => Err(rejected),
    };
    metrics::counter!("blw_ballots_total", "outcome" => ballot_outcome(&result)).increment(1);
    result
}

/// A ballot's outcome as the metrics count it (a fixed set of labels).
fn ballot_outcome(result: &Result<Response, AppError>) -> &'static str {
    match result {
        Ok(response) if response.status() == StatusCode::CREATED => "accepted",
        Ok(_) => "repeated",
        Err(AppError::Conflict(_)) => "closed_poll",
        // Too many lookups of polls that do not exist from this address (a scanner): not found.
        Err(AppError::NotFound(_) | AppError::NotOpenYet(_) | AppError::TooManyRequests { .. }) => "not_found",
        Err(
            AppError::Unprocessable { .. }
            | AppError::InvalidParameter { .. }
            | AppError::BadRequest(_)
            | AppError::PayloadTooLarge(_),
        ) => "invalid",
        Err(_) => "unavailable",
    }
}

/// This request's browser (its signed `blw_device` cookie, or a new one to set) and client.
pub(super) async fn device_origin(
    state: &AppState,
    client: std::net::IpAddr,
    headers: &axum::http::HeaderMap,
) -> Result<ballots::devices::BallotOrigin, AppError> {
    let device_cookie = crate::http::cookies::cookie_value(headers, ballots::devices::COOKIE_NAME);
    let mut origin = state
        .devices
        .origin(&state.db, device_cookie.as_deref(), state.limits.key(client), state.settings.cookie_secure)
        .await?;
    origin.trace_id = crate::http::telemetry::current_trace_id();
    Ok(origin)
}

/// The header that gives a browser its new device cookie (none when it sent a valid one).
pub(super) fn device_cookie(new_cookie: Option<String>) -> AppendHeaders<Option<(header::HeaderName, String)>> {
    AppendHeaders(new_cookie.map(|cookie| (header::SET_COOKIE, cookie)))
}

async fn cast(
    state: &AppState,
    client: std::net::IpAddr,
    headers: &axum::http::HeaderMap,
    slug: &str,
    ballot: Ballot,
) -> Result<Response, AppError> {
    // The poll as ballots see it, found once (from memory after the first ballot).
    let poll = public_poll(state, client, &axum::http::HeaderMap::new(), slug).await?;
    let origin = device_origin(state, client, headers).await?;
    let new_cookie = origin.new_cookie.clone();
    let (receipt, outcome) = ballots::vote(&state.db, &state.ballots, poll, ballot, origin).await?;
    let status = match outcome {
        BallotOutcome::Recorded => StatusCode::CREATED,
        BallotOutcome::AlreadyRecorded => StatusCode::OK,
    };
    Ok((status, device_cookie(new_cookie), Json(receipt)).into_response())
}

/// Says that this browser has opened the poll: the join slide's "N joined" and every "N of M
/// answered" count each browser once (by its `blw_device` cookie, set here when it has none, as a
/// ballot sets it). The participant page sends it when it opens an open poll. Counts against the
/// address's ballot allowance.
#[utoipa::path(post, path = "/api/polls/{slug}/participants", tag = "polls",
    params(("slug" = String, Path, description = "The poll's slug")),
    responses(
        (status = 201, description = "Counted (with `Set-Cookie: blw_device=…` when the request had no valid device cookie)", body = Arrival),
        (status = 200, description = "This browser had joined before; nothing changed", body = Arrival),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The poll is closed", body = ErrorBody),
        (status = 429, description = "Too many requests from this address (see Retry-After)", body = ErrorBody),
    ))]
async fn arrive(
    State(state): State<AppState>,
    BallotAllowed(client): BallotAllowed,
    headers: axum::http::HeaderMap,
    AppPath(slug): AppPath<String>,
) -> Result<Response, AppError> {
    let poll = public_poll(&state, client, &axum::http::HeaderMap::new(), &slug).await?;
    if !poll.is_open() {
        return Err(AppError::Conflict("this poll is closed".to_owned()));
    }
    let origin = device_origin(&state, client, &headers).await?;
    let first_time = service::arrive(&state.db, poll.id, &origin.device_id).await?;
    let status = if first_time { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, device_cookie(origin.new_cookie), Json(Arrival { first_time })).into_response())
}

/// A poll's results: per question the room's counts and shares (overall and per group of the
/// split question), the national weighted shares, and `room_vs_nation`; a question whose results
/// are hidden is `{"var_name", "text", "hidden": true}` and nothing else. While the database is
/// unavailable, a poll someone is watching is answered from its live tally.
///
/// Room vs nation (each question the survey asked; latest wave that asked it): the nation's
/// weighted share of each offered response with its SE and 95% CI (R `survey`: `svymean`,
/// `svyciprop(method = "logit")`); the room's share `p = count/n`; `difference = p − p_nation`,
/// `se = sqrt(p(1 − p)/n + se_nation²)`, 95% CI `difference ± 1.96·se`, two-sided p-value from
/// the normal distribution; `verdict` is `real` only when p < 0.05 with at least 30 answers
/// (`too_few_answers` below 30). With the poll split by pid3 (or ideo7), `groups` compares each
/// group of the room with the same group nationally, and `reweighted` the room post-stratified to
/// the nation's group mix (weight π_g / r_g per participant; π the nation's weighted group shares
/// among respondents in one of the groups, latest wave that asked the split question; r the
/// room's), with Kish's `n_eff = 1/Σ π_g²/n_g` used in place of n; participants in no group are
/// left out and counted in `left_out`. The split question itself is not compared by group.
#[utoipa::path(get, path = "/api/polls/{slug}/results", tag = "polls",
    params(("slug" = String, Path, description = "The poll's slug")),
    responses(
        (status = 200, body = PollResults),
        (status = 404, description = "No such poll (`not_found`), or one that has never opened, for anyone but staff (`not_open_yet`)", body = ErrorBody),
        (status = 429, description = "Too many lookups that found nothing from this address (see Retry-After)", body = ErrorBody),
    ))]
async fn get_results(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    headers: axum::http::HeaderMap,
    AppPath(slug): AppPath<String>,
) -> Result<Response, AppError> {
    match public_poll(&state, client, &headers, &slug).await {
        // The database is down (and the poll not in memory): the live tally may still answer.
        Err(AppError::Database(e)) if crate::error::is_unavailable(&e) => {}
        Err(e) => return Err(e),
        Ok(_) => {}
    }
    match results(&state.db, &state.surveys, PollKey::Slug(&slug)).await {
        Ok(results) => Ok(Json(results.for_public()).into_response()),
        // The database is down: a poll someone watches has its results tallied in memory.
        Err(AppError::Database(e)) if crate::error::is_unavailable(&e) => {
            match live::tallied_results(&state.live, &slug).await {
                Some(json) => Ok(([(header::CONTENT_TYPE, "application/json")], json.to_string()).into_response()),
                None => Err(AppError::Database(e)),
            }
        }
        Err(e) => Err(e),
    }
}

/// Live results (Server-Sent Events, protocol v2). Every frame has an `id:`, the poll's version
/// `<epoch>-<answers>` (answers counted; epoch: resets and voids), the same on every api process
/// for the same counts and larger for newer ones.
///
/// - `snapshot` — the whole results body: first, and whenever something besides counts changes
///   (a reveal or hide, a hidden word, opening, the presenter moving), or the watcher does not
///   hold the frame a delta would apply to (it fell behind: it skips to the latest).
/// - `delta` — `{"base": "<id>", "set": {…}}`: what changed since the frame `base`, for a
///   watcher holding it, nested as in the results: an object goes into the object there (into an
///   array by index: `{"questions": {"1": {"overall": {"n": 5, "counts": [2, 3]}}}}`), anything
///   else replaces the value; then recompute every `shares` beside `counts` and `n` as
///   `count / n` (0 when n is 0), which deltas leave out. The room-vs-nation comparison changes
///   at most once a second.
/// - `closed` — the final results when the poll closes, or `{"deleted":true}`.
///
/// A `: heartbeat` comment (ignored by EventSource) fills every 15 s of silence
/// (`SSE_HEARTBEAT_SECONDS`). Reconnecting with `Last-Event-ID` (EventSource does), to any process,
/// gives a snapshot at least as new as that id: no total goes down. A watcher that falls behind
/// twice within 10 s is disconnected (it reconnects and starts again from a snapshot).
#[utoipa::path(get, path = "/api/polls/{slug}/results/stream", tag = "polls",
    params(("slug" = String, Path, description = "The poll's slug"), ResumeFrom),
    responses(
        (status = 200, description = "text/event-stream of snapshot, delta and closed events", content_type = "text/event-stream", body = StreamEvent),
        (status = 400, description = "An unknown query parameter", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 429, description = "Too many streams open, or too many lookups that found nothing, from this address", body = ErrorBody),
    ))]
async fn stream_results(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    headers: axum::http::HeaderMap,
    AppPath(slug): AppPath<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let poll_id = public_poll(&state, client, &headers, &slug).await?.id;
    stream_of(&state, client, (poll_id, Audience::Public), (&headers, query.as_deref()), None).await
}

/// Where a stream resumes from, for a client that cannot send `Last-Event-ID` (a new
/// EventSource); the header wins when both are given.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // read by hand (`QueryParams`), described here for the OpenAPI document
pub(super) struct ResumeFrom {
    /// The `id:` of the last frame the client holds, e.g. `0-1523`.
    last_event_id: Option<String>,
}

/// A live-results stream of `poll_id` for `audience` (counted against `client`'s open streams):
/// not cached, not buffered by proxies.
pub(crate) async fn stream_of(
    state: &AppState,
    client: std::net::IpAddr,
    (poll_id, audience): (i32, Audience),
    (headers, query): (&axum::http::HeaderMap, Option<&str>),
    access: Option<StaffAccess>,
) -> Result<Response, AppError> {
    // A reconnecting EventSource says what it had in `Last-Event-ID`; a page that had to open a
    // new one (its last reconnect was refused) says it in `?last_event_id=`. Anything unreadable
    // is a first connection.
    let query = crate::http::extract::query::QueryParams::parse(query, &["last_event_id"])?;
    let resumed = headers.get("last-event-id").and_then(|v| v.to_str().ok());
    let seen = resumed.or(query.one("last_event_id")?).and_then(|v| v.parse().ok());
    let permit = state.limits.open_stream(client)?;
    let frames = results_stream(
        &state.db,
        &state.surveys,
        &state.live,
        Watch { poll_id, audience, seen },
        state.settings.sse_heartbeat,
        access,
    )
    .await?;
    // The stream holds its place in the per-address count until it ends.
    let body = axum::body::Body::from_stream(frames.map(move |frame| {
        let _held = &permit;
        Ok::<_, std::convert::Infallible>(frame)
    }));
    let headers = [
        (header::CONTENT_TYPE, "text/event-stream"),
        (header::CACHE_CONTROL, "no-cache"),
        (header::HeaderName::from_static("x-accel-buffering"), "no"),
    ];
    Ok((headers, body).into_response())
}

/// Where a join code leads: the open poll holding it. Wrong codes count against the caller's
/// address (see `JOIN_CODE_MISSES_PER_MINUTE`): past the limit every lookup gets 429, so codes
/// cannot be found by trying them all.
#[utoipa::path(get, path = "/api/polls/join/{code}", tag = "polls",
    params(("code" = String, Path, description = "Six digits", pattern = "^[0-9]{6}$", example = "482913")),
    responses(
        (status = 200, description = "The open poll with this code", body = JoinTarget),
        (status = 400, description = "Not six digits", body = ErrorBody),
        (status = 404, description = "No open poll has this code", body = ErrorBody),
        (status = 429, description = "Too many wrong codes from this address (see Retry-After)", body = ErrorBody),
    ))]
async fn join_poll(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    AppPath(code): AppPath<String>,
) -> Result<Json<JoinTarget>, AppError> {
    Ok(Json(join(&state, client, &code).await?))
}

/// The short address a presenter shows (`/j/482913`): a redirect to the poll's page, or back to
/// the `/join` page saying why not (`error=unknown|throttled|format`), since people type it into
/// a browser.
#[utoipa::path(get, path = "/j/{code}", tag = "polls",
    params(("code" = String, Path, description = "Six digits", example = "482913")),
    responses(
        (status = 303, description = "To `/polls/{slug}`, or to `/join?code=…&error=…` when the code leads nowhere",
            headers(("location" = String, description = "Where to go"))),
    ))]
async fn join_redirect(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    axum::extract::Path(code): axum::extract::Path<String>,
) -> Result<Redirect, AppError> {
    let back = |why: String| Redirect::to(&format!("/join?{why}"));
    match join(&state, client, &code).await {
        Ok(target) => Ok(Redirect::to(&target.url)),
        Err(AppError::NotFound(_)) => Ok(back(format!("code={code}&error=unknown"))),
        Err(AppError::TooManyRequests { retry_after }) => {
            Ok(back(format!("code={code}&error=throttled&retry_after={retry_after}")))
        }
        Err(AppError::InvalidParameter { .. }) => Ok(back("error=format".to_owned())),
        Err(e) => Err(e),
    }
}

/// A join code looked up for `client`, misses counted.
///
/// # Errors
/// As `service::join`, or 429 past the allowance of misses.
pub(super) async fn join(state: &AppState, client: std::net::IpAddr, code: &str) -> Result<JoinTarget, AppError> {
    // The format first: only six digits ever go back into a redirect's address.
    let code = crate::polls::join_code::parse(code)?;
    crate::http::extract::client::join_allowed(state, client).await?;
    let found = service::join(&state.db, code).await;
    if let Err(AppError::NotFound(_)) = &found {
        crate::http::extract::client::join_missed(state, client).await?;
    }
    found
}

/// The largest ballot: 50 questions' answers, each at most three words of 40 characters or an
/// open answer of 280 (JSON may spell a character in 6 bytes: 50 × 280 × 6 = 84,000).
const BALLOT_BODY_LIMIT: usize = 128 * 1024;

/// A poll's public results as a presenter froze them (a citable copy: later votes, resets and
/// the poll's deletion leave it as it was), with when.
#[utoipa::path(get, path = "/api/frozen-results/{key}", tag = "polls",
    params(("key" = String, Path, description = "The frozen copy's key")),
    responses((status = 200, body = FrozenResults), (status = 404, body = ErrorBody)))]
async fn get_frozen_results(
    State(state): State<AppState>,
    AppPath(key): AppPath<String>,
) -> Result<Json<FrozenResults>, AppError> {
    Ok(Json(frozen_results::get(&state.db, &key).await?))
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_poll))
        .routes(routes!(submit))
        .routes(routes!(arrive))
        .routes(routes!(get_results))
        .routes(routes!(stream_results))
        .routes(routes!(join_poll))
        .routes(routes!(join_redirect))
        .routes(routes!(get_frozen_results))
        .layer(axum::extract::DefaultBodyLimit::max(BALLOT_BODY_LIMIT))
}
