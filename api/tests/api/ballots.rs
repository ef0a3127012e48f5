//! The ballot path under concurrency: batches, repeated tokens, closes, other api processes.

use std::net::SocketAddr;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, settings_for, spawn_app};
use crate::polls::{ballot, frame_total, open_poll, send, set_open, staff, vote};

/// A second api process on the same database.
async fn second_process(app: &TestApp) -> SocketAddr {
    let other = api::Application::build(settings_for(&app.db)).await.expect("second process");
    let address = other.address().expect("address");
    tokio::spawn(other.serve());
    address
}

async fn vote_at(app: &TestApp, address: SocketAddr, slug: &str, token: &str, answers: Value) -> (StatusCode, Value) {
    let response = app
        .client
        .post(format!("http://{address}/api/polls/{slug}/responses"))
        .json(&json!({"client_token": token, "answers": answers}))
        .send()
        .await
        .expect("vote");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn stored_respondents(app: &TestApp, slug: &str) -> i64 {
    let (_, results) = send(app, reqwest::Method::GET, &format!("/api/polls/{slug}/results"), None, None).await;
    results["respondents"].as_i64().expect("respondents")
}

fn one_created_one_repeated(a: &(StatusCode, Value), b: &(StatusCode, Value)) {
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CREATED], "{a:?} {b:?}");
    assert_eq!(a.1["respondent_id"], b.1["respondent_id"]);
}

#[tokio::test]
async fn a_double_tap_racing_itself_counts_once() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (_, slug) = open_poll(&app, &staff.admin).await;
    for round in 0..20 {
        let token = format!("double-tap-{round:02}");
        let (a, b) = tokio::join!(vote(&app, &slug, &token, ballot(round)), vote(&app, &slug, &token, ballot(round)));
        one_created_one_repeated(&a, &b);
    }
    assert_eq!(stored_respondents(&app, &slug).await, 20);
}

#[tokio::test]
async fn the_same_token_on_two_processes_counts_once() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (_, slug) = open_poll(&app, &staff.admin).await;
    let other = second_process(&app).await;
    for round in 0..20 {
        let token = format!("two-processes-{round:02}");
        let (a, b) =
            tokio::join!(vote(&app, &slug, &token, ballot(round)), vote_at(&app, other, &slug, &token, ballot(round)));
        one_created_one_repeated(&a, &b);
    }
    assert_eq!(stored_respondents(&app, &slug).await, 20);
}

#[tokio::test]
async fn a_close_racing_a_burst_counts_exactly_the_ballots_it_acknowledged() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, slug) = open_poll(&app, &staff.admin).await;
    let other = second_process(&app).await;
    // Both processes know the poll as open before the burst.
    assert_eq!(vote_at(&app, other, &slug, "warm-up-token", ballot(0)).await.0, StatusCode::CREATED);

    let burst = (0..300).map(|i| {
        let (app, slug) = (&app, &slug);
        async move {
            let token = format!("burst-{i:04}");
            if i % 2 == 0 {
                vote(app, slug, &token, ballot(i)).await
            } else {
                vote_at(app, other, slug, &token, ballot(i)).await
            }
        }
    });
    let close = async {
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        set_open(&app, &staff.admin, id, false).await;
    };
    let (replies, ()) = tokio::join!(futures_util::future::join_all(burst), close);
    let accepted = replies.iter().filter(|(s, _)| *s == StatusCode::CREATED).count();
    for (status, body) in &replies {
        assert!([StatusCode::CREATED, StatusCode::CONFLICT].contains(status), "{status} {body}");
    }
    assert_eq!(stored_respondents(&app, &slug).await, 1 + accepted as i64, "stored = acknowledged");

    // Once the close has committed, no process counts a new ballot, however fresh its memory.
    for i in 0..20 {
        let token = format!("after-close-{i:02}");
        let (status, body) = vote_at(&app, other, &slug, &token, ballot(i)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
    }
    assert_eq!(stored_respondents(&app, &slug).await, 1 + accepted as i64);
}

#[tokio::test]
async fn invalid_ballots_in_a_burst_get_their_422_and_the_others_commit() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (_, slug) = open_poll(&app, &staff.admin).await;
    let invalid = [
        (json!([{"var_name": "nope", "response_index": 0}]), "answers[0].var_name"),
        (json!([{"var_name": "perf_judicial_ind", "response_index": 1}]), "answers[0].response_index"),
        (
            json!([{"var_name": "pid3", "response_index": 0}, {"var_name": "pid3", "response_index": 1}]),
            "answers[1].var_name",
        ),
    ];
    let votes = (0..60).map(|i| {
        let (app, slug, invalid) = (&app, &slug, &invalid);
        async move {
            let token = format!("mixed-{i:03}");
            match i % 20 {
                k @ 0..3 => (Some(invalid[k].1), vote(app, slug, &token, invalid[k].0.clone()).await),
                _ => (None, vote(app, slug, &token, ballot(i)).await),
            }
        }
    });
    let replies = futures_util::future::join_all(votes).await;
    let mut valid = 0;
    for (field, (status, body)) in &replies {
        match field {
            Some(field) => {
                assert_eq!(*status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
                assert_eq!(body["error"]["field"], *field);
            }
            None => {
                assert_eq!(*status, StatusCode::CREATED, "{body}");
                valid += 1;
            }
        }
    }
    assert_eq!(valid, 51);
    assert_eq!(stored_respondents(&app, &slug).await, 51);
}

