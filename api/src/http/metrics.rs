//! Metrics over HTTP: each request's duration by method, route template and status, and the
//! requests in flight; and `GET /metrics` (Prometheus) on its own listener, never the public port.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

use crate::observability;
use crate::state::AppState;

/// A method as a label: the standard ones, anything else `other` (bounded).
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Records the request. Routed requests are labelled by their template (`/api/polls/{slug}`);
/// the rest are the site's files (`static`) or nothing (`unmatched`, any 404): never the path.
pub(crate) async fn record(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map(|path| path.as_str().to_owned());
    let method = method_label(request.method());
    let started = Instant::now();
    let active = metrics::gauge!("http_server_active_requests");
    active.increment(1.0);
    let response = next.run(request).await;
    active.decrement(1.0);
    let status = response.status();
    let route = match route {
        Some(route) => route,
        None if status == axum::http::StatusCode::NOT_FOUND => "unmatched".to_owned(),
        None => "static".to_owned(),
    };
    metrics::histogram!("http_server_request_duration_seconds",
        "method" => method, "route" => route, "status" => status.as_str().to_owned())
    .record(started.elapsed().as_secs_f64());
    response
}

/// Serves `GET /metrics` (and nothing else) on `listener` until the returned future is dropped
/// (a background task: the application owns it).
pub(crate) async fn serve(listener: tokio::net::TcpListener, state: AppState) {
    observability::handle();
    let router = axum::Router::new()
        .route(
            "/metrics",
            axum::routing::get(|axum::extract::State(state): axum::extract::State<AppState>| async move {
                (
                    [(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
                    observability::render(&state).await,
                )
            }),
        )
        .with_state(state);
    if let Err(e) = axum::serve(listener, router).await {
        tracing::error!(error = %e, "the metrics listener stopped");
    }
}
