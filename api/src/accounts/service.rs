//! Account management, shared by the admin endpoints and the `accounts` CLI.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, QueryResult, Statement, TransactionTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Email, MIN_PASSWORD_CHARS, Role};
use crate::AppError;
use crate::auth::{password, session};

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
    pub email: String,
    pub name: String,
    pub role: Role,
    /// At least 10 characters.
    pub password: String,
}

/// Fields to change; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountPatch {
    pub name: Option<String>,
    pub role: Option<Role>,
    /// false locks the account out at once, its sessions included.
    pub is_active: Option<bool>,
    /// A new password (at least 10 characters); ends the account's sessions.
    pub password: Option<String>,
}

const COLUMNS: &str = "id, email, name, role, is_active, created_at, updated_at, last_login_at";

fn view(row: &QueryResult) -> Result<AccountView, AppError> {
    let role: String = row.try_get("", "role")?;
    Ok(AccountView {
        id: row.try_get("", "id")?,
        email: row.try_get("", "email")?,
        name: row.try_get("", "name")?,
        role: Role::parse(&role).map_err(AppError::Internal)?,
        is_active: row.try_get("", "is_active")?,
        created_at: row.try_get("", "created_at")?,
        updated_at: row.try_get("", "updated_at")?,
        last_login_at: row.try_get("", "last_login_at")?,
    })
}

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    AppError::Unprocessable { field: field.to_owned(), message: message.into() }
}

fn check_password(password: &str) -> Result<(), AppError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(invalid("password", format!("password must have at least {MIN_PASSWORD_CHARS} characters")));
    }
    Ok(())
}

fn check_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() { Err(invalid("name", "name must not be empty")) } else { Ok(name.to_owned()) }
}

/// # Errors
/// Any database error.
pub async fn list(db: &DatabaseConnection) -> Result<Vec<AccountView>, AppError> {
    let rows = db
        .query_all_raw(Statement::from_string(DbBackend::Postgres, format!("SELECT {COLUMNS} FROM users.accounts ORDER BY id")))
        .await?;
    rows.iter().map(view).collect()
}

/// # Errors
/// Invalid fields (422 naming the field), an email already in use (409).
pub async fn create(db: &DatabaseConnection, new: NewAccount) -> Result<AccountView, AppError> {
    let email = Email::parse(&new.email).map_err(|m| invalid("email", m))?;
    let name = check_name(&new.name)?;
    check_password(&new.password)?;
    let plain = new.password;
    let hash = password::off_runtime(move || password::hash_password(&plain)).await?.map_err(AppError::Internal)?;
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!(
                "INSERT INTO users.accounts (email, name, role, password_hash) VALUES ($1, $2, $3, $4)
                 ON CONFLICT ((lower(email))) DO NOTHING RETURNING {COLUMNS}"
            ),
            [email.as_str().into(), name.into(), new.role.as_str().into(), hash.into()],
        ))
        .await?;
    match row {
        Some(row) => view(&row),
        None => Err(AppError::Conflict(format!("an account with email {} exists", email.as_str()))),
    }
}

/// # Errors
/// No such account (404), invalid fields (422), or a change that would leave no active admin (409).
pub async fn update(db: &DatabaseConnection, id: i32, patch: AccountPatch) -> Result<AccountView, AppError> {
    let name = patch.name.as_deref().map(check_name).transpose()?;
    let hash = match patch.password {
        Some(plain) => {
            check_password(&plain)?;
            Some(password::off_runtime(move || password::hash_password(&plain)).await?.map_err(AppError::Internal)?)
        }
        None => None,
    };
    let txn = db.begin().await?;
    // Serialize account changes, so two admins cannot demote each other at once.
    txn.execute_unprepared("LOCK TABLE users.accounts IN SHARE ROW EXCLUSIVE MODE").await?;
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!(
                "UPDATE users.accounts SET name = coalesce($2, name), role = coalesce($3, role),
                        is_active = coalesce($4, is_active), password_hash = coalesce($5, password_hash),
                        updated_at = now()
                 WHERE id = $1 RETURNING {COLUMNS}"
            ),
            [
                id.into(),
                name.into(),
                patch.role.map(|r| r.as_str().to_owned()).into(),
                patch.is_active.into(),
                hash.clone().into(),
            ],
        ))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no account {id}")))?;
    let admins = txn
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM users.accounts WHERE role = 'admin' AND is_active",
        ))
        .await?
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    if admins == 0 {
        txn.rollback().await?;
        return Err(AppError::Conflict("at least one active admin must remain".to_owned()));
    }
    let account = view(&row)?;
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
pub async fn id_by_email(db: &DatabaseConnection, email: &Email) -> Result<i32, AppError> {
    db.query_one_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT id FROM users.accounts WHERE lower(email) = $1",
        [email.normalized().into()],
    ))
    .await?
    .map(|r| r.try_get::<i32>("", "id"))
    .transpose()?
    .ok_or_else(|| AppError::NotFound(format!("no account with email {}", email.as_str())))
}
