//! Live results over Server-Sent Events (protocol v2). Each process keeps, per poll that someone
//! is watching, a [`LiveTally`] and a [`FanOut`] of its frames. Each vote's announcement (NOTIFY,
//! from any process) carries the ballot: its answers are added to the tally unless already
//! counted, and a frame goes out to every watcher — [`pacing`]'s floor (20 ms) after the news and
//! after the last frame, once most watchers have taken that one. A watcher gets `snapshot` (the
//! whole results) when it connects, and then `delta` frames: only what changed since the previous
//! frame (`delta`), which it can apply when it holds that frame — one that does not (it missed
//! frames: a slow reader takes only the newest) is written the new frame's snapshot instead.
//! Anything but new answers (a reveal, a hidden word, opening, a presenter's move) sends a
//! snapshot to everyone; every frame of a closed poll is `closed`. Every frame's `id:` is the poll's [`Version`], comparable across
//! processes: a watcher reconnecting with `Last-Event-ID` is never served older counts. On
//! start-up, or when the listener had to reconnect (announcements may be lost), tallies are read
//! again from the database: nothing here is the source of truth.

pub(crate) mod delta;
pub(crate) mod fan_out;
pub(crate) mod frames;
pub(crate) mod pacing;
pub(crate) mod stream;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use crate::error::AppError;
use crate::notifications::DbEvent;
use crate::polls::events::{POLL_EVENTS_CHANNEL, PollEvent};
use crate::polls::live::fan_out::{FanOut, LatestFrame};
use crate::polls::live::frames::{Audience, AudienceFrame, LiveEvent, deleted, sse_frame};
use crate::polls::live::pacing::{Backlog, LastFrame};
use crate::polls::model::PollResults;
use crate::polls::repository::PollKey;
use crate::polls::results::results;
use crate::polls::results::tally::{LiveTally, Version};
use crate::surveys::cache::SurveyCache;

/// The least time between two reads of a poll's tally asked for by resuming watchers (an id
/// from a process that is ahead, or a made-up one).
const RESUME_RELOAD_EVERY: Duration = Duration::from_secs(1);

/// How long a resuming watcher's connection waits for this process's tally to reach the version
/// it had before it is read from the database.
const RESUME_CATCH_UP: Duration = Duration::from_millis(300);

/// The results as each audience last received them, which the next delta is taken from.
struct SentFrame {
    serial: u64,
    version: Version,
    public: serde_json::Value,
    staff: serde_json::Value,
}

/// A poll's frames so far.
#[derive(Default)]
struct Frames {
    /// The last frame (`None`: the next is a snapshot for everyone).
    last: Option<SentFrame>,
    serials: u64,
}

impl Frames {
    /// Records the results as a new frame; returns its serial and the frame it follows.
    fn record(
        &mut self,
        version: Version,
        (public, staff): (serde_json::Value, serde_json::Value),
    ) -> (u64, Option<SentFrame>) {
        self.serials += 1;
        let previous = self.last.replace(SentFrame { serial: self.serials, version, public, staff });
        (self.serials, previous)
    }
}

struct WatchedPoll {
    frames_out: FanOut,
    tally: tokio::sync::Mutex<Option<LiveTally>>,
    /// The frames sent; locked after `tally`.
    frames: Mutex<Frames>,
    broadcast_pending: AtomicBool,
    /// A frame is due to bring the room-vs-nation comparison up to date (one at a time).
    comparison_pending: AtomicBool,
    /// When a watcher's `Last-Event-ID` last made the tally be read again.
    resume_reloaded_at: Mutex<Option<std::time::Instant>>,
    /// When the oldest vote not yet in a frame was announced here (vote → frame lag).
    votes_waiting_since: Mutex<Option<std::time::Instant>>,
    /// When the last frame went out and who has not taken it yet: when the next may go.
    last_frame: LastFrame,
}

#[derive(Default)]
pub(crate) struct LivePolls {
    watched: Mutex<HashMap<i32, Arc<WatchedPoll>>>,
}

impl LivePolls {
    /// Ends every watcher's stream (at shutdown): dropping the senders closes their receivers.
    pub(crate) fn close_all(&self) {
        self.watched.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
    }

