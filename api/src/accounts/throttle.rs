//! Login attempts, counted per email in PostgreSQL (so every api process sees the same count).
//! Each attempt takes a turn before its password is checked: turns for one email are handed out
//! one at a time (a transaction-scoped advisory lock, held for the few milliseconds of the
//! reservation, not for the wait), each at least `MIN_SPACING` after the previous one and, after
//! `MAX_FAILURES` failures within `WINDOW_SECONDS`, longer the more there are (up to `MAX_DELAY`).
//! Parallel attempts therefore queue instead of all waiting the same delay and then all being
//! checked: at most one check per email is in flight, and the rate does not grow with the number
//! of clients. An attempt whose turn is more than `MAX_WAIT` away is refused at once (429 with
//! Retry-After). A guesser is slowed; the owner is never locked out for long, and the right
//! password works in its turn. How many attempts one address may make at all is limited
//! separately (`limits::client_limits`).
//!
//! A turn is stored as a `login_failures` row dated to the turn: it counts as a failure unless
//! the login succeeds, which clears the email's rows.

use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use entity::users::login_failures;
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait,
    QueryFilter, QuerySelect, Statement, TransactionTrait,
};

use crate::error::AppError;

pub(crate) const MAX_FAILURES: u64 = 5;
pub(crate) const WINDOW_SECONDS: i64 = 15 * 60;
/// The longest gap between turns: 1 s after `MAX_FAILURES` failures, doubling with each one more.
pub(crate) const MAX_DELAY: Duration = Duration::from_secs(8);
/// The shortest gap between two turns for one email (a password check takes a fraction of it).
pub(crate) const MIN_SPACING: Duration = Duration::from_secs(1);
/// The longest an attempt waits for its turn; past it the attempt is refused. Twice `MAX_DELAY`:
/// an address that keeps one turn queued (all it may: see [`take_turn`]) cannot push everyone
/// else's turn out of reach.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(20);

/// The (email, client) pairs with a turn waiting in this process: a client waits for one turn at
/// a time per email, so it cannot queue up every turn ahead of the owner's.
#[derive(Default)]
pub(crate) struct WaitingTurns(std::sync::Mutex<std::collections::HashSet<(String, std::net::IpAddr)>>);

impl WaitingTurns {
    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<(String, std::net::IpAddr)>> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A client's waiting turn; the place is given back when it is dropped (checked, or abandoned).
pub(crate) struct Turn<'w> {
    waiting: &'w WaitingTurns,
    key: (String, std::net::IpAddr),
    pub wait: Duration,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.waiting.lock().remove(&self.key);
    }
}

/// The gap before the next turn for an email with `failures` recent failures.
pub(crate) fn delay_for(failures: u64) -> Duration {
    match failures.checked_sub(MAX_FAILURES) {
        None => Duration::ZERO,
        Some(extra) => Duration::from_secs(1 << extra.min(3)).min(MAX_DELAY),
    }
}

fn window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now - chrono::Duration::seconds(WINDOW_SECONDS)
}

/// When the next attempt after `turns` (recent turns, any order) may be checked.
pub(crate) fn next_turn(turns: &[DateTime<FixedOffset>], now: DateTime<Utc>) -> DateTime<Utc> {
    let Some(last) = turns.iter().max() else { return now };
    let gap = delay_for(turns.len() as u64).max(MIN_SPACING);
    let after_last = last.with_timezone(&Utc) + chrono::Duration::from_std(gap).unwrap_or_default();
    after_last.max(now)
}

/// Takes the next turn for `email` for `client` (its address as the limits count it); returns it
/// with how long to wait.
///
/// # Errors
/// `client` already waits for a turn for this email, or the turn is more than `MAX_WAIT` away
/// (429 with Retry-After); database failure.
pub(crate) async fn take_turn<'w>(
    db: &DatabaseConnection,
    waiting: &'w WaitingTurns,
    email: &str,
    client: std::net::IpAddr,
) -> Result<Turn<'w>, AppError> {
    let key = (email.to_owned(), client);
    if !waiting.lock().insert(key.clone()) {
        tracing::info!(email, %client, "login refused: this client already waits for a turn for this email");
        return Err(AppError::TooManyRequests { retry_after: 1 });
    }
    // From here the place is given back however this ends.
    let mut place = Turn { waiting, key, wait: Duration::ZERO };
    let txn = db.begin().await?;
    // Raw SQL: an advisory lock has no query-builder form. Held until this transaction ends.
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock(hashtext('blw-login:' || $1))",
        [email.into()],
    ))
    .await?;
    let now = Utc::now();
    let turns: Vec<DateTime<FixedOffset>> = login_failures::Entity::find()
        .select_only()
        .column(login_failures::Column::FailedAt)
        .filter(login_failures::Column::Email.eq(email))
        .filter(login_failures::Column::FailedAt.gt(window_start(now)))
        .into_tuple()
        .all(&txn)
        .await?;
    let turn = next_turn(&turns, now);
    let wait = (turn - now).to_std().unwrap_or_default();
    if wait > MAX_WAIT {
        txn.rollback().await?;
        let retry_after = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        tracing::info!(email, retry_after, "login refused: too many attempts for this email");
        return Err(AppError::TooManyRequests { retry_after });
    }
    login_failures::ActiveModel {
        email: Set(email.to_owned()),
        failed_at: Set(turn.fixed_offset()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    place.wait = wait;
    Ok(place)
}

/// Forgets an email's failures (after a successful login) and any that left the window.
///
/// # Errors
/// Any database error.
pub(crate) async fn clear(db: &DatabaseConnection, email: &str) -> Result<(), DbErr> {
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

    #[test]
    fn turns_queue_behind_each_other() {
        let now = Utc::now();
        let at = |s: i64| (now + chrono::Duration::seconds(s)).fixed_offset();
        assert_eq!(next_turn(&[], now), now);
        // Turns taken in the future (attempts still waiting) push the next one further.
        assert_eq!(next_turn(&[at(0)], now), now + chrono::Duration::seconds(1));
        assert_eq!(next_turn(&[at(-30)], now), now, "an old turn does not hold anyone back");
        let five = [at(0), at(1), at(2), at(3), at(4)];
        assert_eq!(next_turn(&five, now), now + chrono::Duration::seconds(5));
        let six = [at(0), at(1), at(2), at(3), at(4), at(5)];
        assert_eq!(next_turn(&six, now), now + chrono::Duration::seconds(7));
    }

    #[test]
    fn a_client_waits_for_one_turn_at_a_time_per_email() {
        let waiting = WaitingTurns::default();
        let client = std::net::IpAddr::from([192, 0, 2, 1]);
        let key = ("x@example.org".to_owned(), client);
        waiting.lock().insert(key.clone());
        let first = Turn { waiting: &waiting, key: key.clone(), wait: Duration::ZERO };
        assert!(!waiting.lock().insert(key.clone()), "a second turn for the same pair is refused");
        drop(first);
        assert!(waiting.lock().insert(key), "given back when dropped");
    }
}
