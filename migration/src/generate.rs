//! `cargo run -p migration -- generate <name>`: scaffolds a paired schema + data migration,
//! registers both in `lib.rs` and gives the data migration an (empty) entry in
//! `data-sources.json` — what the original design's `db:generate:named` did.
//!
//! `generate add-wave-<N>` scaffolds a survey wave instead: a data migration that loads
//! `db/schemas/surveys/wave-<N>.csv.gz` with the shared [`crate::survey_file`] code, complete and
//! ready to run once the file is in the data folder and pinned (`sources pin`).

use std::path::{Path, PathBuf};

const MODULES_MARKER: &str = "// @generate:modules";
const MIGRATIONS_MARKER: &str = "// @generate:migrations";

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("migration name '{0}' must be lower-case letters, digits and underscores, starting with a letter")]
    InvalidName(String),
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("{0} already exists")]
    Exists(String),
}

/// The files a scaffold wrote or changed.
#[derive(Debug)]
pub struct Scaffold {
    pub module: String,
    pub written: Vec<PathBuf>,
}

fn file_error(path: &Path, e: impl std::fmt::Display) -> GenerateError {
    GenerateError::File { path: path.display().to_string(), message: e.to_string() }
}

fn read(path: &Path) -> Result<String, GenerateError> {
    std::fs::read_to_string(path).map_err(|e| file_error(path, e))
}

fn write(path: &Path, text: &str) -> Result<(), GenerateError> {
    std::fs::write(path, text).map_err(|e| file_error(path, e))
}

/// The next module name: `m<date>_<sequence>_<name>`, the sequence one past the largest in `lib.rs`.
fn module_name(lib_rs: &str, date: &str, name: &str) -> String {
    let next = lib_rs
        .lines()
        .filter_map(|line| line.trim().strip_prefix("mod m"))
        .filter_map(|rest| rest.split('_').nth(1))
        .filter_map(|seq| seq.parse::<u32>().ok())
        .max()
        .unwrap_or(0)
        + 1;
    format!("m{date}_{next:06}_{name}")
}

fn insert_before(text: &str, marker: &str, line: &str, path: &Path) -> Result<String, GenerateError> {
    let at = text.find(marker).ok_or_else(|| file_error(path, format!("marker '{marker}' not found")))?;
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let indent = &text[line_start..at];
    Ok(format!("{}{line}\n{indent}{}", &text[..at], &text[at..]))
}

/// Scaffolds `name` in the migration crate at `crate_dir`, whose manifest is `manifest_path`.
///
/// # Errors
/// An invalid name, an existing module, or a file that cannot be read or written.
pub fn scaffold(crate_dir: &Path, manifest_path: &Path, name: &str, date: &str) -> Result<Scaffold, GenerateError> {
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !valid {
        return Err(GenerateError::InvalidName(name.to_owned()));
    }
    let name = &name.replace('-', "_");
    let wave = name.strip_prefix("add_wave_").and_then(|n| n.parse::<u32>().ok()).filter(|&n| n > 0);
    let lib_path = crate_dir.join("src/lib.rs");
    let lib_rs = read(&lib_path)?;
    let module = module_name(&lib_rs, date, name);
    let dir = crate_dir.join("src").join(&module);
    if dir.exists() {
        return Err(GenerateError::Exists(dir.display().to_string()));
    }

    let mut manifest: serde_json::Value =
        serde_json::from_str(&read(manifest_path)?).map_err(|e| file_error(manifest_path, e))?;
    let data_name = format!("{module}_data");
    let sources = match wave {
        Some(n) => serde_json::json!([{ "key": wave_key(n), "format": "csv.gz" }]),
        None => serde_json::Value::Array(Vec::new()),
    };
    manifest
        .get_mut("migrations")
        .and_then(serde_json::Value::as_object_mut)
        .ok_or_else(|| file_error(manifest_path, "no \"migrations\" object"))?
        .insert(data_name, sources);

    let (data_item, templates) = match wave {
        Some(_) => ("DATA", [WAVE_MOD_TEMPLATE, WAVE_SCHEMA_TEMPLATE, WAVE_DATA_TEMPLATE]),
        None => ("Data", [MOD_TEMPLATE, SCHEMA_TEMPLATE, DATA_TEMPLATE]),
    };
    let lib_rs = insert_before(&lib_rs, MODULES_MARKER, &format!("mod {module};"), &lib_path)?;
    let lib_rs = insert_before(&lib_rs, MIGRATIONS_MARKER, &format!("Box::new({module}::SCHEMA),"), &lib_path)?;
    let lib_rs = insert_before(&lib_rs, MIGRATIONS_MARKER, &format!("Box::new({module}::{data_item}),"), &lib_path)?;

    std::fs::create_dir_all(&dir).map_err(|e| file_error(&dir, e))?;
    let key = wave.map(wave_key).unwrap_or_default();
    let wave = wave.map(|n| n.to_string()).unwrap_or_default();
    let mut written = Vec::new();
    for (file, template) in ["mod.rs", "schema.rs", "data.rs"].into_iter().zip(templates) {
        let path = dir.join(file);
        let text = template.replace("{module}", &module).replace("{name}", name).replace("{key}", &key);
        write(&path, &text.replace("{wave}", &wave))?;
        written.push(path);
    }
    write(&lib_path, &lib_rs)?;
    let pretty = serde_json::to_string_pretty(&manifest).map_err(|e| file_error(manifest_path, e))?;
    write(manifest_path, &format!("{pretty}\n"))?;
    written.extend([lib_path, manifest_path.to_path_buf()]);
    Ok(Scaffold { module, written })
}

