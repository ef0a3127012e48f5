//! When a poll first opened: a poll that never has is a draft, which the public is not shown.
//! Schema only.

mod schema;

pub use schema::SCHEMA;
