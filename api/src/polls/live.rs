//! Live results over Server-Sent Events. Each process keeps, per poll that someone is watching, a
//! [`LiveTally`] and a broadcast channel. Each vote's announcement (NOTIFY, from any process)
//! carries the ballot: its answers are added to the tally unless already counted, and the
//! results go out to every watcher — at most once per `COALESCE` window. A presenter's move
//! (`paced`) goes out the same way: phones follow the current question through this stream. On start-up, or when the
//! listener had to reconnect (announcements may be lost), tallies are read again from the
//! database: nothing here is the source of truth.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use futures_util::StreamExt;
use sea_orm::DatabaseConnection;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use super::events::{POLL_EVENTS_CHANNEL, PollEvent};
use super::model::PollResults;
use super::repository::PollKey;
use super::results::results;
use super::tally::LiveTally;
use crate::AppError;
use crate::client_limits::StreamPermit;
use crate::notifications::DbEvent;
use crate::surveys::cache::SurveyCache;

/// Votes arriving within this window share one broadcast.
const COALESCE: Duration = Duration::from_millis(20);

/// The longest a broadcast waits for watchers to take the previous one.
const MAX_DRAIN_WAIT: Duration = Duration::from_millis(150);

/// A Server-Sent Events frame for each audience, formatted once and shared by every watcher (no
/// copy per watcher).
#[derive(Debug, Clone)]
pub struct LiveEvent {
    /// Hidden questions as placeholders.
    pub public: Bytes,
    /// Everything (the same bytes when nothing is hidden).
    pub staff: Bytes,
    /// The last frame of a stream (`closed` for a deleted poll).
    pub ends_stream: bool,
}

impl LiveEvent {
    fn frame(&self, audience: Audience) -> Bytes {
        match audience {
            Audience::Public => self.public.clone(),
            Audience::Staff => self.staff.clone(),
        }
    }
}

/// Who watches: the public sees no results of hidden questions; staff see everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Public,
    Staff,
}

/// `event: <name>` and one `data:` line (JSON has no raw newlines), then a blank line.
pub fn sse_frame(name: &str, json: &str) -> Bytes {
    Bytes::from(format!("event: {name}\ndata: {json}\n\n"))
}

fn deleted() -> LiveEvent {
    let frame = sse_frame("closed", r#"{"deleted":true}"#);
    LiveEvent { public: frame.clone(), staff: frame, ends_stream: true }
}

struct WatchedPoll {
    sender: broadcast::Sender<LiveEvent>,
    tally: tokio::sync::Mutex<Option<LiveTally>>,
    broadcast_pending: AtomicBool,
    /// A frame is due to bring the room-vs-nation comparison up to date (one at a time).
    comparison_pending: AtomicBool,
}

#[derive(Default)]
pub struct LivePolls {
    watched: Mutex<HashMap<i32, Arc<WatchedPoll>>>,
}

impl LivePolls {
    /// Ends every watcher's stream (at shutdown): dropping the senders closes their receivers.
    pub fn close_all(&self) {
        self.watched.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
    }

    /// Starts watching `poll_id`; events come after this call.
    pub fn subscribe(&self, poll_id: i32) -> broadcast::Receiver<LiveEvent> {
        let mut watched = self.watched.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Forget polls nobody watches any more.
        watched.retain(|_, w| w.sender.receiver_count() > 0);
        watched
            .entry(poll_id)
            .or_insert_with(|| {
                Arc::new(WatchedPoll {
                    sender: broadcast::channel(64).0,
                    tally: tokio::sync::Mutex::new(None),
                    broadcast_pending: AtomicBool::new(false),
                    comparison_pending: AtomicBool::new(false),
                })
            })
            .sender
            .subscribe()
    }

    fn watched(&self, poll_id: i32) -> Option<Arc<WatchedPoll>> {
        let watched = self.watched.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        watched.get(&poll_id).filter(|w| w.sender.receiver_count() > 0).cloned()
    }

    fn all_watched(&self) -> Vec<(i32, Arc<WatchedPoll>)> {
        let watched = self.watched.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        watched.iter().filter(|(_, w)| w.sender.receiver_count() > 0).map(|(id, w)| (*id, w.clone())).collect()
    }
}

/// Sends the tally's results as `update` or `closed`; when the frame had to leave the room-vs-nation
/// comparison out, schedules the frame that brings it up to date.
async fn send_results(poll: &Arc<WatchedPoll>, closed: bool) {
    let mut tally = poll.tally.lock().await;
    let Some(tally) = tally.as_mut() else { return };
    match tally.frame(closed) {
        Ok((rendered, comparison_due)) => {
            let name = if closed { "closed" } else { "update" };
            let public = sse_frame(name, &rendered.public);
            let staff = if Arc::ptr_eq(&rendered.public, &rendered.staff) {
                public.clone()
            } else {
                sse_frame(name, &rendered.staff)
            };
            let _ = poll.sender.send(LiveEvent { public, staff, ends_stream: false });
            if let Some(due) = comparison_due
                && !poll.comparison_pending.swap(true, Ordering::AcqRel)
            {
                let poll = poll.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(due).await;
                    poll.comparison_pending.store(false, Ordering::Release);
                    schedule_update(poll);
                });
            }
        }
        Err(e) => tracing::error!(error = %e, "rendering live results"),
    }
}

