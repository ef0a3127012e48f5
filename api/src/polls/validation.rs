//! What a poll and a ballot must satisfy before they are stored. Every failure is a 422 naming
//! the offending field.

use std::collections::HashSet;

use super::model::{Answer, NewPoll};
use super::repository::OfferedQuestion;
use crate::AppError;
use crate::surveys::snapshot::SurveySnapshot;
use crate::text_rules::{POLL_DESCRIPTION, POLL_TITLE, has_control_characters};

/// Checks a new poll against the catalog; returns its questions with their offered indices.
///
/// # Errors
/// Empty title, no questions, an unknown or repeated question, a bad offered index, or a split
/// question that is not in the poll.
pub fn new_poll_questions(snapshot: &SurveySnapshot, new: &NewPoll) -> Result<Vec<OfferedQuestion>, AppError> {
    POLL_TITLE.check("title", &new.title)?;
    POLL_DESCRIPTION.check("description", &new.description)?;
    if new.questions.is_empty() {
        return Err(AppError::invalid_field("questions", "a poll needs at least one question"));
    }
    let mut seen = HashSet::new();
    let mut questions = Vec::new();
    for (i, q) in new.questions.iter().enumerate() {
        let field = format!("questions[{i}].var_name");
        let Some(catalog) = snapshot.questions.get(&q.var_name) else {
            return Err(AppError::invalid_field(field, format!("unknown question '{}'", q.var_name)));
        };
        if !seen.insert(q.var_name.as_str()) {
            return Err(AppError::invalid_field(field, format!("question '{}' is in the poll twice", q.var_name)));
        }
        let count = i16::try_from(catalog.responses.len()).unwrap_or(i16::MAX);
        let offered: Vec<i16> = q.response_indices.clone().unwrap_or_else(|| (0..count).collect());
        let field = format!("questions[{i}].response_indices");
        if offered.is_empty() {
            return Err(AppError::invalid_field(field, "offer at least one response"));
        }
        if let Some(bad) = offered.iter().find(|&&k| k < 0 || k >= count) {
            let message = format!("index {bad} is out of range for '{}' (0–{})", q.var_name, count - 1);
            return Err(AppError::invalid_field(field, message));
        }
        if offered.iter().collect::<HashSet<_>>().len() != offered.len() {
            return Err(AppError::invalid_field(field, "an index is offered twice"));
        }
        questions.push(OfferedQuestion { var_name: q.var_name.clone(), offered, results_hidden: q.results_hidden });
    }
    if let Some(split) = &new.split_by
        && !questions.iter().any(|q| &q.var_name == split)
    {
        return Err(AppError::invalid_field("split_by", format!("'{split}' is not one of the poll's questions")));
    }
    Ok(questions)
}

/// A client token as stored: trimmed, 8 to 200 characters.
///
/// # Errors
/// Too short or too long.
pub fn client_token(token: &str) -> Result<&str, AppError> {
    let token = token.trim();
    if !(8..=200).contains(&token.len()) {
        return Err(AppError::invalid_field("client_token", "client_token must be 8 to 200 characters"));
    }
    if has_control_characters(token) {
        return Err(AppError::invalid_field("client_token", "client_token must not contain control characters"));
    }
    Ok(token)
}

/// Checks a ballot's answers against the poll's questions and offered responses; returns the
/// choice for each question, in the poll's order.
///
/// # Errors
/// No answers, a question not in the poll, answered twice or not answered (a ballot answers every
/// question, as the poll page requires), a response not offered.
pub fn choices(questions: &[OfferedQuestion], answers: &[Answer]) -> Result<Vec<Option<i16>>, AppError> {
    if answers.is_empty() {
        return Err(AppError::invalid_field("answers", "answer at least one question"));
    }
    let mut choices = vec![None; questions.len()];
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
        if !questions[position].offered.contains(&answer.response_index) {
            return Err(AppError::invalid_field(
                format!("answers[{i}].response_index"),
                format!("response {} is not offered for '{}'", answer.response_index, answer.var_name),
            ));
        }
        choices[position] = Some(answer.response_index);
    }
    if let Some(position) = choices.iter().position(Option::is_none) {
        let unanswered = &questions[position].var_name;
        return Err(AppError::invalid_field("answers", format!("answer every question: '{unanswered}' is unanswered")));
    }
    Ok(choices)
}
