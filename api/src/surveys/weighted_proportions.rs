//! Weighted proportions with design-based standard errors and logit confidence intervals, exactly as
//! R's `survey` package computes them for `svydesign(ids = ~1, weights = ~weight)` built on a
//! cell's respondents:
//!
//! - `p = Σ w·y / Σ w` (`svymean` / `svyciprop`);
//! - `se = sqrt(n/(n−1) · Σ w²(y − p)²) / Σ w` — the linearization variance of `svymean` with one
//!   stage and no strata (`svyrecvar`: `n/(n−1)` times the sum of squared, centred influence values);
//! - 95% CI of `svyciprop(method = "logit")`: `logit(p) ± t(0.975, n−1) · se / (p(1−p))`, mapped
//!   back with the logistic function (the intercept-only quasibinomial `svyglm` gives exactly that
//!   slope and sandwich variance). At `p = 0` or `p = 1` the interval is `[p, p]`.
//!
//! With one indicator `y` per response, `Σ w²(y − p)² = (1 − p)²·S₂(k) + p²·(S₂ − S₂(k))`, where
//! `S₂(k)` sums `w²` over the respondents who gave response `k`: per-response sums of `w` and `w²`
//! are all a cell needs.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};
use utoipa::ToSchema;

/// Sums over one cell (a wave or all waves × a group or everyone).
#[derive(Debug, Clone, Default)]
pub(crate) struct CellSums {
    pub n: u64,
    pub sum_w: f64,
    pub sum_w2: f64,
    /// Per response index.
    pub per_response: Vec<ResponseSums>,
}

/// Sums over the respondents of one cell who gave one response.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ResponseSums {
    pub count: u64,
    pub sum_w: f64,
    pub sum_w2: f64,
}

impl CellSums {
    pub(crate) fn new(responses: usize) -> Self {
        Self { per_response: vec![ResponseSums::default(); responses], ..Self::default() }
    }

    pub(crate) fn add(&mut self, response: usize, weight: f64) {
        let w2 = weight * weight;
        self.n += 1;
        self.sum_w += weight;
        self.sum_w2 += w2;
        let slot = &mut self.per_response[response];
        slot.count += 1;
        slot.sum_w += weight;
        slot.sum_w2 += w2;
    }

    /// Kish's effective sample size, `(Σw)² / Σw²`.
    pub(crate) fn n_eff(&self) -> f64 {
        if self.sum_w2 > 0.0 { self.sum_w * self.sum_w / self.sum_w2 } else { 0.0 }
    }

    /// The estimate for the share of respondents whose response is in `responses`.
    pub(crate) fn estimate(&self, responses: impl IntoIterator<Item = usize>, t_quantile: Option<f64>) -> Share {
        let (mut sw, mut sw2) = (0.0, 0.0);
        for k in responses {
            sw += self.per_response[k].sum_w;
            sw2 += self.per_response[k].sum_w2;
        }
        estimate(self.n, self.sum_w, self.sum_w2, sw, sw2, t_quantile)
    }
}

