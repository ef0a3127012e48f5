//! What a ballot needs to know about its poll — open or closed, its questions and what they take,
//! its pacing and the question open now — served from memory. Loaded on the first ballot for a poll and
//! kept current by the same announcements that drive live results, so every api process behind
//! a load balancer honours a close made by another. The database stays the judge: a batch of
//! ballots re-checks its polls under a lock (see `ballots::writer`), and corrects this cache when
//! it finds it behind.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use sea_orm::DatabaseConnection;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use crate::error::AppError;
use crate::notifications::DbEvent;
use crate::polls::events::{POLL_EVENTS_CHANNEL, PollEvent};
use crate::polls::model::Pacing;
use crate::polls::repository::{self, PollKey, PollQuestion, PollRecord};

/// One poll as ballots see it.
#[derive(Debug)]
pub(crate) struct PollState {
    pub id: i32,
    pub slug: String,
    is_open: AtomicBool,
    /// Whether it has ever opened: one that has not is a draft, which the public is not shown.
    opened_before: AtomicBool,
    /// In the poll's order: a ballot's choices are given by position.
    pub questions: Vec<PollQuestion>,
    pub pacing: Pacing,
    /// A presenter-paced poll's current question and whether it takes answers, as one value
    /// (`position × 2 + open`, −1 for none) so that both change together.
    current: AtomicI32,
}

fn encode_current(current: Option<i16>, voting_open: bool) -> i32 {
    current.map_or(-1, |c| i32::from(c) * 2 + i32::from(voting_open))
}

impl PollState {
    fn of(record: PollRecord) -> Self {
        let pacing = record.pacing();
        let current = encode_current(record.poll.current_question, record.poll.current_question_open);
        Self {
            id: record.poll.id,
            slug: record.poll.slug,
            is_open: AtomicBool::new(record.poll.is_open),
            opened_before: AtomicBool::new(record.poll.first_opened_at.is_some()),
            questions: record.questions,
            pacing,
            current: AtomicI32::new(current),
        }
    }

    pub(crate) fn is_open(&self) -> bool {
        self.is_open.load(Ordering::Acquire)
    }

    /// Whether the poll has ever opened (a draft has not).
    pub(crate) fn opened_before(&self) -> bool {
        self.opened_before.load(Ordering::Acquire)
    }

    /// A presenter-paced poll's current question, and whether it takes answers.
    pub(crate) fn current(&self) -> (Option<i16>, bool) {
        let value = self.current.load(Ordering::Acquire);
        if value < 0 { (None, false) } else { (i16::try_from(value / 2).ok(), value % 2 == 1) }
    }

    /// What the database found when it judged a batch, or a `paced` announcement said.
    pub(crate) fn set_current(&self, current: Option<i16>, voting_open: bool) {
        self.current.store(encode_current(current, voting_open), Ordering::Release);
    }
}

#[derive(Default)]
pub(crate) struct PollStates {
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
    pub(crate) async fn get(&self, db: &DatabaseConnection, slug: &str) -> Result<Arc<PollState>, AppError> {
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

    /// The poll with this slug if it is in memory (no database read).
    pub(crate) fn cached(&self, slug: &str) -> Option<Arc<PollState>> {
        self.read().get(slug).cloned()
    }

    /// What the database found when it judged a batch: the poll is closed or gone.
    pub(crate) fn correct(&self, poll_id: i32, found: Option<bool>) {
        self.changes.fetch_add(1, Ordering::AcqRel);
        match found {
            Some(is_open) => self.read().values().filter(|s| s.id == poll_id).for_each(|s| {
                s.is_open.store(is_open, Ordering::Release);
                if is_open {
                    s.opened_before.store(true, Ordering::Release);
                }
            }),
            None => self.write().retain(|_, s| s.id != poll_id),
        }
    }

    /// A presenter-paced poll's current question as the database or an announcement says.
    pub(crate) fn correct_current(&self, poll_id: i32, current: Option<i16>, voting_open: bool) {
        self.read().values().filter(|s| s.id == poll_id).for_each(|s| s.set_current(current, voting_open));
    }

    fn apply(&self, event: &PollEvent) {
        match *event {
            // Opening a presenter-paced poll that had not started is also announced as `paced`.
            PollEvent::Opened { poll_id } => self.correct(poll_id, Some(true)),
            PollEvent::Deleted { poll_id } | PollEvent::Edited { poll_id } => self.correct(poll_id, None),
            PollEvent::Closed { poll_id } => self.correct(poll_id, Some(false)),
            PollEvent::Paced { poll_id, current, voting_open, .. } => {
                self.changes.fetch_add(1, Ordering::AcqRel);
                self.correct_current(poll_id, current, voting_open);
            }
            PollEvent::Voted { .. } | PollEvent::Changed { .. } | PollEvent::Joined { .. } | PollEvent::Qa { .. } => {}
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

/// Keeps `states` current with the announcements until the event source closes (a background
/// task: the state owns it).
pub(crate) async fn follow(states: Arc<PollStates>, mut events: broadcast::Receiver<DbEvent>) {
    {
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
    }
}
