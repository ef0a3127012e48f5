//! Login, logout and who-am-i. There is no registration endpoint.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounts::{Email, Role};
use crate::auth::{CurrentUser, password, session, throttle};
use crate::error::ErrorBody;
use crate::json_body::AppJson;
use crate::{AppError, AppState};

/// The one answer for a wrong password, an unknown email and an inactive account alike.
const INVALID_LOGIN: &str = "invalid email or password";

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    #[schema(example = "admin@example.org")]
    email: String,
    password: String,
}

#[derive(Serialize, ToSchema)]
struct UserEnvelope {
    user: CurrentUser,
}

/// Logs in; sets an HttpOnly, SameSite=Strict session cookie.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = UserEnvelope),
        (status = 401, description = "Invalid email or password", body = ErrorBody),
        (status = 429, description = "Too many failed attempts for this email (see Retry-After)", body = ErrorBody),
    ))]
async fn login(State(state): State<AppState>, AppJson(body): AppJson<LoginRequest>) -> Result<Response, AppError> {
    let email = Email::parse(&body.email).map_err(|_| AppError::Unauthorized(INVALID_LOGIN.to_owned()))?;
    let key = email.normalized();
    if let Some(retry_after) = throttle::retry_after(&state.db, &key).await? {
        return Err(AppError::TooManyRequests { retry_after });
    }
    let account = state
        .db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT id, email, name, role, password_hash, is_active FROM users.accounts WHERE lower(email) = $1",
            [key.clone().into()],
        ))
        .await?;
    let hash: Option<String> = account.as_ref().map(|a| a.try_get("", "password_hash")).transpose()?;
    let plain = body.password;
    let matches = password::off_runtime(move || password::verify_password(&plain, hash.as_deref())).await?;
    let active = account.as_ref().map(|a| a.try_get::<bool>("", "is_active")).transpose()?.unwrap_or(false);
    let (Some(account), true, true) = (account, matches, active) else {
        throttle::record_failure(&state.db, &key).await?;
        tracing::info!(email = %key, "failed login");
        return Err(AppError::Unauthorized(INVALID_LOGIN.to_owned()));
    };
    throttle::clear(&state.db, &key).await?;
    let user = CurrentUser {
        id: account.try_get("", "id")?,
        email: account.try_get("", "email")?,
        name: account.try_get("", "name")?,
        role: Role::parse(&account.try_get::<String>("", "role")?).map_err(AppError::Internal)?,
    };
    state
        .db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE users.accounts SET last_login_at = now() WHERE id = $1",
            [user.id.into()],
        ))
        .await?;
    let token = session::start(&state.db, user.id, &state.settings).await?;
    tracing::info!(account = user.id, "logged in");
    Ok(([(header::SET_COOKIE, session::cookie(Some(&token), &state.settings))], Json(UserEnvelope { user })).into_response())
}

/// Ends the session (if any) and clears the cookie.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth",
    responses((status = 204, description = "Logged out")))]
async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    if let Some(token) = session::token_from(&headers) {
        session::end(&state.db, &token).await?;
    }
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, session::cookie(None, &state.settings))]).into_response())
}

/// The logged-in account.
#[utoipa::path(get, path = "/api/auth/me", tag = "auth",
    responses(
        (status = 200, description = "The account behind the session", body = UserEnvelope),
        (status = 401, description = "Not logged in", body = ErrorBody),
    ))]
async fn me(user: CurrentUser) -> Json<UserEnvelope> {
    Json(UserEnvelope { user })
}

#[derive(Serialize, ToSchema)]
struct SessionEnvelope {
    /// The logged-in account, or null.
    user: Option<CurrentUser>,
}

/// Who is logged in, if anyone: always 200, so a page can ask without provoking an error.
#[utoipa::path(get, path = "/api/auth/session", tag = "auth",
    responses((status = 200, description = "The account behind the session, or null", body = SessionEnvelope)))]
async fn session_user(user: Option<CurrentUser>) -> Json<SessionEnvelope> {
    Json(SessionEnvelope { user })
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login)).routes(routes!(logout)).routes(routes!(me)).routes(routes!(session_user))
}
