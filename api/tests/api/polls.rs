//! Live polls: building them, answering them, results (live, and after a restart), roles.

use api::Role;
use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, create_account, session_cookie, settings_for, spawn_app, spawn_app_with};

pub(crate) struct Staff {
    pub(crate) admin: String,
    pub(crate) analyst: String,
}

pub(crate) async fn staff(app: &TestApp) -> Staff {
    create_account(app, "admin@test.org", Role::Admin).await;
    create_account(app, "analyst@test.org", Role::Analyst).await;
    Staff { admin: session_cookie(app, "admin@test.org").await, analyst: session_cookie(app, "analyst@test.org").await }
}

pub(crate) async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    cookie: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = app.client.request(method, app.url(path));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// An open poll on pid3 (split) and perf_judicial_ind offering three responses.
/// A ballot answering both questions of `open_poll`'s poll, varied by `i`.
pub(crate) fn ballot(i: usize) -> Value {
    let judicial = [3, 2, 0][i % 3];
    json!([{"var_name": "pid3", "response_index": i % 4}, {"var_name": "perf_judicial_ind", "response_index": judicial}])
}

pub(crate) async fn open_poll(app: &TestApp, admin: &str) -> (i64, String) {
    let (status, poll) = send(
        app,
        reqwest::Method::POST,
        "/api/admin/polls",
        Some(admin),
        Some(json!({
            "title": "Judges & parties",
            "questions": [
                {"var_name": "pid3", "response_indices": [0, 1, 2, 3]},
                {"var_name": "perf_judicial_ind", "response_indices": [3, 2, 0]}
            ],
            "split_by": "pid3"
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{poll}");
    let id = poll["id"].as_i64().unwrap();
    set_open(app, admin, id, true).await;
    (id, poll["slug"].as_str().unwrap().to_owned())
}

/// Opens or closes a poll as `admin`; it must succeed.
pub(crate) async fn set_open(app: &TestApp, admin: &str, id: i64, is_open: bool) {
    let path = format!("/api/admin/polls/{id}");
    let (status, body) =
        send(app, reqwest::Method::PATCH, &path, Some(admin), Some(json!({ "is_open": is_open }))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// A poll's CSV export as `cookie` gets it (checked to be CSV).
pub(crate) async fn responses_csv(app: &TestApp, cookie: &str, id: i64) -> String {
    let response = app
        .client
        .get(app.url(&format!("/api/admin/polls/{id}/responses.csv")))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    response.text().await.unwrap()
}

pub(crate) async fn vote(app: &TestApp, slug: &str, token: &str, answers: Value) -> (StatusCode, Value) {
    send(
        app,
        reqwest::Method::POST,
        &format!("/api/polls/{slug}/responses"),
        None,
        Some(json!({"client_token": token, "answers": answers})),
    )
    .await
}

#[tokio::test]
async fn poll_validation_names_the_offending_field() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    for (body, field) in [
        (json!({"title": "T", "questions": []}), "questions"),
        (json!({"title": " ", "questions": [{"var_name": "pid3"}]}), "title"),
        (json!({"title": "T", "questions": [{"var_name": "imp_nothing"}]}), "questions[0].var_name"),
        (
            json!({"title": "T", "questions": [{"var_name": "pid3", "response_indices": [0, 9]}]}),
            "questions[0].response_indices",
        ),
        (
            json!({"title": "T", "questions": [{"var_name": "pid3", "response_indices": [1, 1]}]}),
            "questions[0].response_indices",
        ),
        (json!({"title": "T", "questions": [{"var_name": "pid3"}, {"var_name": "pid3"}]}), "questions[1].var_name"),
        (json!({"title": "T", "questions": [{"var_name": "pid3"}], "split_by": "ideo7"}), "split_by"),
    ] {
        let (status, error) =
            send(&app, reqwest::Method::POST, "/api/admin/polls", Some(&staff.admin), Some(body.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {error}");
        assert_eq!(error["error"]["field"], field, "{body}");
    }
}

#[tokio::test]
async fn participants_vote_once_per_token_and_results_count_them() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, slug) = open_poll(&app, &staff.admin).await;

    let (status, poll) = send(&app, reqwest::Method::GET, &format!("/api/polls/{slug}"), None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(poll["questions"][1]["responses"][0], json!({"index": 3, "response": "Fully meets"}));
    assert!(poll["questions"][1]["battery_prefix"].as_str().unwrap().starts_with("How well"));

    let ballot =
        json!([{"var_name": "pid3", "response_index": 0}, {"var_name": "perf_judicial_ind", "response_index": 3}]);
    let (first, receipt) = vote(&app, &slug, "token-aaaa-1", ballot.clone()).await;
    let (again, same) = vote(
        &app,
        &slug,
        "token-aaaa-1",
        json!([{"var_name": "pid3", "response_index": 1}, {"var_name": "perf_judicial_ind", "response_index": 0}]),
    )
    .await;
    vote(
        &app,
        &slug,
        "token-bbbb-2",
        json!([{"var_name": "pid3", "response_index": 1}, {"var_name": "perf_judicial_ind", "response_index": 0}]),
    )
    .await;
    vote(
        &app,
        &slug,
        "token-cccc-3",
        json!([{"var_name": "pid3", "response_index": 0}, {"var_name": "perf_judicial_ind", "response_index": 0}]),
    )
    .await;

    assert_eq!((first, again), (StatusCode::CREATED, StatusCode::OK));
    assert_eq!(receipt["respondent_id"], same["respondent_id"]);
    let (_, results) = send(&app, reqwest::Method::GET, &format!("/api/polls/{slug}/results"), None, None).await;
    assert_eq!(results["respondents"], 3);
    let judicial = &results["questions"][1];
    assert_eq!(judicial["overall"]["counts"], json!([1, 0, 2]), "offered order: Fully, Mostly, Does not");
    assert_eq!(judicial["overall"]["n"], 3);
    let democrats = judicial["groups"].as_array().unwrap().iter().find(|g| g["group"] == "Democrat").unwrap();
    assert_eq!(democrats["counts"], json!([1, 0, 1]));
    assert_eq!(democrats["shares"], json!([0.5, 0.0, 0.5]));
    // The nation's answers wait until the questions stop taking answers (the room answers first).
    assert_eq!(judicial["national"], Value::Null, "{judicial}");
    set_open(&app, &staff.admin, id, false).await;
    let (_, results) = send(&app, reqwest::Method::GET, &format!("/api/polls/{slug}/results"), None, None).await;
    let judicial = &results["questions"][1];
    assert_eq!(judicial["national"]["wave"], 23);
    assert_eq!(judicial["national"]["shares"].as_array().unwrap().len(), 3);
    assert!(judicial["national"]["groups"].as_array().unwrap().iter().any(|g| g["group"] == "Republican"));
}

#[tokio::test]
async fn bad_ballots_are_refused_with_the_field_and_closed_polls_with_409() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, slug) = open_poll(&app, &staff.admin).await;

    for (answers, field) in [
        (json!([{"var_name": "ideo7", "response_index": 0}]), "answers[0].var_name"),
        (json!([{"var_name": "perf_judicial_ind", "response_index": 1}]), "answers[0].response_index"),
        (
            json!([{"var_name": "pid3", "response_index": 0}, {"var_name": "pid3", "response_index": 1}]),
            "answers[1].var_name",
        ),
        (json!([]), "answers"),
        // A ballot answers every question, as the poll page requires.
        (json!([{"var_name": "pid3", "response_index": 0}]), "answers"),
    ] {
        let (status, error) = vote(&app, &slug, "token-bad-1", answers.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answers}");
        assert_eq!(error["error"]["field"], field, "{answers}");
    }
    let (status, _) = vote(&app, &slug, "short", json!([{"var_name": "pid3", "response_index": 0}])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    set_open(&app, &staff.admin, id, false).await;
    let (status, error) = vote(&app, &slug, "token-late-1", json!([{"var_name": "pid3", "response_index": 0}])).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    let (status, _) =
        vote(&app, "no-such-poll", "token-late-1", json!([{"var_name": "pid3", "response_index": 0}])).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// One frame of an event stream: its event name, id and data.
pub(crate) type Frame = (String, Option<String>, Value);

/// The frame an SSE block (`event:`, `id:`, `data:` lines) carries; `None` for a comment or a
/// `retry:` alone.
pub(crate) fn sse_frame(block: &str) -> Option<Frame> {
    let field = |name: &str| block.lines().find_map(|l| l.strip_prefix(name)).map(str::to_owned);
    let (event, data) = (field("event: ")?, field("data: ")?);
    Some((event, field("id: "), serde_json::from_str(&data).expect("JSON data")))
}

/// The total a live frame says: a snapshot's, or a delta's when it changed.
pub(crate) fn frame_total(value: &Value) -> Option<i64> {
    value["respondents"].as_i64().or_else(|| value["set"]["respondents"].as_i64())
}

/// A stream's frames as they arrive, read in the background.
pub(crate) fn sse_frames(response: reqwest::Response) -> tokio::sync::mpsc::UnboundedReceiver<Frame> {
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut stream = response.bytes_stream();
        let mut buffer = String::new();
        while let Some(Ok(chunk)) = stream.next().await {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let block: String = buffer.drain(..end + 2).collect();
                if let Some(frame) = sse_frame(&block)
                    && sender.send(frame).is_err()
                {
                    return;
                }
            }
        }
    });
    receiver
}

/// Reads SSE events (name, data) until `done` says the list is complete. A `delta` is folded
/// into the results held as a page folds it, and listed as `update` with the whole results.
pub(crate) async fn read_events_until(
    response: reqwest::Response,
    done: impl Fn(&[(String, Value)]) -> bool,
) -> Vec<(String, Value)> {
    let mut frames = sse_frames(response);
    let (mut events, mut held) = (Vec::new(), Value::Null);
    while !done(&events) {
        let (name, _, data) = tokio::time::timeout(std::time::Duration::from_secs(10), frames.recv())
            .await
            .expect("an event within 10 s")
            .expect("stream open");
        if name == "delta" {
            let set = data["set"].as_object().expect("set");
            assert!(api::apply_delta(&mut held, set), "a delta that fits: {data}");
            events.push(("update".to_owned(), held.clone()));
        } else {
            held = data.clone();
            events.push((name, data));
        }
    }
    events
}

pub(crate) async fn read_events(response: reqwest::Response, count: usize) -> Vec<(String, Value)> {
    read_events_until(response, |events| events.len() >= count).await
}

async fn read_until_closed(response: reqwest::Response) -> Vec<(String, Value)> {
    read_events_until(response, |events| events.last().is_some_and(|(name, _)| name == "closed")).await
}

#[tokio::test]
async fn the_stream_sends_a_snapshot_then_updates_then_closed() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, slug) = open_poll(&app, &staff.admin).await;
    let response = app.client.get(app.url(&format!("/api/polls/{slug}/results/stream"))).send().await.unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let reader = tokio::spawn(read_events(response, 3));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    vote(
        &app,
        &slug,
        "token-live-1",
        json!([{"var_name": "pid3", "response_index": 2}, {"var_name": "perf_judicial_ind", "response_index": 2}]),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    set_open(&app, &staff.admin, id, false).await;

    let events = reader.await.unwrap();
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["snapshot", "update", "closed"]);
    assert_eq!(events[0].1["respondents"], 0);
    assert_eq!(events[1].1["respondents"], 1);
    assert_eq!(events[2].1["is_open"], false);
}

#[tokio::test]
async fn results_after_a_restart_equal_results_before() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (_, slug) = open_poll(&app, &staff.admin).await;
    for (i, index) in [0, 1, 1, 2, 3].into_iter().enumerate() {
        let ballot = json!([{"var_name": "pid3", "response_index": index}, {"var_name": "perf_judicial_ind", "response_index": 3}]);
        vote(&app, &slug, &format!("token-restart-{i}"), ballot).await;
    }
    let (_, before) = send(&app, reqwest::Method::GET, &format!("/api/polls/{slug}/results"), None, None).await;

    let restarted = api::Application::build(settings_for(&app.db)).await.expect("restart");
    let address = restarted.address().unwrap();
    tokio::spawn(restarted.serve());
    let after: Value = app
        .client
        .get(format!("http://{address}/api/polls/{slug}/results"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(before, after);
    assert_eq!(after["respondents"], 5);
}

#[tokio::test]
async fn poll_routes_by_role() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, slug) = open_poll(&app, &staff.admin).await;
    let inactive_id = create_account(&app, "gone@test.org", Role::Admin).await;
    let inactive = session_cookie(&app, "gone@test.org").await;
    send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/admin/accounts/{inactive_id}"),
        Some(&staff.admin),
        Some(json!({"is_active": false})),
    )
    .await;
    let new_poll = json!({"title": "Another", "questions": [{"var_name": "ideo7"}]});
    use reqwest::Method as M;
    let routes: Vec<(M, String, Option<Value>)> = vec![
        (M::GET, "/api/admin/polls".into(), None),
        (M::POST, "/api/admin/polls".into(), Some(new_poll)),
        (M::GET, format!("/api/admin/polls/{id}"), None),
        (M::PATCH, format!("/api/admin/polls/{id}"), Some(json!({"is_open": true}))),
        (M::GET, format!("/api/admin/polls/{id}/responses.csv"), None),
        (M::GET, format!("/api/polls/{slug}"), None),
        (M::GET, format!("/api/polls/{slug}/results"), None),
    ];
    let expected: [(&str, Option<&str>, [u16; 7]); 4] = [
        ("anonymous", None, [401, 401, 401, 401, 401, 200, 200]),
        ("inactive", Some(&inactive), [401, 401, 401, 401, 401, 200, 200]),
        ("analyst", Some(&staff.analyst), [200, 403, 200, 403, 200, 200, 200]),
        ("admin", Some(&staff.admin), [200, 201, 200, 200, 200, 200, 200]),
    ];
    for (who, cookie, statuses) in expected {
        for ((method, path, body), status) in routes.iter().zip(statuses) {
            let (got, _) = send(&app, method.clone(), path, cookie, body.clone()).await;
            assert_eq!(got.as_u16(), status, "{who} {method} {path}");
        }
    }
    let (status, _) = send(&app, M::DELETE, &format!("/api/admin/polls/{id}"), Some(&staff.analyst), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn deleting_a_poll_removes_its_rows_and_csv_exports_answers() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, slug) = open_poll(&app, &staff.admin).await;
    vote(
        &app,
        &slug,
        "token-csv-01",
        json!([{"var_name": "pid3", "response_index": 1}, {"var_name": "perf_judicial_ind", "response_index": 2}]),
    )
    .await;
    vote(
        &app,
        &slug,
        "token-csv-02",
        json!([{"var_name": "pid3", "response_index": 0}, {"var_name": "perf_judicial_ind", "response_index": 3}]),
    )
    .await;

    let text = responses_csv(&app, &staff.analyst, id).await;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "respondent_id,submitted_at,pid3,perf_judicial_ind");
    assert!(lines[1].ends_with(",Republican,Mostly meets"), "{}", lines[1]);
    assert!(lines[2].ends_with(",Democrat,Fully meets"), "{}", lines[2]);

    let (status, _) =
        send(&app, reqwest::Method::DELETE, &format!("/api/admin/polls/{id}"), Some(&staff.admin), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    use sea_orm::ConnectionTrait;
    for table in ["polls.polls", "polls.poll_questions", "polls.respondents", "polls.answers"] {
        let row = app
            .db
            .conn
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                format!("SELECT count(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get::<i64>("", "n").unwrap(), 0, "{table}");
    }
    let (status, _) = send(&app, reqwest::Method::GET, &format!("/api/polls/{slug}"), None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn live_results_added_vote_by_vote_equal_the_database_results() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, slug) = open_poll(&app, &staff.admin).await;
    vote(
        &app,
        &slug,
        "token-before-1",
        json!([{"var_name": "pid3", "response_index": 3}, {"var_name": "perf_judicial_ind", "response_index": 0}]),
    )
    .await;
    let response = app.client.get(app.url(&format!("/api/polls/{slug}/results/stream"))).send().await.unwrap();
    let reader = tokio::spawn(read_until_closed(response));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    let ballots = [
        json!([{"var_name": "pid3", "response_index": 0}, {"var_name": "perf_judicial_ind", "response_index": 3}]),
        json!([{"var_name": "pid3", "response_index": 1}, {"var_name": "perf_judicial_ind", "response_index": 0}]),
        json!([{"var_name": "pid3", "response_index": 3}, {"var_name": "perf_judicial_ind", "response_index": 2}]),
        json!([{"var_name": "pid3", "response_index": 2}, {"var_name": "perf_judicial_ind", "response_index": 3}]),
        json!([{"var_name": "pid3", "response_index": 3}, {"var_name": "perf_judicial_ind", "response_index": 2}]),
        json!([{"var_name": "pid3", "response_index": 0}, {"var_name": "perf_judicial_ind", "response_index": 0}]),
    ];
    let tokens: Vec<String> = (0..ballots.len()).map(|i| format!("token-live-{i:02}")).collect();
    let votes = ballots.iter().zip(&tokens).map(|(b, token)| vote(&app, &slug, token, b.clone()));
    futures_util::future::join_all(votes).await;
    vote(
        &app,
        &slug,
        "token-live-00",
        json!([{"var_name": "pid3", "response_index": 1}, {"var_name": "perf_judicial_ind", "response_index": 2}]),
    )
    .await; // repeat: no change
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    set_open(&app, &staff.admin, id, false).await;

    let events = reader.await.unwrap();
    let (_, from_database) = send(&app, reqwest::Method::GET, &format!("/api/polls/{slug}/results"), None, None).await;
    let (name, last) = events.last().unwrap();
    assert_eq!(name, "closed");
    assert_eq!(last, &from_database);
    assert_eq!(last["respondents"], 7);
    assert_eq!(events[0].1["respondents"], 1, "the snapshot counts the vote before subscribing");
}

#[tokio::test]
async fn an_idle_stream_sends_heartbeats() {
    let app = spawn_app_with(|s| s.sse_heartbeat = std::time::Duration::from_secs(1)).await;
    let staff = staff(&app).await;
    let (_, slug) = open_poll(&app, &staff.admin).await;
    let response = app.client.get(app.url(&format!("/api/polls/{slug}/results/stream"))).send().await.unwrap();
    let mut stream = response.bytes_stream();

    let mut text = String::new();
    while !text.contains(": heartbeat\n\n") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), stream.next())
            .await
            .expect("a heartbeat within 5 s")
            .expect("stream open")
            .expect("chunk");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }

    // When to reconnect (spread per stream), then the snapshot.
    let (retry, rest) = text.split_once("\n\n").unwrap();
    let after: u32 = retry.strip_prefix("retry: ").expect("a retry: first").parse().unwrap();
    assert!((250..=1500).contains(&after), "{after}");
    assert!(rest.starts_with("event: snapshot\n"), "the snapshot comes next");
}

#[tokio::test]
async fn a_new_stream_resumes_from_the_id_in_its_address_and_unknown_parameters_are_refused() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (_, slug) = open_poll(&app, &staff.admin).await;
    let ballot =
        json!([{"var_name": "pid3", "response_index": 0}, {"var_name": "perf_judicial_ind", "response_index": 3}]);
    vote(&app, &slug, "resume-query-1", ballot.clone()).await;
    let stream = |query: &str| app.client.get(app.url(&format!("/api/polls/{slug}/results/stream{query}"))).send();

    let first = sse_frames(stream("").await.unwrap()).recv().await.expect("a snapshot");
    let id = first.1.expect("an id");
    vote(&app, &slug, "resume-query-2", ballot).await;
    let resumed = stream(&format!("?last_event_id={id}")).await.unwrap();
    assert_eq!(resumed.status(), StatusCode::OK);
    let (event, _, data) = sse_frames(resumed).recv().await.expect("a snapshot");
    assert_eq!(event, "snapshot");
    assert!(data["respondents"].as_u64().unwrap() >= 1, "{data}");

    let refused = stream("?last_event=1").await.unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["parameter"], "last_event");
}
