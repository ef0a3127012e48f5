//! The difference between two disjoint sets of respondents' weighted shares (two groups in one wave,
//! or one group in two waves), exactly as R's `survey` package computes it for
//! `svydesign(ids = ~1, weights = ~weight, data)` on the respondents of both sets:
//! `svyby(~y, ~g, des, svymean, covmat = TRUE)`, then `svycontrast` for `a − b`.
//!
//! - Each set's mean `p = Σ w·y / Σ w` over its own respondents (a domain mean).
//! - `svyby(covmat = TRUE)` takes each domain mean's influence values, `w·(y − p) / Σw` on the
//!   domain's respondents and 0 elsewhere, and feeds them to `svyrecvar` on the *whole* design:
//!   `n/(n−1)` times the sum of their cross-products, `n = n_a + n_b`. The sets are disjoint, so
//!   the covariance is 0 and `var(a − b) = n/(n−1) · (Q_a / W_a² + Q_b / W_b²)` with
//!   `Q = Σ w²(y − p)²` over the set. (The `n/(n−1)` is the pooled one, not each set's own: this
//!   is why a contrast's SE is not quite `sqrt(se_a² + se_b²)` of the proportions endpoint.)
//! - `df = n − 1`; 95% CI `d ± qt(0.975, df)·se`; `p = 2·pt(−|d/se|, df)`.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};
use utoipa::ToSchema;

use crate::surveys::proportions::top2_indexes;
use crate::surveys::snapshot::Question;
use crate::surveys::weighted_proportions::CellSums;

/// For each measure (see [`measures`]): its name, the shares of `first` and `second`, and
/// `first − second`; nothing when either side has no respondent.
pub(crate) fn contrasts_by_measure(
    question: &Question,
    first: &CellSums,
    second: &CellSums,
) -> Vec<(String, f64, f64, Contrast)> {
    measures(question)
        .into_iter()
        .filter_map(|(measure, responses)| {
            let (share_first, share_second, contrast) = contrast(first, second, &responses)?;
            Some((measure, share_first, share_second, contrast))
        })
        .collect()
}

/// What a contrast compares: the top-two share (`"top2"`), then each response's share (named by
/// its text), with the response indexes each counts.
pub(crate) fn measures(question: &Question) -> Vec<(String, Vec<usize>)> {
    let count = question.responses.len();
    std::iter::once(("top2".to_owned(), top2_indexes(count).collect()))
        .chain(question.responses.iter().enumerate().map(|(k, label)| (label.clone(), vec![k])))
        .collect()
}

/// A difference of two weighted shares with its uncertainty.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub(crate) struct Contrast {
    pub difference: f64,
    /// Linearization SE of the difference (`svycontrast` on `svyby(…, covmat = TRUE)`).
    pub se: f64,
    /// `difference ± qt(0.975, df) · se`.
    pub ci_low: f64,
    pub ci_high: f64,
    /// Respondents in both sets − 1.
    pub df: u64,
    /// Two-sided, Student's t with `df`; null when the SE is 0 and the difference too (0/0).
    pub p_value: Option<f64>,
}

/// A share of one set of respondents and what its variance needs.
struct SetShare {
    p: f64,
    /// `Q / W²`: the set's sum of squared influence values before the `n/(n−1)` factor.
    variance_part: f64,
}

fn set_share(cell: &CellSums, responses: &[usize]) -> SetShare {
    let (sw_k, sw2_k) = responses
        .iter()
        .fold((0.0, 0.0), |(sw, sw2), &k| (sw + cell.per_response[k].sum_w, sw2 + cell.per_response[k].sum_w2));
    let p = sw_k / cell.sum_w;
    let q = 1.0 - p;
    // Σ w²(y − p)² split by y: guard against rounding taking it a hair below zero.
    let squares = (q * q * sw2_k + p * p * (cell.sum_w2 - sw2_k)).max(0.0);
    SetShare { p, variance_part: squares / (cell.sum_w * cell.sum_w) }
}

/// The shares of respondents whose response is in `responses` among `a` and `b`, and `a − b`;
/// `None` when either set has no respondent.
pub(crate) fn contrast(a: &CellSums, b: &CellSums, responses: &[usize]) -> Option<(f64, f64, Contrast)> {
    if a.n == 0 || b.n == 0 || a.sum_w <= 0.0 || b.sum_w <= 0.0 {
        return None;
    }
    let (share_a, share_b) = (set_share(a, responses), set_share(b, responses));
    let n = (a.n + b.n) as f64;
    let se = (n / (n - 1.0) * (share_a.variance_part + share_b.variance_part)).sqrt();
    let difference = share_a.p - share_b.p;
    let df = a.n + b.n - 1;
    let t = StudentsT::new(0.0, 1.0, df as f64).ok()?;
    let half = t.inverse_cdf(0.975) * se;
    let statistic = difference / se;
    let p_value = (!statistic.is_nan()).then(|| 2.0 * t.cdf(-statistic.abs()));
    Some((
        share_a.p,
        share_b.p,
        Contrast { difference, se, ci_low: difference - half, ci_high: difference + half, df, p_value },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(answers: &[(usize, f64)]) -> CellSums {
        let mut sums = CellSums::new(3);
        for &(k, w) in answers {
            sums.add(k, w);
        }
        sums
    }

    /// The influence-function form of the variance, respondent by respondent.
    #[test]
    fn sums_reproduce_the_pooled_influence_variance() {
        let a = [(0, 1.2), (1, 0.4), (2, 2.5), (2, 0.9)];
        let b = [(0, 1.1), (2, 0.3), (1, 1.7), (2, 0.8), (0, 2.2)];
        let mean = |set: &[(usize, f64)]| {
            set.iter().filter(|r| r.0 == 2).map(|r| r.1).sum::<f64>() / set.iter().map(|r| r.1).sum::<f64>()
        };
        let influence = |set: &[(usize, f64)]| {
            let (p, sw) = (mean(set), set.iter().map(|r| r.1).sum::<f64>());
            set.iter().map(|&(k, w)| (w * ((k == 2) as u8 as f64 - p) / sw).powi(2)).sum::<f64>()
        };
        let n = 9.0;
        let expected_se = (n / (n - 1.0) * (influence(&a) + influence(&b))).sqrt();
        let (pa, pb, c) = contrast(&cell(&a), &cell(&b), &[2]).unwrap();
        assert!((pa - mean(&a)).abs() < 1e-15 && (pb - mean(&b)).abs() < 1e-15);
        assert!((c.difference - (pa - pb)).abs() < 1e-15);
        assert!((c.se - expected_se).abs() < 1e-15);
        assert_eq!(c.df, 8);
        assert!(c.ci_low < c.difference && c.difference < c.ci_high);
    }

    #[test]
    fn no_difference_and_no_variance_has_no_p_value() {
        let (_, _, c) = contrast(&cell(&[(0, 1.0), (0, 2.0)]), &cell(&[(0, 1.5)]), &[2]).unwrap();
        assert_eq!((c.difference, c.se, c.p_value), (0.0, 0.0, None));
    }

    #[test]
    fn an_empty_set_has_no_contrast() {
        assert!(contrast(&cell(&[(0, 1.0)]), &cell(&[]), &[0]).is_none());
    }
}