/// What `ensure_tally` found.
#[derive(PartialEq, Eq)]
enum TallyState {
    /// Loaded before: current up to the announcements already added.
    Kept,
    /// Read from the database just now: watchers have not seen it yet.
    Loaded,
    /// The poll is gone or the database failed.
    Missing,
}

/// Makes sure the tally is loaded; reloads it when `fresh` (its announcements may be lost).
async fn ensure_tally(
    db: &DatabaseConnection,
    surveys: &SurveyCache,
    poll: &WatchedPoll,
    poll_id: i32,
    fresh: bool,
) -> TallyState {
    let mut tally = poll.tally.lock().await;
    if tally.as_ref().is_some_and(|t| !t.stale) && !fresh {
        return TallyState::Kept;
    }
    match LiveTally::load(db, surveys, PollKey::Id(poll_id)).await {
        Ok(loaded) => {
            *tally = Some(loaded);
            TallyState::Loaded
        }
        Err(AppError::NotFound(_)) => {
            let _ = poll.sender.send(deleted());
            TallyState::Missing
        }
        Err(e) => {
            tracing::warn!(error = %e, poll_id, "loading live results");
            match tally.as_mut() {
                // The database is away: the last results keep being served, read again later.
                Some(kept) => {
                    kept.stale = true;
                    TallyState::Kept
                }
                None => TallyState::Missing,
            }
        }
    }
}

fn schedule_update(poll: Arc<WatchedPoll>) {
    if poll.broadcast_pending.swap(true, Ordering::AcqRel) {
        return; // a broadcast is already due and will include this change
    }
    tokio::spawn(async move {
        tokio::time::sleep(COALESCE).await;
        // The frame rate follows the audience: while watchers are still taking the previous
        // frame (thousands of sockets to write), wait for them — up to a bound, so one stalled
        // client cannot hold everyone back — rather than queue frames faster than they go out.
        let deadline = tokio::time::Instant::now() + MAX_DRAIN_WAIT;
        while !poll.sender.is_empty() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        poll.broadcast_pending.store(false, Ordering::Release);
        send_results(&poll, false).await;
    });
}

