//! Which migrations this build knows against which the database has applied, read without
//! changing anything: during a rolling deploy the database may be ahead of a process (the new
//! version's migrations ran as a deploy step while old processes still serve), which
//! sea-orm-migration's own status reports as an error ("its file is missing").

use sea_orm_migration::sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryOrder};
use sea_orm_migration::{MigratorTrait, seaql_migrations};

use crate::Migrator;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// Every migration this build has, in order.
    pub known: Vec<String>,
    /// Known but not applied: this build needs them before it may serve.
    pub pending: Vec<String>,
    /// Applied by a newer build: additive changes an older process can serve beside.
    pub unknown_applied: Vec<String>,
}

impl MigrationStatus {
    /// The database is ahead of this build (a newer version migrated it).
    pub fn database_ahead(&self) -> bool {
        !self.unknown_applied.is_empty()
    }
}

/// Compares this build's migrations with the database's `seaql_migrations` (which must exist).
///
/// # Errors
/// The table cannot be read.
pub async fn migration_status<C: ConnectionTrait>(db: &C) -> Result<MigrationStatus, DbErr> {
    let known: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
    let applied: Vec<String> = seaql_migrations::Entity::find()
        .order_by_asc(seaql_migrations::Column::Version)
        .all(db)
        .await?
        .into_iter()
        .map(|row| row.version)
        .collect();
    Ok(MigrationStatus {
        pending: known.iter().filter(|name| !applied.contains(name)).cloned().collect(),
        unknown_applied: applied.into_iter().filter(|version| !known.contains(version)).collect(),
        known,
    })
}
