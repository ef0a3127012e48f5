//! A poll's raw responses as CSV: one row per respondent, one column per question.

use entity::polls::{answers, poll_questions, respondents};
use entity::questions::questions;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::repository::{self, PollKey};
use crate::AppError;

/// The poll's slug and its CSV: `respondent_id`, `submitted_at`, then each question's response
/// label (blank where unanswered).
///
/// # Errors
/// No such poll (404), database failure.
pub async fn responses_csv(db: &DatabaseConnection, id: i32) -> Result<(String, Vec<u8>), AppError> {
    let poll = repository::find(db, PollKey::Id(id)).await?;
    // The poll's questions with their catalog labels (poll_questions → questions.questions).
    let columns: Vec<(poll_questions::Model, Option<questions::Model>)> = poll_questions::Entity::find()
        .find_also_related(questions::Entity)
        .filter(poll_questions::Column::PollId.eq(id))
        .order_by_asc(poll_questions::Column::Position)
        .all(db)
        .await?;
    let ballots: Vec<(respondents::Model, Vec<answers::Model>)> = respondents::Entity::find()
        .find_with_related(answers::Entity)
        .filter(respondents::Column::PollId.eq(id))
        .order_by_asc(respondents::Column::Id)
        .all(db)
        .await?;
    let csv_error = |e: csv::Error| AppError::Internal(format!("writing CSV: {e}"));
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header = ["respondent_id", "submitted_at"].into_iter().chain(columns.iter().map(|(c, _)| c.var_name.as_str()));
    writer.write_record(header).map_err(csv_error)?;
    for (respondent, answers) in ballots {
        let cells = columns.iter().map(|(column, question)| {
            let Some(answer) = answers.iter().find(|a| a.var_name == column.var_name) else { return String::new() };
            question
                .as_ref()
                .and_then(|q| q.responses.get(usize::try_from(answer.response_index).ok()?).cloned())
                .unwrap_or_else(|| answer.response_index.to_string())
        });
        let record = [respondent.id.to_string(), respondent.created_at.to_rfc3339()].into_iter().chain(cells);
        writer.write_record(record).map_err(csv_error)?;
    }
    let body = writer.into_inner().map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((poll.poll.slug, body))
}
