//! The HTTP layer, the one module that imports axum: the router and the one tower stack every
//! request goes through, the error's response, cookies, the site's static files, extractors, the
//! response policies, and one file of routes per area. Handlers are thin: they read the request
//! into plain values and call a feature with them.

mod cookies;
mod cors;
pub(crate) mod csrf;
mod error;
mod extract;
pub(crate) mod metrics;
mod policies;
pub(crate) mod routes;
mod site;
mod telemetry;

use axum::Router;

use crate::state::AppState;

pub(crate) use error::ErrorBody;

/// The whole HTTP application; tests drive this same router.
///
/// What applies to every request is one tower stack, added with one `Router::layer`: each
/// `Router::layer` wraps every route in a boxed service of its own, and axum clones a route's
/// boxed levels on every call, one inside the other, so ten separate layers cost each request
/// dozens of allocations where one stack costs a few. Added to the router (not around it), the
/// stack runs after routing: the metrics and the log span see the matched route.
pub fn app(state: AppState) -> Router {
    use axum::middleware::{from_fn, from_fn_with_state};
    let settings = state.settings.clone();
    let secure = settings.cookie_secure;
    // Outermost first.
    let every_request = tower::ServiceBuilder::new()
        .layer(from_fn_with_state(state.clone(), telemetry::drop_untrusted_request_id))
        .layer(telemetry::set_request_id())
        .layer(telemetry::propagate_request_id())
        .layer(from_fn(telemetry::with_trace_id))
        .layer(telemetry::trace_layer())
        .layer(from_fn(metrics::record))
        .layer(from_fn(move |request, next| policies::response_policies(secure, request, next)));
    site::router(&settings.web_dir).layer(every_request).with_state(state)
}
