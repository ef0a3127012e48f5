//! A new survey wave from file to dashboard, as the README's recipe does it: a wave file in the
//! data folder, `sources pin`, `sources push` to a real S3-compatible server on loopback, the
//! wave's migration up while the api serves — the api shows the wave without a restart — and
//! down again, leaving every table as it was.

use std::io::{Read, Write};
use std::path::Path;

use migration::data_source::sources::{self, Outcome};
use migration::data_source::{DataSourceSettings, Manifest, S3Location, SourceLocation};
use migration::survey_file::SurveyFile;
use migration::{MigrationTrait, MigratorTrait};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::Value;
use testkit::{S3TestServer, copy_tree, repo_data_dir, repo_root};

use crate::helpers::{TestApp, spawn_app};

const WAVE_MIGRATION: &str = "m20991231_000001_add_wave_24_data";
const WAVE_KEY: &str = "db/schemas/surveys/wave-24.csv.gz";
const WAVE_FILE: SurveyFile = SurveyFile { name: WAVE_MIGRATION, key: WAVE_KEY };
const SURVEY_KEY: &str = "db/schemas/surveys/blw-public-waves.csv.gz";

/// The project's migrations plus wave 24's, as `generate add-wave-24` registers it.
struct WithWave24;

impl MigratorTrait for WithWave24 {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = migration::Migrator::migrations();
        all.push(Box::new(WAVE_FILE));
        all
    }
}

/// The public file's rows of its last wave, as wave 24 with new case ids (sampled: every
/// `step`-th row), gzipped; `edit` may change the header and the rows first.
fn wave_24_file(data_dir: &Path, step: usize, edit: impl FnOnce(&mut csv::StringRecord, &mut Vec<csv::StringRecord>)) {
    let mut text = String::new();
    let gz = std::fs::read(data_dir.join(SURVEY_KEY)).expect("survey file");
    flate2::read::GzDecoder::new(gz.as_slice()).read_to_string(&mut text).expect("gunzip");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut header = reader.headers().expect("header").clone();
    let column = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (caseid, wave) = (column("caseid"), column("wave"));
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    let last_wave = records.iter().map(|r| r[wave].parse::<i32>().expect("wave")).max().expect("rows");
    let mut rows: Vec<csv::StringRecord> = records
        .iter()
        .filter(|r| r[wave] == last_wave.to_string())
        .step_by(step)
        .enumerate()
        .map(|(i, r)| {
            let fields: Vec<String> = r
                .iter()
                .enumerate()
                .map(|(c, v)| match c {
                    c if c == caseid => (900_000_000 + i).to_string(),
                    c if c == wave => "24".to_owned(),
                    _ => v.to_owned(),
                })
                .collect();
            csv::StringRecord::from(fields)
        })
        .collect();
    edit(&mut header, &mut rows);
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&header).expect("header");
    for row in &rows {
        writer.write_record(row).expect("row");
    }
    let csv = writer.into_inner().expect("csv");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&csv).expect("gzip");
    std::fs::write(data_dir.join(WAVE_KEY), gz.finish().expect("gzip")).expect("write wave file");
}

/// The repository's manifest with wave 24's (unpinned) entry, as `generate add-wave-24` leaves it.
fn manifest_with_wave_24(dir: &Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(repo_root().join("data-sources.json")).expect("manifest");
    let mut manifest: Value = serde_json::from_str(&text).expect("json");
    manifest["migrations"][WAVE_MIGRATION] = serde_json::json!([{ "key": WAVE_KEY, "format": "csv.gz" }]);
    let path = dir.join("data-sources.json");
    std::fs::write(&path, serde_json::to_string_pretty(&manifest).expect("json")).expect("write manifest");
    path
}

fn bucket(server: &S3TestServer) -> S3Location {
    S3Location::compatible(&server.endpoint, &server.bucket, &server.access_key, &server.secret_key)
}

