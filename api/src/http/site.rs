//! The site: the static frontend's files (only its own assets, never outside its folder), the
//! pages whose paths are not files, and the embeddable charts.

use axum::Router;
use axum::http::{HeaderValue, header};
use tower_http::compression::Compression;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::AppError;
use crate::http::policies::{method_not_allowed, no_such_path};
use crate::http::routes::{DOCS_PATH, OPENAPI_PATH, documented};
use crate::state::AppState;

/// Where the embeddable charts are, and which there are.
pub(crate) const EMBED_PREFIX: &str = "/embed/";
pub(super) const EMBED_CHARTS: [&str; 5] = ["diverging", "distribution", "trend", "gap", "principles"];

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
const PAGES: [(&str, &str); 5] = [
    ("/polls/{slug}", "poll.html"),
    ("/results/{key}", "results.html"),
    ("/admin", "admin.html"),
    ("/admin/{*section}", "admin.html"),
    ("/join", "join.html"),
];

/// The documented api, its docs, and the static frontend for every other path.
pub(super) fn router(web_dir: &std::path::Path) -> Router<AppState> {
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
    // One poll question's live results, for a slide deck's iframe (the page reads its path).
    let poll_embed = Router::new()
        .route_service(
            "/embed/polls/{slug}/{question}",
            Compression::new(ServeFile::new(web_dir.join("embed-poll.html"))),
        )
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")));
    let embeds = Router::new()
        .route_service("/embed/{chart}", Compression::new(ServeFile::new(web_dir.join("embed.html"))))
        .route_layer(axum::middleware::from_fn(embed_chart_exists))
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")));
    // JSON and CSV go out gzipped to clients that accept it too (results shrink ~8×); event
    // streams never are (tower-http's default predicate leaves text/event-stream alone).
    let routes = routes.layer(tower_http::compression::CompressionLayer::new());
    // What every response gets (security headers, JSON errors, the time limit, the cross-site
    // check) is added once, with the telemetry, by `http::app`.
    routes
        .merge(pages)
        .merge(embeds)
        .merge(poll_embed)
        .merge(SwaggerUi::new(DOCS_PATH).url(OPENAPI_PATH, spec))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback_service(web)
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

/// Unknown paths get the same JSON error shape as every other failure.
async fn unknown_route(uri: axum::http::Uri) -> AppError {
    no_such_path(&uri)
}
