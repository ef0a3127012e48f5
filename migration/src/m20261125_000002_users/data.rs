//! Loads the development accounts from `user-accounts.json` — only when asked for
//! (`DEV_ACCOUNTS=true`): their passwords are known to anyone who reads the repository. The
//! password hashes are stored exactly as given and never logged: `SeedAccount` has no `Debug`.

use std::collections::BTreeSet;

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde::Deserialize;

use crate::data_change::{Direction, REPORT_TARGET, notify_data_changed, reset_identity};
use crate::data_source::{DataSourceSettings, SourceError, SourceSet};

pub struct Data;

const NAME: &str = "m20261125_000002_users_data";
const ACCOUNTS_KEY: &str = "db/schemas/users/user-accounts.json";

impl MigrationName for Data {
    fn name(&self) -> &str {
        NAME
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountsFile {
    accounts: Vec<SeedAccount>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedAccount {
    email: String,
    name: String,
    role: String,
    password_hash: String,
}

async fn read_accounts(sources: &SourceSet) -> Result<Vec<SeedAccount>, SourceError> {
    let object = sources.fetch(ACCOUNTS_KEY).await?;
    let file: AccountsFile = object.json()?;
    let mut emails = BTreeSet::new();
    for (i, account) in file.accounts.iter().enumerate() {
        let which = format!("account {} ({})", i + 1, account.email);
        let invalid = |message: &str| SourceError::Inconsistent {
            keys: format!("'{ACCOUNTS_KEY}'"),
            message: format!("{which}: {message}"),
        };
        if !emails.insert(account.email.to_lowercase()) {
            return Err(invalid("email appears twice (emails are case-insensitive)"));
        }
        if let Err(e) = account.role.parse::<entity::Role>() {
            return Err(invalid(&e.to_string()));
        }
        if !account.password_hash.starts_with("$argon2id$") {
            return Err(invalid("password_hash must be an argon2id PHC string"));
        }
    }
    Ok(file.accounts)
}

#[async_trait::async_trait]
impl MigrationTrait for Data {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        if !DataSourceSettings::current()?.dev_accounts {
            tracing::info!(target: REPORT_TARGET, "{NAME}: development accounts not loaded (DEV_ACCOUNTS is not true)");
            return notify_data_changed(conn, NAME, Direction::Up).await;
        }
        let accounts = read_accounts(&SourceSet::open(NAME).await?).await?;
        if !accounts.is_empty() {
            let mut insert = Query::insert();
            insert.into_table(("users", "accounts")).columns(["email", "name", "role", "password_hash"]);
            for a in &accounts {
                insert.values_panic([
                    a.email.clone().into(),
                    a.name.clone().into(),
                    a.role.clone().into(),
                    a.password_hash.clone().into(),
                ]);
            }
            conn.execute(&insert).await?;
        }
        tracing::info!(target: REPORT_TARGET, "{NAME}: loaded {} accounts", accounts.len());
        notify_data_changed(conn, NAME, Direction::Up).await
    }

    /// Deletes the development accounts (by email, as the same pinned source names them), if loaded.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let accounts = read_accounts(&SourceSet::open(NAME).await?).await?;
        let emails: Vec<String> = accounts.iter().map(|a| a.email.to_lowercase()).collect();
        let conn = manager.get_connection();
        conn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "DELETE FROM users.accounts WHERE lower(email) = ANY($1)",
            [emails.into()],
        ))
        .await?;
        reset_identity(conn, "users.accounts", "id").await?;
        notify_data_changed(conn, NAME, Direction::Down).await
    }
}
