//! A poll's raw responses as CSV: one row per respondent, one column per question.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use super::service::{PollKey, find};
use crate::AppError;
use crate::surveys::cache::SurveyCache;

/// The poll's slug and its CSV: `respondent_id`, `submitted_at`, then each question's response
/// label (blank where unanswered).
///
/// # Errors
/// No such poll (404), database failure.
pub async fn responses_csv(db: &DatabaseConnection, surveys: &SurveyCache, id: i32) -> Result<(String, Vec<u8>), AppError> {
    let poll = find(db, PollKey::Id(id)).await?;
    let snapshot = surveys.get(db).await?;
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT r.id, r.created_at, a.var_name, a.response_index FROM polls.respondents r
             LEFT JOIN polls.answers a ON a.respondent_id = r.id WHERE r.poll_id = $1 ORDER BY r.id",
            [id.into()],
        ))
        .await?;
    let columns: Vec<&String> = poll.questions.iter().map(|(v, _)| v).collect();
    let mut writer = csv::Writer::from_writer(Vec::new());
    let csv_error = |e: csv::Error| AppError::Internal(format!("writing CSV: {e}"));
    let mut header: Vec<&str> = vec!["respondent_id", "submitted_at"];
    header.extend(columns.iter().map(|c| c.as_str()));
    writer.write_record(&header).map_err(csv_error)?;
    // Rows come ordered by respondent: a respondent's row is written when the next one starts.
    let mut write_row = |(respondent, at, cells): (i64, String, Vec<String>)| {
        writer.write_record([respondent.to_string(), at].into_iter().chain(cells)).map_err(csv_error)
    };
    let mut current: Option<(i64, String, Vec<String>)> = None;
    for row in &rows {
        let respondent: i64 = row.try_get("", "id")?;
        if current.as_ref().is_none_or(|(r, _, _)| *r != respondent) {
            if let Some(done) = current.take() {
                write_row(done)?;
            }
            let at: chrono::DateTime<chrono::FixedOffset> = row.try_get("", "created_at")?;
            current = Some((respondent, at.to_rfc3339(), vec![String::new(); columns.len()]));
        }
        let var_name: Option<String> = row.try_get("", "var_name")?;
        let index: Option<i16> = row.try_get("", "response_index")?;
        if let (Some(var_name), Some(index), Some((_, _, cells))) = (var_name, index, current.as_mut())
            && let Some(column) = columns.iter().position(|c| **c == var_name)
        {
            cells[column] = snapshot
                .questions
                .get(&var_name)
                .and_then(|q| q.responses.get(index as usize).cloned())
                .unwrap_or_else(|| index.to_string());
        }
    }
    if let Some(done) = current.take() {
        write_row(done)?;
    }
    let body = writer.into_inner().map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((poll.slug, body))
}
