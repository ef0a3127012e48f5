//! Audience Q&A: participants ask questions of the presenter and upvote each other's, moderated
//! by the presenter. Schema only.

mod schema;

pub use schema::SCHEMA;
