//! Where data migrations get their source files: the S3 bucket named in `data-sources.json`, or the
//! in-repo copy of that bucket (`data/s3/`) when no S3 is configured. Every object is checked against
//! the sha256 pinned in the manifest before a transformer sees it.

mod error;
mod manifest;
mod object;
mod settings;
pub mod sources;
mod store;

pub use error::SourceError;
pub use manifest::{Manifest, SourceFormat, SourceSpec};
pub use object::SourceObject;
pub use settings::{DataSourceSettings, S3Location, SourceLocation, StaticCredentials, local_dir, with_data_source};
pub use store::SourceSet;