    /// Starts watching `poll_id`; frames come after this call.
    pub(crate) fn subscribe(&self, poll_id: i32) -> LatestFrame {
        let mut watched = self.watched.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Forget polls nobody watches any more.
        watched.retain(|_, w| w.frames_out.watchers() > 0);
        watched
            .entry(poll_id)
            .or_insert_with(|| {
                Arc::new(WatchedPoll {
                    frames_out: FanOut::per_worker(),
                    tally: tokio::sync::Mutex::new(None),
                    frames: Mutex::new(Frames::default()),
                    broadcast_pending: AtomicBool::new(false),
                    comparison_pending: AtomicBool::new(false),
                    resume_reloaded_at: Mutex::new(None),
                    votes_waiting_since: Mutex::new(None),
                    last_frame: LastFrame::default(),
                })
            })
            .frames_out
            .subscribe()
    }

    fn watched(&self, poll_id: i32) -> Option<Arc<WatchedPoll>> {
        let watched = self.watched.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        watched.get(&poll_id).filter(|w| w.frames_out.watchers() > 0).cloned()
    }

    fn all_watched(&self) -> Vec<(i32, Arc<WatchedPoll>)> {
        let watched = self.watched.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        watched.iter().filter(|(_, w)| w.frames_out.watchers() > 0).map(|(id, w)| (*id, w.clone())).collect()
    }
}

impl WatchedPoll {
    /// The next frame goes to everyone as a snapshot: something besides counts changed.
    fn snapshot_next(&self) {
        self.frames().last = None;
    }

    /// Whether a watcher resuming from a newer version may make the tally be read again now: at
    /// most once per [`RESUME_RELOAD_EVERY`], so that made-up ids cannot keep the database busy.
    fn resume_reload_due(&self) -> bool {
        let mut at = self.resume_reloaded_at.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if at.is_some_and(|at| at.elapsed() < RESUME_RELOAD_EVERY) {
            return false;
        }
        *at = Some(std::time::Instant::now());
        true
    }

