//! The record after a talk: the report ZIP (handout PDF, one PNG per question, the CSV), the
//! handout on its own and one slide; the handout's text read back with `pdftotext` holds the
//! numbers the API gives, its methods box says what was hidden and where the nation comes from.

use std::io::Read;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::polls::{Staff, responses_csv, send, set_open, staff, vote};
use crate::question_kinds::create;

/// A talk's poll of every kind, split by party, with 40 participants; one open answer approved,
/// one word hidden. Returns the poll's id and slug.
async fn talk(app: &TestApp, staff: &Staff) -> (i64, String) {
    let poll = json!({"title": "Courts & the public", "split_by": "pid3", "questions": [
        {"var_name": "pid3"},
        {"var_name": "perf_judicial_ind"},
        {"kind": "choice", "text": "Which worry you most?", "options": ["Trust", "Violence", "Fraud"], "max_choices": 2},
        {"kind": "scale", "text": "How hopeful are you?", "min": 0, "max": 10, "min_label": "Not at all", "max_label": "Very"},
        {"kind": "words", "text": "One word for the courts?"},
        {"kind": "open", "text": "What should we fix first?"},
        {"kind": "ranking", "text": "Which matter most?",
         "item_var_names": ["imp_judicial_ind", "imp_free_speech", "imp_equal_rights"]},
        {"kind": "predict", "var_name": "imp_judicial_ind", "response_indices": [3]},
        {"kind": "choice", "text": "Secret ballot?", "options": ["Yes", "No"], "results_hidden": true}
    ]});
    let (id, slug) = create(app, staff, poll).await;
    set_open(app, &staff.admin, id, true).await;
    let words = ["independent", "slow", "fair", "corrupt"];
    let orders = [[0, 1, 2], [1, 0, 2], [0, 2, 1], [2, 1, 0]];
    for i in 0..40_i64 {
        let answers = json!([
            {"var_name": "pid3", "response_index": i % 3},
            {"var_name": "perf_judicial_ind", "response_index": (i * 7) % 4},
            {"var_name": "q3", "response_indices": if i % 3 == 0 { json!([0, 2]) } else { json!([i % 3]) }},
            {"var_name": "q4", "value": (i * 3) % 11},
            {"var_name": "q5", "words": [words[(i % 4) as usize]]},
            {"var_name": "q6", "text": format!("Answer number {i}")},
            {"var_name": "q7", "ranking": orders[(i % 4) as usize]},
            {"var_name": "q8", "percent": 30 + (i * 13) % 60},
            {"var_name": "q9", "response_index": i % 2}
        ]);
        let (status, body) = vote(app, &slug, &format!("report-token-{i}"), answers).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (_, staff_results) =
        send(app, Method::GET, &format!("/api/admin/polls/{id}/results"), Some(&staff.admin), None).await;
    let first = staff_results["questions"][5]["answers"][0]["respondent_id"].as_i64().expect("an open answer");
    let review = format!("/api/admin/polls/{id}/questions/q6/answers/{first}/review");
    let (status, body) = send(app, Method::PUT, &review, Some(&staff.admin), Some(json!({"review": "approved"}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let hide = format!("/api/admin/polls/{id}/questions/q5/hidden-words");
    let (status, body) = send(app, Method::POST, &hide, Some(&staff.admin), Some(json!({"word": "corrupt"}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    (id, slug)
}

async fn download(app: &TestApp, path: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.url(path));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.expect("request")
}

/// The PDF's text, as `pdftotext` reads it.
fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("handout.pdf");
    std::fs::write(&path, pdf).expect("write PDF");
    let output = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils; scripts/test.sh installs it)");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    // Lines wrap where the layout chose: compare words, not lines.
    String::from_utf8(output.stdout).expect("UTF-8 text").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A PNG's width and height, from its header.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let be = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

fn percent1(share: &Value) -> String {
    format!("{:.1}%", share.as_f64().unwrap() * 100.0)
}

fn points1(difference: f64) -> String {
    let magnitude = format!("{:.1}", (difference * 100.0).abs());
    if magnitude == "0.0" {
        magnitude
    } else if difference < 0.0 {
        format!("−{magnitude}")
    } else {
        format!("+{magnitude}")
    }
}

#[tokio::test]
async fn the_report_holds_the_handout_every_slide_and_the_csv_with_the_apis_numbers() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, slug) = talk(&app, &staff).await;
    let report = format!("/api/admin/polls/{id}/report");

    // Staff only; a JSON error otherwise.
    let anonymous = download(&app, &report, None).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert!(anonymous.json::<Value>().await.unwrap()["error"]["code"].is_string());

    let response = download(&app, &report, Some(&staff.analyst)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/zip");
    let disposition = response.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert_eq!(disposition, format!("attachment; filename=\"{slug}-report.zip\""));
    let bytes = response.bytes().await.unwrap();
    // To look at the report a change draws: REPORT_DUMP_DIR=/tmp/report cargo test … report::
    if let Ok(dir) = std::env::var("REPORT_DUMP_DIR") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(std::path::Path::new(&dir).join("report.zip"), &bytes).unwrap();
    }
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("a ZIP");
    let mut names: Vec<String> = archive.file_names().map(str::to_owned).collect();
    names.sort();
    let slides = ["01-pid3", "02-perf_judicial_ind", "03-q3", "04-q4", "05-q5", "06-q6", "07-q7", "08-q8", "09-q9"];
    let mut expected: Vec<String> = slides.iter().map(|s| format!("slides/{s}.png")).collect();
    expected.extend([format!("{slug}-handout.pdf"), format!("{slug}-responses.csv")]);
    expected.sort();
    assert_eq!(names, expected);
    let read = |archive: &mut zip::ZipArchive<_>, name: &str| {
        let mut bytes = Vec::new();
        archive.by_name(name).unwrap().read_to_end(&mut bytes).unwrap();
        bytes
    };
    for slide in slides {
        assert_eq!(png_size(&read(&mut archive, &format!("slides/{slide}.png"))), (1920, 1080), "{slide}: 16:9");
    }
    let csv = String::from_utf8(read(&mut archive, &format!("{slug}-responses.csv"))).unwrap();
    assert_eq!(csv, responses_csv(&app, &staff.analyst, id).await, "the CSV export, as it is");
    let handout = read(&mut archive, &format!("{slug}-handout.pdf"));
    assert!(handout.starts_with(b"%PDF-"));
    let text = pdf_text(&handout);

    // What the public reads once the voting is over is what the report shows.
    set_open(&app, &staff.admin, id, false).await;
    let (_, results) = send(&app, Method::GET, &format!("/api/polls/{slug}/results"), None, None).await;
    let questions = results["questions"].as_array().unwrap();
    let has = |needle: &str| assert!(text.contains(needle), "the handout lacks {needle:?}:\n{text}");
    has("Courts & the public");
    has("Methods");
    for question in &questions[..8] {
        // Long texts wrap: the first words are on one line.
        let words: Vec<&str> = question["text"].as_str().unwrap().split_whitespace().take(3).collect();
        has(&words.join(" "));
    }
    let catalog = &questions[1];
    let national = &catalog["national"];
    for (i, share) in catalog["overall"]["shares"].as_array().unwrap().iter().enumerate() {
        has(&percent1(share));
        has(&percent1(&national["shares"][i]));
        let cell = &catalog["room_vs_nation"]["overall"]["responses"][i];
        has(&format!(
            "{}–{}",
            percent1(&cell["nation"]["ci_low"]).trim_end_matches('%'),
            percent1(&cell["nation"]["ci_high"])
        ));
        let (d, low, high) =
            (cell["difference"].as_f64().unwrap(), cell["ci_low"].as_f64().unwrap(), cell["ci_high"].as_f64().unwrap());
        has(&format!("{} ({} to {})", points1(d), points1(low), points1(high)));
    }
    has(&format!("wave {}, n = ", national["wave"]));
    for share in questions[2]["overall"]["shares"].as_array().unwrap() {
        has(&percent1(share));
    }
    has(&format!("{:.2}", questions[3]["mean"]["mean"].as_f64().unwrap()));
    for word in questions[4]["words"].as_array().unwrap() {
        has(word["word"].as_str().unwrap());
    }
    assert!(!text.contains("corrupt"), "a hidden word is counted, never shown");
    let approved = questions[5]["answers"][0]["text"].as_str().unwrap();
    has(approved);
    assert!(!text.contains("Answer number 39") || approved == "Answer number 39", "only approved answers are shown");
    for item in questions[6]["items"].as_array().unwrap() {
        has(&format!("{:.2}", item["mean_rank"]["mean"].as_f64().unwrap()));
    }
    let predict = &questions[7];
    has(&format!("{:.1}%", predict["mean"]["mean"].as_f64().unwrap()));
    has(&percent1(&predict["nation"]["share"]["p"]));
    has(&format!("{:+.1}", predict["gap"]["difference"].as_f64().unwrap()));
    // The hidden question: not revealed, nothing of its counts.
    assert_eq!(questions[8]["hidden"], true);
    has("Results not revealed during the talk; 40 participants answered.");
    // The methods box.
    has("Respondents: 40 participants");
    has("Voided bursts: none");
    has("q5: 1 word hidden by the presenter");
    has("q6: 1 open answer approved for the room, 0 kept from it, 39 not reviewed");
    has("1 question's results were never revealed");
    has("Split: the room's answers are also shown per answer to");
    has("reweighted to the nation's mix");
}

#[tokio::test]
async fn the_handout_and_a_slide_download_on_their_own_and_bad_requests_are_refused() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let poll = json!({"title": "Small talk", "questions": [
        {"kind": "choice", "text": "Coffee or tea?", "options": ["Coffee", "Tea"]}
    ]});
    let (id, slug) = create(&app, &staff, poll).await;

    // No answers yet: a report all the same.
    let handout = download(&app, &format!("/api/admin/polls/{id}/report/handout"), Some(&staff.admin)).await;
    assert_eq!(handout.status(), StatusCode::OK);
    assert_eq!(handout.headers()["content-type"], "application/pdf");
    let text = pdf_text(&handout.bytes().await.unwrap());
    assert!(text.contains("Coffee or tea?") && text.contains("0.0%"), "{text}");
    assert!(text.contains("Split: the room was not split"), "{text}");

    set_open(&app, &staff.admin, id, true).await;
    for (i, choice) in [0, 0, 1].iter().enumerate() {
        let answers = json!([{"var_name": "q1", "response_index": choice}]);
        assert_eq!(vote(&app, &slug, &format!("small-talk-token-{i}"), answers).await.0, StatusCode::CREATED);
    }
    let slide = download(&app, &format!("/api/admin/polls/{id}/report/slides/q1"), Some(&staff.analyst)).await;
    assert_eq!(slide.status(), StatusCode::OK);
    assert_eq!(slide.headers()["content-type"], "image/png");
    assert_eq!(slide.headers()["content-disposition"], "attachment; filename=\"01-q1.png\"");
    assert_eq!(png_size(&slide.bytes().await.unwrap()), (1920, 1080));
    let text = pdf_text(
        &download(&app, &format!("/api/admin/polls/{id}/report/handout"), Some(&staff.admin))
            .await
            .bytes()
            .await
            .unwrap(),
    );
    assert!(text.contains("66.7%") && text.contains("33.3%"), "{text}");

    for (path, status) in [
        (format!("/api/admin/polls/{id}/report/slides/q9"), StatusCode::NOT_FOUND),
        (format!("/api/admin/polls/{}/report", id + 1000), StatusCode::NOT_FOUND),
        (format!("/api/admin/polls/{}/report/handout", id + 1000), StatusCode::NOT_FOUND),
        ("/api/admin/polls/x/report".to_owned(), StatusCode::BAD_REQUEST),
    ] {
        let response = download(&app, &path, Some(&staff.admin)).await;
        assert_eq!(response.status(), status, "{path}");
        let body: Value = response.json().await.unwrap();
        assert!(body["error"]["message"].is_string(), "{path}: {body}");
    }
}

/// Asking again and again for the report of a poll that does not exist leaves no database
/// connection inside a transaction, and the next report of a real poll is served: CI once saw a
/// 500 there (the two halves of the report were joined so that one failing dropped the other
/// while its transaction started, and sqlx 0.9.0 handed that connection back still in it).
#[tokio::test]
async fn reports_of_missing_polls_leave_no_connection_inside_a_transaction() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};

    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, _) = crate::polls::open_poll(&app, &staff.admin).await;
    for missing in 1000..1080 {
        let response = download(&app, &format!("/api/admin/polls/{missing}/report"), Some(&staff.analyst)).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let response = download(&app, &format!("/api/admin/polls/{id}/report"), Some(&staff.analyst)).await;
        assert_eq!(response.status(), StatusCode::OK, "after the report of poll {missing}");
    }
    let sql = "SELECT count(*) AS open FROM pg_stat_activity \
               WHERE datname = current_database() AND state LIKE 'idle in transaction%'";
    let row = app.db.conn.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await.expect("sql");
    let open: i64 = row.expect("a row").try_get("", "open").expect("count");
    assert_eq!(open, 0, "connections left inside a transaction");
}
