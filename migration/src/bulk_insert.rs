//! Bulk loads as one `INSERT … SELECT FROM unnest($1::t[], $2::t[], …)` statement: every column is
//! bound as one array parameter, so 270,808 survey cells are one round trip and one statement,
//! inside the migration's transaction (COPY is not reachable through a SeaORM transaction).

use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, Value};

/// One column of an unnest insert: its values as one array.
pub struct UnnestColumn {
    name: &'static str,
    element_type: &'static str,
    values: Value,
    /// For dictionary-encoded text: the distinct strings; `values` then holds 1-based positions.
    dictionary: Option<Vec<String>>,
    select: Option<&'static str>,
}

impl UnnestColumn {
    /// `values` must convert to a PostgreSQL array of `element_type` (e.g. `Vec<i64>` and "bigint").
    pub fn new(name: &'static str, element_type: &'static str, values: impl Into<Value>) -> Self {
        Self { name, element_type, values: values.into(), dictionary: None, select: None }
    }

    /// A text column with few distinct values (question names, answer labels): sent as one
    /// array of distinct strings plus an integer position per row, a fraction of the bytes.
    pub fn dictionary(name: &'static str, values: &[impl AsRef<str>]) -> Self {
        let mut positions: std::collections::HashMap<&str, i32> = std::collections::HashMap::new();
        let mut dictionary: Vec<String> = Vec::new();
        let codes: Vec<i32> = values
            .iter()
            .map(|v| {
                *positions.entry(v.as_ref()).or_insert_with(|| {
                    dictionary.push(v.as_ref().to_owned());
                    dictionary.len() as i32
                })
            })
            .collect();
        Self { name, element_type: "integer", values: codes.into(), dictionary: Some(dictionary), select: None }
    }

    /// An expression over the unnested value, written with `{}` for it: PostgreSQL arrays bound
    /// from Rust cannot hold NULL here, so nullable columns send a sentinel and map it back
    /// (`NULLIF({}, -1)`), and jsonb arrives as text (`{}::jsonb`).
    pub fn select(mut self, expression: &'static str) -> Self {
        self.select = Some(expression);
        self
    }
}

/// Inserts all rows given column-wise; returns the number inserted.
///
/// # Errors
/// Any database error, e.g. a constraint violation, which aborts the whole statement.
pub async fn insert_unnest<C: ConnectionTrait>(
    conn: &C,
    table: &str,
    columns: Vec<UnnestColumn>,
) -> Result<u64, DbErr> {
    let mut values: Vec<Value> = Vec::new();
    let (mut names, mut arrays, mut aliases, mut selects) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, column) in columns.into_iter().enumerate() {
        let alias = format!("c{}", i + 1);
        values.push(column.values);
        arrays.push(format!("${}::{}[]", values.len(), column.element_type));
        let mut select = alias.clone();
        if let Some(dictionary) = column.dictionary {
            values.push(dictionary.into());
            select = format!("(${}::text[])[{alias}]", values.len());
        }
        if let Some(expression) = column.select {
            select = expression.replace("{}", &select);
        }
        names.push(column.name);
        aliases.push(alias);
        selects.push(select);
    }
    let sql = format!(
        "INSERT INTO {table} ({}) SELECT {} FROM unnest({}) AS t({})",
        names.join(", "),
        selects.join(", "),
        arrays.join(", "),
        aliases.join(", "),
    );
    // unnest() in FROM materializes its rows first; with the default 4 MB work_mem a large load
    // spills them to a temp file. SET LOCAL lasts until the migration's transaction ends.
    conn.execute_unprepared("SET LOCAL work_mem = '256MB'").await?;
    let result = conn.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, values)).await?;
    Ok(result.rows_affected())
}

/// A table's indexes and its primary-key, unique and foreign-key constraints, dropped for a bulk
/// load and created again after it, which PostgreSQL does several times faster than maintaining
/// them row by row ("Populating a Database" in its manual). Re-adding a constraint validates every
/// row, so nothing invalid gets in; inside the migration's transaction no one sees the gap.
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
    pub async fn drop_from<C: ConnectionTrait>(conn: &C, table: &str) -> Result<Self, DbErr> {
        let rows = conn
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
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
                [table.into()],
            ))
            .await?;
        let mut restore = Vec::with_capacity(rows.len());
        // Foreign keys first, then indexes, then unique and primary keys (nothing depends on them then).
        for row in rows.iter().rev() {
            let drop_sql: String = row.try_get("", "drop_sql")?;
            conn.execute_unprepared(&drop_sql).await?;
        }
        for row in &rows {
            restore.push(row.try_get("", "create_sql")?);
        }
        Ok(Self { table: table.to_owned(), restore })
    }

    /// Creates everything [`drop_from`](Self::drop_from) dropped, validating the loaded rows.
    ///
    /// # Errors
    /// A loaded row violates a constraint, or any other database error.
    pub async fn restore<C: ConnectionTrait>(self, conn: &C) -> Result<(), DbErr> {
        for sql in &self.restore {
            conn.execute_unprepared(sql)
                .await
                .map_err(|e| DbErr::Migration(format!("bulk load into {} violates a constraint: {e}", self.table)))?;
        }
        Ok(())
    }
}
