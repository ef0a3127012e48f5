//! Ballots written in batches (group commit). Requests queue here; a few writer tasks each take
//! whatever has queued while the previous batch was being written, and store the whole batch
//! with a constant number of statements and one commit: lock the batch's polls, insert the new
//! respondents, look up repeated tokens, insert the answers, announce the ballots. Under a light
//! load a batch is one ballot and costs what a single ballot did; under a heavy one PostgreSQL's
//! work grows with the number of batches, not of votes. Each request waits for its own answer,
//! given only once its batch has committed (or has truthfully failed).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, FromQueryResult, Statement,
    TransactionTrait,
};
use tokio::sync::{Mutex, mpsc, oneshot};

use super::events::{PollEvent, RecordedBallot};
use super::model::BallotReceipt;
use super::poll_states::{PollState, PollStates};
use crate::AppError;
use crate::error::is_unavailable;

/// The most ballots one batch takes: a few hundred keeps each statement's arrays small and each
/// commit quick, so a batch never holds the next back for long.
const MAX_BATCH: usize = 512;

/// Writers working at once: one can fill its batch while another's is being committed.
const WRITERS: usize = 2;

/// Ballots waiting for a writer; beyond this the api answers 503 rather than queue without bound.
const QUEUE_CAPACITY: usize = 50_000;

/// Whether a ballot was counted now or had been before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BallotOutcome {
    Recorded,
    /// The same client token had already answered: nothing changed.
    AlreadyRecorded,
}

/// A validated ballot on its way to the database.
pub struct NewBallot {
    pub poll: Arc<PollState>,
    pub client_token: String,
    /// Per poll question, in the poll's order: the chosen response index, if answered.
    pub choices: Vec<Option<i16>>,
}

type Reply = Result<(BallotReceipt, BallotOutcome), AppError>;

struct Pending {
    ballot: NewBallot,
    reply: oneshot::Sender<Reply>,
}

#[derive(Clone)]
pub struct BallotWriter {
    queue: mpsc::Sender<Pending>,
}

