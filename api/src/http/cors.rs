//! CORS for the presenter routes alone: a slide deck on any site drives a poll with its presenter
//! link (a bearer secret, no cookie: see `csrf`). Every other route answers its own pages only,
//! and gets no CORS headers.

use std::convert::Infallible;

use axum::extract::Request;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower::{Layer, ServiceExt};
use tower_http::cors::{Any, CorsLayer};

use crate::http::csrf::PRESENTER_PREFIX;

fn presenter_cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::PUT, Method::PATCH, Method::POST, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(std::time::Duration::from_secs(600))
}

/// Whether `request` is for a presenter route (the only ones with CORS).
pub(crate) fn is_presenter_route(request: &Request) -> bool {
    request.uri().path().starts_with(PRESENTER_PREFIX)
}

/// Answers a deck's preflight and marks a presenter route's answer for any origin. Called by the
/// response policies, around the whole router (outside its method-not-allowed fallback, which
/// would otherwise answer a preflight with 405).
pub(crate) async fn for_presenter_route(request: Request, next: Next) -> Response {
    // The layer wraps a service; `Next` runs once: it is handed over on the one call the
    // layer makes (none for a preflight it answers itself).
    let next = std::sync::Mutex::new(Some(next));
    let inner = tower::service_fn(move |request: Request| {
        let next = next.lock().ok().and_then(|mut next| next.take());
        async move {
            Ok::<_, Infallible>(match next {
                Some(next) => next.run(request).await,
                None => axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            })
        }
    });
    match presenter_cors().layer(inner).oneshot(request).await {
        Ok(response) => response.map(axum::body::Body::new),
        Err(never) => match never {},
    }
}
