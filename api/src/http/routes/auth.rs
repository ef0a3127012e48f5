//! Login, logout and who-am-i. There is no registration endpoint.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounts::login::{LoggedIn, log_in};
use crate::accounts::{CurrentUser, session};
use crate::error::AppError;
use crate::http::ErrorBody;
use crate::http::cookies::{session_cookie, session_token};
use crate::http::extract::client::LoginAllowed;
use crate::http::extract::json::AppJson;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    #[schema(example = "you@example.org")]
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
        (status = 429, description = "Too many login attempts from this address (see Retry-After)", body = ErrorBody),
    ))]
async fn login(
    State(state): State<AppState>,
    LoginAllowed(client): LoginAllowed,
    AppJson(body): AppJson<LoginRequest>,
) -> Result<Response, AppError> {
    let client = crate::limits::client_limits::client_key(client, state.settings.limits.ipv6_prefix_length);
    let LoggedIn { user, token } =
        log_in(&state.db, state.settings.session_ttl, (&body.email, client), &state.login_turns, body.password).await?;
    Ok((
        [(header::SET_COOKIE, session_cookie(Some(&token), state.settings.session_ttl, state.settings.cookie_secure))],
        Json(UserEnvelope { user }),
    )
        .into_response())
}

/// Ends the session (if any) and clears the cookie.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth",
    responses((status = 204, description = "Logged out")))]
async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    if let Some(token) = session_token(&headers) {
        session::end(&state.db, &token).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, session_cookie(None, state.settings.session_ttl, state.settings.cookie_secure))],
    )
        .into_response())
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

/// The largest body an auth request needs (an email and a password): an unfinished multi-megabyte
/// "login" is refused with 413 instead of being held in memory.
const AUTH_BODY_LIMIT: usize = 16 * 1024;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(session_user))
        .layer(axum::extract::DefaultBodyLimit::max(AUTH_BODY_LIMIT))
}
