//! Ballots written in batches (group commit). Requests queue here; a few writer tasks each take
//! whatever has queued while the previous batch was being written, and store the whole batch
//! with a constant number of statements and one commit: lock the batch's polls, insert the new
//! respondents, look up repeated tokens, insert the answers (each question once per respondent:
//! a repeated answer changes nothing), their several choices and words, announce what was new. Under a light
//! load a batch is one ballot and costs what a single ballot did; under a heavy one PostgreSQL's
//! work grows with the number of batches, not of votes. Each request waits for its own answer,
//! given only once its batch has committed (or has truthfully failed).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use futures_util::FutureExt;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, FromQueryResult, Statement,
    TransactionTrait,
};
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::error::AppError;
use crate::error::is_unavailable;
use crate::polls::ballots::poll_states::{PollState, PollStates};
use crate::polls::events::{PollEvent, RecordedBallot};
use crate::polls::kinds::Choice;
use crate::polls::model::{BallotReceipt, Pacing};
use crate::polls::validation::paced_answer;

/// The most ballots one batch takes: a few hundred keeps each statement's arrays small and each
/// commit quick, so a batch never holds the next back for long.
const MAX_BATCH: usize = 512;

/// Writers working at once: one can fill its batch while another's is being committed.
const WRITERS: usize = 2;

/// Ballots waiting for a writer; beyond this the api answers 503 rather than queue without bound.
pub(crate) const QUEUE_CAPACITY: usize = 50_000;

/// Batches written by this process so far (numbers them in the log).
static BATCHES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// Whether a ballot was counted now or had been before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BallotOutcome {
    Recorded,
    /// The same client token had already answered: nothing changed.
    AlreadyRecorded,
}

/// A validated ballot on its way to the database.
pub(crate) struct NewBallot {
    pub poll: Arc<PollState>,
    pub client_token: String,
    /// The browser's device (`devices`): a device answers each question once, whatever its tokens.
    pub device_id: String,
    /// The client's pseudonym (`devices`), for finding a burst from one client.
    pub client_key: String,
    /// Per poll question, in the poll's order: the answer, if this ballot gives one.
    pub choices: Vec<Option<Choice>>,
    /// The request's trace id: the batch's log line names the requests it committed.
    pub trace_id: String,
}

type Reply = Result<(BallotReceipt, BallotOutcome), AppError>;

struct Pending {
    ballot: NewBallot,
    reply: oneshot::Sender<Reply>,
}

#[derive(Clone)]
pub(crate) struct BallotWriter {
    queue: mpsc::Sender<Pending>,
}

