use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::SourceError;

/// The manifest compiled into the migration crate, so a migration binary always carries the source
/// list (and pinned checksums) it was written for. `DATA_SOURCES_FILE` points at another one.
const EMBEDDED_MANIFEST: &str = include_str!("../../../data-sources.json");

/// `data-sources.json`: the bucket and, per data migration, the objects it reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub bucket: String,
    pub region: Option<String>,
    /// An S3-compatible endpoint (e.g. MinIO); `null` means AWS itself.
    pub endpoint: Option<String>,
    /// The in-repo copy of the bucket, relative to the repository root.
    pub local_dir: String,
    pub migrations: BTreeMap<String, Vec<SourceSpec>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    pub key: String,
    pub format: SourceFormat,
    /// Lower-case hex sha256 of the object's bytes; when present, any other content is refused.
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum SourceFormat {
    #[serde(rename = "json")]
    Json,
    #[serde(rename = "csv.gz")]
    CsvGz,
}

impl std::fmt::Display for SourceFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SourceFormat::Json => "json",
            SourceFormat::CsvGz => "csv.gz",
        })
    }
}

impl Manifest {
    /// The manifest named by `DATA_SOURCES_FILE`, else the one compiled in.
    ///
    /// # Errors
    /// The file cannot be read or is not a valid manifest.
    pub fn load() -> Result<Self, SourceError> {
        match std::env::var_os("DATA_SOURCES_FILE").filter(|path| !path.is_empty()) {
            Some(path) => Self::from_file(Path::new(&path)),
            None => Self::parse(EMBEDDED_MANIFEST, "data-sources.json (embedded)"),
        }
    }

    /// # Errors
    /// The file cannot be read or is not a valid manifest.
    pub fn from_file(path: &Path) -> Result<Self, SourceError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| SourceError::Manifest { path: path.display().to_string(), message: e.to_string() })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// # Errors
    /// `text` is not a valid manifest.
    pub fn parse(text: &str, path: &str) -> Result<Self, SourceError> {
        serde_json::from_str(text).map_err(|e| SourceError::Manifest { path: path.to_owned(), message: e.to_string() })
    }

    /// The declared source `key` of `migration`.
    ///
    /// # Errors
    /// The manifest does not list that key for that migration.
    pub fn source(&self, migration: &str, key: &str) -> Result<&SourceSpec, SourceError> {
        self.migrations
            .get(migration)
            .and_then(|sources| sources.iter().find(|s| s.key == key))
            .ok_or_else(|| SourceError::NotListed { migration: migration.to_owned(), key: key.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_manifest_parses_and_pins_every_source() {
        let manifest = Manifest::parse(EMBEDDED_MANIFEST, "embedded").expect("valid manifest");
        assert!(!manifest.migrations.is_empty());
        for spec in manifest.migrations.values().flatten() {
            let sha = spec.sha256.as_deref().expect("every committed source is pinned");
            assert_eq!(sha.len(), 64, "{}", spec.key);
        }
    }

    #[test]
    fn unknown_fields_and_formats_are_rejected() {
        let err = Manifest::parse(r#"{"bucket":"b","local_dir":"d","migrations":{},"extra":1}"#, "t");
        assert!(err.is_err());
        let err =
            Manifest::parse(r#"{"bucket":"b","local_dir":"d","migrations":{"m":[{"key":"k","format":"xml"}]}}"#, "t");
        assert!(err.is_err());
    }
}
