//! What the room sees, as the api serves it: a poll opens on its join slide, browsers that join
//! are counted once each (on every process), a hidden question says how many answered, the
//! nation's answers wait for voting to close, and an all-at-once poll's projector follows its
//! presenter too.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, settings_for, spawn_app};
use crate::polls::{Frame, Staff, read_events_until, send, set_open, sse_frames, staff, vote};

/// A presenter-paced poll: a choice question with hidden results, then a catalog question.
async fn paced_poll(app: &TestApp, staff: &Staff) -> (i64, String) {
    let (status, poll) = send(
        app,
        Method::POST,
        "/api/admin/polls",
        Some(&staff.admin),
        Some(json!({
            "title": "The room",
            "pacing": "presenter",
            "questions": [
                {"kind": "choice", "text": "Which first?", "options": ["Courts", "Press"], "max_choices": 1, "results_hidden": true},
                {"var_name": "pid3", "response_indices": [0, 1, 2]}
            ]
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{poll}");
    (poll["id"].as_i64().unwrap(), poll["slug"].as_str().unwrap().to_owned())
}

/// A browser arriving at the poll: its status and the device cookie it was given (if any).
async fn arrive(app: &TestApp, base: &str, slug: &str, device: Option<&str>) -> (StatusCode, Option<String>, Value) {
    let mut request = app.client.post(format!("{base}/api/polls/{slug}/participants"));
    if let Some(device) = device {
        request = request.header("cookie", device);
    }
    let response = request.send().await.expect("arrive");
    let status = response.status();
    let cookie =
        response.headers().get("set-cookie").map(|c| c.to_str().unwrap().split(';').next().unwrap().to_owned());
    (status, cookie, response.json().await.unwrap_or(Value::Null))
}

async fn public_results(app: &TestApp, slug: &str) -> Value {
    send(app, Method::GET, &format!("/api/polls/{slug}/results"), None, None).await.1
}

async fn move_to(app: &TestApp, admin: &str, id: i64, position: Value, voting_open: bool) -> Value {
    let path = format!("/api/admin/polls/{id}/current");
    let (status, body) =
        send(app, Method::PUT, &path, Some(admin), Some(json!({"position": position, "voting_open": voting_open})))
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn a_poll_opens_on_its_join_slide_and_counts_each_browser_once_on_every_process() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, slug) = paced_poll(&app, &staff).await;
    // A draft takes nobody in; neither does a closed poll.
    let (status, _, body) = arrive(&app, &app.url(""), &slug, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    set_open(&app, &staff.admin, id, true).await;
    let results = public_results(&app, &slug).await;
    assert_eq!(results["current_question"], Value::Null, "the join slide first: {results}");
    assert_eq!(results["voting_open"], false);
    assert_eq!(results["joined"], 0);
    // No question takes answers on the join slide.
    let (status, body) = vote(&app, &slug, "early-token-1", json!([{"var_name": "q1", "response_index": 0}])).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // A second process of the fleet, and a watcher of each.
    let other = api::Application::build(settings_for(&app.db)).await.expect("second process");
    let other_base = format!("http://{}", other.address().unwrap());
    tokio::spawn(other.serve());
    let watcher = app.client.get(format!("{other_base}/api/polls/{slug}/results/stream")).send().await.unwrap();

    // Three browsers, one of them twice (and once more on the other process): three joined.
    let (status, first, body) = arrive(&app, &app.url(""), &slug, None).await;
    assert_eq!((status, &body), (StatusCode::CREATED, &json!({"first_time": true})));
    let first = first.expect("a device cookie for a browser without one");
    assert!(first.starts_with("blw_device="), "{first}");
    let (status, again, body) = arrive(&app, &app.url(""), &slug, Some(&first)).await;
    assert_eq!((status, again, body), (StatusCode::OK, None, json!({"first_time": false})));
    let (status, _, _) = arrive(&app, &other_base, &slug, Some(&first)).await;
    assert_eq!(status, StatusCode::OK, "the same browser on another process");
    for _ in 0..2 {
        assert_eq!(arrive(&app, &other_base, &slug, None).await.0, StatusCode::CREATED);
    }
    let events = read_events_until(watcher, |events| events.last().is_some_and(|(_, r)| r["joined"] == 3)).await;
    assert!(events.iter().all(|(_, r)| r["joined"].as_i64().unwrap() <= 3), "never more than three");
    assert_eq!(public_results(&app, &slug).await["joined"], 3);

    // The ids say how many joined: a watcher that saw three is never sent fewer.
    let stream = app.client.get(app.url(&format!("/api/polls/{slug}/results/stream"))).send().await.unwrap();
    let (_, frame_id, _) = first_frame(stream).await;
    let frame_id = frame_id.expect("an id");
    assert!(frame_id.ends_with("-3"), "<epoch>-<answers>-<joined>: {frame_id}");

    // A reset (after closing) starts the count again.
    set_open(&app, &staff.admin, id, false).await;
    assert_eq!(arrive(&app, &app.url(""), &slug, Some(&first)).await.0, StatusCode::CONFLICT);
    let path = format!("/api/admin/polls/{id}/reset");
    let (status, body) = send(&app, Method::POST, &path, Some(&staff.admin), Some(json!({"confirm": slug}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(public_results(&app, &slug).await["joined"], 0);
}

/// A stream's first frame (event, id, data).
async fn first_frame(response: reqwest::Response) -> Frame {
    let mut frames = sse_frames(response);
    tokio::time::timeout(std::time::Duration::from_secs(10), frames.recv()).await.expect("a frame").expect("open")
}

#[tokio::test]
async fn a_hidden_question_says_how_many_answered_and_the_nation_waits_for_voting_to_close() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, slug) = paced_poll(&app, &staff).await;
    set_open(&app, &staff.admin, id, true).await;
    move_to(&app, &staff.admin, id, json!(0), true).await;
    for (i, option) in [0, 1, 1].into_iter().enumerate() {
        let (status, body) =
            vote(&app, &slug, &format!("room-token-{i}"), json!([{"var_name": "q1", "response_index": option}])).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let hidden = &public_results(&app, &slug).await["questions"][0];
    let mut keys: Vec<&String> = hidden.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["answered", "hidden", "text", "var_name"], "{hidden}");
    assert_eq!(hidden["answered"], 3);

    // The catalog question, voting open: the public sees the room, not the nation; staff see both.
    move_to(&app, &staff.admin, id, json!(1), true).await;
    let (status, body) = vote(&app, &slug, "room-token-0", json!([{"var_name": "pid3", "response_index": 0}])).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let public = public_results(&app, &slug).await;
    let catalog = &public["questions"][1];
    assert_eq!(catalog["overall"]["n"], 1, "{catalog}");
    assert!(catalog.get("national").is_none_or(Value::is_null), "no nation while voting: {catalog}");
    assert!(catalog.get("room_vs_nation").is_none_or(Value::is_null), "{catalog}");
    let path = format!("/api/admin/polls/{id}/results");
    let staff_view = send(&app, Method::GET, &path, Some(&staff.admin), None).await.1;
    assert!(staff_view["questions"][1]["national"]["shares"].is_array(), "staff see it: {staff_view}");
    // Voting closes: the nation comes.
    move_to(&app, &staff.admin, id, json!(1), false).await;
    let closed = public_results(&app, &slug).await;
    assert!(closed["questions"][1]["national"]["shares"].is_array(), "{closed}");
    // The presenter may show it while voting.
    move_to(&app, &staff.admin, id, json!(1), true).await;
    assert!(public_results(&app, &slug).await["questions"][1]["national"].is_null());
    let (status, poll) = send(
        &app,
        Method::PATCH,
        &format!("/api/admin/polls/{id}"),
        Some(&staff.admin),
        Some(json!({"national_during_voting": true})),
    )
    .await;
    assert_eq!((status, &poll["national_during_voting"]), (StatusCode::OK, &json!(true)), "{poll}");
    let shown = public_results(&app, &slug).await;
    assert_eq!(shown["national_during_voting"], true);
    assert!(shown["questions"][1]["national"]["shares"].is_array(), "{shown}");
    // Nothing else may come with it, and an empty patch names what it takes.
    let (status, body) =
        send(&app, Method::PATCH, &format!("/api/admin/polls/{id}"), Some(&staff.admin), Some(json!({}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("national_during_voting"), "{body}");
}

#[tokio::test]
async fn an_all_at_once_polls_projector_follows_its_presenter_while_every_question_takes_answers() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (status, poll) = send(
        &app,
        Method::POST,
        "/api/admin/polls",
        Some(&staff.admin),
        Some(json!({"title": "All at once", "questions": [
            {"var_name": "pid3", "response_indices": [0, 1, 2]},
            {"kind": "scale", "text": "Hope?", "min": 1, "max": 5}
        ]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{poll}");
    let (id, slug) = (poll["id"].as_i64().unwrap(), poll["slug"].as_str().unwrap().to_owned());
    set_open(&app, &staff.admin, id, true).await;
    assert_eq!(public_results(&app, &slug).await["current_question"], Value::Null);
    let moved = move_to(&app, &staff.admin, id, json!(1), true).await;
    assert_eq!((&moved["current_question"], &moved["voting_open"]), (&json!(1), &json!(true)), "{moved}");
    // Both questions still take answers, whatever the slide.
    let (status, body) = vote(
        &app,
        &slug,
        "all-token",
        json!([{"var_name": "pid3", "response_index": 1}, {"var_name": "q2", "value": 4}]),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let results = public_results(&app, &slug).await;
    assert_eq!(results["current_question"], 1);
    // The nation's answers wait for the poll to close (all its questions take answers until then).
    assert!(results["questions"][0]["national"].is_null(), "{results}");
    set_open(&app, &staff.admin, id, false).await;
    assert!(public_results(&app, &slug).await["questions"][0]["national"]["shares"].is_array());
    // A position the poll does not have is named.
    let path = format!("/api/admin/polls/{id}/current");
    let (status, body) =
        send(&app, Method::PUT, &path, Some(&staff.admin), Some(json!({"position": 2, "voting_open": false}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test]
async fn speaker_notes_reach_staff_only_and_stay_editable_once_answered() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let notes = "Pause here.\nAsk who changed their mind since 2020 — SECRET-NOTE-7f3";
    let definition = |notes: &str| {
        json!({
            "title": "Notes",
            "questions": [
                {"kind": "choice", "text": "Which first?", "options": ["Courts", "Press"], "speaker_notes": notes},
                {"var_name": "pid3", "response_indices": [0, 1, 2]}
            ]
        })
    };
    // Too long is named.
    let long = "n".repeat(2_001);
    let (status, body) =
        send(&app, Method::POST, "/api/admin/polls", Some(&staff.admin), Some(definition(&long))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "questions[0].speaker_notes", "{body}");

    let (status, poll) =
        send(&app, Method::POST, "/api/admin/polls", Some(&staff.admin), Some(definition(notes))).await;
    assert_eq!(status, StatusCode::CREATED, "{poll}");
    assert_eq!(poll["questions"][0]["speaker_notes"], notes, "kept as written, lines and all");
    assert!(poll["questions"][1].get("speaker_notes").is_none(), "no notes, no field");
    let (id, slug) = (poll["id"].as_i64().unwrap(), poll["slug"].as_str().unwrap().to_owned());
    set_open(&app, &staff.admin, id, true).await;
    let (status, body) = vote(
        &app,
        &slug,
        "notes-token-1",
        json!([{"var_name": "q1", "response_index": 0}, {"var_name": "pid3", "response_index": 1}]),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // Nothing the public reads carries them.
    for path in [format!("/api/polls/{slug}"), format!("/api/polls/{slug}/results")] {
        let (_, public) = send(&app, Method::GET, &path, None, None).await;
        assert!(!public.to_string().contains("SECRET-NOTE"), "{path}: {public}");
    }
    let stream = app.client.get(app.url(&format!("/api/polls/{slug}/results/stream"))).send().await.unwrap();
    assert!(!first_frame(stream).await.2.to_string().contains("SECRET-NOTE"));
    let (_, analyst_view) =
        send(&app, Method::GET, &format!("/api/admin/polls/{id}"), Some(&staff.analyst), None).await;
    assert_eq!(analyst_view["questions"][0]["speaker_notes"], notes);

    // Notes are wording: an answered (closed) poll may change them; its answers stay.
    set_open(&app, &staff.admin, id, false).await;
    let (status, edited) =
        send(&app, Method::PUT, &format!("/api/admin/polls/{id}"), Some(&staff.admin), Some(definition("New notes")))
            .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["questions"][0]["speaker_notes"], "New notes");
    assert_eq!(edited["respondents"], 1);
    // A duplicate keeps them.
    let (status, copy) =
        send(&app, Method::POST, &format!("/api/admin/polls/{id}/duplicate"), Some(&staff.admin), None).await;
    assert_eq!(status, StatusCode::CREATED, "{copy}");
    assert_eq!(copy["questions"][0]["speaker_notes"], "New notes");
}

#[tokio::test]
async fn a_countdown_closes_voting_at_zero_on_every_process() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let definition = |seconds: i64| {
        json!({
            "title": "Countdown",
            "pacing": "presenter",
            "questions": [
                {"kind": "choice", "text": "Quick!", "options": ["Yes", "No"], "timer_seconds": seconds},
                {"kind": "choice", "text": "No hurry", "options": ["Yes", "No"]}
            ]
        })
    };
    for bad in [4, 3_601] {
        let (status, body) =
            send(&app, Method::POST, "/api/admin/polls", Some(&staff.admin), Some(definition(bad))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["field"], "questions[0].timer_seconds", "{body}");
    }
    let (status, poll) = send(&app, Method::POST, "/api/admin/polls", Some(&staff.admin), Some(definition(5))).await;
    assert_eq!(status, StatusCode::CREATED, "{poll}");
    assert_eq!(poll["questions"][0]["timer_seconds"], 5);
    let (id, slug) = (poll["id"].as_i64().unwrap(), poll["slug"].as_str().unwrap().to_owned());
    set_open(&app, &staff.admin, id, true).await;
    // Leaving the question before the end stops its countdown.
    let moved = move_to(&app, &staff.admin, id, json!(0), true).await;
    assert!(moved["voting_closes_at"].is_string(), "{moved}");
    let moved = move_to(&app, &staff.admin, id, json!(1), true).await;
    assert_eq!(moved["voting_closes_at"], Value::Null, "no countdown on question 2");

    // A watcher on a second process of the fleet.
    let other = api::Application::build(settings_for(&app.db)).await.expect("second process");
    let other_base = format!("http://{}", other.address().unwrap());
    tokio::spawn(other.serve());
    let watcher = app.client.get(format!("{other_base}/api/polls/{slug}/results/stream")).send().await.unwrap();

    let started = std::time::Instant::now();
    let moved = move_to(&app, &staff.admin, id, json!(0), true).await;
    let closes_at =
        chrono::DateTime::parse_from_rfc3339(moved["voting_closes_at"].as_str().expect("a deadline")).unwrap();
    let left = closes_at.signed_duration_since(chrono::Utc::now()).num_milliseconds();
    assert!((3_000..=5_500).contains(&left), "about 5 s from now: {left} ms");
    let (status, body) = vote(&app, &slug, "countdown-1", json!([{"var_name": "q1", "response_index": 0}])).await;
    assert_eq!(status, StatusCode::CREATED, "in time: {body}");

    // At zero the voting closes by itself: every process's screens hear it, ballots are refused.
    let events = read_events_until(watcher, |events| {
        events.last().is_some_and(|(_, r)| r["current_question"] == 0 && r["voting_open"] == false)
    })
    .await;
    let (_, last) = events.last().unwrap();
    assert_eq!(last["voting_closes_at"], Value::Null, "{last}");
    assert!(started.elapsed() >= std::time::Duration::from_millis(4_000), "not before its time");
    let (status, body) = vote(&app, &slug, "countdown-2", json!([{"var_name": "q1", "response_index": 1}])).await;
    assert_eq!(status, StatusCode::CONFLICT, "too late: {body}");
    let results = public_results(&app, &slug).await;
    assert_eq!((&results["voting_open"], &results["questions"][0]["overall"]["n"]), (&json!(false), &json!(1)));
}
