//! The paired migrations against a real PostgreSQL (a fresh database per test), reading their
//! sources from a local folder or from a real S3-compatible server on loopback.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

use migration::data_source::{DataSourceSettings, Manifest, S3Location, SourceLocation, with_data_source};
use migration::{Migrator, MigratorTrait};
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};
use testkit::{S3TestServer, TestDatabase, repo_data_dir};

const SURVEY_KEY: &str = "db/schemas/surveys/blw-public-waves.csv.gz";
const ACCOUNTS_KEY: &str = "db/schemas/users/user-accounts.json";

/// Every table the migrations fill, with the columns that describe its contents (accounts leave
/// out created_at/updated_at: they record when a load ran, not what it loaded).
const TABLES: [(&str, &str); 7] = [
    ("questions.batteries", "*"),
    ("questions.sub_batteries", "*"),
    ("questions.questions", "*"),
    ("users.accounts", "id, email, name, role, password_hash, is_active, last_login_at"),
    ("surveys.waves", "*"),
    ("surveys.respondents", "*"),
    ("surveys.responses", "*"),
];

/// The in-repo data folder, development accounts included.
fn local() -> DataSourceSettings {
    DataSourceSettings::local(repo_data_dir()).expect("manifest").with_dev_accounts(true)
}

async fn up(db: &TestDatabase, settings: DataSourceSettings) -> Result<(), DbErr> {
    with_data_source(settings, Migrator::up(&db.conn, None)).await
}

async fn down(db: &TestDatabase, settings: DataSourceSettings, steps: Option<u32>) -> Result<(), DbErr> {
    with_data_source(settings, Migrator::down(&db.conn, steps)).await
}

async fn scalar_i64(conn: &DatabaseConnection, sql: &str) -> i64 {
    let row = conn.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await.expect(sql).expect("one row");
    row.try_get_by_index(0).expect("integer")
}

async fn count(conn: &DatabaseConnection, table: &str) -> i64 {
    scalar_i64(conn, &format!("SELECT count(*) FROM {table}")).await
}

/// Row count and a digest of every row of every table (or "absent" for a missing table).
async fn snapshot(conn: &DatabaseConnection) -> BTreeMap<&'static str, String> {
    let mut tables = BTreeMap::new();
    for (table, columns) in TABLES {
        let sql = format!(
            "SELECT count(*)::text || ' ' || md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS digest \
             FROM (SELECT {columns} FROM {table}) t"
        );
        let digest = match conn.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await {
            Ok(Some(row)) => row.try_get::<String>("", "digest").expect("digest"),
            _ => "absent".to_owned(),
        };
        tables.insert(table, digest);
    }
    tables
}

/// Applied migrations in the order they apply (not by name: a schema migration's name sorts after
/// its data migration's).
async fn applied_migrations(conn: &DatabaseConnection) -> Vec<String> {
    let applied: Vec<String> = conn
        .query_all_raw(Statement::from_string(DbBackend::Postgres, "SELECT version FROM seaql_migrations"))
        .await
        .expect("seaql_migrations")
        .into_iter()
        .map(|row| row.try_get("", "version").expect("version"))
        .collect();
    Migrator::migrations().iter().map(|m| m.name().to_owned()).filter(|name| applied.contains(name)).collect()
}

/// How many `down` steps undo `version` and everything applied after it.
async fn steps_back_to(conn: &DatabaseConnection, version: &str) -> u32 {
    let applied = applied_migrations(conn).await;
    let at = applied.iter().position(|v| v == version).expect("applied");
    (applied.len() - at) as u32
}

/// A copy of the data folder to break on purpose, with a manifest that no longer pins `key`.
fn editable_sources(unpinned_key: &str) -> (tempfile::TempDir, DataSourceSettings) {
    let dir = tempfile::tempdir().expect("temp dir");
    testkit::copy_tree(&repo_data_dir(), dir.path());
    let mut manifest = Manifest::load().expect("manifest");
    for spec in manifest.migrations.values_mut().flatten() {
        if spec.key == unpinned_key {
            spec.sha256 = None;
        }
    }
    let settings = DataSourceSettings {
        manifest,
        location: SourceLocation::LocalDir(dir.path().to_path_buf()),
        dev_accounts: true,
    };
    (dir, settings)
}

fn read_survey_csv(dir: &Path) -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(dir.join(SURVEY_KEY)).expect("csv.gz"))
        .read_to_string(&mut text)
        .expect("gunzip");
    text
}

