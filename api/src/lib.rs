//! The BLW DataViz api: survey visualizations, live polls and the web pages, over PostgreSQL.
//!
//! # Layout
//!
//! The crate is layered; a module imports only from the layers below it (ARCHITECTURE.md, checked
//! by `tests/api/tidy.rs`). Modules are private: the names tests, examples and benches use are
//! re-exported below, and everything else is `pub(crate)` at most.
//!
//! - The process: [`server`] (bind, the HTTP/1.1 loop, drain, shutdown), [`state`] (the parts
//!   every request can reach, started with their background tasks, owned by [`tasks`]), `cli`
//!   and `startup` (connect, migrate).
//! - `http`: the only module that imports axum — the router and its one tower stack, extractors,
//!   cookies, the site's files, and one file of routes per area.
//! - Features, each taking plain values and a `&DatabaseConnection`: `surveys` (weighted
//!   results), `polls` (ballots, live fan-out, results, question kinds, the poll life cycle),
//!   `accounts` (staff, passwords, sessions, login throttle), `data_browser`.
//! - Shared below them: `limits` (who the client is and how much it may do), `observability`
//!   (metrics, the operations reports), `notifications` (PostgreSQL LISTEN), `settings`,
//!   `error`, `lifecycle`, `telemetry` (logging), `text_rules`.

#![warn(unreachable_pub)]

mod accounts;
pub mod cli;
mod data_browser;
mod error;
mod http;
mod lifecycle;
mod limits;
mod notifications;
mod observability;
mod polls;
mod server;
mod settings;
mod startup;
mod state;
mod surveys;
mod tasks;
pub mod telemetry;
mod text_rules;

pub use accounts::Role;
pub use accounts::service::{NewAccount, create as create_account};
pub use error::AppError;
pub use http::{app, routes::documented};
pub use polls::live::{delta::apply as apply_delta, pacing::FRAME_FLOOR as LIVE_FRAME_FLOOR};
pub use server::Application;
pub use settings::{Secret, Settings};
pub use state::AppState;
pub use surveys::cache::SurveyCache;
pub use surveys::groups::Split;
pub use surveys::service::{ProportionsParams, proportions_body};
