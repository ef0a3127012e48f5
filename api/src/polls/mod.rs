//! Live polls: admins build a poll from catalog questions, participants answer it, and everyone
//! watches the results move beside the weighted national BLW shares. Every vote is committed to
//! PostgreSQL before it is acknowledged and announced with its ballot (see `events`); every api
//! process adds announced ballots to tallies it seeded from the database (`tally`, `live`), so
//! any number of processes serve the same numbers.
//!
//! The rooms, each importing only from those before it (no cycle: `tests/api/tidy.rs`):
//! - `model/`: what the endpoints take and give, and the vocabulary the rooms share;
//! - `kinds/`: one file per question kind behind `QuestionKind` (definition, participant view,
//!   validation, fold, results, CSV);
//! - `events`: the announcement every process hears; `repository`: poll rows through the
//!   generated entities; `validation`: what a poll and a ballot must satisfy;
//! - `views`: polls as staff and participants see them;
//! - `results/`: results from the database (`tally`: kept current; `room_vs_nation`: the room
//!   against the national survey, with CIs, matched and reweighted; `export`: raw responses as
//!   CSV); hidden questions left out of what the public sees;
//! - `ballots/`: taking a vote (`poll_states`: what a ballot needs, in memory; `writer`: ballots
//!   committed in batches; `devices`: a ballot's device cookie and client pseudonym; `voids`: an
//!   admin voiding a burst of ballots from one client; `activity`: ballots per minute);
//! - `live/`: the fan-out hub (`frames`: shared SSE frames; `delta`: what changed between two
//!   frames; `pacing`: how often frames go out; `stream`: one watcher's stream);
//! - `edits`: what an edit may change once a poll has answers (its wording only);
//! - `countdowns`: a question's countdown, closed when it ends by whichever process sees it first;
//! - `audience_questions/`: the audience's questions to the presenter (`board`: as every process
//!   holds them, counted into the live version; `service`: asking, voting, moderating, pinning);
//! - `presenter_links`: a deck's capability to drive one poll without an account;
//! - `frozen_results`: a poll's public results copied as of a moment, for a citable page;
//! - the poll life cycle: `service` (creating, listing, opening, pacing, closing, deleting),
//!   `join_code` (the six digits to join an open poll with), `slug`.

pub(crate) mod audience_questions;
pub(crate) mod ballots;
pub(crate) mod countdowns;
pub(crate) mod edits;
pub(crate) mod events;
pub(crate) mod frozen_results;
pub(crate) mod join_code;
pub(crate) mod kinds;
pub(crate) mod live;
pub(crate) mod model;
pub(crate) mod presenter_links;
pub(crate) mod report;
pub(crate) mod repository;
pub(crate) mod results;
pub(crate) mod service;
mod slug;
pub(crate) mod validation;
pub(crate) mod views;
