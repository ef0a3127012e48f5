//! The presenter's own questions (choice, scale, words) beside catalog questions; presenter-paced
//! polls; word moderation; editing, duplicating, resetting and archiving polls.

use std::collections::HashMap;

use entity::polls::poll_resets;
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{TestApp, settings_for, spawn_app};
use crate::polls::{Staff, read_events_until, responses_csv, send, set_open, staff, vote};

/// Every kind in one poll: pid3 (catalog), a single choice (split), a multiple choice, a 0–10
/// scale and a words question.
pub(crate) fn mixed_poll(pacing: &str) -> Value {
    json!({
        "title": "A talk with every kind",
        "pacing": pacing,
        "split_by": "q2",
        "questions": [
            {"kind": "catalog", "var_name": "pid3", "response_indices": [0, 1, 2]},
            {"kind": "choice", "text": "Where are you joining from?", "options": ["Here", "Online", "Elsewhere"]},
            {"kind": "choice", "text": "Which worry you most?", "options": ["Trust", "Violence", "Fraud", "Apathy"], "max_choices": 2},
            {"kind": "scale", "text": "How hopeful are you?", "min": 0, "max": 10, "min_label": "Not at all", "max_label": "Very"},
            {"kind": "words", "text": "One word for democracy today?"}
        ]
    })
}

pub(crate) async fn create(app: &TestApp, staff: &Staff, poll: Value) -> (i64, String) {
    let (status, poll) = send(app, Method::POST, "/api/admin/polls", Some(&staff.admin), Some(poll)).await;
    assert_eq!(status, StatusCode::CREATED, "{poll}");
    (poll["id"].as_i64().unwrap(), poll["slug"].as_str().unwrap().to_owned())
}

/// One participant's answers to the mixed poll.
pub(crate) struct Participant {
    pub(crate) party: i64,
    pub(crate) place: i64,
    pub(crate) worries: Vec<i64>,
    pub(crate) hope: i64,
    pub(crate) words: Vec<&'static str>,
}

impl Participant {
    pub(crate) fn answers(&self) -> [Value; 5] {
        [
            json!({"var_name": "pid3", "response_index": self.party}),
            json!({"var_name": "q2", "response_index": self.place}),
            json!({"var_name": "q3", "response_indices": self.worries}),
            json!({"var_name": "q4", "value": self.hope}),
            json!({"var_name": "q5", "words": self.words}),
        ]
    }
}

fn participants() -> Vec<Participant> {
    let words: [&[&str]; 7] = [
        &["Freedom", "votes"],
        &["freedom!"],
        &["The Courts", "hope"],
        &["hope", "HOPE"],
        &["fear", "shit"],
        &["courts"],
        &["the"],
    ];
    (0..14i64)
        .map(|i| Participant {
            party: i % 3,
            place: (i * 7 + 1) % 3,
            worries: if i % 4 == 0 { vec![(i / 4) % 4] } else { vec![i % 4, (i + 1) % 4] },
            hope: (i * 5) % 11,
            words: words[usize::try_from(i).unwrap() % words.len()].to_vec(),
        })
        .collect()
}

/// Mean and 95% logit interval of `values` on a `min`–`max` scale, computed here from the values
/// themselves: p = (mean − min)/(max − min), logit(p) ∓ t·(se/(max − min))/(p(1 − p)), mapped back.
fn logit_interval(values: &[f64], min: f64, max: f64) -> (f64, f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    // qt(0.975, 13), from R.
    let t = 2.160_368_656_461_013;
    let p = (mean - min) / (max - min);
    let half = t * sd / n.sqrt() / (max - min) / (p * (1.0 - p));
    let back = |x: f64| min + (max - min) / (1.0 + (-x).exp());
    let logit = (p / (1.0 - p)).ln();
    (mean, back(logit - half), back(logit + half))
}

