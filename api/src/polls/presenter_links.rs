//! Presenter links: a capability to drive one poll from a slide deck without an account — pace
//! it, reveal and hide its results, hide words; nothing else. A link is a random secret
//! (`blwp_` and 64 hex digits: 256 bits) of which only the SHA-256 is stored: it is
//! shown once, when an admin makes it. Every use looks it up in the database (`polls.presenter_links`),
//! so an expiry or a revocation holds on every process from that moment; each use is counted,
//! its time kept and logged.

use std::collections::HashMap;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::Utc;
use entity::polls::presenter_links;
use entity::users::accounts;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::polls::model::{
    CreatedPresenterLink, NationalCopy, NewPresenterLink, PollQuestionView, PollView, PresenterLinkView, PresenterPoll,
    PresenterQuestion, QuestionKindName,
};
use crate::polls::repository::{self, PollKey};
use crate::polls::results::national_reference;
use crate::surveys::cache::SurveyCache;
use crate::surveys::groups::Split;
use crate::surveys::proportions::ResponseShare;
use crate::surveys::snapshot::SurveySnapshot;
use crate::text_rules::PRESENTER_LINK_LABEL;

/// What every secret starts with (a deck's configuration is then easy to recognise).
const PREFIX: &str = "blwp_";
/// How long a link works unless the admin says otherwise: a day of talks.
const DEFAULT_MINUTES: i64 = 480;
const MINUTES: std::ops::RangeInclusive<i64> = 5..=10_080;

