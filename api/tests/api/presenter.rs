//! The presenter's tools: results hidden until revealed, join codes, the room against the nation.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, settings_for, spawn_app, spawn_app_with};
use crate::polls::{Staff, read_events, send, set_open, staff, vote};

/// A poll split by pid3 asking perf_judicial_ind (all four responses), its results hidden, the
/// nation's answers shown while it takes answers (these tests are about what hiding hides); opened.
async fn hidden_poll(app: &TestApp, staff: &Staff) -> (i64, String) {
    let (status, poll) = send(
        app,
        Method::POST,
        "/api/admin/polls",
        Some(&staff.admin),
        Some(json!({
            "title": "Reveal on cue",
            "questions": [
                {"var_name": "pid3", "response_indices": [0, 1, 2, 3, 4]},
                {"var_name": "perf_judicial_ind", "results_hidden": true}
            ],
            "split_by": "pid3",
            "national_during_voting": true
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{poll}");
    assert_eq!(poll["questions"][1]["results_hidden"], true);
    let id = poll["id"].as_i64().unwrap();
    set_open(app, &staff.admin, id, true).await;
    (id, poll["slug"].as_str().unwrap().to_owned())
}

/// Hides or reveals a question's results as `cookie`.
async fn set_hidden(app: &TestApp, cookie: &str, id: i64, var_name: &str, hidden: Value) -> (StatusCode, Value) {
    let path = format!("/api/admin/polls/{id}/questions/{var_name}");
    send(app, Method::PATCH, &path, Some(cookie), Some(json!({ "results_hidden": hidden }))).await
}

fn ballot(i: usize) -> Value {
    let (party, judicial) = ([0, 1, 2, 0, 1, 4][i % 6], [3, 2, 0, 1, 3, 3, 2][i % 7]);
    json!([
        {"var_name": "pid3", "response_index": party},
        {"var_name": "perf_judicial_ind", "response_index": judicial}
    ])
}

async fn stream(app: &TestApp, address: &str, path: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(format!("http://{address}{path}"));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.expect("stream");
    assert_eq!(response.status(), StatusCode::OK);
    response
}

/// Nothing about a hidden question but its name, text and how many answered it.
fn assert_hidden(question: &Value) {
    let mut keys: Vec<&String> = question.as_object().expect("object").keys().collect();
    keys.sort();
    assert_eq!(keys, ["answered", "hidden", "text", "var_name"], "{question}");
    assert_eq!(question["hidden"], true);
}

#[tokio::test]
async fn a_hidden_question_leaks_nothing_publicly_and_its_reveal_reaches_another_process() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, slug) = hidden_poll(&app, &staff).await;
    for i in 0..12 {
        assert_eq!(vote(&app, &slug, &format!("hidden-token-{i:02}"), ballot(i)).await.0, StatusCode::CREATED);
    }
    // A second api process, whose watchers must hear the reveal made through the first.
    let other = api::Application::build(settings_for(&app.db)).await.expect("second process");
    let other_address = other.address().expect("address").to_string();
    tokio::spawn(other.serve());
    let public_stream = stream(&app, &other_address, &format!("/api/polls/{slug}/results/stream"), None).await;
    let own = app.address.to_string();
    let staff_stream = stream(&app, &own, &format!("/api/admin/polls/{id}/results/stream"), Some(&staff.analyst)).await;

    // Public results: the visible question in full, the hidden one as a placeholder.
    let (status, public) = send(&app, Method::GET, &format!("/api/polls/{slug}/results"), None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(public["questions"][0]["hidden"], false);
    assert_eq!(public["questions"][0]["overall"]["n"], 12);
    assert_hidden(&public["questions"][1]);
    // Staff see everything, flagged as hidden.
    let (_, full) =
        send(&app, Method::GET, &format!("/api/admin/polls/{id}/results"), Some(&staff.analyst), None).await;
    assert_eq!(full["questions"][1]["hidden"], true);
    assert_eq!(full["questions"][1]["overall"]["n"], 12);
    assert!(full["questions"][1]["room_vs_nation"].is_object());

    // Reveal: the public stream on the other process gets the question's results.
    let (status, poll) = set_hidden(&app, &staff.admin, id, "perf_judicial_ind", json!(false)).await;
    assert_eq!(status, StatusCode::OK, "{poll}");
    assert_eq!(poll["questions"][1]["results_hidden"], false);
    let events = read_events(public_stream, 2).await;
    assert_eq!(events[0].0, "snapshot");
    assert_hidden(&events[0].1["questions"][1]);
    assert_eq!(events[1].0, "snapshot", "a reveal is a snapshot for everyone");
    assert_eq!(events[1].1["questions"][1]["hidden"], false);
    assert_eq!(events[1].1["questions"][1]["overall"]["n"], 12);
    assert_eq!(
        events[1].1["questions"][1],
        full["questions"][1]
            .as_object()
            .map(|q| {
                let mut q = q.clone();
                q.insert("hidden".into(), Value::Bool(false));
                Value::Object(q)
            })
            .unwrap()
    );
    // The staff stream saw the numbers all along.
    let events = read_events(staff_stream, 1).await;
    assert_eq!(events[0].1["questions"][1]["overall"]["n"], 12);

    // Hide it again: public results and a new public stream say nothing about it.
    let (status, _) = set_hidden(&app, &staff.admin, id, "perf_judicial_ind", json!(true)).await;
    assert_eq!(status, StatusCode::OK);
    let (_, public) = send(&app, Method::GET, &format!("/api/polls/{slug}/results"), None, None).await;
    assert_hidden(&public["questions"][1]);
    let fresh = stream(&app, &other_address, &format!("/api/polls/{slug}/results/stream"), None).await;
    let events = read_events(fresh, 1).await;
    assert_hidden(&events[0].1["questions"][1]);
}

#[tokio::test]
async fn revealing_takes_an_admin_a_question_of_the_poll_and_a_boolean() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, _) = hidden_poll(&app, &staff).await;
    let path = format!("/api/admin/polls/{id}/questions/perf_judicial_ind");
    let (status, _) = set_hidden(&app, &staff.analyst, id, "perf_judicial_ind", json!(false)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = set_hidden(&app, &staff.admin, id, "imp_nothing", json!(false)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("no question 'imp_nothing'"));
    let (status, _) = set_hidden(&app, &staff.admin, 999_999, "pid3", json!(false)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for bad in [json!({"results_hidden": "no"}), json!({}), json!({"results_hidden": true, "colour": 1})] {
        let (status, body) = send(&app, Method::PATCH, &path, Some(&staff.admin), Some(bad.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
    }
    // Nothing changed by the refusals.
    let (_, poll) = send(&app, Method::GET, &format!("/api/admin/polls/{id}"), Some(&staff.admin), None).await;
    assert_eq!(poll["questions"][1]["results_hidden"], true);
}

/// A poll asking pid3, created (closed: no code yet) and opened: its id, slug and join code.
async fn opened_pid3_poll(app: &TestApp, admin: &str, title: &str) -> (i64, String, String) {
    let new = json!({"title": title, "questions": [{"var_name": "pid3"}]});
    let (_, poll) = send(app, Method::POST, "/api/admin/polls", Some(admin), Some(new)).await;
    assert_eq!(poll["join_code"], Value::Null, "a closed poll has no code");
    let id = poll["id"].as_i64().unwrap();
    let open = Some(json!({"is_open": true}));
    let (_, opened) = send(app, Method::PATCH, &format!("/api/admin/polls/{id}"), Some(admin), open).await;
    let code = opened["join_code"].as_str().expect("an open poll has a code").to_owned();
    (id, poll["slug"].as_str().unwrap().to_owned(), code)
}

/// A client that shows redirects instead of following them.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

#[tokio::test]
async fn join_codes_are_six_digits_unique_among_open_polls_and_freed_on_close_or_delete() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let mut polls = Vec::new();
    for i in 0..3 {
        let (id, slug, code) = opened_pid3_poll(&app, &staff.admin, &format!("Join {i}")).await;
        assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()), "{code}");
        polls.push((id, slug, code));
    }
    let codes: std::collections::HashSet<&String> = polls.iter().map(|p| &p.2).collect();
    assert_eq!(codes.len(), 3);
    // Reopening an open poll keeps its code; the public poll shows it.
    let (id, slug, code) = polls[0].clone();
    set_open(&app, &staff.admin, id, true).await;
    let (_, public) = send(&app, Method::GET, &format!("/api/polls/{slug}"), None, None).await;
    assert_eq!(public["join_code"], code.as_str());

    // The code leads to the poll: as JSON, and as the short address people type.
    let (status, target) = send(&app, Method::GET, &format!("/api/polls/join/{code}"), None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(target, json!({"slug": slug, "url": format!("/polls/{slug}")}));
    let response = no_redirects().get(app.url(&format!("/j/{code}"))).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], format!("/polls/{slug}").as_str());

    // The database holds the rule too: no two open polls share a code, no open poll lacks one.
    let conn = &app.db.conn;
    use sea_orm::ConnectionTrait;
    let share = conn
        .execute_unprepared(&format!("UPDATE polls.polls SET join_code = '{}' WHERE id = {}", polls[2].2, polls[1].0))
        .await;
    assert!(share.unwrap_err().to_string().contains("polls_join_code_key"));
    let lack =
        conn.execute_unprepared(&format!("UPDATE polls.polls SET join_code = NULL WHERE id = {}", polls[1].0)).await;
    assert!(lack.unwrap_err().to_string().contains("polls_join_code_open_check"));

    // Closing frees the code; deleting an open poll frees its code too.
    set_open(&app, &staff.admin, id, false).await;
    let (_, closed) = send(&app, Method::GET, &format!("/api/admin/polls/{id}"), Some(&staff.admin), None).await;
    assert_eq!(closed["join_code"], Value::Null);
    let (status, _) = send(&app, Method::GET, &format!("/api/polls/join/{code}"), None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (deleted_id, _, deleted_code) = &polls[1];
    let (status, _) =
        send(&app, Method::DELETE, &format!("/api/admin/polls/{deleted_id}"), Some(&staff.admin), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = send(&app, Method::GET, &format!("/api/polls/join/{deleted_code}"), None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let freed = conn
        .execute_unprepared(&format!("UPDATE polls.polls SET join_code = '{deleted_code}' WHERE id = {}", polls[2].0))
        .await;
    assert!(freed.is_ok(), "a freed code may be held again: {freed:?}");

    // Not six digits: 400 as JSON, back to /join from the short address.
    let (status, body) = send(&app, Method::GET, "/api/polls/join/12ab56", None, None).await;
    assert_eq!((status, &body["error"]["parameter"]), (StatusCode::BAD_REQUEST, &json!("code")));
    let response = no_redirects().get(app.url("/j/12%0A56")).send().await.unwrap();
    assert_eq!(response.headers()["location"], "/join?error=format");
}

#[tokio::test]
async fn guessing_join_codes_is_throttled_per_client_address() {
    let app = spawn_app_with(|s| s.limits.join_code_misses_per_minute = std::num::NonZeroU32::new(3).unwrap()).await;
    let staff = staff(&app).await;
    let (_, _, code) = opened_pid3_poll(&app, &staff.admin, "Guess me").await;
    let wrong = |i: u32| format!("{:06}", (code.parse::<u32>().unwrap() + 1 + i) % 1_000_000);
    // Behind the (trusted, loopback) proxy: one phone's address per header.
    let lookup = |code: String, from: &'static str| {
        app.client.get(app.url(&format!("/api/polls/join/{code}"))).header("x-forwarded-for", from).send()
    };
    // Right codes do not count: a hall typing the code from one address is not stopped.
    for _ in 0..10 {
        assert_eq!(lookup(code.clone(), "203.0.113.7").await.unwrap().status(), StatusCode::OK);
    }
    for i in 0..3 {
        assert_eq!(lookup(wrong(i), "203.0.113.7").await.unwrap().status(), StatusCode::NOT_FOUND);
    }
    // Past the misses allowed, every lookup from that address is refused, the right code too.
    let refused = lookup(code.clone(), "203.0.113.7").await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_requests");
    // The short address sends the phone back to /join saying so.
    let response = no_redirects()
        .get(app.url(&format!("/j/{code}")))
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .await
        .unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(&format!("/join?code={code}&error=throttled&retry_after=")), "{location}");
    // Another address is not affected.
    assert_eq!(lookup(code.clone(), "203.0.113.8").await.unwrap().status(), StatusCode::OK);
    let unknown = no_redirects()
        .get(app.url(&format!("/j/{}", wrong(9))))
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.headers()["location"], format!("/join?code={}&error=unknown", wrong(9)).as_str());
}

/// The share of `labels`' responses among a proportions cell.
fn share<'a>(cell: &'a Value, response: &str) -> &'a Value {
    cell["responses"].as_array().unwrap().iter().find(|r| r["response"] == response).expect("response")
}

