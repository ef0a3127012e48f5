//! Logging set-up, in one place: `RUST_LOG` filters (default: info, quieter for sqlx and SeaORM
//! but with the migration reports).

use tracing_subscriber::EnvFilter;

use crate::settings::LogFormat;

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=info,tower_http=info"));
    // A second init (e.g. in tests) keeps the first subscriber.
    let _ = match format {
        LogFormat::Text => tracing_subscriber::fmt().with_env_filter(filter).try_init(),
        LogFormat::Json => tracing_subscriber::fmt().json().with_current_span(true).with_env_filter(filter).try_init(),
    };
}

/// One span per request, carrying its id (`x-request-id`, see [`request_ids`]), method, path and
/// the matched route (logged at info on close).
pub fn trace_layer() -> tower_http::trace::TraceLayer<
    tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>,
    impl Fn(&axum::http::Request<axum::body::Body>) -> tracing::Span + Clone,
> {
    tower_http::trace::TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<axum::body::Body>| {
        let route = request
            .extensions()
            .get::<axum::extract::MatchedPath>()
            .map_or_else(|| request.uri().path().to_owned(), |p| p.as_str().to_owned());
        let request_id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or_default();
        tracing::info_span!("request", request_id, method = %request.method(), route, uri = %request.uri())
    })
}

const REQUEST_ID: &str = "x-request-id";

/// Keeps a request's `x-request-id` only from a trusted proxy (`TRUSTED_PROXIES`), and only a
/// short printable one: anyone else's would choose what the logs say and tie requests together.
/// [`request_ids`] then gives the request a fresh one.
pub async fn drop_untrusted_request_id(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
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
/// one) and returns it on the response, so a user's report and the logs can be matched.
pub fn request_ids<S>(router: axum::Router<S>) -> axum::Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
    let header = axum::http::HeaderName::from_static(REQUEST_ID);
    router.layer(PropagateRequestIdLayer::new(header.clone())).layer(SetRequestIdLayer::new(header, MakeRequestUuid))
}
