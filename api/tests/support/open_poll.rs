//! An admin and an open poll on a running api, made through its HTTP API as a presenter would,
//! for the test binaries that drive a whole process (or a proxy in front of one). Included by path.

use serde_json::{Value, json};
use testkit::TestDatabase;

const PASSWORD: &str = "correct horse battery";

/// Creates an admin in `db`, logs in at `base`, creates a poll titled `title` on pid3 (two
/// responses) and opens it; returns the admin's session cookie, the poll's id and its slug.
pub async fn admin_with_open_poll(db: &TestDatabase, base: &str, title: &str) -> (String, i64, String) {
    let admin = api::NewAccount {
        email: "admin@test.org".to_owned(),
        name: "Admin".to_owned(),
        role: api::Role::Admin,
        password: PASSWORD.to_owned(),
    };
    api::create_account(&db.conn, admin).await.expect("admin");
    let client = reqwest::Client::new();
    let login = client
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"email": "admin@test.org", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let poll: Value = client
        .post(format!("{base}/api/admin/polls"))
        .header("cookie", &cookie)
        .json(&json!({"title": title, "questions": [{"var_name": "pid3", "response_indices": [0, 1]}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (id, slug) = (poll["id"].as_i64().unwrap(), poll["slug"].as_str().unwrap().to_owned());
    let opened = client
        .patch(format!("{base}/api/admin/polls/{id}"))
        .header("cookie", &cookie)
        .json(&json!({"is_open": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), reqwest::StatusCode::OK);
    (cookie, id, slug)
}
