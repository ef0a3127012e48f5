//! `migration sources pin|push|verify`: the data team's steps around `data-sources.json` — compute
//! the pins from the local folder, upload the folder's files to the bucket, and check that the
//! bucket (or the folder) still holds what the pins say.

use std::path::{Path, PathBuf};

use super::store::{ObjectStore, matches_pin, sha256_hex};
use super::{Manifest, S3Location, SourceError, SourceLocation};

/// What one command found or did for one listed object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceReport {
    pub migration: String,
    pub key: String,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `pin`: the pin was written (the previous one, if any).
    Pinned { sha256: String, previous: Option<String> },
    /// `pin`: the pin already matched; `verify`: the object matches its pin.
    Matches,
    /// `push`: uploaded; it replaced an object with this other content, when `--force` was given.
    Uploaded { replaced: Option<String> },
    /// The object is not there.
    Missing,
    /// The object's content is not what its pin says.
    Differs { actual: String },
    /// The manifest has no pin for it yet (`sources pin` writes one).
    Unpinned,
    /// `push`: not uploaded, and why.
    Refused(String),
}

impl SourceReport {
    /// Whether this line means something is off (the command then exits non-zero).
    pub fn is_problem(&self) -> bool {
        matches!(self.outcome, Outcome::Missing | Outcome::Differs { .. } | Outcome::Unpinned | Outcome::Refused(_))
    }
}

impl std::fmt::Display for SourceReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (word, detail) = match &self.outcome {
            Outcome::Pinned { sha256, previous: Some(previous) } => ("pinned", format!("{sha256} (was {previous})")),
            Outcome::Pinned { sha256, previous: None } => ("pinned", sha256.clone()),
            Outcome::Matches => ("ok", "matches its pin".to_owned()),
            Outcome::Uploaded { replaced: None } => ("uploaded", String::new()),
            Outcome::Uploaded { replaced: Some(sha) } => ("uploaded", format!("replaced an object with sha256 {sha}")),
            Outcome::Missing => ("missing", String::new()),
            Outcome::Differs { actual } => ("differs", format!("has sha256 {actual}")),
            Outcome::Unpinned => ("unpinned", "run `sources pin` first".to_owned()),
            Outcome::Refused(why) => ("refused", why.clone()),
        };
        write!(f, "{word:<9} {} ({})", self.key, self.migration)?;
        if !detail.is_empty() {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

/// One listed source: its migration, key and pin.
type Listed<'m> = (&'m str, &'m str, Option<&'m str>);

/// The listed sources of `only`, or of every migration.
fn listed<'m>(manifest: &'m Manifest, only: Option<&str>) -> Result<Vec<Listed<'m>>, SourceError> {
    if let Some(name) = only
        && !manifest.migrations.contains_key(name)
    {
        let known: Vec<&str> = manifest.migrations.keys().map(String::as_str).collect();
        return Err(SourceError::Manifest {
            path: "data-sources.json".to_owned(),
            message: format!("no migration '{name}' (listed: {})", known.join(", ")),
        });
    }
    Ok(manifest
        .migrations
        .iter()
        .filter(|(name, _)| only.is_none_or(|o| o == name.as_str()))
        .flat_map(|(name, specs)| specs.iter().map(move |s| (name.as_str(), s.key.as_str(), s.sha256.as_deref())))
        .collect())
}

