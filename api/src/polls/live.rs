//! Live results over Server-Sent Events. Each process keeps, per poll that someone is watching, a
//! tally seeded from PostgreSQL (counts and the ids of the respondents counted, read in one
//! consistent snapshot) and a broadcast channel. Each vote's announcement (NOTIFY, from any
//! process) carries the ballot: it is added to the tally unless its respondent is already counted,
//! and the results go out to every watcher — at most once per `COALESCE` window. On start-up, or
//! when the listener had to reconnect (announcements may be lost), tallies are read again from
//! the database: nothing here is the source of truth.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::{AccessMode, ConnectionTrait, DatabaseConnection, IsolationLevel, Statement, TransactionTrait};
use tokio::sync::broadcast;

use super::POLL_EVENTS_CHANNEL;
use super::model::PollResults;
use super::results::{assemble, counts, groups_of};
use super::service::{PollKey, find};
use crate::AppError;
use crate::notifications::DbEvent;
use crate::surveys::cache::SurveyCache;

/// Votes arriving within this window share one broadcast.
const COALESCE: Duration = Duration::from_millis(20);

/// A Server-Sent Events frame, formatted once and shared by every watcher (no copy per watcher).
#[derive(Debug, Clone)]
pub struct LiveEvent {
    pub frame: bytes::Bytes,
    /// The last frame of a stream (`closed` for a deleted poll).
    pub ends_stream: bool,
}

/// `event: <name>` and one `data:` line (JSON has no raw newlines), then a blank line.
pub fn sse_frame(name: &str, json: &str) -> bytes::Bytes {
    bytes::Bytes::from(format!("event: {name}\ndata: {json}\n\n"))
}

fn deleted() -> LiveEvent {
    LiveEvent { frame: sse_frame("closed", r#"{"deleted":true}"#), ends_stream: true }
}

/// Results kept current by adding ballots.
struct LiveTally {
    results: PollResults,
    counted: HashSet<i64>,
    question_of: HashMap<String, usize>,
    /// Per question: catalog response index → position among the offered responses.
    offered_position: Vec<HashMap<i16, usize>>,
    /// Split question's response index → group position.
    group_of: HashMap<i16, usize>,
}

/// One ballot from an announcement.
struct Ballot {
    respondent_id: i64,
    split_index: i16,
    answers: Vec<(String, i16)>,
}

fn parse_ballot(rest: &str) -> Option<Ballot> {
    let mut parts = rest.split(' ');
    let respondent_id = parts.next()?.parse().ok()?;
    let split_index = parts.next()?.parse().ok()?;
    let answers = parts
        .next()?
        .split(',')
        .map(|pair| pair.split_once(':').and_then(|(v, i)| Some((v.to_owned(), i.parse().ok()?))))
        .collect::<Option<Vec<_>>>()?;
    Some(Ballot { respondent_id, split_index, answers })
}

impl LiveTally {
    /// Counts, respondent ids and the poll, in one read-only repeatable-read snapshot.
    async fn load(db: &DatabaseConnection, surveys: &SurveyCache, poll_id: i32) -> Result<Self, AppError> {
        let snapshot = surveys.get(db).await?;
        let txn = db.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly)).await?;
        let poll = find(&txn, PollKey::Id(poll_id)).await?;
        let counts = counts(&txn, &poll).await?;
        let ids = txn
            .query_all_raw(Statement::from_sql_and_values(
                sea_orm::DbBackend::Postgres,
                "SELECT id FROM polls.respondents WHERE poll_id = $1",
                [poll_id.into()],
            ))
            .await?;
        txn.commit().await?;
        let counted = ids.iter().map(|r| r.try_get("", "id")).collect::<Result<HashSet<i64>, _>>()?;
        let (_, group_of) = groups_of(&snapshot, &poll);
        let question_of = poll.questions.iter().enumerate().map(|(i, (v, _))| (v.clone(), i)).collect();
        let offered_position =
            poll.questions.iter().map(|(_, offered)| offered.iter().enumerate().map(|(p, &k)| (k, p)).collect()).collect();
        let results = assemble(db, &snapshot, &poll, counts).await?;
        Ok(Self { results, counted, question_of, offered_position, group_of })
    }

    /// Adds a ballot unless its respondent is already counted; says whether it changed anything.
    fn add(&mut self, ballot: &Ballot) -> bool {
        if !self.counted.insert(ballot.respondent_id) {
            return false;
        }
        self.results.respondents += 1;
        let group = self.group_of.get(&ballot.split_index).copied();
        for (var_name, index) in &ballot.answers {
            let Some(&q) = self.question_of.get(var_name) else { continue };
            let Some(&position) = self.offered_position[q].get(index) else { continue };
            let question = &mut self.results.questions[q];
            question.overall.add_one(position);
            if let Some(group) = group.and_then(|g| question.groups.get_mut(g)) {
                group.tally.add_one(position);
            }
        }
        true
    }
}

