//! Account management, shared by the admin endpoints and the `accounts` CLI.

use entity::users::accounts;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, SqlErr, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::{Email, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, Role};
use crate::accounts::{password, session};
use crate::error::AppError;
use crate::text_rules::ACCOUNT_NAME;

/// An account as the api shows it: never its password hash.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountView {
    pub id: i32,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub is_active: bool,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    pub updated_at: chrono::DateTime<chrono::FixedOffset>,
    pub last_login_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    #[schema(max_length = 254)]
    pub email: String,
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    pub role: Role,
    /// At least 10 characters.
    #[schema(min_length = 10, max_length = 1024)]
    pub password: String,
}

/// Fields to change; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AccountPatch {
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    pub role: Option<Role>,
    /// false locks the account out at once, its sessions included.
    pub is_active: Option<bool>,
    /// A new password (at least 10 characters); ends the account's sessions.
    #[schema(min_length = 10, max_length = 1024)]
    pub password: Option<String>,
}

impl TryFrom<accounts::Model> for AccountView {
    type Error = AppError;

    fn try_from(row: accounts::Model) -> Result<Self, AppError> {
        Ok(Self {
            role: row.role.parse()?,
            id: row.id,
            email: row.email,
            name: row.name,
            is_active: row.is_active,
            created_at: row.created_at,
            updated_at: row.updated_at,
            last_login_at: row.last_login_at,
        })
    }
}

fn check_password(password: &str) -> Result<(), AppError> {
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(AppError::invalid_field(
            "password",
            format!("password must be at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    // A NUL (or any control character) cannot be typed, and some libraries end a string at a NUL.
    if password.chars().any(char::is_control) {
        return Err(AppError::invalid_field("password", "password must not contain control characters"));
    }
    // Ten spaces are ten characters but no secret.
    if password.trim().chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::invalid_field(
            "password",
            format!("password must have at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    Ok(())
}

fn check_name(name: &str) -> Result<String, AppError> {
    ACCOUNT_NAME.check("name", name)
}

/// # Errors
/// Any database error.
pub(crate) async fn list(db: &DatabaseConnection) -> Result<Vec<AccountView>, AppError> {
    let rows = accounts::Entity::find().order_by_asc(accounts::Column::Id).all(db).await?;
    rows.into_iter().map(AccountView::try_from).collect()
}

/// # Errors
/// Invalid fields (422 naming the field), an email already in use (409).
pub async fn create(db: &DatabaseConnection, new: NewAccount) -> Result<AccountView, AppError> {
    let email = Email::parse(&new.email).map_err(|m| AppError::invalid_field("email", m))?;
    let name = check_name(&new.name)?;
    check_password(&new.password)?;
    let plain = new.password;
    let hash = password::off_runtime(move || password::hash_password(&plain))
        .await?
        .map_err(|e| AppError::internal_caused("hashing a password", e))?;
    let inserted = accounts::ActiveModel {
        email: Set(email.as_str().to_owned()),
        name: Set(name),
        role: Set(new.role.as_str().to_owned()),
        password_hash: Set(hash),
        ..Default::default()
    }
    .insert(db)
    .await;
    match inserted {
        Ok(row) => row.try_into(),
        // The unique index on lower(email): someone has this address in any case.
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            Err(AppError::Conflict(format!("an account with email {} exists", email.as_str())))
        }
        Err(e) => Err(e.into()),
    }
}

/// # Errors
/// No such account (404), invalid fields (422), or a change that would leave no active admin (409).
pub(crate) async fn update(db: &DatabaseConnection, id: i32, patch: AccountPatch) -> Result<AccountView, AppError> {
    let name = patch.name.as_deref().map(check_name).transpose()?;
    let hash = match patch.password {
        Some(plain) => {
            check_password(&plain)?;
            Some(
                password::off_runtime(move || password::hash_password(&plain))
                    .await?
                    .map_err(|e| AppError::internal_caused("hashing a password", e))?,
            )
        }
        None => None,
    };
    let txn = db.begin().await?;
    // Serialize account changes, so two admins cannot demote each other at once (raw SQL: the
    // query builder has no LOCK TABLE).
    txn.execute_unprepared("LOCK TABLE users.accounts IN SHARE ROW EXCLUSIVE MODE").await?;
    let changes = accounts::ActiveModel {
        name: name.map_or(NotSet, Set),
        role: patch.role.map_or(NotSet, |r| Set(r.as_str().to_owned())),
        is_active: patch.is_active.map_or(NotSet, Set),
        password_hash: hash.clone().map_or(NotSet, Set),
        ..Default::default()
    };
    let row = accounts::Entity::update_many()
        .set(changes)
        .col_expr(accounts::Column::UpdatedAt, Expr::current_timestamp())
        .filter(accounts::Column::Id.eq(id))
        .exec_with_returning(&txn)
        .await?
        .pop()
        .ok_or_else(|| AppError::NotFound(format!("no account {id}")))?;
    let admins = accounts::Entity::find()
        .filter(accounts::Column::Role.eq(Role::Admin.as_str()))
        .filter(accounts::Column::IsActive.eq(true))
        .count(&txn)
        .await?;
    if admins == 0 {
        txn.rollback().await?;
        return Err(AppError::Conflict("at least one active admin must remain".to_owned()));
    }
    let account = AccountView::try_from(row)?;
    if !account.is_active || hash.is_some() {
        session::end_all(&txn, id).await?;
    }
    txn.commit().await?;
    Ok(account)
}

/// The id of the account with this email (any case).
///
/// # Errors
/// No such account (404).
pub(crate) async fn id_by_email(db: &DatabaseConnection, email: &Email) -> Result<i32, AppError> {
    accounts::Entity::find()
        .filter(with_email(email))
        .one(db)
        .await?
        .map(|a| a.id)
        .ok_or_else(|| AppError::NotFound(format!("no account with email {}", email.as_str())))
}

/// Matches the account with this email in any case (as the unique index on `lower(email)` does).
pub(crate) fn with_email(email: &Email) -> sea_orm::sea_query::SimpleExpr {
    Expr::expr(Func::lower(Expr::col(accounts::Column::Email))).eq(email.normalized())
}