fn write_survey_csv(dir: &Path, text: &str) {
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(dir.join(SURVEY_KEY)).expect("create csv.gz"),
        flate2::Compression::fast(),
    );
    gz.write_all(text.as_bytes()).expect("write csv.gz");
    gz.finish().expect("finish gzip");
}

/// The survey migration failed: the catalog and accounts are in, the survey tables exist, hold no
/// row, and the survey data migration is not recorded as applied.
async fn assert_survey_data_absent(db: &TestDatabase) {
    assert_eq!(count(&db.conn, "questions.questions").await, 77);
    for table in ["surveys.waves", "surveys.respondents", "surveys.responses"] {
        assert_eq!(count(&db.conn, table).await, 0, "{table} must be empty");
    }
    let applied = applied_migrations(&db.conn).await;
    assert_eq!(applied.last().map(String::as_str), Some("m20261125_000003_surveys_schema"));
}

#[tokio::test]
async fn up_loads_every_row_of_the_source_files() {
    let db = TestDatabase::create().await;

    up(&db, local()).await.expect("migrate up");

    // Expected counts from the source files themselves.
    let perf_imp: serde_json::Value = serde_json::from_slice(
        &std::fs::read(repo_data_dir().join("db/schemas/questions/perf-imp.json")).expect("perf-imp"),
    )
    .expect("json");
    let characteristics = perf_imp["characteristics"].as_array().expect("characteristics");
    let categories: std::collections::BTreeSet<&str> =
        characteristics.iter().map(|c| c["category"].as_str().expect("category")).collect();
    assert_eq!(count(&db.conn, "questions.batteries").await, 3);
    assert_eq!(count(&db.conn, "questions.sub_batteries").await, 2 * categories.len() as i64);
    assert_eq!(count(&db.conn, "questions.questions").await, 77);
    assert_eq!(count(&db.conn, "questions.questions").await, 2 * characteristics.len() as i64 + 3);
    assert_eq!(count(&db.conn, "users.accounts").await, 2);

    let csv_text = read_survey_csv(&repo_data_dir());
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = reader.headers().expect("headers").clone();
    let respondent_columns = ["caseid", "wave", "weight", "pid3_t", "pid3lean", "democracy_importance"];
    let (mut respondents, mut cells) = (0_i64, 0_i64);
    let mut waves = std::collections::BTreeSet::new();
    for record in reader.records() {
        let record = record.expect("record");
        respondents += 1;
        waves.insert(record[headers.iter().position(|h| h == "wave").expect("wave")].to_owned());
        cells +=
            headers.iter().zip(record.iter()).filter(|(h, v)| !respondent_columns.contains(h) && !v.is_empty()).count()
                as i64;
    }
    assert_eq!((respondents, cells), (10_450, 270_808));
    assert_eq!(count(&db.conn, "surveys.respondents").await, respondents);
    assert_eq!(count(&db.conn, "surveys.responses").await, cells);
    assert_eq!(count(&db.conn, "surveys.waves").await, waves.len() as i64);

    // Coding: an index exactly when the raw value is one of the question's responses.
    let miscoded = scalar_i64(
        &db.conn,
        "SELECT count(*) FROM surveys.responses r JOIN questions.questions q USING (var_name)
         WHERE r.response_index IS DISTINCT FROM (array_position(q.responses, r.raw_value) - 1)",
    )
    .await;
    assert_eq!(miscoded, 0);
    let stray_fives =
        scalar_i64(&db.conn, "SELECT count(*) FROM surveys.responses WHERE raw_value = '5' AND response_index IS NULL")
            .await;
    assert_eq!(stray_fives, 418, "stray codes are kept raw and uncoded");
    let coded = scalar_i64(
        &db.conn,
        "SELECT response_index::bigint FROM surveys.responses WHERE caseid = 351539336 AND var_name = 'imp_private_gain'",
    )
    .await;
    assert_eq!(coded, 2, "'Important' is the third importance response");
}

#[tokio::test]
async fn each_battery_takes_its_own_scale() {
    let db = TestDatabase::create().await;
    up(&db, local()).await.expect("migrate up");

    let rows = db
        .conn
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT b.name, b.prefix, q.responses[1] AS first FROM questions.batteries b
             JOIN questions.questions q ON q.battery_name = b.name AND q.var_name IN ('imp_misconduct', 'perf_misconduct')
             ORDER BY b.name",
        ))
        .await
        .expect("query");
    let got: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| (r.try_get("", "name").unwrap(), r.try_get("", "prefix").unwrap(), r.try_get("", "first").unwrap()))
        .collect();
    assert_eq!(got[0].0, "democratic_characteristics_importance");
    assert!(got[0].1.starts_with("How important"));
    assert_eq!(got[0].2, "Not relevant");
    assert_eq!(got[1].0, "democratic_characteristics_performance");
    assert!(got[1].1.starts_with("How well"));
    assert_eq!(got[1].2, "Does not meet");
}

