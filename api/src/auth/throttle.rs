//! Failed logins, counted per email in PostgreSQL (so every api process sees the same count):
//! after `MAX_FAILURES` within `WINDOW`, further attempts for that email get 429 until the oldest
//! failure leaves the window.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};

pub const MAX_FAILURES: i64 = 5;
pub const WINDOW_SECONDS: i64 = 15 * 60;

/// Seconds until another attempt is allowed, if the email is throttled now.
///
/// # Errors
/// Any database error.
pub async fn retry_after(db: &DatabaseConnection, email: &str) -> Result<Option<u64>, DbErr> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT count(*) AS failures,
                    coalesce(ceil(extract(epoch FROM min(failed_at) + make_interval(secs => $2) - now())), 0)::bigint AS wait
             FROM (SELECT failed_at FROM users.login_failures
                   WHERE email = $1 AND failed_at > now() - make_interval(secs => $2)
                   ORDER BY failed_at DESC LIMIT $3) recent",
            [email.into(), (WINDOW_SECONDS as f64).into(), MAX_FAILURES.into()],
        ))
        .await?;
    let Some(row) = row else { return Ok(None) };
    let failures: i64 = row.try_get("", "failures")?;
    let wait: i64 = row.try_get("", "wait")?;
    Ok((failures >= MAX_FAILURES).then_some(wait.max(1) as u64))
}

/// # Errors
/// Any database error.
pub async fn record_failure(db: &DatabaseConnection, email: &str) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO users.login_failures (email) VALUES ($1)",
        [email.into()],
    ))
    .await?;
    Ok(())
}

/// Forgets an email's failures (after a successful login) and any that left the window.
///
/// # Errors
/// Any database error.
pub async fn clear(db: &DatabaseConnection, email: &str) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "DELETE FROM users.login_failures WHERE email = $1 OR failed_at < now() - make_interval(secs => $2)",
        [email.into(), (WINDOW_SECONDS as f64).into()],
    ))
    .await?;
    Ok(())
}