/// A weighted share with its uncertainty. `se`, `ci_low`, `ci_high` are null when the cell has a
/// single respondent (no variance can be estimated from one); when `p` is 0 or 1 the interval is
/// `[p, p]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({"p": 0.562, "se": 0.0376, "ci_low": 0.4872, "ci_high": 0.6341}))]
pub(crate) struct Share {
    /// Σ weight of respondents in the share / Σ weight of respondents with a valid answer.
    pub p: f64,
    /// Linearization standard error (R `survey`, `svydesign(ids = ~1, weights = ~weight)`).
    pub se: Option<f64>,
    /// 95% interval of `svyciprop(method = "logit")`.
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

/// The 0.975 quantile of Student's t with `n − 1` degrees of freedom, the one a cell's interval
/// uses; `None` for `n < 2`.
pub(crate) fn t_quantile_975(n: u64) -> Option<f64> {
    if n < 2 {
        return None;
    }
    StudentsT::new(0.0, 1.0, (n - 1) as f64).ok().map(|t| t.inverse_cdf(0.975))
}

/// The 0.975 quantile of Student's t with `df` degrees of freedom, which need not be a whole
/// number (a Welch–Satterthwaite df); `None` unless `df` is positive and finite.
pub(crate) fn t_quantile_975_df(df: f64) -> Option<f64> {
    if !(df.is_finite() && df > 0.0) {
        return None;
    }
    StudentsT::new(0.0, 1.0, df).ok().map(|t| t.inverse_cdf(0.975))
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// See the module docs. `sum_w_k`/`sum_w2_k` sum over the respondents in the share.
pub(crate) fn estimate(n: u64, sum_w: f64, sum_w2: f64, sum_w_k: f64, sum_w2_k: f64, t_quantile: Option<f64>) -> Share {
    let p = if sum_w > 0.0 { sum_w_k / sum_w } else { 0.0 };
    let Some(t) = t_quantile.filter(|_| n >= 2) else {
        return Share { p, se: None, ci_low: None, ci_high: None };
    };
    let q = 1.0 - p;
    // Guard against rounding pushing a sum of squares a hair below zero.
    let squares = (q * q * sum_w2_k + p * p * (sum_w2 - sum_w2_k)).max(0.0);
    let nf = n as f64;
    let se = (nf / (nf - 1.0) * squares).sqrt() / sum_w;
    let (ci_low, ci_high) = if p <= 0.0 || p >= 1.0 {
        (p, p)
    } else {
        let logit = (p / q).ln();
        let half = t * se / (p * q);
        (logistic(logit - half), logistic(logit + half))
    };
    Share { p, se: Some(se), ci_low: Some(ci_low), ci_high: Some(ci_high) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Direct evaluation of the formulas over individual respondents, for comparison.
    fn by_definition(answers: &[(usize, f64)], k: usize) -> (f64, f64) {
        let sw: f64 = answers.iter().map(|a| a.1).sum();
        let p = answers.iter().filter(|a| a.0 == k).map(|a| a.1).sum::<f64>() / sw;
        let n = answers.len() as f64;
        let squares: f64 = answers.iter().map(|&(r, w)| w * w * ((if r == k { 1.0 } else { 0.0 }) - p).powi(2)).sum();
        (p, (n / (n - 1.0) * squares).sqrt() / sw)
    }

    #[test]
    fn sums_reproduce_the_respondent_level_formula() {
        let answers = [(0, 1.2), (1, 0.4), (1, 2.5), (2, 0.9), (0, 1.1), (3, 0.3), (1, 1.7)];
        let mut cell = CellSums::new(4);
        for &(r, w) in &answers {
            cell.add(r, w);
        }
        for k in 0..4 {
            let got = cell.estimate([k], t_quantile_975(cell.n));
            let (p, se) = by_definition(&answers, k);
            assert!((got.p - p).abs() < 1e-15);
            assert!((got.se.unwrap() - se).abs() < 1e-15);
        }
    }

    #[test]
    fn an_all_or_nothing_share_has_a_degenerate_interval() {
        let mut cell = CellSums::new(2);
        cell.add(0, 1.0);
        cell.add(0, 2.0);
        let none = cell.estimate([1], t_quantile_975(cell.n));
        assert_eq!((none.p, none.ci_low, none.ci_high, none.se), (0.0, Some(0.0), Some(0.0), Some(0.0)));
        let all = cell.estimate([0], t_quantile_975(cell.n));
        assert_eq!((all.p, all.ci_low, all.ci_high), (1.0, Some(1.0), Some(1.0)));
    }

    #[test]
    fn one_respondent_has_no_variance_estimate() {
        let mut cell = CellSums::new(2);
        cell.add(1, 1.0);
        assert_eq!(cell.estimate([1], t_quantile_975(cell.n)), Share { p: 1.0, se: None, ci_low: None, ci_high: None });
    }

    #[test]
    fn t_quantiles_match_r_qt() {
        // sprintf("%.17g", qt(0.975, c(1, 9, 316, 2999))) in R 4.2.
        for (n, expected) in
            [(2, 12.706204736174694), (10, 2.262157162798205), (317, 1.967499518824058), (3000, 1.9607553192053147)]
        {
            let got = t_quantile_975(n).unwrap();
            assert!((got - expected).abs() < 1e-9, "n = {n}: {got} vs {expected}");
        }
    }
}
