//! Ballots per minute for one poll, so that admins see a burst from one script (stuffing) as it
//! happens: a hall votes in a wave after each question, a script in a flat, high line.

use sea_orm::{DatabaseConnection, DbBackend, FromQueryResult, Statement};
use serde::Serialize;
use utoipa::ToSchema;

use super::repository::{self, PollKey};
use crate::AppError;

/// How far back the activity goes.
pub const MINUTES: i32 = 15;

#[derive(Debug, Serialize, ToSchema)]
pub struct PollActivity {
    pub poll_id: i32,
    /// The last `MINUTES` minutes, oldest first, every minute present (0 when nobody voted).
    pub minutes: Vec<MinuteBallots>,
}

#[derive(Debug, Serialize, ToSchema, FromQueryResult)]
pub struct MinuteBallots {
    /// The minute's start.
    pub minute: chrono::DateTime<chrono::FixedOffset>,
    pub ballots: i64,
}

/// # Errors
/// No such poll (404), database failure.
pub async fn per_minute(db: &DatabaseConnection, poll_id: i32) -> Result<PollActivity, AppError> {
    repository::find(db, PollKey::Id(poll_id)).await?;
    // Raw SQL: generate_series fills the minutes without ballots, which the builder cannot express.
    let minutes = MinuteBallots::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT m.minute, count(r.id) AS ballots
         FROM generate_series(date_trunc('minute', now()) - make_interval(mins => $2 - 1),
                              date_trunc('minute', now()), interval '1 minute') AS m(minute)
         LEFT JOIN polls.respondents r
           ON r.poll_id = $1 AND r.created_at >= m.minute AND r.created_at < m.minute + interval '1 minute'
         GROUP BY m.minute ORDER BY m.minute",
        [poll_id.into(), MINUTES.into()],
    ))
    .all(db)
    .await?;
    Ok(PollActivity { poll_id, minutes })
}
