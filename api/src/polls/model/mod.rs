//! What the poll endpoints take and give.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub(crate) mod audience_questions;
pub(crate) mod open_answers;
pub(crate) mod predict;
pub(crate) mod presenter_links;
pub(crate) mod ranking;
pub(crate) mod room_vs_nation;

pub(crate) use audience_questions::{
    AskedQuestion, AudienceQuestionPatch, AudienceQuestionState, AudienceQuestionView, MyAudienceQuestion,
    MyAudienceQuestions, NewAudienceQuestion, PinnedQuestion, QaMode, QaResults,
};
pub(crate) use open_answers::{OpenAnswerView, OpenResults, Review, ReviewDecision};
pub(crate) use predict::{ClosestGuess, GroupGuess, NationalTarget, PerceptionGap, PredictResults, PredictTarget};
pub(crate) use presenter_links::{
    CreatedPresenterLink, FrozenResults, NationalCopy, NewPresenterLink, PresenterLinkView, PresenterPoll,
    PresenterQuestion,
};
pub(crate) use ranking::{GroupRanks, NationalItem, RankedItem, RankedPrinciples, RankingNation, RankingResults};
pub(crate) use room_vs_nation::{NationalReference, RoomVsNation};

/// A question for a new poll. `kind` says which fields apply: `catalog` (the default) takes
/// `var_name`, `response_indices`; `choice` takes `text`, `options`, `max_choices`; `scale` takes
/// `text`, `min`, `max`, `min_label`, `max_label`; `words` and `open` take `text`; `ranking` takes
/// `text`, `top_k` and either `options` (its items) or `item_var_names` (catalog principles, with
/// `response_indices` and `wave` for the nation's order); `predict` takes `var_name`,
/// `response_indices` (the responses whose share is guessed), `group`, `wave`, `text`,
/// `show_closest`. Own questions (all but catalog) are keyed `q1`, `q2`, … by their place in the
/// poll.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewPollQuestion {
    #[serde(default)]
    pub kind: QuestionKindName,
    /// A catalog question (catalog; predict: the question whose share the room guesses).
    #[schema(example = "perf_judicial_ind")]
    pub var_name: Option<String>,
    /// Which of the question's responses to offer, in this order; default all of them (catalog).
    /// Predict: the responses whose share is guessed. Ranking of catalog principles: the responses
    /// whose weighted share orders the nation (default the highest, e.g. "Essential").
    #[schema(min_items = 1, minimum = 0, maximum = 32767)]
    pub response_indices: Option<Vec<i16>>,
    /// The presenter's question (choice, scale, words, open).
    #[schema(example = "Which of these worries you most?", min_length = 1, max_length = 500)]
    pub text: Option<String>,
    /// 2 to 12 options (choice); 3 to 10 items to rank (ranking).
    #[schema(min_items = 2, max_items = 12)]
    pub options: Option<Vec<String>>,
    /// 3 to 10 catalog questions to rank, e.g. the importance battery (ranking, instead of
    /// `options`): the room's order is shown beside the nation's.
    #[schema(min_items = 3, max_items = 10, example = json!(["imp_judicial_ind", "imp_free_speech", "imp_equal_rights"]))]
    pub item_var_names: Option<Vec<String>>,
    /// How many items a participant ranks, from 2 to all of them (the default): a top-k ranking
    /// (ranking only).
    #[schema(minimum = 2, maximum = 10)]
    pub top_k: Option<i16>,
    /// The national group whose share is guessed: Democrat, Republican, Independent or Other,
    /// Liberal, Moderate, Conservative; default all US adults (predict only).
    #[schema(example = "Republican")]
    pub group: Option<String>,
    /// The survey wave; default the latest with at least two answers in the group (predict; for a
    /// ranking of catalog principles, the latest that asked them all).
    #[schema(example = 23)]
    pub wave: Option<i32>,
    /// List the guesses nearest the nation's answer by the names participants chose (predict
    /// only; default false).
    pub show_closest: Option<bool>,
    /// How many options a participant may pick: 1 (default) up to the number of options (choice only).
    #[schema(minimum = 1, maximum = 12)]
    pub max_choices: Option<i16>,
    /// The scale's lowest point: 1 (1–5, 1–7) or 0 (0–10) (scale only).
    #[schema(minimum = 0, maximum = 1)]
    pub min: Option<i16>,
    /// The scale's highest point: 5, 7 or 10 (scale only).
    #[schema(minimum = 5, maximum = 10)]
    pub max: Option<i16>,
    /// The label of the lowest point (scale only).
    #[schema(max_length = 60)]
    pub min_label: Option<String>,
    /// The label of the highest point (scale only).
    #[schema(max_length = 60)]
    pub max_label: Option<String>,
    /// Keep this question's results from the public (participants, the presenter view, the
    /// public results and stream) until a presenter reveals them; default false.
    #[serde(default)]
    pub results_hidden: bool,
    /// The presenter's notes for this question (at most 2,000 characters, lines kept): shown on
    /// the presenter view and to staff, never to the public.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub speaker_notes: Option<String>,
    /// A countdown (5 to 3,600 seconds): on a presenter-paced poll, voting on the question closes
    /// by itself this long after the presenter opens it. None: it stays open until closed.
    #[serde(default)]
    #[schema(minimum = 5, maximum = 3600)]
    pub timer_seconds: Option<i16>,
}

