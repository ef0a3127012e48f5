//! Bulk loads with PostgreSQL's `COPY … FROM STDIN`, inside one transaction of their own.
//!
//! COPY needs the connection itself, which a SeaORM transaction does not expose. So a migration
//! that loads with COPY opts out of the migrator's transaction (`use_transaction() -> Some(false)`)
//! and opens a [`CopyTransaction`] on one connection of SeaORM's sqlx pool: every statement of its
//! load runs in it and it commits once, so a failed load leaves nothing behind. The migrator then
//! records the migration as applied (a separate statement, as for any migration outside a
//! transaction).

use sea_orm_migration::sea_orm::{DatabaseExecutor, DbErr, RuntimeErr};
use sqlx::{Postgres, Row, Transaction};

pub fn db_err(error: sqlx::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::SqlxError(std::sync::Arc::new(error)))
}

/// Rows are encoded and sent in pieces of about this size, so PostgreSQL parses one piece while
/// the next is encoded.
const PIECE_BYTES: usize = 1 << 20;

/// A transaction on one pooled connection, where COPY is possible.
pub struct CopyTransaction {
    txn: Transaction<'static, Postgres>,
}

impl CopyTransaction {
    /// Begins a transaction on a connection of `executor`'s pool.
    ///
    /// # Errors
    /// `executor` is already a transaction (COPY cannot join it), or the database fails.
    pub async fn begin(executor: &DatabaseExecutor<'_>) -> Result<Self, DbErr> {
        let DatabaseExecutor::Connection(db) = executor else {
            return Err(DbErr::Migration(
                "this migration loads with COPY in a transaction of its own: run it on a database connection, \
                 not inside a transaction"
                    .to_owned(),
            ));
        };
        let txn = db.get_postgres_connection_pool().begin().await.map_err(db_err)?;
        let mut txn = Self { txn };
        // A bulk load takes as long as its data: no statement timeout the pool may carry applies.
        txn.execute("SET LOCAL statement_timeout = 0").await?;
        Ok(txn)
    }

    /// The connection, for statements with parameters.
    pub fn connection(&mut self) -> &mut sqlx::PgConnection {
        &mut self.txn
    }

    /// Runs `sql` (no parameters): this crate's own statements and definitions PostgreSQL printed.
    ///
    /// # Errors
    /// Any database error.
    pub async fn execute(&mut self, sql: &str) -> Result<u64, DbErr> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        let done = sqlx::raw_sql(sql).execute(&mut *self.txn).await.map_err(db_err)?;
        Ok(done.rows_affected())
    }

    /// The first column of `sql`'s rows, `sql` taking `values` as its one parameter (`$1::bigint[]`).
    ///
    /// # Errors
    /// Any database error.
    pub async fn matching(&mut self, sql: &'static str, values: Vec<i64>) -> Result<Vec<i64>, DbErr> {
        sqlx::query_scalar(sql).bind(values).fetch_all(&mut *self.txn).await.map_err(db_err)
    }

    /// Queues `payload` on `channel`; delivered only if this transaction commits.
    ///
    /// # Errors
    /// Any database error.
    pub async fn notify(&mut self, channel: &str, payload: &str) -> Result<(), DbErr> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(channel)
            .bind(payload)
            .execute(&mut *self.txn)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    /// Loads one row into `table (columns)` per item of `rows` (`total` of them); `write_row(row,
    /// item)` writes its fields in column order. Reports progress for large loads. Returns the
    /// number of rows loaded.
    ///
    /// # Errors
    /// Any database error, e.g. a value the column's type refuses; nothing is loaded then.
    pub async fn copy_in<T>(
        &mut self,
        table: &str,
        columns: &[&str],
        total: usize,
        rows: impl IntoIterator<Item = T>,
        mut write_row: impl FnMut(&mut CopyRow, T),
    ) -> Result<u64, DbErr> {
        let started = std::time::Instant::now();
        let statement = format!("COPY {table} ({}) FROM STDIN", columns.join(", "));
        let mut copy = self.txn.copy_in_raw(&statement).await.map_err(db_err)?;
        let mut row = CopyRow { bytes: Vec::with_capacity(PIECE_BYTES + 4096), first: true };
        let mut progress = crate::progress::LoadProgress::start(table, total as u64);
        let mut rows = rows.into_iter().peekable();
        let mut sent = 0u64;
        while let Some(item) = rows.next() {
            write_row(&mut row, item);
            row.end();
            sent += 1;
            if row.bytes.len() >= PIECE_BYTES || rows.peek().is_none() {
                if let Err(error) = copy.send(row.bytes.as_slice()).await {
                    let _ = copy.abort("load failed").await;
                    progress.finish();
                    return Err(db_err(error));
                }
                row.bytes.clear();
                progress.advance(sent);
            }
        }
        progress.finish();
        let loaded = copy.finish().await.map_err(db_err)?;
        tracing::info!(target: crate::data_change::REPORT_TARGET, "  {table}: {loaded} rows loaded in {:.0?}", started.elapsed());
        Ok(loaded)
    }

    /// Makes everything done in this transaction permanent.
    ///
    /// # Errors
    /// Any database error; nothing is kept then.
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await.map_err(db_err)
    }
}

