//! Test support shared by the workspace's tests: a fresh PostgreSQL database per test, a real
//! S3-compatible server on loopback (s3s-fs over a copy of the data folder), and paths into the repo.

mod database;
mod s3_server;

pub use database::TestDatabase;
pub use s3_server::S3TestServer;

use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The in-repo copy of the bucket (`data/s3`), the dev/test data.
pub fn repo_data_dir() -> PathBuf {
    repo_root().join("data/s3")
}

/// Copies the tree at `from` into `to` (created if missing).
///
/// # Panics
/// On any I/O error: this is test set-up.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create target folder");
    for entry in std::fs::read_dir(from).expect("read source folder") {
        let entry = entry.expect("folder entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}
