//! The api over real HTTP against a real PostgreSQL database of its own per test.

mod audience_questions;
mod auth;
mod ballots;
mod configuration;
mod data_browser;
mod devices;
mod fleet;
mod health;
mod helpers;
mod live_protocol;
mod metrics;
mod new_wave;
mod open_answers;
mod openapi;
mod poll_edits;
mod polls;
mod predict;
mod presenter;
mod question_kinds;
mod ranking;
mod role_matrix;
mod room;
mod startup;
mod survey_contrasts;
mod surveys;
mod tidy;
