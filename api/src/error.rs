//! One error type for every handler, rendered as `{"error": {"code": …, "message": …}}` with the
//! matching status. Server-side failures are logged in full and answered with a generic message.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    NotFound(String),
    /// A poll that has never opened, asked for by the public: no content, only that it is not open yet.
    #[error("{0}")]
    NotOpenYet(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{message}")]
    InvalidParameter { parameter: String, message: String },
    #[error("{0}")]
    BadRequest(String),
    #[error("{message}")]
    Unprocessable { field: String, message: String },
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    #[error("too many requests; try again in {retry_after} s")]
    TooManyRequests { retry_after: u64 },
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

/// Whether a database error means the database cannot be reached or is restarting (503: try
/// again), rather than a fault in the request or the server.
pub fn is_unavailable(e: &sea_orm::DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    use sea_orm::{DbErr, RuntimeErr};
    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => match e.as_ref() {
            Sqlx::Io(_)
            | Sqlx::Tls(_)
            | Sqlx::Protocol(_)
            | Sqlx::PoolTimedOut
            | Sqlx::PoolClosed
            | Sqlx::WorkerCrashed => true,
            // Class 08: connection exceptions; 57P0x: the server is shutting down or starting;
            // 57014: cancelled by the statement timeout (a lock or an overloaded server).
            Sqlx::Database(db) => db.code().is_some_and(|c| c.starts_with("08") || c.starts_with("57")),
            _ => false,
        },
        _ => false,
    }
}

/// A role read from the database that this build does not know: the schema's CHECK and
/// [`entity::Role`] disagree, a server fault.
impl From<entity::role::UnknownRole> for AppError {
    fn from(e: entity::role::UnknownRole) -> Self {
        AppError::Internal(e.to_string())
    }
}

/// The body of every error response.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(example = json!({"error": {"code": "invalid_parameter", "message": "split must be party, ideology or none, not 'x'", "parameter": "split"}}))]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: not_found, invalid_parameter, unavailable, internal, …
    code: String,
    /// For people; never holds internal details for 5xx errors.
    message: String,
    /// The offending query parameter, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    parameter: Option<String>,
    /// The offending body field, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
}

impl AppError {
    /// 422 for a request body field that fails validation; `field` is a JSON path such as
    /// `questions[2].var_name`.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Unprocessable { field: field.into(), message: message.into() }
    }

    /// 400 for a query or path parameter that is not acceptable.
    pub fn invalid_parameter(parameter: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::InvalidParameter { parameter: parameter.into(), message: message.into() }
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            AppError::NotOpenYet(_) => (StatusCode::NOT_FOUND, "not_open_yet"),
            AppError::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            AppError::InvalidParameter { .. } => (StatusCode::BAD_REQUEST, "invalid_parameter"),
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            AppError::Unprocessable { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
            AppError::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            AppError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            AppError::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            AppError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            AppError::Database(e) if is_unavailable(e) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            AppError::Internal(_) | AppError::Database(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
            match self {
                AppError::Unavailable(ref m) => m.clone(),
                AppError::Database(_) if status == StatusCode::SERVICE_UNAVAILABLE => {
                    "the database is unavailable; try again shortly".to_owned()
                }
                _ => "internal server error".to_owned(),
            }
        } else {
            self.to_string()
        };
        let (parameter, field) = match &self {
            AppError::InvalidParameter { parameter, .. } => (Some(parameter.clone()), None),
            AppError::Unprocessable { field, .. } => (None, Some(field.clone())),
            _ => (None, None),
        };
        let body = Json(ErrorBody { error: ErrorDetail { code: code.to_owned(), message, parameter, field } });
        match self {
            AppError::TooManyRequests { retry_after } => {
                (status, [(axum::http::header::RETRY_AFTER, retry_after.to_string())], body).into_response()
            }
            _ => (status, body).into_response(),
        }
    }
}
