//! One error type for every feature and handler; `http::error` renders it as
//! `{"error": {"code": …, "message": …}}` with the matching status. A server fault keeps its
//! cause: the log shows the whole chain (its `Debug`, in the manner of zero2prod's
//! `error_chain_fmt`), the client a generic message.

use std::sync::Arc;

#[derive(Clone, thiserror::Error)]
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
    /// A conflict with what is stored that one field of the request body causes (a field fixed
    /// once a poll has answers): 409 naming the field, as a 422 does.
    #[error("{message}")]
    ConflictingField { field: String, message: String },
    #[error("too many requests; try again in {retry_after} s")]
    TooManyRequests { retry_after: u64 },
    #[error("{0}")]
    Unavailable(String),
    /// A server fault: `context` says what was being done, `source` why it failed.
    #[error("{context}")]
    Internal {
        context: String,
        #[source]
        source: Option<Arc<dyn std::error::Error + Send + Sync>>,
    },
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

/// Whether a database error means the database cannot be reached or is restarting (503: try
/// again), rather than a fault in the request or the server.
pub(crate) fn is_unavailable(e: &sea_orm::DbErr) -> bool {
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
        AppError::internal_caused("reading an account's role", e)
    }
}

impl AppError {
    /// A server fault with nothing under it: `context` says what went wrong.
    pub fn internal(context: impl Into<String>) -> Self {
        AppError::Internal { context: context.into(), source: None }
    }

    /// A server fault caused by `source`; `context` says what was being done.
    pub fn internal_caused(context: impl Into<String>, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        AppError::Internal { context: context.into(), source: Some(Arc::new(source)) }
    }

    /// 422 for a request body field that fails validation; `field` is a JSON path such as
    /// `questions[2].var_name`.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Unprocessable { field: field.into(), message: message.into() }
    }

    /// 409 for a body field whose change what is stored forbids; `field` as for [`AppError::invalid_field`].
    pub fn conflicting_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::ConflictingField { field: field.into(), message: message.into() }
    }

    /// 400 for a query or path parameter that is not acceptable.
    pub fn invalid_parameter(parameter: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::InvalidParameter { parameter: parameter.into(), message: message.into() }
    }
}

/// The error and every cause under it, one per line: what the log shows.
impl std::fmt::Debug for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        error_chain_fmt(self, f)
    }
}

/// `e`, then each of its causes on a line of its own (zero2prod's `error_chain_fmt`).
pub(crate) fn error_chain_fmt(e: &impl std::error::Error, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    writeln!(f, "{e}")?;
    let mut current = e.source();
    while let Some(cause) = current {
        writeln!(f, "Caused by:\n\t{cause}")?;
        current = cause.source();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn an_internal_error_keeps_its_cause_and_shows_the_chain() {
        let cause = std::io::Error::other("disk full");
        let error = AppError::internal_caused("writing CSV", cause);
        assert_eq!(error.to_string(), "writing CSV");
        assert_eq!(error.source().map(ToString::to_string).as_deref(), Some("disk full"));
        assert_eq!(format!("{error:?}"), "writing CSV\nCaused by:\n\tdisk full\n");
        assert_eq!(format!("{:?}", AppError::internal("no reply")), "no reply\n");
    }
}
