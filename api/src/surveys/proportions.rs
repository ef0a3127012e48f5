//! `GET /api/surveys/questions/{var_name}/proportions`: per wave (and all waves pooled) × per group
//! (and everyone), the weighted share of each response and of the top two, with CIs.

use serde::Serialize;
use utoipa::ToSchema;

use crate::surveys::groups::Split;
use crate::surveys::snapshot::{Question, QuestionAnswers, SurveySnapshot};
pub(crate) use crate::surveys::weighted_proportions::Share;
use crate::surveys::weighted_proportions::{CellSums, t_quantile_975};

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"response": "Does not meet", "p": 0.1352, "se": 0.0217, "ci_low": 0.0979, "ci_high": 0.1837}))]
pub(crate) struct ResponseShare {
    pub response: String,
    #[serde(flatten)]
    pub share: Share,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct Cell {
    /// The wave, or null for all the question's waves pooled.
    pub wave: Option<i32>,
    /// The group, or null for all respondents (including those in no group).
    pub group: Option<String>,
    /// Unweighted count of valid answers.
    pub n: u64,
    /// Kish effective sample size, (Σw)² / Σw².
    pub n_eff: f64,
    pub responses: Vec<ResponseShare>,
    /// Share of the two highest responses.
    pub top2: Share,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct QuestionSummary {
    pub var_name: String,
    pub text: String,
    pub battery: String,
    pub sub_battery: Option<String>,
    pub responses: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct Proportions {
    pub question: QuestionSummary,
    pub split: Split,
    /// Waves ascending, then all waves pooled (`wave: null`); within each, the split's groups in
    /// order, then everyone (`group: null`). Cells without a valid answer are left out.
    pub cells: Vec<Cell>,
}

/// What to compute: which waves (None = all), which split, and optionally one group.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ProportionsQuery {
    pub waves: Option<Vec<i32>>,
    pub split: Split,
    pub group: Option<usize>,
}

/// Cell sums for one question: `cells[wave slot][group slot]`, the last slot of each being
/// "all" (pooled waves / everyone).
pub(crate) struct QuestionSums {
    pub waves: Vec<i32>,
    pub cells: Vec<Vec<CellSums>>,
}

/// Accumulates the valid answers to one question into cell sums, one pass over the answers.
pub(crate) fn question_sums(
    snapshot: &SurveySnapshot,
    question: &Question,
    answers: &QuestionAnswers,
    split: Split,
    waves: Option<&[i32]>,
) -> QuestionSums {
    let included = |wave: i32| waves.is_none_or(|selected| selected.contains(&wave));
    let mut present: Vec<i32> =
        answers.respondents.iter().map(|&r| snapshot.respondent(r, split).wave).filter(|&w| included(w)).collect();
    present.sort_unstable();
    present.dedup();
    let groups = split.groups().len();
    let responses = question.responses.len();
    let mut cells = vec![vec![CellSums::new(responses); groups + 1]; present.len() + 1];
    let pooled = present.len();
    for (&r, &k) in answers.respondents.iter().zip(&answers.responses) {
        let respondent = snapshot.respondent(r, split);
        if !included(respondent.wave) {
            continue;
        }
        let Ok(wave) = present.binary_search(&respondent.wave) else { continue };
        let k = usize::from(k);
        if k >= responses {
            continue;
        }
        for w in [wave, pooled] {
            cells[w][groups].add(k, respondent.weight);
            if let Some(g) = respondent.group {
                cells[w][usize::from(g)].add(k, respondent.weight);
            }
        }
    }
    QuestionSums { waves: present, cells }
}

/// The weighted share of the respondents giving one of the responses `set` to `question` in
/// `wave`, among those with a valid answer (in `group` of `split`, or everyone): the cell's
/// unweighted n and the share, estimated as every dashboard share is. `None` when nobody in the
/// cell answered.
pub(crate) fn share_of_set(
    snapshot: &SurveySnapshot,
    (question, answers): (&Question, &QuestionAnswers),
    wave: i32,
    (split, group): (Split, Option<usize>),
    set: &[usize],
) -> Option<(u64, Share)> {
    let sums = question_sums(snapshot, question, answers, split, Some(&[wave]));
    // Without answers in the wave, the only row is the (empty) pooled one.
    let row = sums.cells.first().filter(|_| sums.waves == [wave])?;
    let cell = match group {
        Some(g) if g < split.groups().len() => row.get(g)?,
        Some(_) => return None,
        None => row.last()?,
    };
    if cell.n == 0 || set.iter().any(|&k| k >= question.responses.len()) {
        return None;
    }
    Some((cell.n, cell.estimate(set.iter().copied(), t_quantile_975(cell.n))))
}

/// The waves in which `question` has at least `min_n` valid answers in `group` of `split` (or
/// from everyone), oldest first.
pub(crate) fn waves_with_answers(
    snapshot: &SurveySnapshot,
    (question, answers): (&Question, &QuestionAnswers),
    (split, group): (Split, Option<usize>),
    min_n: u64,
) -> Vec<i32> {
    let sums = question_sums(snapshot, question, answers, split, None);
    sums.waves
        .iter()
        .zip(&sums.cells)
        .filter(|(_, row)| {
            let cell = match group {
                Some(g) => row.get(g),
                None => row.last(),
            };
            cell.is_some_and(|c| c.n >= min_n)
        })
        .map(|(&wave, _)| wave)
        .collect()
}

/// The indexes of the two highest responses (or all of them, for a scale of one or two).
pub(crate) fn top2_indexes(responses: usize) -> std::ops::Range<usize> {
    responses.saturating_sub(2)..responses
}

pub(crate) fn proportions(
    snapshot: &SurveySnapshot,
    question: &Question,
    answers: &QuestionAnswers,
    query: &ProportionsQuery,
) -> Proportions {
    let sums = question_sums(snapshot, question, answers, query.split, query.waves.as_deref());
    let groups = query.split.groups();
    let mut cells = Vec::new();
    for (w, row) in sums.cells.iter().enumerate() {
        for (g, sums_of_cell) in row.iter().enumerate() {
            let group = groups.get(g).map(|d| d.name.to_owned());
            if query.group.is_some_and(|wanted| wanted != g) || sums_of_cell.n == 0 {
                continue;
            }
            let t = t_quantile_975(sums_of_cell.n);
            cells.push(Cell {
                wave: sums.waves.get(w).copied(),
                group,
                n: sums_of_cell.n,
                n_eff: sums_of_cell.n_eff(),
                responses: question
                    .responses
                    .iter()
                    .enumerate()
                    .map(|(k, label)| ResponseShare { response: label.clone(), share: sums_of_cell.estimate([k], t) })
                    .collect(),
                top2: sums_of_cell.estimate(top2_indexes(question.responses.len()), t),
            });
        }
    }
    Proportions {
        question: QuestionSummary {
            var_name: question.var_name.clone(),
            text: question.text.clone(),
            battery: question.battery.clone(),
            sub_battery: question.sub_battery.clone(),
            responses: question.responses.clone(),
        },
        split: query.split,
        cells,
    }
}
