//! `GET /api/surveys/questions/{var_name}/changes`: per group (and everyone), the change between
//! two waves in the top-two share and in each response's share, with its SE, 95% CI and p-value
//! (see `contrasts.rs` for the method; the waves play the part of the two groups).

use serde::Serialize;
use utoipa::ToSchema;

use crate::surveys::contrasts::{Contrast, contrasts_by_measure};
use crate::surveys::groups::Split;
use crate::surveys::proportions::question_sums;
use crate::surveys::snapshot::{Question, QuestionAnswers, SurveySnapshot};

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"measure": "top2", "from": 0.55, "to": 0.49, "difference": -0.06, "se": 0.018,
    "ci_low": -0.095, "ci_high": -0.025, "df": 5321, "p_value": 0.0009}))]
pub(crate) struct ChangeEstimate {
    /// `"top2"` (the two highest responses) or a response's text.
    pub measure: String,
    /// The weighted share in wave `from`.
    pub from: f64,
    /// The weighted share in wave `to`.
    pub to: f64,
    /// `difference = to − from`.
    #[serde(flatten)]
    pub contrast: Contrast,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct GroupChange {
    /// The group, or null for all respondents (including those in no group).
    pub group: Option<String>,
    pub from: i32,
    pub to: i32,
    /// Valid answers in each wave (unweighted).
    pub n_from: u64,
    pub n_to: u64,
    /// The top-two share, then each response; empty when a wave has no valid answer in the group.
    pub estimates: Vec<ChangeEstimate>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct Changes {
    pub var_name: String,
    pub split: Split,
    pub from: i32,
    pub to: i32,
    /// The split's groups in order, then everyone (`group: null`).
    pub groups: Vec<GroupChange>,
}

/// The changes from wave `from` to wave `to` (both asked the question), per group of `split`.
pub(crate) fn changes(
    snapshot: &SurveySnapshot,
    question: &Question,
    answers: &QuestionAnswers,
    split: Split,
    (from, to): (i32, i32),
) -> Changes {
    let sums = question_sums(snapshot, question, answers, split, Some(&[from, to]));
    let row_of = |wave: i32| sums.waves.iter().position(|&w| w == wave).map(|i| &sums.cells[i]);
    let groups = split.groups();
    let slots = (0..groups.len()).map(|g| (g, Some(groups[g].name.to_owned()))).chain([(groups.len(), None)]);
    let changes = slots
        .map(|(slot, group)| {
            let cell = |wave| row_of(wave).map(|row| row[slot].clone()).unwrap_or_default();
            let (before, after) = (cell(from), cell(to));
            // `to − from`: the later wave is the contrast's first set.
            let estimates = contrasts_by_measure(question, &after, &before)
                .into_iter()
                .map(|(measure, to, from, contrast)| ChangeEstimate { measure, from, to, contrast })
                .collect();
            GroupChange { group, from, to, n_from: before.n, n_to: after.n, estimates }
        })
        .collect();
    Changes { var_name: question.var_name.clone(), split, from, to, groups: changes }
}
