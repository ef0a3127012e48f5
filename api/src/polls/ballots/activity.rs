//! Ballots per minute for one poll, so that admins see a burst from one script (stuffing) as it
//! happens: a hall votes in a wave after each question, a script in a flat, high line; and the
//! clients behind the most ballots, which an admin can void (`voids`).

use sea_orm::{DatabaseConnection, DbBackend, FromQueryResult, Statement};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::AppError;
use crate::polls::ballots::voids::{self, BallotVoid};
use crate::polls::repository::{self, PollKey};

/// How far back the activity goes.
pub(crate) const MINUTES: i32 = 15;

/// The most clients an activity view lists.
const CLIENTS: i64 = 20;

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PollActivity {
    pub poll_id: i32,
    /// The last `MINUTES` minutes, oldest first, every minute present (0 when nobody voted).
    pub minutes: Vec<MinuteBallots>,
    /// The clients (an IPv4 address or an IPv6 network, as a keyed hash: nobody's address is
    /// stored) with the most ballots in those minutes, most first (at most 20). A hall behind
    /// one network address is one client too: void only what is plainly a script.
    pub clients: Vec<ClientBallots>,
    /// Ballots voided in this poll, newest first (at most 50).
    pub voids: Vec<BallotVoid>,
}

#[derive(Debug, Serialize, ToSchema, FromQueryResult)]
pub(crate) struct ClientBallots {
    #[schema(example = "3f9a0c1d2e4b5a69")]
    pub client: String,
    pub ballots: i64,
    /// Browsers (device cookies) among them.
    pub devices: i64,
    /// The first and the last of them.
    pub first_at: chrono::DateTime<chrono::FixedOffset>,
    pub last_at: chrono::DateTime<chrono::FixedOffset>,
}

#[derive(Debug, Serialize, ToSchema, FromQueryResult)]
pub(crate) struct MinuteBallots {
    /// The minute's start.
    pub minute: chrono::DateTime<chrono::FixedOffset>,
    pub ballots: i64,
}

/// # Errors
/// No such poll (404), database failure.
pub(crate) async fn per_minute(db: &DatabaseConnection, poll_id: i32) -> Result<PollActivity, AppError> {
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
    let clients = ClientBallots::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT client_key AS client, count(*) AS ballots, count(DISTINCT device_id) AS devices,
                min(created_at) AS first_at, max(created_at) AS last_at
         FROM polls.respondents
         WHERE poll_id = $1 AND client_key IS NOT NULL
           AND created_at >= date_trunc('minute', now()) - make_interval(mins => $2 - 1)
         GROUP BY client_key ORDER BY ballots DESC, client LIMIT $3",
        [poll_id.into(), MINUTES.into(), CLIENTS.into()],
    ))
    .all(db)
    .await?;
    let voids = voids::list(db, poll_id).await?;
    Ok(PollActivity { poll_id, minutes, clients, voids })
}
