//! What presenters need on the `polls` schema: results hidden until revealed, per question, and a
//! short join code for each open poll. Schema only: nothing is loaded from source files.

mod schema;

pub use schema::SCHEMA;
