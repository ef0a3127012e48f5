//! Open answers: a question a participant answers in their own sentence, shown to the room only
//! once a presenter approved it. Schema only.

mod schema;

pub use schema::SCHEMA;
