//! What every operation can answer besides its own responses, added to the OpenAPI document in one
//! place so that no route can forget them: 400 for a malformed request, 413 for an oversized body,
//! 401/403 and the session cookie for staff routes, 503 when the database is unavailable. Each
//! route's annotation keeps the answers that are its own (404, 409, 422, 429, …).

use utoipa::Modify;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, ResponseBuilder};

use crate::http::cookies::SESSION_COOKIE as COOKIE_NAME;

/// The name of the session-cookie security scheme.
pub(super) const SESSION_SCHEME: &str = "session";
/// The name of the presenter-link security scheme (a bearer secret, for a slide deck).
pub(super) const PRESENTER_SCHEME: &str = "presenter_link";

pub(super) struct Contract;

fn error_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    let content = Content::new(Some(Ref::from_schema_name("ErrorBody")));
    RefOr::T(ResponseBuilder::new().description(description).content("application/json", content).build())
}

fn add(operation: &mut Operation, status: &str, description: &str) {
    operation.responses.responses.entry(status.to_owned()).or_insert_with(|| error_response(description));
}

/// Staff routes: everything under /api/admin, and the routes about one's own session.
fn needs_session(path: &str) -> bool {
    path.starts_with("/api/admin/") || path == "/api/auth/me"
}

impl Modify for Contract {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            SESSION_SCHEME,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                COOKIE_NAME,
                "Set by POST /api/auth/login (HttpOnly, SameSite=Strict)",
            ))),
        );
        components.add_security_scheme(
            PRESENTER_SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A presenter link's secret, made by an admin for one poll"))
                    .build(),
            ),
        );
        for (path, item) in &mut openapi.paths.paths {
            let by_link = path.starts_with(crate::http::csrf::PRESENTER_PREFIX);
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ];
            for (method, operation) in ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
                .into_iter()
                .zip(operations)
                .filter_map(|(m, o)| o.as_mut().map(|o| (m, o)))
            {
                if operation.parameters.as_ref().is_some_and(|p| !p.is_empty()) || operation.request_body.is_some() {
                    add(operation, "400", "The request is malformed (a parameter, the JSON body or its content type)");
                }
                if operation.request_body.is_some() {
                    add(operation, "413", "The body is larger than the api accepts");
                    add(
                        operation,
                        "422",
                        "The body does not fit the schema (a missing or unknown field, a wrong type); `error.field` names it when it can",
                    );
                }
                if needs_session(path) {
                    add(operation, "401", "Not logged in");
                    add(operation, "403", "Logged in without the role this needs (analysts only read), or cross-site");
                    operation.security = Some(vec![SecurityRequirement::new(SESSION_SCHEME, Vec::<String>::new())]);
                }
                if by_link {
                    add(operation, "401", "No presenter link, or one unknown, expired or revoked");
                    operation.security = Some(vec![SecurityRequirement::new(PRESENTER_SCHEME, Vec::<String>::new())]);
                }
                if !matches!(method, "get" | "head" | "options") && !by_link {
                    add(
                        operation,
                        "403",
                        "A cross-site request (the api answers only its own pages and non-browser clients)",
                    );
                }
                if path != "/healthz" {
                    add(operation, "503", "The database is unavailable; retry shortly");
                }
            }
        }
    }
}
