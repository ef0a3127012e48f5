//! Taking a participant's ballot: checked against the poll in memory, then committed in a batch
//! with others (see `ballot_writer`), counted once per client token.

use sea_orm::DatabaseConnection;

use super::ballot_writer::{BallotOutcome, BallotWriter, NewBallot};
use super::model::{Ballot, BallotReceipt};
use super::poll_states::PollStates;
use super::{repository, validation};
use crate::AppError;

/// Records a ballot; returns once it is committed. The same client token again returns the
/// first respondent and changes nothing.
///
/// # Errors
/// No such poll (404), closed (409), an unknown question, an index not offered, a question
/// answered twice or not at all, or a bad token (422 naming the field), the database unavailable (503).
pub async fn vote(
    db: &DatabaseConnection,
    states: &PollStates,
    writer: &BallotWriter,
    slug: &str,
    ballot: Ballot,
) -> Result<(BallotReceipt, BallotOutcome), AppError> {
    let token = validation::client_token(&ballot.client_token)?;
    let poll = states.get(db, slug).await?;
    if !poll.is_open() {
        // A participant who answered before the close still gets their receipt.
        return match repository::respondent_by_token(db, poll.id, token).await? {
            Some(respondent_id) => Ok((BallotReceipt { respondent_id }, BallotOutcome::AlreadyRecorded)),
            None => Err(AppError::Conflict("this poll is closed".to_owned())),
        };
    }
    let choices = validation::choices(&poll.questions, &ballot.answers)?;
    writer.submit(NewBallot { poll, client_token: token.to_owned(), choices }).await
}
