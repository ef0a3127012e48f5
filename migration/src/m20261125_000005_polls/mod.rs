//! The `polls` schema: live polls built from catalog questions, their participants and answers.
//! Schema only: polls are created in the app, not loaded from source files.

mod schema;

pub use schema::SCHEMA;