async fn on_event(db: &DatabaseConnection, surveys: &SurveyCache, live: &LivePolls, event: PollEvent) {
    let poll_id = event.poll_id();
    let Some(poll) = live.watched(poll_id) else { return };
    match event {
        PollEvent::Deleted { .. } => {
            let _ = poll.sender.send(deleted());
        }
        PollEvent::Opened { .. } | PollEvent::Closed { .. } => {
            let is_open = matches!(event, PollEvent::Opened { .. });
            if let Some(tally) = poll.tally.lock().await.as_mut() {
                tally.set_open(is_open);
            }
            // Read again: opening draws a new join code, closing frees it.
            if ensure_tally(db, surveys, &poll, poll_id, true).await != TallyState::Missing {
                if is_open {
                    schedule_update(poll);
                } else {
                    send_results(&poll, true).await;
                }
            }
        }
        // A question hidden or revealed, a word hidden, answers reset, questions replaced: read
        // again, and every screen hears it with the next frame.
        PollEvent::Changed { .. } | PollEvent::Edited { .. } => {
            if ensure_tally(db, surveys, &poll, poll_id, true).await != TallyState::Missing {
                schedule_update(poll);
            }
        }
        // The presenter moved on: every phone follows with the next frame (nothing to read).
        PollEvent::Paced { current, voting_open, .. } => {
            if let Some(tally) = poll.tally.lock().await.as_mut() {
                tally.set_current(current, voting_open);
            }
            if ensure_tally(db, surveys, &poll, poll_id, false).await != TallyState::Missing {
                schedule_update(poll);
            }
        }
        PollEvent::Voted { ballots, .. } => {
            // A freshly loaded tally already holds these ballots (they were committed before the
            // announcement); `add` then skips them by their respondent ids.
            let state = ensure_tally(db, surveys, &poll, poll_id, false).await;
            if state == TallyState::Missing {
                return;
            }
            let added = poll.tally.lock().await.as_mut().is_some_and(|t| {
                let mut added = false;
                for ballot in &ballots {
                    added |= t.add(ballot);
                }
                added
            });
            if added || state == TallyState::Loaded {
                schedule_update(poll);
            }
        }
    }
}

