//! The staff data browser (the original design's `db:studio`): every table of the four schemas
//! that holds no secrets, read-only, paged on the server, sorted and filtered per column, with
//! foreign keys as links — one generic path over the SeaORM entities (`registry`), not a handler
//! per table.
//!
//! - `registry`: the browsable entities, their columns (from the entities) and links (from
//!   PostgreSQL's own foreign keys), with what is never shown;
//! - `view`: a requested page (sort, filters, paging), validated against a table;
//! - `query`: that page read through the entity;
//! - `export`: a whole view as CSV (up to a maximum), streamed in batches.

pub(crate) mod export;
pub(crate) mod query;
pub(crate) mod registry;
pub(crate) mod view;