#[tokio::test]
async fn the_room_is_compared_with_the_nation_overall_by_party_and_reweighted() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, slug) = hidden_poll(&app, &staff).await;
    let (status, _) = set_hidden(&app, &staff.admin, id, "perf_judicial_ind", json!(false)).await;
    assert_eq!(status, StatusCode::OK);
    for i in 0..42 {
        assert_eq!(vote(&app, &slug, &format!("room-token-{i:03}"), ballot(i)).await.0, StatusCode::CREATED);
    }
    // The nation's answers are public once the questions stop taking answers.
    set_open(&app, &staff.admin, id, false).await;
    let (_, results) = send(&app, Method::GET, &format!("/api/polls/{slug}/results"), None, None).await;
    let question = &results["questions"][1];
    let room = &question["room_vs_nation"];
    assert_eq!(room["wave"], 23);
    // The nation's side is the survey endpoint's estimate for wave 23, to the last digit.
    let (_, proportions) =
        send(&app, Method::GET, "/api/surveys/questions/perf_judicial_ind/proportions?wave=23&split=party", None, None)
            .await;
    let cells = proportions["cells"].as_array().unwrap();
    let cell = |group: Value| cells.iter().find(|c| c["wave"] == 23 && c["group"] == group).expect("cell");
    let labels: Vec<&str> =
        question["responses"].as_array().unwrap().iter().map(|r| r["response"].as_str().unwrap()).collect();
    let check = |label: &str, comparison: &Value, nation_cell: &Value, counts: &Value, n: f64| {
        assert_eq!(comparison["n_nation"], nation_cell["n"], "{label}");
        for (k, response) in labels.iter().enumerate() {
            let got = &comparison["responses"][k];
            let nation = share(nation_cell, response);
            for field in ["p", "se", "ci_low", "ci_high"] {
                assert_eq!(got["nation"][field], nation[field], "{label} {response} {field}");
            }
            let p_room = counts[k].as_f64().unwrap() / n;
            let (p_nation, se_nation) = (nation["p"].as_f64().unwrap(), nation["se"].as_f64().unwrap());
            let d = p_room - p_nation;
            let se = (p_room * (1.0 - p_room) / n + se_nation * se_nation).sqrt();
            let close = |a: &Value, b: f64| (a.as_f64().unwrap() - b).abs() < 1e-12;
            assert!(close(&got["room"], p_room), "{label} {response}");
            assert!(close(&got["difference"], d) && close(&got["se"], se), "{label} {response}: {got}");
            assert!(close(&got["ci_low"], d - 1.959963984540054 * se), "{label} {response}");
            let p_value = got["p_value"].as_f64().unwrap();
            let expected = match () {
                _ if n < 30.0 => "too_few_answers",
                _ if p_value < 0.05 => "real",
                _ => "not_significant",
            };
            assert_eq!(got["verdict"], expected, "{label} {response}");
        }
    };
    let overall = &question["overall"];
    check("overall", &room["overall"], cell(Value::Null), &overall["counts"], overall["n"].as_f64().unwrap());
    assert_eq!(room["overall"]["n_room"], 42);
    // Party-matched: the room's Democrats against the nation's, and so on.
    let groups = room["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 3);
    for (g, room_group) in groups.iter().enumerate() {
        let name = room_group["group"].clone();
        let tally = &question["groups"][g];
        assert_eq!(tally["group"], name);
        check(name.as_str().unwrap(), room_group, cell(name.clone()), &tally["counts"], tally["n"].as_f64().unwrap());
    }
    // Reweighted to the nation's party mix (wave 23's pid3, weighted, among the three groups).
    let reweighted = &room["reweighted"];
    let (_, pid3) =
        send(&app, Method::GET, "/api/surveys/questions/pid3/proportions?wave=23&split=none", None, None).await;
    let everyone = &pid3["cells"][0];
    let p = |r: &str| share(everyone, r)["p"].as_f64().unwrap();
    let in_groups = 1.0 - p("Not sure");
    let mix = [p("Democrat") / in_groups, p("Republican") / in_groups, (p("Independent") + p("Other")) / in_groups];
    for (g, expected) in mix.iter().enumerate() {
        assert!((reweighted["mix"][g]["nation"].as_f64().unwrap() - expected).abs() < 1e-12, "{reweighted}");
    }
    // Participants who answered "Not sure" (pid3 index 4) are left out, and counted.
    let not_sure = (0..42).filter(|i| i % 6 == 5).count() as i64;
    assert_eq!(reweighted["left_out"], not_sure);
    assert_eq!(reweighted["n_room"], 42 - not_sure);
    let n_g: Vec<f64> = (0..3).map(|g| question["groups"][g]["n"].as_f64().unwrap()).collect();
    let n_eff = 1.0 / (0..3).map(|g| mix[g] * mix[g] / n_g[g]).sum::<f64>();
    assert!((reweighted["n_eff"].as_f64().unwrap() - n_eff).abs() < 1e-9);
    for (k, response) in labels.iter().enumerate() {
        let share_k: f64 = (0..3).map(|g| mix[g] * question["groups"][g]["shares"][k].as_f64().unwrap()).sum();
        assert!((reweighted["responses"][k]["room"].as_f64().unwrap() - share_k).abs() < 1e-12, "{response}");
    }
}

