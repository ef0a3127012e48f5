//! Live polls: admins build a poll from catalog questions, participants answer it, and everyone
//! watches the results move beside the weighted national BLW shares. Every vote is committed to
//! PostgreSQL before it is acknowledged and announced with its ballot (NOTIFY); every api process
//! adds announced ballots to tallies it seeded from the database (see `live`), so any number of
//! processes serve the same numbers.

pub mod export;
pub mod live;
pub mod model;
pub mod results;
pub mod service;

/// The PostgreSQL channel poll changes are announced on. Payload: `<poll id> open|closed|deleted`,
/// or `<poll id> vote <respondent id> <split answer or -1> <var_name>:<index>,…` (var names are
/// identifiers, so the separators cannot occur in them).
pub const POLL_EVENTS_CHANNEL: &str = "blw_poll_events";
