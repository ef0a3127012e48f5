//! Poll results, computed from the database (so they are the same in every process and after a
//! restart), beside the weighted national shares from the survey snapshot.

use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, FromQueryResult, Statement};

use super::model::{
    GroupTally, HiddenQuestionResults, NationalGroupShares, NationalShares, PollQuestionResults, PollResults,
    QuestionResults, Tally,
};
use super::repository::{self, PollKey, PollRecord};
use super::room_vs_nation::{GroupMix, NationalCell, NationalReference, room_vs_nation};
use super::views::question_views;
use crate::AppError;
use crate::surveys::cache::SurveyCache;
use crate::surveys::groups::Split;
use crate::surveys::proportions::question_sums;
use crate::surveys::snapshot::SurveySnapshot;
use crate::surveys::weighted_proportions::{CellSums, t_quantile_975};

/// The groups a poll's results are split into: their names, and for each response index of the
/// split question the group it falls in.
#[derive(Debug, Clone, Default)]
pub struct SplitGroups {
    pub names: Vec<String>,
    pub of_response: HashMap<i16, usize>,
}

impl SplitGroups {
    /// The groups of the poll's split question (none without one). pid3 and ideo7 use the
    /// survey's party and ideology groups; any other question has one group per offered response.
    pub fn of_poll(snapshot: &SurveySnapshot, poll: &PollRecord) -> Self {
        let Some(split_by) = &poll.poll.split_by else { return Self::default() };
        let Some(question) = snapshot.questions.get(split_by) else { return Self::default() };
        let split = Split::defined_by(split_by);
        if split != Split::None
            && let Ok(mapping) = split.group_of_response(&question.responses)
        {
            let names = split.groups().iter().map(|g| g.name.to_owned()).collect();
            let of_response =
                mapping.iter().zip(0i16..).filter_map(|(group, k)| Some((k, usize::from((*group)?)))).collect();
            return Self { names, of_response };
        }
        let offered = poll.question(split_by).map(|q| q.offered.clone()).unwrap_or_default();
        let names = offered.iter().filter_map(|&k| question.responses.get(usize::try_from(k).ok()?).cloned()).collect();
        let of_response = offered.iter().enumerate().map(|(g, &k)| (k, g)).collect();
        Self { names, of_response }
    }
}

fn shares(counts: &[i64], n: i64) -> Vec<f64> {
    counts.iter().map(|&c| if n > 0 { c as f64 / n as f64 } else { 0.0 }).collect()
}

impl Tally {
    /// Each participant answers a question once: n is the sum of the counts.
    fn from_counts(counts: Vec<i64>) -> Self {
        let n = counts.iter().sum();
        Self { n, shares: shares(&counts, n), counts }
    }

    /// One more participant, who chose the response at `position`.
    pub fn add_one(&mut self, position: usize) {
        self.counts[position] += 1;
        self.n += 1;
        self.shares = shares(&self.counts, self.n);
    }
}

/// The nation's view of one poll question: the weighted shares (with SEs and CIs) of the
/// `offered` responses in the latest wave with answers to `var_name`, everyone and per group of
/// `split`, with `group_mix` (the same for every question of a poll: read once per poll).
async fn national_reference(
    db: &DatabaseConnection,
    snapshot: &SurveySnapshot,
    (var_name, offered): (&str, &[i16]),
    split: Split,
    group_mix: Option<GroupMix>,
) -> Result<Option<NationalReference>, AppError> {
    let Some(question) = snapshot.questions.get(var_name) else { return Ok(None) };
    let answers = snapshot.answers(db, var_name).await?;
    // One pass over every wave: a wave's row holds that wave's answers alone.
    let sums = question_sums(snapshot, question, &answers, split, None);
    let Some(&wave) = sums.waves.last() else { return Ok(None) };
    let row = &sums.cells[sums.waves.len() - 1];
    let cell_of = |cell: &CellSums| NationalCell {
        n: cell.n,
        shares: offered
            .iter()
            .filter_map(|&k| Some(cell.estimate([usize::try_from(k).ok()?], t_quantile_975(cell.n))))
            .collect(),
    };
    let Some(everyone) = row.last() else { return Ok(None) };
    let groups = split.groups().iter().zip(row.iter()).map(|(_, cell)| cell_of(cell)).collect();
    Ok(Some(NationalReference { wave, everyone: cell_of(everyone), groups, group_mix }))
}

