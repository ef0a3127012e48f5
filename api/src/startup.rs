//! Connecting, migrating and serving.

use std::time::Duration;

use migration::status::migration_status;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr, TransactionTrait};

use crate::settings::Settings;

/// Any constant shared by all api processes: the advisory lock that serializes their migrations.
const MIGRATION_LOCK: i64 = 0x0062_6c77_5f6d_6967; // "blw_mig"

/// Creates the database if missing and opens a pool on it.
///
/// # Errors
/// The server cannot be reached or the database cannot be created.
pub(crate) async fn connect(settings: &Settings) -> Result<DatabaseConnection, DbErr> {
    let url = settings.database_url.expose();
    migration::database::ensure_database_exists(url).await?;
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(settings.database_max_connections.max(2))
        // A request that needs the database answers 503 within ~2 s when it is unreachable.
        .acquire_timeout(Duration::from_secs(2))
        .connect_timeout(Duration::from_secs(2))
        // A statement stuck on a lock or a struggling server is cancelled (and answered 503)
        // rather than holding its request; the slowest legitimate read (a 1M-respondent
        // snapshot) takes ~2 s. Bulk loads lift it for their own transaction.
        .statement_timeout(Duration::from_secs(5))
        .sqlx_logging(false);
    Database::connect(options).await
}

/// Raises this process's open-file limit to the most it may have: every live-results watcher
/// holds a socket, and an audience of thousands needs more than the usual 1,024.
pub(crate) fn raise_open_file_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::info!(limit, "open files allowed (live-results watchers each hold one)"),
        Err(e) => tracing::warn!(error = %e, "could not raise the open-file limit; watchers beyond it will be refused"),
    }
}

/// Applies pending migrations. Several processes may start together behind a load balancer: a
/// transaction-scoped advisory lock lets one migrate while the others wait, then find nothing to do.
///
/// # Errors
/// A migration fails (the database is left as it was before that migration).
pub(crate) async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    let lock = db.begin().await?;
    lock.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")).await?;
    // Read outside the lock's transaction: on a new database the migration table is not there
    // yet, and a failed read would end the transaction the lock lives in.
    let result = match migration_status(db).await {
        // A newer version migrated the database (a rolling deploy, or a rollback): this process
        // serves beside the additive changes, and has nothing to apply.
        Ok(status) if status.database_ahead() && status.pending.is_empty() => {
            tracing::info!(newer = ?status.unknown_applied, "the database is ahead of this version; nothing to migrate");
            Ok(())
        }
        Ok(status) if status.database_ahead() => Err(DbErr::Custom(format!(
            "the database has migrations this version does not know ({}) and lacks some it needs ({}): \
             migrate with the newest version",
            status.unknown_applied.join(", "),
            status.pending.join(", ")
        ))),
        _ => Migrator::up(db, None).await,
    };
    lock.commit().await?;
    result
}
