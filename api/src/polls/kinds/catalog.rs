//! A BLW catalog question: its offered responses, and the room beside the nation (the comparison
//! itself is in `room_vs_nation`; the caller adds it, as it reads the survey).

use std::collections::HashSet;

use crate::error::AppError;
use crate::polls::kinds::{
    Choice, PollQuestion, QuestionKind, QuestionKindName, QuestionSpec, ResultsInput, StoredAnswer, label_of, missing,
    only_field, speaker_notes_of, timer_of,
};
use crate::polls::model::{
    Answer, CatalogResults, NewPollQuestion, OfferedResponse, PollQuestionView, QuestionResults,
};
use crate::surveys::service::QuestionHeading;
use crate::surveys::snapshot::SurveySnapshot;

/// A catalog question holds nothing beyond its key (its catalog name) and offered responses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CatalogSpec;

/// # Errors
/// An unknown catalog question, a bad or repeated offered index.
pub(crate) fn new_question(
    snapshot: &SurveySnapshot,
    new: &NewPollQuestion,
    at: usize,
) -> Result<PollQuestion, AppError> {
    let field = format!("questions[{at}].var_name");
    let Some(var_name) = &new.var_name else {
        return Err(AppError::invalid_field(field, "a catalog question needs its var_name"));
    };
    let Some(catalog) = snapshot.questions.get(var_name) else {
        return Err(AppError::invalid_field(field, format!("unknown question '{var_name}'")));
    };
    let count = i16::try_from(catalog.responses.len()).unwrap_or(i16::MAX);
    let offered: Vec<i16> = new.response_indices.clone().unwrap_or_else(|| (0..count).collect());
    let field = format!("questions[{at}].response_indices");
    if offered.is_empty() {
        return Err(AppError::invalid_field(field, "offer at least one response"));
    }
    if let Some(bad) = offered.iter().find(|&&k| k < 0 || k >= count) {
        let message = format!("index {bad} is out of range for '{var_name}' (0–{})", count - 1);
        return Err(AppError::invalid_field(field, message));
    }
    if offered.iter().collect::<HashSet<_>>().len() != offered.len() {
        return Err(AppError::invalid_field(field, "an index is offered twice"));
    }
    Ok(PollQuestion {
        var_name: var_name.clone(),
        offered,
        results_hidden: new.results_hidden,
        speaker_notes: speaker_notes_of(new, at)?,
        timer_seconds: timer_of(new, at)?,
        spec: QuestionSpec::Catalog(CatalogSpec),
    })
}

/// A single offered value from `response_index` (catalog questions and single-answer choices).
///
/// # Errors
/// No `response_index`, or one that is not offered.
pub(crate) fn one_offered(
    question: &PollQuestion,
    answer: &Answer,
    at: usize,
    kind: QuestionKindName,
) -> Result<Choice, AppError> {
    only_field(answer, at, "response_index", kind)?;
    let Some(index) = answer.response_index else { return Err(missing(at, "response_index", kind)) };
    if !question.offered.contains(&index) {
        return Err(AppError::invalid_field(
            format!("answers[{at}].response_index"),
            format!("response {index} is not offered for '{}'", question.var_name),
        ));
    }
    Ok(Choice::One(index))
}

impl QuestionKind for CatalogSpec {
    fn name(&self) -> QuestionKindName {
        QuestionKindName::Catalog
    }

    fn view(&self, question: &PollQuestion, snapshot: &SurveySnapshot) -> Option<PollQuestionView> {
        let q = snapshot.questions.get(&question.var_name)?;
        let heading = QuestionHeading::of(snapshot, q);
        Some(PollQuestionView {
            var_name: heading.var_name,
            kind: QuestionKindName::Catalog,
            text: heading.text,
            short_text: heading.short_text,
            battery: Some(heading.battery),
            battery_prefix: heading.battery_prefix,
            sub_battery: heading.sub_battery,
            responses: question
                .offered
                .iter()
                .filter_map(|&k| {
                    let response = q.responses.get(usize::try_from(k).ok()?)?;
                    Some(OfferedResponse { index: k, response: response.clone() })
                })
                .collect(),
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
        })
    }

    fn answer(&self, question: &PollQuestion, answer: &Answer, at: usize) -> Result<Choice, AppError> {
        one_offered(question, answer, at, QuestionKindName::Catalog)
    }

    fn results(&self, input: ResultsInput<'_>) -> QuestionResults {
        let (overall, groups) = input.tally.counts(input.groups);
        QuestionResults::Catalog(Box::new(CatalogResults {
            head: input.head(),
            responses: input.view.responses,
            overall,
            groups,
            national: None,
            room_vs_nation: None,
            reference: None,
        }))
    }

    fn csv_cells(&self, _: &PollQuestion, view: &PollQuestionView, answer: Option<&StoredAnswer>) -> Vec<String> {
        vec![answer.and_then(|a| a.response_index).map(|k| label_of(view, k)).unwrap_or_default()]
    }
}
