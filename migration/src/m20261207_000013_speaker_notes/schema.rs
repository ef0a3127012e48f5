use crate::sql_migration::SqlMigration;

// Notes are wording: an answered poll may still change them (polls/edits.rs), and they never
// reach a public view.
const UP: &str = r#"
ALTER TABLE polls.poll_questions
    ADD COLUMN speaker_notes text NOT NULL DEFAULT ''
        CONSTRAINT poll_questions_speaker_notes_check CHECK (char_length(speaker_notes) <= 2000);
"#;

const DOWN: &str = r#"
ALTER TABLE polls.poll_questions DROP COLUMN speaker_notes;
"#;

pub const SCHEMA: SqlMigration = SqlMigration { name: "m20261207_000013_speaker_notes_schema", up: UP, down: DOWN };
