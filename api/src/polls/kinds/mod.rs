//! Question kinds. A poll mixes catalog questions (a BLW question beside the nation) with the
//! presenter's own: multiple choice, scales, words, open answers, rankings and guesses of the
//! nation's answer (predict). Each kind is one file implementing
//! [`QuestionKind`] — what its definition must satisfy, how participants see it, which answers it
//! takes, how an answer is counted, how its results and CSV columns look — so that the rest of
//! `polls/` asks the question's kind instead of matching on it.

pub(crate) mod catalog;
pub(crate) mod choice;
pub(crate) mod open;
pub(crate) mod predict;
pub(crate) mod ranking;
pub(crate) mod scale;
mod split_groups;
pub(crate) mod words;

use crate::error::AppError;
use crate::polls::model::{
    Answer, GroupTally, NationalTarget, NewPollQuestion, OfferedResponse, PollQuestionView, QuestionResults,
    ResultsHead, Tally,
};
use crate::surveys::snapshot::SurveySnapshot;

pub(crate) use crate::polls::model::QuestionKindName;
pub(crate) use catalog::CatalogSpec;
pub(crate) use choice::ChoiceSpec;
pub(crate) use open::{OpenAnswer, OpenSpec};
pub(crate) use predict::{Guess, PredictSpec};
pub(crate) use ranking::{RankingNationSpec, RankingSpec};
pub(crate) use scale::ScaleSpec;
pub(crate) use split_groups::SplitGroups;
pub(crate) use words::{Word, WordsSpec};

/// A question of a poll, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PollQuestion {
    /// Its key in the poll: the catalog name, or `q<place>` for an own question.
    pub var_name: String,
    /// The values a participant picks from: a catalog question's offered response indices, a
    /// choice question's option indices (0..n), a scale's points (min..=max), a ranking's items
    /// (0..n), a guess's percents (0..=100); none for words and open questions.
    pub offered: Vec<i16>,
    /// The public sees no results for it until a presenter reveals them.
    pub results_hidden: bool,
    /// The presenter's notes ("" when none): staff see them, the public never.
    pub speaker_notes: String,
    /// Seconds the question takes answers once its voting opens (presenter-paced polls).
    pub timer_seconds: Option<i16>,
    pub spec: QuestionSpec,
}

/// What each kind of question holds beyond its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum QuestionSpec {
    Catalog(CatalogSpec),
    Choice(ChoiceSpec),
    Scale(ScaleSpec),
    Words(WordsSpec),
    Open(OpenSpec),
    Ranking(RankingSpec),
    Predict(PredictSpec),
}

impl QuestionSpec {
    /// The one place that turns a question into its kind's behaviour.
    pub(crate) fn kind(&self) -> &dyn QuestionKind {
        match self {
            QuestionSpec::Catalog(spec) => spec,
            QuestionSpec::Choice(spec) => spec,
            QuestionSpec::Scale(spec) => spec,
            QuestionSpec::Words(spec) => spec,
            QuestionSpec::Open(spec) => spec,
            QuestionSpec::Ranking(spec) => spec,
            QuestionSpec::Predict(spec) => spec,
        }
    }
}

impl PollQuestion {
    pub(crate) fn kind(&self) -> &dyn QuestionKind {
        self.spec.kind()
    }

    /// Where `value` (a response index, option or point) sits among the offered values.
    pub(crate) fn position_of(&self, value: i16) -> Option<usize> {
        self.offered.iter().position(|&v| v == value)
    }
}

/// A participant's answer to one question, checked against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Choice {
    /// A catalog response index, a single choice's option, a scale's point.
    One(i16),
    /// Several options of a multiple-answer choice, in ascending order.
    Several(Vec<i16>),
    /// Up to three words, as typed and normalized.
    Words(Vec<Word>),
    /// An open question's answer, as typed (trimmed), with the presenter's decision on it.
    Open(OpenAnswer),
    /// A ranking's items, first place first.
    Ranking(Vec<i16>),
    /// A guess of the nation's answer, in percent.
    Guess(Guess),
}

impl Choice {
    /// The single value stored in `polls.answers.response_index` (none for several options or words).
    pub(crate) fn single(&self) -> Option<i16> {
        match self {
            Choice::One(value) | Choice::Guess(Guess { percent: value, .. }) => Some(*value),
            Choice::Several(_) | Choice::Words(_) | Choice::Open(_) | Choice::Ranking(_) => None,
        }
    }
}

/// Where an answer is added: to the overall tally (a new answer) and/or one group's (the
/// participant's group, known now or learned later from their answer to the split question).
#[derive(Debug, Clone, Copy)]
pub(crate) struct FoldInto {
    /// Whose answer it is (an open question's list keeps answers by respondent).
    pub respondent_id: i64,
    pub overall: bool,
    pub group: Option<usize>,
}

