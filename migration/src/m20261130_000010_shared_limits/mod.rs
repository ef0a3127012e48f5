//! Per-client allowances that every api process shares (login attempts, wrong join codes), so
//! that N processes behind a load balancer do not give a client N times its allowance. Schema
//! only.

mod schema;

pub use schema::SCHEMA;
