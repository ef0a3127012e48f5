//! Presenter links (a capability to drive one poll from a slide deck, without an account) and
//! frozen results (a citable copy of a poll's public results as of a moment). Schema only.

mod schema;

pub use schema::SCHEMA;
