use std::path::Path;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnectionBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;

/// A real S3-compatible server (s3s-fs) on a loopback port, serving a copy of a folder as one
/// bucket, with one access key. Stops when dropped.
pub struct S3TestServer {
    pub endpoint: String,
    pub bucket: String,
    pub access_key: String,
    pub secret_key: String,
    /// The bucket's folder: tests may change objects in it.
    pub bucket_dir: std::path::PathBuf,
    _root: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl S3TestServer {
    /// Serves a copy of `source_dir` as bucket `bucket`.
    ///
    /// # Panics
    /// On any set-up failure.
    pub async fn start(bucket: &str, source_dir: &Path) -> Self {
        let root = tempfile::tempdir().expect("temp dir");
        let bucket_dir = root.path().join(bucket);
        crate::copy_tree(source_dir, &bucket_dir);
        let access_key = "blw-test-access".to_owned();
        let secret_key = format!("blw-test-secret-{}", uuid::Uuid::new_v4().simple());

        let fs = s3s_fs::FileSystem::new(root.path()).expect("s3s-fs root");
        let mut builder = S3ServiceBuilder::new(fs);
        builder.set_auth(SimpleAuth::from_single(access_key.clone(), secret_key.clone()));
        let service = builder.build();

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let endpoint = format!("http://{}", listener.local_addr().expect("local addr"));
        let task = tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else { continue };
                let service = service.clone();
                tokio::spawn(async move {
                    let _ = ConnectionBuilder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(socket), service)
                        .await;
                });
            }
        });
        Self { endpoint, bucket: bucket.to_owned(), access_key, secret_key, bucket_dir, _root: root, task }
    }
}

impl Drop for S3TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
