//! A question's countdown, closed when it ends. The deadline is a row (`current_question_closes_at`,
//! the database's clock): ballot batches refuse answers after it whatever any process believes,
//! and every process, hearing a `paced` announcement with a deadline (or finding one running when
//! it starts, or after its listener reconnected), sleeps until then and tries to close the voting.
//! Only one finds it due (`repository::close_when_due`); it announces the close, and every screen
//! follows as for a presenter's close.

use std::time::Duration;

use sea_orm::{DatabaseConnection, TransactionTrait};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use crate::error::AppError;
use crate::notifications::DbEvent;
use crate::polls::events::{POLL_EVENTS_CHANNEL, PollEvent};
use crate::polls::repository::{self, Deadline};

/// How long a countdown waits again when this process's clock ran ahead of the database's.
const CLOCK_SLACK: Duration = Duration::from_millis(100);

/// Closes voting when countdowns end, for as long as announcements come (a background task).
pub(crate) async fn follow(db: DatabaseConnection, mut events: broadcast::Receiver<DbEvent>) {
    watch_running(&db).await;
    loop {
        match events.recv().await {
            Ok(DbEvent::Notification { channel, payload })
                if channel == POLL_EVENTS_CHANNEL && !PollEvent::announces_votes(&payload) =>
            {
                if let Ok(PollEvent::Paced { poll_id, closes_at: Some(at), .. }) = payload.parse() {
                    watch(db.clone(), poll_id, at);
                }
            }
            Ok(DbEvent::Notification { .. }) => {}
            // Announcements may have been missed: look for countdowns in the database.
            Ok(DbEvent::Reconnected) | Err(RecvError::Lagged(_)) => watch_running(&db).await,
            Err(RecvError::Closed) => return,
        }
    }
}

async fn watch_running(db: &DatabaseConnection) {
    match repository::running_countdowns(db).await {
        Ok(running) => {
            for (poll_id, at) in running {
                watch(db.clone(), poll_id, at.timestamp_millis());
            }
        }
        Err(e) => tracing::warn!(error = %e, "reading the running countdowns"),
    }
}

/// Sleeps until the countdown of `poll_id` ends at `at_ms` (Unix milliseconds), then closes it
/// if it is still due.
fn watch(db: DatabaseConnection, poll_id: i32, at_ms: i64) {
    tokio::spawn(async move {
        let mut at_ms = at_ms;
        loop {
            let wait = at_ms.saturating_sub(chrono::Utc::now().timestamp_millis());
            tokio::time::sleep(Duration::from_millis(u64::try_from(wait).unwrap_or(0))).await;
            match close_when_due(&db, poll_id).await {
                Ok(Deadline::NotYet(at)) => {
                    at_ms = at.timestamp_millis().max(chrono::Utc::now().timestamp_millis())
                        + i64::try_from(CLOCK_SLACK.as_millis()).unwrap_or(100);
                }
                Ok(Deadline::Closed { .. } | Deadline::None) => return,
                Err(e) => {
                    tracing::warn!(error = %e, poll_id, "closing a question's countdown");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    });
}

/// Closes the voting if the countdown has ended, and announces it in the same transaction.
async fn close_when_due(db: &DatabaseConnection, poll_id: i32) -> Result<Deadline, AppError> {
    let txn = db.begin().await?;
    let found = repository::close_when_due(&txn, poll_id).await?;
    if let Deadline::Closed { current } = found {
        PollEvent::Paced { poll_id, current, voting_open: false, closes_at: None }.announce(&txn).await?;
        tracing::info!(poll = poll_id, question = ?current, "countdown ended: voting closed");
    }
    txn.commit().await?;
    Ok(found)
}
