//! What admins and participants do with polls: create, edit, duplicate, list, read, open/close,
//! pace, archive, reset, moderate, delete.

use entity::polls::polls;
use sea_orm::ActiveValue::Set;
use sea_orm::{DatabaseConnection, TransactionTrait};

use crate::error::AppError;
use crate::polls::ballots::poll_states::PollStates;
use crate::polls::edits;
use crate::polls::events::PollEvent;
use crate::polls::join_code;
use crate::polls::kinds::words::{word_to_allow, word_to_hide};
use crate::polls::model::{JoinTarget, NewPoll, Pacing, PollView, PublicPoll, QaMode, Review};
use crate::polls::repository::{self, PollKey};
use crate::polls::results::choose_national_waves;
use crate::polls::slug::new_slug;
use crate::polls::validation;
use crate::polls::views::{public_view, staff_view};
use crate::surveys::cache::SurveyCache;
use crate::text_rules::{POLL_DESCRIPTION, POLL_TITLE};

/// # Errors
/// Invalid poll (422 naming the field), database failure.
pub(crate) async fn create(
    db: &DatabaseConnection,
    surveys: &SurveyCache,
    created_by: i32,
    new: NewPoll,
) -> Result<PollView, AppError> {
    let snapshot = surveys.get(db).await?;
    let mut questions = validation::new_poll_questions(&snapshot, &new)?;
    choose_national_waves(db, &snapshot, &mut questions).await?;
    let mut row = definition_row(&new)?;
    row.slug = Set(new_slug(&new.title));
    row.created_by = Set(Some(created_by));
    let txn = db.begin().await?;
    let id = repository::insert(&txn, row, &questions).await?;
    txn.commit().await?;
    get(db, surveys, id).await
}

/// The poll columns a definition sets (title, description, pacing, split question).
fn definition_row(new: &NewPoll) -> Result<polls::ActiveModel, AppError> {
    Ok(polls::ActiveModel {
        title: Set(POLL_TITLE.check("title", &new.title)?),
        description: Set(POLL_DESCRIPTION.check("description", &new.description)?),
        pacing: Set(new.pacing.as_str().to_owned()),
        split_by: Set(new.split_by.clone()),
        national_during_voting: Set(new.national_during_voting),
        qa_mode: Set(new.qa_mode.as_str().to_owned()),
        ..Default::default()
    })
}

/// Replaces a closed poll's definition (its slug stays). Once the poll has answers only its
/// wording may change (see `polls::edits`): the rows are rewritten in place and the answers stay
/// as they are. Every screen watching the poll hears of the edit.
///
/// # Errors
/// Invalid poll (422 naming the field), no such poll (404), open (409), with answers a change to
/// what they are counted by (409 naming the field).
pub(crate) async fn edit(
    db: &DatabaseConnection,
    surveys: &SurveyCache,
    id: i32,
    new: NewPoll,
) -> Result<PollView, AppError> {
    let snapshot = surveys.get(db).await?;
    let mut questions = validation::new_poll_questions(&snapshot, &new)?;
    choose_national_waves(db, &snapshot, &mut questions).await?;
    let row = definition_row(&new)?;
    let txn = db.begin().await?;
    let stored = repository::lock_for_edit(&txn, id).await?;
    if repository::respondent_count(&txn, id).await? == 0 {
        repository::replace_definition(&txn, id, row, &questions).await?;
    } else {
        let answered = repository::answered_values(&txn, id).await?;
        edits::wording_only(&stored, &new, &questions, &answered)?;
        repository::update_wording(&txn, id, row, &questions).await?;
    }
    PollEvent::Edited { poll_id: id }.announce(&txn).await?;
    txn.commit().await?;
    get(db, surveys, id).await
}

/// A closed copy of a poll for the next talk: the same questions and settings, a new slug, no
/// answers, "(copy)" after its title.
///
/// # Errors
/// No such poll (404).
pub(crate) async fn duplicate(
    db: &DatabaseConnection,
    surveys: &SurveyCache,
    id: i32,
    by: i32,
) -> Result<PollView, AppError> {
    let original = repository::find(db, PollKey::Id(id)).await?;
    let title: String = format!("{} (copy)", original.poll.title);
    let title: String = title.chars().take(POLL_TITLE.max_chars).collect();
    let row = polls::ActiveModel {
        slug: Set(new_slug(&title)),
        title: Set(title),
        description: Set(original.poll.description.clone()),
        pacing: Set(original.poll.pacing.clone()),
        split_by: Set(original.poll.split_by.clone()),
        national_during_voting: Set(original.poll.national_during_voting),
        qa_mode: Set(original.poll.qa_mode.clone()),
        created_by: Set(Some(by)),
        ..Default::default()
    };
    let txn = db.begin().await?;
    let copy = repository::insert(&txn, row, &original.questions).await?;
    txn.commit().await?;
    get(db, surveys, copy).await
}