struct WatchedPoll {
    sender: broadcast::Sender<LiveEvent>,
    tally: tokio::sync::Mutex<Option<LiveTally>>,
    broadcast_pending: AtomicBool,
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

/// Sends the tally's results as `update` or `closed`.
async fn send_results(poll: &WatchedPoll, closed: bool) {
    let tally = poll.tally.lock().await;
    let Some(tally) = tally.as_ref() else { return };
    match serde_json::to_string(&tally.results) {
        Ok(json) => {
            let frame = sse_frame(if closed { "closed" } else { "update" }, &json);
            let _ = poll.sender.send(LiveEvent { frame, ends_stream: false });
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
async fn ensure_tally(db: &DatabaseConnection, surveys: &SurveyCache, poll: &WatchedPoll, poll_id: i32, fresh: bool) -> TallyState {
    let mut tally = poll.tally.lock().await;
    if tally.is_some() && !fresh {
        return TallyState::Kept;
    }
    match LiveTally::load(db, surveys, poll_id).await {
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
            *tally = None;
            TallyState::Missing
        }
    }
}

fn schedule_update(poll: Arc<WatchedPoll>) {
    if poll.broadcast_pending.swap(true, Ordering::AcqRel) {
        return; // a broadcast is already due and will include this change
    }
    tokio::spawn(async move {
        tokio::time::sleep(COALESCE).await;
        poll.broadcast_pending.store(false, Ordering::Release);
        send_results(&poll, false).await;
    });
}

async fn on_announcement(db: &DatabaseConnection, surveys: &SurveyCache, live: &LivePolls, payload: &str) {
    let Some((id, rest)) = payload.split_once(' ') else { return };
    let Ok(poll_id) = id.parse::<i32>() else { return };
    let Some(poll) = live.watched(poll_id) else { return };
    let (kind, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    match kind {
        "deleted" => {
            let _ = poll.sender.send(deleted());
        }
        "open" | "closed" => {
            if let Some(tally) = poll.tally.lock().await.as_mut() {
                tally.results.is_open = kind == "open";
            }
            if ensure_tally(db, surveys, &poll, poll_id, false).await != TallyState::Missing {
                if kind == "closed" {
                    send_results(&poll, true).await;
                } else {
                    schedule_update(poll);
                }
            }
        }
        "vote" => {
            let Some(ballot) = parse_ballot(rest) else {
                tracing::warn!(payload, "unreadable vote announcement");
                return;
            };
            // A freshly loaded tally already holds this ballot (it was committed before the
            // announcement); `add` then skips it by its respondent id.
            let state = ensure_tally(db, surveys, &poll, poll_id, false).await;
            if state == TallyState::Missing {
                return;
            }
            let added = poll.tally.lock().await.as_mut().is_some_and(|t| t.add(&ballot));
            if added || state == TallyState::Loaded {
                schedule_update(poll);
            }
        }
        _ => {}
    }
}

/// Reacts to poll announcements until the event source closes.
pub fn spawn(live: Arc<LivePolls>, db: DatabaseConnection, surveys: Arc<SurveyCache>, mut events: broadcast::Receiver<DbEvent>) {
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(DbEvent::Notification { channel, payload }) if channel == POLL_EVENTS_CHANNEL => {
                    on_announcement(&db, &surveys, &live, &payload).await;
                }
                Ok(DbEvent::Notification { .. }) => {}
                // Announcements may have been missed: read every watched poll again.
                Ok(DbEvent::Reconnected) | Err(broadcast::error::RecvError::Lagged(_)) => {
                    for (poll_id, poll) in live.all_watched() {
                        if ensure_tally(&db, &surveys, &poll, poll_id, true).await == TallyState::Loaded {
                            schedule_update(poll);
                        }
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    });
}
