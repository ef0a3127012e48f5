//! A schema migration written as SQL: `up` runs one script, `down` its exact reverse, both inside
//! the migration's transaction.

use sea_orm_migration::prelude::*;

pub struct SqlMigration {
    pub name: &'static str,
    pub up: &'static str,
    pub down: &'static str,
}

impl MigrationName for SqlMigration {
    fn name(&self) -> &str {
        self.name
    }
}

#[async_trait::async_trait]
impl MigrationTrait for SqlMigration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, self.name, self.up).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, self.name, self.down).await
    }
}

async fn run(manager: &SchemaManager<'_>, name: &str, sql: &str) -> Result<(), DbErr> {
    if sql.trim().is_empty() {
        return Err(DbErr::Migration(format!("{name}: its SQL is not written yet")));
    }
    manager.get_connection().execute_unprepared(sql).await?;
    Ok(())
}