impl BallotWriter {
    /// Starts the writers on `db`; they stop when every `BallotWriter` is dropped.
    pub fn spawn(db: DatabaseConnection, states: Arc<PollStates>) -> Self {
        let (queue, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let receiver = Arc::new(Mutex::new(receiver));
        for _ in 0..WRITERS {
            let (db, states, receiver) = (db.clone(), states.clone(), receiver.clone());
            tokio::spawn(async move {
                while let Some(batch) = next_batch(&receiver).await {
                    write_batch(&db, &states, batch).await;
                }
            });
        }
        Self { queue }
    }

    /// Stores a ballot; returns once it is committed.
    ///
    /// # Errors
    /// The poll is closed (409) or gone (404), the database is unavailable or the queue full (503).
    pub async fn submit(&self, ballot: NewBallot) -> Reply {
        let (reply, answer) = oneshot::channel();
        self.queue
            .try_send(Pending { ballot, reply })
            .map_err(|_| AppError::Unavailable("too many ballots at once; try again".to_owned()))?;
        answer.await.map_err(|_| AppError::Unavailable("the ballot writer stopped".to_owned()))?
    }
}

/// Everything queued, up to `MAX_BATCH`, once at least one ballot is there; `None` when closed.
async fn next_batch(receiver: &Mutex<mpsc::Receiver<Pending>>) -> Option<Vec<Pending>> {
    let mut receiver = receiver.lock().await;
    let mut batch = Vec::with_capacity(MAX_BATCH.min(64));
    if receiver.recv_many(&mut batch, MAX_BATCH).await == 0 {
        return None;
    }
    Some(batch)
}

/// A batch's ballots by poll and token; repeats of a token within the batch follow the first.
struct Grouped {
    first: Vec<Pending>,
    repeats: Vec<(usize, Pending)>,
}

fn group(batch: Vec<Pending>) -> Grouped {
    let mut index: HashMap<(i32, String), usize> = HashMap::new();
    let (mut first, mut repeats) = (Vec::new(), Vec::new());
    for pending in batch {
        let key = (pending.ballot.poll.id, pending.ballot.client_token.clone());
        match index.get(&key) {
            Some(&i) => repeats.push((i, pending)),
            None => {
                index.insert(key, first.len());
                first.push(pending);
            }
        }
    }
    Grouped { first, repeats }
}

async fn write_batch(db: &DatabaseConnection, states: &PollStates, batch: Vec<Pending>) {
    let Grouped { first, repeats } = group(batch);
    let ballots: Vec<&NewBallot> = first.iter().map(|p| &p.ballot).collect();
    let replies = match store(db, states, &ballots).await {
        Ok(replies) => replies,
        Err(e) if first.len() > 1 && !is_unavailable(&e) => {
            // Not the database's absence but something in one ballot: store each on its own, so
            // the others are not failed with it.
            tracing::warn!(error = %e, ballots = first.len(), "a ballot batch failed; storing its ballots one by one");
            let mut replies = Vec::with_capacity(first.len());
            for ballot in &ballots {
                replies.push(match store(db, states, &[ballot]).await {
                    Ok(mut one) => one.pop().unwrap_or_else(|| Err(AppError::Internal("no reply".to_owned()))),
                    Err(e) => Err(e.into()),
                });
            }
            replies
        }
        Err(e) => {
            let error = AppError::from(e);
            first.iter().map(|_| Err(error.clone())).collect()
        }
    };
    for (i, pending) in repeats {
        let reply = match &replies[i] {
            Ok((receipt, _)) => Ok((receipt.clone(), BallotOutcome::AlreadyRecorded)),
            Err(e) => Err(e.clone()),
        };
        let _ = pending.reply.send(reply);
    }
    for (pending, reply) in first.into_iter().zip(replies) {
        // A request that gave up (its client left) no longer listens: nothing to do.
        let _ = pending.reply.send(reply);
    }
}

#[derive(FromQueryResult)]
struct PollOpen {
    id: i32,
    is_open: bool,
}

#[derive(FromQueryResult)]
struct StoredRespondent {
    id: i64,
    poll_id: i32,
    client_token: String,
}

fn statement(sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// The ballots' polls and tokens as two array parameters, paired by position (`unnest($1, $2)`).
fn poll_token_arrays(ballots: &[&NewBallot]) -> Vec<sea_orm::Value> {
    let polls: Vec<i32> = ballots.iter().map(|b| b.poll.id).collect();
    let tokens: Vec<String> = ballots.iter().map(|b| b.client_token.clone()).collect();
    vec![polls.into(), tokens.into()]
}

/// Respondent ids by (poll, token).
fn ids_by_token(rows: &[StoredRespondent]) -> HashMap<(i32, &str), i64> {
    rows.iter().map(|r| ((r.poll_id, r.client_token.as_str()), r.id)).collect()
}

/// Stores distinct ballots in one transaction; a reply per ballot, in order.
async fn store(db: &DatabaseConnection, states: &PollStates, ballots: &[&NewBallot]) -> Result<Vec<Reply>, DbErr> {
    let txn = db.begin().await?;
    let replies = store_in(&txn, states, ballots).await?;
    txn.commit().await?;
    Ok(replies)
}

// Raw SQL throughout: set-based statements over arrays (`unnest`), a `FOR SHARE` lock and
// `pg_notify`, which is the point of batching and which SeaORM's builder cannot express.
async fn store_in(txn: &DatabaseTransaction, states: &PollStates, ballots: &[&NewBallot]) -> Result<Vec<Reply>, DbErr> {
    // Lock the batch's polls: a close waits until this batch is in, and a batch after a close
    // sees it (no ballot is counted once the close has committed).
    let poll_ids: Vec<i32> = ballots.iter().map(|b| b.poll.id).collect::<HashSet<_>>().into_iter().collect();
    let found = PollOpen::find_by_statement(statement(
        "SELECT id, is_open FROM polls.polls WHERE id = ANY($1) ORDER BY id FOR SHARE",
        vec![poll_ids.clone().into()],
    ))
    .all(txn)
    .await?;
    let open: HashMap<i32, bool> = found.iter().map(|p| (p.id, p.is_open)).collect();
    for &id in &poll_ids {
        if open.get(&id) != Some(&true) {
            states.correct(id, open.get(&id).copied());
        }
    }
    // New respondents for the open polls' ballots.
    let mut to_insert: Vec<&NewBallot> =
        ballots.iter().copied().filter(|b| open.get(&b.poll.id) == Some(&true)).collect();
    // One order for every batch: two batches that share tokens then wait for each other instead
    // of deadlocking.
    to_insert.sort_by(|a, b| (a.poll.id, &a.client_token).cmp(&(b.poll.id, &b.client_token)));
    let inserted = StoredRespondent::find_by_statement(statement(
        "INSERT INTO polls.respondents (poll_id, client_token)
         SELECT * FROM unnest($1::int[], $2::text[])
         ON CONFLICT (poll_id, client_token) DO NOTHING
         RETURNING id, poll_id, client_token",
        poll_token_arrays(&to_insert),
    ))
    .all(txn)
    .await?;
    let new_ids = ids_by_token(&inserted);
    // Tokens that had answered before (here or in another process), whether the poll is open or not.
    let known: Vec<&NewBallot> = ballots
        .iter()
        .copied()
        .filter(|b| open.contains_key(&b.poll.id) && !new_ids.contains_key(&(b.poll.id, b.client_token.as_str())))
        .collect();
    let existing = if known.is_empty() {
        Vec::new()
    } else {
        StoredRespondent::find_by_statement(statement(
            "SELECT r.id, r.poll_id, r.client_token FROM polls.respondents r
             JOIN unnest($1::int[], $2::text[]) AS t(poll_id, client_token) USING (poll_id, client_token)",
            poll_token_arrays(&known),
        ))
        .all(txn)
        .await?
    };
    let old_ids = ids_by_token(&existing);

    // The new respondents' answers, and their announcements.
    let (mut respondent_ids, mut poll_col, mut var_names, mut indices) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut announced: HashMap<i32, Vec<RecordedBallot>> = HashMap::new();
    for ballot in ballots {
        let Some(&id) = new_ids.get(&(ballot.poll.id, ballot.client_token.as_str())) else { continue };
        for (question, choice) in ballot.poll.questions.iter().zip(&ballot.choices) {
            if let Some(index) = choice {
                respondent_ids.push(id);
                poll_col.push(ballot.poll.id);
                var_names.push(question.var_name.clone());
                indices.push(*index);
            }
        }
        let recorded = RecordedBallot { respondent_id: id, choices: ballot.choices.clone() };
        announced.entry(ballot.poll.id).or_default().push(recorded);
    }
    if !respondent_ids.is_empty() {
        txn.execute_raw(statement(
            "INSERT INTO polls.answers (respondent_id, poll_id, var_name, response_index)
             SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::smallint[])",
            vec![respondent_ids.into(), poll_col.into(), var_names.into(), indices.into()],
        ))
        .await?;
    }
    let payloads: Vec<String> = announced
        .into_iter()
        .flat_map(|(poll_id, ballots)| PollEvent::votes(poll_id, ballots))
        .map(|event| event.to_string())
        .collect();
    if !payloads.is_empty() {
        PollEvent::announce_all(txn, payloads).await?;
    }

    Ok(ballots
        .iter()
        .map(|ballot| {
            let key = (ballot.poll.id, ballot.client_token.as_str());
            if let Some(&respondent_id) = new_ids.get(&key) {
                return Ok((BallotReceipt { respondent_id }, BallotOutcome::Recorded));
            }
            if let Some(&respondent_id) = old_ids.get(&key) {
                return Ok((BallotReceipt { respondent_id }, BallotOutcome::AlreadyRecorded));
            }
            match open.get(&ballot.poll.id) {
                None => Err(AppError::NotFound(format!("no poll '{}'", ballot.poll.slug))),
                Some(false) => Err(AppError::Conflict("this poll is closed".to_owned())),
                // Inserted by nobody and known to nobody: cannot happen inside one transaction.
                Some(true) => Err(AppError::Internal("ballot neither stored nor found".to_owned())),
            }
        })
        .collect())
}
