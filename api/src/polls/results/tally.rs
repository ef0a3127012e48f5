//! A poll's results kept current in memory by folding in announced answers, seeded by folding in
//! the stored ones: one fold for both, so a tally read from the database and one kept by
//! announcements agree.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::{AccessMode, DatabaseConnection, IsolationLevel, TransactionTrait};

use crate::error::AppError;
use crate::polls::audience_questions::board::QaBoard;
use crate::polls::events::{QaChange, RecordedBallot};
use crate::polls::kinds::{Choice, FoldInto, Guess, OpenAnswer, QuestionSpec, QuestionTally, ResultsInput, Word};
use crate::polls::model::room_vs_nation::NationalReference;
use crate::polls::model::{
    NationalShares, NationalTarget, PollQuestionResults, PollQuestionView, PollResults, QaMode, QuestionResults,
    Review, RoomVsNation,
};
use crate::polls::repository::{self, PollKey, PollRecord, StoredAnswers};
use crate::polls::results::room_vs_nation::room_vs_nation;
use crate::polls::results::{SplitGroups, group_mix, national_reference, national_shares, national_targets};
use crate::surveys::cache::SurveyCache;
use crate::surveys::groups::Split;

/// The results as each audience sees them, as JSON.
#[derive(Debug, Clone)]
pub(crate) struct Rendered {
    /// Hidden questions as placeholders, moderated words left out.
    pub public: Arc<str>,
    /// Everything (the same text when the public sees everything).
    pub staff: Arc<str>,
}

/// How often, at most, a flood of votes recomputes the room-vs-nation comparison for the live
/// frames. It moves by a fraction of a point per vote, and it is most of a frame's bytes: sent
/// with every frame it slowed a 10,000-watcher fan-out from 393 ms to 882 ms (p99).
pub(crate) const COMPARISON_EVERY: Duration = Duration::from_secs(1);

/// A poll's live version: how many times answers were taken away (resets, voids), how many
/// answers are counted (with the audience questions' changes: asked, voted, moderated, pinned),
/// and how many browsers have joined. Every process folds the same committed
/// ballots in the same order (the order PostgreSQL delivers their announcements), and takes the
/// join counts as announced, so equal versions hold equal counts on every process and one that
/// [`covers`](Version::covers) another holds at least as much: a watcher's `Last-Event-ID`,
/// wherever it reconnects, says whether that process has caught up with it. Written
/// `<epoch>-<answers>-<joined>` (`<epoch>-<answers>`, from before joins were counted, reads as
/// none joined).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Version {
    pub epoch: u64,
    pub answers: u64,
    pub joined: u64,
}

impl Version {
    /// Whether results of this version show nothing older than `seen`'s: a later epoch (answers
    /// were taken away since: its totals are the newer ones), or the same with no count lower.
    pub(crate) fn covers(self, seen: Version) -> bool {
        self.epoch > seen.epoch
            || (self.epoch == seen.epoch && self.answers >= seen.answers && self.joined >= seen.joined)
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}-{}", self.epoch, self.answers, self.joined)
    }
}

impl std::str::FromStr for Version {
    type Err = ();

    fn from_str(text: &str) -> Result<Self, ()> {
        let mut parts = text.split('-').map(|part| part.parse::<u64>().map_err(|_| ()));
        let (epoch, answers) = (parts.next().ok_or(())??, parts.next().ok_or(())??);
        let joined = parts.next().transpose()?.unwrap_or(0);
        if parts.next().is_some() {
            return Err(());
        }
        Ok(Self { epoch, answers, joined })
    }
}

/// One participant as the tally knows them: their group (once their split answer is in) and
/// their answers so far, so that answers given before the split answer join its group then.
#[derive(Debug, Clone)]
struct Participant {
    group: Option<usize>,
    answers: Vec<Option<Choice>>,
}

/// What a catalog question's results add from the national survey (fixed while the poll runs).
#[derive(Debug, Clone, Default)]
struct National {
    shares: Option<NationalShares>,
    reference: Option<Arc<NationalReference>>,
    /// The room against the nation as last computed.
    comparison: Option<RoomVsNation>,
    /// The shares a predict or ranking question compares the room with, and the labels of the
    /// responses they count.
    targets: Vec<Option<NationalTarget>>,
    target_labels: Vec<String>,
}