impl BallotWriter {
    /// The queue, and its writers on `db` as one future (a background task: the state owns it);
    /// they stop when every `BallotWriter` is dropped.
    pub(crate) fn new(
        db: DatabaseConnection,
        states: Arc<PollStates>,
    ) -> (Self, impl Future<Output = ()> + Send + 'static) {
        let (queue, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let receiver = Arc::new(Mutex::new(receiver));
        let writers = (0..WRITERS).map(move |_| {
            let (db, states, receiver) = (db.clone(), states.clone(), receiver.clone());
            async move {
                while let Some(batch) = next_batch(&receiver).await {
                    write_batch(&db, &states, batch).await;
                }
            }
        });
        (Self { queue }, futures_util::future::join_all(writers.collect::<Vec<_>>()).map(|_| ()))
    }

    /// Stores a ballot; returns once it is committed.
    ///
    /// # Errors
    /// The poll is closed (409) or gone (404), the database is unavailable or the queue full (503).
    pub(crate) async fn submit(&self, ballot: NewBallot) -> Reply {
        let (reply, answer) = oneshot::channel();
        self.queue.try_send(Pending { ballot, reply }).map_err(|_| {
            metrics::counter!("blw_ballot_queue_full_total").increment(1);
            AppError::Unavailable("too many ballots at once; try again".to_owned())
        })?;
        answer.await.map_err(|_| AppError::Unavailable("the ballot writer stopped".to_owned()))?
    }

    /// Ballots waiting for a writer.
    pub(crate) fn queued(&self) -> usize {
        QUEUE_CAPACITY - self.queue.capacity()
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

/// A batch's ballots by poll, token and the questions they answer; repeats within the batch follow
/// the first (a participant answering two questions of a paced poll in one batch is no repeat).
struct Grouped {
    first: Vec<Pending>,
    repeats: Vec<(usize, Pending)>,
}

fn group(batch: Vec<Pending>) -> Grouped {
    let mut index: HashMap<(i32, String, Vec<bool>), usize> = HashMap::new();
    let (mut first, mut repeats) = (Vec::new(), Vec::new());
    for pending in batch {
        let answered = pending.ballot.choices.iter().map(Option::is_some).collect();
        let key = (pending.ballot.poll.id, pending.ballot.client_token.clone(), answered);
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
    metrics::histogram!("blw_ballot_batch_size").record(batch.len() as f64);
    let started = std::time::Instant::now();
    let number = BATCHES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let traces: Vec<String> = batch.iter().map(|p| p.ballot.trace_id.clone()).collect();
    let Grouped { first, repeats } = group(batch);
    let ballots: Vec<&NewBallot> = first.iter().map(|p| &p.ballot).collect();
    let mut stored = store(db, states, &ballots).await;
    if stored.as_ref().is_err_and(is_deadlock) {
        // Two batches met the same devices in opposite orders (no one order serves both unique
        // keys) and PostgreSQL undid this one: the other has committed by now, so once more.
        stored = store(db, states, &ballots).await;
    }
    let replies = match stored {
        Ok(replies) => replies,
        Err(e) if first.len() > 1 && !is_unavailable(&e) => {
            // Not the database's absence but something in one ballot: store each on its own, so
            // the others are not failed with it.
            tracing::warn!(error = %e, ballots = first.len(), "a ballot batch failed; storing its ballots one by one");
            let mut replies = Vec::with_capacity(first.len());
            for ballot in &ballots {
                replies.push(match store(db, states, &[ballot]).await {
                    Ok(mut one) => one.pop().unwrap_or_else(|| Err(AppError::internal("no reply"))),
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
    metrics::histogram!("blw_ballot_commit_duration_seconds").record(started.elapsed().as_secs_f64());
    // One line per batch links each request (by its trace id) to the commit that stored it.
    let failed = replies.iter().filter(|r| r.is_err()).count();
    tracing::info!(batch = number, ballots = traces.len(), failed, elapsed_ms = started.elapsed().as_millis() as u64, trace_ids = ?traces, "ballot batch written");
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

/// Whether PostgreSQL undid the transaction to break a deadlock (40P01).
fn is_deadlock(e: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as Sqlx;
    match e {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            matches!(e.as_ref(), Sqlx::Database(db) if db.code().as_deref() == Some("40P01"))
        }
        _ => false,
    }
}

/// A poll as the batch finds it under its lock.
#[derive(FromQueryResult)]
struct PollOpen {
    id: i32,
    is_open: bool,
    pacing: String,
    current_question: Option<i16>,
    current_question_open: bool,
}

impl PollOpen {
    fn paced(&self) -> bool {
        Pacing::named(&self.pacing) == Pacing::Presenter
    }

    /// Whether the poll takes `ballot` now: open, and (presenter-paced) for the open question.
    fn takes(&self, ballot: &NewBallot) -> bool {
        self.is_open
            && (!self.paced() || paced_answer(&ballot.choices, self.current_question, self.current_question_open))
    }
}

#[derive(FromQueryResult)]
struct AnsweredQuestion {
    respondent_id: i64,
    var_name: String,
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

/// The ballots' polls, tokens, devices and clients as four array parameters, paired by position
/// (`unnest($1, $2, $3, $4)`).
fn respondent_arrays(ballots: &[&NewBallot]) -> Vec<sea_orm::Value> {
    let polls: Vec<i32> = ballots.iter().map(|b| b.poll.id).collect();
    let tokens: Vec<String> = ballots.iter().map(|b| b.client_token.clone()).collect();
    let devices: Vec<String> = ballots.iter().map(|b| b.device_id.clone()).collect();
    let clients: Vec<String> = ballots.iter().map(|b| b.client_key.clone()).collect();
    vec![polls.into(), tokens.into(), devices.into(), clients.into()]
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
    // Lock the batch's polls: a close or a presenter's move waits until this batch is in, and a
    // batch after it sees it (no answer is counted once the close has committed).
    let poll_ids: Vec<i32> = ballots.iter().map(|b| b.poll.id).collect::<HashSet<_>>().into_iter().collect();
    let found = PollOpen::find_by_statement(statement(
        "SELECT id, is_open, pacing, current_question,
                current_question_open AND coalesce(current_question_closes_at > now(), true) AS current_question_open
         FROM polls.polls WHERE id = ANY($1) ORDER BY id FOR SHARE",
        vec![poll_ids.clone().into()],
    ))
    .all(txn)
    .await?;
    let polls: HashMap<i32, &PollOpen> = found.iter().map(|p| (p.id, p)).collect();
    for &id in &poll_ids {
        match polls.get(&id) {
            None => states.correct(id, None),
            Some(poll) if !poll.is_open => states.correct(id, Some(false)),
            Some(poll) if poll.paced() => {
                states.correct_current(id, poll.current_question, poll.current_question_open);
            }
            Some(_) => {}
        }
    }
    let takes = |b: &NewBallot| polls.get(&b.poll.id).is_some_and(|p| p.takes(b));
    // New respondents for the ballots their polls take.
    let mut to_insert: Vec<&NewBallot> = ballots.iter().copied().filter(|b| takes(b)).collect();
    // One order for every batch: two batches that share tokens then wait for each other instead
    // of deadlocking (devices have their own unique key, which this order cannot also serve: a
    // batch undone by a deadlock is stored again, `write_batch`).
    to_insert.sort_by(|a, b| (a.poll.id, &a.client_token).cmp(&(b.poll.id, &b.client_token)));
    // No conflict target: a token or a device that has answered the poll adds no respondent.
    let inserted = StoredRespondent::find_by_statement(statement(
        "INSERT INTO polls.respondents (poll_id, client_token, device_id, client_key)
         SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[])
         ON CONFLICT DO NOTHING
         RETURNING id, poll_id, client_token",
        respondent_arrays(&to_insert),
    ))
    .all(txn)
    .await?;
    let new_ids = ids_by_token(&inserted);
    // Tokens (or devices, with a new token) that had answered before, here or in another process,
    // whether the poll takes the ballot or not (a closed poll still gives a participant their
    // receipt). The token's own respondent comes first.
    let known: Vec<&NewBallot> = ballots
        .iter()
        .copied()
        .filter(|b| polls.contains_key(&b.poll.id) && !new_ids.contains_key(&(b.poll.id, b.client_token.as_str())))
        .collect();
    let existing = if known.is_empty() {
        Vec::new()
    } else {
        StoredRespondent::find_by_statement(statement(
            "SELECT r.id, t.poll_id, t.client_token
             FROM unnest($1::int[], $2::text[], $3::text[], $4::text[]) AS t(poll_id, client_token, device_id, client_key)
             CROSS JOIN LATERAL (
                 SELECT r.id FROM polls.respondents r
                 WHERE r.poll_id = t.poll_id AND (r.client_token = t.client_token OR r.device_id = t.device_id)
                 ORDER BY r.client_token = t.client_token DESC, r.id LIMIT 1) r",
            respondent_arrays(&known),
        ))
        .all(txn)
        .await?
    };
    let old_ids = ids_by_token(&existing);
    let id_of = |b: &NewBallot| {
        let key = (b.poll.id, b.client_token.as_str());
        new_ids.get(&key).or_else(|| old_ids.get(&key)).copied()
    };

    // The answers of every ballot taken; a question its respondent had answered keeps its answer.
    let mut rows: Vec<(i64, i32, &str, i16, &str)> = Vec::new();
    for ballot in ballots.iter().filter(|b| takes(b)) {
        let Some(id) = id_of(ballot) else { continue };
        for (question, choice) in ballot.poll.questions.iter().zip(&ballot.choices) {
            if let Some(choice) = choice {
                // -1 for "no single value" and "" for "no name" (NULL): an array parameter holds
                // no NULLs here.
                let name = match choice {
                    Choice::Guess(guess) => guess.display_name.as_deref().unwrap_or_default(),
                    _ => "",
                };
                rows.push((id, ballot.poll.id, &question.var_name, choice.single().unwrap_or(-1), name));
            }
        }
    }
    // One order for every batch, as for the respondents: answers of respondents who exist already
    // (a paced poll's later questions) would otherwise lock in arrival order and could deadlock.
    // Two ballots of one device in a batch answer as one respondent: the first in the batch
    // (the sort is stable) is the one stored and announced.
    rows.sort_by(|a, b| (a.0, a.2).cmp(&(b.0, b.2)));
    rows.dedup_by(|later, first| (later.0, later.2) == (first.0, first.2));
    let respondent_ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let poll_col: Vec<i32> = rows.iter().map(|r| r.1).collect();
    let var_names: Vec<String> = rows.iter().map(|r| r.2.to_owned()).collect();
    let indices: Vec<i16> = rows.iter().map(|r| r.3).collect();
    let names: Vec<String> = rows.iter().map(|r| r.4.to_owned()).collect();
    let mut answered: HashSet<(i64, String)> = if respondent_ids.is_empty() {
        HashSet::new()
    } else {
        AnsweredQuestion::find_by_statement(statement(
            "INSERT INTO polls.answers (respondent_id, poll_id, var_name, response_index, display_name)
             SELECT r, p, v, nullif(i, -1), nullif(d, '')
             FROM unnest($1::bigint[], $2::int[], $3::text[], $4::smallint[], $5::text[]) AS t(r, p, v, i, d)
             ON CONFLICT (respondent_id, var_name) DO NOTHING
             RETURNING respondent_id, var_name",
            vec![respondent_ids.into(), poll_col.into(), var_names.into(), indices.into(), names.into()],
        ))
        .all(txn)
        .await?
        .into_iter()
        .map(|a| (a.respondent_id, a.var_name))
        .collect()
    };

    // What was new: the details of several choices and words, and the announcements.
    let mut details = AnswerDetails::default();
    let mut announced: HashMap<i32, Vec<RecordedBallot>> = HashMap::new();
    let mut recorded: HashSet<(i32, &str)> = HashSet::new();
    for ballot in ballots.iter().filter(|b| takes(b)) {
        let Some(id) = id_of(ballot) else { continue };
        let mut any = false;
        let choices: Vec<Option<Choice>> = ballot
            .poll
            .questions
            .iter()
            .zip(&ballot.choices)
            .map(|(question, choice)| {
                // Claimed once: a second ballot of the same device in this batch adds nothing.
                let choice = choice.as_ref().filter(|_| answered.remove(&(id, question.var_name.clone())))?;
                details.add(id, &question.var_name, choice);
                any = true;
                Some(choice.clone())
            })
            .collect();
        if any {
            recorded.insert((ballot.poll.id, ballot.client_token.as_str()));
            announced.entry(ballot.poll.id).or_default().push(RecordedBallot { respondent_id: id, choices });
        }
    }
    details.insert(txn).await?;
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
            let poll = polls.get(&ballot.poll.id);
            // A closed all-at-once poll still gives a participant who answered their receipt (a
            // ballot answers everything); a paced one leaves that to the request, which checks
            // that each of the ballot's questions was answered (`ballots::vote`).
            let closed_all_at_once = poll.is_some_and(|p| !p.is_open && !p.paced());
            if (takes(ballot) || closed_all_at_once)
                && let Some(respondent_id) = id_of(ballot)
            {
                let outcome =
                    if recorded.contains(&key) { BallotOutcome::Recorded } else { BallotOutcome::AlreadyRecorded };
                return Ok((BallotReceipt { respondent_id }, outcome));
            }
            match poll {
                None => Err(AppError::NotFound(format!("no poll '{}'", ballot.poll.slug))),
                Some(p) if !p.is_open => Err(AppError::Conflict("this poll is closed".to_owned())),
                Some(_) if ballot.poll.pacing == Pacing::Presenter => {
                    Err(AppError::Conflict("this question is not open for answers".to_owned()))
                }
                // Taken, yet inserted by nobody and known to nobody: cannot happen inside one transaction.
                Some(_) => Err(AppError::internal("ballot neither stored nor found")),
            }
        })
        .collect())
}

/// The rows beyond `polls.answers` that new answers need: several choices, words, open answers,
/// rankings.
#[derive(Default)]
struct AnswerDetails {
    choice_respondents: Vec<i64>,
    choice_questions: Vec<String>,
    choice_indices: Vec<i16>,
    word_respondents: Vec<i64>,
    word_questions: Vec<String>,
    word_positions: Vec<i16>,
    words_typed: Vec<String>,
    words_normalized: Vec<String>,
    text_respondents: Vec<i64>,
    text_questions: Vec<String>,
    texts: Vec<String>,
    rank_respondents: Vec<i64>,
    rank_questions: Vec<String>,
    ranks: Vec<i16>,
    ranked_items: Vec<i16>,
}

impl AnswerDetails {
    fn add(&mut self, respondent_id: i64, var_name: &str, choice: &Choice) {
        match choice {
            Choice::One(_) | Choice::Guess(_) => {}
            Choice::Ranking(items) => {
                for (&item, rank) in items.iter().zip(1i16..) {
                    self.rank_respondents.push(respondent_id);
                    self.rank_questions.push(var_name.to_owned());
                    self.ranks.push(rank);
                    self.ranked_items.push(item);
                }
            }
            Choice::Several(indices) => {
                for &index in indices {
                    self.choice_respondents.push(respondent_id);
                    self.choice_questions.push(var_name.to_owned());
                    self.choice_indices.push(index);
                }
            }
            Choice::Words(words) => {
                for (word, position) in words.iter().zip(0i16..) {
                    self.word_respondents.push(respondent_id);
                    self.word_questions.push(var_name.to_owned());
                    self.word_positions.push(position);
                    self.words_typed.push(word.typed.clone());
                    self.words_normalized.push(word.normalized.clone());
                }
            }
            Choice::Open(answer) => {
                self.text_respondents.push(respondent_id);
                self.text_questions.push(var_name.to_owned());
                self.texts.push(answer.text.clone());
            }
        }
    }

    async fn insert(self, txn: &DatabaseTransaction) -> Result<(), DbErr> {
        if !self.choice_respondents.is_empty() {
            txn.execute_raw(statement(
                "INSERT INTO polls.answer_choices (respondent_id, var_name, response_index)
                 SELECT * FROM unnest($1::bigint[], $2::text[], $3::smallint[])",
                vec![self.choice_respondents.into(), self.choice_questions.into(), self.choice_indices.into()],
            ))
            .await?;
        }
        if !self.word_respondents.is_empty() {
            txn.execute_raw(statement(
                "INSERT INTO polls.answer_words (respondent_id, var_name, position, word, normalized)
                 SELECT * FROM unnest($1::bigint[], $2::text[], $3::smallint[], $4::text[], $5::text[])",
                vec![
                    self.word_respondents.into(),
                    self.word_questions.into(),
                    self.word_positions.into(),
                    self.words_typed.into(),
                    self.words_normalized.into(),
                ],
            ))
            .await?;
        }
        if !self.text_respondents.is_empty() {
            // Every answer waits for a presenter (`review` defaults to pending).
            txn.execute_raw(statement(
                "INSERT INTO polls.answer_texts (respondent_id, var_name, text)
                 SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[])",
                vec![self.text_respondents.into(), self.text_questions.into(), self.texts.into()],
            ))
            .await?;
        }
        if !self.rank_respondents.is_empty() {
            txn.execute_raw(statement(
                "INSERT INTO polls.answer_ranks (respondent_id, var_name, rank, item)
                 SELECT * FROM unnest($1::bigint[], $2::text[], $3::smallint[], $4::smallint[])",
                vec![
                    self.rank_respondents.into(),
                    self.rank_questions.into(),
                    self.ranks.into(),
                    self.ranked_items.into(),
                ],
            ))
            .await?;
        }
        Ok(())
    }
}