/// The running counts of one question.
#[derive(Debug, Clone)]
pub(crate) enum QuestionTally {
    /// Participants per offered value, overall and per group (catalog, choice, scale).
    Counts { overall: Tally, groups: Vec<Tally> },
    /// Participants per normalized word (words).
    Words(words::WordsTally),
    /// Every answer with its review (open).
    Open(open::OpenTally),
    /// Participants per item and place (ranking).
    Ranks(ranking::RankTally),
    /// Guesses per percent, and the named ones (predict).
    Guesses(predict::GuessTally),
}

impl QuestionTally {
    /// Empty counts for `question` split into `groups` groups.
    pub(crate) fn empty(question: &PollQuestion, groups: usize) -> Self {
        match question.spec {
            QuestionSpec::Words(_) => QuestionTally::Words(words::WordsTally::default()),
            QuestionSpec::Open(_) => QuestionTally::Open(open::OpenTally::default()),
            QuestionSpec::Ranking(ref spec) => {
                let empty = ranking::RankCounts::zero(spec.items.len(), usize::try_from(spec.top_k).unwrap_or(0));
                QuestionTally::Ranks(ranking::RankTally { overall: empty.clone(), groups: vec![empty; groups] })
            }
            QuestionSpec::Predict(_) => {
                let empty = Tally::zero(question.offered.len());
                QuestionTally::Guesses(predict::GuessTally {
                    overall: empty.clone(),
                    groups: vec![empty; groups],
                    named: std::collections::BTreeMap::new(),
                })
            }
            _ => {
                let empty = Tally::zero(question.offered.len());
                QuestionTally::Counts { overall: empty.clone(), groups: vec![empty; groups] }
            }
        }
    }

    /// Adds a participant who chose the offered values at `positions`.
    pub(crate) fn add_positions(&mut self, positions: &[usize], into: FoldInto) {
        let QuestionTally::Counts { overall, groups } = self else { return };
        if into.overall {
            overall.add(positions);
        }
        if let Some(group) = into.group.and_then(|g| groups.get_mut(g)) {
            group.add(positions);
        }
    }

    /// The counts as overall and per named group (empty for words, open answers and rankings).
    pub(crate) fn counts(&self, groups: &SplitGroups) -> (Tally, Vec<GroupTally>) {
        match self {
            QuestionTally::Counts { overall, groups: tallies }
            | QuestionTally::Guesses(predict::GuessTally { overall, groups: tallies, .. }) => (
                overall.clone(),
                groups
                    .names
                    .iter()
                    .zip(tallies)
                    .map(|(group, tally)| GroupTally { group: group.clone(), tally: tally.clone() })
                    .collect(),
            ),
            QuestionTally::Words(_) | QuestionTally::Open(_) | QuestionTally::Ranks(_) => (Tally::zero(0), Vec::new()),
        }
    }
}

/// What the results of a question are made from.
pub(crate) struct ResultsInput<'a> {
    pub question: &'a PollQuestion,
    pub view: PollQuestionView,
    pub tally: &'a QuestionTally,
    pub groups: &'a SplitGroups,
    /// Words a presenter hid from the public (normalized), for a words question.
    pub hidden_words: &'a [String],
    /// Blocked words a presenter let through (normalized), for a words question.
    pub allowed_words: &'a [String],
    /// The nation's shares the question compares the room with, read from the survey (predict:
    /// its target; a ranking of catalog principles: one per item; `None` where the survey has
    /// no answer).
    pub national: &'a [Option<NationalTarget>],
    /// The labels of the responses those shares count.
    pub nation_labels: &'a [String],
}

impl ResultsInput<'_> {
    pub(crate) fn head(&self) -> ResultsHead {
        ResultsHead {
            var_name: self.view.var_name.clone(),
            text: self.view.text.clone(),
            hidden: self.question.results_hidden,
        }
    }
}

/// A stored answer as the CSV writes it.
#[derive(Debug, Clone, Default)]
pub(crate) struct StoredAnswer {
    pub response_index: Option<i16>,
    pub choices: Vec<i16>,
    /// As typed, in the order given.
    pub words: Vec<String>,
    /// An open question's answer and its review.
    pub open: Option<OpenAnswer>,
    /// A ranking's items, first place first.
    pub ranking: Vec<i16>,
    /// The name a predict question's guess was given with.
    pub display_name: Option<String>,
}

/// What a kind of question does.
pub(crate) trait QuestionKind {
    fn name(&self) -> QuestionKindName;

    /// The question as participants see it; `None` when its catalog question is gone.
    fn view(&self, question: &PollQuestion, snapshot: &SurveySnapshot) -> Option<PollQuestionView>;

