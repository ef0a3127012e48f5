//! The HTTP surface, one module per area, merged here with the OpenAPI document they describe.

mod accounts;
mod admin_polls;
mod auth;
mod caching;
mod catalog;
mod contract;
mod data;
pub(crate) mod health;
mod operations;
mod polls;
mod surveys;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use tower_http::compression::Compression;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::{AppError, AppState};

/// Where the spec and its browser UI are served (the UI works offline: it is vendored).
pub const OPENAPI_PATH: &str = "/api/openapi.json";
pub const DOCS_PATH: &str = "/docs";

#[derive(OpenApi)]
#[openapi(
    info(title = "BLW DataViz API", description = "Bright Line Watch survey results and live polls."),
    tags(
        (name = "catalog", description = "Survey questions, grouped in batteries"),
        (name = "surveys", description = "Weighted survey results with confidence intervals"),
        (name = "health", description = "Service health"),
        (name = "auth", description = "Login sessions (cookie)"),
        (name = "accounts", description = "Staff accounts, for admins"),
        (name = "polls", description = "Live polls, for participants"),
        (name = "admin polls", description = "Running polls: admins change, analysts read"),
        (name = "data", description = "The staff data browser: every table without secrets, read-only"),
        (name = "operations", description = "The operations panel: is it working, for everyone, right now (staff)"),
    )
)]
struct ApiDoc;

/// Every documented route, and the document.
pub fn documented() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (routes, mut spec) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(health::router())
        .merge(catalog::router().layer(axum::middleware::from_fn(caching::revalidate)))
        .merge(surveys::router().layer(axum::middleware::from_fn(caching::revalidate)))
        .merge(auth::router())
        .merge(accounts::router())
        .merge(polls::router())
        .merge(admin_polls::router())
        .merge(data::router())
        .merge(operations::router())
        .split_for_parts();
    // After the merge: the contract applies to every operation the routers brought.
    utoipa::Modify::modify(&contract::Contract, &mut spec);
    (routes, spec)
}

/// The pages' Content-Security-Policy: only their own scripts, styles and data (Plot writes
/// inline styles; PNG export draws a blob: image).
macro_rules! page_policy {
    () => {
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; \
         connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'"
    };
}

/// Sent with every response: nothing may frame the app's pages…
const SECURITY_HEADERS: [(&str, &str); 4] = [
    ("content-security-policy", concat!(page_policy!(), "; frame-ancestors 'none'")),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("x-frame-options", "DENY"),
];

/// …except the embeddable charts, which any site may frame (they show public data only and
/// send no cookies); otherwise the same policy.
const EMBED_HEADERS: [(&str, &str); 3] = [
    ("content-security-policy", concat!(page_policy!(), "; frame-ancestors *")),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
];

/// Where the embeddable charts are, and which there are.
const EMBED_PREFIX: &str = "/embed/";
pub const EMBED_CHARTS: [&str; 5] = ["diverging", "distribution", "trend", "gap", "principles"];

/// What every answer gets, in one middleware (each middleware is a service cloned and a future
/// boxed per request): the cross-site check, the time limit, the JSON error shape for a
/// library's bodiless error, and the security headers.
pub(crate) async fn response_policies(
    secure: bool,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let uri = request.uri().clone();
    let response = match crate::auth::csrf::refusal(secure, &request) {
        Some(refused) => refused,
        None => within_time_limit(next.run(request)).await,
    };
    let mut response = as_json_error(&uri, response);
    add_security_headers(uri.path().starts_with(EMBED_PREFIX), &mut response);
    response
}

/// Adds the security headers a response has not set itself: the embed set under `/embed/`.
fn add_security_headers(embed: bool, response: &mut axum::response::Response) {
    let headers = response.headers_mut();
    for (name, value) in if embed { &EMBED_HEADERS[..] } else { &SECURITY_HEADERS[..] } {
        headers.entry(HeaderName::from_static(name)).or_insert(HeaderValue::from_static(value));
    }
}

/// `/embed/{chart}`: the embed page for a chart there is; any other name is a 404.
async fn embed_chart_exists(
    axum::extract::Path(chart): axum::extract::Path<String>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if EMBED_CHARTS.contains(&chart.as_str()) {
        next.run(request).await
    } else {
        axum::response::IntoResponse::into_response(AppError::NotFound(format!(
            "no chart '{chart}' to embed (charts: {})",
            EMBED_CHARTS.join(", ")
        )))
    }
}

/// The frontend's pages whose paths are not files: each is one HTML file that reads its path itself.
const PAGES: [(&str, &str); 4] = [
    ("/polls/{slug}", "poll.html"),
    ("/admin", "admin.html"),
    ("/admin/{*section}", "admin.html"),
    ("/join", "join.html"),
];

