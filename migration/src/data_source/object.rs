use std::io::Read;

use serde::de::DeserializeOwned;

use super::{SourceError, SourceFormat};

/// One fetched, checksum-verified source object.
#[derive(Debug)]
pub struct SourceObject {
    pub key: String,
    pub format: SourceFormat,
    pub bytes: Vec<u8>,
}

impl SourceObject {
    fn expect_format(&self, requested: SourceFormat) -> Result<(), SourceError> {
        if self.format == requested {
            Ok(())
        } else {
            Err(SourceError::Format {
                key: self.key.clone(),
                declared: self.format.to_string(),
                requested: requested.to_string(),
            })
        }
    }

    /// Parses a `json` object into `T`.
    ///
    /// # Errors
    /// Not declared as json, or not valid JSON of that shape (the error names line and column).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, SourceError> {
        self.expect_format(SourceFormat::Json)?;
        serde_json::from_slice(&self.bytes).map_err(|e| SourceError::Json {
            key: self.key.clone(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })
    }

    /// Decompresses a `csv.gz` object and returns a CSV reader over it (headers on the first line).
    ///
    /// # Errors
    /// Not declared as csv.gz, or not valid gzip.
    pub fn csv(&self) -> Result<csv::Reader<std::io::Cursor<Vec<u8>>>, SourceError> {
        self.expect_format(SourceFormat::CsvGz)?;
        let mut text = Vec::with_capacity(self.bytes.len() * 8);
        flate2::read::MultiGzDecoder::new(self.bytes.as_slice())
            .read_to_end(&mut text)
            .map_err(|e| SourceError::Gzip { key: self.key.clone(), message: e.to_string() })?;
        Ok(csv::ReaderBuilder::new().has_headers(true).from_reader(std::io::Cursor::new(text)))
    }

    /// A CSV error as a [`SourceError`] naming this object and the line.
    pub fn csv_error(&self, error: &csv::Error) -> SourceError {
        SourceError::Csv {
            key: self.key.clone(),
            line: error.position().map_or(0, csv::Position::line),
            message: error.to_string(),
        }
    }

    /// Invalid content at `line` of this object.
    pub fn invalid(&self, line: u64, message: impl Into<String>) -> SourceError {
        SourceError::Invalid { key: self.key.clone(), line, message: message.into() }
    }
}