#[tokio::test]
async fn a_small_room_is_too_small_to_compare() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, slug) = hidden_poll(&app, &staff).await;
    for i in 0..5 {
        vote(&app, &slug, &format!("small-room-{i}"), ballot(i)).await;
    }
    let (_, results) =
        send(&app, Method::GET, &format!("/api/admin/polls/{id}/results"), Some(&staff.admin), None).await;
    for comparison in results["questions"][1]["room_vs_nation"]["overall"]["responses"].as_array().unwrap() {
        assert_eq!(comparison["verdict"], "too_few_answers", "{comparison}");
    }
    // A question the survey never asked has nothing to compare with.
    assert_eq!(results["questions"][0]["room_vs_nation"]["wave"], 23);
}

#[tokio::test]
async fn the_streamed_comparison_catches_up_with_the_last_vote() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, slug) = hidden_poll(&app, &staff).await;
    set_hidden(&app, &staff.admin, id, "perf_judicial_ind", json!(false)).await;
    let watcher = stream(&app, &app.address.to_string(), &format!("/api/polls/{slug}/results/stream"), None).await;
    let votes = (0..40).map(|i| {
        let (app, slug) = (&app, &slug);
        async move { vote(app, slug, &format!("flood-token-{i:03}"), ballot(i)).await.0 }
    });
    assert!(futures_util::future::join_all(votes).await.iter().all(|s| *s == StatusCode::CREATED));
    // Frames during the flood may leave the comparison out; one comes with it for all 40.
    let events = crate::polls::read_events_until(watcher, |events| {
        events.iter().any(|(_, data)| data["questions"][1]["room_vs_nation"]["overall"]["n_room"] == 40)
    })
    .await;
    let last = &events.last().expect("an event").1;
    assert_eq!(last["respondents"], 40);
    let (_, results) = send(&app, Method::GET, &format!("/api/polls/{slug}/results"), None, None).await;
    assert_eq!(last["questions"][1]["room_vs_nation"], results["questions"][1]["room_vs_nation"]);
}