/// Whether `confirm` names the poll: its title (trimmed, in any case), or its slug as older
/// clients send it. Not the join code: a poll is reset closed, and a closed poll has none.
fn confirms(confirm: &str, poll: &polls::Model) -> bool {
    let confirm = confirm.trim();
    confirm.to_lowercase() == poll.title.trim().to_lowercase() || confirm == poll.slug
}

/// Deletes every answer of a closed poll (after a rehearsal); the caller confirms with the poll's
/// title. Logged, and recorded in `polls.poll_resets`.
///
/// # Errors
/// No such poll (404), open (409), the confirmation is not the poll's title (422 saying it).
pub(crate) async fn reset(
    db: &DatabaseConnection,
    surveys: &SurveyCache,
    id: i32,
    by: i32,
    confirm: &str,
) -> Result<PollView, AppError> {
    let poll = repository::find(db, PollKey::Id(id)).await?;
    if !confirms(confirm, &poll.poll) {
        return Err(AppError::invalid_field(
            "confirm",
            format!("type the poll's title, “{}”, to confirm the reset", poll.poll.title),
        ));
    }
    let txn = db.begin().await?;
    let removed = repository::reset(&txn, id, by).await?;
    PollEvent::Changed { poll_id: id }.announce(&txn).await?;
    PollEvent::Paced { poll_id: id, current: None, voting_open: false, closes_at: None }.announce(&txn).await?;
    txn.commit().await?;
    tracing::warn!(by, poll = id, removed, "poll answers reset");
    get(db, surveys, id).await
}

/// Archives or restores a poll.
///
/// # Errors
/// No such poll (404), archiving an open poll (409).
pub(crate) async fn set_archived(
    db: &DatabaseConnection,
    surveys: &SurveyCache,
    id: i32,
    archived: bool,
) -> Result<PollView, AppError> {
    repository::set_archived(db, id, archived).await?;
    get(db, surveys, id).await
}

/// Moves a presenter-paced poll to a question (or the waiting screen), opening or closing voting
/// on it; every screen follows.
///
/// # Errors
/// No such poll (404), not presenter-paced (409), no such position (422).
pub(crate) async fn set_current(
    (db, surveys, states): (&DatabaseConnection, &SurveyCache, &PollStates),
    id: i32,
    position: Option<i16>,
    voting_open: bool,
) -> Result<PollView, AppError> {
    let txn = db.begin().await?;
    let closes_at = repository::set_current(&txn, id, position, voting_open).await?;
    let voting_open = voting_open && position.is_some();
    PollEvent::Paced {
        poll_id: id,
        current: position,
        voting_open,
        closes_at: closes_at.map(|at| at.timestamp_millis()),
    }
    .announce(&txn)
    .await?;
    txn.commit().await?;
    let poll = get(db, surveys, id).await?;
    // This process's ballots follow at once, not when the announcement comes back: a phone that
    // answers the moment it sees the question must not be refused here.
    states.correct_current(id, poll.pace.current_question, poll.pace.voting_open);
    Ok(poll)
}

