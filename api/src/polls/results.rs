//! Poll results, computed from the database (so they are the same in every process and after a
//! restart), beside the weighted national shares from the survey snapshot.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use super::model::{GroupTally, NationalGroupShares, NationalShares, PollResults, QuestionResults, Tally};
use super::service::{PollKey, PollRecord, find, question_views, respondent_count};
use crate::AppError;
use crate::surveys::cache::SurveyCache;
use crate::surveys::groups::Split;
use crate::surveys::proportions::question_sums;
use crate::surveys::snapshot::SurveySnapshot;

/// Group names, and for each response index of the split question the group it falls in.
fn split_groups(snapshot: &SurveySnapshot, poll: &PollRecord, split_by: &str) -> (Vec<String>, HashMap<i16, usize>) {
    let Some(question) = snapshot.questions.get(split_by) else { return (Vec::new(), HashMap::new()) };
    let split = Split::defined_by(split_by);
    if split != Split::None
        && let Ok(mapping) = split.group_of_response(&question.responses)
    {
        let names = split.groups().iter().map(|g| g.name.to_owned()).collect();
        let of = mapping.iter().enumerate().filter_map(|(k, g)| Some((k as i16, usize::from((*g)?)))).collect();
        return (names, of);
    }
    let offered = poll.questions.iter().find(|(v, _)| v == split_by).map(|(_, o)| o.clone()).unwrap_or_default();
    let names = offered.iter().filter_map(|&k| question.responses.get(k as usize).cloned()).collect();
    let of = offered.iter().enumerate().map(|(g, &k)| (k, g)).collect();
    (names, of)
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

/// The BLW shares of `offered` responses in the latest wave with answers to `var_name`.
async fn national(
    db: &DatabaseConnection,
    snapshot: &SurveySnapshot,
    var_name: &str,
    offered: &[i16],
    split: Split,
) -> Result<Option<NationalShares>, AppError> {
    let Some(question) = snapshot.questions.get(var_name) else { return Ok(None) };
    let answers = snapshot.answers(db, var_name).await?;
    // One pass over every wave: a wave's row holds that wave's answers alone.
    let sums = question_sums(snapshot, question, &answers, split, None);
    let Some(&wave) = sums.waves.last() else { return Ok(None) };
    let row = &sums.cells[sums.waves.len() - 1];
    let shares_of = |cell: &crate::surveys::weighted_proportions::CellSums| -> Vec<f64> {
        offered.iter().map(|&k| cell.estimate([k as usize], None).p).collect()
    };
    let everyone = row.last().expect("the everyone cell always exists");
    let groups = split
        .groups()
        .iter()
        .zip(row.iter())
        .filter(|(_, cell)| cell.n > 0)
        .map(|(g, cell)| NationalGroupShares { group: g.name.to_owned(), n: cell.n, shares: shares_of(cell) })
        .collect();
    Ok(Some(NationalShares { wave, n: everyone.n, shares: shares_of(everyone), groups }))
}

/// The poll's raw counts: respondents, and (question, response, split answer or -1) → answers.
pub struct Counts {
    pub respondents: i64,
    pub cells: Vec<(String, i16, i16, i64)>,
}

/// Reads the counts; with a transaction, together with anything else read in it.
///
/// # Errors
/// Database failure.
pub async fn counts<C: ConnectionTrait>(conn: &C, poll: &PollRecord) -> Result<Counts, AppError> {
    let respondents = respondent_count(conn, poll.id).await?;
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT a.var_name, a.response_index, coalesce(s.response_index, -1::smallint) AS split_index, count(*) AS n
             FROM polls.answers a
             LEFT JOIN polls.answers s ON s.respondent_id = a.respondent_id AND s.var_name = $2
             WHERE a.poll_id = $1
             GROUP BY 1, 2, 3",
            [poll.id.into(), poll.split_by.clone().unwrap_or_default().into()],
        ))
        .await?;
    let cells = rows
        .iter()
        .map(|row| Ok((row.try_get("", "var_name")?, row.try_get("", "response_index")?, row.try_get("", "split_index")?, row.try_get("", "n")?)))
        .collect::<Result<_, AppError>>()?;
    Ok(Counts { respondents, cells })
}

/// The groups of a poll's split question: names, and response index of the split → group.
pub fn groups_of(snapshot: &SurveySnapshot, poll: &PollRecord) -> (Vec<String>, HashMap<i16, usize>) {
    match &poll.split_by {
        Some(split_by) => split_groups(snapshot, poll, split_by),
        None => (Vec::new(), HashMap::new()),
    }
}

/// Results from counts, with the national shares.
///
/// # Errors
/// Database failure (loading the survey answers of a question).
pub async fn assemble(db: &DatabaseConnection, snapshot: &SurveySnapshot, poll: &PollRecord, counts: Counts) -> Result<PollResults, AppError> {
    let (group_names, group_of) = groups_of(snapshot, poll);
    let mut overall: HashMap<(String, i16), i64> = HashMap::new();
    let mut by_group: HashMap<(String, usize, i16), i64> = HashMap::new();
    for (var_name, index, split_index, n) in counts.cells {
        *overall.entry((var_name.clone(), index)).or_default() += n;
        if let Some(&g) = group_of.get(&split_index) {
            *by_group.entry((var_name, g, index)).or_default() += n;
        }
    }
    let national_split = poll.split_by.as_deref().map_or(Split::None, Split::defined_by);
    let mut questions = Vec::new();
    for (view, (var_name, offered)) in question_views(snapshot, poll).into_iter().zip(&poll.questions) {
        let counts: Vec<i64> = offered.iter().map(|&k| overall.get(&(var_name.clone(), k)).copied().unwrap_or(0)).collect();
        let groups = group_names
            .iter()
            .enumerate()
            .map(|(g, name)| {
                let counts: Vec<i64> =
                    offered.iter().map(|&k| by_group.get(&(var_name.clone(), g, k)).copied().unwrap_or(0)).collect();
                GroupTally { group: name.clone(), tally: Tally::from_counts(counts) }
            })
            .collect();
        questions.push(QuestionResults {
            national: national(db, snapshot, var_name, offered, national_split).await?,
            var_name: view.heading.var_name,
            text: view.heading.text,
            responses: view.responses,
            overall: Tally::from_counts(counts),
            groups,
        });
    }
    Ok(PollResults {
        slug: poll.slug.clone(),
        title: poll.title.clone(),
        is_open: poll.is_open,
        respondents: counts.respondents,
        split_by: poll.split_by.clone(),
        questions,
    })
}

/// # Errors
/// No such poll (404), database failure.
pub async fn results(db: &DatabaseConnection, surveys: &SurveyCache, key: PollKey<'_>) -> Result<PollResults, AppError> {
    let snapshot = surveys.get(db).await?;
    let poll = find(db, key).await?;
    let counts = counts(db, &poll).await?;
    assemble(db, &snapshot, &poll, counts).await
}