/// What one load of the results read besides the answers.
#[derive(Debug)]
pub(crate) struct ResultsSources {
    pub record: PollRecord,
    pub views: Vec<PollQuestionView>,
    pub hidden_words: HashMap<String, Vec<String>>,
}

/// Results kept current by folding in answers.
pub(crate) struct LiveTally {
    record: PollRecord,
    /// Per question, in the poll's order (`None`: its catalog question is gone).
    views: Vec<Option<PollQuestionView>>,
    groups: SplitGroups,
    split_position: Option<usize>,
    tallies: Vec<QuestionTally>,
    participants: HashMap<i64, Participant>,
    national: Vec<National>,
    /// Words presenters hid, per question key.
    hidden_words: HashMap<String, Vec<String>>,
    /// Blocked words presenters allowed, per question key.
    allowed_words: HashMap<String, Vec<String>>,
    /// The results as JSON, rendered once per change: a crowd of new watchers shares it.
    rendered: Option<Rendered>,
    /// A reload was due (announcements may have been missed) but the database did not answer:
    /// these results are served until it does, and read again at the next chance.
    pub stale: bool,
    /// When the room was last compared with the nation, and whether answers came since.
    compared_at: Instant,
    comparison_behind: bool,
    /// How many browsers have joined (announced counts only grow, until a reset reloads).
    joined: i64,
    /// The audience's questions (their changes count in the version's `answers`).
    qa: QaBoard,
    version: Version,
}

