//! Asking, voting and moderating audience questions. Every change locks the question's row, then
//! the poll's `qa_boards` row (always in that order), counts itself there and announces the
//! question's new state in the same transaction: the change numbers follow the commit order,
//! which is the order every process hears them in.

use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, Statement, TransactionTrait};

use crate::error::AppError;
use crate::polls::audience_questions::board::{STATE_COLUMNS, state_of};
use crate::polls::events::{PollEvent, QaChange};
use crate::polls::kinds::words::is_blocked;
use crate::polls::model::{
    AskedQuestion, AudienceQuestionPatch, AudienceQuestionState, MyAudienceQuestion, MyAudienceQuestions,
    NewAudienceQuestion, QaMode, Review,
};
use crate::text_rules::inert;
use crate::text_rules::{DISPLAY_NAME, OPEN_ANSWER};

/// Questions one browser may ask a poll per minute.
pub(crate) const QUESTIONS_PER_MINUTE: i64 = 3;
/// Votes (and votes taken back) one browser may cast per minute.
pub(crate) const VOTES_PER_MINUTE: i64 = 30;
/// Questions a poll takes in all.
pub(crate) const QUESTIONS_PER_POLL: i64 = 2_000;

pub(super) fn statement(sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// Counts the change and announces it.
async fn announce(txn: &DatabaseTransaction, poll_id: i32, change: QaChange) -> Result<(), AppError> {
    announce_all(txn, poll_id, vec![change]).await
}

/// Counts the changes on the poll's board (one statement, whatever their number) and announces
/// them numbered in the order given.
pub(super) async fn announce_all(
    txn: &DatabaseTransaction,
    poll_id: i32,
    changes: Vec<QaChange>,
) -> Result<(), AppError> {
    if changes.is_empty() {
        return Ok(());
    }
    let count = i64::try_from(changes.len()).unwrap_or(i64::MAX);
    let last: i64 = txn
        .query_one_raw(statement(
            "INSERT INTO polls.qa_boards (poll_id, changes) VALUES ($1, $2)
             ON CONFLICT (poll_id) DO UPDATE SET changes = polls.qa_boards.changes + excluded.changes
             RETURNING changes",
            vec![poll_id.into(), count.into()],
        ))
        .await?
        .ok_or_else(|| AppError::internal("no Q&A board row returned"))?
        .try_get("", "changes")?;
    let payloads = changes
        .into_iter()
        .zip(last - count + 1..)
        .map(|(change, number)| PollEvent::Qa { poll_id, changes: number, change }.to_string())
        .collect();
    PollEvent::announce_all(txn, payloads).await?;
    Ok(())
}

/// The poll's Q&A mode, checked open for participants (a 409 otherwise).
async fn open_for_questions<C: ConnectionTrait>(db: &C, poll_id: i32) -> Result<QaMode, AppError> {
    let row = db
        .query_one_raw(statement("SELECT is_open, qa_mode FROM polls.polls WHERE id = $1", vec![poll_id.into()]))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no poll {poll_id}")))?;
    let (is_open, mode): (bool, String) = (row.try_get("", "is_open")?, row.try_get("", "qa_mode")?);
    let mode = QaMode::named(&mode);
    taking_questions(is_open, mode)?;
    Ok(mode)
}

/// Whether a poll takes participants' questions and votes now (a 409 saying why not).
///
/// # Errors
/// Q&A is off, or the poll is closed.
pub(super) fn taking_questions(is_open: bool, mode: QaMode) -> Result<(), AppError> {
    if mode == QaMode::Off {
        return Err(AppError::Conflict("this poll takes no audience questions".to_owned()));
    }
    if !is_open {
        return Err(AppError::Conflict("this poll is closed".to_owned()));
    }
    Ok(())
}

/// A participant asks the presenter a question.
///
/// # Errors
/// Bad text or name (422 naming it), the poll takes no questions or is closed (409), the browser
/// asked too often (429), the poll has its most questions (409).
pub(crate) async fn ask(
    db: &DatabaseConnection,
    poll_id: i32,
    (device_id, client_key): (&str, &str),
    new: &NewAudienceQuestion,
) -> Result<AskedQuestion, AppError> {
    let text = OPEN_ANSWER.check("text", &new.text)?;
    let display_name = match &new.display_name {
        Some(name) => Some(DISPLAY_NAME.check("display_name", name)?).filter(|name| !name.is_empty()),
        None => None,
    };
    let txn = db.begin().await?;
    let mode = open_for_questions(&txn, poll_id).await?;
    let counts = txn
        .query_one_raw(statement(
            "SELECT count(*) AS in_poll,
                    count(*) FILTER (WHERE device_id = $2 AND asked_at > now() - interval '1 minute') AS recent
               FROM polls.audience_questions WHERE poll_id = $1",
            vec![poll_id.into(), device_id.into()],
        ))
        .await?
        .ok_or_else(|| AppError::internal("no count returned"))?;
    if counts.try_get::<i64>("", "recent")? >= QUESTIONS_PER_MINUTE {
        return Err(AppError::TooManyRequests { retry_after: 60 });
    }
    if counts.try_get::<i64>("", "in_poll")? >= QUESTIONS_PER_POLL {
        return Err(AppError::Conflict(format!("this poll has taken its {QUESTIONS_PER_POLL} questions")));
    }
    // Held for the presenter rather than dropped: pre-moderated, or a word the blocklist matches.
    let review = if mode == QaMode::PostModerated && !is_blocked(&text) { Review::Approved } else { Review::Pending };
    let row = txn
        .query_one_raw(statement(
            &format!(
                "INSERT INTO polls.audience_questions (poll_id, device_id, client_key, text, display_name, review)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING {STATE_COLUMNS}"
            ),
            vec![
                poll_id.into(),
                device_id.into(),
                client_key.into(),
                text.into(),
                display_name.into(),
                review.as_str().into(),
            ],
        ))
        .await?
        .ok_or_else(|| AppError::internal("no question returned"))?;
    let state = state_of(&row)?;
    let asked = AskedQuestion { id: state.id, review: state.review };
    announce(&txn, poll_id, QaChange::Question(state)).await?;
    txn.commit().await?;
    Ok(asked)
}

/// Updates question `$1` with `set` and returns its new state.
async fn updated(
    txn: &DatabaseTransaction,
    set: &str,
    values: Vec<sea_orm::Value>,
) -> Result<AudienceQuestionState, AppError> {
    let row = txn
        .query_one_raw(statement(
            &format!("UPDATE polls.audience_questions SET {set} WHERE id = $1 RETURNING {STATE_COLUMNS}"),
            values,
        ))
        .await?
        .ok_or_else(|| AppError::internal("no question returned"))?;
    state_of(&row)
}

/// A presenter's decision on a question of poll `poll_id`: approve, hide or hold it, mark it
/// answered or not. Hiding the pinned question unpins it.
///
/// # Errors
/// Neither field given (422), no such question in the poll (404).
pub(crate) async fn moderate(
    db: &DatabaseConnection,
    poll_id: i32,
    question_id: i64,
    patch: AudienceQuestionPatch,
    by: i32,
) -> Result<AudienceQuestionState, AppError> {
    if patch.review.is_none() && patch.answered.is_none() {
        return Err(AppError::invalid_field("review", "give review and/or answered"));
    }
    let txn = db.begin().await?;
    let found = txn
        .query_one_raw(statement(
            "SELECT 1 AS found FROM polls.audience_questions WHERE id = $1 AND poll_id = $2 FOR UPDATE",
            vec![question_id.into(), poll_id.into()],
        ))
        .await?;
    if found.is_none() {
        return Err(AppError::NotFound(format!("poll {poll_id} has no audience question {question_id}")));
    }
    let review = patch.review.map(Review::as_str);
    let state = updated(
        &txn,
        "review = coalesce($2, review),
         reviewed_by = CASE WHEN $2 IS NULL THEN reviewed_by WHEN $2 = 'pending' THEN NULL ELSE $3 END,
         reviewed_at = CASE WHEN $2 IS NULL THEN reviewed_at WHEN $2 = 'pending' THEN NULL ELSE now() END,
         answered_at = CASE WHEN $4 IS NULL THEN answered_at WHEN $4 THEN coalesce(answered_at, now()) END",
        vec![question_id.into(), review.into(), by.into(), patch.answered.into()],
    )
    .await?;
    announce(&txn, poll_id, QaChange::Question(state.clone())).await?;
    if state.review != Review::Approved {
        let unpinned = txn
            .execute_raw(statement(
                "UPDATE polls.qa_boards SET pinned = NULL WHERE poll_id = $1 AND pinned = $2",
                vec![poll_id.into(), question_id.into()],
            ))
            .await?;
        if unpinned.rows_affected() > 0 {
            announce(&txn, poll_id, QaChange::Pinned(None)).await?;
        }
    }
    txn.commit().await?;
    Ok(state)
}

/// Pins an approved question of poll `poll_id` to the audience view, or unpins (`None`).
///
/// # Errors
/// No such poll or question in it (404), not approved (422).
pub(crate) async fn pin(db: &DatabaseConnection, poll_id: i32, question_id: Option<i64>) -> Result<(), AppError> {
    let txn = db.begin().await?;
    let poll =
        txn.query_one_raw(statement("SELECT 1 AS found FROM polls.polls WHERE id = $1", vec![poll_id.into()])).await?;
    if poll.is_none() {
        return Err(AppError::NotFound(format!("no poll {poll_id}")));
    }
    if let Some(id) = question_id {
        let review = txn
            .query_one_raw(statement(
                "SELECT review FROM polls.audience_questions WHERE id = $1 AND poll_id = $2 FOR UPDATE",
                vec![id.into(), poll_id.into()],
            ))
            .await?
            .map(|row| row.try_get::<String>("", "review"))
            .transpose()?
            .ok_or_else(|| AppError::NotFound(format!("poll {poll_id} has no audience question {id}")))?;
        if review != "approved" {
            return Err(AppError::invalid_field("question_id", "only an approved question can be pinned"));
        }
    }
    txn.execute_raw(statement(
        "INSERT INTO polls.qa_boards (poll_id, pinned) VALUES ($1, $2)
         ON CONFLICT (poll_id) DO UPDATE SET pinned = excluded.pinned",
        vec![poll_id.into(), question_id.into()],
    ))
    .await?;
    announce(&txn, poll_id, QaChange::Pinned(question_id)).await?;
    txn.commit().await?;
    Ok(())
}

/// Removes the votes client `client_key` cast in poll `poll_id` within `window` (a void of its
/// burst); each question's count follows, announced as a change. Says how many votes went.
///
/// # Errors
/// Database failure.
pub(crate) async fn void_votes(
    txn: &DatabaseTransaction,
    poll_id: i32,
    client_key: &str,
    (from, to): (chrono::DateTime<chrono::FixedOffset>, chrono::DateTime<chrono::FixedOffset>),
) -> Result<u64, AppError> {
    let rows = txn
        .query_all_raw(statement(
            &format!(
                "WITH gone AS (
                     DELETE FROM polls.audience_question_votes v USING polls.audience_questions q
                      WHERE q.id = v.question_id AND q.poll_id = $1 AND v.client_key = $2
                        AND v.voted_at >= $3 AND v.voted_at < $4
                     RETURNING v.question_id),
                 counted AS (SELECT question_id, count(*)::int AS n FROM gone GROUP BY question_id)
                 UPDATE polls.audience_questions SET votes = votes - counted.n
                   FROM counted WHERE id = counted.question_id
                 RETURNING counted.n AS removed, {STATE_COLUMNS}"
            ),
            vec![poll_id.into(), client_key.into(), from.into(), to.into()],
        ))
        .await?;
    let (mut removed, mut changes) = (0, Vec::with_capacity(rows.len()));
    for row in &rows {
        removed += u64::try_from(row.try_get::<i32>("", "removed")?).unwrap_or(0);
        changes.push(QaChange::Question(state_of(row)?));
    }
    announce_all(txn, poll_id, changes).await?;
    Ok(removed)
}

