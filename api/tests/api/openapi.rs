//! The OpenAPI document covers every route, and its browser UI works without the internet.

use std::path::Path;

use crate::helpers::spawn_app;

/// Every path literal given to `.route(` or `#[utoipa::path(… path = …)]` in api/src/http/routes.
fn paths_in_source() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http/routes");
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).expect("routes folder") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("read");
        for marker in [".route(\"", "path = \""] {
            for piece in text.split(marker).skip(1) {
                paths.push(piece.split('"').next().expect("closing quote").to_owned());
            }
        }
    }
    paths
}

#[tokio::test]
async fn every_route_is_in_the_openapi_document() {
    let app = spawn_app().await;
    let (_, spec) = api::documented();
    let documented: Vec<&String> = spec.paths.paths.keys().collect();

    let response = app.client.get(app.url("/api/openapi.json")).send().await.expect("request");
    assert_eq!(response.status(), 200);
    let served: serde_json::Value = response.json().await.expect("json");

    let in_source = paths_in_source();
    assert!(in_source.len() >= 6, "found {in_source:?}");
    for path in &in_source {
        assert!(documented.contains(&path), "{path} is routed but not documented");
        assert!(served["paths"].get(path).is_some(), "{path} missing from /api/openapi.json");
    }
    for path in documented {
        assert!(in_source.contains(path), "{path} documented but not routed");
    }
}

#[tokio::test]
async fn swagger_ui_is_served_with_its_assets_from_this_server() {
    let app = spawn_app().await;

    let page = app.client.get(app.url("/docs/")).send().await.expect("docs");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("swagger-ui"));
    assert!(!html.contains("https://"), "no asset from another host");
    for asset in ["/docs/swagger-ui.css", "/docs/swagger-ui-bundle.js", "/docs/swagger-initializer.js"] {
        let response = app.client.get(app.url(asset)).send().await.expect(asset);
        assert_eq!(response.status(), 200, "{asset}");
        if asset.ends_with("initializer.js") {
            assert!(response.text().await.unwrap().contains("/api/openapi.json"));
        }
    }
}

#[test]
fn every_operation_id_is_unique() {
    let (_, spec) = api::documented();
    let spec = serde_json::to_value(&spec).expect("spec as JSON");
    let mut seen = std::collections::HashMap::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let Some(id) = operation.get("operationId").and_then(|v| v.as_str()) else { continue };
            if let Some(other) = seen.insert(id.to_owned(), format!("{method} {path}")) {
                panic!("operationId {id} is used by {other} and {method} {path}");
            }
        }
    }
    assert!(seen.len() >= 10, "{seen:?}");
}

#[tokio::test]
async fn an_oversized_body_gets_413_with_the_json_error_shape() {
    let app = spawn_app().await;
    let body = format!(r#"{{"email": "a@example.org", "password": "{}"}}"#, "x".repeat(5 * 1024 * 1024));
    let response = app
        .client
        .post(app.url("/api/auth/login"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 413);
    let error: serde_json::Value = response.json().await.expect("json");
    assert_eq!(error["error"]["code"], "payload_too_large");
}

/// What schemathesis found before the contract was declared, kept as a regression test: staff
/// routes declare 401/403 and the session cookie (a deck's presenter routes 401 and the bearer
/// link), bodies declare 400/413/422, everything that may
/// need the database declares 503, and wave numbers are at least 1.
#[test]
fn every_operation_declares_what_it_can_answer() {
    let (_, spec) = api::documented();
    let spec = serde_json::to_value(&spec).expect("json");
    assert_eq!(spec["components"]["securitySchemes"]["session"]["in"], "cookie");
    assert_eq!(spec["components"]["securitySchemes"]["session"]["name"], "blw_session");
    assert_eq!(spec["components"]["securitySchemes"]["presenter_link"]["scheme"], "bearer");
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("item") {
            let declared = |status: &str| operation["responses"].get(status).is_some();
            let at = format!("{method} {path}");
            if path.starts_with("/api/admin/") {
                assert!(declared("401") && declared("403"), "{at}");
                assert_eq!(operation["security"][0]["session"], serde_json::json!([]), "{at}");
            }
            if operation.get("requestBody").is_some() {
                assert!(declared("400") && declared("413") && declared("422"), "{at}");
            }
            if path.starts_with("/api/presenter/") {
                // A deck on any site: its link authorizes, no cross-site refusal.
                assert!(declared("401"), "{at}");
                assert_eq!(operation["security"][0]["presenter_link"], serde_json::json!([]), "{at}");
            } else if method != "get" {
                assert!(declared("403"), "{at}: cross-site refusals");
            }
            if path != "/healthz" {
                assert!(declared("503"), "{at}");
            }
        }
    }
    for path in ["/api/surveys/principles", "/api/surveys/questions/{var_name}/proportions"] {
        let wave = spec["paths"][path]["get"]["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .find(|p| p["name"] == "wave")
            .expect("wave")
            .clone();
        assert_eq!(wave["schema"]["items"]["minimum"], 1, "{path}");
    }
    for path in ["/api/auth/login", "/api/polls/{slug}/responses", "/api/polls/{slug}/results/stream"] {
        let method = if path.ends_with("stream") { "get" } else { "post" };
        assert!(spec["paths"][path][method]["responses"].get("429").is_some(), "{path}: per-address limits");
    }
}
