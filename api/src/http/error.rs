//! Errors as HTTP answers: each [`AppError`] with its status and the JSON body every failure has.
//! Server-side failures are logged in full, with their causes, and answered with a generic message.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::{AppError, is_unavailable};

/// The body of every error response.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(example = json!({"error": {"code": "invalid_parameter", "message": "split must be party, ideology or none, not 'x'", "parameter": "split"}}))]
pub(crate) struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct ErrorDetail {
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

fn status_and_code(error: &AppError) -> (StatusCode, &'static str) {
    match error {
        AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
        AppError::NotOpenYet(_) => (StatusCode::NOT_FOUND, "not_open_yet"),
        AppError::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
        AppError::InvalidParameter { .. } => (StatusCode::BAD_REQUEST, "invalid_parameter"),
        AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
        AppError::Unprocessable { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        AppError::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
        AppError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
        AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
        AppError::Conflict(_) | AppError::ConflictingField { .. } => (StatusCode::CONFLICT, "conflict"),
        AppError::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
        AppError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        AppError::Database(e) if is_unavailable(e) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        AppError::Internal { .. } | AppError::Database(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = status_and_code(&self);
        let message = if status.is_server_error() {
            tracing::error!(error = ?self, "request failed");
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
            AppError::Unprocessable { field, .. } | AppError::ConflictingField { field, .. } => {
                (None, Some(field.clone()))
            }
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
