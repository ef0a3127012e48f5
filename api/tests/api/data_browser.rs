//! The staff data browser over the real migrated data: who may read, pages, sorting and every
//! filter kind checked against direct SQL, links, CSV equal to the page, and no secret in any
//! response.

use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::polls::{open_poll, send, staff, vote};

/// The first column of each row, as text (`ORDER BY` must name table columns qualified: an
/// output column cast to text of the same name would sort as text).
async fn sql_values(app: &TestApp, sql: &str) -> Vec<Value> {
    let rows = app.db.conn.query_all_raw(Statement::from_string(DbBackend::Postgres, sql)).await.expect("sql");
    rows.iter().map(|row| json!(row.try_get_by_index::<String>(0).expect("text column"))).collect()
}

async fn sql_count(app: &TestApp, sql: &str) -> i64 {
    let row =
        app.db.conn.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await.expect("sql").expect("row");
    row.try_get_by_index::<i64>(0).expect("count")
}

async fn page(app: &TestApp, cookie: &str, query: &str) -> Value {
    let (status, body) = send(app, Method::GET, &format!("/api/admin/data/{query}"), Some(cookie), None).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body
}

/// The rows' values of `column` as text, as SQL would print them.
fn column_text(page: &Value, column: &str) -> Vec<Value> {
    page["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            json!(match &r[column] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
        })
        .collect()
}

