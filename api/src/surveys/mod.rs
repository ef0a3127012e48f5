//! Survey visualizations: the catalog, waves, and weighted proportions with confidence intervals,
//! computed from an in-memory snapshot of the survey tables.

pub mod cache;
pub mod changes;
pub mod contrasts;
pub mod gaps;
pub mod groups;
pub mod principles;
pub mod proportions;
pub mod service;
pub mod snapshot;
pub mod weighted_proportions;