/// All questions on one form, or one question at a time as the presenter moves on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Pacing {
    #[default]
    AllAtOnce,
    Presenter,
}

impl Pacing {
    /// The name stored in `polls.polls.pacing` (the same as the API's).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Pacing::AllAtOnce => "all_at_once",
            Pacing::Presenter => "presenter",
        }
    }

    /// The pacing a stored name says (an unknown one reads as all at once: the schema's CHECK
    /// allows none).
    pub(crate) fn named(name: &str) -> Self {
        if name == Pacing::Presenter.as_str() { Pacing::Presenter } else { Pacing::AllAtOnce }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewPoll {
    #[schema(example = "Democracy in the US", min_length = 1, max_length = 200)]
    pub title: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: String,
    /// Default `all_at_once`.
    #[serde(default)]
    pub pacing: Pacing,
    #[schema(min_items = 1, max_items = 50)]
    pub questions: Vec<NewPollQuestion>,
    /// The key of one of the poll's questions whose answers split the results (pid3: party
    /// groups, ideo7: ideology groups, any other catalog, single-answer choice or scale question:
    /// one group per offered response).
    pub split_by: Option<String>,
    /// Whether catalog questions show the nation's answers while they still take answers
    /// (default false: they appear when the question's voting closes).
    #[serde(default)]
    pub national_during_voting: bool,
    /// Whether participants may ask the presenter questions and upvote them, and how they are
    /// moderated (default off).
    #[serde(default)]
    pub qa_mode: QaMode,
}

/// Open or close a poll, archive or restore it, show the nation's answers during voting or not
/// (at least one of the three).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PollPatch {
    pub is_open: Option<bool>,
    /// Archived polls are closed, cannot be opened, and are listed apart.
    pub archived: Option<bool>,
    /// Whether catalog questions show the nation's answers while they still take answers (by
    /// default they appear when the question's voting closes: the room answers unanchored).
    pub national_during_voting: Option<bool>,
    /// Audience questions: off, post-moderated or pre-moderated.
    pub qa_mode: Option<QaMode>,
}

/// A browser's arrival in a poll.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct Arrival {
    /// False when this browser had joined the poll before (it is counted once).
    pub first_time: bool,
}

/// Which question the poll's screens show, and (presenter-paced) whether it takes answers.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CurrentQuestion {
    /// 0-based position among the poll's questions; null shows the join slide. On an
    /// all-at-once poll it moves the projector only (every question takes answers).
    #[schema(minimum = 0, maximum = 49)]
    pub position: Option<i16>,
    pub voting_open: bool,
}

/// Confirms a reset: the poll's title as the admin types it (spaces around it and case do not
/// matter). The poll's slug is still taken, as earlier clients sent it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResetConfirmation {
    #[schema(example = "Democracy in the US")]
    pub confirm: String,
}

/// A word to keep off every public screen (normalized as answers are).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct HiddenWord {
    #[schema(example = "freedom", min_length = 1, max_length = 200)]
    pub word: String,
}

/// A blocked word to show the public after all, for one question (normalized as answers are).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AllowedWord {
    #[schema(example = "Dick Cheney", min_length = 1, max_length = 200)]
    pub word: String,
}

/// Reveal (false) or hide (true) one question's results.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct QuestionPatch {
    pub results_hidden: bool,
}

