//! What the poll endpoints take and give.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
}

/// A poll as participants see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicPoll {
    pub slug: String,
    pub title: String,
    pub description: String,
    pub is_open: bool,
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
    pub responses: Vec<OfferedResponse>,
    pub overall: Tally,
    /// Per group of the poll's split question (empty without one).
    pub groups: Vec<GroupTally>,
    pub national: Option<NationalShares>,
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
    pub respondents: i64,
    pub split_by: Option<String>,
    pub questions: Vec<QuestionResults>,
}
