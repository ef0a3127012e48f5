//! Failed logins, counted per email in PostgreSQL (so every api process sees the same count):
//! after `MAX_FAILURES` within `WINDOW_SECONDS`, each further attempt for that email waits before
//! its password is checked, longer the more failures there are (up to `MAX_DELAY`). A guesser
//! is slowed, never the owner locked out: the right password still works, a few seconds later.
//! How many attempts one address may make at all is limited separately (`client_limits`).

use chrono::{DateTime, Utc};
use entity::users::login_failures;
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
};

pub const MAX_FAILURES: u64 = 5;
pub const WINDOW_SECONDS: i64 = 15 * 60;
/// The longest an attempt waits: 1 s after `MAX_FAILURES` failures, doubling with each one more.
pub const MAX_DELAY: std::time::Duration = std::time::Duration::from_secs(8);

/// How long to wait before checking a password for an email with `failures` recent failures.
pub fn delay_for(failures: u64) -> std::time::Duration {
    match failures.checked_sub(MAX_FAILURES) {
        None => std::time::Duration::ZERO,
        Some(extra) => std::time::Duration::from_secs(1 << extra.min(3)).min(MAX_DELAY),
    }
}

fn window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now - chrono::Duration::seconds(WINDOW_SECONDS)
}

/// How long an attempt for `email` waits now (zero below `MAX_FAILURES` recent failures).
///
/// # Errors
/// Any database error.
pub async fn delay(db: &DatabaseConnection, email: &str) -> Result<std::time::Duration, DbErr> {
    let recent = login_failures::Entity::find()
        .filter(login_failures::Column::Email.eq(email))
        .filter(login_failures::Column::FailedAt.gt(window_start(Utc::now())))
        .count(db)
        .await?;
    Ok(delay_for(recent))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_wait_only_after_the_allowed_failures_and_never_long() {
        let secs = |n| delay_for(n).as_secs();
        assert_eq!((0..MAX_FAILURES).map(secs).max(), Some(0));
        assert_eq!([5, 6, 7, 8, 9, 50].map(secs), [1, 2, 4, 8, 8, 8]);
    }
}
