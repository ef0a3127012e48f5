//! A poll's raw responses as CSV: one row per participant, each question's columns as its kind
//! writes them (a response label, the options picked, a scale's value, three columns of words as
//! typed — hidden and blocked words included —, an open answer and its review, the place given to
//! each item of a ranking, a guess and the name it was given with: the CSV is for staff).

use std::collections::HashMap;

use entity::polls::respondents;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::error::AppError;
use crate::polls::kinds::{OpenAnswer, StoredAnswer};
use crate::polls::model::Review;
use crate::polls::repository::{self, PollKey};
use crate::polls::views::question_views;
use crate::surveys::cache::SurveyCache;
use crate::text_rules::inert;

/// The poll's slug and its CSV: `respondent_id`, `submitted_at`, then each question's columns
/// (blank where unanswered).
///
/// # Errors
/// No such poll (404), database failure.
pub(crate) async fn responses_csv(
    db: &DatabaseConnection,
    surveys: &SurveyCache,
    id: i32,
) -> Result<(String, Vec<u8>), AppError> {
    let snapshot = surveys.get(db).await?;
    let poll = repository::find(db, PollKey::Id(id)).await?;
    let views = question_views(&snapshot, &poll);
    let participants = respondents::Entity::find()
        .filter(respondents::Column::PollId.eq(id))
        .order_by_asc(respondents::Column::Id)
        .all(db)
        .await?;
    let stored = repository::stored_answers(db, id).await?;
    let mut answers: HashMap<(i64, &str), StoredAnswer> = HashMap::new();
    for row in &stored.answers {
        let answer = answers.entry((row.respondent_id, row.var_name.as_str())).or_default();
        answer.response_index = row.response_index;
        answer.display_name.clone_from(&row.display_name);
    }
    for row in &stored.ranks {
        answers.entry((row.respondent_id, row.var_name.as_str())).or_default().ranking.push(row.item);
    }
    for row in &stored.choices {
        answers.entry((row.respondent_id, row.var_name.as_str())).or_default().choices.push(row.response_index);
    }
    for row in &stored.words {
        answers.entry((row.respondent_id, row.var_name.as_str())).or_default().words.push(row.word.clone());
    }
    for row in &stored.texts {
        let review = Review::named(&row.review).unwrap_or_default();
        answers.entry((row.respondent_id, row.var_name.as_str())).or_default().open =
            Some(OpenAnswer { text: row.text.clone(), review });
    }

    let csv_error = |e: csv::Error| AppError::internal_caused("writing CSV", e);
    let mut writer = csv::Writer::from_writer(Vec::new());
    // A question whose catalog entry is gone has no view, and no columns.
    let columns: Vec<_> =
        poll.questions.iter().filter_map(|q| Some((q, views.iter().find(|v| v.var_name == q.var_name)?))).collect();
    let mut header = vec!["respondent_id".to_owned(), "submitted_at".to_owned()];
    header.extend(columns.iter().flat_map(|(q, _)| q.kind().csv_columns(q)));
    writer.write_record(&header).map_err(csv_error)?;
    for participant in participants {
        let mut record = vec![participant.id.to_string(), participant.created_at.to_rfc3339()];
        for (question, view) in &columns {
            let answer = answers.get(&(participant.id, question.var_name.as_str()));
            record.extend(question.kind().csv_cells(question, view, answer).into_iter().map(inert));
        }
        writer.write_record(&record).map_err(csv_error)?;
    }
    let body = writer.into_inner().map_err(|e| AppError::internal_caused("writing CSV", e.into_error()))?;
    Ok((poll.poll.slug, body))
}
