//! Poll rows in PostgreSQL, read and written through the generated entities.

use std::collections::{HashMap, HashSet};

use entity::polls::{poll_questions, polls, respondents};
use entity::users::accounts;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DerivePartialModel, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::AppError;

/// One question of a poll: the catalog question and the response indices offered, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferedQuestion {
    pub var_name: String,
    pub offered: Vec<i16>,
    /// The public sees no results for it until a presenter reveals them.
    pub results_hidden: bool,
}

impl From<poll_questions::Model> for OfferedQuestion {
    fn from(row: poll_questions::Model) -> Self {
        Self { var_name: row.var_name, offered: row.response_indices, results_hidden: row.results_hidden }
    }
}

/// A poll row with its questions, in position order.
#[derive(Debug, Clone)]
pub struct PollRecord {
    pub poll: polls::Model,
    pub questions: Vec<OfferedQuestion>,
}

impl PollRecord {
    pub fn question(&self, var_name: &str) -> Option<&OfferedQuestion> {
        self.questions.iter().find(|q| q.var_name == var_name)
    }
}

#[derive(Debug, Clone, Copy)]
pub enum PollKey<'a> {
    Id(i32),
    Slug(&'a str),
}

impl PollKey<'_> {
    fn condition(self) -> SimpleExpr {
        match self {
            PollKey::Id(id) => polls::Column::Id.eq(id),
            PollKey::Slug(slug) => polls::Column::Slug.eq(slug),
        }
    }
}

impl std::fmt::Display for PollKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PollKey::Id(id) => write!(f, "{id}"),
            PollKey::Slug(slug) => write!(f, "'{slug}'"),
        }
    }
}

fn not_found(key: PollKey<'_>) -> AppError {
    AppError::NotFound(format!("no poll {key}"))
}

async fn questions_of<C: ConnectionTrait>(db: &C, poll_id: i32) -> Result<Vec<OfferedQuestion>, AppError> {
    let rows = poll_questions::Entity::find()
        .filter(poll_questions::Column::PollId.eq(poll_id))
        .order_by_asc(poll_questions::Column::Position)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(OfferedQuestion::from).collect())
}

/// The poll with this id or slug.
///
/// # Errors
/// No such poll (404).
pub async fn find<C: ConnectionTrait>(db: &C, key: PollKey<'_>) -> Result<PollRecord, AppError> {
    let poll = polls::Entity::find().filter(key.condition()).one(db).await?.ok_or_else(|| not_found(key))?;
    Ok(PollRecord { questions: questions_of(db, poll.id).await?, poll })
}

/// The name of the account that created a poll (`polls.created_by → users.accounts`).
#[derive(Debug, DerivePartialModel)]
#[sea_orm(entity = "accounts::Entity")]
pub struct Creator {
    pub name: String,
}

/// Every poll with its creator, newest first: two queries for any number of polls.
///
/// # Errors
/// Database failure.
pub async fn all<C: ConnectionTrait>(db: &C) -> Result<Vec<(PollRecord, Option<Creator>)>, AppError> {
    // Whole account rows: SeaORM 2.0's two-entity partial models cannot read a poll without a
    // creator (the left join's all-null side is an error there, not `None`).
    let rows = polls::Entity::find()
        .find_also_related(accounts::Entity)
        .order_by_desc(polls::Column::CreatedAt)
        .order_by_desc(polls::Column::Id)
        .all(db)
        .await?;
    let mut questions: HashMap<i32, Vec<OfferedQuestion>> = HashMap::new();
    let question_rows = poll_questions::Entity::find()
        .order_by_asc(poll_questions::Column::PollId)
        .order_by_asc(poll_questions::Column::Position)
        .all(db)
        .await?;
    for row in question_rows {
        questions.entry(row.poll_id).or_default().push(row.into());
    }
    Ok(rows
        .into_iter()
        .map(|(poll, account)| {
            let creator = account.map(|a| Creator { name: a.name });
            (PollRecord { questions: questions.remove(&poll.id).unwrap_or_default(), poll }, creator)
        })
        .collect())
}

/// The creator of one poll.
///
/// # Errors
/// Database failure.
pub async fn creator<C: ConnectionTrait>(db: &C, poll: &polls::Model) -> Result<Option<Creator>, AppError> {
    let Some(account_id) = poll.created_by else { return Ok(None) };
    Ok(accounts::Entity::find_by_id(account_id).into_partial_model::<Creator>().one(db).await?)
}

/// Stores a poll and its questions; returns its id.
///
/// # Errors
/// Database failure.
pub async fn insert(
    txn: &DatabaseTransaction,
    new: polls::ActiveModel,
    questions: &[OfferedQuestion],
) -> Result<i32, AppError> {
    let poll = new.insert(txn).await?;
    let rows = questions.iter().zip(0i16..).map(|(q, position)| poll_questions::ActiveModel {
        poll_id: Set(poll.id),
        var_name: Set(q.var_name.clone()),
        position: Set(position),
        response_indices: Set(q.offered.clone()),
        results_hidden: Set(q.results_hidden),
    });
    poll_questions::Entity::insert_many(rows).exec_without_returning(txn).await?;
    Ok(poll.id)
}

