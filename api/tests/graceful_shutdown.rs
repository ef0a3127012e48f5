//! SIGTERM, as an orchestrator or a rolling restart sends it, to the real binary with watchers
//! connected: `/readyz` turns 503 at once while everything else is served on for the drain
//! period (a ballot during it is acknowledged and reaches the screens), then every event stream
//! gets a last `retry:` — each its own, spread over more than a second — and ends, and the
//! process exits 0. Its own test binary: it signals a process of its own.

#[path = "support/open_poll.rs"]
mod open_poll;
#[path = "support/running_api.rs"]
#[allow(dead_code)]
mod running_api;

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::TestDatabase;

use running_api::RunningApi;

const DRAIN: Duration = Duration::from_secs(2);
const WATCHERS: usize = 20;

/// What a watcher read: the whole text, and when its stream ended.
struct Watched {
    text: String,
    ended_at: Instant,
}

/// The `retry:` values in a stream's text, in order.
fn retries(text: &str) -> Vec<u32> {
    text.lines().filter_map(|l| l.strip_prefix("retry: ")).map(|v| v.parse().expect("a number")).collect()
}

#[tokio::test]
async fn sigterm_drains_then_ends_streams_with_spread_retries_and_exits_cleanly() {
    let db = TestDatabase::create().await;
    let api = RunningApi::start(&db, &[("SHUTDOWN_DRAIN_SECONDS", "2")]).await;
    let client = reqwest::Client::new();
    let (_, _, slug) = open_poll::admin_with_open_poll(&db, &api.url(""), "Drain").await;

    let mut watchers = Vec::new();
    for _ in 0..WATCHERS {
        let response = client.get(api.url(&format!("/api/polls/{slug}/results/stream"))).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        watchers.push(tokio::spawn(async move {
            let mut body = response.bytes_stream();
            let mut text = String::new();
            while let Some(Ok(chunk)) = body.next().await {
                text.push_str(&String::from_utf8_lossy(&chunk));
            }
            Watched { text, ended_at: Instant::now() }
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    let pid = api.child.id().to_string();
    let signalled = Instant::now();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());

    // Not ready at once (within a check's time), alive and serving all the same.
    let mut not_ready = None;
    while signalled.elapsed() < Duration::from_secs(1) {
        let response = client.get(api.url("/readyz")).send().await.unwrap();
        if response.status() == StatusCode::SERVICE_UNAVAILABLE {
            not_ready = Some(response.json::<Value>().await.unwrap());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let not_ready = not_ready.expect("/readyz says 503 within a second of SIGTERM");
    assert_eq!(not_ready["error"]["message"], "not ready: shutting down");
    assert_eq!(client.get(api.url("/healthz")).send().await.unwrap().status(), StatusCode::OK);
    let ballot = json!({"client_token": "during-the-drain-1", "answers": [{"var_name": "pid3", "response_index": 1}]});
    let voted = client.post(api.url(&format!("/api/polls/{slug}/responses"))).json(&ballot).send().await.unwrap();
    assert_eq!(voted.status(), StatusCode::CREATED, "a ballot during the drain is taken");

    // The process ends by itself, cleanly, soon after the drain.
    let mut api = api;
    let status = loop {
        if let Some(status) = api.child.try_wait().unwrap() {
            break status;
        }
        assert!(signalled.elapsed() < DRAIN + Duration::from_secs(8), "still running after the drain and grace");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "exit status {status}");

    let mut last_retries = Vec::new();
    for watcher in watchers {
        let Watched { text, ended_at } = watcher.await.unwrap();
        let ended_after = ended_at.duration_since(signalled);
        assert!(
            ended_after >= DRAIN - Duration::from_millis(100),
            "streams are served through the drain: {ended_after:?}"
        );
        assert!(text.contains(r#""respondents":1"#), "the ballot of the drain reached the screen:\n{text}");
        let retries = retries(&text);
        assert_eq!(retries.len(), 2, "one retry on connect, one at the end:\n{text}");
        assert!(text.trim_end().ends_with(&format!("retry: {}", retries[1])), "the last frame is the retry:\n{text}");
        last_retries.push(retries[1]);
    }
    assert!(last_retries.iter().all(|r| (250..=1500).contains(r)), "{last_retries:?}");
    let spread = last_retries.iter().max().unwrap() - last_retries.iter().min().unwrap();
    assert!(spread >= 500, "reconnects spread over time, not one instant: {last_retries:?}");
    // The stored ballot survived the stop.
    use sea_orm::ConnectionTrait;
    let row = db
        .conn
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT count(*) AS n FROM polls.respondents",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i64>("", "n").unwrap(), 1);
}
