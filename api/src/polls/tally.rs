//! A poll's results kept current in memory by adding announced ballots, seeded from the database.

use std::collections::{HashMap, HashSet};

use sea_orm::{AccessMode, DatabaseConnection, IsolationLevel, TransactionTrait};

use super::events::RecordedBallot;
use super::model::PollResults;
use super::repository::{self, PollKey};
use super::results::{SplitGroups, assemble, counts};
use crate::AppError;
use crate::surveys::cache::SurveyCache;

/// Results kept current by adding ballots.
pub struct LiveTally {
    pub results: PollResults,
    /// Respondents already counted: an announcement may repeat what a fresh load already read.
    counted: HashSet<i64>,
    /// Per question: catalog response index → position among the offered responses.
    offered_position: Vec<HashMap<i16, usize>>,
    /// Split question's response index → group position.
    group_of: HashMap<i16, usize>,
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
        let offered_position =
            poll.questions.iter().map(|q| q.offered.iter().enumerate().map(|(p, &k)| (k, p)).collect()).collect();
        let results = assemble(db, &snapshot, &poll, counts).await?;
        Ok(Self { results, counted, offered_position, group_of })
    }

    /// Adds a ballot unless its respondent is already counted; says whether it changed anything.
    pub fn add(&mut self, ballot: &RecordedBallot) -> bool {
        if !self.counted.insert(ballot.respondent_id) {
            return false;
        }
        self.results.respondents += 1;
        let group = ballot.split_index.and_then(|k| self.group_of.get(&k).copied());
        for (q, choice) in ballot.choices.iter().enumerate() {
            let Some(index) = choice else { continue };
            let Some(&position) = self.offered_position.get(q).and_then(|o| o.get(index)) else { continue };
            let Some(question) = self.results.questions.get_mut(q) else { continue };
            question.overall.add_one(position);
            if let Some(group) = group.and_then(|g| question.groups.get_mut(g)) {
                group.tally.add_one(position);
            }
        }
        true
    }
}
