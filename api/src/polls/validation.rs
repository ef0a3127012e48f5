//! What a poll and a ballot must satisfy before they are stored. Every failure is a 422 naming
//! the offending field; what each kind of question takes is its own (see `kinds`).

use std::collections::HashSet;

use crate::error::AppError;
use crate::polls::kinds::{self, Choice, PollQuestion, QuestionSpec};
use crate::polls::model::{Answer, NewPoll, Pacing};
use crate::surveys::snapshot::SurveySnapshot;
use crate::text_rules::{POLL_DESCRIPTION, POLL_TITLE, has_control_characters};

/// The most questions one poll holds.
pub(crate) const MAX_QUESTIONS: usize = 50;

/// Checks a new poll (its questions against the catalog); returns its questions.
///
/// # Errors
/// Empty title, no or too many questions, a bad question, a catalog question twice, or a split
/// question that is not in the poll or cannot split it (words, several answers).
pub(crate) fn new_poll_questions(snapshot: &SurveySnapshot, new: &NewPoll) -> Result<Vec<PollQuestion>, AppError> {
    POLL_TITLE.check("title", &new.title)?;
    POLL_DESCRIPTION.check("description", &new.description)?;
    if new.questions.is_empty() {
        return Err(AppError::invalid_field("questions", "a poll needs at least one question"));
    }
    if new.questions.len() > MAX_QUESTIONS {
        return Err(AppError::invalid_field("questions", format!("a poll holds at most {MAX_QUESTIONS} questions")));
    }
    let mut seen = HashSet::new();
    let mut questions = Vec::with_capacity(new.questions.len());
    for (i, q) in new.questions.iter().enumerate() {
        let question = kinds::new_question(snapshot, q, i)?;
        if !seen.insert(question.var_name.clone()) {
            return Err(AppError::invalid_field(
                format!("questions[{i}].var_name"),
                format!("question '{}' is in the poll twice", question.var_name),
            ));
        }
        questions.push(question);
    }
    if let Some(split) = &new.split_by {
        let Some(question) = questions.iter().find(|q| &q.var_name == split) else {
            return Err(AppError::invalid_field("split_by", format!("'{split}' is not one of the poll's questions")));
        };
        match &question.spec {
            QuestionSpec::Words(_) | QuestionSpec::Open(_) | QuestionSpec::Ranking(_) | QuestionSpec::Predict(_) => {
                return Err(AppError::invalid_field(
                    "split_by",
                    format!("a {} question cannot split the results", question.kind().name().as_str()),
                ));
            }
            QuestionSpec::Choice(choice) if choice.max_choices > 1 => {
                return Err(AppError::invalid_field(
                    "split_by",
                    "a question with several answers cannot split the results",
                ));
            }
            _ => {}
        }
    }
    Ok(questions)
}

/// A client token as stored: trimmed, 8 to 200 characters.
///
/// # Errors
/// Too short or too long.
pub(crate) fn client_token(token: &str) -> Result<&str, AppError> {
    let token = token.trim();
    if !(8..=200).contains(&token.len()) {
        return Err(AppError::invalid_field("client_token", "client_token must be 8 to 200 characters"));
    }
    if has_control_characters(token) {
        return Err(AppError::invalid_field("client_token", "client_token must not contain control characters"));
    }
    Ok(token)
}

/// Checks a ballot's answers against the poll's questions, each by its kind; returns the choice
/// for each question, in the poll's order. An all-at-once ballot answers every question; a
/// presenter-paced one any it likes (which of them is open is the pacing's call: see
/// [`paced_answer`]).
///
/// # Errors
/// No answers, a question not in the poll, answered twice, an answer its kind does not take, or
/// (all at once) a question not answered.
pub(crate) fn choices(
    questions: &[PollQuestion],
    answers: &[Answer],
    pacing: Pacing,
) -> Result<Vec<Option<Choice>>, AppError> {
    if answers.is_empty() {
        return Err(AppError::invalid_field("answers", "answer at least one question"));
    }
    let mut choices: Vec<Option<Choice>> = vec![None; questions.len()];
    for (i, answer) in answers.iter().enumerate() {
        let field = format!("answers[{i}].var_name");
        let Some(position) = questions.iter().position(|q| q.var_name == answer.var_name) else {
            return Err(AppError::invalid_field(
                field,
                format!("'{}' is not a question of this poll", answer.var_name),
            ));
        };
        if choices[position].is_some() {
            return Err(AppError::invalid_field(field, format!("'{}' is answered twice", answer.var_name)));
        }
        let question = &questions[position];
        choices[position] = Some(question.kind().answer(question, answer, i)?);
    }
    if pacing == Pacing::AllAtOnce
        && let Some(position) = choices.iter().position(Option::is_none)
    {
        let unanswered = &questions[position].var_name;
        return Err(AppError::invalid_field("answers", format!("answer every question: '{unanswered}' is unanswered")));
    }
    Ok(choices)
}

/// Whether a presenter-paced ballot answers only the question that is open now.
pub(crate) fn paced_answer(choices: &[Option<Choice>], current: Option<i16>, voting_open: bool) -> bool {
    let Some(current) = current.and_then(|c| usize::try_from(c).ok()) else { return false };
    voting_open && choices.iter().enumerate().all(|(position, choice)| choice.is_none() || position == current)
}
