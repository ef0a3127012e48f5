use crate::sql_migration::SqlMigration;

// `results_hidden`: the public results carry no counts for the question until a presenter
// reveals it. `join_code`: six digits, held by an open poll and by no other open poll, freed when
// it closes (NULL) or is deleted; the CHECK makes "every open poll has one, no closed poll has one"
// a rule of the data, and the unique index (NULLs are distinct) uniqueness among open polls.
// Polls already open get a code derived from their id (×737,159 mod 10⁶ is one-to-one on
// ids below a million, so no two collide).
const UP: &str = r#"
ALTER TABLE polls.poll_questions ADD COLUMN results_hidden boolean NOT NULL DEFAULT false;

ALTER TABLE polls.polls ADD COLUMN join_code text;
UPDATE polls.polls SET join_code = lpad(((id::bigint * 737159) % 1000000)::text, 6, '0') WHERE is_open;
ALTER TABLE polls.polls
    ADD CONSTRAINT polls_join_code_format_check CHECK (join_code ~ '^[0-9]{6}$'),
    ADD CONSTRAINT polls_join_code_open_check CHECK ((join_code IS NOT NULL) = is_open);
CREATE UNIQUE INDEX polls_join_code_key ON polls.polls (join_code);
"#;

const DOWN: &str = r#"
DROP INDEX polls.polls_join_code_key;
ALTER TABLE polls.polls
    DROP CONSTRAINT polls_join_code_open_check,
    DROP CONSTRAINT polls_join_code_format_check,
    DROP COLUMN join_code;
ALTER TABLE polls.poll_questions DROP COLUMN results_hidden;
"#;

pub const SCHEMA: SqlMigration = SqlMigration { name: "m20261127_000006_presenter_tools_schema", up: UP, down: DOWN };
