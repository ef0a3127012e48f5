//! Paired schema + data migrations for the BLW DataViz database, one PostgreSQL schema per domain.
//!
//! Each `mYYYYMMDD_NNNNNN_<domain>` module holds a `Schema` migration (DDL) and a `Data` migration
//! (loads that domain's source files, listed in `data-sources.json`, and removes them again on
//! `down`), registered one after the other under the same version.

pub use sea_orm_migration::prelude::*;

mod bulk_insert;
pub mod data_change;
pub mod data_source;
pub mod database;
mod fresh;
pub mod generate;
mod progress;
pub mod sql_migration;
pub mod status;
pub mod survey_file;

mod m20261125_000001_questions;
mod m20261125_000002_users;
mod m20261125_000003_surveys;
mod m20261125_000004_sessions;
mod m20261125_000005_polls;
mod m20261127_000006_presenter_tools;
mod m20261130_000007_question_kinds;
mod m20261130_000008_poll_drafts;
mod m20261130_000009_ballot_devices;
mod m20261130_000010_shared_limits;
mod m20261207_000011_the_room;
mod m20261207_000012_allowed_words;
mod m20261207_000013_speaker_notes;
mod m20261207_000014_question_timers;
mod m20261207_000015_open_answers;
mod m20261207_000016_audience_questions;
mod m20261207_000017_ranks_and_guesses;
mod m20261207_000018_presenter_links_and_frozen_results;
// @generate:modules (new paired migrations are declared above this line)

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_questions::SCHEMA),
            Box::new(m20261125_000001_questions::Data),
            Box::new(m20261125_000002_users::SCHEMA),
            Box::new(m20261125_000002_users::Data),
            Box::new(m20261125_000003_surveys::SCHEMA),
            Box::new(m20261125_000003_surveys::DATA),
            Box::new(m20261125_000004_sessions::SCHEMA),
            Box::new(m20261125_000005_polls::SCHEMA),
            Box::new(m20261127_000006_presenter_tools::SCHEMA),
            Box::new(m20261130_000007_question_kinds::SCHEMA),
            Box::new(m20261130_000008_poll_drafts::SCHEMA),
            Box::new(m20261130_000009_ballot_devices::SCHEMA),
            Box::new(m20261130_000010_shared_limits::SCHEMA),
            Box::new(m20261207_000011_the_room::SCHEMA),
            Box::new(m20261207_000012_allowed_words::SCHEMA),
            Box::new(m20261207_000013_speaker_notes::SCHEMA),
            Box::new(m20261207_000014_question_timers::SCHEMA),
            Box::new(m20261207_000015_open_answers::SCHEMA),
            Box::new(m20261207_000016_audience_questions::SCHEMA),
            Box::new(m20261207_000017_ranks_and_guesses::SCHEMA),
            Box::new(m20261207_000018_presenter_links_and_frozen_results::SCHEMA),
            // @generate:migrations (new paired migrations are registered above this line)
        ]
    }

    /// Drops every schema (not only `public`, which is all the default drops) before migrating
    /// up, so `fresh` really starts from an empty database. Refuses before dropping anything when
    /// the data sources are misconfigured.
    async fn fresh<'c, C>(db: C) -> Result<(), DbErr>
    where
        C: IntoSchemaManagerConnection<'c>,
    {
        data_source::DataSourceSettings::current()?.check()?;
        let db = db.into_database_executor();
        fresh::drop_everything(&db).await?;
        Self::up(db, None).await
    }
}