async fn waves(app: &TestApp) -> Vec<(i64, i64)> {
    let body: Value =
        app.client.get(app.url("/api/surveys/waves")).send().await.expect("waves").json().await.expect("json");
    body.as_array()
        .expect("array")
        .iter()
        .map(|w| (w["number"].as_i64().expect("number"), w["respondents"].as_i64().expect("respondents")))
        .collect()
}

/// Waits (bounded) until the api's waves satisfy `done`.
async fn waves_until(app: &TestApp, done: impl Fn(&[(i64, i64)]) -> bool) -> Vec<(i64, i64)> {
    for _ in 0..100 {
        let now = waves(app).await;
        if done(&now) {
            return now;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    waves(app).await
}

async fn digest(app: &TestApp) -> String {
    let sql = "SELECT string_agg(t, ' ') AS d FROM (
        SELECT (SELECT count(*) || md5(string_agg(r::text, '' ORDER BY r::text)) FROM surveys.waves r) AS t UNION ALL
        SELECT (SELECT count(*) || md5(string_agg(r::text, '' ORDER BY r::text)) FROM surveys.respondents r) UNION ALL
        SELECT (SELECT count(*) || md5(string_agg(r::text, '' ORDER BY r::text)) FROM surveys.responses r)) x";
    let row = app.db.conn.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await.expect("digest");
    row.expect("row").try_get("", "d").expect("text")
}

#[tokio::test]
async fn a_new_wave_goes_from_file_to_dashboard_and_back() {
    let app = spawn_app().await;
    let folder = tempfile::tempdir().expect("temp dir");
    copy_tree(&repo_data_dir(), folder.path());
    // The bucket holds what production holds today: the data folder without wave 24.
    let server = S3TestServer::start("blw-dataviz", &repo_data_dir()).await;
    wave_24_file(folder.path(), 7, |_, _| {});
    let manifest_path = manifest_with_wave_24(folder.path());
    let before_waves = waves(&app).await;
    let before = digest(&app).await;

    // pin: only wave 24's entry changes; the others already match.
    let pinned = sources::pin(&manifest_path, folder.path(), None).await.expect("pin");
    let changed: Vec<&str> =
        pinned.iter().filter(|r| matches!(r.outcome, Outcome::Pinned { .. })).map(|r| r.key.as_str()).collect();
    assert_eq!(changed, [WAVE_KEY]);
    assert!(pinned.iter().all(|r| !r.is_problem()), "{pinned:?}");
    let manifest = Manifest::from_file(&manifest_path).expect("pinned manifest");

    // verify before the push: the bucket lacks the file; push uploads it; verify then passes.
    let s3 = SourceLocation::S3(bucket(&server));
    let report = sources::verify(&manifest, &s3).await.expect("verify");
    let missing: Vec<&str> = report.iter().filter(|r| r.outcome == Outcome::Missing).map(|r| r.key.as_str()).collect();
    assert_eq!(missing, [WAVE_KEY]);
    let pushed =
        sources::push(&manifest, folder.path(), &bucket(&server), Some(WAVE_MIGRATION), false).await.expect("push");
    assert_eq!(pushed.len(), 1);
    assert_eq!(pushed[0].outcome, Outcome::Uploaded { replaced: None });
    let report = sources::verify(&manifest, &s3).await.expect("verify");
    assert!(report.iter().all(|r| r.outcome == Outcome::Matches), "{report:?}");

    // Migrate up from the bucket while the api serves: wave 24 appears without a restart.
    let settings = DataSourceSettings { manifest, location: s3, dev_accounts: false };
    migration::data_source::with_data_source(settings.clone(), WithWave24::up(&app.db.conn, None))
        .await
        .expect("wave 24 up");
    let expected_respondents: i64 = {
        let sql = "SELECT count(*) AS n FROM surveys.respondents WHERE wave = 24";
        let row = app.db.conn.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await.expect("count");
        row.expect("row").try_get("", "n").expect("n")
    };
    assert!(expected_respondents > 100, "{expected_respondents}");
    let after_up = waves_until(&app, |w| w.iter().any(|&(wave, _)| wave == 24)).await;
    assert_eq!(after_up.last(), Some(&(24, expected_respondents)), "{after_up:?}");
    let response = app
        .client
        .get(app.url("/api/surveys/questions/perf_judicial_ind/proportions?wave=24"))
        .send()
        .await
        .expect("proportions");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["cells"][0]["wave"], 24, "{body}");
    assert!(body["cells"][0]["n"].as_i64().expect("n") > 0, "{body}");

    // Down removes exactly wave 24: the tables and the api are as before.
    migration::data_source::with_data_source(settings, WithWave24::down(&app.db.conn, Some(1)))
        .await
        .expect("wave 24 down");
    assert_eq!(digest(&app).await, before);
    assert_eq!(waves_until(&app, |w| w.iter().all(|&(wave, _)| wave != 24)).await, before_waves);
}

