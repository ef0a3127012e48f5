//! What the console's fixes rest on: rewording a poll that has answers (and refusing anything
//! more), letting a blocked word through for one poll, confirming a reset with the poll's title,
//! and a words answer over the length limit refused with the limit named.

use entity::polls::allowed_words;
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::spawn_app;
use crate::polls::{Staff, read_events_until, responses_csv, send, set_open, staff, vote};
use crate::question_kinds::{create, mixed_poll};

/// The mixed poll (pid3, a single choice splitting it, a multiple choice, a 0–10 scale, words),
/// answered by three participants who leave the multiple choice's last option ("Apathy") unchosen,
/// then closed.
async fn answered_mixed_poll(app: &crate::helpers::TestApp, staff: &Staff) -> (i64, String) {
    let (id, slug) = create(app, staff, mixed_poll("all_at_once")).await;
    set_open(app, &staff.admin, id, true).await;
    for (i, (party, place, worries, hope, words)) in [
        (0, 0, json!([0, 1]), 3, json!(["Hope"])),
        (1, 1, json!([2]), 7, json!(["fear", "courts"])),
        (2, 0, json!([1]), 10, json!(["hope"])),
    ]
    .into_iter()
    .enumerate()
    {
        let answers = json!([
            {"var_name": "pid3", "response_index": party},
            {"var_name": "q2", "response_index": place},
            {"var_name": "q3", "response_indices": worries},
            {"var_name": "q4", "value": hope},
            {"var_name": "q5", "words": words},
        ]);
        let (status, body) = vote(app, &slug, &format!("edit-participant-{i}"), answers).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    set_open(app, &staff.admin, id, false).await;
    (id, slug)
}

/// Every question's counts (choice, scale, catalog) or words, as staff results give them.
fn counts(results: &Value) -> Vec<Value> {
    results["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .map(|q| if q["kind"] == "words" { q["words"].clone() } else { json!([q["overall"], q["groups"]]) })
        .collect()
}

async fn staff_results(app: &crate::helpers::TestApp, staff: &Staff, id: i64) -> Value {
    let (status, results) =
        send(app, Method::GET, &format!("/api/admin/polls/{id}/results"), Some(&staff.analyst), None).await;
    assert_eq!(status, StatusCode::OK, "{results}");
    results
}

#[tokio::test]
async fn an_answered_poll_is_reworded_its_answers_untouched_and_watchers_follow() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, slug) = answered_mixed_poll(&app, &staff).await;
    let before = staff_results(&app, &staff, id).await;
    let csv_before = responses_csv(&app, &staff.analyst, id).await;
    // A screen watching the poll (the presenter view left open after the talk).
    let watcher = app.client.get(app.url(&format!("/api/polls/{slug}/results/stream"))).send().await.unwrap();
    let reader = tokio::spawn(read_events_until(watcher, |events| {
        events.last().is_some_and(|(_, results)| results["title"] == "A talk with every kind, reworded")
    }));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    let mut reworded = mixed_poll("all_at_once");
    reworded["title"] = json!("A talk with every kind, reworded");
    reworded["description"] = json!("Now with a description.");
    reworded["questions"][1]["text"] = json!("Where are you joining us from?");
    // Nobody chose "Apathy": its label may change; the chosen ones keep theirs.
    reworded["questions"][2]["options"] = json!(["Trust", "Violence", "Fraud", "Indifference"]);
    reworded["questions"][3]["min_label"] = json!("Not hopeful at all");
    reworded["questions"][3]["max_label"] = json!("Very hopeful");
    reworded["questions"][4]["text"] = json!("One word for democracy?");
    let path = format!("/api/admin/polls/{id}");
    assert_eq!(
        send(&app, Method::PUT, &path, Some(&staff.analyst), Some(reworded.clone())).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, poll) = send(&app, Method::PUT, &path, Some(&staff.admin), Some(reworded)).await;
    assert_eq!(status, StatusCode::OK, "{poll}");
    assert_eq!((poll["slug"].as_str(), poll["respondents"].as_i64()), (Some(slug.as_str()), Some(3)));
    assert_eq!(poll["description"], "Now with a description.");
    assert_eq!(poll["questions"][1]["text"], "Where are you joining us from?");
    assert_eq!(poll["questions"][2]["responses"][3]["response"], "Indifference");
    assert_eq!(poll["questions"][3]["scale"]["max_label"], "Very hopeful");
    assert_eq!(poll["questions"][4]["text"], "One word for democracy?");

    // The answers are the same answers: every count, group and word, and the CSV's rows.
    let after = staff_results(&app, &staff, id).await;
    assert_eq!(counts(&after), counts(&before));
    assert_eq!(after["respondents"], 3);
    assert_eq!(after["questions"][4]["text"], "One word for democracy?");
    let csv_after = responses_csv(&app, &staff.analyst, id).await;
    assert_eq!(csv_after.lines().skip(1).count(), 3, "{csv_after}");
    assert_eq!(
        csv_after.lines().skip(1).map(|l| l.split(',').skip(1).collect::<Vec<_>>()).collect::<Vec<_>>(),
        csv_before.lines().skip(1).map(|l| l.split(',').skip(1).collect::<Vec<_>>()).collect::<Vec<_>>(),
        "each row answers as before"
    );
    let events = tokio::time::timeout(std::time::Duration::from_secs(10), reader).await.expect("in time").unwrap();
    let last = &events.last().expect("an event").1;
    assert_eq!(last["questions"][1]["text"], "Where are you joining us from?", "the watcher's screen follows");
    assert_eq!(last["respondents"], 3);
}

