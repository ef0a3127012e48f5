//! Live results over Server-Sent Events. Each process keeps, per poll that someone is watching, a
//! broadcast channel. When PostgreSQL announces a vote (from any process), the results are
//! recomputed from the database — at most once per `COALESCE` window however many votes arrive —
//! and sent to every watcher. Nothing here is the source of truth: it can be dropped at any time.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::sync::broadcast;

use super::POLL_EVENTS_CHANNEL;
use super::results::results;
use super::service::PollKey;
use crate::notifications::DbEvent;
use crate::surveys::cache::SurveyCache;

/// Votes arriving within this window share one recomputation.
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

struct WatchedPoll {
    sender: broadcast::Sender<LiveEvent>,
    recompute_pending: AtomicBool,
}

#[derive(Default)]
pub struct LivePolls {
    watched: Mutex<HashMap<i32, Arc<WatchedPoll>>>,
}

impl LivePolls {
    /// Starts watching `poll_id`; events come after this call.
    pub fn subscribe(&self, poll_id: i32) -> broadcast::Receiver<LiveEvent> {
        let mut watched = self.watched.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Forget polls nobody watches any more.
        watched.retain(|_, w| w.sender.receiver_count() > 0);
        watched
            .entry(poll_id)
            .or_insert_with(|| {
                Arc::new(WatchedPoll { sender: broadcast::channel(64).0, recompute_pending: AtomicBool::new(false) })
            })
            .sender
            .subscribe()
    }

    fn watched(&self, poll_id: i32) -> Option<Arc<WatchedPoll>> {
        let watched = self.watched.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        watched.get(&poll_id).filter(|w| w.sender.receiver_count() > 0).cloned()
    }

    fn all_watched(&self) -> Vec<i32> {
        let watched = self.watched.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        watched.iter().filter(|(_, w)| w.sender.receiver_count() > 0).map(|(id, _)| *id).collect()
    }
}

async fn broadcast_results(db: &DatabaseConnection, surveys: &SurveyCache, poll: &WatchedPoll, poll_id: i32, closed: bool) {
    match results(db, surveys, PollKey::Id(poll_id)).await {
        Ok(body) => match serde_json::to_string(&body) {
            Ok(json) => {
                let frame = sse_frame(if closed { "closed" } else { "update" }, &json);
                let _ = poll.sender.send(LiveEvent { frame, ends_stream: false });
            }
            Err(e) => tracing::error!(error = %e, poll_id, "rendering live results"),
        },
        Err(crate::AppError::NotFound(_)) => {
            let _ = poll.sender.send(deleted());
        }
        Err(e) => tracing::warn!(error = %e, poll_id, "recomputing live results"),
    }
}

/// Reacts to poll announcements until the event source closes.
pub fn spawn(live: Arc<LivePolls>, db: DatabaseConnection, surveys: Arc<SurveyCache>, mut events: broadcast::Receiver<DbEvent>) {
    tokio::spawn(async move {
        loop {
            let (poll_ids, kind) = match events.recv().await {
                Ok(DbEvent::Notification { channel, payload }) if channel == POLL_EVENTS_CHANNEL => {
                    let mut parts = payload.split(' ');
                    let Some(id) = parts.next().and_then(|id| id.parse::<i32>().ok()) else { continue };
                    (vec![id], parts.next().unwrap_or("vote").to_owned())
                }
                Ok(DbEvent::Notification { .. }) => continue,
                // Announcements may have been missed: refresh everything watched.
                Ok(DbEvent::Reconnected) | Err(broadcast::error::RecvError::Lagged(_)) => (live.all_watched(), "vote".to_owned()),
                Err(broadcast::error::RecvError::Closed) => return,
            };
            for poll_id in poll_ids {
                let Some(poll) = live.watched(poll_id) else { continue };
                match kind.as_str() {
                    "deleted" => {
                        let _ = poll.sender.send(deleted());
                    }
                    "closed" => broadcast_results(&db, &surveys, &poll, poll_id, true).await,
                    _ => {
                        if poll.recompute_pending.swap(true, Ordering::AcqRel) {
                            continue; // a recomputation is already due and will include this vote
                        }
                        let (db, surveys) = (db.clone(), surveys.clone());
                        tokio::spawn(async move {
                            tokio::time::sleep(COALESCE).await;
                            poll.recompute_pending.store(false, Ordering::Release);
                            broadcast_results(&db, &surveys, &poll, poll_id, false).await;
                        });
                    }
                }
            }
        }
    });
}