impl LiveTally {
    /// The poll, its stored answers and moderated words, in one read-only repeatable-read snapshot,
    /// folded.
    ///
    /// # Errors
    /// No such poll (404), database failure.
    pub(crate) async fn load(
        db: &DatabaseConnection,
        surveys: &SurveyCache,
        key: PollKey<'_>,
    ) -> Result<Self, AppError> {
        let snapshot = surveys.get(db).await?;
        let txn = db.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly)).await?;
        let record = repository::find(&txn, key).await?;
        let stored = repository::stored_answers(&txn, record.poll.id).await?;
        let hidden_words = repository::hidden_words(&txn, record.poll.id).await?;
        let allowed_words = repository::allowed_words(&txn, record.poll.id).await?;
        let epoch = repository::answers_epoch(&txn, record.poll.id).await?;
        let joined = repository::joined(&txn, record.poll.id).await?;
        let qa = QaBoard::load(&txn, record.poll.id, QaMode::named(&record.poll.qa_mode)).await?;
        txn.commit().await?;

        let groups = SplitGroups::of_poll(&snapshot, &record);
        let split_position =
            record.poll.split_by.as_ref().and_then(|s| record.questions.iter().position(|q| &q.var_name == s));
        let views: Vec<Option<PollQuestionView>> =
            record.questions.iter().map(|q| q.kind().view(q, &snapshot)).collect();
        // The nation, for catalog questions: read once per load (the group mix once per poll).
        let national_split = record.poll.split_by.as_deref().map_or(Split::None, Split::defined_by);
        let mix = group_mix(db, &snapshot, national_split).await?;
        let mut national = Vec::with_capacity(record.questions.len());
        for question in &record.questions {
            if !matches!(question.spec, QuestionSpec::Catalog(_)) {
                let (targets, target_labels) = national_targets(db, &snapshot, &question.spec).await?;
                national.push(National { targets, target_labels, ..National::default() });
                continue;
            }
            // The split question against itself by group, or reweighted by its own groups, says nothing.
            let is_split = record.poll.split_by.as_deref() == Some(question.var_name.as_str());
            let question_mix = if is_split { None } else { mix.clone() };
            let offered = (question.var_name.as_str(), question.offered.as_slice());
            let mut reference = national_reference(db, &snapshot, offered, national_split, question_mix).await?;
            let shares = reference.as_ref().map(|r| national_shares(r, national_split));
            if is_split && let Some(reference) = reference.as_mut() {
                reference.groups.clear();
            }
            let reference = reference.map(Arc::new);
            national.push(National { shares, reference, ..National::default() });
        }
        let tallies = record.questions.iter().map(|q| QuestionTally::empty(q, groups.names.len())).collect();
        let ballots = stored_ballots(&record, stored);
        let mut tally = Self {
            record,
            views,
            groups,
            split_position,
            tallies,
            participants: HashMap::new(),
            national,
            hidden_words,
            allowed_words,
            rendered: None,
            stale: false,
            compared_at: Instant::now(),
            comparison_behind: false,
            joined,
            version: Version {
                epoch,
                answers: u64::try_from(qa.changes).unwrap_or(0),
                joined: u64::try_from(joined).unwrap_or(0),
            },
            qa,
        };
        for ballot in &ballots {
            tally.add(ballot);
        }
        tally.compare_with_nation();
        Ok(tally)
    }

    /// Whether the poll has ever opened (a draft's results are for staff only).
    pub(crate) fn opened_before(&self) -> bool {
        self.record.poll.first_opened_at.is_some() || self.record.poll.is_open
    }

    /// Opened once and closed now: its results are final.
    pub(crate) fn is_closed(&self) -> bool {
        !self.record.poll.is_open && self.record.poll.first_opened_at.is_some()
    }

    /// The version of the counts (see [`Version`]).
    pub(crate) fn version(&self) -> Version {
        self.version
    }

    pub(crate) fn slug(&self) -> &str {
        &self.record.poll.slug
    }

    pub(crate) fn set_open(&mut self, is_open: bool) {
        if self.record.poll.is_open != is_open {
            self.record.poll.is_open = is_open;
            self.rendered = None;
        }
    }

    /// A presenter's move, heard from its announcement.
    pub(crate) fn set_current(
        &mut self,
        current: Option<i16>,
        voting_open: bool,
        closes_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    ) {
        let poll = &mut self.record.poll;
        if (poll.current_question, poll.current_question_open, poll.current_question_closes_at)
            != (current, voting_open, closes_at)
        {
            poll.current_question = current;
            poll.current_question_open = voting_open;
            poll.current_question_closes_at = closes_at;
            self.rendered = None;
        }
    }

    /// A join count heard from its announcement; says whether it is news (counts arrive in commit
    /// order, and a fresh load may already hold a later one).
    pub(crate) fn set_joined(&mut self, joined: i64) -> bool {
        if joined <= self.joined {
            return false;
        }
        self.joined = joined;
        self.version.joined = u64::try_from(joined).unwrap_or(0);
        self.rendered = None;
        true
    }

    /// An audience-question change heard from its announcement; says whether it is news (a fresh
    /// load may already hold it).
    pub(crate) fn apply_qa(&mut self, changes: i64, change: QaChange) -> bool {
        let moved = self.qa.apply(changes, change);
        if moved == 0 {
            return false;
        }
        self.version.answers += u64::try_from(moved).unwrap_or(0);
        self.rendered = None;
        true
    }

    /// Adds a ballot's answers to questions its respondent had not answered; says whether it
    /// changed anything (a fresh load may already hold what an announcement repeats).
    pub(crate) fn add(&mut self, ballot: &RecordedBallot) -> bool {
        let questions = self.record.questions.len();
        let participant = self
            .participants
            .entry(ballot.respondent_id)
            .or_insert_with(|| Participant { group: None, answers: vec![None; questions] });
        let is_new = |position: usize| {
            ballot.choices.get(position).is_some_and(Option::is_some)
                && participant.answers.get(position).is_some_and(Option::is_none)
        };
        let new_positions: Vec<usize> = (0..questions).filter(|&p| is_new(p)).collect();
        if new_positions.is_empty() {
            return false;
        }
        // The split answer first: the participant's earlier answers join its group now, and this
        // ballot's other answers count in it.
        if let Some(split) = self.split_position.filter(|p| new_positions.contains(p))
            && let Some(choice) = ballot.choices[split].as_ref()
        {
            let question = &self.record.questions[split];
            participant.group = question.kind().group_of(choice, &self.groups);
            if let Some(group) = participant.group {
                for (position, earlier) in participant.answers.iter().enumerate() {
                    let Some(earlier) = earlier else { continue };
                    let question = &self.record.questions[position];
                    let into = FoldInto { respondent_id: ballot.respondent_id, overall: false, group: Some(group) };
                    question.kind().fold(question, &mut self.tallies[position], earlier, into);
                }
            }
        }
        for &position in &new_positions {
            let Some(choice) = ballot.choices[position].clone() else { continue };
            let question = &self.record.questions[position];
            let into = FoldInto { respondent_id: ballot.respondent_id, overall: true, group: participant.group };
            question.kind().fold(question, &mut self.tallies[position], &choice, into);
            participant.answers[position] = Some(choice);
        }
        self.version.answers += new_positions.len() as u64;
        self.rendered = None;
        self.comparison_behind = true;
        true
    }

    /// Computes the room-vs-nation comparison of every catalog question from the current counts.
    fn compare_with_nation(&mut self) {
        for (i, national) in self.national.iter_mut().enumerate() {
            let (Some(reference), Some(view)) = (&national.reference, &self.views[i]) else { continue };
            let labels: Vec<String> = view.responses.iter().map(|r| r.response.clone()).collect();
            let (overall, groups) = self.tallies[i].counts(&self.groups);
            national.comparison = Some(room_vs_nation(reference, &labels, &overall, &groups));
        }
        self.compared_at = Instant::now();
        self.comparison_behind = false;
    }

    /// What the results were read from: the poll, its questions as participants see them (a
    /// question whose catalog entry is gone left out), and the words presenters hid per question.
    pub(crate) fn into_sources(self) -> ResultsSources {
        ResultsSources {
            record: self.record,
            views: self.views.into_iter().flatten().collect(),
            hidden_words: self.hidden_words,
        }
    }

    /// Everything about the poll's results (what staff see), with the room compared with the
    /// nation as last computed.
    pub(crate) fn results(&mut self) -> PollResults {
        let empty = Vec::new();
        let questions = self
            .record
            .questions
            .iter()
            .enumerate()
            .filter_map(|(i, question)| {
                let view = self.views[i].clone()?;
                let input = ResultsInput {
                    question,
                    view,
                    tally: &self.tallies[i],
                    groups: &self.groups,
                    hidden_words: self.hidden_words.get(&question.var_name).unwrap_or(&empty),
                    allowed_words: self.allowed_words.get(&question.var_name).unwrap_or(&empty),
                    national: &self.national[i].targets,
                    nation_labels: &self.national[i].target_labels,
                };
                let mut results = question.kind().results(input);
                if let QuestionResults::Catalog(catalog) = &mut results {
                    let national = &self.national[i];
                    catalog.national = national.shares.clone();
                    catalog.reference = national.reference.clone();
                    catalog.room_vs_nation = national.comparison.clone();
                }
                Some(PollQuestionResults::Shown(Box::new(results)))
            })
            .collect();
        let poll = &self.record.poll;
        PollResults {
            slug: poll.slug.clone(),
            title: poll.title.clone(),
            is_open: poll.is_open,
            join_code: poll.join_code.clone(),
            respondents: i64::try_from(self.participants.len()).unwrap_or(i64::MAX),
            joined: self.joined,
            national_during_voting: poll.national_during_voting,
            split_by: poll.split_by.clone(),
            pace: self.record.pace(),
            questions,
            qa: self.qa.results(),
        }
    }

    /// The results as JSON (for a new watcher's snapshot, or a reader), rendered on the first call
    /// after a change, with the room compared with the nation as last computed.
    ///
    /// # Errors
    /// Serialization failure (not expected for these types).
    pub(crate) fn json(&mut self) -> Result<Rendered, serde_json::Error> {
        if let Some(rendered) = &self.rendered {
            return Ok(rendered.clone());
        }
        let results = self.results();
        let staff: Arc<str> = serde_json::to_string(&results)?.into();
        let public =
            if results.hides_any() { serde_json::to_string(&results.for_public())?.into() } else { staff.clone() };
        let rendered = Rendered { public, staff };
        self.rendered = Some(rendered.clone());
        Ok(rendered)
    }

    /// The results for the next live frame. The room-vs-nation comparison is recomputed when
    /// answers came since it last was and `force` (the final frame) or [`COMPARISON_EVERY`] has
    /// passed; when answers came but it is not due, the frame keeps the comparison as last
    /// computed (a delta then leaves it out: it did not change) and says how long until it is
    /// due, so that a later frame brings it up to date.
    pub(crate) fn frame(&mut self, force: bool) -> (PollResults, Option<Duration>) {
        let since = self.compared_at.elapsed();
        if self.comparison_behind && (force || since >= COMPARISON_EVERY) {
            self.compare_with_nation();
            self.rendered = None;
        }
        let due = self.comparison_behind.then(|| COMPARISON_EVERY.saturating_sub(since));
        (self.results(), due)
    }
}

