//! What admins and participants do with polls: create, list, read, open/close, delete.

use entity::polls::polls;
use sea_orm::ActiveValue::Set;
use sea_orm::{DatabaseConnection, TransactionTrait};

use super::events::PollEvent;
use super::join_code;
use super::model::{JoinTarget, NewPoll, PollView, PublicPoll};
use super::repository::{self, PollKey};
use super::slug::new_slug;
use super::validation;
use super::views::{public_view, staff_view};
use crate::AppError;
use crate::surveys::cache::SurveyCache;
use crate::text_rules::{POLL_DESCRIPTION, POLL_TITLE};

/// # Errors
/// Invalid poll (422 naming the field), database failure.
pub async fn create(
    db: &DatabaseConnection,
    surveys: &SurveyCache,
    created_by: i32,
    new: NewPoll,
) -> Result<PollView, AppError> {
    let snapshot = surveys.get(db).await?;
    let questions = validation::new_poll_questions(&snapshot, &new)?;
    let row = polls::ActiveModel {
        slug: Set(new_slug(&new.title)),
        title: Set(POLL_TITLE.check("title", &new.title)?),
        description: Set(POLL_DESCRIPTION.check("description", &new.description)?),
        split_by: Set(new.split_by),
        created_by: Set(Some(created_by)),
        ..Default::default()
    };
    let txn = db.begin().await?;
    let id = repository::insert(&txn, row, &questions).await?;
    txn.commit().await?;
    get(db, surveys, id).await
}

/// # Errors
/// No such poll (404).
pub async fn get(db: &DatabaseConnection, surveys: &SurveyCache, id: i32) -> Result<PollView, AppError> {
    let snapshot = surveys.get(db).await?;
    let record = repository::find(db, PollKey::Id(id)).await?;
    let creator = repository::creator(db, &record.poll).await?;
    let respondents = repository::respondent_count(db, id).await?;
    Ok(staff_view(&snapshot, record, creator, respondents))
}

/// Every poll, newest first.
///
/// # Errors
/// Database failure.
pub async fn list(db: &DatabaseConnection, surveys: &SurveyCache) -> Result<Vec<PollView>, AppError> {
    let snapshot = surveys.get(db).await?;
    let respondents = repository::respondent_counts(db).await?;
    Ok(repository::all(db)
        .await?
        .into_iter()
        .map(|(record, creator)| {
            let count = respondents.get(&record.poll.id).copied().unwrap_or(0);
            staff_view(&snapshot, record, creator, count)
        })
        .collect())
}

/// Opens (with a fresh join code) or closes (freeing it) a poll, and announces it.
///
/// # Errors
/// No such poll (404).
pub async fn set_open(
    db: &DatabaseConnection,
    surveys: &SurveyCache,
    id: i32,
    is_open: bool,
) -> Result<PollView, AppError> {
    // A code another open poll holds is a unique violation: draw again (with a handful of open
    // polls among a million codes, a second draw is already rare).
    let mut attempts = 0;
    loop {
        let txn = db.begin().await?;
        let changed = if is_open {
            repository::open(&txn, id, &join_code::draw()).await
        } else {
            repository::close(&txn, id).await.map(|()| true)
        };
        match changed {
            Err(AppError::Database(e))
                if attempts < 8 && matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) =>
            {
                attempts += 1;
                txn.rollback().await?;
                continue;
            }
            Err(e) => return Err(e),
            Ok(changed) => {
                if changed {
                    let event =
                        if is_open { PollEvent::Opened { poll_id: id } } else { PollEvent::Closed { poll_id: id } };
                    event.announce(&txn).await?;
                }
                txn.commit().await?;
                return get(db, surveys, id).await;
            }
        }
    }
}

/// Hides or reveals one question's results, and announces it to every screen.
///
/// # Errors
/// No such poll or question (404).
pub async fn set_results_hidden(
    db: &DatabaseConnection,
    surveys: &SurveyCache,
    id: i32,
    var_name: &str,
    hidden: bool,
) -> Result<PollView, AppError> {
    let txn = db.begin().await?;
    repository::set_results_hidden(&txn, id, var_name, hidden).await?;
    PollEvent::Changed { poll_id: id }.announce(&txn).await?;
    txn.commit().await?;
    get(db, surveys, id).await
}

/// Where a join code leads: the open poll holding it. `code` is six digits
/// ([`join_code::parse`], which the caller runs before counting the lookup against its address).
///
/// # Errors
/// No open poll holds it (404).
pub async fn join(db: &DatabaseConnection, code: &str) -> Result<JoinTarget, AppError> {
    let slug = repository::slug_by_join_code(db, code)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no open poll has the code {code}")))?;
    Ok(JoinTarget { url: format!("/polls/{slug}"), slug })
}

/// Deletes a poll with its questions, respondents and answers.
///
/// # Errors
/// No such poll (404).
pub async fn delete(db: &DatabaseConnection, id: i32) -> Result<(), AppError> {
    let txn = db.begin().await?;
    repository::delete(&txn, id).await?;
    PollEvent::Deleted { poll_id: id }.announce(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// The poll as participants see it.
///
/// # Errors
/// No such poll (404).
pub async fn public(db: &DatabaseConnection, surveys: &SurveyCache, slug: &str) -> Result<PublicPoll, AppError> {
    let snapshot = surveys.get(db).await?;
    Ok(public_view(&snapshot, repository::find(db, PollKey::Slug(slug)).await?))
}
