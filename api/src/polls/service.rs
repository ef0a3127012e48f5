//! Creating, reading, opening/closing and deleting polls, and taking ballots.

use std::collections::{HashMap, HashSet};

use argon2::password_hash::rand_core::{OsRng, RngCore};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, QueryResult, Statement, TransactionTrait};

use super::POLL_EVENTS_CHANNEL;
use super::model::{Ballot, BallotReceipt, NewPoll, OfferedResponse, PollQuestionView, PollView, PublicPoll};
use crate::AppError;
use crate::surveys::cache::SurveyCache;
use crate::surveys::service::QuestionHeading;
use crate::surveys::snapshot::SurveySnapshot;

/// A poll row with its questions (var_name, offered indices), in position order.
#[derive(Debug, Clone)]
pub struct PollRecord {
    pub id: i32,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub is_open: bool,
    pub split_by: Option<String>,
    pub created_by: Option<i32>,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    pub updated_at: chrono::DateTime<chrono::FixedOffset>,
    pub questions: Vec<(String, Vec<i16>)>,
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> AppError {
    AppError::Unprocessable { field: field.into(), message: message.into() }
}

/// A URL-safe slug from the title plus a random suffix, e.g. `democracy-in-the-us-3f9a1c`.
fn new_slug(title: &str) -> String {
    let mut base = String::new();
    for c in title.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            base.push(c);
        } else if !base.ends_with('-') && !base.is_empty() {
            base.push('-');
        }
    }
    // Cut to 40 characters, which may end on a dash again.
    let base: String = base.chars().take(40).collect();
    let base = base.trim_end_matches('-');
    let base = if base.len() < 3 { "poll" } else { base };
    let mut suffix = [0u8; 3];
    OsRng.fill_bytes(&mut suffix);
    format!("{base}-{}", hex::encode(suffix))
}

/// Queues an announcement, sent when the surrounding transaction commits.
pub async fn announce<C: ConnectionTrait>(db: &C, poll_id: i32, kind: &str) -> Result<(), AppError> {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [POLL_EVENTS_CHANNEL.into(), format!("{poll_id} {kind}").into()],
    ))
    .await?;
    Ok(())
}

/// Checks a new poll against the catalog; returns its questions with their offered indices.
fn validate(snapshot: &SurveySnapshot, new: &NewPoll) -> Result<Vec<(String, Vec<i16>)>, AppError> {
    if new.title.trim().is_empty() {
        return Err(invalid("title", "title must not be empty"));
    }
    if new.questions.is_empty() {
        return Err(invalid("questions", "a poll needs at least one question"));
    }
    let mut seen = HashSet::new();
    let mut questions = Vec::new();
    for (i, q) in new.questions.iter().enumerate() {
        let field = format!("questions[{i}].var_name");
        let Some(catalog) = snapshot.questions.get(&q.var_name) else {
            return Err(invalid(field, format!("unknown question '{}'", q.var_name)));
        };
        if !seen.insert(q.var_name.as_str()) {
            return Err(invalid(field, format!("question '{}' is in the poll twice", q.var_name)));
        }
        let count = catalog.responses.len() as i16;
        let offered: Vec<i16> = q.response_indices.clone().unwrap_or_else(|| (0..count).collect());
        let field = format!("questions[{i}].response_indices");
        if offered.is_empty() {
            return Err(invalid(field, "offer at least one response"));
        }
        if let Some(bad) = offered.iter().find(|&&k| k < 0 || k >= count) {
            return Err(invalid(field, format!("index {bad} is out of range for '{}' (0–{})", q.var_name, count - 1)));
        }
        if offered.iter().collect::<HashSet<_>>().len() != offered.len() {
            return Err(invalid(field, "an index is offered twice"));
        }
        questions.push((q.var_name.clone(), offered));
    }
    if let Some(split) = &new.split_by
        && !questions.iter().any(|(v, _)| v == split)
    {
        return Err(invalid("split_by", format!("'{split}' is not one of the poll's questions")));
    }
    Ok(questions)
}