/// Hides a word of a words question from every public screen (`hidden_by` an admin), or shows
/// it again (`None`).
///
/// # Errors
/// No such poll or question (404), not a words question or not a word (422).
pub(crate) async fn set_word_hidden(
    db: &DatabaseConnection,
    (id, var_name): (i32, &str),
    word: &str,
    hidden_by: Option<i32>,
) -> Result<(), AppError> {
    let word = word_to_hide(word)?;
    let txn = db.begin().await?;
    repository::set_word_hidden(&txn, (id, var_name), &word, hidden_by).await?;
    PollEvent::Changed { poll_id: id }.announce(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// A presenter's decision on one answer to an open question: every screen shows the room's list
/// as decided at once.
///
/// # Errors
/// No such poll, question or answer (404), not an open question (422).
pub(crate) async fn review_answer(
    db: &DatabaseConnection,
    (id, var_name): (i32, &str),
    respondent_id: i64,
    review: Review,
    by: i32,
) -> Result<(), AppError> {
    let txn = db.begin().await?;
    let decided_by = (review != Review::Pending).then_some(by);
    repository::set_review(&txn, (id, var_name), respondent_id, review, decided_by).await?;
    PollEvent::Changed { poll_id: id }.announce(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// Lets a blocked word of a words question through to every public screen (`allowed_by` an
/// admin), or blocks it again (`None`). Answers already given with it count as they always did:
/// the public sees them from now on, or no longer.
///
/// # Errors
/// No such poll or question (404), not a words question, not a word, or (allowing) a word the
/// blocklist does not block (422).
pub(crate) async fn set_word_allowed(
    db: &DatabaseConnection,
    (id, var_name): (i32, &str),
    word: &str,
    allowed_by: Option<i32>,
) -> Result<String, AppError> {
    // Blocking again takes any word: the blocklist may have changed since it was allowed.
    let word = if allowed_by.is_some() { word_to_allow(word)? } else { word_to_hide(word)? };
    let txn = db.begin().await?;
    repository::set_word_allowed(&txn, (id, var_name), &word, allowed_by).await?;
    PollEvent::Changed { poll_id: id }.announce(&txn).await?;
    txn.commit().await?;
    Ok(word)
}

/// # Errors
/// No such poll (404).
pub(crate) async fn get(db: &DatabaseConnection, surveys: &SurveyCache, id: i32) -> Result<PollView, AppError> {
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
pub(crate) async fn list(db: &DatabaseConnection, surveys: &SurveyCache) -> Result<Vec<PollView>, AppError> {
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
pub(crate) async fn set_open(
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
                    // Opening a presenter-paced poll may have moved it to its first question.
                    if is_open {
                        let record = repository::find(&txn, PollKey::Id(id)).await?;
                        if record.pacing() == Pacing::Presenter {
                            let (current, voting_open) =
                                (record.poll.current_question, record.poll.current_question_open);
                            let closes_at = record.poll.current_question_closes_at.map(|at| at.timestamp_millis());
                            PollEvent::Paced { poll_id: id, current, voting_open, closes_at }.announce(&txn).await?;
                        }
                    }
                }
                txn.commit().await?;
                return get(db, surveys, id).await;
            }
        }
    }
}

/// Says whether the room sees the nation's answers while a question still takes answers, and
/// whether (and how) it takes audience questions; announces it to every screen.
///
/// # Errors
/// No such poll (404).
pub(crate) async fn set_room_settings(
    db: &DatabaseConnection,
    surveys: &SurveyCache,
    id: i32,
    national_during_voting: Option<bool>,
    qa_mode: Option<QaMode>,
) -> Result<PollView, AppError> {
    let txn = db.begin().await?;
    repository::set_room_settings(&txn, id, national_during_voting, qa_mode).await?;
    PollEvent::Changed { poll_id: id }.announce(&txn).await?;
    txn.commit().await?;
    get(db, surveys, id).await
}

/// Records that a browser opened the open poll `poll_id`, and announces the new count to every
/// screen; says whether it is the browser's first join.
///
/// # Errors
/// Database failure.
pub(crate) async fn arrive(db: &DatabaseConnection, poll_id: i32, device_id: &str) -> Result<bool, AppError> {
    let txn = db.begin().await?;
    let joined = repository::arrive(&txn, poll_id, device_id).await?;
    if let Some(joined) = joined {
        PollEvent::Joined { poll_id, joined }.announce(&txn).await?;
    }
    txn.commit().await?;
    Ok(joined.is_some())
}

/// Hides or reveals one question's results, and announces it to every screen.
///
/// # Errors
/// No such poll or question (404).
pub(crate) async fn set_results_hidden(
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
pub(crate) async fn join(db: &DatabaseConnection, code: &str) -> Result<JoinTarget, AppError> {
    let slug = repository::slug_by_join_code(db, code)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no open poll has the code {code}")))?;
    Ok(JoinTarget { url: format!("/polls/{slug}"), slug })
}

/// Deletes a poll with its questions, respondents and answers.
///
/// # Errors
/// No such poll (404).
pub(crate) async fn delete(db: &DatabaseConnection, id: i32) -> Result<(), AppError> {
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
pub(crate) async fn public(db: &DatabaseConnection, surveys: &SurveyCache, slug: &str) -> Result<PublicPoll, AppError> {
    let snapshot = surveys.get(db).await?;
    Ok(public_view(&snapshot, repository::find(db, PollKey::Slug(slug)).await?))
}