/// Opens a closed poll with `join_code`; says whether it was closed (an open poll keeps its code).
///
/// # Errors
/// No such poll (404); `join_code` held by another open poll (a unique violation: draw another).
pub async fn open<C: ConnectionTrait>(db: &C, id: i32, join_code: &str) -> Result<bool, AppError> {
    let changed = polls::Entity::update_many()
        .col_expr(polls::Column::IsOpen, Expr::value(true))
        .col_expr(polls::Column::JoinCode, Expr::value(join_code))
        .col_expr(polls::Column::UpdatedAt, Expr::current_timestamp())
        .filter(polls::Column::Id.eq(id))
        .filter(polls::Column::IsOpen.eq(false))
        .exec(db)
        .await?;
    if changed.rows_affected == 0 {
        find(db, PollKey::Id(id)).await?;
        return Ok(false);
    }
    Ok(true)
}

/// Closes a poll, freeing its join code.
///
/// # Errors
/// No such poll (404).
pub async fn close<C: ConnectionTrait>(db: &C, id: i32) -> Result<(), AppError> {
    let changed = polls::Entity::update_many()
        .col_expr(polls::Column::IsOpen, Expr::value(false))
        .col_expr(polls::Column::JoinCode, Expr::value(Option::<String>::None))
        .col_expr(polls::Column::UpdatedAt, Expr::current_timestamp())
        .filter(polls::Column::Id.eq(id))
        .exec(db)
        .await?;
    if changed.rows_affected == 0 {
        return Err(not_found(PollKey::Id(id)));
    }
    Ok(())
}

/// Hides or reveals one question's results.
///
/// # Errors
/// No such poll, or no such question in it (404).
pub async fn set_results_hidden<C: ConnectionTrait>(
    db: &C,
    id: i32,
    var_name: &str,
    hidden: bool,
) -> Result<(), AppError> {
    let changed = poll_questions::Entity::update_many()
        .col_expr(poll_questions::Column::ResultsHidden, Expr::value(hidden))
        .filter(poll_questions::Column::PollId.eq(id))
        .filter(poll_questions::Column::VarName.eq(var_name))
        .exec(db)
        .await?;
    if changed.rows_affected == 0 {
        find(db, PollKey::Id(id)).await?;
        return Err(AppError::NotFound(format!("poll {id} has no question '{var_name}'")));
    }
    polls::Entity::update_many()
        .col_expr(polls::Column::UpdatedAt, Expr::current_timestamp())
        .filter(polls::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The slug of the open poll whose join code is `code`.
///
/// # Errors
/// Database failure.
pub async fn slug_by_join_code<C: ConnectionTrait>(db: &C, code: &str) -> Result<Option<String>, AppError> {
    Ok(polls::Entity::find()
        .select_only()
        .column(polls::Column::Slug)
        .filter(polls::Column::JoinCode.eq(code))
        .filter(polls::Column::IsOpen.eq(true))
        .into_tuple()
        .one(db)
        .await?)
}

/// Deletes a poll; its questions, respondents and answers go with it (ON DELETE CASCADE).
///
/// # Errors
/// No such poll (404).
pub async fn delete<C: ConnectionTrait>(db: &C, id: i32) -> Result<(), AppError> {
    if polls::Entity::delete_by_id(id).exec(db).await?.rows_affected == 0 {
        return Err(not_found(PollKey::Id(id)));
    }
    Ok(())
}

/// How many participants answered the poll.
///
/// # Errors
/// Database failure.
pub async fn respondent_count<C: ConnectionTrait>(db: &C, poll_id: i32) -> Result<i64, AppError> {
    let n = respondents::Entity::find().filter(respondents::Column::PollId.eq(poll_id)).count(db).await?;
    Ok(i64::try_from(n).unwrap_or(i64::MAX))
}

/// Participants per poll, for every poll with any.
///
/// # Errors
/// Database failure.
pub async fn respondent_counts<C: ConnectionTrait>(db: &C) -> Result<HashMap<i32, i64>, AppError> {
    let rows: Vec<(i32, i64)> = respondents::Entity::find()
        .select_only()
        .column(respondents::Column::PollId)
        .column_as(Expr::col(respondents::Column::Id).count(), "n")
        .group_by(respondents::Column::PollId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// The ids of the poll's respondents.
///
/// # Errors
/// Database failure.
pub async fn respondent_ids<C: ConnectionTrait>(db: &C, poll_id: i32) -> Result<HashSet<i64>, AppError> {
    let ids: Vec<i64> = respondents::Entity::find()
        .select_only()
        .column(respondents::Column::Id)
        .filter(respondents::Column::PollId.eq(poll_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids.into_iter().collect())
}

/// The respondent who answered `poll_id` with this client token, if any.
///
/// # Errors
/// Database failure.
pub async fn respondent_by_token<C: ConnectionTrait>(
    db: &C,
    poll_id: i32,
    token: &str,
) -> Result<Option<i64>, AppError> {
    Ok(respondents::Entity::find()
        .select_only()
        .column(respondents::Column::Id)
        .filter(respondents::Column::PollId.eq(poll_id))
        .filter(respondents::Column::ClientToken.eq(token))
        .into_tuple()
        .one(db)
        .await?)
}
