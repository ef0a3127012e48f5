use std::future::Future;
use std::path::{Path, PathBuf};

use super::{Manifest, SourceError};

/// Where the source objects are read from, and the manifest that lists them.
#[derive(Debug, Clone)]
pub struct DataSourceSettings {
    pub manifest: Manifest,
    pub location: SourceLocation,
    /// Load the development accounts of `user-accounts.json` (`DEV_ACCOUNTS=true`). Off unless
    /// asked for, so a deployment never starts with accounts whose passwords are public.
    pub dev_accounts: bool,
}

#[derive(Debug, Clone)]
pub enum SourceLocation {
    /// A folder laid out like the bucket: `<dir>/<key>`.
    LocalDir(PathBuf),
    S3(S3Location),
}

impl std::fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceLocation::LocalDir(dir) => write!(f, "local folder {}", dir.display()),
            SourceLocation::S3(s3) => {
                write!(f, "bucket '{}' at {}", s3.bucket, s3.endpoint_url.as_deref().unwrap_or("AWS S3"))
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct S3Location {
    pub bucket: String,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    /// Path-style addressing, which S3-compatible servers on a plain host:port need.
    pub force_path_style: bool,
    /// `None` uses the AWS default credential chain (env, `AWS_PROFILE` incl. SSO, instance role).
    pub static_credentials: Option<StaticCredentials>,
}

#[derive(Clone)]
pub struct StaticCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

tokio::task_local! {
    static SCOPED_SETTINGS: DataSourceSettings;
}

/// Runs `future` (e.g. `Migrator::up`) with `settings` instead of the environment's. Tests use it so
/// that concurrent migrations in one process can read from different places.
pub async fn with_data_source<F: Future>(settings: DataSourceSettings, future: F) -> F::Output {
    SCOPED_SETTINGS.scope(settings, future).await
}

impl DataSourceSettings {
    /// The settings scoped by [`with_data_source`], else those from the environment.
    ///
    /// # Errors
    /// The manifest cannot be loaded or `DATA_SOURCE` has an unknown value.
    pub fn current() -> Result<Self, SourceError> {
        match SCOPED_SETTINGS.try_with(Clone::clone) {
            Ok(settings) => Ok(settings),
            Err(_) => Self::from_env(),
        }
    }

    /// Reads `DATA_SOURCE` (`local` or `s3`; default `s3` when `S3_ENDPOINT_URL` or `AWS_PROFILE` is
    /// set, else `local`), `DATA_DIR`, `S3_BUCKET`, `S3_ENDPOINT_URL`, `AWS_REGION`,
    /// `S3_FORCE_PATH_STYLE`, over the manifest's defaults.
    ///
    /// # Errors
    /// The manifest cannot be loaded or `DATA_SOURCE` has an unknown value.
    pub fn from_env() -> Result<Self, SourceError> {
        let manifest = Manifest::load()?;
        let s3 = S3Location::from_env(&manifest)?;
        let mode = env_var("DATA_SOURCE").unwrap_or_else(|| {
            if s3.endpoint_url.is_some() || env_var("AWS_PROFILE").is_some() { "s3" } else { "local" }.to_owned()
        });
        let dev_accounts = match env_var("DEV_ACCOUNTS").as_deref() {
            None | Some("false" | "0") => false,
            Some("true" | "1") => true,
            Some(other) => {
                return Err(SourceError::Manifest {
                    path: "DEV_ACCOUNTS".to_owned(),
                    message: format!("unknown value '{other}' (expected 'true' or 'false')"),
                });
            }
        };
        let location = match mode.as_str() {
            "local" => SourceLocation::LocalDir(local_dir(&manifest)),
            "s3" => SourceLocation::S3(s3),
            other => {
                return Err(SourceError::Manifest {
                    path: "DATA_SOURCE".to_owned(),
                    message: format!("unknown value '{other}' (expected 'local' or 's3')"),
                });
            }
        };
        Ok(Self { manifest, location, dev_accounts })
    }

    /// Checks what can be checked without fetching: a local folder must exist.
    ///
    /// # Errors
    /// The local folder is missing.
    pub fn check(&self) -> Result<(), SourceError> {
        match &self.location {
            SourceLocation::LocalDir(dir) if !dir.is_dir() => Err(SourceError::Manifest {
                path: "DATA_DIR".to_owned(),
                message: format!("data folder {} does not exist", dir.display()),
            }),
            _ => Ok(()),
        }
    }

    /// The in-repo bucket copy with the embedded manifest: the local default (no dev accounts).
    ///
    /// # Errors
    /// The manifest cannot be loaded.
    pub fn local(dir: impl Into<PathBuf>) -> Result<Self, SourceError> {
        Ok(Self { manifest: Manifest::load()?, location: SourceLocation::LocalDir(dir.into()), dev_accounts: false })
    }

    #[must_use]
    pub fn with_dev_accounts(mut self, load: bool) -> Self {
        self.dev_accounts = load;
        self
    }
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl S3Location {
    /// An S3-compatible server (MinIO, s3s) at `endpoint` with one access key: path-style
    /// addressing, region us-east-1.
    pub fn compatible(endpoint: &str, bucket: &str, access_key_id: &str, secret_access_key: &str) -> Self {
        S3Location {
            bucket: bucket.to_owned(),
            region: Some("us-east-1".to_owned()),
            endpoint_url: Some(endpoint.to_owned()),
            force_path_style: true,
            static_credentials: Some(StaticCredentials {
                access_key_id: access_key_id.to_owned(),
                secret_access_key: secret_access_key.to_owned(),
            }),
        }
    }

    /// The bucket from `S3_BUCKET`, `S3_ENDPOINT_URL`, `AWS_REGION` and `S3_FORCE_PATH_STYLE`, over
    /// the manifest's defaults; credentials from the AWS default chain.
    ///
    /// # Errors
    /// `S3_ENDPOINT_URL` is not an http(s) URL, or `S3_FORCE_PATH_STYLE` is not true or false.
    pub fn from_env(manifest: &Manifest) -> Result<Self, SourceError> {
        let invalid = |name: &str, message: String| SourceError::Manifest { path: name.to_owned(), message };
        let endpoint_url = env_var("S3_ENDPOINT_URL").or_else(|| manifest.endpoint.clone());
        if let Some(endpoint) = &endpoint_url
            && !url::Url::parse(endpoint).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
        {
            return Err(invalid("S3_ENDPOINT_URL", format!("'{endpoint}' is not an http(s) URL")));
        }
        let force_path_style = match env_var("S3_FORCE_PATH_STYLE").as_deref() {
            None => endpoint_url.is_some(),
            Some("true" | "1") => true,
            Some("false" | "0") => false,
            Some(other) => {
                return Err(invalid(
                    "S3_FORCE_PATH_STYLE",
                    format!("unknown value '{other}' (expected 'true' or 'false')"),
                ));
            }
        };
        Ok(S3Location {
            bucket: env_var("S3_BUCKET").unwrap_or_else(|| manifest.bucket.clone()),
            region: env_var("AWS_REGION").or_else(|| manifest.region.clone()),
            force_path_style,
            endpoint_url,
            static_credentials: None,
        })
    }
}

/// The local copy of the bucket: `DATA_DIR`, else the manifest's `local_dir`.
pub fn local_dir(manifest: &Manifest) -> PathBuf {
    env_var("DATA_DIR").map_or_else(|| default_local_dir(&manifest.local_dir), PathBuf::from)
}

/// `local_dir` from the manifest, found from the working directory or any parent of it (the CLI
/// and the api run from the repo root, tests from a crate folder), else beside this crate's source.
fn default_local_dir(local_dir: &str) -> PathBuf {
    let relative = Path::new(local_dir);
    if relative.is_absolute() {
        return relative.to_path_buf();
    }
    if let Ok(cwd) = std::env::current_dir()
        && let Some(found) = cwd.ancestors().map(|dir| dir.join(relative)).find(|p| p.is_dir())
    {
        return found;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(relative)
}
