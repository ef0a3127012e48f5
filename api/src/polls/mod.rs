//! Live polls: admins build a poll from catalog questions, participants answer it, and everyone
//! watches the results move beside the weighted national BLW shares. Every vote is committed to
//! PostgreSQL before it is acknowledged; live results are recomputed from the database whenever
//! PostgreSQL announces a vote (NOTIFY), so any number of api processes serve the same numbers.

pub mod live;
pub mod model;
pub mod results;
pub mod service;

/// The PostgreSQL channel poll changes are announced on; payload `<poll id> <vote|open|closed|deleted>`.
pub const POLL_EVENTS_CHANNEL: &str = "blw_poll_events";
