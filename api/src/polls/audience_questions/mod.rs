//! Audience Q&A, a poll feature beside its questions: participants ask the presenter questions
//! and upvote each other's (one vote per browser and question, taken back at will); the
//! presenter moderates (post-moderated: shown at once, hidden at will; pre-moderated: held until
//! approved; a question the blocklist matches is held either way), marks questions answered and
//! pins one to the audience view. Every change is counted per poll (`polls.qa_boards.changes`,
//! in the change's transaction) and announced with the question's new state, so every process
//! holds the same list at the same live version (`board`); `service` makes the changes, `votes`
//! takes the crowd's votes in batches.

pub(crate) mod board;
pub(crate) mod service;
pub(crate) mod votes;
