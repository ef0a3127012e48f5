//! The `users` schema: staff accounts (admins and analysts) that log in to the api.
//! Paired migrations: `schema` creates the table, `data` loads the seed accounts.

mod data;
mod schema;

pub use data::Data;
pub use schema::SCHEMA;
