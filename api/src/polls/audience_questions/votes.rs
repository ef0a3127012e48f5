//! Upvotes written in batches (group commit), as ballots are: requests queue here; a few writer
//! tasks each take whatever has queued while the previous batch was being written and store it
//! in one transaction — the batch's questions locked in id order, each vote inserted or removed in
//! the order it came, each question's count moved once, and the poll's Q&A change count moved once
//! for all the questions that changed (the board's row is the point every Q&A change of a poll
//! passes in order; one commit per batch, not per vote, is what lets a crowd vote at once). Each
//! request waits for its own answer, given only once its batch has committed.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use futures_util::FutureExt;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, TransactionTrait};
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::error::AppError;
use crate::polls::audience_questions::board::{STATE_COLUMNS, state_of};
use crate::polls::audience_questions::service::{VOTES_PER_MINUTE, announce_all, statement, taking_questions};
use crate::polls::events::QaChange;
use crate::polls::model::QaMode;

/// The most votes one batch takes.
const MAX_BATCH: usize = 512;
/// Writers working at once: one can fill its batch while another's is being committed.
const WRITERS: usize = 2;
/// Votes waiting for a writer; beyond this the api answers 503 rather than queue without bound.
const QUEUE_CAPACITY: usize = 50_000;

/// A browser's vote for an audience question (`up`), or its vote taken back.
#[derive(Debug, Clone)]
pub(crate) struct VoteRequest {
    pub poll_id: i32,
    pub question_id: i64,
    pub device_id: String,
    pub client_key: String,
    pub up: bool,
}

type Reply = Result<(), AppError>;

struct Pending {
    vote: VoteRequest,
    reply: oneshot::Sender<Reply>,
}

#[derive(Clone)]
pub(crate) struct QaVotes {
    queue: mpsc::Sender<Pending>,
}