/// The stored answers as one ballot per respondent, in the poll's question order.
fn stored_ballots(record: &PollRecord, stored: StoredAnswers) -> Vec<RecordedBallot> {
    let position: HashMap<&str, usize> =
        record.questions.iter().enumerate().map(|(i, q)| (q.var_name.as_str(), i)).collect();
    let mut several: HashMap<(i64, &str), Vec<i16>> = HashMap::new();
    for row in &stored.choices {
        several.entry((row.respondent_id, row.var_name.as_str())).or_default().push(row.response_index);
    }
    let mut words: HashMap<(i64, &str), Vec<Word>> = HashMap::new();
    for row in &stored.words {
        let word = Word { typed: row.word.clone(), normalized: row.normalized.clone() };
        words.entry((row.respondent_id, row.var_name.as_str())).or_default().push(word);
    }
    let mut rankings: HashMap<(i64, &str), Vec<i16>> = HashMap::new();
    for row in &stored.ranks {
        rankings.entry((row.respondent_id, row.var_name.as_str())).or_default().push(row.item);
    }
    let mut texts: HashMap<(i64, &str), OpenAnswer> = HashMap::new();
    for row in &stored.texts {
        let answer = OpenAnswer { text: row.text.clone(), review: Review::named(&row.review).unwrap_or_default() };
        texts.insert((row.respondent_id, row.var_name.as_str()), answer);
    }
    let mut ballots: HashMap<i64, RecordedBallot> = HashMap::new();
    for answer in &stored.answers {
        let Some(&at) = position.get(answer.var_name.as_str()) else { continue };
        let key = (answer.respondent_id, answer.var_name.as_str());
        let choice = match (&record.questions[at].spec, answer.response_index) {
            (QuestionSpec::Predict(_), Some(percent)) => {
                Choice::Guess(Guess { percent, display_name: answer.display_name.clone() })
            }
            (_, Some(value)) => Choice::One(value),
            (QuestionSpec::Ranking(_), None) => Choice::Ranking(rankings.remove(&key).unwrap_or_default()),
            (QuestionSpec::Words(_), None) => Choice::Words(words.remove(&key).unwrap_or_default()),
            (QuestionSpec::Open(_), None) => {
                let Some(text) = texts.remove(&key) else { continue };
                Choice::Open(text)
            }
            (_, None) => Choice::Several(several.remove(&key).unwrap_or_default()),
        };
        ballots
            .entry(answer.respondent_id)
            .or_insert_with(|| RecordedBallot {
                respondent_id: answer.respondent_id,
                choices: vec![None; record.questions.len()],
            })
            .choices[at] = Some(choice);
    }
    let mut ballots: Vec<RecordedBallot> = ballots.into_values().collect();
    ballots.sort_by_key(|b| b.respondent_id);
    ballots
}