/// The nation's weighted shares of `split`'s groups among respondents in one of them, in the
/// latest wave that asked the split's question.
async fn group_mix(
    db: &DatabaseConnection,
    snapshot: &SurveySnapshot,
    split: Split,
) -> Result<Option<GroupMix>, AppError> {
    let Some(var_name) = split.defining_question() else { return Ok(None) };
    let Some(question) = snapshot.questions.get(var_name) else { return Ok(None) };
    let answers = snapshot.answers(db, var_name).await?;
    let sums = question_sums(snapshot, question, &answers, split, None);
    let Some(&wave) = sums.waves.last() else { return Ok(None) };
    let groups = &sums.cells[sums.waves.len() - 1][..split.groups().len()];
    let total: f64 = groups.iter().map(|c| c.sum_w).sum();
    if total <= 0.0 {
        return Ok(None);
    }
    Ok(Some(GroupMix { wave, shares: groups.iter().map(|c| c.sum_w / total).collect() }))
}

/// The shares the results have always shown beside the room's (without their uncertainty).
fn national_shares(reference: &NationalReference, split: Split) -> NationalShares {
    let p = |cell: &NationalCell| cell.shares.iter().map(|s| s.p).collect();
    NationalShares {
        wave: reference.wave,
        n: reference.everyone.n,
        shares: p(&reference.everyone),
        groups: split
            .groups()
            .iter()
            .zip(&reference.groups)
            .filter(|(_, cell)| cell.n > 0)
            .map(|(g, cell)| NationalGroupShares { group: g.name.to_owned(), n: cell.n, shares: p(cell) })
            .collect(),
    }
}

impl QuestionResults {
    /// Computes the room-vs-nation comparison again from the current tallies.
    pub fn compare_with_nation(&mut self) {
        let labels: Vec<String> = self.responses.iter().map(|r| r.response.clone()).collect();
        self.room_vs_nation =
            self.reference.as_ref().map(|reference| room_vs_nation(reference, &labels, &self.overall, &self.groups));
    }
}

/// How many participants gave `response_index` to `var_name`, among those whose answer to the
/// split question is `split_index` (-1: no split answer).
#[derive(Debug, Clone, FromQueryResult)]
pub struct AnswerCount {
    pub var_name: String,
    pub response_index: i16,
    pub split_index: i16,
    pub n: i64,
}

/// The poll's raw counts.
pub struct Counts {
    pub respondents: i64,
    pub cells: Vec<AnswerCount>,
}

/// Reads the counts; with a transaction, together with anything else read in it.
///
/// # Errors
/// Database failure.
pub async fn counts<C: ConnectionTrait>(conn: &C, poll: &PollRecord) -> Result<Counts, AppError> {
    let respondents = repository::respondent_count(conn, poll.poll.id).await?;
    // Raw SQL: an aggregate over a self-join (each answer beside the same respondent's split
    // answer), which the query builder could only spell with hand-made relation aliases.
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT a.var_name, a.response_index, coalesce(s.response_index, -1::smallint) AS split_index, count(*) AS n
         FROM polls.answers a
         LEFT JOIN polls.answers s ON s.respondent_id = a.respondent_id AND s.var_name = $2
         WHERE a.poll_id = $1
         GROUP BY 1, 2, 3",
        [poll.poll.id.into(), poll.poll.split_by.clone().unwrap_or_default().into()],
    );
    let cells = AnswerCount::find_by_statement(statement).all(conn).await?;
    Ok(Counts { respondents, cells })
}

