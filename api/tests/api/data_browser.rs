//! The staff data browser over the real migrated data: who may read, pages, sorting and every
//! filter kind checked against direct SQL, links, CSV equal to the whole view (every page of it,
//! streamed, up to its maximum), and no secret in any response.

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
async fn foreign_keys_are_links_both_ways_and_csv_is_the_whole_view() {
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

    // The CSV of a view is the whole view (`page` and `page_size` accepted, no longer limiting):
    // the page shown is its slice at the page's offset, and every row is there in the view's order.
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
    assert_eq!(response.headers()["content-disposition"], "attachment; filename=\"surveys-responses.csv\"");
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
    assert_eq!(expected.len(), 9);
    assert_eq!(rows[9..18], expected);
    assert_eq!(Some(rows.len() as i64), shown["total"].as_i64());
    assert!(rows.len() > 1_000, "more than one batch: {}", rows.len());
    let want = sql_values(
        &app,
        "SELECT caseid::text FROM surveys.responses WHERE var_name = 'pid3' \
         ORDER BY raw_value DESC, responses.caseid DESC, responses.var_name DESC",
    )
    .await;
    assert_eq!(rows.iter().map(|r| json!(r[0])).collect::<Vec<_>>(), want);
    assert!(rows.iter().all(|r| r[1] == "pid3"));
}

/// The CSV at `query` (`schema/table?…`) as `cookie` gets it: its status, headers and text.
async fn csv_of(app: &TestApp, cookie: Option<&str>, query: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let csv_path = if query.contains('?') { query.replacen('?', "/csv?", 1) } else { format!("{query}/csv") };
    let mut request = app.client.get(app.url(&format!("/api/admin/data/{csv_path}")));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    (status, headers, response.text().await.unwrap())
}

#[tokio::test]
async fn csv_streams_every_row_of_a_filtered_view_in_order_without_secrets() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (kept, _) = open_poll(&app, &staff.admin).await;
    let (other, _) = open_poll(&app, &staff.admin).await;
    // 2,345 respondents of one poll (three batches of 1,000 or fewer, twelve pages of 200) with many
    // equal times (the primary key orders them), some without a client key; 300 of another poll.
    for (poll, count) in [(kept, 2_345), (other, 300)] {
        let sql = format!(
            "INSERT INTO polls.respondents (poll_id, client_token, created_at, device_id, client_key)
             SELECT {poll}, 'secret-token-{poll}-' || i, timestamptz '2026-01-01' + (i % 97) * interval '1 minute',
                    md5('device-{poll}-' || i), CASE WHEN i % 10 = 0 THEN NULL ELSE substr(md5('key' || i), 1, 16) END
             FROM generate_series(1, {count}) i"
        );
        app.db.conn.execute_raw(Statement::from_string(DbBackend::Postgres, sql)).await.expect("insert respondents");
    }
    let view = format!("polls/respondents?filter=poll_id:eq:{kept}&sort=created_at&order=desc");

    // Staff only.
    let (status, _, _) = csv_of(&app, None, &view).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The file: a header of the browsable columns, then every matching row.
    let (status, headers, text) = csv_of(&app, Some(&staff.analyst), &format!("{view}&page=3&page_size=25")).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(headers["content-disposition"], "attachment; filename=\"polls-respondents.csv\"");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), ["id", "poll_id", "created_at", "client_key"]);
    let rows: Vec<Vec<String>> = reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
    assert_eq!(rows.len(), 2_345);
    assert!(rows.iter().all(|r| r[1] == kept.to_string()), "the filter applies to every row");
    // In the view's order (the time descending, then the id), as SQL has it…
    let want = sql_values(
        &app,
        &format!(
            "SELECT id::text FROM polls.respondents WHERE poll_id = {kept} \
             ORDER BY created_at DESC, respondents.id DESC"
        ),
    )
    .await;
    assert_eq!(rows.iter().map(|r| json!(r[0])).collect::<Vec<_>>(), want);
    // …and cell for cell what the JSON pages of the same view show, one after another.
    let mut paged: Vec<Vec<String>> = Vec::new();
    for number in 1..=12 {
        let got = page(&app, &staff.analyst, &format!("{view}&page={number}&page_size=200")).await;
        assert_eq!(got["csv_max_rows"], 100_000);
        for row in got["rows"].as_array().unwrap() {
            paged.push(
                ["id", "poll_id", "created_at", "client_key"]
                    .iter()
                    .map(|c| match &row[*c] {
                        Value::String(s) => s.clone(),
                        Value::Null => String::new(),
                        other => other.to_string(),
                    })
                    .collect(),
            );
        }
    }
    assert_eq!(rows, paged);
    assert!(rows.iter().any(|r| r[3].is_empty()), "a null client key is an empty cell");

    // No secret: neither the hidden columns' names nor their values.
    for name in ["client_token", "device_id", "secret-token"] {
        assert!(!text.contains(name), "the CSV shows {name}");
    }
    for device in sql_values(&app, "SELECT device_id FROM polls.respondents").await {
        assert!(!text.contains(device.as_str().unwrap()), "the CSV shows a device id");
    }

    // An empty view: the header alone.
    let (status, _, text) =
        csv_of(&app, Some(&staff.admin), &format!("polls/respondents?filter=poll_id:eq:{}", other + kept)).await;
    assert_eq!((status, text.as_str()), (StatusCode::OK, "id,poll_id,created_at,client_key\n"));
}

#[tokio::test]
async fn a_view_larger_than_the_csv_maximum_is_refused_before_any_row() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let total = sql_count(&app, "SELECT count(*) FROM surveys.responses").await;
    assert!(total > 100_000, "{total}");
    let (status, headers, text) = csv_of(&app, Some(&staff.analyst), "surveys/responses?sort=raw_value").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(headers["content-type"].to_str().unwrap().starts_with("application/json"));
    assert!(headers.get("content-disposition").is_none());
    let body: Value = serde_json::from_str(&text).unwrap();
    let grouped = format!("{},{:03}", total / 1_000, total % 1_000);
    assert_eq!(body["error"]["parameter"], "filter");
    assert_eq!(
        body["error"]["message"],
        format!("this view has {grouped} rows; a CSV download holds at most 100,000: add a filter to narrow it")
    );
    // Filtered under the maximum, the same table downloads.
    let pid3 = sql_count(&app, "SELECT count(*) FROM surveys.responses WHERE var_name = 'pid3'").await;
    let (status, _, text) = csv_of(&app, Some(&staff.analyst), "surveys/responses?filter=var_name:eq:pid3").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text.lines().count() as i64, pid3 + 1);
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
