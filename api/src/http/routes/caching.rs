//! Revalidation for responses that change only when the data do (survey results, the catalog):
//! each gets an `ETag` (a digest of its body, the same in every api process; weak, because the
//! same data may go out gzipped or not) and
//! `Cache-Control: no-cache`, so a client or proxy may keep it and asks again with
//! `If-None-Match`, getting `304 Not Modified` and no body while the data are unchanged.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// Larger bodies are passed through untagged (none of these endpoints comes near it).
const MAX_TAGGED_BODY: usize = 16 * 1024 * 1024;

pub(super) async fn revalidate(request: Request, next: Next) -> Response {
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_TAGGED_BODY).await else {
        return crate::error::AppError::internal("response body too large to tag").into_response();
    };
    let digest = Sha256::digest(&bytes);
    let tag = format!("W/\"{}\"", hex::encode(&digest[..12]));
    let matches = if_none_match.as_ref().and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.split(',').map(str::trim).any(|candidate| weakly_equal(candidate, &tag) || candidate == "*")
    });
    let Ok(tag) = HeaderValue::from_str(&tag) else { return Response::from_parts(parts, Body::from(bytes)) };
    parts.headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    parts.headers.insert(header::ETAG, tag);
    if matches {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_TYPE);
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// If-None-Match compares weakly (RFC 9110 13.1.2): `W/` prefixes do not matter.
fn weakly_equal(a: &str, b: &str) -> bool {
    a.trim_start_matches("W/") == b.trim_start_matches("W/")
}
