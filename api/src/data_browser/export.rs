//! A whole view as one CSV file: every row matching its filters, in its order, whatever page it
//! names. The rows are counted first — a view of more than [`MAX_CSV_ROWS`] is refused (400)
//! before anything is sent — then read in batches of [`BATCH_ROWS`] through the same reader as a
//! page (`query::rows`) and yielded as each batch's CSV bytes, so the file is never whole in memory
//! and no database connection is held between batches. The file holds no more rows than were
//! counted; there is no snapshot across batches, so on a table written to while the file
//! downloads a row may move past a batch's edge (missed or repeated). Cells as the page shows
//! them, made safe for spreadsheets: text that could start a formula gets a leading `'`, JSON and
//! arrays are JSON text, null is an empty cell; secrets are never among the columns.

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};
use sea_orm::DatabaseConnection;
use serde_json::Value;

use crate::data_browser::registry::{ReadRows, Table};
use crate::data_browser::view::View;
use crate::error::AppError;
use crate::text_rules::inert;

/// The most rows one CSV download holds: a larger view is refused with a 400 asking for a filter,
/// rather than cut short. A constant, not a setting: the console reads it from each page
/// (`csv_max_rows`); [`csv_file`] takes it as a value.
pub(crate) const MAX_CSV_ROWS: u64 = 100_000;
/// Rows read per query while a CSV is written.
pub(crate) const BATCH_ROWS: u64 = 1_000;

/// A view's CSV, counted and ready to stream.
pub(crate) struct CsvFile {
    /// `{schema}-{table}.csv`.
    pub file_name: String,
    /// The header line, then each batch's lines. A failure part way (the database gone) ends the
    /// stream with the error: the download fails rather than looking complete.
    pub body: BoxStream<'static, Result<Bytes, AppError>>,
}

/// Counts `view`'s rows and, if there are no more than `max_rows`, gives its CSV as a stream.
///
/// # Errors
/// More rows than `max_rows` (400 naming `filter`, with the count and the maximum), database
/// failure while counting. Failures while reading the rows come through the stream.
pub(crate) async fn csv_file(
    db: &DatabaseConnection,
    table: &Table,
    view: View,
    max_rows: u64,
) -> Result<CsvFile, AppError> {
    let rows = (table.count)(db, &view).await?;
    within_limit(rows, max_rows)?;
    let header = to_csv([view.columns.clone()])?;
    let reader = Reader { db: db.clone(), read: table.read_rows, view, batches: batches(rows, BATCH_ROWS).into_iter() };
    let body = stream::once(std::future::ready(Ok(header))).chain(stream::try_unfold(reader, next_batch)).boxed();
    Ok(CsvFile { file_name: format!("{}-{}.csv", table.schema, table.name), body })
}

/// The view's `rows` against the maximum: a clear refusal naming both, and what to do.
fn within_limit(rows: u64, max_rows: u64) -> Result<(), AppError> {
    if rows <= max_rows {
        return Ok(());
    }
    Err(AppError::invalid_parameter(
        "filter",
        format!(
            "this view has {} rows; a CSV download holds at most {}: add a filter to narrow it",
            grouped(rows),
            grouped(max_rows)
        ),
    ))
}

/// `n` with its thousands separated by commas (270808 → "270,808"), as the console shows counts.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The `(offset, limit)` of each batch that reads `rows` rows, `size` at a time.
fn batches(rows: u64, size: u64) -> Vec<(u64, u64)> {
    (0..rows.div_ceil(size)).map(|i| (i * size, size.min(rows - i * size))).collect()
}

/// What the stream reads with, and the batches still to read.
struct Reader {
    db: DatabaseConnection,
    read: ReadRows,
    view: View,
    batches: std::vec::IntoIter<(u64, u64)>,
}

async fn next_batch(mut reader: Reader) -> Result<Option<(Bytes, Reader)>, AppError> {
    let Some((offset, limit)) = reader.batches.next() else { return Ok(None) };
    let rows = (reader.read)(&reader.db, &reader.view, offset, limit).await?;
    if rows.is_empty() {
        // Rows were deleted since the count: nothing further.
        return Ok(None);
    }
    if (rows.len() as u64) < limit {
        reader.batches = Vec::new().into_iter();
    }
    let columns = &reader.view.columns;
    let lines = to_csv(rows.iter().map(|row| columns.iter().map(|c| cell(row.get(c))).collect::<Vec<_>>()))?;
    Ok(Some((lines, reader)))
}

/// One CSV cell of a JSON value.
fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => inert(text.clone()),
        Some(other) => other.to_string(),
    }
}

/// The CSV lines of `records`.
fn to_csv(records: impl IntoIterator<Item = Vec<String>>) -> Result<Bytes, AppError> {
    let internal = |e: csv::Error| AppError::internal_caused("writing CSV", e);
    let mut writer = csv::Writer::from_writer(Vec::new());
    for record in records {
        writer.write_record(&record).map_err(internal)?;
    }
    let lines = writer.into_inner().map_err(|e| AppError::internal_caused("writing CSV", e.into_error()))?;
    Ok(Bytes::from(lines))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_view_of_the_maximum_is_allowed_one_more_is_refused_naming_both() {
        assert!(within_limit(0, MAX_CSV_ROWS).is_ok());
        assert!(within_limit(MAX_CSV_ROWS, MAX_CSV_ROWS).is_ok());
        let Err(AppError::InvalidParameter { parameter, message }) = within_limit(MAX_CSV_ROWS + 1, MAX_CSV_ROWS)
        else {
            panic!("one row more than the maximum is refused");
        };
        assert_eq!(parameter, "filter");
        assert_eq!(
            message,
            "this view has 100,001 rows; a CSV download holds at most 100,000: add a filter to narrow it"
        );
        assert!(within_limit(3, 2).is_err());
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        for (n, text) in [(0, "0"), (999, "999"), (1_000, "1,000"), (270_808, "270,808"), (1_234_567, "1,234,567")] {
            assert_eq!(grouped(n), text);
        }
    }

    #[test]
    fn batches_cover_every_row_once() {
        assert!(batches(0, 1_000).is_empty());
        assert_eq!(batches(1_000, 1_000), [(0, 1_000)]);
        assert_eq!(batches(2_501, 1_000), [(0, 1_000), (1_000, 1_000), (2_000, 501)]);
        let all = batches(MAX_CSV_ROWS, BATCH_ROWS);
        assert_eq!(all.len(), 100);
        assert_eq!(all.iter().map(|(_, limit)| limit).sum::<u64>(), MAX_CSV_ROWS);
    }

    #[test]
    fn cells_are_inert_text() {
        assert_eq!(cell(None), "");
        assert_eq!(cell(Some(&Value::Null)), "");
        assert_eq!(cell(Some(&json!("=HYPERLINK(\"http://x\")"))), "'=HYPERLINK(\"http://x\")");
        assert_eq!(cell(Some(&json!("freedom"))), "freedom");
        assert_eq!(cell(Some(&json!(-3))), "-3");
        assert_eq!(cell(Some(&json!({"a": [1, 2]}))), r#"{"a":[1,2]}"#);
        let lines = to_csv([vec!["a,b".to_owned(), "say \"hi\"".to_owned()], vec![String::new(), "x".to_owned()]]);
        assert_eq!(lines.ok().as_deref(), Some(&b"\"a,b\",\"say \"\"hi\"\"\"\n,x\n"[..]));
    }
}
