//! What a ballot needs to know about its poll — open or closed, its questions and offered
//! responses, its split question — served from memory. Loaded on the first ballot for a poll and
//! kept current by the same announcements that drive live results, so every api process behind
//! a load balancer honours a close made by another. The database stays the judge: a batch of
//! ballots re-checks its polls under a lock (see `ballot_writer`), and corrects this cache when
//! it finds it behind.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use sea_orm::DatabaseConnection;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use super::events::{POLL_EVENTS_CHANNEL, PollEvent};
use super::repository::{self, OfferedQuestion, PollKey, PollRecord};
use crate::AppError;
use crate::notifications::DbEvent;

/// One poll as ballots see it.
#[derive(Debug)]
pub struct PollState {
    pub id: i32,
    pub slug: String,
    is_open: AtomicBool,
    /// In the poll's order: a ballot's choices are given by position.
    pub questions: Vec<OfferedQuestion>,
    /// Position of the split question among `questions`.
    pub split_position: Option<usize>,
}

impl PollState {
    fn of(record: PollRecord) -> Self {
        let split_position =
            record.poll.split_by.as_ref().and_then(|s| record.questions.iter().position(|q| &q.var_name == s));
        Self {
            id: record.poll.id,
            slug: record.poll.slug,
            is_open: AtomicBool::new(record.poll.is_open),
            questions: record.questions,
            split_position,
        }
    }

    pub fn is_open(&self) -> bool {
        self.is_open.load(Ordering::Acquire)
    }
}

#[derive(Default)]
pub struct PollStates {
    by_slug: RwLock<HashMap<String, Arc<PollState>>>,
    /// Bumped by every change heard: a poll read from the database while it moved is used for
    /// that one request but not kept (it may already be stale).
    changes: AtomicU64,
}

impl PollStates {
    /// The poll with this slug, from memory or else from the database.
    ///
    /// # Errors
    /// No such poll (404), database failure.
    pub async fn get(&self, db: &DatabaseConnection, slug: &str) -> Result<Arc<PollState>, AppError> {
        if let Some(state) = self.read().get(slug) {
            return Ok(state.clone());
        }
        let before = self.changes.load(Ordering::Acquire);
        let state = Arc::new(PollState::of(repository::find(db, PollKey::Slug(slug)).await?));
        let mut by_slug = self.write();
        if self.changes.load(Ordering::Acquire) == before {
            return Ok(by_slug.entry(slug.to_owned()).or_insert(state).clone());
        }
        Ok(state)
    }

    /// What the database found when it judged a batch: the poll is closed or gone.
    pub fn correct(&self, poll_id: i32, found: Option<bool>) {
        self.changes.fetch_add(1, Ordering::AcqRel);
        match found {
            Some(is_open) => self
                .read()
                .values()
                .filter(|s| s.id == poll_id)
                .for_each(|s| s.is_open.store(is_open, Ordering::Release)),
            None => self.write().retain(|_, s| s.id != poll_id),
        }
    }

    fn apply(&self, event: &PollEvent) {
        match *event {
            PollEvent::Opened { poll_id } => self.correct(poll_id, Some(true)),
            PollEvent::Closed { poll_id } => self.correct(poll_id, Some(false)),
            PollEvent::Deleted { poll_id } => self.correct(poll_id, None),
            PollEvent::Voted { .. } | PollEvent::Changed { .. } => {}
        }
    }

    /// Forgets everything (announcements may have been missed).
    fn clear(&self) {
        self.changes.fetch_add(1, Ordering::AcqRel);
        self.write().clear();
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Arc<PollState>>> {
        self.by_slug.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Arc<PollState>>> {
        self.by_slug.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Keeps `states` current with the announcements until the event source closes.
pub fn follow(states: Arc<PollStates>, mut events: broadcast::Receiver<DbEvent>) {
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(DbEvent::Notification { channel, payload }) if channel == POLL_EVENTS_CHANNEL => {
                    // Votes are the bulk of the traffic and change nothing here: skip reading them.
                    if !PollEvent::announces_votes(&payload)
                        && let Ok(event) = payload.parse::<PollEvent>()
                    {
                        states.apply(&event);
                    }
                }
                Ok(DbEvent::Notification { .. }) => {}
                Ok(DbEvent::Reconnected) | Err(RecvError::Lagged(_)) => states.clear(),
                Err(RecvError::Closed) => return,
            }
        }
    });
}
