//! Failed logins, counted per email in PostgreSQL (so every api process sees the same count):
//! after `MAX_FAILURES` within `WINDOW_SECONDS`, further attempts for that email get 429 until the
//! oldest of those failures leaves the window.

use chrono::{DateTime, FixedOffset, Utc};
use entity::users::login_failures;
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

pub const MAX_FAILURES: u64 = 5;
pub const WINDOW_SECONDS: i64 = 15 * 60;

fn window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now - chrono::Duration::seconds(WINDOW_SECONDS)
}

/// Seconds until another attempt is allowed, if the email is throttled now.
///
/// # Errors
/// Any database error.
pub async fn retry_after(db: &DatabaseConnection, email: &str) -> Result<Option<u64>, DbErr> {
    let now = Utc::now();
    let recent: Vec<DateTime<FixedOffset>> = login_failures::Entity::find()
        .select_only()
        .column(login_failures::Column::FailedAt)
        .filter(login_failures::Column::Email.eq(email))
        .filter(login_failures::Column::FailedAt.gt(window_start(now)))
        .order_by_desc(login_failures::Column::FailedAt)
        .limit(MAX_FAILURES)
        .into_tuple()
        .all(db)
        .await?;
    if (recent.len() as u64) < MAX_FAILURES {
        return Ok(None);
    }
    // The oldest of the last MAX_FAILURES failures frees a slot when it leaves the window.
    let frees_at = recent.iter().min().map_or(now, |oldest| oldest.with_timezone(&Utc))
        + chrono::Duration::seconds(WINDOW_SECONDS);
    let wait = ((frees_at - now).num_milliseconds() + 999).div_euclid(1000);
    Ok(Some(wait.max(1).unsigned_abs()))
}

/// # Errors
/// Any database error.
pub async fn record_failure(db: &DatabaseConnection, email: &str) -> Result<(), DbErr> {
    login_failures::ActiveModel {
        email: Set(email.to_owned()),
        failed_at: Set(Utc::now().fixed_offset()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Forgets an email's failures (after a successful login) and any that left the window.
///
/// # Errors
/// Any database error.
pub async fn clear(db: &DatabaseConnection, email: &str) -> Result<(), DbErr> {
    login_failures::Entity::delete_many()
        .filter(
            Condition::any()
                .add(login_failures::Column::Email.eq(email))
                .add(login_failures::Column::FailedAt.lt(window_start(Utc::now()))),
        )
        .exec(db)
        .await?;
    Ok(())
}
