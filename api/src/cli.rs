//! The api binary's commands: serve (the default), and account administration for the first admin
//! and lost passwords: `api accounts create --email … --name … --role admin`,
//! `api accounts set-password --email …`. The password comes from `BLW_PASSWORD` or standard input.

use std::io::BufRead;
use std::str::FromStr;

use clap::{Parser, Subcommand};

use crate::accounts::{AccountPatch, Email, NewAccount, Role, service};
use crate::error::AppError;
use crate::settings::Settings;
use crate::startup;

#[derive(Parser)]
#[command(name = "api", about = "BLW DataViz api server")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the api (the default).
    Serve,
    /// Manage staff accounts.
    Accounts {
        #[command(subcommand)]
        action: AccountsCommand,
    },
}

#[derive(Subcommand)]
pub enum AccountsCommand {
    /// Create an account (password from BLW_PASSWORD or standard input).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin or analyst
        #[arg(long, value_parser = Role::from_str)]
        role: Role,
    },
    /// Set an account's password (from BLW_PASSWORD or standard input); ends its sessions.
    SetPassword {
        #[arg(long)]
        email: String,
    },
}

fn read_password() -> Result<String, AppError> {
    if let Ok(password) = std::env::var("BLW_PASSWORD") {
        return Ok(password);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| AppError::BadRequest(format!("reading the password from standard input: {e}")))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Runs an `accounts` command against the configured database (created and migrated if needed).
///
/// # Errors
/// Invalid input, an existing email, an unknown account, or a database failure.
pub async fn run_accounts(settings: &Settings, action: AccountsCommand) -> Result<String, AppError> {
    let db = startup::connect(settings).await?;
    if settings.migrate_on_start {
        startup::migrate(&db).await?;
    }
    match action {
        AccountsCommand::Create { email, name, role } => {
            let account = service::create(&db, NewAccount { email, name, role, password: read_password()? }).await?;
            Ok(format!("created {} account {} ({})", account.role, account.id, account.email))
        }
        AccountsCommand::SetPassword { email } => {
            let email = Email::parse(&email).map_err(AppError::BadRequest)?;
            let id = service::id_by_email(&db, &email).await?;
            let patch = AccountPatch { password: Some(read_password()?), ..AccountPatch::default() };
            service::update(&db, id, patch).await?;
            Ok(format!("password set for account {id} ({}); its sessions are ended", email.as_str()))
        }
    }
}
