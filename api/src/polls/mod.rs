//! Live polls: admins build a poll from catalog questions, participants answer it, and everyone
//! watches the results move beside the weighted national BLW shares. Every vote is committed to
//! PostgreSQL before it is acknowledged and announced with its ballot (see `events`); every api
//! process adds announced ballots to tallies it seeded from the database (`tally`, `live`), so
//! any number of processes serve the same numbers.
//!
//! - `model`: what the endpoints take and give;
//! - `repository`: poll rows through the generated entities;
//! - `validation`: what a poll and a ballot must satisfy;
//! - `views`: polls as staff and participants see them;
//! - `service`: creating, listing, opening, closing, deleting;
//! - `ballots`: taking a vote; `poll_states`: what a ballot needs, in memory; `ballot_writer`:
//!   ballots committed in batches;
//! - `events`: the announcement every process hears;
//! - `results`, `tally`, `live`: results from the database, kept current, streamed (`delta`:
//!   what changed between two frames; `frame_pacing`: how often frames go out); hidden
//!   questions left out of what the public sees;
//! - `room_vs_nation`: the room against the national survey, with CIs, matched and reweighted;
//! - `join_code`: the six digits to join an open poll with;
//! - `devices`: a ballot's device (signed cookie) and client (pseudonym); `voids`: an admin
//!   voiding a burst of ballots from one client;
//! - `export`: raw responses as CSV.

pub(crate) mod ballots;
pub(crate) mod events;
pub(crate) mod join_code;
pub(crate) mod kinds;
pub(crate) mod live;
pub(crate) mod model;
pub(crate) mod repository;
pub(crate) mod results;
pub(crate) mod service;
mod slug;
pub(crate) mod validation;
pub(crate) mod views;
