//! Frozen results: a poll's public results copied as of the moment a presenter chose, under a
//! random key, for a citable page (`/results/<key>`). A copy, not a view: later votes, resets
//! and the poll's deletion leave it as it was.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use entity::polls::frozen_results;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::error::AppError;
use crate::polls::model::FrozenResults;
use crate::polls::repository::PollKey;
use crate::polls::results::results_and_sources;
use crate::surveys::cache::SurveyCache;

fn view(row: frozen_results::Model) -> FrozenResults {
    FrozenResults {
        url: format!("/results/{}", row.key),
        key: row.key,
        poll_slug: row.poll_slug,
        title: row.title,
        frozen_at: row.frozen_at,
        questions: row.questions,
        results: row.results,
    }
}

/// Copies the poll's public results now, as final: what a phone reads once the voting is over.
///
/// # Errors
/// No such poll (404), database failure.
pub(crate) async fn freeze(
    db: &DatabaseConnection,
    surveys: &SurveyCache,
    poll_id: i32,
    by: i32,
) -> Result<FrozenResults, AppError> {
    // Frozen is final: the copy shows what the public sees once the voting is over (the nation's
    // answers included), hidden results still hidden.
    let (staff, sources) = results_and_sources(db, surveys, PollKey::Id(poll_id)).await?;
    let public = staff.into_final().for_public();
    let questions = sources.views;
    let json = |value: serde_json::Result<serde_json::Value>| {
        value.map_err(|e| AppError::internal_caused("freezing results", e))
    };
    let (body, questions) = (json(serde_json::to_value(&public))?, json(serde_json::to_value(&questions))?);
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    let row = frozen_results::ActiveModel {
        key: Set(hex::encode(bytes)),
        poll_id: Set(Some(poll_id)),
        poll_slug: Set(public.slug.clone()),
        title: Set(public.title.clone()),
        frozen_at: Set(chrono::Utc::now().fixed_offset()),
        frozen_by: Set(Some(by)),
        questions: Set(questions),
        results: Set(body),
    }
    .insert(db)
    .await?;
    tracing::info!(by, poll = poll_id, key = row.key, "results frozen");
    Ok(view(row))
}

/// The results frozen under `key`.
///
/// # Errors
/// No such key (404), database failure.
pub(crate) async fn get(db: &DatabaseConnection, key: &str) -> Result<FrozenResults, AppError> {
    let not_found = || AppError::NotFound(format!("no frozen results '{key}'"));
    if !(key.len() == 32 && key.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))) {
        return Err(not_found());
    }
    frozen_results::Entity::find_by_id(key.to_owned()).one(db).await?.map(view).ok_or_else(not_found)
}

/// The poll's frozen copies, newest first.
///
/// # Errors
/// Database failure.
pub(crate) async fn of_poll(db: &DatabaseConnection, poll_id: i32) -> Result<Vec<FrozenResults>, AppError> {
    let rows = frozen_results::Entity::find()
        .filter(frozen_results::Column::PollId.eq(poll_id))
        .order_by_desc(frozen_results::Column::FrozenAt)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(view).collect())
}