/// Where a new wave's file goes in the bucket.
fn wave_key(wave: u32) -> String {
    format!("db/schemas/surveys/wave-{wave}.csv.gz")
}

const WAVE_MOD_TEMPLATE: &str = r#"//! Survey wave {wave}: its respondents and their answers, loaded from `{key}`.

mod data;
mod schema;

pub use data::DATA;
pub use schema::SCHEMA;
"#;

const WAVE_SCHEMA_TEMPLATE: &str = r#"use crate::sql_migration::SqlMigration;

// A new wave adds rows to the existing `surveys` tables: nothing to change in the schema.
const UP: &str = "-- no schema change";
const DOWN: &str = "-- no schema change";

pub const SCHEMA: SqlMigration = SqlMigration { name: "{module}_schema", up: UP, down: DOWN };
"#;

const WAVE_DATA_TEMPLATE: &str = r#"//! Wave {wave}'s file, loaded like every survey file (coding rules and checks in crate::survey_file).

use crate::survey_file::SurveyFile;

pub const DATA: SurveyFile = SurveyFile { name: "{module}_data", key: "{key}" };
"#;

const MOD_TEMPLATE: &str = r#"//! {name}: describe the schema and the data this pair of migrations brings.

mod data;
mod schema;

pub use data::Data;
pub use schema::SCHEMA;
"#;

const SCHEMA_TEMPLATE: &str = r#"use crate::sql_migration::SqlMigration;

// Write the DDL here (CREATE SCHEMA/TABLE …) and its exact reverse in DOWN; until then, applying
// this migration fails with a message saying so.
const UP: &str = "";
const DOWN: &str = "";

pub const SCHEMA: SqlMigration = SqlMigration { name: "{module}_schema", up: UP, down: DOWN };
"#;

const DATA_TEMPLATE: &str = r#"//! Loads … from the sources listed for this migration in data-sources.json.

use sea_orm_migration::prelude::*;

use crate::data_change::{Direction, notify_data_changed};
use crate::data_source::SourceSet;

pub struct Data;

const NAME: &str = "{module}_data";