    /// A participant's `answer`, checked; `at` is its place in the ballot (errors name
    /// `answers[at].<field>`).
    ///
    /// # Errors
    /// The field this kind takes is missing or out of range, or another kind's field is given.
    fn answer(&self, question: &PollQuestion, answer: &Answer, at: usize) -> Result<Choice, AppError>;

    /// The group a participant falls in by their answer to this (the split) question.
    fn group_of(&self, choice: &Choice, groups: &SplitGroups) -> Option<usize> {
        match choice {
            Choice::One(value) => groups.of_response.get(value).copied(),
            _ => None,
        }
    }

    /// Adds one participant's answer to the question's tally.
    fn fold(&self, question: &PollQuestion, tally: &mut QuestionTally, choice: &Choice, into: FoldInto) {
        let positions: Vec<usize> = match choice {
            Choice::One(value) => question.position_of(*value).into_iter().collect(),
            Choice::Several(values) => values.iter().filter_map(|&v| question.position_of(v)).collect(),
            Choice::Words(_) | Choice::Open(_) | Choice::Ranking(_) | Choice::Guess(_) => return,
        };
        if !positions.is_empty() {
            tally.add_positions(&positions, into);
        }
    }

    /// The question's results (a catalog question's national comparison is added by the caller,
    /// which reads the survey).
    fn results(&self, input: ResultsInput<'_>) -> QuestionResults;

    /// The question's CSV column names.
    fn csv_columns(&self, question: &PollQuestion) -> Vec<String> {
        vec![question.var_name.clone()]
    }

    /// One participant's cells under [`QuestionKind::csv_columns`] (`None`: not answered).
    fn csv_cells(&self, question: &PollQuestion, view: &PollQuestionView, answer: Option<&StoredAnswer>)
    -> Vec<String>;
}

/// How participants see a presenter's own question (no catalog heading); the kind's own fields
/// (`max_choices`, `scale`, `max_words`…) are set by the caller.
pub(crate) fn own_view(
    question: &PollQuestion,
    kind: QuestionKindName,
    text: &str,
    responses: Vec<OfferedResponse>,
) -> PollQuestionView {
    PollQuestionView {
        var_name: question.var_name.clone(),
        kind,
        text: text.to_owned(),
        short_text: None,
        battery: None,
        battery_prefix: None,
        sub_battery: None,
        responses,
        results_hidden: question.results_hidden,
        speaker_notes: None,
        timer_seconds: question.timer_seconds,
        max_choices: None,
        scale: None,
        max_words: None,
        max_word_length: None,
        max_answer_length: None,
        top_k: None,
        principles: None,
        target: None,
    }
}

/// A new question's countdown, checked (a 422 naming `questions[at].timer_seconds`).
///
/// # Errors
/// Outside 5–3,600 seconds.
pub(crate) fn timer_of(new: &NewPollQuestion, at: usize) -> Result<Option<i16>, AppError> {
    match new.timer_seconds {
        Some(seconds) if !(5..=3_600).contains(&seconds) => {
            Err(AppError::invalid_field(format!("questions[{at}].timer_seconds"), "a countdown is 5 to 3,600 seconds"))
        }
        other => Ok(other),
    }
}

/// A new question's speaker notes, checked (a 422 naming `questions[at].speaker_notes`).
///
/// # Errors
/// Over 2,000 characters, or control characters other than line breaks.
pub(crate) fn speaker_notes_of(new: &NewPollQuestion, at: usize) -> Result<String, AppError> {
    let notes = new.speaker_notes.as_deref().unwrap_or_default();
    crate::text_rules::SPEAKER_NOTES.check(&format!("questions[{at}].speaker_notes"), notes)
}

/// The label of an offered value (a response, option or point), or the value itself.
pub(crate) fn label_of(view: &PollQuestionView, value: i16) -> String {
    view.responses.iter().find(|r| r.index == value).map_or_else(|| value.to_string(), |r| r.response.clone())
}

/// A 422 for a field of answer `at` that this kind does not take.
pub(crate) fn not_for_kind(at: usize, field: &str, kind: QuestionKindName) -> AppError {
    AppError::invalid_field(
        format!("answers[{at}].{field}"),
        format!("{field} is not an answer to a {} question", kind.as_str()),
    )
}

/// Refuses the answer fields other than `takes`.
///
/// # Errors
/// Another kind's field is present.
pub(crate) fn only_field(answer: &Answer, at: usize, takes: &str, kind: QuestionKindName) -> Result<(), AppError> {
    only_fields(answer, at, &[takes], kind)
}

/// Refuses the answer fields other than those in `takes`.
///
/// # Errors
/// Another kind's field is present.
pub(crate) fn only_fields(answer: &Answer, at: usize, takes: &[&str], kind: QuestionKindName) -> Result<(), AppError> {
    let given = [
        ("response_index", answer.response_index.is_some()),
        ("response_indices", answer.response_indices.is_some()),
        ("value", answer.value.is_some()),
        ("words", answer.words.is_some()),
        ("text", answer.text.is_some()),
        ("ranking", answer.ranking.is_some()),
        ("percent", answer.percent.is_some()),
        ("display_name", answer.display_name.is_some()),
    ];
    for (field, present) in given {
        if present && !takes.contains(&field) {
            return Err(not_for_kind(at, field, kind));
        }
    }
    Ok(())
}

/// A missing answer field.
pub(crate) fn missing(at: usize, field: &str, kind: QuestionKindName) -> AppError {
    AppError::invalid_field(
        format!("answers[{at}].{field}"),
        format!("a {} question is answered with {field}", kind.as_str()),
    )
}

/// Checks a new question of any kind; `at` is its place in the poll.
///
/// # Errors
/// A 422 naming the field: an unknown catalog question, a bad option list, scale or text, or a
/// field that belongs to another kind.
pub(crate) fn new_question(
    snapshot: &SurveySnapshot,
    new: &NewPollQuestion,
    at: usize,
) -> Result<PollQuestion, AppError> {
    let given = [
        ("var_name", new.var_name.is_some()),
        ("response_indices", new.response_indices.is_some()),
        ("text", new.text.is_some()),
        ("options", new.options.is_some()),
        ("max_choices", new.max_choices.is_some()),
        ("min", new.min.is_some()),
        ("max", new.max.is_some()),
        ("min_label", new.min_label.is_some()),
        ("max_label", new.max_label.is_some()),
        ("item_var_names", new.item_var_names.is_some()),
        ("top_k", new.top_k.is_some()),
        ("group", new.group.is_some()),
        ("wave", new.wave.is_some()),
        ("show_closest", new.show_closest.is_some()),
    ];
    let takes: &[&str] = match new.kind {
        QuestionKindName::Catalog => &["var_name", "response_indices"],
        QuestionKindName::Choice => &["text", "options", "max_choices"],
        QuestionKindName::Scale => &["text", "min", "max", "min_label", "max_label"],
        QuestionKindName::Words | QuestionKindName::Open => &["text"],
        QuestionKindName::Ranking => &["text", "options", "item_var_names", "top_k", "response_indices", "wave"],
        QuestionKindName::Predict => &["var_name", "response_indices", "group", "wave", "text", "show_closest"],
    };
    if let Some((field, _)) = given.iter().find(|(field, present)| *present && !takes.contains(field)) {
        return Err(AppError::invalid_field(
            format!("questions[{at}].{field}"),
            format!("{field} does not apply to a {} question", new.kind.as_str()),
        ));
    }
    match new.kind {
        QuestionKindName::Catalog => catalog::new_question(snapshot, new, at),
        QuestionKindName::Choice => choice::new_question(new, at),
        QuestionKindName::Scale => scale::new_question(new, at),
        QuestionKindName::Words => words::new_question(new, at),
        QuestionKindName::Open => open::new_question(new, at),
        QuestionKindName::Ranking => ranking::new_question(snapshot, new, at),
        QuestionKindName::Predict => predict::new_question(snapshot, new, at),
    }
}

/// An own question defined by its text alone (words, open): offers no values.
///
/// # Errors
/// Missing, empty or overlong text; bad speaker notes or countdown.
pub(crate) fn text_only_question(
    new: &NewPollQuestion,
    at: usize,
    spec: impl FnOnce(String) -> QuestionSpec,
) -> Result<PollQuestion, AppError> {
    let text = own_text(new, at)?;
    Ok(PollQuestion {
        var_name: own_key(at),
        offered: Vec::new(),
        results_hidden: new.results_hidden,
        speaker_notes: speaker_notes_of(new, at)?,
        timer_seconds: timer_of(new, at)?,
        spec: spec(text),
    })
}

/// The key of an own question: `q` and its 1-based place in the poll.
pub(crate) fn own_key(at: usize) -> String {
    format!("q{}", at + 1)
}

/// The presenter's text of an own question, checked.
///
/// # Errors
/// Missing, empty, too long or with control characters.
pub(crate) fn own_text(new: &NewPollQuestion, at: usize) -> Result<String, AppError> {
    let field = format!("questions[{at}].text");
    let Some(text) = &new.text else {
        return Err(AppError::invalid_field(field, "a question needs its text"));
    };
    crate::text_rules::QUESTION_TEXT.check(&field, text)
}
