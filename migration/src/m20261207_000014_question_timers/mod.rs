//! A countdown per question: voting on a presenter-paced poll's question closes by itself when
//! its time is up. Schema only.

mod schema;

pub use schema::SCHEMA;