/// # Errors
/// Invalid poll (422 naming the field), database failure.
pub async fn create(db: &DatabaseConnection, surveys: &SurveyCache, created_by: i32, new: NewPoll) -> Result<PollView, AppError> {
    let snapshot = surveys.get(db).await?;
    let questions = validate(&snapshot, &new)?;
    let txn = db.begin().await?;
    let id: i32 = txn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO polls.polls (slug, title, description, split_by, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            [
                new_slug(&new.title).into(),
                new.title.trim().to_owned().into(),
                new.description.trim().to_owned().into(),
                new.split_by.clone().into(),
                created_by.into(),
            ],
        ))
        .await?
        .ok_or_else(|| AppError::Internal("insert returned no id".to_owned()))?
        .try_get("", "id")?;
    for (position, (var_name, offered)) in questions.iter().enumerate() {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO polls.poll_questions (poll_id, var_name, position, response_indices) VALUES ($1, $2, $3, $4)",
            [id.into(), var_name.clone().into(), (position as i16).into(), offered.clone().into()],
        ))
        .await?;
    }
    txn.commit().await?;
    view(db, &snapshot, id).await
}

fn record(row: &QueryResult, questions: Vec<(String, Vec<i16>)>) -> Result<PollRecord, AppError> {
    Ok(PollRecord {
        id: row.try_get("", "id")?,
        slug: row.try_get("", "slug")?,
        title: row.try_get("", "title")?,
        description: row.try_get("", "description")?,
        is_open: row.try_get("", "is_open")?,
        split_by: row.try_get("", "split_by")?,
        created_by: row.try_get("", "created_by")?,
        created_at: row.try_get("", "created_at")?,
        updated_at: row.try_get("", "updated_at")?,
        questions,
    })
}

/// The poll with this id or slug.
///
/// # Errors
/// No such poll (404).
pub async fn find<C: ConnectionTrait>(db: &C, key: PollKey<'_>) -> Result<PollRecord, AppError> {
    read_poll(db, key, "").await
}

/// [`find`], locking the poll row (`FOR SHARE`) until the transaction ends: a concurrent close
/// waits for it.
///
/// # Errors
/// No such poll (404).
pub async fn find_locked<C: ConnectionTrait>(txn: &C, key: PollKey<'_>) -> Result<PollRecord, AppError> {
    read_poll(txn, key, " FOR SHARE").await
}

async fn read_poll<C: ConnectionTrait>(db: &C, key: PollKey<'_>, lock: &str) -> Result<PollRecord, AppError> {
    let (condition, value): (&str, sea_orm::Value) = match key {
        PollKey::Id(id) => ("id = $1", id.into()),
        PollKey::Slug(slug) => ("slug = $1", slug.to_owned().into()),
    };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!("SELECT * FROM polls.polls WHERE {condition}{lock}"),
            [value],
        ))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no poll {key}")))?;
    let id: i32 = row.try_get("", "id")?;
    let questions = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT var_name, response_indices FROM polls.poll_questions WHERE poll_id = $1 ORDER BY position",
            [id.into()],
        ))
        .await?
        .iter()
        .map(|q| Ok((q.try_get("", "var_name")?, q.try_get("", "response_indices")?)))
        .collect::<Result<Vec<(String, Vec<i16>)>, AppError>>()?;
    record(&row, questions)
}

#[derive(Debug, Clone, Copy)]
pub enum PollKey<'a> {
    Id(i32),
    Slug(&'a str),
}

impl std::fmt::Display for PollKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PollKey::Id(id) => write!(f, "{id}"),
            PollKey::Slug(slug) => write!(f, "'{slug}'"),
        }
    }
}

/// The questions of a poll as shown to people, with their offered responses.
pub fn question_views(snapshot: &SurveySnapshot, poll: &PollRecord) -> Vec<PollQuestionView> {
    poll.questions
        .iter()
        .filter_map(|(var_name, offered)| {
            let q = snapshot.questions.get(var_name)?;
            Some(PollQuestionView {
                heading: QuestionHeading::of(snapshot, q),
                responses: offered
                    .iter()
                    .filter_map(|&k| q.responses.get(k as usize).map(|r| OfferedResponse { index: k, response: r.clone() }))
                    .collect(),
            })
        })
        .collect()
}

/// How many participants answered the poll.
///
/// # Errors
/// Database failure.
pub async fn respondent_count<C: ConnectionTrait>(db: &C, poll_id: i32) -> Result<i64, AppError> {
    Ok(db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM polls.respondents WHERE poll_id = $1",
            [poll_id.into()],
        ))
        .await?
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0))
}

