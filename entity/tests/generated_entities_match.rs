//! The committed entities are exactly what `sea-orm-cli generate entity` makes of a freshly
//! migrated database (needs `sea-orm-cli` on PATH; `scripts/test.sh` installs it).

use std::path::Path;
use std::process::Command;

use migration::{Migrator, MigratorTrait};
use testkit::{TestDatabase, repo_root};

fn files_under(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.expect("entry").path();
            let name = path.file_name().expect("name").to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).expect("read"))
        })
        .collect();
    files.sort();
    files
}

#[tokio::test]
async fn regenerating_entities_from_a_migrated_database_gives_no_diff() {
    let db = TestDatabase::create().await;
    let data = migration::data_source::DataSourceSettings::local(testkit::repo_data_dir()).expect("manifest");
    migration::data_source::with_data_source(data, Migrator::up(&db.conn, None)).await.expect("migrate up");
    let out = tempfile::tempdir().expect("temp dir");

    let status = Command::new("bash")
        .arg(repo_root().join("scripts/generate-entities.sh"))
        .arg(&db.url)
        .arg(out.path())
        .status()
        .expect("run scripts/generate-entities.sh (is sea-orm-cli installed?)");

    assert!(status.success(), "entity generation failed");
    for schema in ["questions", "users", "surveys", "polls"] {
        let committed = files_under(&repo_root().join("entity/src").join(schema));
        let generated = files_under(&out.path().join(schema));
        assert_eq!(committed, generated, "entity/src/{schema} differs from a fresh generation");
    }
}
