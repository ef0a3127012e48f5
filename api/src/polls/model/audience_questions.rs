//! Audience Q&A as the endpoints take and give it: participants ask (≤ 280 characters, a display
//! name if they want one) and upvote each other's questions; a presenter moderates, marks
//! answered and pins one to the audience view.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::polls::model::Review;

/// Whether a poll takes audience questions, and how they are moderated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum QaMode {
    /// No audience questions.
    #[default]
    Off,
    /// Shown at once; a presenter may hide one. A question the blocklist matches is held.
    PostModerated,
    /// Every question is held until a presenter approves it.
    PreModerated,
}

impl QaMode {
    /// The name stored in `polls.polls.qa_mode`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::PostModerated => "post_moderated",
            Self::PreModerated => "pre_moderated",
        }
    }

    /// A stored name (an unknown one reads as off: nothing is taken that the schema refuses).
    pub(crate) fn named(name: &str) -> Self {
        match name {
            "post_moderated" => Self::PostModerated,
            "pre_moderated" => Self::PreModerated,
            _ => Self::Off,
        }
    }
}

/// A participant's question.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewAudienceQuestion {
    /// One line, 1 to 280 characters.
    #[schema(min_length = 1, max_length = 280, example = "How do you measure judicial independence?")]
    pub text: String,
    /// Shown beside the question; anonymous when absent. 1 to 40 characters.
    #[schema(min_length = 1, max_length = 40)]
    pub display_name: Option<String>,
}

/// A question as every process holds it (what an announcement carries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AudienceQuestionState {
    pub id: i64,
    pub text: String,
    pub display_name: Option<String>,
    pub review: Review,
    pub answered: bool,
    pub votes: i32,
    /// Unix milliseconds (the database's clock).
    pub asked_at: i64,
}

/// An audience question as a screen shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct AudienceQuestionView {
    pub id: i64,
    pub text: String,
    /// Absent: anonymous.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    pub votes: i32,
    /// The presenter marked it answered.
    pub answered: bool,
    pub asked_at: chrono::DateTime<chrono::Utc>,
    /// Staff only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review: Option<Review>,
    /// Staff only: the built-in blocklist matches a word of it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub blocked: bool,
}

/// A poll's audience questions in its results.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct QaResults {
    pub mode: QaMode,
    /// The question pinned to the audience view.
    pub pinned: Option<AudienceQuestionView>,
    /// Questions the room may see.
    pub approved: i64,
    /// Votes for every question (public results: for the approved ones).
    pub total_votes: i64,
    /// What `total_votes` is for approved questions only: what the public sees.
    #[serde(skip)]
    #[schema(ignore)]
    pub approved_votes: i64,
    /// Staff only: questions waiting for a decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<i64>,
    /// Staff only: questions kept from the room.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hidden: Option<i64>,
    /// Public results: approved questions — the 50 with the most votes (ties: the earlier asked)
    /// and the 20 newest — most votes first. Staff results add the waiting questions (oldest
    /// first, at most 100) and the latest hidden ones (at most 50).
    #[schema(max_items = 220)]
    pub questions: Vec<AudienceQuestionView>,
}

/// A presenter's decision on an audience question (at least one field).
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AudienceQuestionPatch {
    pub review: Option<Review>,
    pub answered: Option<bool>,
}

/// The question pinned to the audience view (null: none).
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PinnedQuestion {
    pub question_id: Option<i64>,
}

/// What this browser asked and voted for in a poll.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct MyAudienceQuestions {
    /// Questions this browser asked, with where each stands (a held one is not in the public list).
    pub asked: Vec<MyAudienceQuestion>,
    /// Ids of the questions this browser voted for.
    pub voted: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct MyAudienceQuestion {
    pub id: i64,
    pub text: String,
    pub review: Review,
}

/// A question just asked: its id and whether the room sees it yet.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct AskedQuestion {
    pub id: i64,
    pub review: Review,
}