/// Where a join code leads.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct JoinTarget {
    pub slug: String,
    /// The poll's page, to open.
    #[schema(example = "/polls/democracy-in-the-us-4f2a")]
    pub url: String,
}

/// One offered response: its index in the catalog question and its label.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct OfferedResponse {
    pub index: i16,
    pub response: String,
}

/// A question as the poll shows it. Catalog questions carry their catalog heading; a
/// presenter's own questions have `text` only (battery fields null).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct PollQuestionView {
    /// The question's key in the poll: a catalog name, or `q<place>` for an own question.
    pub var_name: String,
    pub kind: QuestionKindName,
    pub text: String,
    pub short_text: Option<String>,
    pub battery: Option<String>,
    /// The battery's prefix, shown above its questions ("How well do the following …").
    pub battery_prefix: Option<String>,
    pub sub_battery: Option<String>,
    /// What a participant picks from: a catalog question's offered responses, a choice
    /// question's options, a scale's points (`index` = the point); none for words.
    pub responses: Vec<OfferedResponse>,
    /// The public sees no results for this question until a presenter reveals them.
    pub results_hidden: bool,
    /// The presenter's notes (staff views only; absent from everything the public reads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speaker_notes: Option<String>,
    /// The question's countdown in seconds, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timer_seconds: Option<i16>,
    /// Choice: how many options a participant may pick.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_choices: Option<i16>,
    /// Scale: its ends and their labels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<ScaleSpec>,
    /// Words: how many answers a participant may give.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_words: Option<usize>,
    /// Words: the longest answer, in characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_word_length: Option<usize>,
    /// Open: the longest answer, in characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_answer_length: Option<usize>,
    /// Ranking: how many items a participant ranks (the items are `responses`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<i16>,
    /// Ranking of catalog principles: which they are, and what orders the nation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principles: Option<RankedPrinciples>,
    /// Predict: what the room guesses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<PredictTarget>,
}

/// Where a poll's screens stand: the question the presenter shows (every poll's projector follows
/// it; a presenter-paced poll's phones too) and whether answers are taken (all-at-once polls:
/// while the poll is open).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub(crate) struct PaceView {
    pub pacing: Pacing,
    /// 0-based position of the question the presenter shows (null: the join slide). On an
    /// all-at-once poll it moves the projector only: phones show every question.
    pub current_question: Option<i16>,
    /// Whether answers are taken now (the current question's, for a presenter-paced poll).
    pub voting_open: bool,
    /// When the current question's countdown ends its voting (the database's clock); null
    /// without a countdown running.
    pub voting_closes_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}

/// A poll as participants see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct PublicPoll {
    pub slug: String,
    pub title: String,
    pub description: String,
    pub is_open: bool,
    /// Six digits to join with at /join while the poll is open (null when closed).
    #[schema(example = "482913", pattern = "^[0-9]{6}$")]
    pub join_code: Option<String>,
    #[serde(flatten)]
    pub pace: PaceView,
    /// Whether (and how) participants may ask questions.
    pub qa_mode: QaMode,
    pub questions: Vec<PollQuestionView>,
}

/// A poll as staff see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct PollView {
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
    /// Whether the room sees the nation's answers while a question still takes answers.
    pub national_during_voting: bool,
    pub qa_mode: QaMode,
    #[serde(flatten)]
    pub pace: PaceView,
    /// When the poll was archived (null: not archived).
    pub archived_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub questions: Vec<PollQuestionView>,
}

