//! What the room sees: how many have joined a poll (counted once per browser, so the join slide
//! can say "N joined" and a hidden question "N of M answered"), whether the nation's answers are
//! shown while a question still takes answers, and the slide an all-at-once poll's presenter
//! shows (every poll's projector follows its presenter). Schema only.

mod schema;

pub use schema::SCHEMA;
