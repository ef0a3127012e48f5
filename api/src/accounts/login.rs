//! Logging in with an email and password: slowed per email after repeated failures, one answer
//! for every way it can fail, and a new session when it succeeds.

use entity::users::accounts;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::accounts::service::with_email;
use crate::accounts::{CurrentUser, Email, password, session, throttle};
use crate::error::AppError;

/// The one answer for a wrong password, an unknown email and an inactive account alike.
const INVALID_LOGIN: &str = "invalid email or password";

/// Who logged in, and the token for their session cookie.
pub(crate) struct LoggedIn {
    pub user: CurrentUser,
    pub token: String,
}

/// # Errors
/// Invalid email or password (401, the same for every cause), database failure.
pub(crate) async fn log_in(
    db: &DatabaseConnection,
    session_ttl: std::time::Duration,
    (email, client): (&str, std::net::IpAddr),
    waiting: &throttle::WaitingTurns,
    password: String,
) -> Result<LoggedIn, AppError> {
    let email = Email::parse(email).map_err(|_| AppError::Unauthorized(INVALID_LOGIN.to_owned()))?;
    let key = email.normalized();
    // Waits for this email's next turn before the password is checked, whatever it is: the
    // answer's timing tells nothing, and parallel attempts queue instead of being checked at once.
    let turn = throttle::take_turn(db, waiting, &key, client).await?;
    tokio::time::sleep(turn.wait).await;
    let account = accounts::Entity::find().filter(with_email(&email)).one(db).await?;
    // An unknown email is checked against a dummy hash: it takes as long as a wrong password.
    let hash = account.as_ref().map(|a| a.password_hash.clone());
    let plain = password.clone();
    let matches = password::off_runtime(move || password::verify_password(&plain, hash.as_deref())).await?;
    let Some(account) = account.filter(|a| matches && a.is_active) else {
        // The turn's row stays: it is the failure's record.
        tracing::info!(email = %key, "failed login");
        metrics::counter!("blw_logins_total", "outcome" => "failed").increment(1);
        return Err(AppError::Unauthorized(INVALID_LOGIN.to_owned()));
    };
    throttle::clear(db, &key).await?;
    let mut update = accounts::Entity::update_many().col_expr(accounts::Column::LastLoginAt, Expr::current_timestamp());
    // A hash made with other parameters (a seed account's) is replaced now that the password is known.
    if password::needs_rehash(&account.password_hash) {
        let rehashed = password::off_runtime(move || password::hash_password(&password))
            .await?
            .map_err(|e| AppError::internal_caused("hashing a password", e))?;
        update = update.col_expr(accounts::Column::PasswordHash, Expr::value(rehashed));
    }
    update.filter(accounts::Column::Id.eq(account.id)).exec(db).await?;
    let token = session::start(db, account.id, session_ttl).await?;
    tracing::info!(account = account.id, "logged in");
    metrics::counter!("blw_logins_total", "outcome" => "succeeded").increment(1);
    let user = CurrentUser { role: account.role.parse()?, id: account.id, email: account.email, name: account.name };
    Ok(LoggedIn { user, token })
}
