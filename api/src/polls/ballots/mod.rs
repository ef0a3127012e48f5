//! Taking a participant's ballot: checked against the poll in memory, then committed in a batch
//! with others (see `writer`), counted once per client token.

pub(crate) mod activity;
pub(crate) mod devices;
pub(crate) mod poll_states;
pub(crate) mod voids;
pub(crate) mod writer;

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::error::AppError;
use crate::polls::ballots::devices::BallotOrigin;
use crate::polls::ballots::poll_states::PollState;
use crate::polls::ballots::writer::{BallotOutcome, BallotWriter, NewBallot};
use crate::polls::model::{Ballot, BallotReceipt, Pacing};
use crate::polls::{repository, validation};

/// Records a ballot; returns once it is committed. A question answered again with the same client
/// token, or from the same device with another token, changes nothing (the first answer stands);
/// a presenter-paced poll takes answers to the question open now only.
///
/// # Errors
/// No such poll (404), closed or (presenter-paced) not the open question (409), an unknown
/// question, an answer its kind does not take, a question answered twice or (all at once) not at
/// all, or a bad token (422 naming the field), the database unavailable (503).
pub(crate) async fn vote(
    db: &DatabaseConnection,
    writer: &BallotWriter,
    poll: Arc<PollState>,
    ballot: Ballot,
    origin: BallotOrigin,
) -> Result<(BallotReceipt, BallotOutcome), AppError> {
    let token = validation::client_token(&ballot.client_token)?;
    // The questions this ballot answers, by name (checked below).
    let answered: Vec<&str> = ballot.answers.iter().map(|a| a.var_name.as_str()).collect();
    if !poll.is_open() {
        // A participant whose answers were taken before the close still gets their receipt.
        return receipt_or(db, poll.id, token, &origin.device_id, &answered, "this poll is closed").await;
    }
    let choices = validation::choices(&poll.questions, &ballot.answers, poll.pacing)?;
    if poll.pacing == Pacing::Presenter {
        let (current, voting_open) = poll.current();
        if !validation::paced_answer(&choices, current, voting_open) {
            // This process may not have heard the presenter's move yet: the database says.
            let (current, voting_open) = repository::current_question(db, poll.id).await?;
            poll.set_current(current, voting_open);
            if !validation::paced_answer(&choices, current, voting_open) {
                // A retry of an answer taken before voting moved on still gets its receipt.
                return receipt_or(
                    db,
                    poll.id,
                    token,
                    &origin.device_id,
                    &answered,
                    "this question is not open for answers",
                )
                .await;
            }
        }
    }
    let BallotOrigin { device_id, client_key, trace_id, .. } = origin;
    writer.submit(NewBallot { poll, client_token: token.to_owned(), device_id, client_key, choices, trace_id }).await
}

/// The receipt of a participant who had answered every question in `answered`, or a 409 saying `why`.
async fn receipt_or(
    db: &DatabaseConnection,
    poll_id: i32,
    token: &str,
    device_id: &str,
    answered: &[&str],
    why: &str,
) -> Result<(BallotReceipt, BallotOutcome), AppError> {
    match repository::answered_all(db, poll_id, token, device_id, answered).await? {
        Some(respondent_id) => Ok((BallotReceipt { respondent_id }, BallotOutcome::AlreadyRecorded)),
        None => Err(AppError::Conflict(why.to_owned())),
    }
}