impl QaVotes {
    /// The queue, and its writers on `db` as one future (a background task: the state owns it);
    /// they stop when every `QaVotes` is dropped.
    pub(crate) fn new(db: DatabaseConnection) -> (Self, impl Future<Output = ()> + Send + 'static) {
        let (queue, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let receiver = Arc::new(Mutex::new(receiver));
        let writers = (0..WRITERS).map(move |_| {
            let (db, receiver) = (db.clone(), receiver.clone());
            async move {
                loop {
                    let mut batch = Vec::with_capacity(64);
                    if receiver.lock().await.recv_many(&mut batch, MAX_BATCH).await == 0 {
                        return;
                    }
                    write_batch(&db, batch).await;
                }
            }
        });
        (Self { queue }, futures_util::future::join_all(writers.collect::<Vec<_>>()).map(|_| ()))
    }

    /// Stores a vote (or takes one back); returns once it is committed. Voting twice, or taking
    /// back a vote never cast, changes nothing.
    ///
    /// # Errors
    /// No such question the room can see in the poll (404), the poll takes no questions or is
    /// closed (409), too many votes from this browser (429), the database is unavailable or the
    /// queue full (503).
    pub(crate) async fn cast(&self, vote: VoteRequest) -> Reply {
        let (reply, answer) = oneshot::channel();
        self.queue
            .try_send(Pending { vote, reply })
            .map_err(|_| AppError::Unavailable("too many votes at once; try again".to_owned()))?;
        answer.await.map_err(|_| AppError::Unavailable("the vote writer stopped".to_owned()))?
    }
}

async fn write_batch(db: &DatabaseConnection, batch: Vec<Pending>) {
    let votes: Vec<&VoteRequest> = batch.iter().map(|p| &p.vote).collect();
    let replies = match store(db, &votes).await {
        Ok(replies) => replies,
        Err(e) => {
            tracing::warn!(error = %e, votes = votes.len(), "a batch of audience-question votes failed");
            votes.iter().map(|_| Err(e.clone())).collect()
        }
    };
    for (pending, reply) in batch.into_iter().zip(replies) {
        let _ = pending.reply.send(reply);
    }
}

/// Stores the batch in one transaction; one reply per vote, in order.
async fn store(db: &DatabaseConnection, votes: &[&VoteRequest]) -> Result<Vec<Reply>, AppError> {
    let txn = db.begin().await?;
    let poll_ids: Vec<i32> = votes.iter().map(|v| v.poll_id).collect::<HashSet<_>>().into_iter().collect();
    let mut polls: HashMap<i32, (bool, QaMode)> = HashMap::new();
    for row in txn
        .query_all_raw(statement(
            "SELECT id, is_open, qa_mode FROM polls.polls WHERE id = ANY($1)",
            vec![poll_ids.into()],
        ))
        .await?
    {
        let mode: String = row.try_get("", "qa_mode")?;
        polls.insert(row.try_get("", "id")?, (row.try_get("", "is_open")?, QaMode::named(&mode)));
    }
    // The questions, locked in id order (as every Q&A change locks a question before the board).
    let mut question_ids: Vec<i64> = votes.iter().map(|v| v.question_id).collect();
    question_ids.sort_unstable();
    question_ids.dedup();
    let mut questions: HashMap<i64, (i32, bool)> = HashMap::new();
    for row in txn
        .query_all_raw(statement(
            "SELECT id, poll_id, review = 'approved' AS approved FROM polls.audience_questions
              WHERE id = ANY($1) ORDER BY id FOR UPDATE",
            vec![question_ids.into()],
        ))
        .await?
    {
        questions.insert(row.try_get("", "id")?, (row.try_get("", "poll_id")?, row.try_get("", "approved")?));
    }
    // Each browser's votes in the last minute, per poll (its allowance).
    let devices: Vec<String> = votes.iter().map(|v| v.device_id.clone()).collect::<HashSet<_>>().into_iter().collect();
    let mut recent: HashMap<(i32, String), i64> = HashMap::new();
    for row in txn
        .query_all_raw(statement(
            "SELECT q.poll_id, v.device_id, count(*) AS recent FROM polls.audience_question_votes v
               JOIN polls.audience_questions q ON q.id = v.question_id
              WHERE v.device_id = ANY($1) AND v.voted_at > now() - interval '1 minute'
              GROUP BY q.poll_id, v.device_id",
            vec![devices.into()],
        ))
        .await?
    {
        recent.insert((row.try_get("", "poll_id")?, row.try_get("", "device_id")?), row.try_get("", "recent")?);
    }

    let mut replies = Vec::with_capacity(votes.len());
    let mut moved: BTreeMap<i64, i32> = BTreeMap::new();
    for vote in votes {
        let open = polls
            .get(&vote.poll_id)
            .ok_or_else(|| AppError::NotFound(format!("no poll {}", vote.poll_id)))
            .and_then(|&(is_open, mode)| taking_questions(is_open, mode));
        let reply = match (open, questions.get(&vote.question_id)) {
            (Err(refused), _) => Err(refused),
            (Ok(()), Some(&(poll, true))) if poll == vote.poll_id => {
                let allowance = recent.entry((vote.poll_id, vote.device_id.clone())).or_default();
                if vote.up && *allowance >= VOTES_PER_MINUTE {
                    Err(AppError::TooManyRequests { retry_after: 60 })
                } else {
                    let changed = if vote.up {
                        txn.execute_raw(statement(
                            "INSERT INTO polls.audience_question_votes (question_id, device_id, client_key)
                             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                            vec![
                                vote.question_id.into(),
                                vote.device_id.clone().into(),
                                vote.client_key.clone().into(),
                            ],
                        ))
                        .await?
                    } else {
                        txn.execute_raw(statement(
                            "DELETE FROM polls.audience_question_votes WHERE question_id = $1 AND device_id = $2",
                            vec![vote.question_id.into(), vote.device_id.clone().into()],
                        ))
                        .await?
                    };
                    if changed.rows_affected() > 0 {
                        *moved.entry(vote.question_id).or_default() += if vote.up { 1 } else { -1 };
                        if vote.up {
                            *allowance += 1;
                        }
                    }
                    Ok(())
                }
            }
            _ => Err(AppError::NotFound(format!("no question {} in this poll", vote.question_id))),
        };
        replies.push(reply);
    }
    announce_moves(&txn, &moved, &questions).await?;
    txn.commit().await?;
    Ok(replies)
}

/// Moves each question's count once, then each poll's change count once for all its questions
/// that changed (`announce_all`), their new states numbered in question order.
async fn announce_moves(
    txn: &DatabaseTransaction,
    moved: &BTreeMap<i64, i32>,
    questions: &HashMap<i64, (i32, bool)>,
) -> Result<(), AppError> {
    // A vote and its taking back within one batch leave the count where it was: nothing to say.
    let (ids, steps): (Vec<i64>, Vec<i32>) =
        moved.iter().filter(|(_, step)| **step != 0).map(|(id, step)| (*id, *step)).unzip();
    if ids.is_empty() {
        return Ok(());
    }
    let rows = txn
        .query_all_raw(statement(
            &format!(
                "UPDATE polls.audience_questions q SET votes = q.votes + m.step
                   FROM unnest($1::bigint[], $2::int[]) AS m(id, step) WHERE q.id = m.id
                 RETURNING {}",
                STATE_COLUMNS.replace("id, ", "q.id, ")
            ),
            vec![ids.into(), steps.into()],
        ))
        .await?;
    let mut by_poll: BTreeMap<i32, Vec<crate::polls::model::AudienceQuestionState>> = BTreeMap::new();
    for row in &rows {
        let state = state_of(row)?;
        if let Some((poll, _)) = questions.get(&state.id) {
            by_poll.entry(*poll).or_default().push(state);
        }
    }
    for (poll_id, mut states) in by_poll {
        states.sort_by_key(|s| s.id);
        announce_all(txn, poll_id, states.into_iter().map(QaChange::Question).collect()).await?;
    }
    Ok(())
}
