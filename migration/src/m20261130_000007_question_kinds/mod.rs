//! The presenter's own questions and pacing on the `polls` schema: question kinds (catalog, choice,
//! scale, words), presenter-paced polls with a current question, answers with several choices or
//! words, moderated words, archived polls and a log of resets. Schema only: nothing is loaded from
//! source files.

mod schema;

pub use schema::SCHEMA;