#[tokio::test]
async fn a_question_cannot_use_a_sub_battery_of_another_battery() {
    let db = TestDatabase::create().await;
    up(&db, local()).await.expect("migrate up");

    let result = db
        .conn
        .execute_unprepared(
            "INSERT INTO questions.sub_batteries (battery_name, name) VALUES ('respondent_profile', 'Only here');
             INSERT INTO questions.questions (var_name, text, battery_name, sub_battery, responses)
             VALUES ('imp_new', 'New', 'democratic_characteristics_importance', 'Only here', ARRAY['a'])",
        )
        .await;

    let error = result.expect_err("foreign key must reject it").to_string();
    assert!(error.contains("questions_sub_battery_fkey"), "{error}");
}

#[tokio::test]
async fn a_duplicate_question_is_rejected() {
    let db = TestDatabase::create().await;
    up(&db, local()).await.expect("migrate up");

    let result = db
        .conn
        .execute_unprepared(
            "INSERT INTO questions.questions (var_name, text, battery_name, responses)
             VALUES ('pid3', 'Again', 'respondent_profile', ARRAY['a'])",
        )
        .await;

    let error = result.expect_err("primary key must reject it").to_string();
    assert!(error.contains("questions_pkey"), "{error}");
}

#[tokio::test]
async fn a_non_positive_or_nan_weight_is_rejected() {
    let db = TestDatabase::create().await;
    up(&db, local()).await.expect("migrate up");

    for weight in ["0", "-1.5", "'NaN'", "'Infinity'"] {
        let result = db
            .conn
            .execute_unprepared(&format!(
                "INSERT INTO surveys.respondents (caseid, wave, weight) VALUES (1, 3, {weight})"
            ))
            .await;
        let error = result.expect_err(weight).to_string();
        assert!(error.contains("respondents_weight_check"), "{weight}: {error}");
    }
}

#[tokio::test]
async fn up_down_up_gives_identical_tables() {
    let db = TestDatabase::create().await;
    up(&db, local()).await.expect("first up");
    let first = snapshot(&db.conn).await;

    down(&db, local(), None).await.expect("down all");
    let emptied = snapshot(&db.conn).await;
    up(&db, local()).await.expect("second up");
    let second = snapshot(&db.conn).await;

    assert!(emptied.values().all(|d| d == "absent"), "down removes every table: {emptied:?}");
    assert_eq!(applied_migrations(&db.conn).await.len(), Migrator::migrations().len());
    assert_eq!(first, second);
}

#[tokio::test]
async fn each_data_down_removes_exactly_its_rows_and_leaves_the_schema() {
    let db = TestDatabase::create().await;
    up(&db, local()).await.expect("up");
    let before = snapshot(&db.conn).await;

    down(&db, local(), Some(steps_back_to(&db.conn, "m20261125_000003_surveys_data").await))
        .await
        .expect("down survey data");

    for table in ["surveys.waves", "surveys.respondents", "surveys.responses"] {
        assert_eq!(count(&db.conn, table).await, 0, "{table}");
    }
    let after = snapshot(&db.conn).await;
    for table in ["questions.batteries", "questions.sub_batteries", "questions.questions", "users.accounts"] {
        assert_eq!(before[table], after[table], "{table} untouched");
    }

    down(&db, local(), Some(steps_back_to(&db.conn, "m20261125_000002_users_data").await))
        .await
        .expect("down to users data");
    assert_eq!(count(&db.conn, "users.accounts").await, 0);
    assert_eq!(after["questions.questions"], snapshot(&db.conn).await["questions.questions"]);
}

#[tokio::test]
async fn a_missing_source_object_aborts_with_its_key_and_leaves_no_partial_data() {
    let db = TestDatabase::create().await;
    let (dir, settings) = editable_sources(SURVEY_KEY);
    std::fs::remove_file(dir.path().join(SURVEY_KEY)).expect("remove");

    let error = up(&db, settings.clone()).await.expect_err("must fail").to_string();

    assert!(error.contains(SURVEY_KEY) && error.contains("not found"), "{error}");
    assert_survey_data_absent(&db).await;
    // With the object back, the same migration completes.
    testkit::copy_tree(&repo_data_dir(), dir.path());
    up(&db, settings).await.expect("up after the object is restored");
    assert_eq!(count(&db.conn, "surveys.responses").await, 270_808);
}