/// One answer: the field that fits the question's kind — `response_index` (catalog, and choice
/// with one answer), `response_indices` (choice with several), `value` (scale), `words` (words),
/// `text` (open), `ranking` (ranking) or `percent` (predict, with an optional `display_name`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Answer {
    pub var_name: String,
    #[schema(minimum = 0, maximum = 32767)]
    pub response_index: Option<i16>,
    #[schema(min_items = 1, max_items = 12, minimum = 0, maximum = 11)]
    pub response_indices: Option<Vec<i16>>,
    #[schema(minimum = 0, maximum = 10)]
    pub value: Option<i16>,
    #[schema(min_items = 1, max_items = 3)]
    pub words: Option<Vec<String>>,
    /// An open question's answer: one to 280 characters.
    #[schema(min_length = 1, max_length = 280)]
    pub text: Option<String>,
    /// A ranking: the item indices, first place first (as many as the question's `top_k`).
    #[schema(min_items = 2, max_items = 10, minimum = 0, maximum = 9)]
    pub ranking: Option<Vec<i16>>,
    /// A predict question's guess, in percent.
    #[schema(minimum = 0, maximum = 100)]
    pub percent: Option<i16>,
    /// The name to be listed by among the closest guesses (predict questions that list them).
    #[schema(max_length = 40)]
    pub display_name: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Ballot {
    /// A random token the participant's browser keeps: the same token again changes nothing.
    #[schema(
        example = "6f1c2a9e-3b7d-4c55-9a0e-2f8b7c1d4e6a",
        min_length = 8,
        max_length = 200,
        pattern = r"^[^\s\x00-\x1f\x7f]([^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f])?$"
    )]
    pub client_token: String,
    /// One answer per question of an all-at-once poll; the current question's answer for a
    /// presenter-paced poll.
    #[schema(min_items = 1, max_items = 50)]
    pub answers: Vec<Answer>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct BallotReceipt {
    pub respondent_id: i64,
}

/// Counts and shares of the offered responses, in offered order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct Tally {
    /// Participants who answered.
    pub n: i64,
    pub counts: Vec<i64>,
    /// counts / n (0 when n is 0).
    pub shares: Vec<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct GroupTally {
    pub group: String,
    #[serde(flatten)]
    pub tally: Tally,
}

/// The weighted BLW survey shares of the same responses, latest wave that asked the question.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct NationalShares {
    pub wave: i32,
    /// Unweighted respondents with a valid answer.
    pub n: u64,
    /// Weighted share of each offered response among all valid answers, in offered order.
    pub shares: Vec<f64>,
    pub groups: Vec<NationalGroupShares>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct NationalGroupShares {
    pub group: String,
    pub n: u64,
    pub shares: Vec<f64>,
}

/// What every question's results start with.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ResultsHead {
    pub var_name: String,
    pub text: String,
    /// Hidden from the public until a presenter reveals it (staff see the results regardless;
    /// the public sees a `HiddenQuestionResults` instead).
    pub hidden: bool,
}

/// A catalog question's results: the room beside the nation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct CatalogResults {
    #[serde(flatten)]
    pub head: ResultsHead,
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

/// A presenter's multiple-choice question: participants per option (with several answers
/// allowed, the shares add up to more than 1).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ChoiceResults {
    #[serde(flatten)]
    pub head: ResultsHead,
    pub max_choices: i16,
    pub responses: Vec<OfferedResponse>,
    pub overall: Tally,
    pub groups: Vec<GroupTally>,
}

/// The mean of a scale's answers with its 95% CI (t distribution, n − 1 degrees of freedom;
/// `se`, `ci_low` and `ci_high` are null below two answers).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct MeanEstimate {
    pub n: i64,
    pub mean: f64,
    pub se: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct GroupMean {
    pub group: String,
    #[serde(flatten)]
    pub estimate: MeanEstimate,
}

/// A scale question: the distribution over its points, and the mean.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ScaleResults {
    #[serde(flatten)]
    pub head: ResultsHead,
    pub scale: ScaleSpec,
    /// One per point (`index` = the point).
    pub responses: Vec<OfferedResponse>,
    pub overall: Tally,
    pub groups: Vec<GroupTally>,
    /// Null before the first answer.
    pub mean: Option<MeanEstimate>,
    /// Per group with answers.
    pub group_means: Vec<GroupMean>,
}

/// Why staff see a word the public does not, or (`allowed`) does although it is blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Moderation {
    /// On the built-in list of words never shown.
    Blocked,
    /// A presenter hid it.
    Hidden,
    /// On the built-in list, but a presenter allowed it for this question: the public sees it.
    Allowed,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct WordCount {
    /// Normalized: lower case, spacing collapsed, stop words removed.
    pub word: String,
    /// Participants who gave it.
    pub count: i64,
    /// Staff results only: why the public does not see it (`blocked`, `hidden`), or that it
    /// sees it only because a presenter allowed it (`allowed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moderation: Option<Moderation>,
}

