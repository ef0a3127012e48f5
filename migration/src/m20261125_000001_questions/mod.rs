//! The `questions` schema: the catalog of survey questions, grouped in batteries and sub-batteries.
//! Paired migrations: `schema` creates the tables, `data` loads the catalog from the source files.

mod data;
mod schema;

pub use data::Data;
pub use schema::SCHEMA;
