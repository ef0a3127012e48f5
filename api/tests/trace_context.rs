//! W3C trace context: a request sent with a `traceparent` logs that trace id — beside its
//! `x-request-id` — on every line it causes (JSON logs), so a request is followed from the load
//! balancer into the api. Its own test binary: it reads the log of a process of its own.

#[path = "support/open_poll.rs"]
mod open_poll;
#[path = "support/running_api.rs"]
#[allow(dead_code)]
mod running_api;

use std::process::Stdio;

use running_api::RunningApi;
use testkit::TestDatabase;

#[tokio::test]
async fn every_log_line_of_a_request_carries_its_trace_id() {
    let db = TestDatabase::create().await;
    let log_path = tempfile::NamedTempFile::new().unwrap().into_temp_path();
    let log = std::fs::File::create(&log_path).unwrap();
    let env = [("LOG_FORMAT", "json"), ("RUST_LOG", "info,sqlx=warn,sea_orm=warn"), ("METRICS_ADDR", "off")];
    let api = RunningApi::start_logging(&db, &env, Stdio::from(log)).await;
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    // A failed login logs inside the request (the attempt, its failure, the response).
    let response = reqwest::Client::new()
        .post(api.url("/api/auth/login"))
        .header("traceparent", format!("00-{trace}-00f067aa0ba902b7-01"))
        .json(&serde_json::json!({"email": "nobody@example.org", "password": "not the password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let request_id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let text = std::fs::read_to_string(&log_path).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|l: &serde_json::Value| l.to_string().contains(&request_id))
        .collect();
    assert!(!lines.is_empty(), "the request's lines:\n{text}");
    for line in &lines {
        assert!(line.to_string().contains(trace), "a line of the request without its trace id: {line}");
    }
    assert!(lines.iter().any(|l| l.to_string().contains("failed login")), "{text}");

    // A ballot: the line of the batch that committed it names its trace id.
    let client = reqwest::Client::new();
    let (_, _, slug) = open_poll::admin_with_open_poll(&db, &api.url(""), "Traced").await;
    let ballot_trace = "0af7651916cd43dd8448eb211c80319c";
    let voted = client
        .post(api.url(&format!("/api/polls/{slug}/responses")))
        .header("traceparent", format!("00-{ballot_trace}-b7ad6b7169203331-01"))
        .json(&serde_json::json!({"client_token": "traced-ballot-1", "answers": [{"var_name": "pid3", "response_index": 0}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(voted.status(), 201);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let text = std::fs::read_to_string(&log_path).unwrap();
    let batch = text.lines().find(|l| l.contains("ballot batch written") && l.contains(ballot_trace));
    assert!(batch.is_some(), "the batch's line names the ballot's trace id:\n{text}");
    drop(api);
}
