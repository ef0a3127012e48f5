//! Sessions: a random token in an HttpOnly cookie, its sha256 in `users.sessions`.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::Utc;
use entity::users::{accounts, sessions};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, DerivePartialModel, EntityTrait,
    QueryFilter,
};
use sha2::{Digest, Sha256};

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Starts a session for `account_id` lasting `ttl`; returns the token for the cookie.
///
/// # Errors
/// Any database error.
pub(crate) async fn start(db: &DatabaseConnection, account_id: i32, ttl: std::time::Duration) -> Result<String, DbErr> {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let ttl = chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX);
    sessions::ActiveModel {
        token_hash: Set(token_hash(&token)),
        account_id: Set(account_id),
        expires_at: Set((Utc::now() + ttl).fixed_offset()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// Ends the session behind `token` (nothing if there is none).
///
/// # Errors
/// Any database error.
pub(crate) async fn end(db: &DatabaseConnection, token: &str) -> Result<(), DbErr> {
    sessions::Entity::delete_by_id(token_hash(token)).exec(db).await?;
    Ok(())
}

/// Ends every session of an account (deactivated, or its password changed).
///
/// # Errors
/// Any database error.
pub(crate) async fn end_all<C: ConnectionTrait>(db: &C, account_id: i32) -> Result<(), DbErr> {
    sessions::Entity::delete_many().filter(sessions::Column::AccountId.eq(account_id)).exec(db).await?;
    Ok(())
}

/// The account columns a request's user is made of.
#[derive(Debug, DerivePartialModel)]
#[sea_orm(entity = "accounts::Entity")]
pub(crate) struct SessionAccount {
    pub id: i32,
    pub email: String,
    pub name: String,
    pub role: String,
}

/// The account of a live session, only while the account is active.
///
/// # Errors
/// Any database error.
pub(crate) async fn account_of(db: &DatabaseConnection, token: &str) -> Result<Option<SessionAccount>, DbErr> {
    accounts::Entity::find()
        .inner_join(sessions::Entity)
        .filter(sessions::Column::TokenHash.eq(token_hash(token)))
        .filter(sessions::Column::ExpiresAt.gt(Utc::now()))
        .filter(accounts::Column::IsActive.eq(true))
        .into_partial_model::<SessionAccount>()
        .one(db)
        .await
}

/// Whether a cookie's value can be a session token (64 hex digits): anything else is not looked up.
pub(crate) fn is_token(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())
}
