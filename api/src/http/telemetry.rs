//! Following a request through the logs: its `x-request-id` (kept only from trusted proxies),
//! its W3C trace id (a `traceparent`'s, or a new one) and one log span per request.

use crate::state::AppState;

/// One span per request, carrying its id (`x-request-id`, see [`set_request_id`]), method, path and
/// the matched route (logged at info on close).
pub(super) fn trace_layer() -> tower_http::trace::TraceLayer<
    tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>,
    impl Fn(&axum::http::Request<axum::body::Body>) -> tracing::Span + Clone,
> {
    tower_http::trace::TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<axum::body::Body>| {
        let route = request
            .extensions()
            .get::<axum::extract::MatchedPath>()
            .map_or_else(|| request.uri().path().to_owned(), |p| p.as_str().to_owned());
        let request_id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let trace_id = trace_id(request.headers());
        tracing::info_span!("request", request_id, trace_id, method = %request.method(), route, uri = %request.uri())
    })
}

tokio::task_local! {
    /// The trace id of the request being served (see [`with_trace_id`]).
    static TRACE_ID: String;
}

/// Serves the request with its trace id at hand ([`current_trace_id`]), the same one its log span
/// carries: a `traceparent`'s, or a new one given here (then written into the request's headers
/// so the span takes it too).
pub(super) async fn with_trace_id(
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let id = trace_id(request.headers());
    let given = request.headers().get("traceparent").and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains(&id));
    if !given && let Ok(value) = axum::http::HeaderValue::from_str(&format!("00-{id}-{}-01", &id[..16])) {
        request.headers_mut().insert("traceparent", value);
    }
    TRACE_ID.scope(id, next.run(request)).await
}

/// The trace id of the request being served (empty outside one).
pub(super) fn current_trace_id() -> String {
    TRACE_ID.try_with(Clone::clone).unwrap_or_default()
}

/// The W3C trace context's trace id of a request (`traceparent: 00-<32 hex>-<16 hex>-<2 hex>`),
/// so a request is followed from the load balancer through the api's logs; a request without a
/// valid one starts a trace of its own.
pub(super) fn trace_id(headers: &axum::http::HeaderMap) -> String {
    let given = headers.get("traceparent").and_then(|v| v.to_str().ok()).and_then(|value| {
        let parts: Vec<&str> = value.trim().split('-').collect();
        let hex =
            |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        match parts.as_slice() {
            [version, trace, parent, flags]
                if hex(version, 2) && *version != "ff" && hex(trace, 32) && hex(parent, 16) && hex(flags, 2)
                    // All-zero ids are invalid (W3C trace context).
                    && trace.bytes().any(|b| b != b'0') && parent.bytes().any(|b| b != b'0') =>
            {
                Some((*trace).to_owned())
            }
            _ => None,
        }
    });
    given.unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string())
}

const REQUEST_ID: &str = "x-request-id";

/// Keeps a request's `x-request-id` only from a trusted proxy (`TRUSTED_PROXIES`), and only a
/// short printable one: anyone else's would choose what the logs say and tie requests together.
/// [`set_request_id`] then gives the request a fresh one.
pub(super) async fn drop_untrusted_request_id(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let peer = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|axum::extract::ConnectInfo(address)| address.ip());
    let trusted = peer.is_some_and(|peer| state.settings.trusted_proxies.trusts(peer));
    let acceptable =
        |value: &axum::http::HeaderValue| value.len() <= 128 && value.as_bytes().iter().all(|b| b.is_ascii_graphic());
    if !trusted || !request.headers().get(REQUEST_ID).is_none_or(acceptable) {
        request.headers_mut().remove(REQUEST_ID);
    }
    next.run(request).await
}

/// Gives every request an `x-request-id` (a UUID, unless a trusted proxy in front already set
/// one: see [`drop_untrusted_request_id`]), so a user's report and the logs can be matched; with
/// [`propagate_request_id`] inside it, which returns it on the response.
pub(super) fn set_request_id() -> tower_http::request_id::SetRequestIdLayer<tower_http::request_id::MakeRequestUuid> {
    tower_http::request_id::SetRequestIdLayer::new(
        axum::http::HeaderName::from_static(REQUEST_ID),
        tower_http::request_id::MakeRequestUuid,
    )
}

/// Returns the request's `x-request-id` on its response (see [`set_request_id`]).
pub(super) fn propagate_request_id() -> tower_http::request_id::PropagateRequestIdLayer {
    tower_http::request_id::PropagateRequestIdLayer::new(axum::http::HeaderName::from_static(REQUEST_ID))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_traceparent_gives_its_trace_id_and_anything_else_a_new_one() {
        let with = |value: &str| {
            let mut headers = axum::http::HeaderMap::new();
            headers.insert("traceparent", value.parse().unwrap());
            trace_id(&headers)
        };
        let id = "4bf92f3577b34da6a3ce929d0e0e4736";
        assert_eq!(with(&format!("00-{id}-00f067aa0ba902b7-01")), id);
        for bad in [
            format!("00-{}-00f067aa0ba902b7-01", "0".repeat(32)),
            format!("00-{id}-0000000000000000-01"),
            format!("ff-{id}-00f067aa0ba902b7-01"),
            format!("00-{}-00f067aa0ba902b7-01", id.to_uppercase()),
            "00-abc-def-01".to_owned(),
        ] {
            let fresh = with(&bad);
            assert_ne!(fresh, id, "{bad}");
            assert_eq!(fresh.len(), 32);
        }
        assert_ne!(trace_id(&axum::http::HeaderMap::new()), trace_id(&axum::http::HeaderMap::new()));
    }
}