/// The documented api, its docs, and the static frontend for every other path.
pub fn router(web_dir: &std::path::Path) -> Router<AppState> {
    let (routes, spec) = documented();
    // The frontend's files go out gzipped to clients that accept it (the chart libraries shrink
    // ~3×); api responses are compressed below, event streams never.
    let web = Compression::new(
        ServeDir::new(web_dir).not_found_service(axum::handler::HandlerWithoutStateExt::into_service(unknown_route)),
    );
    // Only the site's own assets leave the folder (not its READMEs or anything else kept there).
    // Page and script names carry no version: clients revalidate each time (Last-Modified makes
    // that a 304 without a body).
    let root = web_dir.canonicalize().unwrap_or_else(|_| web_dir.to_path_buf());
    let web = Router::new()
        .fallback_service(web)
        .layer(axum::middleware::from_fn(move |request, next| only_site_assets(root.clone(), request, next)))
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")));
    let pages = PAGES.iter().fold(Router::new(), |pages, (path, file)| {
        pages.route_service(path, Compression::new(ServeFile::new(web_dir.join(file))))
    });
    let embeds = Router::new()
        .route_service("/embed/{chart}", Compression::new(ServeFile::new(web_dir.join("embed.html"))))
        .route_layer(axum::middleware::from_fn(embed_chart_exists))
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")));
    // JSON and CSV go out gzipped to clients that accept it too (results shrink ~8×); event
    // streams never are (tower-http's default predicate leaves text/event-stream alone).
    let routes = routes.layer(tower_http::compression::CompressionLayer::new());
    // What every response gets (security headers, JSON errors, the time limit, the cross-site
    // check) is added once, with the telemetry, by `crate::app`.
    routes
        .merge(pages)
        .merge(embeds)
        .merge(SwaggerUi::new(DOCS_PATH).url(OPENAPI_PATH, spec))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback_service(web)
}

/// The longest the api works on one request before answering 503: a lock or a query that hangs
/// must not hold the client (and its connection) forever. Live-result streams start their
/// response at once, so their length is not limited by it.
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

async fn within_time_limit(response: impl Future<Output = axum::response::Response>) -> axum::response::Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, response).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!("request timed out after {REQUEST_TIMEOUT:?}");
            axum::response::IntoResponse::into_response(AppError::Unavailable(
                "the request took too long; retry shortly".to_owned(),
            ))
        }
    }
}

/// A known path with the wrong method: JSON too, not an empty 405.
async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> AppError {
    AppError::MethodNotAllowed(format!("{method} is not allowed on {}", uri.path()))
}

/// What the web folder may serve: pages, scripts, styles and images.
const SITE_ASSETS: [&str; 7] = ["html", "js", "css", "svg", "png", "ico", "woff2"];

async fn only_site_assets(
    root: std::path::PathBuf,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let path = request.uri().path();
    let file = path.rsplit('/').next().unwrap_or_default();
    let allowed = file.is_empty() || file.rsplit_once('.').is_some_and(|(_, ext)| SITE_ASSETS.contains(&ext));
    if allowed && stays_inside(&root, path) {
        next.run(request).await
    } else {
        axum::response::IntoResponse::into_response(no_such_path(request.uri()))
    }
}

/// Whether the file `path` names is inside `root` once symbolic links are followed (a link in the
/// web folder to anywhere else is not served). A path that names nothing is left to the file
/// service, which answers 404.
fn stays_inside(root: &std::path::Path, path: &str) -> bool {
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let relative = decoded.trim_start_matches('/');
    // A folder is served as its index.html, which may itself be a link.
    let file = if relative.is_empty() || relative.ends_with('/') {
        root.join(relative).join("index.html")
    } else {
        root.join(relative)
    };
    match file.canonicalize() {
        Ok(real) => real.starts_with(root),
        Err(_) => true,
    }
}

/// An error answer without a body (a library's own 404 or 405): the JSON error shape instead.
fn as_json_error(uri: &axum::http::Uri, response: axum::response::Response) -> axum::response::Response {
    let status = response.status();
    if !status.is_client_error() || response.headers().contains_key(header::CONTENT_TYPE) {
        return response;
    }
    let error = match status {
        axum::http::StatusCode::NOT_FOUND => no_such_path(uri),
        axum::http::StatusCode::METHOD_NOT_ALLOWED => {
            AppError::MethodNotAllowed(format!("not allowed on {}", uri.path()))
        }
        _ => AppError::BadRequest(status.canonical_reason().unwrap_or("bad request").to_owned()),
    };
    let (parts, _) = response.into_parts();
    let mut replaced = axum::response::IntoResponse::into_response(error);
    *replaced.status_mut() = status;
    // The original's other headers stand (a 405's Allow, a 416's Content-Range).
    for (name, value) in &parts.headers {
        if name != header::CONTENT_LENGTH && !replaced.headers().contains_key(name) {
            replaced.headers_mut().insert(name.clone(), value.clone());
        }
    }
    replaced
}

/// Unknown paths get the same JSON error shape as every other failure.
async fn unknown_route(uri: axum::http::Uri) -> AppError {
    no_such_path(&uri)
}

fn no_such_path(uri: &axum::http::Uri) -> AppError {
    AppError::NotFound(format!("no such path: {}", uri.path()))
}