/// Writes into `manifest_path` the sha256 of each listed source (of `only`, or all) as found in
/// `local_dir`. Only changed pins are rewritten; the file keeps its key order and formatting.
///
/// # Errors
/// The manifest cannot be read, parsed or written, or `only` is not listed.
pub async fn pin(manifest_path: &Path, local_dir: &Path, only: Option<&str>) -> Result<Vec<SourceReport>, SourceError> {
    let manifest_error = |message: String| SourceError::Manifest { path: manifest_path.display().to_string(), message };
    let text = std::fs::read_to_string(manifest_path).map_err(|e| manifest_error(e.to_string()))?;
    let manifest = Manifest::parse(&text, &manifest_path.display().to_string())?;
    let mut document: serde_json::Value = serde_json::from_str(&text).map_err(|e| manifest_error(e.to_string()))?;
    let folder = ObjectStore::open(&SourceLocation::LocalDir(local_dir.to_path_buf())).await;
    let mut reports = Vec::new();
    for (migration, key, pinned) in listed(&manifest, only)? {
        let outcome = match folder.get_if_present(key).await? {
            None => Outcome::Missing,
            Some(bytes) => {
                let sha256 = sha256_hex(&bytes);
                if pinned.is_some_and(|pin| matches_pin(&sha256, pin)) {
                    Outcome::Matches
                } else {
                    let entry = document["migrations"][migration]
                        .as_array_mut()
                        .and_then(|specs| specs.iter_mut().find(|s| s["key"] == key))
                        .ok_or_else(|| manifest_error(format!("no entry for {key}")))?;
                    entry["sha256"] = sha256.clone().into();
                    Outcome::Pinned { sha256, previous: pinned.map(str::to_owned) }
                }
            }
        };
        reports.push(SourceReport { migration: migration.to_owned(), key: key.to_owned(), outcome });
    }
    if reports.iter().any(|r| matches!(r.outcome, Outcome::Pinned { .. })) {
        let pretty = serde_json::to_string_pretty(&document).map_err(|e| manifest_error(e.to_string()))?;
        std::fs::write(manifest_path, format!("{pretty}\n")).map_err(|e| manifest_error(e.to_string()))?;
    }
    Ok(reports)
}

/// Uploads each listed source (of `only`, or all) from `local_dir` to the bucket. A file that does
/// not match its pin is not uploaded; an object already in the bucket with other content than the
/// pin is replaced only when `force`.
///
/// # Errors
/// `only` is not listed, a local file cannot be read, or the bucket cannot be reached.
pub async fn push(
    manifest: &Manifest,
    local_dir: &Path,
    bucket: &S3Location,
    only: Option<&str>,
    force: bool,
) -> Result<Vec<SourceReport>, SourceError> {
    let folder = ObjectStore::open(&SourceLocation::LocalDir(local_dir.to_path_buf())).await;
    let store = ObjectStore::open(&SourceLocation::S3(bucket.clone())).await;
    let mut reports = Vec::new();
    for (migration, key, pinned) in listed(manifest, only)? {
        let outcome = match (folder.get_if_present(key).await?, pinned) {
            (None, _) => Outcome::Refused(format!("not in the local folder {}", local_dir.display())),
            (Some(_), None) => Outcome::Unpinned,
            (Some(bytes), Some(pin)) => {
                let local = sha256_hex(&bytes);
                if !matches_pin(&local, pin) {
                    Outcome::Refused(format!("the local file has sha256 {local}, not its pin: run `sources pin` first"))
                } else {
                    let remote = store.get_if_present(key).await?.map(|object| sha256_hex(&object));
                    match remote {
                        Some(remote) if matches_pin(&remote, pin) => Outcome::Matches,
                        Some(remote) if !force => Outcome::Refused(format!(
                            "the bucket's object has sha256 {remote}, not the pin; --force replaces it"
                        )),
                        replaced => {
                            store.put(key, bytes).await?;
                            Outcome::Uploaded { replaced }
                        }
                    }
                }
            }
        };
        reports.push(SourceReport { migration: migration.to_owned(), key: key.to_owned(), outcome });
    }
    Ok(reports)
}

/// Reads every listed object from `location` and compares it with its pin.
///
/// # Errors
/// The bucket or folder cannot be read (other than an object being missing).
pub async fn verify(manifest: &Manifest, location: &SourceLocation) -> Result<Vec<SourceReport>, SourceError> {
    let store = ObjectStore::open(location).await;
    let mut reports = Vec::new();
    for (migration, key, pinned) in listed(manifest, None)? {
        let outcome = match (store.get_if_present(key).await?, pinned) {
            (None, _) => Outcome::Missing,
            (Some(_), None) => Outcome::Unpinned,
            (Some(bytes), Some(pin)) => {
                let actual = sha256_hex(&bytes);
                if matches_pin(&actual, pin) { Outcome::Matches } else { Outcome::Differs { actual } }
            }
        };
        reports.push(SourceReport { migration: migration.to_owned(), key: key.to_owned(), outcome });
    }
    Ok(reports)
}

/// The manifest file `sources pin` edits: `DATA_SOURCES_FILE`, else the repository's.
pub fn manifest_path() -> PathBuf {
    std::env::var_os("DATA_SOURCES_FILE")
        .filter(|path| !path.is_empty())
        .map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../data-sources.json"), PathBuf::from)
}
