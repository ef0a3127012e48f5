//! PostgreSQL stopped or restarted under the api: every ballot is answered 2xx or 503, no
//! acknowledged ballot is lost, data already in memory keeps being served, and everything
//! recovers without a restart of the api. Its own test binary, one test at a time: it stops the
//! server every other test uses (needs Debian's `pg_ctlcluster`, and root, as on the CI machine).

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::collections::HashSet;
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

use helpers::{create_account, session_cookie, spawn_app};

/// The tests here take turns: each stops the one PostgreSQL server.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn cluster_version() -> String {
    std::fs::read_dir("/etc/postgresql")
        .expect("a Debian PostgreSQL cluster in /etc/postgresql")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .max_by_key(|v| v.parse::<u32>().unwrap_or(0))
        .expect("a cluster version")
}

fn pg_ctlcluster(action: &str) {
    let status = std::process::Command::new("pg_ctlcluster")
        .args([cluster_version().as_str(), "main", action, "-m", "fast"])
        .status()
        .expect("run pg_ctlcluster");
    assert!(status.success(), "pg_ctlcluster {action} failed");
}

fn restart_postgres() {
    pg_ctlcluster("restart");
}

async fn wait_for_database(app: &helpers::TestApp) {
    for _ in 0..100 {
        if app.db.conn.execute_unprepared("SELECT 1").await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("PostgreSQL did not come back");
}

/// An admin's session cookie and a new (closed) poll on pid3, split by it.
async fn admin_and_poll(app: &helpers::TestApp, title: &str) -> (String, Value) {
    create_account(app, "admin@test.org", api::Role::Admin).await;
    let admin = session_cookie(app, "admin@test.org").await;
    let poll = app
        .client
        .post(app.url("/api/admin/polls"))
        .header("cookie", &admin)
        .json(&json!({"title": title, "questions": [{"var_name": "pid3"}], "split_by": "pid3"}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    // Opened once (a draft is not public), closed again: each test opens it when it needs to.
    for is_open in [true, false] {
        let path = format!("/api/admin/polls/{}", poll["id"]);
        let response =
            app.client.patch(app.url(&path)).header("cookie", &admin).json(&json!({ "is_open": is_open })).send();
        assert_eq!(response.await.unwrap().status(), StatusCode::OK);
    }
    (admin, poll)
}

#[tokio::test]
async fn a_restart_mid_burst_loses_no_acknowledged_ballot() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = spawn_app().await;
    let (admin, poll) = admin_and_poll(&app, "Restart").await;
    let (id, slug) = (poll["id"].as_i64().unwrap(), poll["slug"].as_str().unwrap().to_owned());
    let open = |is_open: bool| {
        app.client
            .patch(app.url(&format!("/api/admin/polls/{id}")))
            .header("cookie", &admin)
            .json(&json!({ "is_open": is_open }))
            .send()
    };
    assert_eq!(open(true).await.unwrap().status(), StatusCode::OK);
    let stream = app.client.get(app.url(&format!("/api/polls/{slug}/results/stream"))).send().await.unwrap();

    // A ballot every 10 ms from before PostgreSQL restarts (after the first second) until half
    // a second after it is back, however long the restart takes: the restart is always mid-burst.
    let restarted = std::sync::Arc::new(tokio::sync::Notify::new());
    let votes = {
        let (client, url, restarted) =
            (app.client.clone(), app.url(&format!("/api/polls/{slug}/responses")), restarted.clone());
        async move {
            let back = restarted.notified();
            tokio::pin!(back);
            let mut sent = Vec::new();
            let mut until: Option<tokio::time::Instant> = None;
            for i in 0.. {
                if until.is_some_and(|t| tokio::time::Instant::now() >= t) {
                    break;
                }
                let (client, url) = (client.clone(), url.clone());
                let token = format!("restart-{i:04}");
                let ballot = json!({"client_token": token, "answers": [{"var_name": "pid3", "response_index": i % 4}]});
                sent.push(tokio::spawn(async move {
                    let response = client.post(url).json(&ballot).send().await;
                    (token, response.map(|r| r.status()).ok())
                }));
                tokio::select! {
                    () = &mut back, if until.is_none() => {
                        until = Some(tokio::time::Instant::now() + Duration::from_millis(500));
                    }
                    () = tokio::time::sleep(Duration::from_millis(10)) => {}
                }
            }
            futures_util::future::join_all(sent).await.into_iter().map(|r| r.expect("ballot task")).collect::<Vec<_>>()
        }
    };
    let restart = async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        tokio::task::spawn_blocking(restart_postgres).await.unwrap();
        restarted.notify_one();
    };
    let (replies, ()) = tokio::join!(votes, restart);
    wait_for_database(&app).await;

    let acknowledged: HashSet<&str> =
        replies.iter().filter(|(_, s)| *s == Some(StatusCode::CREATED)).map(|(t, _)| t.as_str()).collect();
    for (token, status) in &replies {
        assert!(
            matches!(*status, Some(StatusCode::CREATED | StatusCode::SERVICE_UNAVAILABLE)),
            "{token}: {status:?} (a ballot is either stored or refused as unavailable)"
        );
    }
    eprintln!("{} ballots stored, {} refused as unavailable", acknowledged.len(), replies.len() - acknowledged.len());
    assert!(acknowledged.len() > 100, "only {} ballots stored", acknowledged.len());
    let rows = app
        .db
        .conn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT client_token FROM polls.respondents WHERE poll_id = $1",
            [i32::try_from(id).unwrap().into()],
        ))
        .await
        .unwrap();
    let stored: HashSet<String> = rows.iter().map(|r| r.try_get_by_index::<String>(0).unwrap()).collect();
    for token in &acknowledged {
        assert!(stored.contains(*token), "{token} was acknowledged but is not stored");
    }

    // The live results across the restart end equal to the database.
    let mut closed = None;
    for _ in 0..50 {
        if open(false).await.map(|r| r.status()).ok() == Some(StatusCode::OK) {
            closed = Some(());
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    closed.expect("the poll closes once the database is back");
    let mut body = stream.bytes_stream();
    let mut text = String::new();
    let last = tokio::time::timeout(Duration::from_secs(15), async {
        while let Some(Ok(chunk)) = body.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk));
            // `event: closed`, its `id:`, then its data.
            if let Some(at) = text.find("event: closed\n")
                && let Some(data_at) = text[at..].find("data: ")
            {
                let data = &text[at + data_at + "data: ".len()..];
                if let Some(end) = data.find("\n\n") {
                    return serde_json::from_str::<Value>(&data[..end]).unwrap();
                }
            }
        }
        panic!("the stream ended without a closed event");
    })
    .await
    .expect("a closed event within 15 s");
    assert_eq!(last["respondents"].as_u64(), Some(stored.len() as u64), "live total = database");
}

