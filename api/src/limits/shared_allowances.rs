//! Per-client allowances shared by every api process, kept in PostgreSQL
//! (`users.client_allowances`): login attempts and wrong join codes. Each process also keeps its
//! own in-memory count (`client_limits`), which refuses a flood before it reaches the database;
//! this one makes the allowance the fleet's, so N processes do not give a client N times it.
//!
//! A generic cell rate per client: `next_free_at` is when its allowance is whole again. A use
//! moves it on by one share (60 s / allowance) and is refused when that would put it more than
//! a minute ahead — a burst of the whole allowance, then one share at a time — exactly as the
//! in-memory limits (governor) count.

use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SharedLimit {
    Login,
    JoinCodeMiss,
}

impl SharedLimit {
    fn kind(self) -> &'static str {
        match self {
            SharedLimit::Login => "login",
            SharedLimit::JoinCodeMiss => "join_code_miss",
        }
    }

    /// The limit's name in metrics.
    fn metric(self) -> &'static str {
        match self {
            SharedLimit::Login => "login",
            SharedLimit::JoinCodeMiss => "join_code",
        }
    }
}

/// One share and the whole allowance's span, in microseconds (PostgreSQL's resolution).
fn spans(per_minute: u32) -> (i64, i64) {
    let share = 60_000_000 / i64::from(per_minute.max(1));
    (share, share * i64::from(per_minute.max(1)))
}

/// The statements take their spans as microseconds: `$n * interval '1 microsecond'`.
const TAKE: &str = "INSERT INTO users.client_allowances AS a (kind, client_key, next_free_at) \
     VALUES ($1, $2, now() + $3 * interval '1 microsecond') \
     ON CONFLICT (kind, client_key) DO UPDATE \
     SET next_free_at = GREATEST(a.next_free_at, now()) + $3 * interval '1 microsecond' \
     WHERE GREATEST(a.next_free_at, now()) + $3 * interval '1 microsecond' <= now() + $4 * interval '1 microsecond' \
     RETURNING 1";

/// Counts a use whatever the allowance says, never more than one share past a whole minute.
const COUNT: &str = "INSERT INTO users.client_allowances AS a (kind, client_key, next_free_at) \
     VALUES ($1, $2, now() + $3 * interval '1 microsecond') \
     ON CONFLICT (kind, client_key) DO UPDATE \
     SET next_free_at = LEAST(GREATEST(a.next_free_at, now()) + $3 * interval '1 microsecond', \
                              now() + ($3 + $4) * interval '1 microsecond')";

/// How long until one more use would be allowed (0: now), in microseconds.
const WAIT: &str = "SELECT GREATEST(0, (EXTRACT(EPOCH FROM \
     GREATEST(next_free_at, now()) + $3 * interval '1 microsecond' - now()) * 1000000)::bigint - $4) AS wait \
     FROM users.client_allowances WHERE kind = $1 AND client_key = $2";

fn values(limit: SharedLimit, client_key: &str, per_minute: u32) -> Vec<sea_orm::Value> {
    let (share, whole) = spans(per_minute);
    vec![limit.kind().into(), client_key.into(), share.into(), whole.into()]
}

fn refused(limit: SharedLimit, client_key: &str, wait_micros: i64) -> AppError {
    tracing::info!(client_key, limit = limit.kind(), "shared per-client limit reached");
    crate::limits::refused(limit.metric());
    let seconds = u64::try_from(wait_micros.max(1)).unwrap_or(1).div_ceil(1_000_000);
    AppError::TooManyRequests { retry_after: seconds }
}

async fn wait<C: ConnectionTrait>(
    db: &C,
    limit: SharedLimit,
    client_key: &str,
    per_minute: u32,
) -> Result<i64, AppError> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(DbBackend::Postgres, WAIT, values(limit, client_key, per_minute)))
        .await?;
    Ok(match row {
        Some(row) => row.try_get::<i64>("", "wait")?,
        None => 0,
    })
}

/// Takes one use of `client_key`'s allowance of `per_minute`.
///
/// # Errors
/// None left (429 with Retry-After); database failure.
pub(crate) async fn take<C: ConnectionTrait>(
    db: &C,
    limit: SharedLimit,
    client_key: &str,
    per_minute: u32,
) -> Result<(), AppError> {
    let taken = db
        .query_one_raw(Statement::from_sql_and_values(DbBackend::Postgres, TAKE, values(limit, client_key, per_minute)))
        .await?;
    if taken.is_some() {
        return Ok(());
    }
    Err(refused(limit, client_key, wait(db, limit, client_key, per_minute).await?))
}

/// Whether `client_key` has a use left, without taking it.
///
/// # Errors
/// None left (429 with Retry-After); database failure.
pub(crate) async fn check<C: ConnectionTrait>(
    db: &C,
    limit: SharedLimit,
    client_key: &str,
    per_minute: u32,
) -> Result<(), AppError> {
    match wait(db, limit, client_key, per_minute).await? {
        0 => Ok(()),
        micros => Err(refused(limit, client_key, micros)),
    }
}

/// Counts one use (a wrong join code: it already happened).
///
/// # Errors
/// Database failure.
pub(crate) async fn count<C: ConnectionTrait>(
    db: &C,
    limit: SharedLimit,
    client_key: &str,
    per_minute: u32,
) -> Result<(), AppError> {
    db.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, COUNT, values(limit, client_key, per_minute)))
        .await?;
    Ok(())
}

/// Deletes the rows whose allowance is whole again (they carry nothing).
///
/// # Errors
/// Database failure.
pub(crate) async fn forget_whole<C: ConnectionTrait>(db: &C) -> Result<(), AppError> {
    db.execute_unprepared("DELETE FROM users.client_allowances WHERE next_free_at <= now()").await?;
    Ok(())
}