async fn view(db: &DatabaseConnection, snapshot: &SurveySnapshot, id: i32) -> Result<PollView, AppError> {
    let poll = find(db, PollKey::Id(id)).await?;
    let respondents = respondent_count(db, poll.id).await?;
    Ok(poll_view(snapshot, poll, respondents))
}

fn poll_view(snapshot: &SurveySnapshot, poll: PollRecord, respondents: i64) -> PollView {
    PollView {
        questions: question_views(snapshot, &poll),
        respondents,
        id: poll.id,
        slug: poll.slug,
        title: poll.title,
        description: poll.description,
        is_open: poll.is_open,
        split_by: poll.split_by,
        created_by: poll.created_by,
        created_at: poll.created_at,
        updated_at: poll.updated_at,
    }
}

/// # Errors
/// No such poll (404).
pub async fn get(db: &DatabaseConnection, surveys: &SurveyCache, id: i32) -> Result<PollView, AppError> {
    let snapshot = surveys.get(db).await?;
    view(db, &snapshot, id).await
}

/// Every poll, newest first.
///
/// # Errors
/// Database failure.
pub async fn list(db: &DatabaseConnection, surveys: &SurveyCache) -> Result<Vec<PollView>, AppError> {
    let snapshot = surveys.get(db).await?;
    // Three queries for any number of polls: the polls, all their questions, all their counts.
    let query = |sql: &str| db.query_all_raw(Statement::from_string(DbBackend::Postgres, sql.to_owned()));
    let rows = query("SELECT * FROM polls.polls ORDER BY created_at DESC, id DESC").await?;
    let mut questions: HashMap<i32, Vec<(String, Vec<i16>)>> = HashMap::new();
    for q in query("SELECT poll_id, var_name, response_indices FROM polls.poll_questions ORDER BY poll_id, position").await? {
        questions.entry(q.try_get("", "poll_id")?).or_default().push((q.try_get("", "var_name")?, q.try_get("", "response_indices")?));
    }
    let mut respondents: HashMap<i32, i64> = HashMap::new();
    for c in query("SELECT poll_id, count(*) AS n FROM polls.respondents GROUP BY poll_id").await? {
        respondents.insert(c.try_get("", "poll_id")?, c.try_get("", "n")?);
    }
    rows.iter()
        .map(|row| {
            let id: i32 = row.try_get("", "id")?;
            let poll = record(row, questions.remove(&id).unwrap_or_default())?;
            Ok(poll_view(&snapshot, poll, respondents.get(&id).copied().unwrap_or(0)))
        })
        .collect()
}

/// Opens or closes a poll and announces it.
///
/// # Errors
/// No such poll (404).
pub async fn set_open(db: &DatabaseConnection, surveys: &SurveyCache, id: i32, is_open: bool) -> Result<PollView, AppError> {
    let txn = db.begin().await?;
    let changed = txn
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE polls.polls SET is_open = $2, updated_at = now() WHERE id = $1",
            [id.into(), is_open.into()],
        ))
        .await?;
    if changed.rows_affected() == 0 {
        return Err(AppError::NotFound(format!("no poll {id}")));
    }
    announce(&txn, id, if is_open { "open" } else { "closed" }).await?;
    txn.commit().await?;
    get(db, surveys, id).await
}

/// Deletes a poll with its questions, respondents and answers.
///
/// # Errors
/// No such poll (404).
pub async fn delete(db: &DatabaseConnection, id: i32) -> Result<(), AppError> {
    let txn = db.begin().await?;
    let deleted = txn
        .execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, "DELETE FROM polls.polls WHERE id = $1", [id.into()]))
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(AppError::NotFound(format!("no poll {id}")));
    }
    announce(&txn, id, "deleted").await?;
    txn.commit().await?;
    Ok(())
}

/// The poll as participants see it.
///
/// # Errors
/// No such poll (404).
pub async fn public(db: &DatabaseConnection, surveys: &SurveyCache, slug: &str) -> Result<PublicPoll, AppError> {
    let snapshot = surveys.get(db).await?;
    let poll = find(db, PollKey::Slug(slug)).await?;
    Ok(PublicPoll {
        questions: question_views(&snapshot, &poll),
        slug: poll.slug,
        title: poll.title,
        description: poll.description,
        is_open: poll.is_open,
    })
}

