//! A poll's audience questions as every process holds them: read with the poll's results, kept
//! current by the announced changes (in the order PostgreSQL delivers them: every process holds
//! the same list after the same number of changes).

use std::collections::{HashMap, HashSet};

use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement};

use crate::error::AppError;
use crate::polls::events::QaChange;
use crate::polls::kinds::words::is_blocked;
use crate::polls::model::{AudienceQuestionState, AudienceQuestionView, QaMode, QaResults, Review};

/// Approved questions a public body carries: the most voted, and the newest.
const MOST_VOTED: usize = 50;
const NEWEST: usize = 20;
/// Waiting and hidden questions in a staff body.
const QUEUED: usize = 100;
const HIDDEN: usize = 50;

/// The columns [`state_of`] reads, as SQL.
pub(crate) const STATE_COLUMNS: &str = "id, text, display_name, review, answered_at IS NOT NULL AS answered, votes, \
     (extract(epoch FROM asked_at) * 1000)::bigint AS asked_at";

/// A question row as announcements carry it.
///
/// # Errors
/// A column missing or of another type (a server fault).
pub(crate) fn state_of(row: &QueryResult) -> Result<AudienceQuestionState, AppError> {
    let review: String = row.try_get("", "review")?;
    Ok(AudienceQuestionState {
        id: row.try_get("", "id")?,
        text: row.try_get("", "text")?,
        display_name: row.try_get("", "display_name")?,
        review: Review::named(&review).ok_or_else(|| AppError::internal(format!("unknown review '{review}'")))?,
        answered: row.try_get("", "answered")?,
        votes: row.try_get("", "votes")?,
        asked_at: row.try_get("", "asked_at")?,
    })
}

#[derive(Debug, Clone, Default)]
pub(crate) struct QaBoard {
    pub mode: QaMode,
    /// How many Q&A changes the poll has had (what the live version counts).
    pub changes: i64,
    pub pinned: Option<i64>,
    questions: HashMap<i64, AudienceQuestionState>,
    /// Questions whose text the blocklist matches: checked once, when a question first comes (its
    /// text never changes), not at every frame.
    blocked: HashSet<i64>,
}

impl QaBoard {
    /// The poll's questions, its change count and pinned question.
    ///
    /// # Errors
    /// Database failure.
    pub(crate) async fn load<C: ConnectionTrait>(db: &C, poll_id: i32, mode: QaMode) -> Result<Self, AppError> {
        let board = db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT changes, pinned FROM polls.qa_boards WHERE poll_id = $1",
                [poll_id.into()],
            ))
            .await?;
        let (changes, pinned) = match board {
            Some(row) => (row.try_get("", "changes")?, row.try_get("", "pinned")?),
            None => (0, None),
        };
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                format!("SELECT {STATE_COLUMNS} FROM polls.audience_questions WHERE poll_id = $1"),
                [poll_id.into()],
            ))
            .await?;
        let mut board = Self { mode, changes, pinned, ..Self::default() };
        for row in &rows {
            board.hold(state_of(row)?);
        }
        Ok(board)
    }

    /// A question as it stands now.
    fn hold(&mut self, state: AudienceQuestionState) {
        if !self.questions.contains_key(&state.id) && is_blocked(&state.text) {
            self.blocked.insert(state.id);
        }
        self.questions.insert(state.id, state);
    }

    /// Applies the poll's `changes`-th change; says by how many changes the board moved (0: it
    /// held this one already, as a fresh load may).
    pub(crate) fn apply(&mut self, changes: i64, change: QaChange) -> i64 {
        if changes <= self.changes {
            return 0;
        }
        match change {
            QaChange::Question(state) => self.hold(state),
            QaChange::Pinned(pinned) => self.pinned = pinned,
        }
        let moved = changes - self.changes;
        self.changes = changes;
        moved
    }

    fn view(&self, state: &AudienceQuestionState) -> AudienceQuestionView {
        AudienceQuestionView {
            id: state.id,
            text: state.text.clone(),
            display_name: state.display_name.clone(),
            votes: state.votes,
            answered: state.answered,
            asked_at: chrono::DateTime::from_timestamp_millis(state.asked_at).unwrap_or_default(),
            review: Some(state.review),
            blocked: self.blocked.contains(&state.id),
        }
    }

    fn count(&self, review: Review) -> i64 {
        i64::try_from(self.questions.values().filter(|q| q.review == review).count()).unwrap_or(i64::MAX)
    }

    /// The questions as staff see them (see [`QaResults`]); none when the poll takes no questions
    /// and has none.
    pub(crate) fn results(&self) -> Option<QaResults> {
        if self.mode == QaMode::Off && self.questions.is_empty() {
            return None;
        }
        let with = |review: Review| self.questions.values().filter(move |q| q.review == review);
        let mut approved: Vec<&AudienceQuestionState> = with(Review::Approved).collect();
        // Most votes first, ties by who asked first.
        approved.sort_by(|a, b| b.votes.cmp(&a.votes).then(a.asked_at.cmp(&b.asked_at)).then(a.id.cmp(&b.id)));
        let mut newest: Vec<&AudienceQuestionState> = approved.clone();
        newest.sort_by(|a, b| b.asked_at.cmp(&a.asked_at).then(b.id.cmp(&a.id)));
        let mut listed: Vec<&AudienceQuestionState> = approved.iter().take(MOST_VOTED).copied().collect();
        for question in newest.into_iter().take(NEWEST) {
            if !listed.iter().any(|q| q.id == question.id) {
                listed.push(question);
            }
        }
        let mut pending: Vec<&AudienceQuestionState> = with(Review::Pending).collect();
        pending.sort_by_key(|q| (q.asked_at, q.id));
        let mut hidden: Vec<&AudienceQuestionState> = with(Review::Hidden).collect();
        hidden.sort_by(|a, b| b.asked_at.cmp(&a.asked_at).then(b.id.cmp(&a.id)));
        listed.extend(pending.into_iter().take(QUEUED));
        listed.extend(hidden.into_iter().take(HIDDEN));
        Some(QaResults {
            mode: self.mode,
            pinned: self.pinned.and_then(|id| self.questions.get(&id)).map(|q| self.view(q)),
            approved: self.count(Review::Approved),
            total_votes: self.questions.values().map(|q| i64::from(q.votes)).sum(),
            approved_votes: with(Review::Approved).map(|q| i64::from(q.votes)).sum(),
            pending: Some(self.count(Review::Pending)),
            hidden: Some(self.count(Review::Hidden)),
            questions: listed.into_iter().map(|q| self.view(q)).collect(),
        })
    }
}