#[cfg(test)]
mod tests {
    use super::Version;

    fn v(text: &str) -> Version {
        text.parse().unwrap_or_else(|()| panic!("{text} is a version"))
    }

    #[test]
    fn versions_read_as_written_and_an_older_id_reads_as_none_joined() {
        assert_eq!(v("2-150-31"), Version { epoch: 2, answers: 150, joined: 31 });
        assert_eq!(v("2-150-31").to_string(), "2-150-31");
        assert_eq!(v("0-7"), Version { epoch: 0, answers: 7, joined: 0 });
        for bad in ["", "1", "1-", "-1", "1-2-3-4", "1-x", "1-2-", "1--2"] {
            assert!(bad.parse::<Version>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_version_covers_another_when_no_count_is_lower_or_answers_were_taken_away_since() {
        assert!(v("0-10-5").covers(v("0-10-5")));
        assert!(v("0-11-5").covers(v("0-10-5")));
        assert!(v("0-10-6").covers(v("0-10-5")));
        assert!(!v("0-11-4").covers(v("0-10-5")), "more answers but fewer joined is not newer");
        assert!(!v("0-9-9").covers(v("0-10-5")));
        assert!(v("1-0-0").covers(v("0-10-5")), "a reset or a void starts a newer epoch");
        assert!(!v("0-99-99").covers(v("1-0-0")));
    }
}