#[tokio::test]
async fn a_hidden_split_question_leaks_nothing_through_the_other_questions() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (status, poll) = send(
        &app,
        Method::POST,
        "/api/admin/polls",
        Some(&staff.admin),
        Some(json!({
            "title": "Hidden split",
            "questions": [
                {"var_name": "pid3", "response_indices": [0, 1, 2, 3, 4], "results_hidden": true},
                {"var_name": "perf_judicial_ind"}
            ],
            "split_by": "pid3",
            "national_during_voting": true
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{poll}");
    let (id, slug) = (poll["id"].as_i64().unwrap(), poll["slug"].as_str().unwrap().to_owned());
    set_open(&app, &staff.admin, id, true).await;
    for i in 0..40 {
        assert_eq!(vote(&app, &slug, &format!("split-token-{i:02}"), ballot(i)).await.0, StatusCode::CREATED);
    }
    let public_stream =
        stream(&app, &app.address.to_string(), &format!("/api/polls/{slug}/results/stream"), None).await;
    let (_, public) = send(&app, Method::GET, &format!("/api/polls/{slug}/results"), None, None).await;
    let events = read_events(public_stream, 1).await;
    for results in [&public, &events[0].1] {
        assert_hidden(&results["questions"][0]);
        let other = &results["questions"][1];
        assert_eq!(other["overall"]["n"], 40);
        assert_eq!(other["groups"], json!([]), "group counts would add up to pid3's hidden counts");
        assert_eq!(other["room_vs_nation"]["groups"], json!([]));
        assert_eq!(other["room_vs_nation"]["reweighted"], Value::Null);
        assert!(!results.to_string().contains("left_out"), "{results}");
    }
    // Staff see the groups; once pid3 is revealed, so does everyone.
    let (_, full) =
        send(&app, Method::GET, &format!("/api/admin/polls/{id}/results"), Some(&staff.analyst), None).await;
    assert_eq!(full["questions"][1]["groups"].as_array().unwrap().len(), 3);
    set_hidden(&app, &staff.admin, id, "pid3", json!(false)).await;
    let (_, public) = send(&app, Method::GET, &format!("/api/polls/{slug}/results"), None, None).await;
    assert_eq!(public["questions"][1]["groups"], full["questions"][1]["groups"]);
    assert!(public["questions"][1]["room_vs_nation"]["reweighted"].is_object());
}

#[tokio::test]
async fn a_staff_stream_ends_with_its_session() {
    use futures_util::StreamExt;
    let app = spawn_app_with(|s| s.sse_heartbeat = std::time::Duration::from_secs(1)).await;
    let staff = staff(&app).await;
    let (id, _) = hidden_poll(&app, &staff).await;
    let path = format!("/api/admin/polls/{id}/results/stream");
    let response = stream(&app, &app.address.to_string(), &path, Some(&staff.analyst)).await;
    let mut body = response.bytes_stream();
    let first = body.next().await.expect("the snapshot").expect("bytes");
    assert!(String::from_utf8_lossy(&first).contains("event: snapshot"));

    let (status, _) = send(&app, Method::POST, "/api/auth/logout", Some(&staff.analyst), None).await;
    assert!(status.is_success(), "{status}");
    // The hidden counts stop: the stream ends by the next heartbeat or so.
    let ended =
        tokio::time::timeout(std::time::Duration::from_secs(5), async { while let Some(Ok(_)) = body.next().await {} })
            .await;
    assert!(ended.is_ok(), "the stream outlived its session");
    // The same session cannot open a new one.
    let again = app.client.get(app.url(&path)).header("cookie", &staff.analyst).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn drafts_and_unknown_addresses_look_alike_and_misses_are_counted() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let body = json!({"title": "Not yet", "questions": [{"var_name": "pid3"}]});
    let (status, poll) = send(&app, Method::POST, "/api/admin/polls", Some(&staff.admin), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{poll}");
    let (id, slug) = (poll["id"].as_i64().unwrap(), poll["slug"].as_str().unwrap().to_owned());
    let suffix = slug.rsplit('-').next().unwrap();
    assert!(suffix.len() == 24 && suffix.bytes().all(|b| b.is_ascii_hexdigit()), "96 random bits: {slug}");

    // A draft shows the public nothing of itself (its poll, results, stream; ballots refused), only
    // that it is not open yet; an unknown address is not found, and that lookup counts as a miss.
    let ballot = json!({"client_token": "draft-token-1", "answers": [{"var_name": "pid3", "response_index": 0}]});
    let mut misses = 0;
    for (target, code) in [(slug.as_str(), "not_open_yet"), ("not-yet-000000000000000000000000", "not_found")] {
        for path in [
            format!("/api/polls/{target}"),
            format!("/api/polls/{target}/results"),
            format!("/api/polls/{target}/results/stream"),
        ] {
            let (status, body) = send(&app, Method::GET, &path, None, None).await;
            assert_eq!((status, body["error"]["code"].clone()), (StatusCode::NOT_FOUND, json!(code)), "{path}");
            assert!(!body.to_string().contains("Not yet") && !body.to_string().contains("pid3"), "{body}");
        }
        let (status, _) =
            send(&app, Method::POST, &format!("/api/polls/{target}/responses"), None, Some(ballot.clone())).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        if code == "not_found" {
            misses += 4;
        }
    }
    // Staff see it before the talk (the presenter view); opened once, it is public for good.
    let (status, _) = send(&app, Method::GET, &format!("/api/polls/{slug}"), Some(&staff.analyst), None).await;
    assert_eq!(status, StatusCode::OK);
    set_open(&app, &staff.admin, id, true).await;
    set_open(&app, &staff.admin, id, false).await;
    let (status, public) = send(&app, Method::GET, &format!("/api/polls/{slug}"), None, None).await;
    assert_eq!((status, public["is_open"].clone()), (StatusCode::OK, json!(false)));

    // Misses count like wrong join codes: past 30 a minute, every lookup from the address is refused.
    while misses < 30 {
        let (status, _) = send(&app, Method::GET, &format!("/api/polls/guess-{misses:024x}"), None, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        misses += 1;
    }
    let (status, error) = send(&app, Method::GET, "/api/polls/one-more-guess-00000000000000000000", None, None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{error}");
    // A poll already found is still served: one guesser behind a hall's NAT does not stop the hall.
    let (status, _) = send(&app, Method::GET, &format!("/api/polls/{slug}"), None, None).await;
    assert_eq!(status, StatusCode::OK);
}
