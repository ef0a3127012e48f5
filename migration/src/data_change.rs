//! What every data migration does besides its own rows: tells listeners that survey or catalog
//! data changed (the api drops cached results on it, in every process), and puts identity
//! sequences back so that `up → down → up` gives the same ids.

use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

/// The PostgreSQL channel a data migration notifies on; the payload is `<migration> up|down`.
pub const DATA_CHANGED_CHANNEL: &str = "blw_data_changed";

/// Target for migration reports. The sea-orm-migration CLI shows only `sea_orm_migration` events
/// unless `-v` is given, so reports are filed under it to reach the operator either way.
pub const REPORT_TARGET: &str = "sea_orm_migration::data";

#[derive(Debug, Clone, Copy)]
pub enum Direction {
    Up,
    Down,
}

/// Queues a notification, delivered only if the migration's transaction commits.
///
/// # Errors
/// Any database error.
pub async fn notify_data_changed<C: ConnectionTrait>(
    conn: &C,
    migration: &str,
    direction: Direction,
) -> Result<(), DbErr> {
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [DATA_CHANGED_CHANNEL.into(), data_changed_payload(migration, direction).into()],
    ))
    .await?;
    Ok(())
}

/// The payload listeners on [`DATA_CHANGED_CHANNEL`] get: `<migration> up|down`.
pub fn data_changed_payload(migration: &str, direction: Direction) -> String {
    let direction = match direction {
        Direction::Up => "up",
        Direction::Down => "down",
    };
    format!("{migration} {direction}")
}

/// Sets the identity of `table.column` to continue after the largest id left in the table.
///
/// # Errors
/// Any database error.
pub async fn reset_identity<C: ConnectionTrait>(conn: &C, table: &str, column: &str) -> Result<(), DbErr> {
    let sql = format!(
        "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), \
         COALESCE((SELECT max({column}) FROM {table}), 0) + 1, false)"
    );
    conn.execute_unprepared(&sql).await?;
    Ok(())
}
