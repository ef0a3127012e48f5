//! The documented api, one module per area, merged here with the OpenAPI document they describe.

mod accounts;
mod admin_polls;
mod audience_questions;
mod auth;
mod caching;
mod catalog;
mod contract;
mod data;
mod downloads;
mod health;
mod operations;
mod polls;
mod presenter;
mod reports;
mod surveys;

use axum::Router;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// Where the spec and its browser UI are served (the UI works offline: it is vendored).
pub(crate) const OPENAPI_PATH: &str = "/api/openapi.json";
pub(crate) const DOCS_PATH: &str = "/docs";

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
        (name = "presenter", description = "A slide deck driving one poll with a presenter link"),
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
        .merge(presenter::router())
        .merge(reports::router())
        .merge(audience_questions::router())
        .merge(data::router())
        .merge(operations::router())
        .split_for_parts();
    // After the merge: the contract applies to every operation the routers brought.
    utoipa::Modify::modify(&contract::Contract, &mut spec);
    (routes, spec)
}
