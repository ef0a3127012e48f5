//! Taking a participant's ballot: validated against the poll, committed with its announcement,
//! counted once per client token.

use entity::polls::{answers, respondents};
use sea_orm::ActiveValue::Set;
use sea_orm::{DatabaseConnection, EntityTrait, TransactionTrait, TryInsertResult};

use super::events::{PollEvent, RecordedBallot};
use super::model::{Ballot, BallotReceipt};
use super::repository::{self, PollKey};
use super::validation;
use crate::AppError;

/// Whether a ballot was counted now or had been before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BallotOutcome {
    Recorded,
    /// The same client token had already answered: nothing changed.
    AlreadyRecorded,
}

/// Records a ballot. The same client token again returns the first respondent and changes nothing.
///
/// # Errors
/// No such poll (404), closed (409), an unknown question, an index not offered, a question
/// answered twice or a bad token (422 naming the field).
pub async fn vote(
    db: &DatabaseConnection,
    slug: &str,
    ballot: Ballot,
) -> Result<(BallotReceipt, BallotOutcome), AppError> {
    let token = validation::client_token(&ballot.client_token)?;
    let txn = db.begin().await?;
    // Read locked: a concurrent close waits until this ballot is in.
    let poll = repository::find_locked(&txn, PollKey::Slug(slug)).await?;
    let poll_id = poll.poll.id;
    if let Some(respondent_id) = repository::respondent_by_token(&txn, poll_id, token).await? {
        return Ok((BallotReceipt { respondent_id }, BallotOutcome::AlreadyRecorded));
    }
    if !poll.poll.is_open {
        return Err(AppError::Conflict("this poll is closed".to_owned()));
    }
    validation::answers(&poll, &ballot.answers)?;
    let respondent =
        respondents::ActiveModel { poll_id: Set(poll_id), client_token: Set(token.to_owned()), ..Default::default() };
    let inserted = respondents::Entity::insert(respondent)
        .on_conflict_do_nothing_on([respondents::Column::PollId, respondents::Column::ClientToken])
        .exec_with_returning(&txn)
        .await?;
    let TryInsertResult::Inserted(respondent) = inserted else {
        // The same token won a race in another transaction: that ballot stands.
        txn.rollback().await?;
        let respondent_id = repository::respondent_by_token(db, poll_id, token)
            .await?
            .ok_or_else(|| AppError::Internal("respondent vanished".to_owned()))?;
        return Ok((BallotReceipt { respondent_id }, BallotOutcome::AlreadyRecorded));
    };
    let rows = ballot.answers.iter().map(|a| answers::ActiveModel {
        respondent_id: Set(respondent.id),
        poll_id: Set(poll_id),
        var_name: Set(a.var_name.clone()),
        response_index: Set(a.response_index),
    });
    answers::Entity::insert_many(rows).exec_without_returning(&txn).await?;
    let split_index = poll
        .poll
        .split_by
        .as_ref()
        .and_then(|split| ballot.answers.iter().find(|a| &a.var_name == split))
        .map(|a| a.response_index);
    let recorded = RecordedBallot { respondent_id: respondent.id, split_index, answers: ballot.answers };
    PollEvent::Voted { poll_id, ballot: recorded }.announce(&txn).await?;
    txn.commit().await?;
    Ok((BallotReceipt { respondent_id: respondent.id }, BallotOutcome::Recorded))
}