/// A ballot from `client`, as a proxy on loopback forwards it.
async fn vote_from(app: &TestApp, client: &str, slug: &str, token: &str) -> StatusCode {
    app.client
        .post(app.url(&format!("/api/polls/{slug}/responses")))
        .header("x-forwarded-for", client)
        .json(&json!({"client_token": token, "answers": ballot(1)}))
        .send()
        .await
        .expect("vote")
        .status()
}

#[tokio::test]
async fn ballots_and_streams_are_limited_per_address() {
    let app = crate::helpers::spawn_app_with(|settings| {
        settings.limits.ballots_per_minute = std::num::NonZeroU32::new(3).unwrap();
        settings.limits.streams_per_address = std::num::NonZeroU32::new(2).unwrap();
        settings.sse_heartbeat = std::time::Duration::from_millis(200);
    })
    .await;
    let staff = staff(&app).await;
    let (_, slug) = open_poll(&app, &staff.admin).await;

    for i in 0..3 {
        assert_eq!(vote_from(&app, "198.51.100.1", &slug, &format!("stuffing-{i:03}")).await, StatusCode::CREATED);
    }
    assert_eq!(vote_from(&app, "198.51.100.1", &slug, "stuffing-999").await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(vote_from(&app, "198.51.100.2", &slug, "neighbour-001").await, StatusCode::CREATED);
    assert_eq!(stored_respondents(&app, &slug).await, 4);

    let open = || {
        app.client
            .get(app.url(&format!("/api/polls/{slug}/results/stream")))
            .header("x-forwarded-for", "198.51.100.3")
            .send()
    };
    let first = open().await.expect("stream");
    let second = open().await.expect("stream");
    assert_eq!((first.status(), second.status()), (StatusCode::OK, StatusCode::OK));
    let third = open().await.expect("stream");
    assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS);
    // A stream that ends gives its place back (noticed at its next write, a heartbeat here).
    drop(first);
    let mut reopened = StatusCode::TOO_MANY_REQUESTS;
    for _ in 0..50 {
        reopened = open().await.expect("stream").status();
        if reopened == StatusCode::OK {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(reopened, StatusCode::OK);
    drop(second);
}

#[tokio::test]
async fn a_client_that_stops_reading_its_stream_does_not_hold_back_the_others() {
    use tokio::io::AsyncWriteExt;

    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (_, slug) = open_poll(&app, &staff.admin).await;
    let path = format!("/api/polls/{slug}/results/stream");
    // A watcher that asks for the stream and never reads it, with the smallest receive buffer:
    // once the buffers between it and the api are full, its frames cannot be written.
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(1024).expect("buffer size");
    let mut stalled = socket.connect(app.address).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n\r\n", app.address);
    stalled.write_all(request.as_bytes()).await.expect("request");

    // A watcher that reads: when does each total reach it?
    let response = app.client.get(app.url(&path)).send().await.expect("stream");
    let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel::<(i64, std::time::Instant)>();
    let mut frames = crate::polls::sse_frames(response);
    let reader = tokio::spawn(async move {
        while let Some((_, _, value)) = frames.recv().await {
            // A snapshot's total, or a delta's when it changed.
            if let Some(total) = frame_total(&value) {
                let _ = seen_tx.send((total, std::time::Instant::now()));
            }
        }
    });

    // Votes for ~3 s: the stalled socket fills up (with the deltas, and any snapshot of the
    // results it is sent when it falls behind).
    let mut acknowledged = Vec::new();
    for i in 0..200 {
        let (status, _) = vote(&app, &slug, &format!("steady-voter-{i:04}"), ballot(i)).await;
        assert_eq!(status, StatusCode::CREATED);
        acknowledged.push((i as i64 + 1, std::time::Instant::now()));
        tokio::time::sleep(std::time::Duration::from_millis(15)).await;
    }
    let mut seen: Vec<(i64, std::time::Instant)> = Vec::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while seen.last().is_none_or(|(total, _)| *total < 200) {
        match tokio::time::timeout_at(deadline, seen_rx.recv()).await {
            Ok(Some(update)) => seen.push(update),
            _ => panic!("the reading watcher stopped at {:?}", seen.last().map(|s| s.0)),
        }
    }
    reader.abort();
    // Each acknowledged vote reached the reading watcher soon after, stalled neighbour or not.
    let mut latencies: Vec<std::time::Duration> = acknowledged
        .iter()
        .map(|(n, at)| {
            seen.iter()
                .find(|(total, _)| total >= n)
                .map_or(std::time::Duration::MAX, |(_, t)| t.saturating_duration_since(*at))
        })
        .collect();
    latencies.sort_unstable();
    let slowest = *latencies.last().expect("votes");
    // Generous (the design bound is a 150 ms wait per frame): this is about not being held back
    // at all, on a busy test machine, not about speed, which bench/ measures.
    assert!(slowest < std::time::Duration::from_secs(3), "slowest vote → screen: {slowest:?}");
    let p90 = latencies[latencies.len() * 9 / 10];
    println!("vote → screen: p50 {:?}, p90 {p90:?}, slowest {slowest:?}", latencies[latencies.len() / 2]);
    // Nor are most frames held for the stalled socket: frames that each waited the bound
    // (150 ms) for it put a tenth of the votes ~140 ms past the frame interval (measured with
    // 20 ms frames: p90 158 ms, against 22 ms).
    let bound = api::LIVE_FRAME_FLOOR + std::time::Duration::from_millis(110);
    assert!(p90 < bound, "vote → screen p90 {p90:?}");

    // The stalled client reads again: it is written what its buffers held and then the newest
    // frame, not every frame it missed (nor is it dropped); its totals never go down and end at
    // the stored one.
    let totals = read_totals_until(&mut stalled, 200).await;
    assert!(totals.windows(2).all(|w| w[0] <= w[1]), "a total went down: {totals:?}");
    assert_eq!(totals.last(), Some(&200));
    assert!(totals.len() < seen.len(), "{} frames to the stalled client, {} read live", totals.len(), seen.len());
}

/// Reads a raw live-results response (HTTP/1.1, chunked) until a frame says `last` respondents;
/// returns the total of each frame that says one (a snapshot's, or a delta's when it changed).
async fn read_totals_until(socket: &mut tokio::net::TcpStream, last: i64) -> Vec<i64> {
    use tokio::io::AsyncReadExt;
    let (mut raw, mut chunk) = (Vec::new(), vec![0u8; 64 * 1024]);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let n = tokio::time::timeout_at(deadline, socket.read(&mut chunk))
            .await
            .expect("the stalled stream never reached the last total")
            .expect("read");
        assert!(n > 0, "the stream ended");
        raw.extend_from_slice(&chunk[..n]);
        let totals = sse_totals(&raw);
        if totals.last() == Some(&last) {
            return totals;
        }
    }
}

/// The totals in a raw chunked SSE response so far (each chunk is one frame or heartbeat).
fn sse_totals(raw: &[u8]) -> Vec<i64> {
    let text = String::from_utf8_lossy(raw);
    let Some((_, mut body)) = text.split_once("\r\n\r\n") else { return Vec::new() };
    let mut totals = Vec::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size, 16) else { break };
        let Some(frame) = rest.get(..size) else { break };
        let data = frame.lines().find_map(|line| line.strip_prefix("data: "));
        if let Some(value) = data.and_then(|data| serde_json::from_str::<Value>(data).ok())
            && let Some(total) = frame_total(&value)
        {
            totals.push(total);
        }
        body = rest.get(size + 2..).unwrap_or_default();
    }
    totals
}

#[tokio::test]
async fn admins_see_ballots_per_minute() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, slug) = open_poll(&app, &staff.admin).await;
    for i in 0..7 {
        assert_eq!(vote(&app, &slug, &format!("minute-voter-{i:03}"), ballot(i)).await.0, StatusCode::CREATED);
    }

    let (status, activity) =
        send(&app, reqwest::Method::GET, &format!("/api/admin/polls/{id}/activity"), Some(&staff.analyst), None).await;

    assert_eq!(status, StatusCode::OK, "{activity}");
    let minutes = activity["minutes"].as_array().expect("minutes");
    assert_eq!(minutes.len(), 15, "every minute of the last 15, zeros included");
    let total: i64 = minutes.iter().map(|m| m["ballots"].as_i64().expect("ballots")).sum();
    assert_eq!(total, 7);
    let recent: i64 = minutes[13..].iter().map(|m| m["ballots"].as_i64().expect("ballots")).sum();
    assert_eq!(recent, 7, "in the current minute (or the one before, at a boundary)");
    let (status, _) =
        send(&app, reqwest::Method::GET, "/api/admin/polls/999999/activity", Some(&staff.admin), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
