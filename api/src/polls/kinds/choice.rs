//! A presenter's multiple-choice question: 2 to 12 options, one answer or up to `max_choices`.

use std::collections::HashSet;

use crate::error::AppError;
use crate::polls::kinds::SplitGroups;
use crate::polls::kinds::catalog::one_offered;
use crate::polls::kinds::{
    Choice, PollQuestion, QuestionKind, QuestionKindName, QuestionSpec, ResultsInput, StoredAnswer, label_of, missing,
    only_field, own_key, own_text, own_view, speaker_notes_of, timer_of,
};
use crate::polls::model::{Answer, ChoiceResults, NewPollQuestion, OfferedResponse, PollQuestionView, QuestionResults};
use crate::surveys::snapshot::SurveySnapshot;
use crate::text_rules::OPTION_LABEL;

pub(crate) const MIN_OPTIONS: usize = 2;
pub(crate) const MAX_OPTIONS: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChoiceSpec {
    pub text: String,
    pub options: Vec<String>,
    /// 1: a single answer.
    pub max_choices: i16,
}

/// Option labels (a choice's options, a ranking's items), each checked and none twice (in any
/// case).
///
/// # Errors
/// An empty, overlong or repeated label (a 422 naming `questions[at].options[i]`).
pub(crate) fn checked_options(given: &[String], at: usize) -> Result<Vec<String>, AppError> {
    let mut options = Vec::with_capacity(given.len());
    let mut seen = HashSet::new();
    for (i, option) in given.iter().enumerate() {
        let option = OPTION_LABEL.check(&format!("questions[{at}].options[{i}]"), option)?;
        if !seen.insert(option.to_lowercase()) {
            return Err(AppError::invalid_field(
                format!("questions[{at}].options[{i}]"),
                format!("'{option}' is offered twice"),
            ));
        }
        options.push(option);
    }
    Ok(options)
}

/// # Errors
/// Missing text, fewer than 2 or more than 12 options, an empty, overlong or repeated option, a
/// `max_choices` outside 1..=options.
pub(crate) fn new_question(new: &NewPollQuestion, at: usize) -> Result<PollQuestion, AppError> {
    let text = own_text(new, at)?;
    let field = format!("questions[{at}].options");
    let Some(given) = &new.options else {
        return Err(AppError::invalid_field(field, "a choice question needs its options"));
    };
    if !(MIN_OPTIONS..=MAX_OPTIONS).contains(&given.len()) {
        return Err(AppError::invalid_field(field, format!("give {MIN_OPTIONS} to {MAX_OPTIONS} options")));
    }
    let options = checked_options(given, at)?;
    let max_choices = new.max_choices.unwrap_or(1);
    if max_choices < 1 || usize::try_from(max_choices).unwrap_or(usize::MAX) > options.len() {
        return Err(AppError::invalid_field(
            format!("questions[{at}].max_choices"),
            format!("max_choices must be 1 to {} (the number of options)", options.len()),
        ));
    }
    let offered = (0..i16::try_from(options.len()).unwrap_or(i16::MAX)).collect();
    Ok(PollQuestion {
        var_name: own_key(at),
        offered,
        results_hidden: new.results_hidden,
        speaker_notes: speaker_notes_of(new, at)?,
        timer_seconds: timer_of(new, at)?,
        spec: QuestionSpec::Choice(ChoiceSpec { text, options, max_choices }),
    })
}

impl QuestionKind for ChoiceSpec {
    fn name(&self) -> QuestionKindName {
        QuestionKindName::Choice
    }

    fn view(&self, question: &PollQuestion, _: &SurveySnapshot) -> Option<PollQuestionView> {
        let responses = self
            .options
            .iter()
            .zip(0i16..)
            .map(|(option, index)| OfferedResponse { index, response: option.clone() })
            .collect();
        let mut view = own_view(question, QuestionKindName::Choice, &self.text, responses);
        view.max_choices = Some(self.max_choices);
        Some(view)
    }

    fn answer(&self, question: &PollQuestion, answer: &Answer, at: usize) -> Result<Choice, AppError> {
        let kind = QuestionKindName::Choice;
        if self.max_choices == 1 {
            return one_offered(question, answer, at, kind);
        }
        only_field(answer, at, "response_indices", kind)?;
        let field = format!("answers[{at}].response_indices");
        let Some(given) = &answer.response_indices else { return Err(missing(at, "response_indices", kind)) };
        if given.is_empty() || given.len() > usize::try_from(self.max_choices).unwrap_or(0) {
            return Err(AppError::invalid_field(field, format!("pick 1 to {} options", self.max_choices)));
        }
        if let Some(bad) = given.iter().find(|k| !question.offered.contains(k)) {
            return Err(AppError::invalid_field(
                field,
                format!("option {bad} is not offered for '{}'", question.var_name),
            ));
        }
        let mut picked = given.clone();
        picked.sort_unstable();
        picked.dedup();
        if picked.len() != given.len() {
            return Err(AppError::invalid_field(field, "an option is picked twice"));
        }
        Ok(Choice::Several(picked))
    }

    fn group_of(&self, choice: &Choice, groups: &SplitGroups) -> Option<usize> {
        match choice {
            Choice::One(value) if self.max_choices == 1 => groups.of_response.get(value).copied(),
            _ => None,
        }
    }

    fn results(&self, input: ResultsInput<'_>) -> QuestionResults {
        let (overall, groups) = input.tally.counts(input.groups);
        QuestionResults::Choice(ChoiceResults {
            head: input.head(),
            max_choices: self.max_choices,
            responses: input.view.responses,
            overall,
            groups,
        })
    }

    fn csv_cells(&self, _: &PollQuestion, view: &PollQuestionView, answer: Option<&StoredAnswer>) -> Vec<String> {
        let Some(answer) = answer else { return vec![String::new()] };
        let picked: Vec<i16> = answer.response_index.into_iter().chain(answer.choices.iter().copied()).collect();
        vec![picked.into_iter().map(|k| label_of(view, k)).collect::<Vec<_>>().join("; ")]
    }
}
