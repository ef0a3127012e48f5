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

enum ObjectStore {
    LocalDir(PathBuf),
    S3 { client: aws_sdk_s3::Client, bucket: String, endpoint: String },
}

impl SourceSet {
    /// Opens the sources of `migration` with [`DataSourceSettings::current`].
    ///
    /// # Errors
    /// The settings cannot be loaded.
    pub async fn open(migration: &str) -> Result<Self, SourceError> {
        let settings = DataSourceSettings::current()?;
        let store = match &settings.location {
            SourceLocation::LocalDir(dir) => ObjectStore::LocalDir(dir.clone()),
            SourceLocation::S3(location) => ObjectStore::S3 {
                client: s3_client(location).await,
                bucket: location.bucket.clone(),
                endpoint: location.endpoint_url.clone().unwrap_or_else(|| "AWS S3".to_owned()),
            },
        };
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
            let actual = hex::encode(Sha256::digest(&bytes));
            if !actual.eq_ignore_ascii_case(expected) {
                return Err(SourceError::Checksum { key: key.to_owned(), expected: expected.clone(), actual });
            }
        }
        tracing::debug!(key, bytes = bytes.len(), "fetched data source");
        Ok(SourceObject { key: key.to_owned(), format: spec.format, bytes })
    }
}

impl ObjectStore {
    async fn get(&self, key: &str) -> Result<Vec<u8>, SourceError> {
        match self {
            ObjectStore::LocalDir(dir) => {
                let path = dir.join(key);
                let location = format!("local folder {}", dir.display());
                match tokio::fs::read(&path).await {
                    Ok(bytes) => Ok(bytes),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        Err(SourceError::Missing { key: key.to_owned(), location })
                    }
                    Err(e) => Err(SourceError::Fetch { key: key.to_owned(), location, message: e.to_string() }),
                }
            }
            ObjectStore::S3 { client, bucket, endpoint } => {
                let location = format!("bucket '{bucket}' at {endpoint}");
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
