//! Presenter links and frozen results as the endpoints take and give them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A new presenter link for one poll.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewPresenterLink {
    /// How long the link works, in minutes: 5 to 10,080 (a week); default 480 (a day of talks).
    #[schema(minimum = 5, maximum = 10080, example = 240)]
    pub expires_in_minutes: Option<i64>,
    /// What the link is for ("Keynote deck, Tuesday"), shown in the list.
    #[schema(max_length = 100)]
    pub label: Option<String>,
}

/// A presenter link as the console lists it (never its secret).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct PresenterLinkView {
    pub id: i64,
    pub poll_id: i32,
    pub label: String,
    pub created_by: Option<i32>,
    /// The name of the account that made the link (null once that account is deleted).
    pub created_by_name: Option<String>,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    pub expires_at: chrono::DateTime<chrono::FixedOffset>,
    pub revoked_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// Whether it works now (not expired, not revoked).
    pub active: bool,
    pub uses: i64,
    pub last_used_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}

/// A link just made: its secret, shown this once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct CreatedPresenterLink {
    #[serde(flatten)]
    pub link: PresenterLinkView,
    /// The capability a deck sends as `Authorization: Bearer <secret>` to `/api/presenter/…`.
    #[schema(example = "blwp_3f9a0c1d2e4b5a6978800112233445566778899aabbccddeeff00112233445566")]
    pub secret: String,
}

/// The poll a presenter link drives, as its deck needs it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct PresenterPoll {
    pub slug: String,
    pub title: String,
    pub is_open: bool,
    pub join_code: Option<String>,
    #[serde(flatten)]
    pub pace: crate::polls::model::PaceView,
    /// The questions' keys in the poll's order, with their text, whether their results are
    /// hidden and a catalog question's national results.
    pub questions: Vec<PresenterQuestion>,
    pub expires_at: chrono::DateTime<chrono::FixedOffset>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct PresenterQuestion {
    pub var_name: String,
    pub kind: crate::polls::model::QuestionKindName,
    pub text: String,
    pub results_hidden: bool,
    /// A catalog question's national results, for the deck to keep and show while the server
    /// cannot be reached (null for the poll's own questions, or without survey data).
    pub national: Option<NationalCopy>,
}

/// The nation's answers to a catalog question as a deck keeps them: the latest wave that asked
/// it, the weighted share of each offered response among every respondent's valid answers, with
/// its 95% CI (as the dashboards' proportions with `split=none` give that wave's cell).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct NationalCopy {
    pub wave: i32,
    /// Unweighted respondents with a valid answer in that wave.
    pub n: u64,
    /// The offered responses, in the poll's order.
    pub responses: Vec<crate::surveys::proportions::ResponseShare>,
}

/// A poll's public results as of a moment, under a citable URL.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct FrozenResults {
    pub key: String,
    /// Where the page is: `/results/<key>`.
    #[schema(example = "/results/Qm9vbGVhbiBsb2dpYyBpcyBmdW4")]
    pub url: String,
    pub poll_slug: String,
    pub title: String,
    pub frozen_at: chrono::DateTime<chrono::FixedOffset>,
    /// The poll's questions as participants saw them then (the `PollQuestionView` schema).
    #[schema(value_type = Vec<Object>)]
    pub questions: serde_json::Value,
    /// The poll's public results (the `PollResults` schema) as they were then.
    #[schema(value_type = Object)]
    pub results: serde_json::Value,
}