/// A words question: the most frequent answers, for a word cloud.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct WordsResults {
    #[serde(flatten)]
    pub head: ResultsHead,
    /// Participants who answered.
    pub respondents: i64,
    /// Answers counted (stop-word-only answers are not; public results count shown words only).
    pub answers: i64,
    /// What `answers` is without blocked and hidden words: what the public sees.
    #[serde(skip)]
    #[schema(ignore)]
    pub shown_answers: i64,
    /// At most 100, most frequent first (ties in alphabetical order). Public results leave out
    /// blocked and hidden words.
    #[schema(max_items = 100)]
    pub words: Vec<WordCount>,
}

/// A question's results, by its kind.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub(crate) enum QuestionResults {
    Catalog(Box<CatalogResults>),
    Choice(ChoiceResults),
    Scale(ScaleResults),
    Words(WordsResults),
    Open(OpenResults),
    Ranking(RankingResults),
    Predict(PredictResults),
}

/// A question whose results the presenter has not revealed: nothing about its answers but how
/// many there are, so that the room sees "N of M answered" count up before the reveal (and no
/// other field: `additionalProperties: false` tells it apart from `QuestionResults`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct HiddenQuestionResults {
    pub var_name: String,
    pub text: String,
    /// Always true.
    pub hidden: bool,
    /// How many participants have answered it.
    pub answered: i64,
}

/// A question's results, or (in public results) the placeholder of a hidden one.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub(crate) enum PollQuestionResults {
    Shown(Box<QuestionResults>),
    Hidden(HiddenQuestionResults),
}

/// One event of the live-results stream (documentation only: the stream writes these itself).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub(crate) struct StreamEvent {
    pub event: StreamEventName,
    /// The poll's version, `<epoch>-<answers>-<joined>` (absent only on `{"deleted": true}`).
    #[schema(example = "0-1542-388", pattern = "^[0-9]+-[0-9]+(-[0-9]+)?$")]
    pub id: Option<String>,
    /// JSON: the poll's results (the `PollResults` schema) for `snapshot` and `closed`, the
    /// changes for `delta`, or `{"deleted": true}` as the last event of a deleted poll's stream.
    pub data: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub(crate) enum StreamEventName {
    /// The whole results: when the stream opens, when something besides counts changed, and
    /// for a watcher that does not hold a delta's base.
    Snapshot,
    /// What changed since the frame `base`: `{"base": "<id>", "set": {…}}`, the changed values
    /// nested as in the results (arrays of objects keyed by index)
    /// (`shares` beside `counts` and `n` left out: recompute them).
    Delta,
    /// The final results when the poll closes, or `{"deleted": true}`.
    Closed,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct PollResults {
    pub slug: String,
    pub title: String,
    pub is_open: bool,
    /// Six digits to join with at /join while the poll is open (null when closed).
    pub join_code: Option<String>,
    pub respondents: i64,
    /// How many browsers have opened the poll while it was open (each once; since the last
    /// reset). Participants who answered through the API without joining are among
    /// `respondents` only: the room is the larger of the two.
    pub joined: i64,
    /// Whether catalog questions show the nation's answers while they still take answers. When
    /// false (the default) public results leave `national` and `room_vs_nation` out of a question
    /// until its voting closes: the room answers before it sees the nation.
    pub national_during_voting: bool,
    pub split_by: Option<String>,
    #[serde(flatten)]
    pub pace: PaceView,
    /// In the poll's order. Public results show a hidden question as
    /// `{"var_name", "text", "hidden": true, "answered"}` and nothing else; staff results show
    /// everything.
    pub questions: Vec<PollQuestionResults>,
    /// Audience questions (absent when the poll takes none). Public results list approved ones
    /// only, without moderation marks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qa: Option<QaResults>,
}

/// The kinds, as the API and the database name them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum QuestionKindName {
    #[default]
    Catalog,
    Choice,
    Scale,
    Words,
    Open,
    Ranking,
    Predict,
}

impl QuestionKindName {
    /// The name stored in `polls.poll_questions.kind`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Catalog => "catalog",
            Self::Choice => "choice",
            Self::Scale => "scale",
            Self::Words => "words",
            Self::Open => "open",
            Self::Ranking => "ranking",
            Self::Predict => "predict",
        }
    }
}

/// A scale's ends and their labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub(crate) struct ScaleSpec {
    #[serde(skip)]
    pub text: String,
    #[schema(minimum = 0, maximum = 1)]
    pub min: i16,
    #[schema(minimum = 5, maximum = 10)]
    pub max: i16,
    pub min_label: String,
    pub max_label: String,
}
