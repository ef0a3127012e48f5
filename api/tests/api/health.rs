use crate::helpers::spawn_app;

#[tokio::test]
async fn healthz_reports_the_database_reachable() {
    let app = spawn_app().await;

    let response = app.client.get(app.url("/healthz")).send().await.expect("request");

    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body, serde_json::json!({"status": "ok", "database": "ok"}));
}

#[tokio::test]
async fn an_unknown_path_gets_a_json_404() {
    let app = spawn_app().await;

    let response = app.client.get(app.url("/no/such/thing")).send().await.expect("request");

    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.expect("json error body");
    assert_eq!(body["error"]["code"], "not_found");
}