impl QaResults {
    /// What the public sees: approved questions, without moderation marks; a pinned question only
    /// while approved.
    pub(crate) fn for_public(&mut self) {
        self.questions.retain(|q| q.review == Some(Review::Approved));
        self.total_votes = self.approved_votes;
        if self.pinned.as_ref().is_some_and(|q| q.review != Some(Review::Approved)) {
            self.pinned = None;
        }
        for question in self.questions.iter_mut().chain(self.pinned.as_mut()) {
            question.review = None;
            question.blocked = false;
        }
        self.pending = None;
        self.hidden = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn question(id: i64, votes: i32, review: Review, asked_at: i64) -> AudienceQuestionState {
        AudienceQuestionState {
            id,
            text: format!("q{id}"),
            display_name: None,
            review,
            answered: false,
            votes,
            asked_at,
        }
    }

    #[test]
    fn changes_apply_once_in_order_and_the_lists_sort_as_documented() {
        let mut board = QaBoard { mode: QaMode::PostModerated, ..QaBoard::default() };
        assert_eq!(board.apply(1, QaChange::Question(question(1, 0, Review::Approved, 10))), 1);
        assert_eq!(board.apply(2, QaChange::Question(question(2, 0, Review::Approved, 20))), 1);
        assert_eq!(board.apply(3, QaChange::Question(question(2, 3, Review::Approved, 20))), 1);
        assert_eq!(board.apply(3, QaChange::Question(question(2, 9, Review::Approved, 20))), 0, "held already");
        assert_eq!(board.apply(4, QaChange::Question(question(3, 3, Review::Approved, 5))), 1);
        assert_eq!(board.apply(5, QaChange::Question(question(4, 0, Review::Pending, 30))), 1);
        assert_eq!(board.apply(6, QaChange::Pinned(Some(4))), 1);
        let results = board.results().unwrap();
        let ids: Vec<i64> = results.questions.iter().map(|q| q.id).collect();
        assert_eq!(ids, [3, 2, 1, 4], "by votes (ties: asked first), then the queue");
        assert_eq!((results.approved, results.pending), (3, Some(1)));
        let mut public = results;
        public.for_public();
        assert_eq!(public.questions.len(), 3);
        assert!(public.pinned.is_none(), "a waiting question is never shown pinned");
        assert!(public.questions.iter().all(|q| q.review.is_none()));
    }
}