    fn frames(&self) -> std::sync::MutexGuard<'_, Frames> {
        self.frames.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The results for each audience.
fn values(results: &PollResults) -> Result<(serde_json::Value, serde_json::Value), serde_json::Error> {
    let staff = serde_json::to_value(results)?;
    let public = if results.hides_any() { serde_json::to_value(results.for_public())? } else { staff.clone() };
    Ok((public, staff))
}

/// A frame for each audience from the tally's results: `closed` (a snapshot), else a delta from
/// the last frame sent when there was one and a delta can say the change, with the snapshot
/// beside it for watchers that do not hold that frame.
fn render(
    poll: &WatchedPoll,
    results: &PollResults,
    version: Version,
    closed: bool,
) -> Result<LiveEvent, serde_json::Error> {
    let (public, staff) = values(results)?;
    let mut frames = poll.frames();
    let (serial, previous) = frames.record(version, (public.clone(), staff.clone()));
    let deltas = match previous {
        Some(previous) if !closed => {
            match (delta::diff(&previous.public, &public), delta::diff(&previous.staff, &staff)) {
                (Some(public), Some(staff)) => Some((previous, public, staff)),
                _ => None,
            }
        }
        _ => None,
    };
    let name = if closed { "closed" } else { "snapshot" };
    let snapshot = |value: &serde_json::Value| sse_frame(name, Some(version), &value.to_string());
    let delta = |base: &SentFrame, set: &serde_json::Map<String, serde_json::Value>| {
        let body = serde_json::json!({ "base": base.version.to_string(), "set": set });
        sse_frame("delta", Some(version), &body.to_string())
    };
    let public_frame =
        AudienceFrame { delta: deltas.as_ref().map(|(base, set, _)| delta(base, set)), snapshot: snapshot(&public) };
    let staff_frame = if public == staff {
        public_frame.clone()
    } else {
        AudienceFrame { delta: deltas.as_ref().map(|(base, _, set)| delta(base, set)), snapshot: snapshot(&staff) }
    };
    let base = deltas.map(|(base, _, _)| base.serial);
    let backlog = Arc::new(Backlog::new(poll.frames_out.watchers()));
    Ok(LiveEvent { serial, base, public: public_frame, staff: staff_frame, ends_stream: false, backlog })
}

/// Sends the tally's results (a delta, or a snapshot, or `closed`); when the frame kept an old
/// room-vs-nation comparison, schedules the frame that brings it up to date.
async fn send_results(poll: &Arc<WatchedPoll>) {
    let mut tally = poll.tally.lock().await;
    let Some(tally) = tally.as_mut() else { return };
    let started = std::time::Instant::now();
    // Every frame of a closed poll is `closed`, not only the first: a watcher that skips to the
    // newest frame (one that came after the close) still hears it.
    let closed = tally.is_closed();
    let (results, comparison_due) = tally.frame(closed);
    match render(poll, &results, tally.version(), closed) {
        Ok(event) => {
            poll.last_frame.sent(event.backlog.clone());
            poll.frames_out.publish(event);
            metrics::counter!("blw_live_frames_total").increment(1);
            metrics::histogram!("blw_live_fanout_duration_seconds").record(started.elapsed().as_secs_f64());
            let waiting = poll.votes_waiting_since.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
            if let Some(since) = waiting {
                metrics::histogram!("blw_live_vote_to_frame_seconds").record(since.elapsed().as_secs_f64());
            }
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
            poll.snapshot_next();
            TallyState::Loaded
        }
        Err(AppError::NotFound(_)) => {
            poll.frames_out.publish(deleted());
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
        // The frame rate follows the audience: while watchers are still taking the previous
        // frame (thousands of sockets to write), the next waits for them rather than be
        // rendered faster than frames go out.
        let waited = poll.last_frame.next_turn().await;
        metrics::histogram!("blw_live_frame_backlog_wait_seconds").record(waited.as_secs_f64());
        poll.broadcast_pending.store(false, Ordering::Release);
        send_results(&poll).await;
    });
}

async fn on_event(db: &DatabaseConnection, surveys: &SurveyCache, live: &LivePolls, event: PollEvent) {
    let poll_id = event.poll_id();
    let Some(poll) = live.watched(poll_id) else { return };
    match event {
        PollEvent::Deleted { .. } => {
            poll.frames_out.publish(deleted());
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
                    send_results(&poll).await;
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
        PollEvent::Paced { current, voting_open, closes_at, .. } => {
            poll.snapshot_next();
            if let Some(tally) = poll.tally.lock().await.as_mut() {
                let closes_at = closes_at.and_then(chrono::DateTime::from_timestamp_millis).map(|at| at.fixed_offset());
                tally.set_current(current, voting_open, closes_at);
            }
            if ensure_tally(db, surveys, &poll, poll_id, false).await != TallyState::Missing {
                schedule_update(poll);
            }
        }
        // One more joined: the join slide's count and every "N of M answered" follow.
        PollEvent::Joined { joined, .. } => {
            let state = ensure_tally(db, surveys, &poll, poll_id, false).await;
            if state == TallyState::Missing {
                return;
            }
            let news = poll.tally.lock().await.as_mut().is_some_and(|t| t.set_joined(joined));
            if news || state == TallyState::Loaded {
                schedule_update(poll);
            }
        }
        // An audience question asked, voted on or moderated, or the pinned one: every screen
        // follows with the next frame (the change carries the question's state).
        PollEvent::Qa { changes, change, .. } => {
            let state = ensure_tally(db, surveys, &poll, poll_id, false).await;
            if state == TallyState::Missing {
                return;
            }
            let news = poll.tally.lock().await.as_mut().is_some_and(|t| t.apply_qa(changes, change));
            if news || state == TallyState::Loaded {
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
                poll.votes_waiting_since
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .get_or_insert_with(std::time::Instant::now);
                schedule_update(poll);
            }
        }
    }
}

/// Reacts to poll announcements until the event source closes (a background task: the state
/// owns it).
pub(crate) async fn follow_announcements(
    live: Arc<LivePolls>,
    db: DatabaseConnection,
    surveys: Arc<SurveyCache>,
    mut events: broadcast::Receiver<DbEvent>,
) {
    {
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
    }
}

/// The poll's results as JSON for `audience`: from the tally that live updates keep (loading it
/// if needed), so that a crowd of watchers arriving at once costs one read of the database and
/// one rendering, not one each.
/// With its version when it comes from the tally. A watcher that has seen a newer version
/// (`seen`: its `Last-Event-ID`, from this or another process) makes the tally be read again
/// first, so that it is never served older counts than it had.
pub(crate) async fn current_results(
    db: &DatabaseConnection,
    surveys: &SurveyCache,
    live: &LivePolls,
    (poll_id, audience): (i32, Audience),
    seen: Option<Version>,
) -> Result<Option<Current>, AppError> {
    let internal = |e: serde_json::Error| AppError::internal_caused("rendering results", e);
    if let Some(poll) = live.watched(poll_id) {
        ensure_tally(db, surveys, &poll, poll_id, false).await;
        if let Some(seen) = seen
            && !caught_up(db, surveys, &poll, poll_id, seen).await
        {
            return Ok(None);
        }
        if let Some(tally) = poll.tally.lock().await.as_mut() {
            // No frame since the tally was (re)read: this rendering becomes the first, which the
            // next frame's delta applies to. Otherwise the watcher's first frame is a snapshot.
            let mut frames = poll.frames();
            if frames.last.is_none() {
                let (public, staff) = values(&tally.results()).map_err(internal)?;
                let json = if audience == Audience::Staff { staff.to_string() } else { public.to_string() };
                let (serial, _) = frames.record(tally.version(), (public, staff));
                let (version, held) = (Some(tally.version()), Some(serial));
                return Ok(Some(Current { json: json.into(), version, held, skip_through: serial }));
            }
            let skip_through = frames.serials;
            drop(frames);
            let rendered = tally.json().map_err(internal)?;
            let json = if audience == Audience::Staff { rendered.staff } else { rendered.public };
            return Ok(Some(Current { json, version: Some(tally.version()), held: None, skip_through }));
        }
    }
    // No tally (the poll is gone, or the database failed): the database answers, or says why.
    let results: PollResults = results(db, surveys, PollKey::Id(poll_id)).await?;
    let results = if audience == Audience::Staff { results } else { results.for_public() };
    let json = serde_json::to_string(&results).map_err(internal)?.into();
    Ok(Some(Current { json, version: None, held: None, skip_through: 0 }))
}

/// Whether the tally holds at least version `seen`, which a resuming watcher had (no total may go
/// down for it). It normally has within milliseconds (announcements from the process that served
/// `seen` are on their way): it is given [`RESUME_CATCH_UP`], then read from the database — at
/// most once per [`RESUME_RELOAD_EVERY`], so made-up ids cannot keep the database busy — and
/// what the database says stands even when older (the id was made up, or the poll restored).
/// `false`: not confirmed (a read refused or failed); the watcher is asked to come back.
async fn caught_up(
    db: &DatabaseConnection,
    surveys: &SurveyCache,
    poll: &Arc<WatchedPoll>,
    poll_id: i32,
    seen: Version,
) -> bool {
    let deadline = tokio::time::Instant::now() + RESUME_CATCH_UP;
    loop {
        let behind = poll.tally.lock().await.as_ref().is_some_and(|tally| !tally.version().covers(seen));
        if !behind {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    if poll.resume_reload_due() && ensure_tally(db, surveys, poll, poll_id, true).await == TallyState::Loaded {
        schedule_update(poll.clone());
        return true;
    }
    false
}

/// A new watcher's first frame: the results, their version and the frame serial they are.
pub(crate) struct Current {
    json: Arc<str>,
    version: Option<Version>,
    /// The frame these results are, when a delta may follow them.
    held: Option<u64>,
    /// Frames up to this one were rendered before these results were read: older, not to be sent
    /// after them (a total must not go down).
    skip_through: u64,
}

/// The public results this process's live tally holds for `slug` — it keeps one while someone
/// watches the poll, current to the last announcement: what `GET …/results` answers while the
/// database is unavailable.
pub(crate) async fn tallied_results(live: &LivePolls, slug: &str) -> Option<Arc<str>> {
    for (_, poll) in live.all_watched() {
        let mut tally = poll.tally.lock().await;
        // A draft's tally (a staff member watching it) is nobody else's business.
        if let Some(tally) = tally.as_mut().filter(|t| t.slug() == slug && t.opened_before()) {
            return tally.json().ok().map(|rendered| rendered.public);
        }
    }
    None
}
