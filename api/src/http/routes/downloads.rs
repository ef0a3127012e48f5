//! A file to download: the response an export sends, with the name the browser saves it as.

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// `body` as a CSV attachment named `file_name`.
pub(super) fn csv_attachment(file_name: &str, body: impl Into<Body>) -> Response {
    attachment(file_name, "text/csv; charset=utf-8", body)
}

/// `body` as an attachment of `content_type` named `file_name`.
pub(super) fn attachment(file_name: &str, content_type: &str, body: impl Into<Body>) -> Response {
    let disposition = format!("attachment; filename=\"{file_name}\"");
    ([(header::CONTENT_TYPE, content_type.to_owned()), (header::CONTENT_DISPOSITION, disposition)], body.into())
        .into_response()
}