/// Loads wave 24 as edited by `edit` (from the local folder) and returns the error.
async fn refused(edit: impl FnOnce(&mut csv::StringRecord, &mut Vec<csv::StringRecord>)) -> (String, TestApp) {
    let app = spawn_app().await;
    let folder = tempfile::tempdir().expect("temp dir");
    copy_tree(&repo_data_dir(), folder.path());
    wave_24_file(folder.path(), 50, edit);
    let manifest_path = manifest_with_wave_24(folder.path());
    sources::pin(&manifest_path, folder.path(), Some(WAVE_MIGRATION)).await.expect("pin");
    let settings = DataSourceSettings {
        manifest: Manifest::from_file(&manifest_path).expect("manifest"),
        location: SourceLocation::LocalDir(folder.path().to_path_buf()),
        dev_accounts: false,
    };
    let before = digest(&app).await;
    let error = migration::data_source::with_data_source(settings, WithWave24::up(&app.db.conn, None))
        .await
        .expect_err("refused")
        .to_string();
    assert_eq!(digest(&app).await, before, "nothing of a refused file is kept");
    (error, app)
}

#[tokio::test]
async fn bad_wave_files_are_refused_with_key_and_line() {
    let column = |header: &csv::StringRecord, name: &str| header.iter().position(|h| h == name).expect(name);
    let set = |row: &mut csv::StringRecord, at: usize, value: &str| {
        let mut fields: Vec<String> = row.iter().map(str::to_owned).collect();
        fields[at] = value.to_owned();
        *row = csv::StringRecord::from(fields);
    };

    // Line 4 (header, then rows 1-3) reuses a case id from the public file.
    let (error, _app) = refused(|header, rows| {
        let caseid = column(header, "caseid");
        set(&mut rows[2], caseid, &first_public_caseid());
    })
    .await;
    assert!(error.contains(WAVE_KEY) && error.contains("line 4") && error.contains("already loaded"), "{error}");

    let (error, _app) = refused(|header, rows| {
        let wave = column(header, "wave");
        for row in rows.iter_mut() {
            set(row, wave, "23");
        }
    })
    .await;
    assert!(error.contains(WAVE_KEY) && error.contains("line 2") && error.contains("wave 23"), "{error}");

    let (error, _app) = refused(|header, rows| {
        header.push_field("favourite_colour");
        for row in rows.iter_mut() {
            row.push_field("blue");
        }
    })
    .await;
    assert!(error.contains(WAVE_KEY) && error.contains("favourite_colour"), "{error}");

    let (error, _app) = refused(|header, rows| {
        let weight = column(header, "weight");
        set(&mut rows[4], weight, "0");
    })
    .await;
    assert!(error.contains(WAVE_KEY) && error.contains("line 6") && error.contains("weight"), "{error}");
}

/// A case id of the public waves file.
fn first_public_caseid() -> String {
    let mut text = String::new();
    let gz = std::fs::read(repo_data_dir().join(SURVEY_KEY)).expect("survey file");
    flate2::read::GzDecoder::new(gz.as_slice()).read_to_string(&mut text).expect("gunzip");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let record = reader.records().next().expect("a row").expect("row");
    record[0].to_owned()
}
