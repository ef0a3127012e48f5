//! Audience Q&A over real HTTP: browsers (device cookies) ask and upvote, once per browser and
//! question whichever process they reach; the presenter moderates, marks answered and pins; the
//! public sees approved questions only, on every process; limits, bad input, voids and resets.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, settings_for, spawn_app};
use crate::polls::{read_events_until, send, set_open, staff};
use crate::question_kinds::create;

/// A browser: its device cookie once the api has given it one.
struct Browser {
    cookie: Option<String>,
}

impl Browser {
    fn new() -> Self {
        Self { cookie: None }
    }

    async fn send(
        &mut self,
        app: &TestApp,
        base: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = app.client.request(method, format!("{base}{path}"));
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        if let Some(set) = response.headers().get("set-cookie") {
            self.cookie = Some(set.to_str().unwrap().split(';').next().unwrap().to_owned());
        }
        let status = response.status();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }
}

fn texts(qa: &Value) -> Vec<String> {
    qa["questions"].as_array().unwrap().iter().map(|q| q["text"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn questions_are_asked_voted_once_per_browser_moderated_and_pinned_on_every_process() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let poll = json!({"title": "Ask me", "qa_mode": "post_moderated",
        "questions": [{"kind": "choice", "text": "Here?", "options": ["Yes", "No"]}]});
    let (id, slug) = create(&app, &staff, poll).await;
    let (_, view) = send(&app, Method::GET, &format!("/api/admin/polls/{id}"), Some(&staff.admin), None).await;
    assert_eq!(view["qa_mode"], "post_moderated");
    // Closed: no questions yet.
    let (ana, ben) = (&mut Browser::new(), &mut Browser::new());
    let one = app.url("");
    let asks = format!("/api/polls/{slug}/audience-questions");
    let (status, _) = ana.send(&app, &one, Method::POST, &asks, Some(json!({"text": "Too early?"}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a poll that never opened is not found");
    set_open(&app, &staff.admin, id, true).await;

    let other = api::Application::build(settings_for(&app.db)).await.expect("second process");
    let two = format!("http://{}", other.address().expect("address"));
    tokio::spawn(other.serve());

    let question = json!({"text": "  How do you measure judicial independence?  ", "display_name": "Ana"});
    let (status, asked) = ana.send(&app, &one, Method::POST, &asks, Some(question)).await;
    assert_eq!((status, asked["review"].clone()), (StatusCode::CREATED, json!("approved")), "{asked}");
    let first = asked["id"].as_i64().unwrap();
    // A word the blocklist matches is held for the presenter, not dropped.
    let (status, held) = ben.send(&app, &two, Method::POST, &asks, Some(json!({"text": "Is this shit rigged?"}))).await;
    assert_eq!((status, held["review"].clone()), (StatusCode::CREATED, json!("pending")), "{held}");
    let held = held["id"].as_i64().unwrap();

    // A phone on the second process follows.
    let phone = app.client.get(format!("{two}/api/polls/{slug}/results/stream")).send().await.unwrap();
    let reader = tokio::spawn(read_events_until(phone, |events| {
        events.last().is_some_and(|(_, r)| r["qa"]["pinned"]["votes"] == 2)
    }));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    // One vote per browser and question, whichever process it reaches; taken back at will.
    let vote = format!("/api/polls/{slug}/audience-questions/{first}/vote");
    assert_eq!(ben.send(&app, &one, Method::PUT, &vote, None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(ben.send(&app, &two, Method::PUT, &vote, None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(ana.send(&app, &two, Method::PUT, &vote, None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(ana.send(&app, &one, Method::DELETE, &vote, None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(
        ana.send(&app, &one, Method::DELETE, &vote, None).await.0,
        StatusCode::NO_CONTENT,
        "none left: nothing changes"
    );
    assert_eq!(ana.send(&app, &two, Method::PUT, &vote, None).await.0, StatusCode::NO_CONTENT);
    // A held question cannot be voted for (the room does not see it), nor another poll's.
    let held_vote = format!("/api/polls/{slug}/audience-questions/{held}/vote");
    assert_eq!(ana.send(&app, &one, Method::PUT, &held_vote, None).await.0, StatusCode::NOT_FOUND);

    // Staff see the queue with the blocklist's mark; the public, on either process, does not.
    let (_, results) =
        send(&app, Method::GET, &format!("/api/admin/polls/{id}/results"), Some(&staff.analyst), None).await;
    let qa = &results["qa"];
    assert_eq!((qa["approved"].clone(), qa["pending"].clone(), qa["hidden"].clone()), (json!(1), json!(1), json!(0)));
    assert_eq!(qa["total_votes"], 2);
    assert_eq!(texts(qa), ["How do you measure judicial independence?", "Is this shit rigged?"]);
    assert_eq!(
        (qa["questions"][0]["votes"].clone(), qa["questions"][0]["display_name"].clone()),
        (json!(2), json!("Ana"))
    );
    assert_eq!(
        (qa["questions"][1]["blocked"].clone(), qa["questions"][1]["review"].clone()),
        (json!(true), json!("pending"))
    );
    for base in [&one, &two] {
        let public: Value =
            app.client.get(format!("{base}/api/polls/{slug}/results")).send().await.unwrap().json().await.unwrap();
        assert_eq!(texts(&public["qa"]), ["How do you measure judicial independence?"], "{base}");
        assert!(
            public["qa"].get("pending").is_none() && public["qa"]["questions"][0].get("review").is_none(),
            "{public}"
        );
    }

    // Pinning: approved questions only.
    let pin = format!("/api/admin/polls/{id}/audience-questions/pinned");
    let (status, error) = send(&app, Method::PUT, &pin, Some(&staff.admin), Some(json!({"question_id": held}))).await;
    assert_eq!((status, error["error"]["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("question_id")));
    assert_eq!(
        send(&app, Method::PUT, &pin, Some(&staff.analyst), Some(json!({"question_id": first}))).await.0,
        StatusCode::FORBIDDEN
    );
    let nowhere = "/api/admin/polls/999999/audience-questions/pinned";
    let (status, _) = send(&app, Method::PUT, nowhere, Some(&staff.admin), Some(json!({"question_id": null}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no such poll");
    assert_eq!(
        send(&app, Method::PUT, &pin, Some(&staff.admin), Some(json!({"question_id": first}))).await.0,
        StatusCode::NO_CONTENT
    );
    let events = tokio::time::timeout(std::time::Duration::from_secs(10), reader).await.expect("in time").unwrap();
    let (_, last) = events.last().unwrap();
    assert_eq!(last["qa"]["pinned"]["text"], "How do you measure judicial independence?");
    assert!(events.iter().all(|(_, r)| !r.to_string().contains("shit")), "the held question never reached the stream");

    // Moderation: approve, mark answered, hide (which unpins); who decided is kept.
    let moderate = |q: i64| format!("/api/admin/polls/{id}/audience-questions/{q}");
    assert_eq!(
        send(&app, Method::PATCH, &moderate(held), Some(&staff.admin), Some(json!({"review": "approved"}))).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        send(&app, Method::PATCH, &moderate(first), Some(&staff.admin), Some(json!({"answered": true}))).await.0,
        StatusCode::NO_CONTENT
    );
    let (status, error) = send(&app, Method::PATCH, &moderate(first), Some(&staff.admin), Some(json!({}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(
        send(&app, Method::PATCH, &moderate(999_999), Some(&staff.admin), Some(json!({"answered": true}))).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        send(&app, Method::PATCH, &moderate(first), Some(&staff.admin), Some(json!({"review": "hidden"}))).await.0,
        StatusCode::NO_CONTENT
    );
    let public: Value =
        app.client.get(format!("{two}/api/polls/{slug}/results")).send().await.unwrap().json().await.unwrap();
    assert_eq!(texts(&public["qa"]), ["Is this shit rigged?"], "approved by the presenter: their call");
    assert!(public["qa"]["pinned"].is_null(), "hiding the pinned question unpinned it: {public}");
    let (_, results) =
        send(&app, Method::GET, &format!("/api/admin/polls/{id}/results"), Some(&staff.analyst), None).await;
    let hidden = results["qa"]["questions"].as_array().unwrap().iter().find(|q| q["id"] == first).unwrap().clone();
    assert_eq!((hidden["answered"].clone(), hidden["review"].clone()), (json!(true), json!("hidden")));

    // The CSV: every question, its review and votes; formulas made text; no device.
    let csv = app
        .client
        .get(app.url(&format!("/api/admin/polls/{id}/audience-questions.csv")))
        .header("cookie", &staff.analyst)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "id,asked_at,text,display_name,review,reviewed_by,reviewed_at,answered_at,votes");
    assert!(
        lines[1].contains(",How do you measure judicial independence?,Ana,hidden,") && lines[1].ends_with(",2"),
        "{csv}"
    );
    assert!(lines[2].contains(",Is this shit rigged?,,approved,"), "{csv}");
    assert_eq!(lines.len(), 3, "{csv}");

    // What a browser asked and voted for.
    let (_, mine) = ben.send(&app, &two, Method::GET, &format!("{asks}/mine"), None).await;
    assert_eq!(mine["asked"].as_array().unwrap().iter().map(|q| q["id"].as_i64().unwrap()).collect::<Vec<_>>(), [held]);
    assert_eq!(mine["voted"], json!([first]));

    // Limits: three questions a minute per browser.
    let (status, _) = ben.send(&app, &one, Method::POST, &asks, Some(json!({"text": "Second?"}))).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = ben.send(&app, &one, Method::POST, &asks, Some(json!({"text": "Third?"}))).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, error) = ben.send(&app, &one, Method::POST, &asks, Some(json!({"text": "Fourth?"}))).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{error}");

    // Bad input names its field and stores nothing.
    let carl = &mut Browser::new();
    for (body, field) in [
        (json!({"text": "   "}), "text"),
        (json!({"text": "x".repeat(281)}), "text"),
        (json!({"text": "two\nlines"}), "text"),
        (json!({"text": "Fine", "display_name": "n".repeat(41)}), "display_name"),
    ] {
        let (status, error) = carl.send(&app, &one, Method::POST, &asks, Some(body)).await;
        assert_eq!(
            (status, error["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{error}"
        );
    }
    let (status, _) = carl.send(&app, &one, Method::POST, &asks, Some(json!({"text": "x", "votes": 99}))).await;
    assert!(status.is_client_error(), "an unknown field is refused: {status}");

    // Pre-moderated: every question waits.
    let (status, _) = send(
        &app,
        Method::PATCH,
        &format!("/api/admin/polls/{id}"),
        Some(&staff.admin),
        Some(json!({"qa_mode": "pre_moderated"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, asked) = carl.send(&app, &two, Method::POST, &asks, Some(json!({"text": "Held for review?"}))).await;
    assert_eq!((status, asked["review"].clone()), (StatusCode::CREATED, json!("pending")));
    // Off, or closed: refused.
    let (status, _) = send(
        &app,
        Method::PATCH,
        &format!("/api/admin/polls/{id}"),
        Some(&staff.admin),
        Some(json!({"qa_mode": "off"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(carl.send(&app, &one, Method::POST, &asks, Some(json!({"text": "Off?"}))).await.0, StatusCode::CONFLICT);
    assert_eq!(carl.send(&app, &one, Method::PUT, &vote, None).await.0, StatusCode::CONFLICT);

    // A reset takes the questions away with the answers.
    set_open(&app, &staff.admin, id, false).await;
    let (status, _) = send(
        &app,
        Method::POST,
        &format!("/api/admin/polls/{id}/reset"),
        Some(&staff.admin),
        Some(json!({"confirm": "Ask me"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, results) =
        send(&app, Method::GET, &format!("/api/admin/polls/{id}/results"), Some(&staff.analyst), None).await;
    assert!(results.get("qa").is_none(), "off and empty: {results}");
}

#[tokio::test]
async fn a_void_takes_a_bursts_votes_away_and_the_counts_follow() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let poll = json!({"title": "Burst", "qa_mode": "post_moderated",
        "questions": [{"kind": "choice", "text": "Here?", "options": ["Yes", "No"]}]});
    let (id, slug) = create(&app, &staff, poll).await;
    set_open(&app, &staff.admin, id, true).await;
    let base = app.url("");
    let asker = &mut Browser::new();
    let asks = format!("/api/polls/{slug}/audience-questions");
    let (_, asked) = asker.send(&app, &base, Method::POST, &asks, Some(json!({"text": "Why?"}))).await;
    let vote = format!("{asks}/{}/vote", asked["id"]);
    let from = chrono::Utc::now() - chrono::Duration::seconds(5);
    // Twelve browsers from one address (a script): twelve votes, and a ballot (the activity view
    // names clients by their ballots).
    for _ in 0..12 {
        assert_eq!(Browser::new().send(&app, &base, Method::PUT, &vote, None).await.0, StatusCode::NO_CONTENT);
    }
    let ballot = json!([{"var_name": "q1", "response_index": 0}]);
    assert_eq!(crate::polls::vote(&app, &slug, "burst-ballot-1", ballot).await.0, StatusCode::CREATED);
    let (_, results) = send(&app, Method::GET, &format!("/api/polls/{slug}/results"), None, None).await;
    assert_eq!(results["qa"]["questions"][0]["votes"], 12);
    let (_, activity) =
        send(&app, Method::GET, &format!("/api/admin/polls/{id}/activity"), Some(&staff.admin), None).await;
    let client = activity["clients"][0]["client"].as_str().expect("the burst's client").to_owned();
    let to = chrono::Utc::now() + chrono::Duration::seconds(5);
    let body = json!({"client": client, "from": from.to_rfc3339(), "to": to.to_rfc3339()});
    let (status, void) =
        send(&app, Method::POST, &format!("/api/admin/polls/{id}/voids"), Some(&staff.admin), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{void}");
    let (_, results) = send(&app, Method::GET, &format!("/api/polls/{slug}/results"), None, None).await;
    assert_eq!(results["qa"]["questions"][0]["votes"], 0, "{results}");
}
