//! A scale question: 1–5, 1–7 or 0–10 with labelled ends; results are the distribution over its
//! points and the mean with a 95% interval built on the logit scale, so that it stays on the scale.

use crate::error::AppError;
use crate::polls::kinds::{
    Choice, PollQuestion, QuestionKind, QuestionKindName, QuestionSpec, ResultsInput, StoredAnswer, missing,
    only_field, own_key, own_text, own_view, speaker_notes_of, timer_of,
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
        speaker_notes: speaker_notes_of(new, at)?,
        timer_seconds: timer_of(new, at)?,
        spec: QuestionSpec::Scale(spec),
    })
}

/// The mean of the answers with a 95% logit interval: the mean's place on the scale,
/// p = (mean − min)/(max − min), gets the interval logit(p) ∓ t·se_p/(p(1 − p)) (the delta method,
/// t with n − 1 df), mapped back onto the scale. A mean of bounded answers has a bounded interval:
/// the symmetric t interval (R's `t.test`) could read 1.2–8.3 on a 1–7 scale, this one always lies
/// within the scale and is asymmetric near its ends, like a survey share's (weighted_proportions.rs).
///
/// `points` are the scale's points, lowest to highest (the question's `offered`), with the tally's
/// counts. `se` is the standard error of the mean on the scale's own points, sd/√n (sd with
/// n − 1). No answers: `None`. One answer: no `se` and no interval. Every answer the same (sd 0,
/// which is the case whenever every answer is at one end, where the logit is infinite): `se` 0 and
/// the interval [mean, mean], the rule a survey share of 0 or 1 follows.
pub(crate) fn mean_of(points: &[i16], tally: &Tally) -> Option<MeanEstimate> {
    let values = points.iter().zip(&tally.counts).map(|(&v, &c)| (f64::from(v), c));
    bounded_mean(values, (f64::from(*points.first()?), f64::from(*points.last()?)))
}