#[tokio::test]
async fn staff_read_every_table_and_nobody_writes() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (status, _) = send(&app, Method::GET, "/api/admin/data", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    for cookie in [&staff.analyst, &staff.admin] {
        let (status, catalog) = send(&app, Method::GET, "/api/admin/data", Some(cookie), None).await;
        assert_eq!(status, StatusCode::OK, "{catalog}");
        let schemas: Vec<&str> =
            catalog["schemas"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
        assert_eq!(schemas, ["questions", "users", "surveys", "polls"]);
        let responses = &catalog["schemas"][2]["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "responses")
            .unwrap()["rows"];
        assert_eq!(responses.as_i64(), Some(sql_count(&app, "SELECT count(*) FROM surveys.responses").await));
        for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            let (status, body) =
                send(&app, method.clone(), "/api/admin/data/surveys/responses", Some(cookie), Some(json!({}))).await;
            assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {body}");
        }
    }
    let (status, _) = send(&app, Method::GET, "/api/admin/data/surveys/responses", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn pages_sorts_and_filters_agree_with_sql() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let cookie = &staff.analyst;
    let caseid =
        sql_values(&app, "SELECT min(caseid)::text FROM surveys.respondents").await[0].as_str().unwrap().to_owned();

    // Equals, sorted descending, second page of 7.
    let got = page(
        &app,
        cookie,
        &format!("surveys/responses?filter=caseid:eq:{caseid}&sort=var_name&order=desc&page=2&page_size=7"),
    )
    .await;
    let want = sql_values(
        &app,
        &format!(
            "SELECT var_name FROM surveys.responses WHERE caseid = {caseid} ORDER BY var_name DESC OFFSET 7 LIMIT 7"
        ),
    )
    .await;
    assert_eq!(column_text(&got, "var_name"), want);
    assert_eq!(
        got["total"].as_i64(),
        Some(sql_count(&app, &format!("SELECT count(*) FROM surveys.responses WHERE caseid = {caseid}")).await)
    );

    // Contains (any case, LIKE's wildcards taken literally), then the primary key for ties.
    let got = page(
        &app,
        cookie,
        "surveys/responses?filter=raw_value:contains:STRONG&filter=var_name:eq:pid7&sort=raw_value&page_size=20",
    )
    .await;
    let want = sql_values(&app, "SELECT caseid::text FROM surveys.responses WHERE raw_value ILIKE '%strong%' AND var_name = 'pid7' ORDER BY raw_value, responses.caseid, var_name LIMIT 20").await;
    assert!(!want.is_empty());
    assert_eq!(column_text(&got, "caseid"), want);
    let literal = page(&app, cookie, "surveys/responses?filter=raw_value:contains:%25").await;
    assert_eq!(
        literal["total"].as_i64(),
        Some(sql_count(&app, "SELECT count(*) FROM surveys.responses WHERE strpos(raw_value, '%') > 0").await)
    );

    // Ranges: numbers with either end, times.
    let got = page(&app, cookie, "surveys/respondents?filter=weight:range:0.5..1&sort=weight&page_size=50").await;
    let want = sql_values(&app, "SELECT caseid::text FROM surveys.respondents WHERE weight BETWEEN 0.5 AND 1 ORDER BY weight, respondents.caseid LIMIT 50").await;
    assert_eq!(column_text(&got, "caseid"), want);
    assert_eq!(
        got["total"].as_i64(),
        Some(sql_count(&app, "SELECT count(*) FROM surveys.respondents WHERE weight BETWEEN 0.5 AND 1").await)
    );
    let got = page(&app, cookie, "surveys/respondents?filter=wave:range:..14").await;
    assert_eq!(
        got["total"].as_i64(),
        Some(sql_count(&app, "SELECT count(*) FROM surveys.respondents WHERE wave <= 14").await)
    );
    let got = page(&app, cookie, "users/accounts?filter=created_at:range:2000-01-01..&filter=is_active:eq:true").await;
    assert_eq!(got["total"].as_i64(), Some(2));

    // Bad parameters: 400 naming them.
    for (query, parameter) in [
        ("surveys/nothing", "table"),
        ("nothing/responses", "table"),
        ("polls/signing_keys", "table"),
        ("surveys/responses?sort=weight", "sort"),
        ("surveys/responses?order=up", "order"),
        ("surveys/responses?filter=weight:eq:1", "filter"),
        ("surveys/responses?filter=caseid:contains:1", "filter"),
        ("surveys/responses?filter=caseid:eq:one", "filter"),
        ("surveys/responses?filter=caseid:between:1", "filter"),
        ("surveys/responses?filter=caseid:range:..", "filter"),
        ("surveys/responses?filter=caseid", "filter"),
        ("surveys/responses?page=0", "page"),
        ("surveys/responses?page=92233720368547758&page_size=200", "page"),
        ("surveys/responses?page_size=201", "page_size"),
        ("surveys/responses?limit=5", "limit"),
        ("users/accounts?sort=password_hash", "sort"),
    ] {
        let (status, body) = send(&app, Method::GET, &format!("/api/admin/data/{query}"), Some(cookie), None).await;
        assert_eq!(
            (status, body["error"]["parameter"].as_str()),
            (StatusCode::BAD_REQUEST, Some(parameter)),
            "{query}: {body}"
        );
    }

    // A page is bounded.
    let got = page(&app, cookie, "surveys/responses?page_size=200").await;
    assert_eq!(got["rows"].as_array().unwrap().len(), 200);
}

#[tokio::test]
async fn foreign_keys_are_links_both_ways_and_csv_is_the_page() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let cookie = &staff.admin;
    let responses = page(&app, cookie, "surveys/responses?page_size=5").await;
    let column = |page: &Value, name: &str| {
        page["columns"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap().clone()
    };
    assert_eq!(
        column(&responses, "caseid")["link"],
        json!({"schema": "surveys", "table": "respondents", "column": "caseid"})
    );
    assert_eq!(
        column(&responses, "var_name")["link"],
        json!({"schema": "questions", "table": "questions", "column": "var_name"})
    );
    let respondents = page(&app, cookie, "surveys/respondents?page_size=1").await;
    assert_eq!(
        column(&respondents, "caseid")["referenced_by"],
        json!([{"schema": "surveys", "table": "responses", "column": "caseid"}])
    );
    // A poll answer → its poll question: a key over two columns.
    let answers = page(&app, cookie, "polls/answers").await;
    assert_eq!(
        column(&answers, "var_name")["link"],
        json!({"schema": "polls", "table": "poll_questions", "column": "var_name", "also": [["poll_id", "poll_id"]]})
    );

    // The CSV of a view is that view's page.
    let query = "surveys/responses?filter=var_name:eq:pid3&sort=raw_value&order=desc&page=2&page_size=9";
    let shown = page(&app, cookie, query).await;
    let csv_path = query.replacen('?', "/csv?", 1);
    let response = app
        .client
        .get(app.url(&format!("/api/admin/data/{csv_path}")))
        .header("cookie", cookie.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    let text = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["caseid", "var_name", "raw_value", "response_index"]
    );
    let rows: Vec<Vec<String>> = reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
    let expected: Vec<Vec<String>> = shown["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            ["caseid", "var_name", "raw_value", "response_index"]
                .iter()
                .map(|c| match &r[*c] {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), 9);
    assert_eq!(rows, expected);
}

#[tokio::test]
async fn no_secret_leaves_through_any_table_or_csv() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (_, slug) = open_poll(&app, &staff.admin).await;
    let ballot =
        json!([{"var_name": "pid3", "response_index": 1}, {"var_name": "perf_judicial_ind", "response_index": 3}]);
    let (status, _) = vote(&app, &slug, "a-participant-token-that-is-secret", ballot).await;
    assert_eq!(status, StatusCode::CREATED);
    // What must never show: password and session-token hashes, the device key, tokens, devices.
    let secrets = [
        sql_values(&app, "SELECT password_hash FROM users.accounts").await,
        sql_values(&app, "SELECT encode(token_hash, 'hex') FROM users.sessions").await,
        sql_values(&app, "SELECT encode(secret, 'hex') FROM polls.signing_keys").await,
        sql_values(&app, "SELECT client_token FROM polls.respondents").await,
        sql_values(&app, "SELECT device_id FROM polls.respondents").await,
    ]
    .concat();
    assert!(secrets.len() >= 6, "{secrets:?}");
    let (_, catalog) = send(&app, Method::GET, "/api/admin/data", Some(&staff.admin), None).await;
    for schema in catalog["schemas"].as_array().unwrap() {
        for table in schema["tables"].as_array().unwrap() {
            let path = format!("{}/{}", schema["name"].as_str().unwrap(), table["name"].as_str().unwrap());
            let json = page(&app, &staff.admin, &format!("{path}?page_size=200")).await.to_string();
            let csv = app
                .client
                .get(app.url(&format!("/api/admin/data/{path}/csv?page_size=200")))
                .header("cookie", staff.admin.as_str())
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            for body in [&json, &csv] {
                for name in ["password_hash", "token_hash", "client_token", "device_id", "secret"] {
                    assert!(!body.contains(name), "{path} shows {name}");
                }
                for secret in &secrets {
                    let secret = secret.as_str().unwrap();
                    assert!(!body.contains(secret), "{path} shows a secret value");
                }
                assert!(!body.contains("$argon2"), "{path} shows a password hash");
            }
        }
    }
}
