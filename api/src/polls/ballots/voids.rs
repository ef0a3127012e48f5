//! Voiding a burst of ballots: an admin who sees one client cast a flat, high line of ballots in
//! the activity panel removes that client's respondents of a time window. Every screen's totals
//! follow (the poll's tallies reload from the database in every process), and the void is
//! logged and recorded in `polls.ballot_voids`.

use chrono::{DateTime, FixedOffset};
use entity::polls::{ballot_voids, polls, respondents};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::AppError;
use crate::polls::audience_questions;
use crate::polls::ballots::devices::is_lowercase_hex;
use crate::polls::events::PollEvent;
use crate::polls::repository::{self, PollKey};

/// The voids an activity view lists, newest first.
const LISTED: u64 = 50;

/// The ballots to void: one client's, first answered in `[from, to)`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct VoidRequest {
    /// The client as the activity view names it.
    #[schema(example = "3f9a0c1d2e4b5a69", pattern = "^[0-9a-f]{16}$")]
    pub client: String,
    /// The window's start (RFC 3339), inclusive.
    pub from: DateTime<FixedOffset>,
    /// The window's end (RFC 3339), exclusive; after `from`.
    pub to: DateTime<FixedOffset>,
}

/// A void as recorded.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct BallotVoid {
    pub id: i64,
    pub poll_id: i32,
    pub client: String,
    pub from: DateTime<FixedOffset>,
    pub to: DateTime<FixedOffset>,
    /// Respondents removed, with all their answers.
    pub respondents_removed: i64,
    /// The admin's account id (null once that account is deleted).
    pub voided_by: Option<i32>,
    pub voided_at: DateTime<FixedOffset>,
}

impl From<ballot_voids::Model> for BallotVoid {
    fn from(row: ballot_voids::Model) -> Self {
        Self {
            id: row.id,
            poll_id: row.poll_id,
            client: row.client_key,
            from: row.window_start,
            to: row.window_end,
            respondents_removed: row.respondents_removed,
            voided_by: row.voided_by,
            voided_at: row.voided_at,
        }
    }
}

/// Removes the respondents `request` names from poll `id`, by admin `by`.
///
/// # Errors
/// No such poll (404), a malformed client or an empty window (422), database failure.
pub(crate) async fn void_burst(
    db: &DatabaseConnection,
    id: i32,
    by: i32,
    request: &VoidRequest,
) -> Result<BallotVoid, AppError> {
    if !is_lowercase_hex(&request.client, 16) {
        return Err(AppError::invalid_field("client", "a client as the activity view names it: 16 hex digits"));
    }
    if request.from >= request.to {
        return Err(AppError::invalid_field("to", "the window must end after it starts"));
    }
    let txn = db.begin().await?;
    // The poll's row locked as a reset locks it: batches in progress commit first, later ones
    // wait, so no answer lands on a respondent being removed.
    polls::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| repository::not_found(PollKey::Id(id)))?;
    let removed = respondents::Entity::delete_many()
        .filter(respondents::Column::PollId.eq(id))
        .filter(respondents::Column::ClientKey.eq(request.client.as_str()))
        .filter(respondents::Column::CreatedAt.gte(request.from))
        .filter(respondents::Column::CreatedAt.lt(request.to))
        .exec(&txn)
        .await?;
    let removed = i64::try_from(removed.rows_affected).unwrap_or(i64::MAX);
    // The burst's votes for audience questions go too; each question's count follows.
    let votes_removed =
        audience_questions::service::void_votes(&txn, id, &request.client, (request.from, request.to)).await?;
    let void = ballot_voids::ActiveModel {
        poll_id: Set(id),
        client_key: Set(request.client.clone()),
        window_start: Set(request.from),
        window_end: Set(request.to),
        respondents_removed: Set(removed),
        voided_by: Set(Some(by)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if removed > 0 {
        PollEvent::Changed { poll_id: id }.announce(&txn).await?;
    }
    txn.commit().await?;
    tracing::warn!(by, poll = id, client = %request.client, from = %request.from, to = %request.to, removed, votes_removed, "ballots voided");
    Ok(void.into())
}

/// The poll's voids, newest first.
///
/// # Errors
/// Database failure.
pub(crate) async fn list(db: &DatabaseConnection, poll_id: i32) -> Result<Vec<BallotVoid>, AppError> {
    Ok(ballot_voids::Entity::find()
        .filter(ballot_voids::Column::PollId.eq(poll_id))
        .order_by_desc(ballot_voids::Column::Id)
        .limit(LISTED)
        .all(db)
        .await?
        .into_iter()
        .map(BallotVoid::from)
        .collect())
}
