//! One error type for every feature and handler; `http::error` renders it as
//! `{"error": {"code": …, "message": …}}` with the matching status.

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
}
