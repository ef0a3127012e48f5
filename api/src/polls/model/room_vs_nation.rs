//! The room against the nation, as the results carry it: the national reference a comparison is
//! computed from, and the comparison itself (computed by `polls::results::room_vs_nation`).

use serde::Serialize;
use utoipa::ToSchema;

use crate::surveys::weighted_proportions::Share;

/// What the nation says about one question, fixed while a poll runs: read once per results load.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NationalReference {
    pub wave: i32,
    pub everyone: NationalCell,
    /// Per group of the poll's split, when the split is a survey split (pid3, ideo7).
    pub groups: Vec<NationalCell>,
    /// The nation's mix of the split's groups, for the reweighted room.
    pub group_mix: Option<GroupMix>,
}

/// One cell of the nation: valid answers and the share of each offered response, in offered order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NationalCell {
    pub n: u64,
    pub shares: Vec<Share>,
}

/// The nation's weighted shares of the split's groups, among respondents in one of them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GroupMix {
    /// The latest wave that asked the split question.
    pub wave: i32,
    pub shares: Vec<f64>,
}

/// Is the room's difference from the nation real?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Verdict {
    /// p < 0.05 with at least 30 answers in the room.
    Real,
    /// At least 30 answers, p ≥ 0.05.
    NotSignificant,
    /// Fewer than 30 answers: not compared.
    TooFewAnswers,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub(crate) struct ResponseComparison {
    pub response: String,
    /// The room's share (reweighted, in `reweighted`); null without answers.
    pub room: Option<f64>,
    /// The nation's weighted share with its SE and 95% CI.
    pub nation: Share,
    /// `room − nation`, with its SE, 95% CI and two-sided p-value (normal approximation); null
    /// without answers in the room, `p_value` null when the SE is 0.
    pub difference: Option<f64>,
    pub se: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub p_value: Option<f64>,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub(crate) struct Comparison {
    /// Answers in the room.
    pub n_room: i64,
    /// Valid answers in the survey wave (unweighted).
    pub n_nation: u64,
    /// One per offered response, in offered order.
    pub responses: Vec<ResponseComparison>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub(crate) struct GroupComparison {
    pub group: String,
    #[serde(flatten)]
    pub comparison: Comparison,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub(crate) struct GroupWeight {
    pub group: String,
    /// The nation's weighted share of the group among respondents in one of the groups.
    pub nation: f64,
    /// The room's share of the group among its participants in one of the groups.
    pub room: f64,
}

/// The room reweighted to the nation's mix of the split's groups.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub(crate) struct ReweightedRoom {
    /// The survey wave the group mix comes from.
    pub mix_wave: i32,
    /// Each group's share in the nation and in the room (groups absent from the room left out).
    pub mix: Vec<GroupWeight>,
    /// Participants who answered, in no group of the split: left out of the reweighted figure.
    pub left_out: i64,
    /// Kish's effective sample size of the reweighted room, `(Σw)²/Σw²`.
    pub n_eff: f64,
    #[serde(flatten)]
    pub comparison: Comparison,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub(crate) struct RoomVsNation {
    /// The survey wave the national figures come from.
    pub wave: i32,
    /// Everyone in the room against all US adults.
    pub overall: Comparison,
    /// Each group of the room against the same group nationally (split by pid3 or ideo7 only;
    /// not for the split question itself).
    pub groups: Vec<GroupComparison>,
    /// The room reweighted to the nation's group mix (as `groups`).
    pub reweighted: Option<ReweightedRoom>,
}