#[tokio::test]
async fn a_malformed_csv_line_aborts_with_key_and_line_and_leaves_no_partial_data() {
    let db = TestDatabase::create().await;
    let (dir, settings) = editable_sources(SURVEY_KEY);
    let text = read_survey_csv(dir.path());
    let mut lines: Vec<&str> = text.lines().collect();
    lines[5000] = "123,only,three";
    write_survey_csv(dir.path(), &lines.join("\n"));

    let error = up(&db, settings).await.expect_err("must fail").to_string();

    assert!(error.contains(SURVEY_KEY) && error.contains("line 5001"), "{error}");
    assert_survey_data_absent(&db).await;
}

#[tokio::test]
async fn an_invalid_weight_in_the_csv_is_reported_with_its_line() {
    let db = TestDatabase::create().await;
    let (dir, settings) = editable_sources(SURVEY_KEY);
    let text = read_survey_csv(dir.path());
    let weight_column = text.lines().next().unwrap().split(',').position(|h| h == "weight").unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut fields: Vec<String> = lines[9000].split(',').map(str::to_owned).collect();
    fields[weight_column] = "0".to_owned();
    lines[9000] = fields.join(",");
    write_survey_csv(dir.path(), &lines.join("\n"));

    let error = up(&db, settings).await.expect_err("must fail").to_string();

    assert!(error.contains("line 9001") && error.contains("weight"), "{error}");
    assert_survey_data_absent(&db).await;
}

#[tokio::test]
async fn an_unknown_csv_column_is_an_error_not_a_silent_drop() {
    let db = TestDatabase::create().await;
    let (dir, settings) = editable_sources(SURVEY_KEY);
    let text = read_survey_csv(dir.path());
    let with_extra: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, line)| if i == 0 { format!("{line},imp_unknown") } else { format!("{line},Essential") })
        .collect();
    write_survey_csv(dir.path(), &with_extra.join("\n"));

    let error = up(&db, settings).await.expect_err("must fail").to_string();

    assert!(error.contains("imp_unknown") && error.contains("neither a catalog question"), "{error}");
    assert_survey_data_absent(&db).await;
}

#[tokio::test]
async fn a_source_that_does_not_match_its_pinned_checksum_is_refused() {
    let db = TestDatabase::create().await;
    let (dir, _) = editable_sources("none");
    let settings = DataSourceSettings::local(dir.path()).expect("pinned manifest");
    let text = read_survey_csv(dir.path());
    write_survey_csv(dir.path(), &text.replacen("Essential", "Important", 1));

    let error = up(&db, settings).await.expect_err("must fail").to_string();

    assert!(error.contains("sha256") && error.contains(SURVEY_KEY), "{error}");
    assert_survey_data_absent(&db).await;
}

#[tokio::test]
async fn a_constraint_violation_rolls_back_the_whole_data_migration() {
    let db = TestDatabase::create().await;
    let (dir, settings) = editable_sources(ACCOUNTS_KEY);
    let path = dir.path().join(ACCOUNTS_KEY);
    let text = std::fs::read_to_string(&path).expect("accounts");
    // The second account gets an email the accounts table's CHECK refuses.
    std::fs::write(&path, text.replacen("analyst@example.org", "analyst at example.org", 1)).expect("write");

    let error = up(&db, settings).await.expect_err("must fail").to_string();

    assert!(error.contains("accounts_email_check"), "{error}");
    assert_eq!(count(&db.conn, "users.accounts").await, 0, "the first, valid account is not kept either");
    let applied = applied_migrations(&db.conn).await;
    assert_eq!(applied.last().map(String::as_str), Some("m20261125_000002_users_schema"));
}

#[tokio::test]
async fn malformed_json_is_reported_with_key_and_line() {
    let db = TestDatabase::create().await;
    let (dir, settings) = editable_sources(ACCOUNTS_KEY);
    let path = dir.path().join(ACCOUNTS_KEY);
    std::fs::write(&path, "{\n  \"accounts\": [\n    {\"email\": }\n  ]\n}\n").expect("write");

    let error = up(&db, settings).await.expect_err("must fail").to_string();

    assert!(error.contains(ACCOUNTS_KEY) && error.contains("line 3"), "{error}");
    assert_eq!(count(&db.conn, "users.accounts").await, 0);
}

fn s3_settings(server: &S3TestServer, secret: &str) -> DataSourceSettings {
    DataSourceSettings {
        manifest: Manifest::load().expect("manifest"),
        location: SourceLocation::S3(S3Location::compatible(
            &server.endpoint,
            &server.bucket,
            &server.access_key,
            secret,
        )),
        dev_accounts: true,
    }
}