/// The respondent who answered `poll_id` with this client token, if any.
async fn respondent_by_token<C: ConnectionTrait>(db: &C, poll_id: i32, token: &str) -> Result<Option<i64>, AppError> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT id FROM polls.respondents WHERE poll_id = $1 AND client_token = $2",
            [poll_id.into(), token.to_owned().into()],
        ))
        .await?;
    Ok(row.map(|r| r.try_get("", "id")).transpose()?)
}

/// Records a ballot. Returns the respondent and whether this call created it: the same client
/// token again returns the first respondent and changes nothing.
///
/// # Errors
/// No such poll (404), closed (409), an unknown question, an index not offered, a question
/// answered twice or a bad token (422 naming the field).
pub async fn vote(db: &DatabaseConnection, slug: &str, ballot: Ballot) -> Result<(BallotReceipt, bool), AppError> {
    let token = ballot.client_token.trim();
    if !(8..=200).contains(&token.len()) {
        return Err(invalid("client_token", "client_token must be 8 to 200 characters"));
    }
    let txn = db.begin().await?;
    // Read locked: a concurrent close waits until this ballot is in.
    let poll = find_locked(&txn, PollKey::Slug(slug)).await?;
    if let Some(respondent_id) = respondent_by_token(&txn, poll.id, token).await? {
        return Ok((BallotReceipt { respondent_id }, false));
    }
    if !poll.is_open {
        return Err(AppError::Conflict("this poll is closed".to_owned()));
    }
    if ballot.answers.is_empty() {
        return Err(invalid("answers", "answer at least one question"));
    }
    let offered: HashMap<&str, &Vec<i16>> = poll.questions.iter().map(|(v, o)| (v.as_str(), o)).collect();
    let mut answered = HashSet::new();
    for (i, answer) in ballot.answers.iter().enumerate() {
        let Some(indices) = offered.get(answer.var_name.as_str()) else {
            return Err(invalid(format!("answers[{i}].var_name"), format!("'{}' is not a question of this poll", answer.var_name)));
        };
        if !answered.insert(answer.var_name.as_str()) {
            return Err(invalid(format!("answers[{i}].var_name"), format!("'{}' is answered twice", answer.var_name)));
        }
        if !indices.contains(&answer.response_index) {
            return Err(invalid(
                format!("answers[{i}].response_index"),
                format!("response {} is not offered for '{}'", answer.response_index, answer.var_name),
            ));
        }
    }
    let inserted = txn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO polls.respondents (poll_id, client_token) VALUES ($1, $2)
             ON CONFLICT (poll_id, client_token) DO NOTHING RETURNING id",
            [poll.id.into(), token.to_owned().into()],
        ))
        .await?;
    let Some(row) = inserted else {
        // The same token won a race in another transaction: that ballot stands.
        txn.rollback().await?;
        let respondent_id = respondent_by_token(db, poll.id, token)
            .await?
            .ok_or_else(|| AppError::Internal("respondent vanished".to_owned()))?;
        return Ok((BallotReceipt { respondent_id }, false));
    };
    let respondent_id: i64 = row.try_get("", "id")?;
    let var_names: Vec<String> = ballot.answers.iter().map(|a| a.var_name.clone()).collect();
    let indices: Vec<i16> = ballot.answers.iter().map(|a| a.response_index).collect();
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO polls.answers (respondent_id, poll_id, var_name, response_index)
         SELECT $1, $2, v, i FROM unnest($3::text[], $4::smallint[]) AS t(v, i)",
        [respondent_id.into(), poll.id.into(), var_names.into(), indices.into()],
    ))
    .await?;
    // The ballot travels with the announcement, so watchers add it without reading it back.
    let split_index = poll
        .split_by
        .as_ref()
        .and_then(|split| ballot.answers.iter().find(|a| &a.var_name == split))
        .map_or(-1, |a| a.response_index);
    let answers: Vec<String> = ballot.answers.iter().map(|a| format!("{}:{}", a.var_name, a.response_index)).collect();
    announce(&txn, poll.id, &format!("vote {respondent_id} {split_index} {}", answers.join(","))).await?;
    txn.commit().await?;
    Ok((BallotReceipt { respondent_id }, true))
}