#[tokio::test]
async fn more_than_wording_on_an_answered_poll_is_refused_naming_the_field() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, _) = answered_mixed_poll(&app, &staff).await;
    let before = staff_results(&app, &staff, id).await;
    let path = format!("/api/admin/polls/{id}");
    let edit = |change: &dyn Fn(&mut Value)| {
        let mut poll = mixed_poll("all_at_once");
        change(&mut poll);
        poll
    };
    let refusals: Vec<(Value, &str, &str)> = vec![
        (
            edit(&|p| p["questions"][2]["options"][0] = json!("Faith")),
            "questions[2].options[0]",
            "option 1 of question 3 (q3), “Trust”, was chosen",
        ),
        (
            edit(&|p| p["questions"][2]["options"] = json!(["Trust", "Violence", "Fraud"])),
            "questions[2].options",
            "cannot be added or removed",
        ),
        (edit(&|p| p["questions"][2]["max_choices"] = json!(3)), "questions[2].max_choices", "question 3 (q3)"),
        (
            edit(&|p| {
                p["questions"][3]["min"] = json!(1);
                p["questions"][3]["max"] = json!(7);
            }),
            "questions[3].min",
            "stays 0–10",
        ),
        (
            edit(&|p| p["questions"][4] = json!({"kind": "choice", "text": "Pick", "options": ["A", "B"]})),
            "questions[4]",
            "question 5 (q5) stays a words question",
        ),
        (
            edit(&|p| p["questions"][0]["response_indices"] = json!([0, 1])),
            "questions[0].response_indices",
            "question 1 (pid3)",
        ),
        (
            edit(&|p| p["questions"][0] = json!({"kind": "catalog", "var_name": "ideo7"})),
            "questions[0].var_name",
            "question 1 (pid3)",
        ),
        (
            edit(&|p| p["questions"].as_array_mut().unwrap().push(json!({"kind": "words", "text": "More?"}))),
            "questions",
            "cannot be added or removed",
        ),
        (edit(&|p| p["pacing"] = json!("presenter")), "pacing", "pacing is fixed"),
        (edit(&|p| p["split_by"] = json!("pid3")), "split_by", "splits its results"),
    ];
    for (poll, field, says) in refusals {
        let (status, error) = send(&app, Method::PUT, &path, Some(&staff.admin), Some(poll)).await;
        assert_eq!((status, error["error"]["field"].as_str()), (StatusCode::CONFLICT, Some(field)), "{error}");
        let message = error["error"]["message"].as_str().unwrap();
        assert!(message.contains(says) && message.contains("reset its answers"), "{message}");
    }
    // A moved question is refused too (own questions are keyed by their place: the kinds differ).
    let mut moved = mixed_poll("all_at_once");
    moved["questions"].as_array_mut().unwrap().swap(3, 4);
    let (status, _) = send(&app, Method::PUT, &path, Some(&staff.admin), Some(moved)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Nothing was written: not even the wording that came with a refused change.
    let mut retitled = edit(&|p| p["questions"][2]["max_choices"] = json!(3));
    retitled["title"] = json!("Retitled");
    assert_eq!(send(&app, Method::PUT, &path, Some(&staff.admin), Some(retitled)).await.0, StatusCode::CONFLICT);
    let (_, poll) = send(&app, Method::GET, &path, Some(&staff.admin), None).await;
    assert_eq!(poll["title"], "A talk with every kind");
    assert_eq!(counts(&staff_results(&app, &staff, id).await), counts(&before));
    // Open: no edit at all, wording included.
    set_open(&app, &staff.admin, id, true).await;
    let (status, error) = send(&app, Method::PUT, &path, Some(&staff.admin), Some(mixed_poll("all_at_once"))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
}

#[tokio::test]
async fn a_reset_is_confirmed_with_the_poll_title_in_any_case_or_its_slug() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, slug) = answered_mixed_poll(&app, &staff).await;
    let reset = format!("/api/admin/polls/{id}/reset");
    let confirm = |text: &str| Some(json!({ "confirm": text }));
    for wrong in ["", "A talk", "a-talk-with-every-kind", "A talk with every kind (copy)"] {
        let (status, error) = send(&app, Method::POST, &reset, Some(&staff.admin), confirm(wrong)).await;
        assert_eq!((status, error["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("confirm")));
        assert_eq!(
            error["error"]["message"], "type the poll's title, “A talk with every kind”, to confirm the reset",
            "the message says what to type"
        );
    }
    assert_eq!(
        send(&app, Method::GET, &format!("/api/admin/polls/{id}"), Some(&staff.admin), None).await.1["respondents"],
        3
    );
    let (status, poll) =
        send(&app, Method::POST, &reset, Some(&staff.admin), confirm("  a TALK with every kind ")).await;
    assert_eq!((status, poll["respondents"].as_i64()), (StatusCode::OK, Some(0)), "{poll}");

    // The slug still does, as earlier clients send it.
    set_open(&app, &staff.admin, id, true).await;
    let answers = json!([
        {"var_name": "pid3", "response_index": 0}, {"var_name": "q2", "response_index": 0},
        {"var_name": "q3", "response_indices": [0]}, {"var_name": "q4", "value": 1}, {"var_name": "q5", "words": ["x"]}
    ]);
    assert_eq!(vote(&app, &slug, "after-reset-token", answers).await.0, StatusCode::CREATED);
    set_open(&app, &staff.admin, id, false).await;
    let (status, poll) = send(&app, Method::POST, &reset, Some(&staff.admin), confirm(&slug)).await;
    assert_eq!((status, poll["respondents"].as_i64()), (StatusCode::OK, Some(0)), "{poll}");
}

/// The words of a words poll's only question, as `word:count[:moderation]`.
fn words_of(results: &Value) -> Vec<String> {
    results["questions"][0]["words"]
        .as_array()
        .expect("words")
        .iter()
        .map(|w| match w["moderation"].as_str() {
            Some(moderation) => format!("{}:{}:{moderation}", w["word"].as_str().unwrap(), w["count"]),
            None => format!("{}:{}", w["word"].as_str().unwrap(), w["count"]),
        })
        .collect()
}

#[tokio::test]
async fn a_presenter_lets_a_blocked_word_through_for_their_poll_and_blocks_it_again() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, slug) = create(
        &app,
        &staff,
        json!({"title": "Vice presidents", "questions": [
            {"kind": "words", "text": "A vice president you remember?"},
            {"kind": "choice", "text": "Seen one?", "options": ["Yes", "No"]}
        ]}),
    )
    .await;
    set_open(&app, &staff.admin, id, true).await;
    for (i, words) in
        [json!(["Dick Cheney", "Biden"]), json!(["dick  cheney!"]), json!(["Pence"])].into_iter().enumerate()
    {
        let answers = json!([{"var_name": "q1", "words": words}, {"var_name": "q2", "response_index": 0}]);
        let (status, body) = vote(&app, &slug, &format!("vp-token-{i}"), answers).await;
        assert_eq!(status, StatusCode::CREATED, "blocked words are taken and stored: {body}");
    }
    let public = || async { send(&app, Method::GET, &format!("/api/polls/{slug}/results"), None, None).await.1 };
    assert_eq!(words_of(&public().await), ["biden:1", "pence:1"]);
    assert_eq!(public().await["questions"][0]["answers"], 2);
    assert_eq!(words_of(&staff_results(&app, &staff, id).await), ["biden:1", "pence:1", "dick cheney:2:blocked"]);
    let watcher = app.client.get(app.url(&format!("/api/polls/{slug}/results/stream"))).send().await.unwrap();
    let reader = tokio::spawn(read_events_until(watcher, |events| {
        events.last().is_some_and(|(_, results)| results["questions"][0]["words"][0]["word"] == "dick cheney")
    }));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    let path = format!("/api/admin/polls/{id}/questions/q1/allowed-words");
    let allow = |cookie: String, word: &'static str| {
        let (app, path) = (&app, path.clone());
        async move { send(app, Method::POST, &path, Some(&cookie), Some(json!({ "word": word }))).await }
    };
    assert_eq!(allow(staff.analyst.clone(), "Dick Cheney").await.0, StatusCode::FORBIDDEN);
    let (status, body) = allow(staff.admin.clone(), " Dick CHENEY ").await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    // Allowing again changes nothing.
    assert_eq!(allow(staff.admin.clone(), "dick cheney").await.0, StatusCode::NO_CONTENT);

    // Every public screen shows it, the answers given before counted, unmarked.
    let events = tokio::time::timeout(std::time::Duration::from_secs(10), reader).await.expect("in time").unwrap();
    assert_eq!(words_of(&events.last().unwrap().1), ["dick cheney:2", "biden:1", "pence:1"]);
    assert_eq!(words_of(&public().await), ["dick cheney:2", "biden:1", "pence:1"]);
    assert_eq!(public().await["questions"][0]["answers"], 4);
    assert_eq!(
        words_of(&staff_results(&app, &staff, id).await),
        ["dick cheney:2:allowed", "biden:1", "pence:1"],
        "staff see that it was allowed"
    );
    let recorded = allowed_words::Entity::find()
        .filter(allowed_words::Column::PollId.eq(i32::try_from(id).unwrap()))
        .all(&app.db.conn)
        .await
        .unwrap();
    assert_eq!(
        recorded.iter().map(|r| (r.var_name.as_str(), r.word.as_str())).collect::<Vec<_>>(),
        [("q1", "dick cheney")]
    );
    assert!(recorded[0].allowed_by.is_some(), "who allowed it is recorded");
    // New answers with it count and show.
    let answers = json!([{"var_name": "q1", "words": ["DICK CHENEY"]}, {"var_name": "q2", "response_index": 1}]);
    assert_eq!(vote(&app, &slug, "vp-token-3", answers).await.0, StatusCode::CREATED);
    assert_eq!(words_of(&public().await)[0], "dick cheney:3");

    // Only a blocked word of a words question of the poll.
    let (status, error) = allow(staff.admin.clone(), "Biden").await;
    assert_eq!((status, error["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("word")), "{error}");
    let other = format!("/api/admin/polls/{id}/questions/q2/allowed-words");
    let (status, error) =
        send(&app, Method::POST, &other, Some(&staff.admin), Some(json!({"word": "dick cheney"}))).await;
    assert_eq!((status, error["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("var_name")));
    let missing = format!("/api/admin/polls/{id}/questions/q9/allowed-words");
    assert_eq!(
        send(&app, Method::POST, &missing, Some(&staff.admin), Some(json!({"word": "dick cheney"}))).await.0,
        StatusCode::NOT_FOUND
    );

    // Blocked again: gone from the public, marked blocked for staff, the answers still stored.
    let disallow = format!("{path}/{}", "dick%20cheney");
    assert_eq!(send(&app, Method::DELETE, &disallow, Some(&staff.analyst), None).await.0, StatusCode::FORBIDDEN);
    assert_eq!(send(&app, Method::DELETE, &disallow, Some(&staff.admin), None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(words_of(&public().await), ["biden:1", "pence:1"]);
    assert_eq!(words_of(&staff_results(&app, &staff, id).await), ["biden:1", "pence:1", "dick cheney:3:blocked"]);
    assert_eq!(send(&app, Method::DELETE, &disallow, Some(&staff.admin), None).await.0, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_word_over_the_length_limit_is_refused_with_the_limit_named() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, slug) =
        create(&app, &staff, json!({"title": "Long words", "questions": [{"kind": "words", "text": "Say it"}]})).await;
    set_open(&app, &staff.admin, id, true).await;
    let forty = "x".repeat(40);
    let answers = |word: &str| json!([{"var_name": "q1", "words": ["fine", word]}]);
    let (status, error) = vote(&app, &slug, "long-word-token", answers(&format!("{forty}y"))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["error"]["field"], "answers[0].words[1]");
    assert_eq!(error["error"]["message"], "answers[0].words[1] must be at most 40 characters");
    let (_, poll) = send(&app, Method::GET, &format!("/api/polls/{slug}"), None, None).await;
    assert_eq!(poll["questions"][0]["max_word_length"], 40, "the limit participants are told");
    assert_eq!(vote(&app, &slug, "long-word-token", answers(&forty)).await.0, StatusCode::CREATED);
}
