//! The `surveys` schema: BLW waves, their weighted respondents and every answer they gave.
//! Paired migrations: `schema` creates the tables, `data` loads the public waves CSV.

mod data;
mod schema;

pub use data::DATA;
pub use schema::SCHEMA;
