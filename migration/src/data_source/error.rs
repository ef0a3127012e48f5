use sea_orm_migration::DbErr;

/// Why a data migration could not get or read one of its source objects.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("data-sources manifest {path}: {message}")]
    Manifest { path: String, message: String },
    #[error("data-sources.json lists no source '{key}' for migration '{migration}'")]
    NotListed { migration: String, key: String },
    #[error("source object '{key}' not found in {location}")]
    Missing { key: String, location: String },
    #[error("reading source object '{key}' from {location}: {message}")]
    Fetch { key: String, location: String, message: String },
    #[error("source object '{key}' has sha256 {actual}, but data-sources.json pins {expected}")]
    Checksum { key: String, expected: String, actual: String },
    #[error("source object '{key}' is declared as {declared} but was read as {requested}")]
    Format { key: String, declared: String, requested: String },
    #[error("malformed JSON in '{key}' at line {line}, column {column}: {message}")]
    Json { key: String, line: usize, column: usize, message: String },
    #[error("malformed gzip in '{key}': {message}")]
    Gzip { key: String, message: String },
    #[error("malformed CSV in '{key}' at line {line}: {message}")]
    Csv { key: String, line: u64, message: String },
    #[error("inconsistent data in {keys}: {message}")]
    Inconsistent { keys: String, message: String },
    #[error("invalid data in '{key}' at line {line}: {message}")]
    Invalid { key: String, line: u64, message: String },
}

impl From<SourceError> for DbErr {
    fn from(error: SourceError) -> Self {
        DbErr::Migration(error.to_string())
    }
}
