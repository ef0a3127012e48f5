//! Words a presenter let through the built-in blocklist for one question of one poll ("Dick
//! Cheney" is not an insult), with who allowed them and when. Schema only.

mod schema;

pub use schema::SCHEMA;
