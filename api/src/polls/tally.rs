//! A poll's results kept current in memory by adding announced ballots, seeded from the database.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::{AccessMode, DatabaseConnection, IsolationLevel, TransactionTrait};

use super::events::RecordedBallot;
use super::model::PollResults;
use super::repository::{self, PollKey};
use super::results::{SplitGroups, assemble, counts};
use crate::AppError;
use crate::surveys::cache::SurveyCache;

/// The results as each audience sees them, as JSON.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// Hidden questions as placeholders.
    pub public: Arc<str>,
    /// Everything (the same text when nothing is hidden).
    pub staff: Arc<str>,
}

/// How often, at most, a flood of votes recomputes the room-vs-nation comparison for the live
/// frames. It moves by a fraction of a point per vote, and it is most of a frame's bytes: sent
/// with every frame it slowed a 10,000-watcher fan-out from 393 ms to 882 ms (p99).
pub const COMPARISON_EVERY: Duration = Duration::from_secs(1);

/// Results kept current by adding ballots.
pub struct LiveTally {
    /// Everything, hidden questions included (what staff see).
    results: PollResults,
    /// The results as JSON, rendered once per change: a crowd of new watchers shares it.
    rendered: Option<Rendered>,
    /// A reload was due (announcements may have been missed) but the database did not answer:
    /// these results are served until it does, and read again at the next chance.
    pub stale: bool,
    /// Respondents already counted: an announcement may repeat what a fresh load already read.
    counted: HashSet<i64>,
    /// Per question: catalog response index → position among the offered responses.
    offered_position: Vec<HashMap<i16, usize>>,
    /// The split question's position among the poll's questions, and its response index →
    /// group position.
    split_position: Option<usize>,
    group_of: HashMap<i16, usize>,
    /// When the room was last compared with the nation, and whether votes came since.
    compared_at: Instant,
    comparison_behind: bool,
}

impl LiveTally {
    /// Counts, respondent ids and the poll, in one read-only repeatable-read snapshot.
    ///
    /// # Errors
    /// No such poll (404), database failure.
    pub async fn load(db: &DatabaseConnection, surveys: &SurveyCache, poll_id: i32) -> Result<Self, AppError> {
        let snapshot = surveys.get(db).await?;
        let txn = db.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly)).await?;
        let poll = repository::find(&txn, PollKey::Id(poll_id)).await?;
        let counts = counts(&txn, &poll).await?;
        let counted = repository::respondent_ids(&txn, poll_id).await?;
        txn.commit().await?;
        let group_of = SplitGroups::of_poll(&snapshot, &poll).of_response;
        let split_position =
            poll.poll.split_by.as_ref().and_then(|s| poll.questions.iter().position(|q| &q.var_name == s));
        let offered_position =
            poll.questions.iter().map(|q| q.offered.iter().enumerate().map(|(p, &k)| (k, p)).collect()).collect();
        let results = assemble(db, &snapshot, &poll, counts).await?;
        Ok(Self {
            results,
            rendered: None,
            stale: false,
            counted,
            offered_position,
            split_position,
            group_of,
            compared_at: Instant::now(),
            comparison_behind: false,
        })
    }

    /// The results as JSON (for a new watcher's snapshot, or a reader), rendered on the first call
    /// after a change, with the room compared with the nation as last computed.
    ///
    /// # Errors
    /// Serialization failure (not expected for these types).
    pub fn json(&mut self) -> Result<Rendered, serde_json::Error> {
        if let Some(rendered) = &self.rendered {
            return Ok(rendered.clone());
        }
        let staff: Arc<str> = serde_json::to_string(&self.results)?.into();
        let public = if self.results.hides_any() {
            serde_json::to_string(&self.results.for_public())?.into()
        } else {
            staff.clone()
        };
        let rendered = Rendered { public, staff };
        self.rendered = Some(rendered.clone());
        Ok(rendered)
    }

    /// The results for the next live frame. The room-vs-nation comparison is recomputed when
    /// votes came since it last was and `force` (the final frame) or [`COMPARISON_EVERY`] has
    /// passed; when votes came but it is not due, the frame leaves `room_vs_nation` out (clients
    /// keep the last one) and says how long until it is due, so that a last frame brings it up to date.
    ///
    /// # Errors
    /// Serialization failure (not expected for these types).
    pub fn frame(&mut self, force: bool) -> Result<(Rendered, Option<Duration>), serde_json::Error> {
        let since = self.compared_at.elapsed();
        if !self.comparison_behind {
            return Ok((self.json()?, None));
        }
        if force || since >= COMPARISON_EVERY {
            for i in 0..self.results.questions.len() {
                if let Some(question) = self.results.question_mut(i) {
                    question.compare_with_nation();
                }
            }
            self.compared_at = Instant::now();
            self.comparison_behind = false;
            self.rendered = None;
            return Ok((self.json()?, None));
        }
        let without_comparison = |results: &PollResults| -> Result<Arc<str>, serde_json::Error> {
            let mut value = serde_json::to_value(results)?;
            for question in value["questions"].as_array_mut().into_iter().flatten() {
                if let Some(question) = question.as_object_mut() {
                    question.remove("room_vs_nation");
                }
            }
            Ok(value.to_string().into())
        };
        let staff = without_comparison(&self.results)?;
        let public =
            if self.results.hides_any() { without_comparison(&self.results.for_public())? } else { staff.clone() };
        Ok((Rendered { public, staff }, Some(COMPARISON_EVERY - since)))
    }

    pub fn slug(&self) -> &str {
        &self.results.slug
    }

    pub fn set_open(&mut self, is_open: bool) {
        if self.results.is_open != is_open {
            self.results.is_open = is_open;
            self.rendered = None;
        }
    }

    /// Adds a ballot unless its respondent is already counted; says whether it changed anything.
    pub fn add(&mut self, ballot: &RecordedBallot) -> bool {
        if !self.counted.insert(ballot.respondent_id) {
            return false;
        }
        self.rendered = None;
        self.comparison_behind = true;
        self.results.respondents += 1;
        let split_answer = self.split_position.and_then(|p| ballot.choices.get(p).copied().flatten());
        let group = split_answer.and_then(|k| self.group_of.get(&k).copied());
        for (q, choice) in ballot.choices.iter().enumerate() {
            let Some(index) = choice else { continue };
            let Some(&position) = self.offered_position.get(q).and_then(|o| o.get(index)) else { continue };
            let Some(question) = self.results.question_mut(q) else { continue };
            question.overall.add_one(position);
            if let Some(group) = group.and_then(|g| question.groups.get_mut(g)) {
                group.tally.add_one(position);
            }
        }
        true
    }
}
