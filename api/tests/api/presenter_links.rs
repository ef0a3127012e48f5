//! Presenter links: an admin makes a capability for one poll that a slide deck sends as a bearer
//! secret, from any site; it paces that poll, reveals and hides its results and hides words —
//! nothing else; an expiry or a revocation holds on every process at once. And frozen results: a
//! citable copy of a poll's public results that later votes, resets and deletion do not change.

use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

use crate::helpers::{TestApp, settings_for, spawn_app, spawn_app_with};
use crate::polls::{Staff, read_events, send, set_open, staff, vote};
use crate::question_kinds::create;

/// A request with the presenter link `secret` (and, like a deck on another site, an `Origin`).
async fn as_deck(app: &TestApp, method: Method, path: &str, secret: &str, body: Option<Value>) -> reqwest::Response {
    let mut request = app
        .client
        .request(method, app.url(path))
        .header("authorization", format!("Bearer {secret}"))
        .header("origin", "https://slides.example");
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("request")
}

async fn paced_poll(app: &TestApp, staff: &Staff, title: &str) -> (i64, String) {
    let poll = json!({"title": title, "pacing": "presenter", "questions": [
        {"kind": "choice", "text": "Coffee or tea?", "options": ["Coffee", "Tea"]},
        {"kind": "words", "text": "One word for the courts?"}
    ]});
    let (id, slug) = create(app, staff, poll).await;
    set_open(app, &staff.admin, id, true).await;
    (id, slug)
}

