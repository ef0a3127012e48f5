//! What the poll endpoints take and give.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use super::room_vs_nation::{NationalReference, RoomVsNation};
use crate::surveys::service::QuestionHeading;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPollQuestion {
    /// A catalog question.
    #[schema(example = "perf_judicial_ind")]
    pub var_name: String,
    /// Which of the question's responses to offer, in this order; default all of them.
    #[schema(min_items = 1, minimum = 0, maximum = 32767)]
    pub response_indices: Option<Vec<i16>>,
    /// Keep this question's results from the public (participants, the presenter view, the
    /// public results and stream) until a presenter reveals them; default false.
    #[serde(default)]
    pub results_hidden: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPoll {
    #[schema(example = "Democracy in the US", min_length = 1, max_length = 200)]
    pub title: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: String,
    #[schema(min_items = 1)]
    pub questions: Vec<NewPollQuestion>,
    /// One of the poll's questions whose answers split the results (pid3: party groups, ideo7:
    /// ideology groups, any other: one group per offered response).
    pub split_by: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PollPatch {
    pub is_open: bool,
}

/// Reveal (false) or hide (true) one question's results.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionPatch {
    pub results_hidden: bool,
}

/// Where a join code leads.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JoinTarget {
    pub slug: String,
    /// The poll's page, to open.
    #[schema(example = "/polls/democracy-in-the-us-4f2a")]
    pub url: String,
}

/// One offered response: its index in the catalog question and its label.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OfferedResponse {
    pub index: i16,
    pub response: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PollQuestionView {
    #[serde(flatten)]
    pub heading: QuestionHeading,
    pub responses: Vec<OfferedResponse>,
    /// The public sees no results for this question until a presenter reveals them.
    pub results_hidden: bool,
}

/// A poll as participants see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicPoll {
    pub slug: String,
    pub title: String,
    pub description: String,
    pub is_open: bool,
    /// Six digits to join with at /join while the poll is open (null when closed).
    #[schema(example = "482913", pattern = "^[0-9]{6}$")]
    pub join_code: Option<String>,
    pub questions: Vec<PollQuestionView>,
}

/// A poll as staff see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PollView {
    pub id: i32,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub is_open: bool,
    /// Six digits to join with at /join while the poll is open (null when closed).
    #[schema(example = "482913", pattern = "^[0-9]{6}$")]
    pub join_code: Option<String>,
    pub split_by: Option<String>,
    pub created_by: Option<i32>,
    /// The name of the account that created the poll.
    pub created_by_name: Option<String>,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    pub updated_at: chrono::DateTime<chrono::FixedOffset>,
    pub respondents: i64,
    pub questions: Vec<PollQuestionView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    pub var_name: String,
    #[schema(minimum = 0, maximum = 32767)]
    pub response_index: i16,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Ballot {
    /// A random token the participant's browser keeps: the same token again changes nothing.
    #[schema(
        example = "6f1c2a9e-3b7d-4c55-9a0e-2f8b7c1d4e6a",
        min_length = 8,
        max_length = 200,
        pattern = r"^[^\s\x00-\x1f\x7f]([^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f])?$"
    )]
    pub client_token: String,
    /// One answer per question of the poll.
    #[schema(min_items = 1)]
    pub answers: Vec<Answer>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BallotReceipt {
    pub respondent_id: i64,
}

/// Counts and shares of the offered responses, in offered order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Tally {
    /// Participants who answered.
    pub n: i64,
    pub counts: Vec<i64>,
    /// counts / n (0 when n is 0).
    pub shares: Vec<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupTally {
    pub group: String,
    #[serde(flatten)]
    pub tally: Tally,
}

/// The weighted BLW survey shares of the same responses, latest wave that asked the question.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NationalShares {
    pub wave: i32,
    /// Unweighted respondents with a valid answer.
    pub n: u64,
    /// Weighted share of each offered response among all valid answers, in offered order.
    pub shares: Vec<f64>,
    pub groups: Vec<NationalGroupShares>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NationalGroupShares {
    pub group: String,
    pub n: u64,
    pub shares: Vec<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuestionResults {
    pub var_name: String,
    pub text: String,
    /// Hidden from the public until a presenter reveals it (staff see the results regardless;
    /// the public sees a `HiddenQuestionResults` instead).
    pub hidden: bool,
    pub responses: Vec<OfferedResponse>,
    pub overall: Tally,
    /// Per group of the poll's split question (empty without one).
    pub groups: Vec<GroupTally>,
    pub national: Option<NationalShares>,
    /// This room against US adults, with 95% CIs (null when the survey did not ask the question).
    pub room_vs_nation: Option<RoomVsNation>,
    /// What the comparison is computed from; not sent.
    #[serde(skip)]
    #[schema(ignore)]
    pub reference: Option<std::sync::Arc<NationalReference>>,
}

/// A question whose results the presenter has not revealed: nothing about its answers (and no
/// other field: `additionalProperties: false` tells it apart from `QuestionResults`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HiddenQuestionResults {
    pub var_name: String,
    pub text: String,
    /// Always true.
    pub hidden: bool,
}

/// A question's results, or (in public results) the placeholder of a hidden one.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum PollQuestionResults {
    Shown(Box<QuestionResults>),
    Hidden(HiddenQuestionResults),
}

/// One event of the live-results stream (documentation only: the stream writes these itself).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct StreamEvent {
    pub event: StreamEventName,
    /// JSON: the poll's results (the `PollResults` schema), or `{"deleted": true}` as the last
    /// event of a deleted poll's stream.
    pub data: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum StreamEventName {
    /// The results when the stream opens.
    Snapshot,
    /// The results after new votes (or the poll reopening).
    Update,
    /// The final results when the poll closes, or `{"deleted": true}`.
    Closed,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PollResults {
    pub slug: String,
    pub title: String,
    pub is_open: bool,
    /// Six digits to join with at /join while the poll is open (null when closed).
    pub join_code: Option<String>,
    pub respondents: i64,
    pub split_by: Option<String>,
    /// In the poll's order. Public results show a hidden question as
    /// `{"var_name", "text", "hidden": true}` and nothing else; staff results show everything.
    pub questions: Vec<PollQuestionResults>,
}
