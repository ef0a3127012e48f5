//! SeaORM entities for every table, one module per PostgreSQL schema.
//!
//! `questions/`, `users/`, `surveys/` and `polls/` are generated, never edited by hand: after a schema
//! migration changes, run `scripts/generate-entities.sh` against a migrated database (the tests
//! check that regenerating gives no diff). `cross_schema.rs` is hand-written.

pub mod cross_schema;
pub mod polls;
pub mod questions;
pub mod surveys;
pub mod users;