fn close(a: &Value, b: f64) -> bool {
    (a.as_f64().expect("a number") - b).abs() < 1e-9
}

#[tokio::test]
async fn every_kind_is_answered_counted_split_and_exported() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, slug) = create(&app, &staff, mixed_poll("all_at_once")).await;
    set_open(&app, &staff.admin, id, true).await;
    let people = participants();
    for (i, p) in people.iter().enumerate() {
        let (status, body) = vote(&app, &slug, &format!("kinds-token-{i:02}"), json!(p.answers())).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    // The same token again changes nothing.
    let (status, _) = vote(&app, &slug, "kinds-token-00", json!(people[1].answers())).await;
    assert_eq!(status, StatusCode::OK);

    let (status, results) = send(&app, Method::GET, &format!("/api/polls/{slug}/results"), None, None).await;
    assert_eq!(status, StatusCode::OK, "{results}");
    assert_eq!(results["respondents"], 14);
    let questions = results["questions"].as_array().unwrap();
    let kinds: Vec<&str> = questions.iter().map(|q| q["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["catalog", "choice", "choice", "scale", "words"]);

    // Single choice, split by itself: counts per option.
    let place_counts: Vec<i64> = (0..3).map(|k| people.iter().filter(|p| p.place == k).count() as i64).collect();
    assert_eq!(questions[1]["overall"]["counts"], json!(place_counts));
    assert_eq!(questions[1]["overall"]["n"], 14);
    // Multiple choice: participants per option; shares of participants (they add up to more than 1).
    let worry_counts: Vec<i64> =
        (0..4).map(|k| people.iter().filter(|p| p.worries.contains(&k)).count() as i64).collect();
    assert_eq!(questions[2]["overall"]["counts"], json!(worry_counts));
    assert_eq!(questions[2]["overall"]["n"], 14);
    assert!(close(&questions[2]["overall"]["shares"][0], worry_counts[0] as f64 / 14.0));
    // Groups: the split question's options, counted per participant's own answer.
    for (g, group) in questions[2]["groups"].as_array().unwrap().iter().enumerate() {
        let members: Vec<&Participant> = people.iter().filter(|p| p.place == g as i64).collect();
        let counts: Vec<i64> =
            (0..4).map(|k| members.iter().filter(|p| p.worries.contains(&k)).count() as i64).collect();
        assert_eq!(group["n"], members.len() as i64);
        assert_eq!(group["counts"], json!(counts), "group {g}");
    }
    // Scale: the distribution over 0..=10 and the mean with its logit interval (5, 3.0784–6.9216,
    // as api/tests/fixtures/scale-intervals.json has it).
    let hopes: Vec<f64> = people.iter().map(|p| p.hope as f64).collect();
    let (mean, low, high) = logit_interval(&hopes, 0.0, 10.0);
    let scale = &questions[3];
    assert_eq!(scale["responses"].as_array().unwrap().len(), 11);
    assert!(close(&scale["mean"]["mean"], mean), "{}", scale["mean"]);
    assert!(close(&scale["mean"]["ci_low"], low), "{}", scale["mean"]);
    assert!(close(&scale["mean"]["ci_high"], high), "{}", scale["mean"]);
    assert_eq!(scale["group_means"].as_array().unwrap().len(), 3);
    // Words: normalized, each participant once per word; the blocked word not in public.
    let words = &questions[4];
    assert_eq!(words["respondents"], 14);
    let counted: HashMap<&str, i64> = words["words"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["word"].as_str().unwrap(), w["count"].as_i64().unwrap()))
        .collect();
    assert_eq!(counted.get("freedom"), Some(&4));
    assert_eq!(counted.get("hope"), Some(&4));
    assert_eq!(counted.get("courts"), Some(&4));
    assert_eq!(counted.get("shit"), None, "a blocked word is never public");
    assert_eq!(counted.get("the"), None, "stop words are not counted");
    assert!(words["words"].as_array().unwrap().iter().all(|w| w.get("moderation").is_none()));
    // Staff see the blocked word, marked.
    let (_, full) =
        send(&app, Method::GET, &format!("/api/admin/polls/{id}/results"), Some(&staff.analyst), None).await;
    let blocked: Vec<&Value> =
        full["questions"][4]["words"].as_array().unwrap().iter().filter(|w| w["moderation"] == "blocked").collect();
    assert_eq!(blocked.len(), 1);
    assert_eq!(blocked[0]["word"], "shit");

    // CSV: one row per participant; words in their own columns, as typed.
    let csv = responses_csv(&app, &staff.analyst, id).await;
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(header, ["respondent_id", "submitted_at", "pid3", "q2", "q3", "q4", "q5_1", "q5_2", "q5_3"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 14);
    let first = &rows[0];
    assert_eq!(&first[2], "Democrat");
    assert_eq!(&first[3], ["Here", "Online", "Elsewhere"][usize::try_from(people[0].place).unwrap()]);
    assert_eq!(&first[4], "Trust");
    assert_eq!(&first[5], "0");
    assert_eq!((&first[6], &first[7], &first[8]), ("Freedom", "votes", ""));
    assert_eq!(&rows[4][7], "shit", "staff's CSV keeps moderated words as typed");
    assert_eq!(&rows[1][4], "Violence; Fraud", "several options, joined");
}

#[tokio::test]
async fn bad_question_definitions_name_their_field() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let cases = [
        (json!({"kind": "choice", "text": "Pick", "options": ["only one"]}), "questions[0].options"),
        (
            json!({"kind": "choice", "text": "Pick", "options": ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m"]}),
            "questions[0].options",
        ),
        (json!({"kind": "choice", "text": "Pick", "options": ["Yes", "yes"]}), "questions[0].options[1]"),
        (json!({"kind": "choice", "text": "Pick", "options": ["Yes", " "]}), "questions[0].options[1]"),
        (
            json!({"kind": "choice", "text": "Pick", "options": ["a", "b"], "max_choices": 3}),
            "questions[0].max_choices",
        ),
        (json!({"kind": "choice", "options": ["a", "b"]}), "questions[0].text"),
        (json!({"kind": "choice", "text": "  ", "options": ["a", "b"]}), "questions[0].text"),
        (json!({"kind": "choice", "text": "Pick", "options": ["a", "b"], "min": 1}), "questions[0].min"),
        (json!({"kind": "scale", "text": "How much?", "min": 1, "max": 6}), "questions[0].max"),
        (json!({"kind": "scale", "text": "How much?", "min": 2, "max": 5}), "questions[0].min"),
        (json!({"kind": "scale", "text": "How much?", "min": 1}), "questions[0].max"),
        (
            json!({"kind": "scale", "text": "How much?", "min": 1, "max": 5, "max_label": "x".repeat(61)}),
            "questions[0].max_label",
        ),
        (json!({"kind": "words", "text": "A word", "options": ["a", "b"]}), "questions[0].options"),
        (json!({"kind": "words", "text": "x".repeat(501)}), "questions[0].text"),
        (json!({"kind": "catalog", "var_name": "no_such_question"}), "questions[0].var_name"),
        (json!({"kind": "catalog", "text": "Not mine"}), "questions[0].text"),
    ];
    for (question, field) in cases {
        let body = json!({"title": "Bad", "questions": [question]});
        let (status, error) = send(&app, Method::POST, "/api/admin/polls", Some(&staff.admin), Some(body)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{question}: {error}");
        assert_eq!(error["error"]["field"], field, "{question}: {error}");
    }
    // A split question must take one answer: not words, not several options.
    for split in ["q2", "q3"] {
        let body = json!({"title": "Bad split", "split_by": split, "questions": [
            {"kind": "scale", "text": "S", "min": 1, "max": 5},
            {"kind": "words", "text": "W"},
            {"kind": "choice", "text": "C", "options": ["a", "b"], "max_choices": 2}
        ]});
        let (status, error) = send(&app, Method::POST, "/api/admin/polls", Some(&staff.admin), Some(body)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
        assert_eq!(error["error"]["field"], "split_by");
    }
    let (status, polls) = send(&app, Method::GET, "/api/admin/polls", Some(&staff.admin), None).await;
    assert_eq!((status, polls), (StatusCode::OK, json!([])), "nothing was stored");
}

#[tokio::test]
async fn bad_answers_name_their_field() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, slug) = create(&app, &staff, mixed_poll("all_at_once")).await;
    set_open(&app, &staff.admin, id, true).await;
    let good = participants()[1].answers();
    let cases: [(usize, Value, &str); 13] = [
        (1, json!({"var_name": "q2", "response_index": 3}), "answers[1].response_index"),
        (1, json!({"var_name": "q2", "response_indices": [0]}), "answers[1].response_indices"),
        (2, json!({"var_name": "q3", "response_indices": [0, 1, 2]}), "answers[2].response_indices"),
        (2, json!({"var_name": "q3", "response_indices": []}), "answers[2].response_indices"),
        (2, json!({"var_name": "q3", "response_indices": [1, 1]}), "answers[2].response_indices"),
        (2, json!({"var_name": "q3", "response_index": 1}), "answers[2].response_index"),
        (3, json!({"var_name": "q4", "value": 11}), "answers[3].value"),
        (3, json!({"var_name": "q4", "response_index": 3}), "answers[3].response_index"),
        (4, json!({"var_name": "q5", "words": ["a", "b", "c", "d"]}), "answers[4].words"),
        (4, json!({"var_name": "q5", "words": ["x".repeat(41)]}), "answers[4].words[0]"),
        (4, json!({"var_name": "q5", "words": ["ok", "bad\u{7}bell"]}), "answers[4].words[1]"),
        (4, json!({"var_name": "q5", "words": ["  "]}), "answers[4].words[0]"),
        (4, json!({"var_name": "q5", "words": ["hope\u{200b}"]}), "answers[4].words[0]"),
    ];
    for (at, answer, field) in cases {
        let mut answers = good.clone();
        answers[at] = answer.clone();
        let (status, error) = vote(&app, &slug, "bad-answer-token", json!(answers)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}: {error}");
        assert_eq!(error["error"]["field"], field, "{answer}: {error}");
    }
    let (_, results) = send(&app, Method::GET, &format!("/api/polls/{slug}/results"), None, None).await;
    assert_eq!(results["respondents"], 0, "no bad ballot was stored");
}

/// Moves a presenter-paced poll as `admin`.
async fn pace(app: &TestApp, admin: &str, id: i64, position: Value, voting_open: bool) -> (StatusCode, Value) {
    let body = json!({"position": position, "voting_open": voting_open});
    send(app, Method::PUT, &format!("/api/admin/polls/{id}/current"), Some(admin), Some(body)).await
}

#[tokio::test]
async fn a_paced_poll_takes_answers_to_the_open_question_only_and_links_them_by_token() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, slug) = create(&app, &staff, mixed_poll("presenter")).await;
    // Before it opens, staff see where it stands (the public does not see a draft).
    let (status, poll) = send(&app, Method::GET, &format!("/api/polls/{slug}"), Some(&staff.analyst), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((poll["pacing"].clone(), poll["current_question"].clone()), (json!("presenter"), Value::Null));
    set_open(&app, &staff.admin, id, true).await;
    // It opens on the join slide: no question takes answers until the presenter starts one.
    let (_, poll) = send(&app, Method::GET, &format!("/api/polls/{slug}"), None, None).await;
    assert_eq!((poll["current_question"].clone(), poll["voting_open"].clone()), (Value::Null, json!(false)));
    let (status, body) = vote(&app, &slug, "paced-early", json!([participants()[0].answers()[0]])).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(pace(&app, &staff.admin, id, json!(0), true).await.0, StatusCode::OK);

    let people = participants();
    // Question 0 (pid3) is open: answers to question 1 are refused.
    for (i, p) in people.iter().enumerate() {
        let (status, body) = vote(&app, &slug, &format!("paced-{i:02}"), json!([p.answers()[0]])).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, error) = vote(&app, &slug, "paced-00", json!([people[0].answers()[1]])).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    // A ballot with two questions at once is refused too.
    let (status, _) = vote(&app, &slug, "paced-99", json!([people[0].answers()[0], people[0].answers()[1]])).await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Answering the open question again changes nothing.
    let (status, _) = vote(&app, &slug, "paced-00", json!([{"var_name": "pid3", "response_index": 2}])).await;
    assert_eq!(status, StatusCode::OK);

    // The presenter moves on question by question; each participant answers with the same token.
    for position in 1..5 {
        let (status, poll) = pace(&app, &staff.admin, id, json!(position), true).await;
        assert_eq!(status, StatusCode::OK, "{poll}");
        assert_eq!(poll["current_question"], position);
        for (i, p) in people.iter().enumerate() {
            let answer = p.answers()[position].clone();
            let (status, body) = vote(&app, &slug, &format!("paced-{i:02}"), json!([answer])).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
    }
    // Voting closed on the current question: new answers 409, a repeat still gets its receipt.
    let (status, _) = pace(&app, &staff.admin, id, json!(4), false).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = vote(&app, &slug, "paced-late", json!([people[0].answers()[4]])).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, receipt) = vote(&app, &slug, "paced-03", json!([people[3].answers()[4]])).await;
    assert_eq!(status, StatusCode::OK, "{receipt}");

    // Linked by token: the split (q2, answered after pid3) groups every other answer, pid3's too.
    let (_, results) = send(&app, Method::GET, &format!("/api/polls/{slug}/results"), None, None).await;
    assert_eq!(results["respondents"], 14);
    for (g, group) in results["questions"][0]["groups"].as_array().unwrap().iter().enumerate() {
        let counts: Vec<i64> =
            (0..3).map(|k| people.iter().filter(|p| p.place == g as i64 && p.party == k).count() as i64).collect();
        assert_eq!(group["counts"], json!(counts), "pid3 by place, group {g}");
    }
    // Closed: a question the token answered gets its receipt, one it did not answer a 409.
    set_open(&app, &staff.admin, id, false).await;
    let (status, _) = vote(&app, &slug, "paced-05", json!([people[5].answers()[2]])).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = vote(&app, &slug, "paced-late", json!([people[5].answers()[2]])).await;
    assert_eq!(status, StatusCode::CONFLICT);
    set_open(&app, &staff.admin, id, true).await;
    // Out of range, and pacing an all-at-once poll.
    let (status, error) = pace(&app, &staff.admin, id, json!(5), true).await;
    assert_eq!((status, error["error"]["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("position")));
    // An all-at-once poll's slide moves too (the projector follows it), taking no answers of its own.
    let (other, _) = create(&app, &staff, mixed_poll("all_at_once")).await;
    let (status, moved) = pace(&app, &staff.admin, other, json!(0), true).await;
    assert_eq!((status, &moved["current_question"], &moved["voting_open"]), (StatusCode::OK, &json!(0), &json!(false)));
    assert_eq!(pace(&app, &staff.analyst, id, json!(0), true).await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn phones_on_another_process_follow_the_presenter_and_live_counts_equal_the_database() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, slug) = create(&app, &staff, mixed_poll("presenter")).await;
    set_open(&app, &staff.admin, id, true).await;
    let other = api::Application::build(settings_for(&app.db)).await.expect("second process");
    let other_address = other.address().expect("address");
    tokio::spawn(other.serve());
    let phone = app.client.get(format!("http://{other_address}/api/polls/{slug}/results/stream")).send().await.unwrap();
    let people = participants();
    // The phone's frames, as they come.
    let (frames, mut received) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        read_events_until(phone, |events| {
            if let Some(last) = events.last() {
                let _ = frames.send(last.1.clone());
            }
            false
        })
        .await
    });
    let mut last = Value::Null;
    let mut wait_for = async |done: &dyn Fn(&Value) -> bool| {
        while !done(&last) {
            last = tokio::time::timeout(std::time::Duration::from_secs(10), received.recv())
                .await
                .expect("a frame within 10 s")
                .expect("stream open");
        }
        last.clone()
    };
    for position in 0..5 {
        // From the join slide, question by question.
        assert_eq!(pace(&app, &staff.admin, id, json!(position), true).await.0, StatusCode::OK);
        // The phone shows the question before anyone answers it.
        let shown = wait_for(&|r: &Value| r["current_question"] == position).await;
        assert_eq!(shown["voting_open"], true);
        let votes = people.iter().enumerate().map(|(i, p)| {
            let answer = p.answers()[position].clone();
            let slug = slug.clone();
            let app = &app;
            async move { vote(app, &slug, &format!("follow-{i:02}"), json!([answer])).await.0 }
        });
        assert!(futures_util::future::join_all(votes).await.iter().all(|s| *s == StatusCode::CREATED));
    }
    let last = wait_for(&|r: &Value| r["questions"][4]["respondents"] == 14).await;
    // The counts folded from announcements equal a fresh read of the database (staff view: all words).
    let (_, from_database) = send(&app, Method::GET, &format!("/api/polls/{slug}/results"), None, None).await;
    // A frame during a flood may leave the comparison out (clients keep the last): compare the rest.
    let without_comparison = |mut results: Value| {
        for q in results["questions"].as_array_mut().unwrap() {
            q.as_object_mut().unwrap().remove("room_vs_nation");
        }
        results
    };
    assert_eq!(without_comparison(last), without_comparison(from_database));
}

#[tokio::test]
async fn a_hidden_word_leaves_every_public_screen_on_every_process() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, slug) =
        create(&app, &staff, json!({"title": "Words", "questions": [{"kind": "words", "text": "One word?"}]})).await;
    set_open(&app, &staff.admin, id, true).await;
    for (i, words) in [json!(["Hope", "freedom"]), json!(["hope"]), json!(["Fear", "@import"])].into_iter().enumerate()
    {
        let (status, _) =
            vote(&app, &slug, &format!("word-token-{i}"), json!([{"var_name": "q1", "words": words}])).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let other = api::Application::build(settings_for(&app.db)).await.expect("second process");
    let other_address = other.address().expect("address");
    tokio::spawn(other.serve());
    let phone = app.client.get(format!("http://{other_address}/api/polls/{slug}/results/stream")).send().await.unwrap();
    let reader = tokio::spawn(read_events_until(phone, |events| events.len() >= 2));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    let path = format!("/api/admin/polls/{id}/questions/q1/hidden-words");
    let (status, body) = send(&app, Method::POST, &path, Some(&staff.admin), Some(json!({"word": " HOPE "}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let events = tokio::time::timeout(std::time::Duration::from_secs(10), reader).await.expect("in time").unwrap();
    let words = |results: &Value| -> Vec<String> {
        results["questions"][0]["words"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["word"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(words(&events[0].1), ["hope", "fear", "freedom", "import"]);
    // Typed words reach the CSV as text a spreadsheet will not run.
    let csv = responses_csv(&app, &staff.analyst, id).await;
    assert!(csv.contains(",'@import,"), "{csv}");
    assert_eq!(words(&events[1].1), ["fear", "freedom", "import"], "gone from the other process's public stream");
    assert_eq!(events[1].1["questions"][0]["answers"], 3, "the public count leaves the hidden word out");
    let (_, staff_results) =
        send(&app, Method::GET, &format!("/api/admin/polls/{id}/results"), Some(&staff.analyst), None).await;
    let hidden = &staff_results["questions"][0]["words"][3];
    assert_eq!(
        (hidden["word"].clone(), hidden["count"].clone(), hidden["moderation"].clone()),
        (json!("hope"), json!(2), json!("hidden"))
    );
    // Analysts cannot moderate; a non-words question or a stop word is refused; showing it again works.
    assert_eq!(
        send(&app, Method::POST, &path, Some(&staff.analyst), Some(json!({"word": "fear"}))).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, error) = send(&app, Method::POST, &path, Some(&staff.admin), Some(json!({"word": "the"}))).await;
    assert_eq!((status, error["error"]["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("word")));
    let (status, _) = send(&app, Method::DELETE, &format!("{path}/hope"), Some(&staff.admin), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, public) = send(&app, Method::GET, &format!("/api/polls/{slug}/results"), None, None).await;
    assert_eq!(words(&public), ["hope", "fear", "freedom", "import"]);
}

#[tokio::test]
async fn a_word_cloud_frame_carries_the_top_100_words() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, slug) =
        create(&app, &staff, json!({"title": "Many words", "questions": [{"kind": "words", "text": "Say anything"}]}))
            .await;
    set_open(&app, &staff.admin, id, true).await;
    let votes =
        (0..150).map(|i| {
            let (app, slug) = (&app, slug.clone());
            let words = json!([format!("word{i:03}"), format!("common{}", i % 3), "shared"]);
            async move {
                vote(app, &slug, &format!("many-words-{i:03}"), json!([{"var_name": "q1", "words": words}])).await.0
            }
        });
    assert!(futures_util::future::join_all(votes).await.iter().all(|s| *s == StatusCode::CREATED));
    let (_, results) = send(&app, Method::GET, &format!("/api/polls/{slug}/results"), None, None).await;
    let words = results["questions"][0]["words"].as_array().unwrap();
    assert_eq!(words.len(), 100);
    assert_eq!((words[0]["word"].clone(), words[0]["count"].clone()), (json!("shared"), json!(150)));
    assert_eq!(words[1]["count"], 50);
    assert_eq!(results["questions"][0]["answers"], 450);
    assert!(results.to_string().len() < 5_000, "{} bytes", results.to_string().len());
}

#[tokio::test]
async fn edit_until_answered_duplicate_reset_and_archive() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, slug) = create(&app, &staff, mixed_poll("presenter")).await;
    let path = format!("/api/admin/polls/{id}");
    // Edit while closed and unanswered: new questions, new order, new kinds; the slug stays.
    let edited = json!({"title": "Edited", "pacing": "all_at_once", "questions": [
        {"kind": "words", "text": "First a word"},
        {"kind": "scale", "text": "Then a scale", "min": 1, "max": 7}
    ]});
    let (status, poll) = send(&app, Method::PUT, &path, Some(&staff.admin), Some(edited.clone())).await;
    assert_eq!(status, StatusCode::OK, "{poll}");
    assert_eq!(
        (poll["slug"].as_str(), poll["title"].as_str(), poll["pacing"].as_str()),
        (Some(slug.as_str()), Some("Edited"), Some("all_at_once"))
    );
    assert_eq!(poll["questions"].as_array().unwrap().len(), 2);
    assert_eq!(poll["split_by"], Value::Null);
    assert_eq!(
        send(&app, Method::PUT, &path, Some(&staff.analyst), Some(edited.clone())).await.0,
        StatusCode::FORBIDDEN
    );
    // Not while open; once answered, its wording only (poll_edits.rs has the rest).
    set_open(&app, &staff.admin, id, true).await;
    assert_eq!(send(&app, Method::PUT, &path, Some(&staff.admin), Some(edited.clone())).await.0, StatusCode::CONFLICT);
    let answers = json!([{"var_name": "q1", "words": ["hope"]}, {"var_name": "q2", "value": 6}]);
    assert_eq!(vote(&app, &slug, "edit-token-1", answers.clone()).await.0, StatusCode::CREATED);
    set_open(&app, &staff.admin, id, false).await;
    let mut rescaled = edited.clone();
    rescaled["questions"][1]["max"] = json!(5);
    let (status, error) = send(&app, Method::PUT, &path, Some(&staff.admin), Some(rescaled)).await;
    assert_eq!((status, error["error"]["field"].as_str()), (StatusCode::CONFLICT, Some("questions[1].min")), "{error}");

    // Duplicate: a closed copy with the same questions and no answers.
    let (status, copy) = send(&app, Method::POST, &format!("{path}/duplicate"), Some(&staff.admin), None).await;
    assert_eq!(status, StatusCode::CREATED, "{copy}");
    assert_eq!(
        (copy["title"].as_str(), copy["respondents"].as_i64(), copy["is_open"].as_bool()),
        (Some("Edited (copy)"), Some(0), Some(false))
    );
    assert_eq!(copy["questions"], poll["questions"]);
    assert_ne!(copy["slug"], poll["slug"]);

    // Reset: admins only, closed only, confirmed with the slug; then editable again.
    let reset = format!("{path}/reset");
    assert_eq!(
        send(&app, Method::POST, &reset, Some(&staff.analyst), Some(json!({"confirm": slug}))).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, error) = send(&app, Method::POST, &reset, Some(&staff.admin), Some(json!({"confirm": "wrong"}))).await;
    assert_eq!((status, error["error"]["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("confirm")));
    set_open(&app, &staff.admin, id, true).await;
    assert_eq!(
        send(&app, Method::POST, &reset, Some(&staff.admin), Some(json!({"confirm": slug}))).await.0,
        StatusCode::CONFLICT
    );
    set_open(&app, &staff.admin, id, false).await;
    let (status, after) = send(&app, Method::POST, &reset, Some(&staff.admin), Some(json!({"confirm": slug}))).await;
    assert_eq!((status, after["respondents"].clone()), (StatusCode::OK, json!(0)), "{after}");
    let (_, results) = send(&app, Method::GET, &format!("/api/polls/{slug}/results"), None, None).await;
    assert_eq!(results["respondents"], 0);
    let logged = poll_resets::Entity::find()
        .filter(poll_resets::Column::PollId.eq(i32::try_from(id).unwrap()))
        .all(&app.db.conn)
        .await
        .unwrap();
    assert_eq!(logged.iter().map(|r| r.respondents_removed).collect::<Vec<_>>(), [1], "the reset is recorded");
    assert!(logged[0].reset_by.is_some());
    assert_eq!(send(&app, Method::PUT, &path, Some(&staff.admin), Some(edited)).await.0, StatusCode::OK);
    // The same token answers again after a reset.
    set_open(&app, &staff.admin, id, true).await;
    assert_eq!(vote(&app, &slug, "edit-token-1", answers).await.0, StatusCode::CREATED);

    // Archive: not while open; an archived poll cannot open; restore.
    let patch = |body: Value| send(&app, Method::PATCH, &path, Some(&staff.admin), Some(body));
    assert_eq!(patch(json!({"archived": true})).await.0, StatusCode::CONFLICT);
    let (status, archived) = patch(json!({"is_open": false, "archived": true})).await;
    assert_eq!(status, StatusCode::OK, "{archived}");
    assert!(archived["archived_at"].is_string());
    assert_eq!(patch(json!({"is_open": true})).await.0, StatusCode::CONFLICT);
    assert_eq!(patch(json!({})).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, restored) = patch(json!({"archived": false, "is_open": true})).await;
    assert_eq!(
        (status, restored["archived_at"].clone(), restored["is_open"].clone()),
        (StatusCode::OK, Value::Null, json!(true))
    );
}
