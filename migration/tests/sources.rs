//! `sources pin|push|verify` against a copy of the data folder and a real S3-compatible server on
//! loopback.

use migration::data_source::sources::{self, Outcome, SourceReport};
use migration::data_source::{Manifest, S3Location, SourceLocation};
use testkit::{S3TestServer, copy_tree, repo_data_dir, repo_root};

const ACCOUNTS_KEY: &str = "db/schemas/users/user-accounts.json";
const ACCOUNTS_MIGRATION: &str = "m20261125_000002_users_data";

fn bucket(server: &S3TestServer) -> S3Location {
    S3Location::compatible(&server.endpoint, &server.bucket, &server.access_key, &server.secret_key)
}

fn outcome_of<'r>(reports: &'r [SourceReport], key: &str) -> &'r Outcome {
    &reports.iter().find(|r| r.key == key).expect(key).outcome
}

#[tokio::test]
async fn push_refuses_to_replace_other_content_unless_forced_and_verify_says_what_differs() {
    let server = S3TestServer::start("blw-dataviz", &repo_data_dir()).await;
    let manifest = Manifest::from_file(&repo_root().join("data-sources.json")).expect("manifest");
    let s3 = SourceLocation::S3(bucket(&server));

    // Everything already there: nothing is uploaded.
    let pushed = sources::push(&manifest, &repo_data_dir(), &bucket(&server), None, false).await.expect("push");
    assert!(pushed.iter().all(|r| r.outcome == Outcome::Matches), "{pushed:?}");

    // Someone put other content in the bucket: verify names it, push refuses, --force replaces it.
    std::fs::write(server.bucket_dir.join(ACCOUNTS_KEY), b"[]").expect("tamper");
    let report = sources::verify(&manifest, &s3).await.expect("verify");
    assert!(matches!(outcome_of(&report, ACCOUNTS_KEY), Outcome::Differs { .. }), "{report:?}");
    assert_eq!(report.iter().filter(|r| r.is_problem()).count(), 1);
    let pushed = sources::push(&manifest, &repo_data_dir(), &bucket(&server), Some(ACCOUNTS_MIGRATION), false)
        .await
        .expect("push");
    assert!(matches!(&pushed[0].outcome, Outcome::Refused(why) if why.contains("--force")), "{pushed:?}");
    assert_eq!(std::fs::read(server.bucket_dir.join(ACCOUNTS_KEY)).expect("object"), b"[]", "not replaced");
    let pushed = sources::push(&manifest, &repo_data_dir(), &bucket(&server), Some(ACCOUNTS_MIGRATION), true)
        .await
        .expect("push --force");
    assert!(matches!(&pushed[0].outcome, Outcome::Uploaded { replaced: Some(_) }), "{pushed:?}");
    let report = sources::verify(&manifest, &s3).await.expect("verify");
    assert!(report.iter().all(|r| r.outcome == Outcome::Matches), "{report:?}");

    // A missing object is reported as missing, and a local file that is not its pin is not pushed.
    std::fs::remove_file(server.bucket_dir.join(ACCOUNTS_KEY)).expect("remove");
    let report = sources::verify(&manifest, &s3).await.expect("verify");
    assert_eq!(outcome_of(&report, ACCOUNTS_KEY), &Outcome::Missing);
    let folder = tempfile::tempdir().expect("temp dir");
    copy_tree(&repo_data_dir(), folder.path());
    std::fs::write(folder.path().join(ACCOUNTS_KEY), b"[]").expect("edit local file");
    let pushed =
        sources::push(&manifest, folder.path(), &bucket(&server), Some(ACCOUNTS_MIGRATION), true).await.expect("push");
    assert!(matches!(&pushed[0].outcome, Outcome::Refused(why) if why.contains("sources pin")), "{pushed:?}");
}

#[tokio::test]
async fn pin_rewrites_only_changed_pins_and_keeps_the_file_formatted() {
    let folder = tempfile::tempdir().expect("temp dir");
    copy_tree(&repo_data_dir(), folder.path());
    let manifest_path = folder.path().join("data-sources.json");
    let original = std::fs::read_to_string(repo_root().join("data-sources.json")).expect("manifest");
    std::fs::write(&manifest_path, &original).expect("copy manifest");

    let unchanged = sources::pin(&manifest_path, folder.path(), None).await.expect("pin");
    assert!(unchanged.iter().all(|r| r.outcome == Outcome::Matches), "{unchanged:?}");
    assert_eq!(std::fs::read_to_string(&manifest_path).expect("manifest"), original, "byte for byte");

    std::fs::write(folder.path().join(ACCOUNTS_KEY), b"[]\n").expect("edit");
    let pinned = sources::pin(&manifest_path, folder.path(), Some(ACCOUNTS_MIGRATION)).await.expect("pin");
    assert_eq!(pinned.len(), 1);
    let Outcome::Pinned { sha256, previous: Some(_) } = &pinned[0].outcome else { panic!("{pinned:?}") };
    let text = std::fs::read_to_string(&manifest_path).expect("manifest");
    let changed: Vec<(&str, &str)> = original.lines().zip(text.lines()).filter(|(a, b)| a != b).collect();
    assert_eq!(changed.len(), 1, "one line changes: {changed:?}");
    assert!(changed[0].1.contains(sha256.as_str()));

    let error = sources::pin(&manifest_path, folder.path(), Some("no_such_migration")).await.expect_err("unlisted");
    assert!(error.to_string().contains("no_such_migration"), "{error}");
}
