//! Login sessions and failed-login records, in the `users` schema. Schema only: there is no
//! source data to load, so this version has no data migration.

mod schema;

pub use schema::SCHEMA;
