use crate::sql_migration::SqlMigration;

// `first_opened_at`: set when a poll opens for the first time, never cleared (closing, reopening,
// resetting keep it). Polls already here that are open or have answers have opened before: the
// earlier of their first answer and (open ones) their last change stands in for the moment.
const UP: &str = r#"
ALTER TABLE polls.polls ADD COLUMN first_opened_at timestamptz;
UPDATE polls.polls p
SET first_opened_at = least(
        (SELECT min(r.created_at) FROM polls.respondents r WHERE r.poll_id = p.id),
        CASE WHEN p.is_open THEN p.updated_at END)
WHERE p.is_open OR EXISTS (SELECT 1 FROM polls.respondents r WHERE r.poll_id = p.id);
ALTER TABLE polls.polls ADD CONSTRAINT polls_open_has_opened_check CHECK (NOT is_open OR first_opened_at IS NOT NULL);
"#;

const DOWN: &str = r#"
ALTER TABLE polls.polls DROP CONSTRAINT polls_open_has_opened_check, DROP COLUMN first_opened_at;
"#;

pub const SCHEMA: SqlMigration = SqlMigration { name: "m20261130_000008_poll_drafts_schema", up: UP, down: DOWN };