impl MigrationName for Data {
    fn name(&self) -> &str {
        NAME
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Data {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let _sources = SourceSet::open(NAME).await?;
        // Fetch each key (`_sources.fetch("db/schemas/…").await?`), transform it into rows and
        // insert them in bulk (see crate::bulk_insert).
        let _ = manager;
        Err(DbErr::Migration(format!("{NAME}: the transformer is not written yet")))
    }

    /// Must delete exactly the rows `up` inserted.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        Err::<(), _>(DbErr::Migration(format!("{NAME}: the rollback is not written yet")))?;
        notify_data_changed(conn, NAME, Direction::Down).await
    }
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    /// A copy of lib.rs and the manifest to scaffold into; `tag` keeps parallel tests apart.
    fn sandbox(tag: &str) -> (PathBuf, PathBuf) {
        let root = std::env::temp_dir().join(format!("blw-generate-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("migration/src")).expect("temp dir");
        let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        std::fs::copy(crate_dir.join("src/lib.rs"), root.join("migration/src/lib.rs")).expect("copy lib.rs");
        let manifest = root.join("data-sources.json");
        std::fs::copy(crate_dir.join("../data-sources.json"), &manifest).expect("copy manifest");
        (root.join("migration"), manifest)
    }

    #[test]
    fn scaffold_registers_a_paired_migration_after_the_last_one() {
        let (crate_dir, manifest) = sandbox("pair");
        let before = read(&crate_dir.join("src/lib.rs")).expect("lib.rs");
        let last = module_name(&before, "20300101", "x");

        let scaffold = scaffold(&crate_dir, &manifest, "polls", "20300101").expect("scaffold");

        assert_eq!(scaffold.module, last.replace("_x", "_polls"));
        let lib_rs = read(&crate_dir.join("src/lib.rs")).expect("lib.rs");
        let schema_line = format!("Box::new({}::SCHEMA),", scaffold.module);
        let data_line = format!("Box::new({}::Data),", scaffold.module);
        let schema_at = lib_rs.find(&schema_line).expect("schema registered");
        assert!(lib_rs.find(&data_line).expect("data registered") > schema_at);
        assert!(lib_rs.contains(&format!("mod {};", scaffold.module)));
        for file in ["mod.rs", "schema.rs", "data.rs"] {
            assert!(crate_dir.join("src").join(&scaffold.module).join(file).is_file(), "{file}");
        }
        let manifest_text = read(&manifest).expect("manifest");
        let parsed = crate::data_source::Manifest::parse(&manifest_text, "t").expect("still a valid manifest");
        assert!(parsed.migrations.contains_key(&format!("{}_data", scaffold.module)));
        assert!(manifest_text.find("\"bucket\"") < manifest_text.find("\"migrations\""), "key order kept");

        let again = super::scaffold(&crate_dir, &manifest, "Bad-Name", "20300101");
        assert!(matches!(again, Err(GenerateError::InvalidName(_))));
        std::fs::remove_dir_all(crate_dir.parent().expect("root")).ok();
    }

    #[test]
    fn add_wave_scaffolds_a_survey_file_migration_listed_for_pinning() {
        let (crate_dir, manifest) = sandbox("wave");
        let scaffold = scaffold(&crate_dir, &manifest, "add-wave-24", "20300102").expect("scaffold");

        assert!(scaffold.module.ends_with("_add_wave_24"), "{}", scaffold.module);
        let lib_rs = read(&crate_dir.join("src/lib.rs")).expect("lib.rs");
        assert!(lib_rs.contains(&format!("Box::new({}::DATA),", scaffold.module)));
        let data_rs = read(&crate_dir.join("src").join(&scaffold.module).join("data.rs")).expect("data.rs");
        assert!(data_rs.contains("SurveyFile {"), "{data_rs}");
        assert!(data_rs.contains("\"db/schemas/surveys/wave-24.csv.gz\""), "{data_rs}");
        let parsed = crate::data_source::Manifest::parse(&read(&manifest).expect("manifest"), "t").expect("valid");
        let sources = &parsed.migrations[&format!("{}_data", scaffold.module)];
        assert_eq!(sources.len(), 1);
        assert_eq!(sources[0].key, "db/schemas/surveys/wave-24.csv.gz");
        assert!(sources[0].sha256.is_none(), "pinned later, by `sources pin`");
        std::fs::remove_dir_all(crate_dir.parent().expect("root")).ok();
    }
}