/// Results from counts, with the national shares.
///
/// # Errors
/// Database failure (loading the survey answers of a question).
pub async fn assemble(
    db: &DatabaseConnection,
    snapshot: &SurveySnapshot,
    poll: &PollRecord,
    counts: Counts,
) -> Result<PollResults, AppError> {
    let groups = SplitGroups::of_poll(snapshot, poll);
    let mut overall: HashMap<(&str, i16), i64> = HashMap::new();
    let mut by_group: HashMap<(&str, usize, i16), i64> = HashMap::new();
    for cell in &counts.cells {
        *overall.entry((&cell.var_name, cell.response_index)).or_default() += cell.n;
        if let Some(&g) = groups.of_response.get(&cell.split_index) {
            *by_group.entry((&cell.var_name, g, cell.response_index)).or_default() += cell.n;
        }
    }
    let national_split = poll.poll.split_by.as_deref().map_or(Split::None, Split::defined_by);
    let mix = group_mix(db, snapshot, national_split).await?;
    let mut questions = Vec::new();
    for (view, question) in question_views(snapshot, poll).into_iter().zip(&poll.questions) {
        let var_name = question.var_name.as_str();
        let counts: Vec<i64> =
            question.offered.iter().map(|&k| overall.get(&(var_name, k)).copied().unwrap_or(0)).collect();
        let group_tallies = groups
            .names
            .iter()
            .enumerate()
            .map(|(g, name)| {
                let counts = question.offered.iter().map(|&k| by_group.get(&(var_name, g, k)).copied().unwrap_or(0));
                GroupTally { group: name.clone(), tally: Tally::from_counts(counts.collect()) }
            })
            .collect();
        // The split question against itself by group, or reweighted by its own groups, says nothing.
        let is_split = poll.poll.split_by.as_deref() == Some(var_name);
        let question_mix = if is_split { None } else { mix.clone() };
        let mut reference =
            national_reference(db, snapshot, (var_name, &question.offered), national_split, question_mix).await?;
        let national = reference.as_ref().map(|r| national_shares(r, national_split));
        if is_split && let Some(reference) = reference.as_mut() {
            reference.groups.clear();
        }
        let reference = reference.map(Arc::new);
        let mut results = QuestionResults {
            national,
            var_name: view.heading.var_name,
            text: view.heading.text,
            hidden: question.results_hidden,
            responses: view.responses,
            overall: Tally::from_counts(counts),
            groups: group_tallies,
            room_vs_nation: None,
            reference,
        };
        results.compare_with_nation();
        questions.push(PollQuestionResults::Shown(Box::new(results)));
    }
    Ok(PollResults {
        slug: poll.poll.slug.clone(),
        title: poll.poll.title.clone(),
        is_open: poll.poll.is_open,
        join_code: poll.poll.join_code.clone(),
        respondents: counts.respondents,
        split_by: poll.poll.split_by.clone(),
        questions,
    })
}

impl PollResults {
    /// What the public sees: hidden questions as `{"var_name", "text", "hidden": true}`.
    pub fn for_public(&self) -> PollResults {
        let questions = self
            .questions
            .iter()
            .map(|q| match q {
                PollQuestionResults::Shown(r) if r.hidden => PollQuestionResults::Hidden(HiddenQuestionResults {
                    var_name: r.var_name.clone(),
                    text: r.text.clone(),
                    hidden: true,
                }),
                other => other.clone(),
            })
            .collect();
        PollResults { questions, ..self.clone() }
    }

    /// Whether any question is hidden from the public.
    pub fn hides_any(&self) -> bool {
        self.questions.iter().any(|q| matches!(q, PollQuestionResults::Shown(r) if r.hidden))
    }

    /// Question `i`'s full results (staff results hold every question in full).
    pub fn question_mut(&mut self, i: usize) -> Option<&mut QuestionResults> {
        match self.questions.get_mut(i)? {
            PollQuestionResults::Shown(r) => Some(r),
            PollQuestionResults::Hidden(_) => None,
        }
    }
}

/// Everything about a poll's results, hidden questions included: what staff see.
///
/// # Errors
/// No such poll (404), database failure.
pub async fn results(
    db: &DatabaseConnection,
    surveys: &SurveyCache,
    key: PollKey<'_>,
) -> Result<PollResults, AppError> {
    let snapshot = surveys.get(db).await?;
    let poll = repository::find(db, key).await?;
    let counts = counts(db, &poll).await?;
    assemble(db, &snapshot, &poll, counts).await
}
