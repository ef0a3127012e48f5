//! `GET /api/surveys/questions/{var_name}/gaps`: in one wave, the difference between every two
//! groups of a split (Democrats − Republicans, …) in the top-two share and in each response's
//! share, with its SE, 95% CI and p-value (see `contrasts.rs` for the method).

use serde::Serialize;
use utoipa::ToSchema;

use crate::surveys::contrasts::{Contrast, contrasts_by_measure};
use crate::surveys::groups::Split;
use crate::surveys::proportions::question_sums;
use crate::surveys::snapshot::{Question, QuestionAnswers, SurveySnapshot};

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"measure": "top2", "a": 0.412, "b": 0.603, "difference": -0.191, "se": 0.035,
    "ci_low": -0.26, "ci_high": -0.122, "df": 1874, "p_value": 0.0000001}))]
pub(crate) struct GapEstimate {
    /// `"top2"` (the two highest responses) or a response's text.
    pub measure: String,
    /// Group `a`'s weighted share.
    pub a: f64,
    /// Group `b`'s weighted share.
    pub b: f64,
    /// `difference = a − b`.
    #[serde(flatten)]
    pub contrast: Contrast,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct GroupPair {
    pub a: String,
    pub b: String,
    /// Valid answers in each group (unweighted).
    pub n_a: u64,
    pub n_b: u64,
    /// The top-two share, then each response; empty when a group has no valid answer.
    pub estimates: Vec<GapEstimate>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct Gaps {
    pub var_name: String,
    pub split: Split,
    pub wave: i32,
    /// Every pair of the split's groups, in the split's order (Democrat–Republican,
    /// Democrat–Independent or Other, Republican–Independent or Other).
    pub pairs: Vec<GroupPair>,
}

/// The gaps between the groups of `split` in `wave` (a wave that asked the question).
pub(crate) fn gaps(
    snapshot: &SurveySnapshot,
    question: &Question,
    answers: &QuestionAnswers,
    split: Split,
    wave: i32,
) -> Gaps {
    let sums = question_sums(snapshot, question, answers, split, Some(&[wave]));
    let groups = split.groups();
    let mut pairs = Vec::new();
    for a in 0..groups.len() {
        for b in a + 1..groups.len() {
            let (cell_a, cell_b) = match sums.cells.first() {
                Some(row) => (row[a].clone(), row[b].clone()),
                None => Default::default(),
            };
            let estimates = contrasts_by_measure(question, &cell_a, &cell_b)
                .into_iter()
                .map(|(measure, a, b, contrast)| GapEstimate { measure, a, b, contrast })
                .collect();
            pairs.push(GroupPair {
                a: groups[a].name.to_owned(),
                b: groups[b].name.to_owned(),
                n_a: cell_a.n,
                n_b: cell_b.n,
                estimates,
            });
        }
    }
    Gaps { var_name: question.var_name.clone(), split, wave, pairs }
}