#[tokio::test]
async fn a_presenter_link_drives_its_poll_from_another_site_and_nothing_else() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, slug) = paced_poll(&app, &staff, "The talk").await;
    let (other_id, other_slug) = paced_poll(&app, &staff, "Another talk").await;
    let links = format!("/api/admin/polls/{id}/presenter-links");

    // Only admins make links; the secret is shown once.
    let body = json!({"label": "Tuesday deck", "expires_in_minutes": 120});
    let (status, _) = send(&app, Method::POST, &links, Some(&staff.analyst), Some(body.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, made) = send(&app, Method::POST, &links, Some(&staff.admin), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let secret = made["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("blwp_") && secret.len() == 69, "{secret}");
    assert_eq!(
        (made["label"].clone(), made["active"].clone(), made["uses"].clone()),
        (json!("Tuesday deck"), json!(true), json!(0))
    );
    assert_eq!(made["created_by_name"], "Test admin@test.org", "who made it, by name: {made}");
    let (_, listed) = send(&app, Method::GET, &links, Some(&staff.analyst), None).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["created_by_name"], "Test admin@test.org", "{listed}");
    assert!(!listed.to_string().contains(&secret[5..]), "the list never shows the secret: {listed}");

    // The deck reads its poll and paces it, from another site (CORS answers it).
    let response = as_deck(&app, Method::GET, "/api/presenter/poll", &secret, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    let poll: Value = response.json().await.unwrap();
    assert_eq!((poll["slug"].as_str(), poll["questions"][1]["var_name"].as_str()), (Some(slug.as_str()), Some("q2")));
    let preflight = app
        .client
        .request(Method::OPTIONS, app.url("/api/presenter/current"))
        .header("origin", "https://slides.example")
        .header("access-control-request-method", "PUT")
        .header("access-control-request-headers", "authorization, content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    let response = as_deck(
        &app,
        Method::PUT,
        "/api/presenter/current",
        &secret,
        Some(json!({"position": 0, "voting_open": true})),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let (_, public) = send(&app, Method::GET, &format!("/api/polls/{slug}"), None, None).await;
    assert_eq!((public["current_question"].clone(), public["voting_open"].clone()), (json!(0), json!(true)));
    let (_, other) = send(&app, Method::GET, &format!("/api/polls/{other_slug}"), None, None).await;
    assert_eq!(other["current_question"], Value::Null, "the other poll did not move");
    assert_eq!(
        vote(&app, &slug, "deck-phone-1", json!([{"var_name": "q1", "response_index": 1}])).await.0,
        StatusCode::CREATED
    );

    // Reveal and hide, hide a word and show it again.
    let hide =
        as_deck(&app, Method::PATCH, "/api/presenter/questions/q1", &secret, Some(json!({"results_hidden": true})))
            .await;
    assert_eq!(hide.status(), StatusCode::OK);
    let (_, results) = send(&app, Method::GET, &format!("/api/polls/{slug}/results"), None, None).await;
    assert_eq!(results["questions"][0]["hidden"], true);
    let word = as_deck(
        &app,
        Method::POST,
        "/api/presenter/questions/q2/hidden-words",
        &secret,
        Some(json!({"word": "Corrupt"})),
    )
    .await;
    assert_eq!(word.status(), StatusCode::NO_CONTENT);
    let (_, staff_results) =
        send(&app, Method::GET, &format!("/api/admin/polls/{id}/results"), Some(&staff.analyst), None).await;
    assert_eq!(staff_results["questions"][1]["kind"], "words");
    let shown = as_deck(&app, Method::DELETE, "/api/presenter/questions/q2/hidden-words/corrupt", &secret, None).await;
    assert_eq!(shown.status(), StatusCode::NO_CONTENT);
    let unknown =
        as_deck(&app, Method::PATCH, "/api/presenter/questions/q9", &secret, Some(json!({"results_hidden": false})))
            .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

    // Nothing else: the console, another poll, the data browser, opening or deleting.
    for (method, path) in [
        (Method::GET, format!("/api/admin/polls/{id}")),
        (Method::GET, format!("/api/admin/polls/{id}/results")),
        (Method::PUT, format!("/api/admin/polls/{other_id}/current")),
        (Method::PATCH, format!("/api/admin/polls/{id}")),
        (Method::DELETE, format!("/api/admin/polls/{id}")),
        (Method::GET, "/api/admin/data/polls/answers".to_owned()),
        (Method::GET, "/api/admin/polls".to_owned()),
    ] {
        let body = matches!(method, Method::PUT | Method::PATCH)
            .then(|| json!({"position": 0, "voting_open": true, "is_open": false}));
        let response = as_deck(&app, method.clone(), &path, &secret, body).await;
        assert!(
            matches!(response.status(), StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN),
            "{method} {path}: {}",
            response.status()
        );
    }
    // A session cookie is no presenter link.
    let (status, _) = send(&app, Method::GET, "/api/presenter/poll", Some(&staff.admin), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    for bad in ["", "blwp_", "blwp_00", &format!("{}x", &secret[..68]), &secret.to_uppercase()] {
        let response = as_deck(&app, Method::GET, "/api/presenter/poll", bad, None).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{bad:?}");
        let body: Value = response.json().await.unwrap();
        assert!(body["error"]["message"].is_string(), "{body}");
    }

    // Its uses are counted.
    let (_, listed) = send(&app, Method::GET, &links, Some(&staff.analyst), None).await;
    assert!(listed[0]["uses"].as_i64().unwrap() >= 6, "{listed}");
    assert!(listed[0]["last_used_at"].is_string(), "{listed}");
}

#[tokio::test]
async fn a_revoked_or_expired_link_is_refused_on_every_process_at_once() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, _) = paced_poll(&app, &staff, "The talk").await;
    let links = format!("/api/admin/polls/{id}/presenter-links");
    let make = |minutes: i64| {
        let app = &app;
        let links = links.clone();
        let admin = staff.admin.clone();
        async move {
            let (status, made) =
                send(app, Method::POST, &links, Some(&admin), Some(json!({"expires_in_minutes": minutes}))).await;
            assert_eq!(status, StatusCode::CREATED, "{made}");
            (made["id"].as_i64().unwrap(), made["secret"].as_str().unwrap().to_owned())
        }
    };
    for (body, field) in [
        (json!({"expires_in_minutes": 4}), "expires_in_minutes"),
        (json!({"expires_in_minutes": 10_081}), "expires_in_minutes"),
        (json!({"label": "x".repeat(101)}), "label"),
    ] {
        let (status, error) = send(&app, Method::POST, &links, Some(&staff.admin), Some(body)).await;
        assert_eq!((status, error["error"]["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!(field)));
    }
    // A body is an object: serde would read these structs from arrays of their fields too.
    let question = format!("/api/admin/polls/{id}/questions/q1");
    for (method, path, body) in [(Method::POST, &links, json!([null, null])), (Method::PATCH, &question, json!([true]))]
    {
        let (status, error) = send(&app, method, path, Some(&staff.admin), Some(body)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {error}");
        assert!(error["error"]["message"].as_str().unwrap().contains("expected"), "{error}");
    }
    let (status, _) =
        send(&app, Method::POST, "/api/admin/polls/999999/presenter-links", Some(&staff.admin), Some(json!({}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let other = api::Application::build(settings_for(&app.db)).await.expect("second process");
    let other_address = other.address().expect("address");
    tokio::spawn(other.serve());
    let on_other = |secret: String| {
        let client = app.client.clone();
        async move {
            client
                .get(format!("http://{other_address}/api/presenter/poll"))
                .header("authorization", format!("Bearer {secret}"))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let (revoked_id, revoked) = make(60).await;
    let (_, expiring) = make(5).await;
    assert_eq!(on_other(revoked.clone()).await, StatusCode::OK);
    assert_eq!(on_other(expiring.clone()).await, StatusCode::OK);

    let (status, _) = send(&app, Method::DELETE, &format!("{links}/{revoked_id}"), Some(&staff.analyst), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "analysts do not revoke");
    let (status, _) = send(&app, Method::DELETE, &format!("{links}/{revoked_id}"), Some(&staff.admin), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        on_other(revoked.clone()).await,
        StatusCode::UNAUTHORIZED,
        "revoked: refused on the other process at once"
    );
    assert_eq!(
        as_deck(&app, Method::GET, "/api/presenter/poll", &revoked, None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = send(&app, Method::DELETE, &format!("{links}/999999"), Some(&staff.admin), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Time passes (the database's clock decides): the link has ended.
    app.db
        .conn
        .execute_raw(Statement::from_string(
            DbBackend::Postgres,
            "UPDATE polls.presenter_links SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 second' WHERE revoked_at IS NULL",
        ))
        .await
        .unwrap();
    assert_eq!(on_other(expiring.clone()).await, StatusCode::UNAUTHORIZED, "expired");
    let (_, listed) = send(&app, Method::GET, &links, Some(&staff.analyst), None).await;
    assert!(listed.as_array().unwrap().iter().all(|l| l["active"] == false), "{listed}");

    // A deleted poll takes its links with it.
    let (_, fresh) = make(60).await;
    let (status, _) = send(&app, Method::DELETE, &format!("/api/admin/polls/{id}"), Some(&staff.admin), None).await;
    assert!(status.is_success(), "{status}");
    assert_eq!(on_other(fresh).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn frozen_results_stay_as_they_were_after_votes_a_reset_and_deletion() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let poll = json!({"title": "Frozen", "questions": [
        {"kind": "choice", "text": "Coffee or tea?", "options": ["Coffee", "Tea"]},
        {"kind": "choice", "text": "Secret?", "options": ["Yes", "No"], "results_hidden": true},
        {"var_name": "perf_judicial_ind"}
    ]});
    let (id, slug) = create(&app, &staff, poll).await;
    set_open(&app, &staff.admin, id, true).await;
    for (i, choice) in [0, 0, 1].iter().enumerate() {
        let answers = json!([{"var_name": "q1", "response_index": choice}, {"var_name": "q2", "response_index": 0},
            {"var_name": "perf_judicial_ind", "response_index": choice}]);
        assert_eq!(vote(&app, &slug, &format!("frozen-token-{i}"), answers).await.0, StatusCode::CREATED);
    }
    let freeze = format!("/api/admin/polls/{id}/frozen-results");
    assert_eq!(send(&app, Method::POST, &freeze, Some(&staff.analyst), None).await.0, StatusCode::FORBIDDEN);
    let (status, frozen) = send(&app, Method::POST, &freeze, Some(&staff.admin), None).await;
    assert_eq!(status, StatusCode::CREATED, "{frozen}");
    let url = frozen["url"].as_str().unwrap().to_owned();
    let key = frozen["key"].as_str().unwrap().to_owned();
    assert_eq!(url, format!("/results/{key}"));
    // Frozen as final: the nation's answers included though the poll was still taking answers.
    let results_path = format!("/api/polls/{slug}/results");
    let (_, open) = send(&app, Method::GET, &results_path, None, None).await;
    assert_eq!(open["questions"][2]["national"], Value::Null, "withheld from the open poll");
    assert!(frozen["results"]["questions"][2]["national"]["shares"].is_array(), "{frozen}");
    assert_eq!(
        (frozen["results"]["is_open"].clone(), frozen["results"]["join_code"].clone()),
        (json!(false), Value::Null)
    );
    set_open(&app, &staff.admin, id, false).await;
    let (_, closed) = send(&app, Method::GET, &results_path, None, None).await;
    assert_eq!(frozen["results"], closed, "what the public reads once the voting is over");
    let (_, listed) = send(&app, Method::GET, &freeze, Some(&staff.analyst), None).await;
    assert_eq!(listed, json!([frozen.clone()]));
    set_open(&app, &staff.admin, id, true).await;
    assert_eq!(frozen["results"]["questions"][0]["overall"]["counts"], json!([2, 1]));
    assert_eq!(
        frozen["results"]["questions"][1],
        json!({"var_name": "q2", "text": "Secret?", "hidden": true, "answered": 3})
    );
    assert_eq!(frozen["questions"][0]["text"], "Coffee or tea?");
    assert!(frozen["questions"][0].get("speaker_notes").is_none());

    // More votes, a reset, the poll deleted: the copy stays.
    assert_eq!(
        vote(
            &app,
            &slug,
            "frozen-token-9",
            json!([{"var_name": "q1", "response_index": 1}, {"var_name": "q2", "response_index": 1},
            {"var_name": "perf_judicial_ind", "response_index": 2}])
        )
        .await
        .0,
        StatusCode::CREATED
    );
    set_open(&app, &staff.admin, id, false).await;
    let (status, body) = send(
        &app,
        Method::POST,
        &format!("/api/admin/polls/{id}/reset"),
        Some(&staff.admin),
        Some(json!({"confirm": "Frozen"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let path = format!("/api/frozen-results/{key}");
    let (status, again) = send(&app, Method::GET, &path, None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again, frozen);
    assert!(
        send(&app, Method::DELETE, &format!("/api/admin/polls/{id}"), Some(&staff.admin), None).await.0.is_success()
    );
    assert_eq!(send(&app, Method::GET, &path, None, None).await.1, frozen, "deleting the poll keeps the copy");

    // The page is served; unknown keys are a 404 in the JSON error shape.
    let page = app.client.get(app.url(&url)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("results.js"));
    for bad in ["0123456789abcdef0123456789abcdef", "nope", "../../etc"] {
        let (status, body) = send(&app, Method::GET, &format!("/api/frozen-results/{bad}"), None, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{bad}: {body}");
    }
}

/// A link for poll `id`, made by the admin: its id and secret.
async fn make_link(app: &TestApp, staff: &Staff, id: i64) -> (i64, String) {
    let links = format!("/api/admin/polls/{id}/presenter-links");
    let (status, made) = send(app, Method::POST, &links, Some(&staff.admin), Some(json!({"label": "Deck"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    (made["id"].as_i64().unwrap(), made["secret"].as_str().unwrap().to_owned())
}

/// A refusal in the api's JSON error shape.
async fn assert_refused(response: reqwest::Response, what: &str) {
    let status = response.status();
    assert!(matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN), "{what}: {status}");
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert!(body["error"]["message"].is_string(), "{what}: {body}");
}

#[tokio::test]
async fn presenter_results_show_hidden_results_to_a_working_link_of_that_poll_only() {
    let app = spawn_app_with(|s| s.sse_heartbeat = std::time::Duration::from_secs(1)).await;
    let staff = staff(&app).await;
    let (id, slug) = paced_poll(&app, &staff, "The talk").await;
    let (other_id, other_slug) = paced_poll(&app, &staff, "Another talk").await;
    let question = format!("/api/admin/polls/{id}/questions/q1");
    let (status, _) =
        send(&app, Method::PATCH, &question, Some(&staff.admin), Some(json!({"results_hidden": true}))).await;
    assert_eq!(status, StatusCode::OK);
    let current = format!("/api/admin/polls/{id}/current");
    let (status, _) =
        send(&app, Method::PUT, &current, Some(&staff.admin), Some(json!({"position": 0, "voting_open": true}))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = vote(&app, &slug, "hidden-phone-1", json!([{"var_name": "q1", "response_index": 1}])).await;
    assert_eq!(status, StatusCode::CREATED);
    let (link_id, secret) = make_link(&app, &staff, id).await;
    let (_, other_secret) = make_link(&app, &staff, other_id).await;

    // The public sees that q1 is hidden, and no numbers.
    let (_, public) = send(&app, Method::GET, &format!("/api/polls/{slug}/results"), None, None).await;
    assert_eq!(public["questions"][0]["hidden"], true);
    assert!(public["questions"][0].get("overall").is_none(), "{public}");

    // The link sees the numbers: the console's staff results, from any site.
    let response = as_deck(&app, Method::GET, "/api/presenter/results", &secret, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    let shown: Value = response.json().await.unwrap();
    assert_eq!((shown["slug"].as_str(), shown["questions"][0]["hidden"].clone()), (Some(slug.as_str()), json!(true)));
    assert_eq!(shown["questions"][0]["overall"]["counts"], json!([0, 1]), "{shown}");
    let (_, console) =
        send(&app, Method::GET, &format!("/api/admin/polls/{id}/results"), Some(&staff.analyst), None).await;
    assert_eq!(shown["questions"], console["questions"], "the same results as the console's");

    // And live: the stream's snapshot has them too.
    let stream = as_deck(&app, Method::GET, "/api/presenter/results/stream", &secret, None).await;
    assert_eq!(stream.status(), StatusCode::OK);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    let events = read_events(stream, 1).await;
    assert_eq!(events[0].0, "snapshot");
    assert_eq!(events[0].1["questions"][0]["overall"]["counts"], json!([0, 1]));

    // Refused, in the JSON error shape: no link, a session cookie, a malformed or unknown secret.
    for path in ["/api/presenter/results", "/api/presenter/results/stream"] {
        assert_refused(app.client.get(app.url(path)).send().await.unwrap(), path).await;
        let with_cookie = app.client.get(app.url(path)).header("cookie", &staff.admin).send().await.unwrap();
        assert_refused(with_cookie, &format!("{path} with a session")).await;
        for bad in ["blwp_00", &format!("blwp_{}", "0".repeat(64))] {
            assert_refused(as_deck(&app, Method::GET, path, bad, None).await, &format!("{path} {bad}")).await;
        }
    }
    // Another poll's link reads its own poll, never this one (the link alone names the poll).
    let response = as_deck(&app, Method::GET, "/api/presenter/results", &other_secret, None).await;
    let theirs: Value = response.json().await.unwrap();
    assert_eq!(theirs["slug"].as_str(), Some(other_slug.as_str()));
    assert_eq!(theirs["questions"][0]["overall"]["counts"], json!([0, 0]), "{theirs}");
    for path in [format!("/api/admin/polls/{id}/results"), format!("/api/admin/polls/{id}/results/stream")] {
        assert_refused(as_deck(&app, Method::GET, &path, &other_secret, None).await, &path).await;
        assert_refused(as_deck(&app, Method::GET, &path, &secret, None).await, &path).await;
    }

    // Revoked: refused at once, and an open stream ends (by its next frame or heartbeat).
    let open = as_deck(&app, Method::GET, "/api/presenter/results/stream", &secret, None).await;
    assert_eq!(open.status(), StatusCode::OK);
    let links = format!("/api/admin/polls/{id}/presenter-links");
    let (status, _) = send(&app, Method::DELETE, &format!("{links}/{link_id}"), Some(&staff.admin), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_refused(as_deck(&app, Method::GET, "/api/presenter/results", &secret, None).await, "revoked").await;
    let ended = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        use futures_util::StreamExt;
        let mut body = open.bytes_stream();
        while let Some(Ok(_)) = body.next().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream outlived its link");

    // Expired (by the database's clock): refused.
    let (expiring_id, expiring) = make_link(&app, &staff, id).await;
    assert_eq!(as_deck(&app, Method::GET, "/api/presenter/results", &expiring, None).await.status(), StatusCode::OK);
    app.db
        .conn
        .execute_raw(Statement::from_string(
            DbBackend::Postgres,
            format!(
                "UPDATE polls.presenter_links SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 second' WHERE id = {expiring_id}"
            ),
        ))
        .await
        .unwrap();
    for path in ["/api/presenter/results", "/api/presenter/results/stream"] {
        assert_refused(as_deck(&app, Method::GET, path, &expiring, None).await, &format!("{path} expired")).await;
    }
}

#[tokio::test]
async fn a_closed_polls_voting_does_not_open_from_the_deck_or_the_console_but_its_screens_still_move() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, slug) = paced_poll(&app, &staff, "The talk").await;
    let (_, secret) = make_link(&app, &staff, id).await;
    set_open(&app, &staff.admin, id, false).await;

    let open_voting = json!({"position": 0, "voting_open": true});
    let response = as_deck(&app, Method::PUT, "/api/presenter/current", &secret, Some(open_voting.clone())).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let refused: Value = response.json().await.unwrap();
    assert_eq!(refused["error"]["field"], "voting_open", "{refused}");
    assert!(refused["error"]["message"].as_str().unwrap().contains("the poll is closed"), "{refused}");
    let console = format!("/api/admin/polls/{id}/current");
    let (status, body) = send(&app, Method::PUT, &console, Some(&staff.admin), Some(open_voting)).await;
    assert_eq!((status, body["error"].clone()), (StatusCode::CONFLICT, refused["error"].clone()), "the same answer");
    let (_, public) = send(&app, Method::GET, &format!("/api/polls/{slug}"), None, None).await;
    assert_eq!((public["current_question"].clone(), public["voting_open"].clone()), (Value::Null, json!(false)));

    // Walking through the final results still works, from both.
    let walk = json!({"position": 1, "voting_open": false});
    let response = as_deck(&app, Method::PUT, "/api/presenter/current", &secret, Some(walk)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let (status, _) =
        send(&app, Method::PUT, &console, Some(&staff.admin), Some(json!({"position": 0, "voting_open": false}))).await;
    assert_eq!(status, StatusCode::OK);
    // Open again, voting opens.
    set_open(&app, &staff.admin, id, true).await;
    let response = as_deck(
        &app,
        Method::PUT,
        "/api/presenter/current",
        &secret,
        Some(json!({"position": 0, "voting_open": true})),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let moved: Value = response.json().await.unwrap();
    assert_eq!((moved["current_question"].clone(), moved["voting_open"].clone()), (json!(0), json!(true)));
}

#[tokio::test]
async fn the_decks_poll_carries_each_catalog_questions_national_copy() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let poll = json!({"title": "Copies", "pacing": "presenter", "questions": [
        {"var_name": "perf_judicial_ind"},
        {"kind": "choice", "text": "Coffee or tea?", "options": ["Coffee", "Tea"]}
    ]});
    let (id, _) = create(&app, &staff, poll).await;
    let (_, secret) = make_link(&app, &staff, id).await;
    let response = as_deck(&app, Method::GET, "/api/presenter/poll", &secret, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let poll: Value = response.json().await.unwrap();
    assert_eq!(poll["questions"][1]["national"], Value::Null, "an own question has none");

    // The latest wave's cell for everyone, as the dashboards' proportions give it.
    let path = "/api/surveys/questions/perf_judicial_ind/proportions?split=none";
    let (_, proportions) = send(&app, Method::GET, path, None, None).await;
    let cells = proportions["cells"].as_array().unwrap();
    let latest = cells
        .iter()
        .filter(|c| c["wave"].is_number() && c["group"].is_null())
        .max_by_key(|c| c["wave"].as_i64())
        .unwrap();
    let copy = &poll["questions"][0]["national"];
    assert_eq!((copy["wave"].clone(), copy["n"].clone()), (latest["wave"].clone(), latest["n"].clone()), "{copy}");
    assert_eq!(copy["responses"], latest["responses"], "{copy}");
}
