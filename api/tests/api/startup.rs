use api::Application;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use testkit::TestDatabase;

use crate::helpers::settings_for;

async fn count(db: &TestDatabase, sql: &str) -> i64 {
    db.conn
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .expect(sql)
        .expect("row")
        .try_get_by_index(0)
        .expect("count")
}

#[tokio::test]
async fn start_up_applies_all_migrations_with_the_in_repo_data() {
    let db = TestDatabase::create().await;

    Application::build(settings_for(&db)).await.expect("build");

    assert_eq!(count(&db, "SELECT count(*) FROM surveys.responses").await, 270_808);
    let all = <migration::Migrator as migration::MigratorTrait>::migrations().len() as i64;
    assert_eq!(count(&db, "SELECT count(*) FROM seaql_migrations").await, all);
}

#[tokio::test]
async fn processes_starting_together_migrate_once() {
    let db = TestDatabase::create().await;

    let (a, b) = tokio::join!(Application::build(settings_for(&db)), Application::build(settings_for(&db)));

    a.expect("first process");
    b.expect("second process");
    assert_eq!(count(&db, "SELECT count(*) FROM surveys.respondents").await, 10_450);
}

#[tokio::test]
async fn migrate_on_start_false_leaves_the_database_alone() {
    let db = TestDatabase::create().await;
    let mut settings = settings_for(&db);
    settings.migrate_on_start = false;

    Application::build(settings).await.expect("build");

    let schemas =
        count(&db, "SELECT count(*) FROM pg_namespace WHERE nspname IN ('questions', 'users', 'surveys')").await;
    assert_eq!(schemas, 0);
}

#[tokio::test]
async fn a_missing_database_is_created() {
    let db = TestDatabase::create().await;
    let mut settings = settings_for(&db);
    let other = format!("{}_new", db.name);
    settings.database_url = api::Secret::new(db.url.replace(&db.name, &other));
    settings.migrate_on_start = false;

    let built = Application::build(settings).await;

    built.expect("build creates the database");
    let exists = count(&db, &format!("SELECT count(*) FROM pg_database WHERE datname = '{other}'")).await;
    db.conn.execute_unprepared(&format!("DROP DATABASE {other} WITH (FORCE)")).await.expect("clean up");
    assert_eq!(exists, 1);
}

#[test]
fn a_bad_setting_stops_start_up_with_one_clear_line() {
    for (name, value) in [
        ("LOG_FORMAT", "xml"),
        ("PORT", "eighty"),
        ("DATABASE_URL", "mysql://root:secret@localhost/db"),
        ("DATABASE_URL", "not a url"),
        ("DATA_SOURCE", "ftp"),
        ("S3_ENDPOINT_URL", "not a url"),
        ("S3_FORCE_PATH_STYLE", "maybe"),
        ("DEV_ACCOUNTS", "perhaps"),
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_api"))
            .env(name, value)
            .env("MIGRATE_ON_START", "false")
            .output()
            .expect("run the api");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{name}={value}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{name}={value}: {stderr}");
        assert!(stderr.contains(name), "{stderr}");
        assert!(!stderr.contains("panicked") && !stderr.contains("secret"), "{stderr}");
    }
}
