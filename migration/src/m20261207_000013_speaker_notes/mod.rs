//! A presenter's notes per question, shown on the presenter view only. Schema only.

mod schema;

pub use schema::SCHEMA;
