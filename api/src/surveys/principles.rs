//! `GET /api/surveys/principles`: importance vs performance. For each democratic characteristic
//! asked in both batteries, the top-2 share of `imp_X` and of `perf_X` per group, over the selected
//! waves pooled.

use serde::Serialize;
use utoipa::ToSchema;

use crate::surveys::groups::Split;
use crate::surveys::proportions::{Share, question_sums, top2_indexes};
use crate::surveys::snapshot::{Question, QuestionAnswers, SurveySnapshot};
use crate::surveys::weighted_proportions::t_quantile_975;

/// The top-2 share of one question in one group.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct TopShare {
    pub var_name: String,
    pub n: u64,
    pub n_eff: f64,
    #[serde(flatten)]
    pub share: Share,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct PrincipleGroup {
    /// The group, or null for all respondents.
    pub group: Option<String>,
    /// Share rating the principle Important or Essential.
    pub importance: TopShare,
    /// Share saying the US Mostly or Fully meets it.
    pub performance: TopShare,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct Principle {
    /// The characteristic's name without the `imp_`/`perf_` prefix.
    pub characteristic: String,
    pub text: String,
    pub short_text: Option<String>,
    pub sub_battery: Option<String>,
    pub groups: Vec<PrincipleGroup>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct Principles {
    pub split: Split,
    /// The waves pooled.
    pub waves: Vec<i32>,
    pub principles: Vec<Principle>,
}

pub(crate) const IMPORTANCE_PREFIX: &str = "imp_";
pub(crate) const PERFORMANCE_PREFIX: &str = "perf_";

/// Pairs of catalog questions (`imp_X`, `perf_X`), ordered by the importance battery's order.
pub(crate) fn principle_pairs(snapshot: &SurveySnapshot) -> Vec<(&Question, &Question)> {
    let mut pairs: Vec<(&Question, &Question)> = snapshot
        .batteries
        .iter()
        .flat_map(|b| b.questions.iter())
        .filter_map(|var_name| {
            let characteristic = var_name.strip_prefix(IMPORTANCE_PREFIX)?;
            let importance = snapshot.questions.get(var_name)?;
            let performance = snapshot.questions.get(&format!("{PERFORMANCE_PREFIX}{characteristic}"))?;
            Some((importance, performance))
        })
        .collect();
    pairs.dedup_by(|a, b| a.0.var_name == b.0.var_name);
    pairs
}

/// Per group (then everyone), the pooled top-2 share; None where the question has no answer.
fn top2_by_group(
    snapshot: &SurveySnapshot,
    question: &Question,
    answers: &QuestionAnswers,
    split: Split,
    waves: &[i32],
) -> Vec<Option<TopShare>> {
    let sums = question_sums(snapshot, question, answers, split, Some(waves));
    let pooled = sums.cells.last().expect("the pooled row always exists");
    pooled
        .iter()
        .map(|cell| {
            (cell.n > 0).then(|| TopShare {
                var_name: question.var_name.clone(),
                n: cell.n,
                n_eff: cell.n_eff(),
                share: cell.estimate(top2_indexes(question.responses.len()), t_quantile_975(cell.n)),
            })
        })
        .collect()
}

/// One principle, if both of its questions have answers in the selected waves.
pub(crate) fn principle(
    snapshot: &SurveySnapshot,
    (importance, performance): (&Question, &Question),
    (importance_answers, performance_answers): (&QuestionAnswers, &QuestionAnswers),
    split: Split,
    waves: &[i32],
) -> Option<Principle> {
    let imp = top2_by_group(snapshot, importance, importance_answers, split, waves);
    let perf = top2_by_group(snapshot, performance, performance_answers, split, waves);
    let names = split.groups();
    let groups: Vec<PrincipleGroup> = imp
        .into_iter()
        .zip(perf)
        .enumerate()
        .filter_map(|(g, (i, p))| {
            Some(PrincipleGroup { group: names.get(g).map(|d| d.name.to_owned()), importance: i?, performance: p? })
        })
        .collect();
    // "Asked in both batteries": both have answers from everyone-together.
    groups.iter().any(|g| g.group.is_none()).then(|| Principle {
        characteristic: importance.var_name.trim_start_matches(IMPORTANCE_PREFIX).to_owned(),
        text: importance.text.clone(),
        short_text: importance.short_text.clone(),
        sub_battery: importance.sub_battery.clone(),
        groups,
    })
}
