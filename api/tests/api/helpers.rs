use std::net::SocketAddr;

use api::{Application, Settings};
use testkit::TestDatabase;

pub struct TestApp {
    pub address: SocketAddr,
    /// Where `/metrics` is served, when the settings gave it an address.
    pub metrics: Option<SocketAddr>,
    /// Owned so the database lives (and is dropped) with the app.
    #[allow(dead_code)]
    pub db: TestDatabase,
    pub client: reqwest::Client,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }
}

pub fn settings_for(db: &TestDatabase) -> Settings {
    Settings::for_tests(db.url.clone())
}

/// A fresh database, migrated with the in-repo data, and the app serving it on a free port.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// As [`spawn_app`], with settings adjusted first.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let db = TestDatabase::create().await;
    let mut settings = settings_for(&db);
    adjust(&mut settings);
    let app = Application::build(settings).await.expect("build app");
    let address = app.address().expect("address");
    let metrics = app.metrics_address();
    tokio::spawn(app.serve());
    TestApp { address, metrics, db, client: reqwest::Client::new() }
}

pub const PASSWORD: &str = "correct horse battery";

/// An account made directly through the accounts service.
pub async fn create_account(app: &TestApp, email: &str, role: api::Role) -> i32 {
    let new =
        api::NewAccount { email: email.to_owned(), name: format!("Test {email}"), role, password: PASSWORD.to_owned() };
    api::create_account(&app.db.conn, new).await.expect("create account").id
}

pub async fn login(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/auth/login"))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await
        .expect("login request")
}

/// Logs in and returns the `Cookie` header value for the session.
pub async fn session_cookie(app: &TestApp, email: &str) -> String {
    let response = login(app, email, PASSWORD).await;
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    let set_cookie = response.headers()["set-cookie"].to_str().expect("cookie").to_owned();
    set_cookie.split(';').next().expect("cookie pair").to_owned()
}
