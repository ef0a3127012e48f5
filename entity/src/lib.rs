//! SeaORM entities for every table, one module per PostgreSQL schema.
//!
//! `questions/`, `users/`, `surveys/` and `polls/` are generated, never edited by hand: after a schema
//! migration changes, run `scripts/generate-entities.sh` against a migrated database (the tests
//! check that regenerating gives no diff), so rustfmt and clippy leave them as generated.
//! `cross_schema.rs` and `role.rs` are hand-written.

pub mod cross_schema;
#[rustfmt::skip]
#[allow(clippy::module_inception)]
pub mod polls;
#[rustfmt::skip]
#[allow(clippy::module_inception)]
pub mod questions;
#[rustfmt::skip]
pub mod surveys;
#[rustfmt::skip]
pub mod users;
pub mod role;

pub use role::Role;