#[tokio::test]
async fn while_the_database_is_down_memory_serves_and_the_rest_says_503_quickly() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = spawn_app().await;
    let (_, poll) = admin_and_poll(&app, "Outage").await;
    let slug = poll["slug"].as_str().unwrap().to_owned();
    let proportions = app.url("/api/surveys/questions/perf_judicial_ind/proportions");
    assert_eq!(app.client.get(&proportions).send().await.unwrap().status(), StatusCode::OK);
    // Someone watches the poll's results: this process tallies them in memory.
    let watcher = app.client.get(app.url(&format!("/api/polls/{slug}/results/stream"))).send().await.unwrap();
    assert_eq!(watcher.status(), StatusCode::OK);
    let before: Value =
        app.client.get(app.url(&format!("/api/polls/{slug}/results"))).send().await.unwrap().json().await.unwrap();

    tokio::task::spawn_blocking(|| pg_ctlcluster("stop")).await.unwrap();
    let timed = |path: String| {
        let client = app.client.clone();
        async move {
            let started = std::time::Instant::now();
            let response = client.get(path).send().await.unwrap();
            (response.status(), started.elapsed())
        }
    };
    let outage = async {
        let (health, health_took) = timed(app.url("/healthz")).await;
        let (ready, ready_took) = timed(app.url("/readyz")).await;
        let (survey, survey_took) = timed(proportions.clone()).await;
        let (polls, polls_took) = timed(app.url(&format!("/api/polls/{slug}"))).await;
        let tallied = app.client.get(app.url(&format!("/api/polls/{slug}/results"))).send().await.unwrap();
        let tallied = (tallied.status(), tallied.json::<Value>().await.unwrap_or_default());
        (health, health_took, ready, ready_took, survey, survey_took, polls, polls_took, tallied)
    }
    .await;
    tokio::task::spawn_blocking(|| pg_ctlcluster("start")).await.unwrap();
    wait_for_database(&app).await;

    let (health, health_took, ready, ready_took, survey, survey_took, polls, polls_took, tallied) = outage;
    drop(watcher);
    assert_eq!(tallied.0, StatusCode::OK, "a watched poll's results come from its tally: {}", tallied.1);
    assert_eq!(tallied.1["respondents"], before["respondents"]);
    assert_eq!(tallied.1["questions"], before["questions"]);
    assert_eq!((health, ready), (StatusCode::OK, StatusCode::SERVICE_UNAVAILABLE));
    assert!(
        health_took < Duration::from_secs(1) && ready_took < Duration::from_secs(1),
        "{health_took:?} {ready_took:?}"
    );
    assert_eq!(survey, StatusCode::OK, "survey results in memory are served through the outage");
    assert!(survey_took < Duration::from_secs(1), "{survey_took:?}");
    assert_eq!(polls, StatusCode::SERVICE_UNAVAILABLE, "a poll is read from the database");
    assert!(polls_took < Duration::from_millis(2_500), "{polls_took:?}");

    // Back without a restart of the api.
    let mut recovered = false;
    for _ in 0..50 {
        if timed(app.url(&format!("/api/polls/{slug}"))).await.0 == StatusCode::OK
            && timed(app.url("/readyz")).await.0 == StatusCode::OK
        {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(recovered, "the api recovers once PostgreSQL is back");
}
