//! Bulk loads as one `INSERT … SELECT FROM unnest($1::t[], $2::t[], …)` statement: every column is
//! bound as one array parameter, so 270,808 survey cells are one round trip and one statement,
//! inside the migration's transaction (COPY is not reachable through a SeaORM transaction).

use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, Value};

/// One column of an unnest insert: its values as one array.
pub struct UnnestColumn {
    name: &'static str,
    element_type: &'static str,
    values: Value,
    select: Option<&'static str>,
}

impl UnnestColumn {
    /// `values` must convert to a PostgreSQL array of `element_type` (e.g. `Vec<i64>` and "bigint").
    pub fn new(name: &'static str, element_type: &'static str, values: impl Into<Value>) -> Self {
        Self { name, element_type, values: values.into(), select: None }
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
    let names: Vec<&str> = columns.iter().map(|c| c.name).collect();
    let arrays: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| format!("${}::{}[]", i + 1, c.element_type))
        .collect();
    let aliases: Vec<String> = (1..=columns.len()).map(|i| format!("c{i}")).collect();
    let selects: Vec<String> = columns
        .iter()
        .zip(&aliases)
        .map(|(c, alias)| c.select.map_or_else(|| alias.clone(), |e| e.replace("{}", alias)))
        .collect();
    let sql = format!(
        "INSERT INTO {table} ({}) SELECT {} FROM unnest({}) AS t({})",
        names.join(", "),
        selects.join(", "),
        arrays.join(", "),
        aliases.join(", "),
    );
    let values: Vec<Value> = columns.into_iter().map(|c| c.values).collect();
    let result = conn.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, values)).await?;
    Ok(result.rows_affected())
}
