//! Survey visualizations: the catalog, waves, and weighted proportions with confidence intervals,
//! computed from an in-memory snapshot of the survey tables.

pub(crate) mod cache;
pub(crate) mod changes;
pub(crate) mod contrasts;
pub(crate) mod gaps;
pub(crate) mod groups;
pub(crate) mod principles;
pub(crate) mod proportions;
pub(crate) mod service;
pub(crate) mod snapshot;
pub(crate) mod weighted_proportions;