#[tokio::test]
async fn the_s3_path_and_the_local_folder_load_identical_rows() {
    let server = S3TestServer::start("blw-dataviz", &repo_data_dir()).await;
    let from_s3 = TestDatabase::create().await;
    let from_folder = TestDatabase::create().await;

    up(&from_s3, s3_settings(&server, &server.secret_key)).await.expect("up from S3");
    up(&from_folder, local()).await.expect("up from the folder");

    let s3_snapshot = snapshot(&from_s3.conn).await;
    assert_eq!(s3_snapshot, snapshot(&from_folder.conn).await);
    assert!(s3_snapshot["surveys.responses"].starts_with("270808 "));
}

#[tokio::test]
async fn s3_errors_name_the_key_and_load_nothing() {
    let server = S3TestServer::start("blw-dataviz", &repo_data_dir()).await;
    let db = TestDatabase::create().await;

    let error = up(&db, s3_settings(&server, "wrong-secret")).await.expect_err("bad secret").to_string();
    assert!(error.contains("db/schemas/questions/perf-imp.json"), "{error}");
    assert!(applied_migrations(&db.conn).await.last().is_some_and(|v| v.ends_with("questions_schema")));

    std::fs::remove_file(server.bucket_dir.join(SURVEY_KEY)).expect("remove object");
    let error = up(&db, s3_settings(&server, &server.secret_key)).await.expect_err("missing key").to_string();
    assert!(error.contains(SURVEY_KEY) && error.contains("not found"), "{error}");
    assert_survey_data_absent(&db).await;
}

#[tokio::test]
async fn fresh_drops_every_schema_and_loads_again() {
    let db = TestDatabase::create().await;
    up(&db, local()).await.expect("up");
    let first = snapshot(&db.conn).await;
    db.conn.execute_unprepared("CREATE SCHEMA scratch; CREATE TABLE scratch.t (x int)").await.expect("scratch");

    with_data_source(local(), Migrator::fresh(&db.conn)).await.expect("fresh");

    assert_eq!(first, snapshot(&db.conn).await);
    let scratch = scalar_i64(&db.conn, "SELECT count(*) FROM pg_namespace WHERE nspname = 'scratch'").await;
    assert_eq!(scratch, 0);
}

#[tokio::test]
async fn development_accounts_are_loaded_only_when_asked_for() {
    let db = TestDatabase::create().await;
    let settings = DataSourceSettings::local(repo_data_dir()).expect("manifest");
    assert!(!settings.dev_accounts, "off by default");
    up(&db, settings.clone()).await.expect("up");
    assert_eq!(count(&db.conn, "users.accounts").await, 0);
    down(&db, settings, None).await.expect("down");
    up(&db, local()).await.expect("up with DEV_ACCOUNTS");
    assert_eq!(count(&db.conn, "users.accounts").await, 2);
}

/// S3 settings for an endpoint that is not the test server.
fn s3_at(endpoint: String) -> DataSourceSettings {
    let mut settings = local();
    settings.location = SourceLocation::S3(S3Location::compatible(&endpoint, "blw-dataviz", "k", "s"));
    settings
}

#[tokio::test]
async fn an_unreachable_or_garbled_s3_endpoint_fails_naming_the_key_and_loads_nothing() {
    // Unreachable: a port nothing listens on any more.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let endpoint = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let db = TestDatabase::create().await;
    let error = up(&db, s3_at(endpoint)).await.expect_err("unreachable").to_string();
    assert!(error.contains("db/schemas/questions/perf-imp.json"), "{error}");
    assert_eq!(
        applied_migrations(&db.conn).await.last().map(String::as_str),
        Some("m20261125_000001_questions_schema")
    );

    // Garbage: a server that answers every request with 200 and bytes that are not the object.
    let garbage = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let endpoint = format!("http://{}", garbage.local_addr().expect("addr"));
    let server = tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = garbage.accept().await else { return };
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut request = vec![0u8; 16 * 1024];
                let _ = socket.read(&mut request).await;
                let body = "\u{1f}\u{8b}definitely not the object you asked for";
                let reply =
                    format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
                let _ = socket.write_all(reply.as_bytes()).await;
            });
        }
    });
    let db = TestDatabase::create().await;
    let error = up(&db, s3_at(endpoint)).await.expect_err("garbage").to_string();
    server.abort();
    assert!(error.contains("db/schemas/questions/perf-imp.json") && error.contains("sha256"), "{error}");
    for table in ["questions.questions", "questions.batteries"] {
        assert_eq!(count(&db.conn, table).await, 0, "{table}");
    }
}
