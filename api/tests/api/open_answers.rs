//! Open questions: answers in participants' own words wait for a presenter, who approves them for
//! the room or hides them; the public (on every process) sees approved answers only, staff the
//! queue; the CSV keeps every answer with its review.

use entity::polls::answer_texts;
use reqwest::{Method, StatusCode};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::helpers::{settings_for, spawn_app};
use crate::polls::{read_events_until, responses_csv, send, set_open, staff, vote};
use crate::question_kinds::create;

fn texts(question: &Value) -> Vec<String> {
    question["answers"].as_array().unwrap().iter().map(|a| a["text"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn open_answers_wait_for_a_presenter_and_only_approved_ones_reach_the_public_on_every_process() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let poll = json!({"title": "Ask the room", "questions": [
        {"kind": "choice", "text": "Here?", "options": ["Yes", "No"]},
        {"kind": "open", "text": "What should change first?"}
    ]});
    let (id, slug) = create(&app, &staff, poll).await;
    set_open(&app, &staff.admin, id, true).await;
    let long = "é".repeat(280);
    let given = ["  Fund the courts  ", "=HYPERLINK(\"http://x\")", "This is shit", long.as_str()];
    for (i, text) in given.iter().enumerate() {
        let answers = json!([{"var_name": "q1", "response_index": 0}, {"var_name": "q2", "text": text}]);
        let (status, body) = vote(&app, &slug, &format!("open-token-{i}"), answers).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    // The same token again changes nothing (one answer per participant).
    let again = json!([{"var_name": "q1", "response_index": 1}, {"var_name": "q2", "text": "Second thoughts"}]);
    assert_eq!(vote(&app, &slug, "open-token-0", again).await.0, StatusCode::OK);

    // Staff see the queue, oldest first, with whose answer it is and what the blocklist says.
    let staff_results = format!("/api/admin/polls/{id}/results");
    let (_, results) = send(&app, Method::GET, &staff_results, Some(&staff.analyst), None).await;
    let open = &results["questions"][1];
    assert_eq!((open["kind"].clone(), open["respondents"].clone()), (json!("open"), json!(4)));
    assert_eq!(
        (open["pending"].clone(), open["approved"].clone(), open["hidden_answers"].clone()),
        (json!(4), json!(0), json!(0))
    );
    assert_eq!(texts(open), ["Fund the courts", "=HYPERLINK(\"http://x\")", "This is shit", long.as_str()]);
    let blocked: Vec<bool> = open["answers"].as_array().unwrap().iter().map(|a| a["blocked"] == true).collect();
    assert_eq!(blocked, [false, false, true, false]);
    let ids: Vec<i64> =
        open["answers"].as_array().unwrap().iter().map(|a| a["respondent_id"].as_i64().unwrap()).collect();

    // The public sees none of them yet.
    let (_, public) = send(&app, Method::GET, &format!("/api/polls/{slug}/results"), None, None).await;
    assert_eq!(
        (public["questions"][1]["approved"].clone(), public["questions"][1]["answers"].clone()),
        (json!(0), json!([]))
    );
    assert!(public["questions"][1].get("pending").is_none(), "{public}");

    // A phone on another process follows; approving reaches it.
    let other = api::Application::build(settings_for(&app.db)).await.expect("second process");
    let other_address = other.address().expect("address");
    tokio::spawn(other.serve());
    let phone = app.client.get(format!("http://{other_address}/api/polls/{slug}/results/stream")).send().await.unwrap();
    let reader = tokio::spawn(read_events_until(phone, |events| {
        events.last().is_some_and(|(_, results)| results["questions"][1]["approved"] == 2)
    }));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let review = |respondent: i64| format!("/api/admin/polls/{id}/questions/q2/answers/{respondent}/review");
    for (respondent, decision) in [(ids[0], "approved"), (ids[2], "hidden"), (ids[1], "approved")] {
        let (status, body) =
            send(&app, Method::PUT, &review(respondent), Some(&staff.admin), Some(json!({"review": decision}))).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    }
    let events = tokio::time::timeout(std::time::Duration::from_secs(10), reader).await.expect("in time").unwrap();
    let shown = &events.last().unwrap().1["questions"][1];
    assert_eq!(texts(shown), ["=HYPERLINK(\"http://x\")", "Fund the courts"], "approved ones, newest first");
    for answer in shown["answers"].as_array().unwrap() {
        assert_eq!(answer.as_object().unwrap().keys().collect::<Vec<_>>(), ["text"], "nothing but the text: {answer}");
    }
    assert!(events.iter().all(|(_, r)| !r.to_string().contains("This is shit") && !r.to_string().contains(&long)));

    // Staff: the queue, then approved (newest first), then hidden; who decided and when are kept.
    let (_, results) = send(&app, Method::GET, &staff_results, Some(&staff.analyst), None).await;
    let open = &results["questions"][1];
    assert_eq!(texts(open), [long.as_str(), "=HYPERLINK(\"http://x\")", "Fund the courts", "This is shit"]);
    assert_eq!(
        (open["pending"].clone(), open["approved"].clone(), open["hidden_answers"].clone()),
        (json!(1), json!(2), json!(1))
    );
    let rows = answer_texts::Entity::find().all(&app.db.conn).await.unwrap();
    let decided: Vec<_> = rows.iter().filter(|r| r.review != "pending").collect();
    assert_eq!(decided.len(), 3);
    assert!(decided.iter().all(|r| r.reviewed_by.is_some() && r.reviewed_at.is_some()));
    // Back to waiting: who decided is forgotten with the decision.
    let (status, _) =
        send(&app, Method::PUT, &review(ids[2]), Some(&staff.admin), Some(json!({"review": "pending"}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let row = answer_texts::Entity::find_by_id((ids[2], "q2".to_owned())).one(&app.db.conn).await.unwrap().unwrap();
    assert_eq!((row.review.as_str(), row.reviewed_by, row.reviewed_at), ("pending", None, None));

    // Refusals: an analyst, a bad decision, another kind of question, an unknown answer or poll.
    let forbidden =
        send(&app, Method::PUT, &review(ids[0]), Some(&staff.analyst), Some(json!({"review": "hidden"}))).await;
    assert_eq!(forbidden.0, StatusCode::FORBIDDEN);
    let (status, error) =
        send(&app, Method::PUT, &review(ids[0]), Some(&staff.admin), Some(json!({"review": "shown"}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    let choice = format!("/api/admin/polls/{id}/questions/q1/answers/{}/review", ids[0]);
    let (status, error) =
        send(&app, Method::PUT, &choice, Some(&staff.admin), Some(json!({"review": "approved"}))).await;
    assert_eq!((status, error["error"]["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("var_name")));
    let (status, _) =
        send(&app, Method::PUT, &review(999_999), Some(&staff.admin), Some(json!({"review": "approved"}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let elsewhere = format!("/api/admin/polls/999999/questions/q2/answers/{}/review", ids[0]);
    let (status, _) =
        send(&app, Method::PUT, &elsewhere, Some(&staff.admin), Some(json!({"review": "approved"}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The CSV keeps every answer as typed (trimmed), its review, and formulas made text.
    let csv = responses_csv(&app, &staff.analyst, id).await;
    let header = csv.lines().next().unwrap();
    assert!(header.ends_with(",q1,q2,q2_review"), "{header}");
    assert!(csv.contains(",Yes,Fund the courts,approved"), "{csv}");
    assert!(csv.contains(",\"'=HYPERLINK(\"\"http://x\"\")\",approved"), "{csv}");
    assert!(csv.contains(",This is shit,pending"), "{csv}");
    assert!(csv.contains(&format!(",{long},pending")), "{csv}");

    // A reset takes the answers and their reviews away.
    set_open(&app, &staff.admin, id, false).await;
    let reset = format!("/api/admin/polls/{id}/reset");
    let (status, _) =
        send(&app, Method::POST, &reset, Some(&staff.admin), Some(json!({"confirm": "Ask the room"}))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(answer_texts::Entity::find().all(&app.db.conn).await.unwrap().is_empty());
}

#[tokio::test]
async fn bad_open_questions_and_answers_name_their_field() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let open = json!({"kind": "open", "text": "Anything?"});
    let refused = |poll: Value| {
        let (app, admin) = (&app, staff.admin.clone());
        async move {
            let (status, error) = send(app, Method::POST, "/api/admin/polls", Some(&admin), Some(poll)).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
            error["error"]["field"].as_str().unwrap().to_owned()
        }
    };
    let with_options = json!({"title": "x", "questions": [{"kind": "open", "text": "Say", "options": ["a", "b"]}]});
    assert_eq!(refused(with_options).await, "questions[0].options");
    let untitled = json!({"title": "x", "questions": [{"kind": "open"}]});
    assert_eq!(refused(untitled).await, "questions[0].text");
    let split = json!({"title": "x", "split_by": "q1", "questions": [open.clone()]});
    assert_eq!(refused(split).await, "split_by");

    let (id, slug) = create(&app, &staff, json!({"title": "Open", "questions": [open]})).await;
    set_open(&app, &staff.admin, id, true).await;
    let cases = [
        (json!({"var_name": "q1", "text": "   "}), "answers[0].text"),
        (json!({"var_name": "q1", "text": "x".repeat(281)}), "answers[0].text"),
        (json!({"var_name": "q1", "text": "two\nlines"}), "answers[0].text"),
        (json!({"var_name": "q1", "text": "hidden\u{200b}mark"}), "answers[0].text"),
        (json!({"var_name": "q1", "words": ["hope"]}), "answers[0].words"),
        (json!({"var_name": "q1"}), "answers[0].text"),
    ];
    for (i, (answer, field)) in cases.into_iter().enumerate() {
        let (status, error) = vote(&app, &slug, &format!("bad-open-{i}"), json!([answer])).await;
        assert_eq!(
            (status, error["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{error}"
        );
    }
    let (_, results) = send(&app, Method::GET, &format!("/api/polls/{slug}/results"), None, None).await;
    assert_eq!(results["respondents"], 0, "nothing was stored");
}
