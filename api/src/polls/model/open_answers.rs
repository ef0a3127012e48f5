//! An open question's answers as results show them: a moderated list, not a cloud. Every answer
//! waits for a presenter, who approves it for the room or hides it; the public sees approved
//! answers only, staff see the queue.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::polls::model::ResultsHead;

/// A presenter's decision on one answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Review {
    /// Not yet decided: staff see it, the public does not.
    #[default]
    Pending,
    /// Shown to the room.
    Approved,
    /// Kept from the room.
    Hidden,
}

impl Review {
    /// The name stored in `polls.answer_texts.review`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Hidden => "hidden",
        }
    }

    /// A stored name; `None` for one this build does not know.
    pub(crate) fn named(name: &str) -> Option<Self> {
        match name {
            "pending" => Some(Self::Pending),
            "approved" => Some(Self::Approved),
            "hidden" => Some(Self::Hidden),
            _ => None,
        }
    }
}

/// A presenter's decision, as the review endpoint takes it.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReviewDecision {
    /// `approved` shows the answer to the room, `hidden` keeps it away, `pending` undecides.
    pub review: Review,
}

/// One participant's answer to an open question.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct OpenAnswerView {
    /// Staff only: the respondent whose answer it is (what a review names).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub respondent_id: Option<i64>,
    /// As typed (trimmed).
    pub text: String,
    /// Staff only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review: Option<Review>,
    /// Staff only: the built-in blocklist matches a word of it (it is still the presenter's call).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub blocked: bool,
}

/// An open question: how many answered, and the answers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct OpenResults {
    #[serde(flatten)]
    pub head: ResultsHead,
    /// Participants who answered.
    pub respondents: i64,
    /// Answers the room may see.
    pub approved: i64,
    /// Staff only: answers waiting for a decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<i64>,
    /// Staff only: answers kept from the room.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hidden_answers: Option<i64>,
    /// Public results: the latest approved answers, newest first (at most 50). Staff results:
    /// the waiting answers oldest first (at most 100), then the latest approved and the latest
    /// hidden ones (at most 50 each), newest first.
    #[schema(max_items = 200)]
    pub answers: Vec<OpenAnswerView>,
}

impl OpenResults {
    /// What the public sees: approved answers, without who gave them or any moderation.
    pub(crate) fn for_public(&mut self, shown: usize) {
        self.answers.retain(|answer| answer.review == Some(Review::Approved));
        self.answers.truncate(shown);
        for answer in &mut self.answers {
            answer.respondent_id = None;
            answer.review = None;
            answer.blocked = false;
        }
        self.pending = None;
        self.hidden_answers = None;
    }
}
