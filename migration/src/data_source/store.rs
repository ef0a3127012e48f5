use std::path::PathBuf;

use aws_sdk_s3::error::DisplayErrorContext;
use sha2::{Digest, Sha256};

use super::{DataSourceSettings, S3Location, SourceError, SourceLocation, SourceObject};

/// The source objects of one data migration, read from where the settings say.
pub struct SourceSet {
    migration: String,
    settings: DataSourceSettings,
    store: ObjectStore,
}

/// A bucket or a folder laid out like one.
pub(super) struct ObjectStore {
    /// Where it is, as errors and reports say it.
    described: String,
    backend: Backend,
}

enum Backend {
    LocalDir(PathBuf),
    S3 { client: aws_sdk_s3::Client, bucket: String },
}

/// The lower-case hex sha256 of `bytes`, as data-sources.json pins it.
pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Whether a digest is the pinned one (hex in either case).
pub(super) fn matches_pin(sha256: &str, pin: &str) -> bool {
    sha256.eq_ignore_ascii_case(pin)
}

impl SourceSet {
    /// Opens the sources of `migration` with [`DataSourceSettings::current`].
    ///
    /// # Errors
    /// The settings cannot be loaded.
    pub async fn open(migration: &str) -> Result<Self, SourceError> {
        let settings = DataSourceSettings::current()?;
        let store = ObjectStore::open(&settings.location).await;
        Ok(Self { migration: migration.to_owned(), settings, store })
    }

    /// Fetches `key`, which the manifest must list for this migration, and checks its sha256.
    ///
    /// # Errors
    /// Not listed, missing, unreadable, or a checksum mismatch.
    pub async fn fetch(&self, key: &str) -> Result<SourceObject, SourceError> {
        let spec = self.settings.manifest.source(&self.migration, key)?;
        let bytes = self.store.get(key).await?;
        if let Some(expected) = &spec.sha256 {
            let actual = sha256_hex(&bytes);
            if !matches_pin(&actual, expected) {
                return Err(SourceError::Checksum { key: key.to_owned(), expected: expected.clone(), actual });
            }
        }
        tracing::debug!(key, bytes = bytes.len(), "fetched data source");
        Ok(SourceObject { key: key.to_owned(), format: spec.format, bytes })
    }
}

impl ObjectStore {
    pub(super) async fn open(location: &SourceLocation) -> Self {
        let backend = match location {
            SourceLocation::LocalDir(dir) => Backend::LocalDir(dir.clone()),
            SourceLocation::S3(s3) => Backend::S3 { client: s3_client(s3).await, bucket: s3.bucket.clone() },
        };
        Self { described: location.to_string(), backend }
    }

    fn location(&self) -> String {
        self.described.clone()
    }

    /// The object, or `None` when there is none under `key`.
    pub(super) async fn get_if_present(&self, key: &str) -> Result<Option<Vec<u8>>, SourceError> {
        match self.get(key).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(SourceError::Missing { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Stores `bytes` under `key`.
    pub(super) async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), SourceError> {
        let failed = |message: String| SourceError::Fetch { key: key.to_owned(), location: self.location(), message };
        match &self.backend {
            Backend::LocalDir(dir) => {
                let path = dir.join(key);
                if let Some(parent) = path.parent() {
                    tokio::fs::create_dir_all(parent).await.map_err(|e| failed(e.to_string()))?;
                }
                tokio::fs::write(&path, bytes).await.map_err(|e| failed(e.to_string()))
            }
            Backend::S3 { client, bucket } => {
                client
                    .put_object()
                    .bucket(bucket)
                    .key(key)
                    .body(bytes.into())
                    .send()
                    .await
                    .map_err(|e| failed(DisplayErrorContext(&e).to_string()))?;
                Ok(())
            }
        }
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, SourceError> {
        match &self.backend {
            Backend::LocalDir(dir) => {
                let path = dir.join(key);
                let location = self.location();
                match tokio::fs::read(&path).await {
                    Ok(bytes) => Ok(bytes),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        Err(SourceError::Missing { key: key.to_owned(), location })
                    }
                    Err(e) => Err(SourceError::Fetch { key: key.to_owned(), location, message: e.to_string() }),
                }
            }
            Backend::S3 { client, bucket } => {
                let location = self.location();
                let output = client.get_object().bucket(bucket).key(key).send().await.map_err(|e| {
                    if e.as_service_error().is_some_and(|s| s.is_no_such_key()) {
                        SourceError::Missing { key: key.to_owned(), location: location.clone() }
                    } else {
                        SourceError::Fetch {
                            key: key.to_owned(),
                            location: location.clone(),
                            message: DisplayErrorContext(&e).to_string(),
                        }
                    }
                })?;
                let body = output.body.collect().await.map_err(|e| SourceError::Fetch {
                    key: key.to_owned(),
                    location,
                    message: e.to_string(),
                })?;
                Ok(body.into_bytes().to_vec())
            }
        }
    }
}

async fn s3_client(location: &S3Location) -> aws_sdk_s3::Client {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};

    // rustls with ring, the same TLS stack sqlx uses, so the build carries one crypto library.
    let http_client =
        aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https();
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(http_client);
    if let Some(region) = &location.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    if let Some(endpoint) = &location.endpoint_url {
        loader = loader.endpoint_url(endpoint);
    }
    if let Some(creds) = &location.static_credentials {
        loader = loader.credentials_provider(aws_sdk_s3::config::Credentials::new(
            creds.access_key_id.clone(),
            creds.secret_access_key.clone(),
            None,
            None,
            "blw-static",
        ));
    }
    let shared = loader.load().await;
    let config = aws_sdk_s3::config::Builder::from(&shared).force_path_style(location.force_path_style).build();
    aws_sdk_s3::Client::from_conf(config)
}
