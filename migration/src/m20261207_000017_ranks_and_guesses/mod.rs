//! Ranking questions and "predict the nation": the room orders items (the catalog's principles,
//! perhaps) or guesses a national share, and sees itself beside the weighted survey. Schema only.

mod schema;

pub use schema::SCHEMA;