/// The mean of values that lie within `(min, max)`, given as (value, how many answers gave it),
/// with the interval of [`mean_of`] (a ranking's mean ranks lie within 1…items, a guess within
/// 0–100).
pub(crate) fn bounded_mean(
    values: impl Iterator<Item = (f64, i64)> + Clone,
    (min, max): (f64, f64),
) -> Option<MeanEstimate> {
    let n: i64 = values.clone().map(|(_, c)| c).sum();
    if n == 0 {
        return None;
    }
    let values = || values.clone().map(|(v, c)| (v, c as f64));
    let nf = n as f64;
    let mean = values().map(|(v, c)| v * c).sum::<f64>() / nf;
    if n < 2 {
        return Some(MeanEstimate { n, mean, se: None, ci_low: None, ci_high: None });
    }
    let variance = values().map(|(v, c)| c * (v - mean).powi(2)).sum::<f64>() / (nf - 1.0);
    let se = (variance / nf).sqrt();
    let t = t_quantile_975(u64::try_from(n).unwrap_or(u64::MAX))?;
    let width = max - min;
    let p = (mean - min) / width;
    let (ci_low, ci_high) = if se > 0.0 && p > 0.0 && p < 1.0 {
        let centre = p.ln() - (-p).ln_1p();
        let half = t * (se / width) / (p * (1.0 - p));
        (min + width * logistic(centre - half), min + width * logistic(centre + half))
    } else {
        (mean, mean)
    };
    Some(MeanEstimate { n, mean, se: Some(se), ci_low: Some(ci_low), ci_high: Some(ci_high) })
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
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

    /// Made by `api/tests/fixtures/scale-intervals.py` (numpy and scipy over the answers, not
    /// this code): the cases' tallies and their expected means, se and intervals.
    const FIXTURE: &str = include_str!("../../../tests/fixtures/scale-intervals.json");

    fn tally(counts: &[i64]) -> Tally {
        Tally { n: counts.iter().sum(), counts: counts.to_vec(), shares: vec![] }
    }

    fn close(label: &str, ours: Option<f64>, expected: &serde_json::Value) {
        match (ours, expected.as_f64()) {
            (Some(a), Some(b)) => assert!((a - b).abs() < 1e-9, "{label}: ours {a}, expected {b}"),
            (a, b) => assert_eq!(a, b, "{label}"),
        }
    }

    #[test]
    fn the_mean_and_its_interval_match_an_independent_computation() {
        let fixture: serde_json::Value = serde_json::from_str(FIXTURE).unwrap();
        for case in fixture["cases"].as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            let bound = |field: &str| i16::try_from(case[field].as_i64().unwrap()).unwrap();
            let points: Vec<i16> = (bound("min")..=bound("max")).collect();
            let counts: Vec<i64> = case["counts"].as_array().unwrap().iter().map(|c| c.as_i64().unwrap()).collect();
            let ours = mean_of(&points, &tally(&counts));
            let Some(ours) = ours else {
                assert!(case["mean"].is_null(), "{name}: no mean");
                continue;
            };
            assert_eq!(ours.n, case["n"].as_i64().unwrap(), "{name}");
            close(&format!("{name} mean"), Some(ours.mean), &case["mean"]);
            close(&format!("{name} se"), ours.se, &case["se"]);
            close(&format!("{name} ci_low"), ours.ci_low, &case["ci_low"]);
            close(&format!("{name} ci_high"), ours.ci_high, &case["ci_high"]);
        }
    }

    #[test]
    fn the_mean_and_its_interval_by_hand() {
        // x = c(1, 2, 2, 3, 5) on 1–5: mean 2.6, se = sqrt(2.3 / 5); p = 0.4, and the logit
        // interval is 1.3428948516535273 .. 4.303156589376863 (t.test's 0.7169233 .. 4.4830767
        // left the scale).
        let estimate = mean_of(&[1, 2, 3, 4, 5], &tally(&[1, 2, 1, 0, 1])).unwrap();
        assert!((estimate.mean - 2.6).abs() < 1e-12);
        assert!((estimate.se.unwrap() - (2.3f64 / 5.0).sqrt()).abs() < 1e-12);
        assert!((estimate.ci_low.unwrap() - 1.342_894_851_653_527_3).abs() < 1e-9, "{:?}", estimate.ci_low);
        assert!((estimate.ci_high.unwrap() - 4.303_156_589_376_863).abs() < 1e-9, "{:?}", estimate.ci_high);
        let single = mean_of(&[1, 2, 3, 4, 5], &tally(&[0, 0, 1, 0, 0])).unwrap();
        assert_eq!((single.n, single.mean, single.se, single.ci_low, single.ci_high), (1, 3.0, None, None, None));
        assert!(mean_of(&[1, 2, 3, 4, 5], &tally(&[0; 5])).is_none());
    }

    #[test]
    fn the_interval_stays_on_the_scale_and_holds_the_mean() {
        // xorshift64: tallies of every size, many piled up at one end or both.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |below: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % below
        };
        for &(min, max) in &SCALES {
            let points: Vec<i16> = (min..=max).collect();
            let k = points.len() as u64;
            for _ in 0..5_000 {
                let most = [3, 30, 1_000, 100_000][next(4) as usize];
                let mut counts = vec![0i64; points.len()];
                for _ in 0..=next(3) {
                    // Half the picks at an end.
                    let at = if next(2) == 0 { [0, k - 1][next(2) as usize] } else { next(k) };
                    counts[at as usize] += next(most) as i64;
                }
                let Some(e) = mean_of(&points, &tally(&counts)) else { continue };
                let (Some(low), Some(high), Some(se)) = (e.ci_low, e.ci_high, e.se) else {
                    assert!(e.n < 2, "{counts:?}");
                    continue;
                };
                let (lo, hi) = (f64::from(min), f64::from(max));
                assert!(lo <= low && low <= e.mean && e.mean <= high && high <= hi, "{counts:?}: {e:?}");
                assert!(se > 0.0 || low == high, "{counts:?}: {e:?}");
                assert!(se == 0.0 || (low < e.mean && e.mean < high), "{counts:?}: {e:?}");
            }
        }
    }
}
