//! Every route × anonymous, inactive account, analyst, admin → the expected status.

use api::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{create_account, session_cookie, spawn_app};

#[tokio::test]
async fn every_route_answers_each_role_as_specified() {
    let app = spawn_app().await;
    let admin_id = create_account(&app, "admin@matrix.org", Role::Admin).await;
    create_account(&app, "analyst@matrix.org", Role::Analyst).await;
    let inactive_id = create_account(&app, "inactive@matrix.org", Role::Admin).await;
    let admin = session_cookie(&app, "admin@matrix.org").await;
    let analyst = session_cookie(&app, "analyst@matrix.org").await;
    let inactive = session_cookie(&app, "inactive@matrix.org").await;
    let request = |method: Method, path: &str, cookie: Option<&str>, body: Option<&Value>| {
        let mut r = app.client.request(method, app.url(path));
        if let Some(c) = cookie {
            r = r.header("cookie", c);
        }
        if let Some(b) = body {
            r = r.json(b);
        }
        r.send()
    };
    let deactivate = json!({"is_active": false});
    assert_eq!(
        request(Method::PATCH, &format!("/api/admin/accounts/{inactive_id}"), Some(&admin), Some(&deactivate))
            .await
            .unwrap()
            .status(),
        200
    );
    let new_poll = json!({"title": "Matrix", "questions": [{"var_name": "pid3"}]});
    let created: Value =
        request(Method::POST, "/api/admin/polls", Some(&admin), Some(&new_poll)).await.unwrap().json().await.unwrap();
    let (poll, slug) = (created["id"].as_i64().unwrap(), created["slug"].as_str().unwrap().to_owned());
    let opened: Value =
        request(Method::PATCH, &format!("/api/admin/polls/{poll}"), Some(&admin), Some(&json!({"is_open": true})))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let code = opened["join_code"].as_str().expect("an open poll has a join code").to_owned();

    // (method, path, body, [anonymous, inactive, analyst, admin])
    let routes: Vec<(Method, String, Option<Value>, [u16; 4])> = vec![
        (Method::GET, "/healthz".into(), None, [200, 200, 200, 200]),
        (Method::GET, "/readyz".into(), None, [200, 200, 200, 200]),
        (Method::GET, "/api/batteries".into(), None, [200, 200, 200, 200]),
        (Method::GET, "/api/questions/pid3".into(), None, [200, 200, 200, 200]),
        (Method::GET, "/api/surveys/waves".into(), None, [200, 200, 200, 200]),
        (Method::GET, "/api/surveys/questions/pid7/proportions".into(), None, [200, 200, 200, 200]),
        (Method::GET, "/api/surveys/principles".into(), None, [200, 200, 200, 200]),
        (Method::GET, "/api/openapi.json".into(), None, [200, 200, 200, 200]),
        (
            Method::POST,
            "/api/auth/login".into(),
            Some(json!({"email": "nobody@matrix.org", "password": "wrong password"})),
            [401, 401, 401, 401],
        ),
        (Method::GET, "/api/auth/me".into(), None, [401, 401, 200, 200]),
        (Method::GET, "/api/admin/accounts".into(), None, [401, 401, 403, 200]),
        (
            Method::POST,
            "/api/admin/accounts".into(),
            Some(
                json!({"email": "made@matrix.org", "name": "Made", "role": "analyst", "password": "a long enough password"}),
            ),
            [401, 401, 403, 201],
        ),
        (
            Method::PATCH,
            format!("/api/admin/accounts/{admin_id}"),
            Some(json!({"name": "Renamed"})),
            [401, 401, 403, 200],
        ),
        (Method::GET, "/api/admin/polls".into(), None, [401, 401, 200, 200]),
        (Method::POST, "/api/admin/polls".into(), Some(new_poll.clone()), [401, 401, 403, 201]),
        (Method::GET, format!("/api/admin/polls/{poll}"), None, [401, 401, 200, 200]),
        (Method::PATCH, format!("/api/admin/polls/{poll}"), Some(json!({"is_open": true})), [401, 401, 403, 200]),
        (Method::GET, format!("/api/admin/polls/{poll}/responses.csv"), None, [401, 401, 200, 200]),
        (Method::GET, format!("/api/admin/polls/{poll}/activity"), None, [401, 401, 200, 200]),
        (Method::GET, format!("/api/admin/polls/{poll}/results"), None, [401, 401, 200, 200]),
        (Method::GET, format!("/api/admin/polls/{poll}/results/stream"), None, [401, 401, 200, 200]),
        (
            Method::PATCH,
            format!("/api/admin/polls/{poll}/questions/pid3"),
            Some(json!({"results_hidden": false})),
            [401, 401, 403, 200],
        ),
        (Method::GET, format!("/api/polls/join/{code}"), None, [200, 200, 200, 200]),
        (Method::GET, format!("/api/polls/{slug}"), None, [200, 200, 200, 200]),
        (Method::GET, format!("/api/polls/{slug}/results"), None, [200, 200, 200, 200]),
        (Method::GET, format!("/api/polls/{slug}/results/stream"), None, [200, 200, 200, 200]),
        (Method::DELETE, format!("/api/admin/polls/{poll}"), None, [401, 401, 403, 204]),
        (Method::POST, "/api/auth/logout".into(), None, [204, 204, 204, 204]),
    ];
    let roles = [
        ("anonymous", None),
        ("inactive", Some(inactive.as_str())),
        ("analyst", Some(analyst.as_str())),
        ("admin", Some(admin.as_str())),
    ];
    // Roles in this order: only the last (admin) deletes the poll, so it exists for the others.
    for (r, (role, cookie)) in roles.iter().enumerate() {
        // Ballots are public: each role votes once with its own token.
        let ballot = json!({"client_token": format!("matrix-token-{role}"), "answers": [{"var_name": "pid3", "response_index": 0}]});
        let status = request(Method::POST, &format!("/api/polls/{slug}/responses"), *cookie, Some(&ballot))
            .await
            .unwrap()
            .status();
        assert_eq!(status.as_u16(), 201, "{role} POST ballot");
        for (method, path, body, expected) in &routes {
            let got = request(method.clone(), path, *cookie, body.as_ref()).await.unwrap().status().as_u16();
            assert_eq!(got, expected[r], "{role} {method} {path}");
        }
    }
}
