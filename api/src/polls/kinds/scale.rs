//! A scale question: 1–5, 1–7 or 0–10 with labelled ends; results are the distribution over its
//! points and the mean with a 95% t interval.

use crate::error::AppError;
use crate::polls::kinds::{
    Choice, PollQuestion, QuestionKind, QuestionKindName, QuestionSpec, ResultsInput, StoredAnswer, missing,
    only_field, own_key, own_text, own_view,
};
use crate::polls::model::{
    Answer, GroupMean, MeanEstimate, NewPollQuestion, OfferedResponse, PollQuestionView, QuestionResults, ScaleResults,
    Tally,
};
use crate::surveys::snapshot::SurveySnapshot;
use crate::surveys::weighted_proportions::t_quantile_975;
use crate::text_rules::SCALE_LABEL;

/// The scales a presenter may use.
pub(crate) const SCALES: [(i16, i16); 3] = [(1, 5), (1, 7), (0, 10)];

pub(crate) use crate::polls::model::ScaleSpec;

/// # Errors
/// Missing text, a scale other than 1–5, 1–7 or 0–10, an overlong label.
pub(crate) fn new_question(new: &NewPollQuestion, at: usize) -> Result<PollQuestion, AppError> {
    let text = own_text(new, at)?;
    let (Some(min), Some(max)) = (new.min, new.max) else {
        let field = if new.min.is_none() { "min" } else { "max" };
        return Err(AppError::invalid_field(format!("questions[{at}].{field}"), "a scale needs min and max"));
    };
    if !SCALES.contains(&(min, max)) {
        let field = if SCALES.iter().any(|&(lo, _)| lo == min) { "max" } else { "min" };
        return Err(AppError::invalid_field(
            format!("questions[{at}].{field}"),
            format!("a scale runs 1–5, 1–7 or 0–10, not {min}–{max}"),
        ));
    }
    let label = |field: &str, value: &Option<String>| {
        SCALE_LABEL.check(&format!("questions[{at}].{field}"), value.as_deref().unwrap_or_default())
    };
    let spec = ScaleSpec {
        text,
        min,
        max,
        min_label: label("min_label", &new.min_label)?,
        max_label: label("max_label", &new.max_label)?,
    };
    Ok(PollQuestion {
        var_name: own_key(at),
        offered: (min..=max).collect(),
        results_hidden: new.results_hidden,
        spec: QuestionSpec::Scale(spec),
    })
}

/// The mean of the points with the 95% CI from the t distribution (n − 1 df): what R's
/// `t.test(x)$conf.int` gives for the same answers.
pub(crate) fn mean_of(points: &[i16], tally: &Tally) -> Option<MeanEstimate> {
    let n = tally.n;
    if n == 0 {
        return None;
    }
    let values = || points.iter().zip(&tally.counts).map(|(&v, &c)| (f64::from(v), c as f64));
    let nf = n as f64;
    let mean = values().map(|(v, c)| v * c).sum::<f64>() / nf;
    if n < 2 {
        return Some(MeanEstimate { n, mean, se: None, ci_low: None, ci_high: None });
    }
    let variance = values().map(|(v, c)| c * (v - mean).powi(2)).sum::<f64>() / (nf - 1.0);
    let se = (variance / nf).sqrt();
    let t = t_quantile_975(u64::try_from(n).unwrap_or(u64::MAX))?;
    Some(MeanEstimate { n, mean, se: Some(se), ci_low: Some(mean - t * se), ci_high: Some(mean + t * se) })
}

impl QuestionKind for ScaleSpec {
    fn name(&self) -> QuestionKindName {
        QuestionKindName::Scale
    }

    fn view(&self, question: &PollQuestion, _: &SurveySnapshot) -> Option<PollQuestionView> {
        let points = (self.min..=self.max).map(|v| OfferedResponse { index: v, response: v.to_string() }).collect();
        let mut view = own_view(question, QuestionKindName::Scale, &self.text, points);
        view.scale = Some(self.clone());
        Some(view)
    }

    fn answer(&self, question: &PollQuestion, answer: &Answer, at: usize) -> Result<Choice, AppError> {
        only_field(answer, at, "value", QuestionKindName::Scale)?;
        let Some(value) = answer.value else { return Err(missing(at, "value", QuestionKindName::Scale)) };
        if !(self.min..=self.max).contains(&value) {
            return Err(AppError::invalid_field(
                format!("answers[{at}].value"),
                format!("'{}' runs from {} to {}, not {value}", question.var_name, self.min, self.max),
            ));
        }
        Ok(Choice::One(value))
    }

    fn results(&self, input: ResultsInput<'_>) -> QuestionResults {
        let (overall, groups) = input.tally.counts(input.groups);
        let points = &input.question.offered;
        let group_means = groups
            .iter()
            .filter_map(|g| Some(GroupMean { group: g.group.clone(), estimate: mean_of(points, &g.tally)? }))
            .collect();
        QuestionResults::Scale(ScaleResults {
            head: input.head(),
            scale: self.clone(),
            responses: input.view.responses,
            mean: mean_of(points, &overall),
            overall,
            groups,
            group_means,
        })
    }

    fn csv_cells(&self, _: &PollQuestion, _: &PollQuestionView, answer: Option<&StoredAnswer>) -> Vec<String> {
        vec![answer.and_then(|a| a.response_index).map(|v| v.to_string()).unwrap_or_default()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mean_and_its_interval_match_a_t_test() {
        // x = c(1, 2, 2, 3, 5): t.test(x) gives mean 2.6, 95% CI 0.7169233 .. 4.4830767
        // (qt(0.975, 4) = 2.776445105; sd = sqrt(2.3)).
        let tally = Tally { n: 5, counts: vec![1, 2, 1, 0, 1], shares: vec![] };
        let estimate = mean_of(&[1, 2, 3, 4, 5], &tally).unwrap();
        assert!((estimate.mean - 2.6).abs() < 1e-12);
        assert!((estimate.ci_low.unwrap() - 0.716_923_311_651_558_5).abs() < 1e-9, "{:?}", estimate.ci_low);
        assert!((estimate.ci_high.unwrap() - 4.483_076_688_348_442).abs() < 1e-9, "{:?}", estimate.ci_high);
        let one = Tally { n: 1, counts: vec![0, 0, 1, 0, 0], shares: vec![] };
        let single = mean_of(&[1, 2, 3, 4, 5], &one).unwrap();
        assert_eq!((single.mean, single.se), (3.0, None));
        assert!(mean_of(&[1, 2, 3, 4, 5], &Tally { n: 0, counts: vec![0; 5], shares: vec![] }).is_none());
    }
}