/// What one browser asked in a poll and which questions it voted for.
///
/// # Errors
/// Database failure.
pub(crate) async fn mine(
    db: &DatabaseConnection,
    poll_id: i32,
    device_id: &str,
) -> Result<MyAudienceQuestions, AppError> {
    let asked = db
        .query_all_raw(statement(
            "SELECT id, text, review FROM polls.audience_questions WHERE poll_id = $1 AND device_id = $2 ORDER BY id",
            vec![poll_id.into(), device_id.into()],
        ))
        .await?
        .iter()
        .map(|row| {
            let review: String = row.try_get("", "review")?;
            Ok(MyAudienceQuestion {
                id: row.try_get("", "id")?,
                text: row.try_get("", "text")?,
                review: Review::named(&review).unwrap_or_default(),
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let voted = db
        .query_all_raw(statement(
            "SELECT v.question_id FROM polls.audience_question_votes v
               JOIN polls.audience_questions q ON q.id = v.question_id
              WHERE q.poll_id = $1 AND v.device_id = $2 ORDER BY v.question_id",
            vec![poll_id.into(), device_id.into()],
        ))
        .await?
        .iter()
        .map(|row| row.try_get::<i64>("", "question_id"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(MyAudienceQuestions { asked, voted })
}

/// The poll's slug and its audience questions as CSV, one row per question in the order asked:
/// `id`, `asked_at`, `text`, `display_name`, `review`, `reviewed_by`, `reviewed_at`,
/// `answered_at`, `votes` (the asker's device and client stay out: they identify a browser).
///
/// # Errors
/// No such poll (404), database failure.
pub(crate) async fn questions_csv(db: &DatabaseConnection, poll_id: i32) -> Result<(String, Vec<u8>), AppError> {
    let slug: String = db
        .query_one_raw(statement("SELECT slug FROM polls.polls WHERE id = $1", vec![poll_id.into()]))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no poll {poll_id}")))?
        .try_get("", "slug")?;
    let rows = db
        .query_all_raw(statement(
            "SELECT id, asked_at::text AS asked_at, text, coalesce(display_name, '') AS display_name, review,
                    coalesce(reviewed_by::text, '') AS reviewed_by, coalesce(reviewed_at::text, '') AS reviewed_at,
                    coalesce(answered_at::text, '') AS answered_at, votes
               FROM polls.audience_questions WHERE poll_id = $1 ORDER BY id",
            vec![poll_id.into()],
        ))
        .await?;
    let csv_error = |e: csv::Error| AppError::internal_caused("writing CSV", e);
    let mut writer = csv::Writer::from_writer(Vec::new());
    let columns =
        ["id", "asked_at", "text", "display_name", "review", "reviewed_by", "reviewed_at", "answered_at", "votes"];
    writer.write_record(columns).map_err(csv_error)?;
    for row in &rows {
        let id: i64 = row.try_get("", "id")?;
        let votes: i32 = row.try_get("", "votes")?;
        let mut record = vec![id.to_string()];
        for column in &columns[1..8] {
            let cell: String = row.try_get("", column)?;
            record.push(inert(cell));
        }
        record.push(votes.to_string());
        writer.write_record(&record).map_err(csv_error)?;
    }
    let body = writer.into_inner().map_err(|e| AppError::internal_caused("writing CSV", e.into_error()))?;
    Ok((slug, body))
}