fn secret_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Whether `secret` can be a link's (anything else is not looked up).
fn well_formed(secret: &str) -> bool {
    secret
        .strip_prefix(PREFIX)
        .is_some_and(|rest| rest.len() == 64 && rest.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

/// The names of the accounts `ids` (one query), for the links' "made by".
async fn account_names<C: ConnectionTrait>(
    db: &C,
    ids: impl IntoIterator<Item = i32>,
) -> Result<HashMap<i32, String>, AppError> {
    let ids: Vec<i32> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let accounts = accounts::Entity::find().filter(accounts::Column::Id.is_in(ids)).all(db).await?;
    Ok(accounts.into_iter().map(|account| (account.id, account.name)).collect())
}

fn view(link: presenter_links::Model, names: &HashMap<i32, String>) -> PresenterLinkView {
    let active = link.revoked_at.is_none() && link.expires_at > Utc::now();
    PresenterLinkView {
        id: link.id,
        poll_id: link.poll_id,
        label: link.label,
        created_by_name: link.created_by.and_then(|id| names.get(&id).cloned()),
        created_by: link.created_by,
        created_at: link.created_at,
        expires_at: link.expires_at,
        revoked_at: link.revoked_at,
        active,
        uses: link.uses,
        last_used_at: link.last_used_at,
    }
}

/// Makes a link for poll `poll_id`; its secret is in the answer and nowhere else.
///
/// # Errors
/// No such poll (404); a lifetime out of range or a bad label (422 naming the field).
pub(crate) async fn create(
    db: &DatabaseConnection,
    poll_id: i32,
    by: i32,
    new: &NewPresenterLink,
) -> Result<CreatedPresenterLink, AppError> {
    let minutes = new.expires_in_minutes.unwrap_or(DEFAULT_MINUTES);
    if !MINUTES.contains(&minutes) {
        return Err(AppError::invalid_field(
            "expires_in_minutes",
            format!("a link lasts {} to {} minutes (a week)", MINUTES.start(), MINUTES.end()),
        ));
    }
    let label = PRESENTER_LINK_LABEL.check("label", new.label.as_deref().unwrap_or_default())?;
    repository::find(db, PollKey::Id(poll_id)).await?;
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let secret = format!("{PREFIX}{}", hex::encode(bytes));
    let now = Utc::now();
    let link = presenter_links::ActiveModel {
        poll_id: Set(poll_id),
        secret_hash: Set(secret_hash(&secret)),
        label: Set(label),
        created_by: Set(Some(by)),
        created_at: Set(now.fixed_offset()),
        expires_at: Set((now + chrono::Duration::minutes(minutes)).fixed_offset()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    tracing::info!(by, poll = poll_id, link = link.id, minutes, "presenter link made");
    let names = account_names(db, [by]).await?;
    Ok(CreatedPresenterLink { link: view(link, &names), secret })
}

/// The poll's links, newest first, each with the name of who made it (without their secrets).
///
/// # Errors
/// No such poll (404), database failure.
pub(crate) async fn list(db: &DatabaseConnection, poll_id: i32) -> Result<Vec<PresenterLinkView>, AppError> {
    repository::find(db, PollKey::Id(poll_id)).await?;
    let links = presenter_links::Entity::find()
        .filter(presenter_links::Column::PollId.eq(poll_id))
        .order_by_desc(presenter_links::Column::Id)
        .all(db)
        .await?;
    let names = account_names(db, links.iter().filter_map(|link| link.created_by)).await?;
    Ok(links.into_iter().map(|link| view(link, &names)).collect())
}

/// Ends a link at once (a link already revoked stays as it was).
///
/// # Errors
/// No such link of this poll (404), database failure.
pub(crate) async fn revoke(db: &DatabaseConnection, poll_id: i32, link_id: i64, by: i32) -> Result<(), AppError> {
    let found = presenter_links::Entity::find_by_id(link_id)
        .filter(presenter_links::Column::PollId.eq(poll_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("poll {poll_id} has no presenter link {link_id}")))?;
    if found.revoked_at.is_none() {
        presenter_links::Entity::update_many()
            .col_expr(presenter_links::Column::RevokedAt, Expr::current_timestamp())
            .col_expr(presenter_links::Column::RevokedBy, Expr::value(by))
            .filter(presenter_links::Column::Id.eq(link_id))
            .filter(presenter_links::Column::RevokedAt.is_null())
            .exec(db)
            .await?;
        tracing::info!(by, poll = poll_id, link = link_id, "presenter link revoked");
    }
    Ok(())
}

/// A link in use: which poll it drives, and who made it (actions are recorded as theirs).
#[derive(Debug, Clone, Copy)]
pub(crate) struct PresenterLinkUse {
    pub link_id: i64,
    pub poll_id: i32,
    pub made_by: Option<i32>,
    pub expires_at: chrono::DateTime<chrono::FixedOffset>,
}

/// The link behind `secret`, if it works now: counted as used and logged.
///
/// # Errors
/// An unknown, expired or revoked secret (401), database failure.
pub(crate) async fn authorize(db: &DatabaseConnection, secret: &str) -> Result<PresenterLinkUse, AppError> {
    let refused = || AppError::Unauthorized("this presenter link is unknown, expired or revoked".to_owned());
    if !well_formed(secret) {
        return Err(refused());
    }
    // One statement: the check and the count together, by the database's clock.
    let used = presenter_links::Entity::update_many()
        .col_expr(presenter_links::Column::Uses, Expr::col(presenter_links::Column::Uses).add(1))
        .col_expr(presenter_links::Column::LastUsedAt, Expr::current_timestamp())
        .filter(presenter_links::Column::SecretHash.eq(secret_hash(secret)))
        .filter(presenter_links::Column::RevokedAt.is_null())
        .filter(Expr::col(presenter_links::Column::ExpiresAt).gt(Expr::current_timestamp()))
        .exec_with_returning(db)
        .await?;
    let link = used.into_iter().next().ok_or_else(refused)?;
    tracing::info!(poll = link.poll_id, link = link.id, uses = link.uses, "presenter link used");
    Ok(PresenterLinkUse {
        link_id: link.id,
        poll_id: link.poll_id,
        made_by: link.created_by,
        expires_at: link.expires_at,
    })
}

/// Whether link `link_id` still works (not revoked, not expired by the database's clock), without
/// counting a use: what a presenter's open results stream asks as it goes on.
///
/// # Errors
/// Database failure.
pub(crate) async fn in_force<C: ConnectionTrait>(db: &C, link_id: i64) -> Result<bool, AppError> {
    let found = presenter_links::Entity::find_by_id(link_id)
        .filter(presenter_links::Column::RevokedAt.is_null())
        .filter(Expr::col(presenter_links::Column::ExpiresAt).gt(Expr::current_timestamp()))
        .count(db)
        .await?;
    Ok(found > 0)
}

/// The poll as a deck needs it: where it stands, its questions, and each catalog question's
/// national results (the deck's copy for when the server cannot be reached: the survey routes
/// answer their own site only, the presenter routes any deck).
///
/// # Errors
/// The survey data cannot be read (database failure).
pub(crate) async fn presenter_poll(
    db: &DatabaseConnection,
    surveys: &SurveyCache,
    poll: PollView,
    link: &PresenterLinkUse,
) -> Result<PresenterPoll, AppError> {
    let snapshot = surveys.get(db).await?;
    let mut questions = Vec::with_capacity(poll.questions.len());
    for question in poll.questions {
        let national = match question.kind {
            QuestionKindName::Catalog => national_copy(db, &snapshot, &question).await?,
            _ => None,
        };
        questions.push(PresenterQuestion {
            var_name: question.var_name,
            kind: question.kind,
            text: question.text,
            results_hidden: question.results_hidden,
            national,
        });
    }
    Ok(PresenterPoll {
        slug: poll.slug,
        title: poll.title,
        is_open: poll.is_open,
        join_code: poll.join_code,
        pace: poll.pace,
        questions,
        expires_at: link.expires_at,
    })
}

/// A catalog question's latest wave, everyone, through the same estimate the poll's results put
/// beside the room's (`national_reference`).
async fn national_copy(
    db: &DatabaseConnection,
    snapshot: &SurveySnapshot,
    question: &PollQuestionView,
) -> Result<Option<NationalCopy>, AppError> {
    let offered: Vec<i16> = question.responses.iter().map(|r| r.index).collect();
    let reference =
        national_reference(db, snapshot, (question.var_name.as_str(), offered.as_slice()), Split::None, None).await?;
    Ok(reference.map(|reference| NationalCopy {
        wave: reference.wave,
        n: reference.everyone.n,
        responses: question
            .responses
            .iter()
            .zip(reference.everyone.shares)
            .map(|(offered, share)| ResponseShare { response: offered.response.clone(), share })
            .collect(),
    }))
}
