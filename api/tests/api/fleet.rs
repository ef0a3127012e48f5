//! Several api processes on one database, as a fleet behind a load balancer runs: per-address
//! allowances are the fleet's (not N times them), and a database migrated ahead by a newer
//! version (migrations as a deploy step) leaves the older processes serving and ready.

use migration::sql_migration::SqlMigration;
use migration::{MigrationTrait, MigratorTrait};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, settings_for, spawn_app, spawn_app_with};
use crate::polls::{open_poll, staff, vote};

/// Another process of the same fleet: the same database and settings as `app`.
async fn second_process(app: &TestApp, adjust: impl FnOnce(&mut api::Settings)) -> String {
    let mut settings = settings_for(&app.db);
    adjust(&mut settings);
    let other = api::Application::build(settings).await.expect("second process");
    let address = other.address().expect("address");
    tokio::spawn(other.serve());
    format!("http://{address}")
}

async fn login_from(client: &reqwest::Client, base: &str, address: &str, i: usize) -> StatusCode {
    client
        .post(format!("{base}/api/auth/login"))
        .header("x-forwarded-for", address)
        .json(&json!({"email": format!("guess{i}@example.org"), "password": "not the password"}))
        .send()
        .await
        .expect("login")
        .status()
}

#[tokio::test]
async fn login_attempts_from_one_address_are_counted_by_the_whole_fleet() {
    let app = spawn_app().await;
    let other = second_process(&app, |_| {}).await;
    let bases = [app.url(""), other];
    // Ten attempts (the allowance), alternating between the two processes: each is refused
    // for its password, not for the address.
    for i in 0..10 {
        let status = login_from(&app.client, &bases[i % 2], "203.0.113.9", i).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    // The eleventh, on either process, is over the fleet's allowance.
    for (i, base) in bases.iter().enumerate() {
        let response = app
            .client
            .post(format!("{base}/api/auth/login"))
            .header("x-forwarded-for", "203.0.113.9")
            .json(&json!({"email": format!("late{i}@example.org"), "password": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS, "process {i}");
        let wait: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&wait), "Retry-After {wait}");
    }
    // Another address is not affected, and nothing of the address itself is stored.
    assert_eq!(login_from(&app.client, &bases[1], "203.0.113.10", 99).await, StatusCode::UNAUTHORIZED);
    let stored: Vec<(String, String)> = sqlx_rows(&app, "SELECT kind, client_key FROM users.client_allowances").await;
    assert_eq!(stored.len(), 2, "{stored:?}");
    assert!(stored.iter().all(|(kind, key)| kind == "login" && !key.contains("203.0.113")), "{stored:?}");
}

async fn sqlx_rows(app: &TestApp, sql: &str) -> Vec<(String, String)> {
    use sea_orm::ConnectionTrait;
    let rows =
        app.db.conn.query_all_raw(sea_orm::Statement::from_string(sea_orm::DbBackend::Postgres, sql)).await.unwrap();
    rows.iter().map(|r| (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap())).collect()
}

async fn join_from(client: &reqwest::Client, base: &str, address: &str, code: &str) -> StatusCode {
    client
        .get(format!("{base}/api/polls/join/{code}"))
        .header("x-forwarded-for", address)
        .send()
        .await
        .expect("join")
        .status()
}

#[tokio::test]
async fn wrong_join_codes_from_one_address_are_counted_by_the_whole_fleet() {
    let misses = std::num::NonZeroU32::new(4).unwrap();
    let app = spawn_app_with(|s| s.limits.join_code_misses_per_minute = misses).await;
    let other = second_process(&app, |s| s.limits.join_code_misses_per_minute = misses).await;
    let bases = [app.url(""), other];
    let admin = staff(&app).await.admin;
    let (id, _) = open_poll(&app, &admin).await;
    let poll: Value = app
        .client
        .get(app.url(&format!("/api/admin/polls/{id}")))
        .header("cookie", &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = poll["join_code"].as_str().expect("a join code").to_owned();
    let wrong = if code == "000000" { "000001" } else { "000000" };

    // Two misses on each process: the fleet's allowance of four is spent.
    for i in 0..4 {
        assert_eq!(join_from(&app.client, &bases[i % 2], "198.51.100.7", wrong).await, StatusCode::NOT_FOUND);
    }
    for base in &bases {
        assert_eq!(
            join_from(&app.client, base, "198.51.100.7", &code).await,
            StatusCode::TOO_MANY_REQUESTS,
            "even the right code, on every process"
        );
    }
    assert_eq!(join_from(&app.client, &bases[1], "198.51.100.8", &code).await, StatusCode::OK, "another address");
}

/// What a newer version's `migration generate` + SQL would add: a column and a table.
const NEWER: SqlMigration = SqlMigration {
    name: "m20991231_000001_newer_version_schema",
    up: "ALTER TABLE polls.polls ADD COLUMN subtitle text NOT NULL DEFAULT '';
         CREATE TABLE polls.poll_themes (poll_id integer PRIMARY KEY REFERENCES polls.polls (id) ON DELETE CASCADE,
                                         theme text NOT NULL);",
    down: "DROP TABLE polls.poll_themes; ALTER TABLE polls.polls DROP COLUMN subtitle;",
};

/// The newer version's migrator: everything this one has, then its own.
struct NewerVersion;

impl MigratorTrait for NewerVersion {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = migration::Migrator::migrations();
        all.push(Box::new(NEWER));
        all
    }
}

async fn readiness(client: &reqwest::Client, base: &str) -> (StatusCode, Value) {
    let response = client.get(format!("{base}/readyz")).send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn wait_ready(client: &reqwest::Client, base: &str) -> Value {
    for _ in 0..100 {
        let (status, body) = readiness(client, base).await;
        if status == StatusCode::OK {
            return body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{base} did not become ready");
}

#[tokio::test]
async fn a_database_migrated_ahead_by_a_newer_version_leaves_this_version_serving() {
    let app = spawn_app().await;
    let before = wait_ready(&app.client, &app.url("")).await;
    let known: Vec<String> = migration::Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
    assert_eq!(before["migrations"], "applied");
    assert_eq!(before["known_migrations"], json!(known));
    assert_eq!(before["unknown_applied_migrations"], json!([]));
    let admin = staff(&app).await.admin;
    let (id, slug) = open_poll(&app, &admin).await;
    assert_eq!(
        vote(
            &app,
            &slug,
            "before-the-deploy-1",
            json!([{"var_name": "pid3", "response_index": 0}, {"var_name": "perf_judicial_ind", "response_index": 3}])
        )
        .await
        .0,
        StatusCode::CREATED
    );

    // The deploy step: the newer version migrates while this version serves.
    NewerVersion::up(&app.db.conn, None).await.expect("the newer version's migration");

    let after = wait_ready(&app.client, &app.url("")).await;
    assert_eq!(after["migrations"], "applied; database ahead");
    assert_eq!(after["unknown_applied_migrations"], json!([NEWER.name]));
    // Everything this version does still works beside the new column and table.
    assert_eq!(
        vote(
            &app,
            &slug,
            "after-the-deploy-1",
            json!([{"var_name": "pid3", "response_index": 1}, {"var_name": "perf_judicial_ind", "response_index": 2}])
        )
        .await
        .0,
        StatusCode::CREATED
    );
    let (status, made) = crate::polls::send(
        &app,
        reqwest::Method::POST,
        "/api/admin/polls",
        Some(&admin),
        Some(
            json!({"title": "Made after the deploy", "questions": [{"var_name": "pid3", "response_indices": [0, 1]}]}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let results: Value =
        app.client.get(app.url(&format!("/api/polls/{slug}/results"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(results["respondents"], 2, "{results}");
    let _ = id;

    // A process of this version that starts now (migrating on start, as by default) has
    // nothing to apply and serves too: a restart during the rollout is not a crash loop.
    let restarted = second_process(&app, |s| s.migrate_on_start = true).await;
    let body = wait_ready(&app.client, &restarted).await;
    assert_eq!(body["unknown_applied_migrations"], json!([NEWER.name]));

    // A database behind this version (one of its migrations undone) is not ready for it.
    NewerVersion::down(&app.db.conn, Some(2)).await.expect("undo the newest two");
    let (status, body) = readiness(&app.client, &app.url("")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("migrations pending") && message.contains(known.last().unwrap()), "{message}");
}
