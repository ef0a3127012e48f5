//! "Predict the nation": the room guesses the weighted national share of a group giving some
//! responses to a catalog question, then sees its guesses beside the survey's estimate.

use serde::Serialize;
use utoipa::ToSchema;

use crate::polls::model::{MeanEstimate, ResultsHead, Tally};
use crate::surveys::weighted_proportions::Share;

/// What the room guesses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub(crate) struct PredictTarget {
    /// The catalog question.
    pub var_name: String,
    pub question: String,
    /// The responses whose share is guessed, and their labels.
    pub response_indices: Vec<i16>,
    pub responses: Vec<String>,
    /// A party or ideology group; null: all US adults.
    pub group: Option<String>,
    pub wave: i32,
    /// Whether the closest guesses are listed by the names participants chose.
    pub show_closest: bool,
    /// Whether the question's text is the one made from the target (no text was given).
    pub text_generated: bool,
}

/// The difference between the room's mean guess and the national estimate, in percentage points,
/// with a 95% interval that counts both uncertainties: se = √(se_room² + se_nation²) (the two
/// are independent samples), t quantile with Welch–Satterthwaite degrees of freedom
/// ν = se⁴ / (se_room⁴/(n_room − 1) + se_nation⁴/(n_nation − 1)).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct PerceptionGap {
    /// Mean guess − 100 × the national share.
    pub difference: f64,
    /// Null below two guesses.
    pub se: Option<f64>,
    pub df: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

/// The nation's answer, from the survey.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct NationalTarget {
    /// Unweighted respondents in the group with a valid answer in the wave.
    pub n: u64,
    /// The weighted share (0–1) with its SE and 95% logit interval, as the dashboards show it.
    pub share: Share,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct GroupGuess {
    pub group: String,
    /// The group's mean guess (percent).
    pub mean: MeanEstimate,
    pub gap: Option<PerceptionGap>,
}

/// A guess near the nation's answer, by the name its participant chose.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ClosestGuess {
    pub display_name: String,
    pub percent: i16,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct PredictResults {
    #[serde(flatten)]
    pub head: ResultsHead,
    pub target: PredictTarget,
    /// Guesses per percent, 0 to 100 (101 counts).
    pub guesses: Tally,
    /// The mean guess (percent) with a 95% interval on the logit scale of 0–100 (as a scale's).
    pub mean: Option<MeanEstimate>,
    /// The nation's answer and the gaps: withheld from the public while the question takes
    /// answers (the room guesses unanchored), whatever the poll's national setting.
    pub nation: Option<NationalTarget>,
    pub gap: Option<PerceptionGap>,
    /// Per group of the poll's split question with guesses, against the same national answer.
    pub groups: Vec<GroupGuess>,
    /// Up to five named guesses nearest the nation's answer (only when the presenter asked for
    /// them; withheld with the nation).
    pub closest: Vec<ClosestGuess>,
}