/// Reacts to poll announcements until the event source closes.
pub fn spawn(
    live: Arc<LivePolls>,
    db: DatabaseConnection,
    surveys: Arc<SurveyCache>,
    mut events: broadcast::Receiver<DbEvent>,
) {
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(DbEvent::Notification { channel, payload }) if channel == POLL_EVENTS_CHANNEL => {
                    match payload.parse::<PollEvent>() {
                        Ok(event) => on_event(&db, &surveys, &live, event).await,
                        Err(e) => tracing::warn!(error = %e, "ignoring a poll announcement"),
                    }
                }
                Ok(DbEvent::Notification { .. }) => {}
                // Announcements may have been missed: read every watched poll again.
                Ok(DbEvent::Reconnected) | Err(RecvError::Lagged(_)) => {
                    for (poll_id, poll) in live.all_watched() {
                        if ensure_tally(&db, &surveys, &poll, poll_id, true).await == TallyState::Loaded {
                            schedule_update(poll);
                        }
                    }
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
}

/// The poll's results as JSON for `audience`: from the tally that live updates keep (loading it
/// if needed), so that a crowd of watchers arriving at once costs one read of the database and
/// one rendering, not one each.
async fn current_results(
    db: &DatabaseConnection,
    surveys: &SurveyCache,
    live: &LivePolls,
    poll_id: i32,
    audience: Audience,
) -> Result<Arc<str>, AppError> {
    let internal = |e: serde_json::Error| AppError::Internal(e.to_string());
    if let Some(poll) = live.watched(poll_id) {
        ensure_tally(db, surveys, &poll, poll_id, false).await;
        if let Some(tally) = poll.tally.lock().await.as_mut() {
            let rendered = tally.json().map_err(internal)?;
            return Ok(if audience == Audience::Staff { rendered.staff } else { rendered.public });
        }
    }
    // No tally (the poll is gone, or the database failed): the database answers, or says why.
    let results: PollResults = results(db, surveys, PollKey::Id(poll_id)).await?;
    let results = if audience == Audience::Staff { results } else { results.for_public() };
    Ok(serde_json::to_string(&results).map_err(internal)?.into())
}

/// The public results this process's live tally holds for `slug` — it keeps one while someone
/// watches the poll, current to the last announcement: what `GET …/results` answers while the
/// database is unavailable.
pub async fn tallied_results(live: &LivePolls, slug: &str) -> Option<Arc<str>> {
    for (_, poll) in live.all_watched() {
        let mut tally = poll.tally.lock().await;
        // A draft's tally (a staff member watching it) is nobody else's business.
        if let Some(tally) = tally.as_mut().filter(|t| t.slug() == slug && t.opened_before()) {
            return tally.json().ok().map(|rendered| rendered.public);
        }
    }
    None
}

/// A staff stream's session, checked again as the stream goes on: the stream ends with the
/// session (logout, a password change, the account deactivated), by the next frame or heartbeat.
pub struct StaffSession {
    pub db: DatabaseConnection,
    pub token: String,
}

/// How often, at most, a staff stream asks the database whether its session still holds.
const SESSION_CHECK_EVERY: Duration = Duration::from_secs(1);

impl StaffSession {
    /// Whether the session still holds (a database that does not answer keeps the stream going:
    /// an outage is no logout).
    async fn holds(&self) -> bool {
        !matches!(crate::auth::session::account_of(&self.db, &self.token).await, Ok(None))
    }
}

/// The body of a live-results stream: `snapshot` first, then each shared frame as it comes, with
/// a `: heartbeat` comment in every silence of `heartbeat`; it ends when the poll is deleted, the
/// server shuts down or (staff) the session ends.
///
/// # Errors
/// No such poll (404), database failure.
pub async fn results_stream(
    permit: StreamPermit,
    db: &DatabaseConnection,
    surveys: &SurveyCache,
    live: &LivePolls,
    (poll_id, audience): (i32, Audience),
    heartbeat: Duration,
    session: Option<StaffSession>,
) -> Result<Body, AppError> {
    // Subscribe first, then read: an update between the two is not lost, at worst repeated.
    let receiver = live.subscribe(poll_id);
    let first = sse_frame("snapshot", &current_results(db, surveys, live, poll_id, audience).await?);
    // Frames are shared `Bytes`, written as they are: one formatting per update, not per watcher.
    let events = futures_util::stream::unfold((Some(first), Some(receiver)), move |(first, receiver)| async move {
        if let Some(frame) = first {
            return Some((frame, (None, receiver)));
        }
        let mut receiver = receiver?;
        loop {
            match receiver.recv().await {
                Ok(event) if event.ends_stream => return Some((event.frame(audience), (None, None))),
                Ok(event) => return Some((event.frame(audience), (None, Some(receiver)))),
                // Missed some: the next update carries the full results anyway.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
    });
    let start = tokio::time::Instant::now() + heartbeat;
    let heartbeats =
        futures_util::stream::unfold(tokio::time::interval_at(start, heartbeat), |mut interval| async move {
            interval.tick().await;
            Some((Bytes::from_static(b": heartbeat\n\n"), interval))
        });
    // The stream ends when the events do (a `None` marks it); heartbeats only fill the silences.
    let events = events.map(Some).chain(futures_util::stream::once(std::future::ready(None)));
    let stream = futures_util::stream::select(events, heartbeats.map(Some))
        .take_while(|frame| std::future::ready(frame.is_some()))
        .map(Option::unwrap_or_default)
        // The stream holds its place in the per-address count until it ends.
        .map(move |frame| {
            let _held = &permit;
            frame
        });
    // Before each frame or heartbeat (at most once a second), a staff stream's session is asked
    // about again.
    let guard = session.map(|session| Arc::new((session, Mutex::new(std::time::Instant::now()))));
    let stream = stream.take_while(move |_| {
        let guard = guard.clone();
        async move {
            let Some(guard) = guard else { return true };
            let (session, checked) = guard.as_ref();
            {
                let mut checked = checked.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if checked.elapsed() < SESSION_CHECK_EVERY {
                    return true;
                }
                *checked = std::time::Instant::now();
            }
            session.holds().await
        }
    });
    Ok(Body::from_stream(stream.map(Ok::<_, Infallible>)))
}
