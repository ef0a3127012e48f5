//! Account management, for admins.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounts::{AccountPatch, AccountView, NewAccount, service};
use crate::error::AppError;
use crate::http::ErrorBody;
use crate::http::extract::json::AppJson;
use crate::http::extract::path::AppPath;
use crate::http::extract::staff::AdminUser;
use crate::state::AppState;

/// Every account.
#[utoipa::path(get, path = "/api/admin/accounts", tag = "accounts",
    responses(
        (status = 200, description = "All accounts", body = Vec<AccountView>),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
    ))]
async fn list_accounts(State(state): State<AppState>, _admin: AdminUser) -> Result<Json<Vec<AccountView>>, AppError> {
    Ok(Json(service::list(&state.db).await?))
}

/// Creates an account.
#[utoipa::path(post, path = "/api/admin/accounts", tag = "accounts", request_body = NewAccount,
    responses(
        (status = 201, description = "Created", body = AccountView),
        (status = 409, description = "Email already in use", body = ErrorBody),
        (status = 422, description = "Invalid field; `error.field` names it", body = ErrorBody),
    ))]
async fn create_account(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AppJson(new): AppJson<NewAccount>,
) -> Result<(StatusCode, Json<AccountView>), AppError> {
    let account = service::create(&state.db, new).await?;
    tracing::info!(by = admin.id, account = account.id, "account created");
    Ok((StatusCode::CREATED, Json(account)))
}

/// Changes name, role, active flag or password.
#[utoipa::path(patch, path = "/api/admin/accounts/{id}", tag = "accounts", request_body = AccountPatch,
    params(("id" = i32, Path, description = "Account id", minimum = 1)),
    responses(
        (status = 200, description = "Updated", body = AccountView),
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 409, description = "Would leave no active admin", body = ErrorBody),
        (status = 422, description = "Invalid field", body = ErrorBody),
    ))]
async fn update_account(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AppPath(id): AppPath<i32>,
    AppJson(patch): AppJson<AccountPatch>,
) -> Result<Json<AccountView>, AppError> {
    let account = service::update(&state.db, id, patch).await?;
    tracing::info!(by = admin.id, account = id, "account updated");
    Ok(Json(account))
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_accounts, create_account)).routes(routes!(update_account))
}