/// Writes one row in COPY's text format: fields separated by tabs, `\N` for NULL, backslash
/// escapes for the characters the format uses.
pub struct CopyRow {
    bytes: Vec<u8>,
    first: bool,
}

impl CopyRow {
    fn separate(&mut self) {
        if !self.first {
            self.bytes.push(b'\t');
        }
        self.first = false;
    }

    fn end(&mut self) {
        self.bytes.push(b'\n');
        self.first = true;
    }

    /// A text field, escaped.
    pub fn text(&mut self, value: &str) {
        self.separate();
        for byte in value.bytes() {
            match byte {
                b'\\' => self.bytes.extend_from_slice(b"\\\\"),
                b'\t' => self.bytes.extend_from_slice(b"\\t"),
                b'\n' => self.bytes.extend_from_slice(b"\\n"),
                b'\r' => self.bytes.extend_from_slice(b"\\r"),
                _ => self.bytes.push(byte),
            }
        }
    }

    /// A number (or anything whose `Display` needs no escaping).
    pub fn number(&mut self, value: impl std::fmt::Display) {
        use std::io::Write;
        self.separate();
        let _ = write!(self.bytes, "{value}");
    }

    /// SQL NULL.
    pub fn null(&mut self) {
        self.separate();
        self.bytes.extend_from_slice(b"\\N");
    }
}

/// A table's indexes and its primary-key, unique and foreign-key constraints, dropped for a bulk
/// load and created again after it, which PostgreSQL does several times faster than maintaining
/// them row by row ("Populating a Database" in its manual). Re-adding a constraint validates every
/// row, so nothing invalid gets in; inside the load's transaction no one sees the gap.
pub struct DeferredConstraints {
    table: String,
    /// `ALTER TABLE … ADD CONSTRAINT …` and `CREATE INDEX …` statements, in that order.
    restore: Vec<String>,
}

impl DeferredConstraints {
    /// Captures the definitions (as PostgreSQL prints them) and drops them from `table`.
    ///
    /// # Errors
    /// Any database error.
    pub async fn drop_from(txn: &mut CopyTransaction, table: &str) -> Result<Self, DbErr> {
        let rows = sqlx::query(
            r#"
SELECT 'ALTER TABLE ' || $1 || ' DROP CONSTRAINT ' || quote_ident(conname) AS drop_sql,
       'ALTER TABLE ' || $1 || ' ADD CONSTRAINT ' || quote_ident(conname) || ' ' || pg_get_constraintdef(oid) AS create_sql,
       CASE contype WHEN 'p' THEN 0 WHEN 'u' THEN 1 ELSE 2 END AS step
FROM pg_constraint WHERE conrelid = $1::regclass AND contype IN ('p', 'u', 'f')
UNION ALL
SELECT 'DROP INDEX ' || i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), 3
FROM pg_index i
WHERE i.indrelid = $1::regclass
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
ORDER BY step
"#,
        )
        .bind(table)
        .fetch_all(&mut *txn.txn)
        .await
        .map_err(db_err)?;
        let mut drops = Vec::with_capacity(rows.len());
        let mut restore = Vec::with_capacity(rows.len());
        for row in &rows {
            drops.push(row.try_get::<String, _>("drop_sql").map_err(db_err)?);
            restore.push(row.try_get::<String, _>("create_sql").map_err(db_err)?);
        }
        // Foreign keys first, then indexes, then unique and primary keys (nothing depends on them then).
        for sql in drops.iter().rev() {
            txn.execute(sql).await?;
        }
        Ok(Self { table: table.to_owned(), restore })
    }

    /// Creates everything [`drop_from`](Self::drop_from) dropped, validating the loaded rows.
    ///
    /// # Errors
    /// A loaded row violates a constraint, or any other database error.
    pub async fn restore(self, txn: &mut CopyTransaction) -> Result<(), DbErr> {
        for sql in &self.restore {
            txn.execute(sql)
                .await
                .map_err(|e| DbErr::Migration(format!("bulk load into {} violates a constraint: {e}", self.table)))?;
        }
        Ok(())
    }
}
