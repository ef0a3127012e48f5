use crate::sql_migration::SqlMigration;

// `timer_seconds`: how long the question takes answers once the presenter opens its voting.
// `current_question_closes_at`: when the current question's voting ends (the database's clock,
// so every process agrees); ballots after it are refused, and whichever process first sees it
// pass closes the voting and announces it.
const UP: &str = r#"
ALTER TABLE polls.poll_questions
    ADD COLUMN timer_seconds smallint
        CONSTRAINT poll_questions_timer_seconds_check CHECK (timer_seconds BETWEEN 5 AND 3600);
ALTER TABLE polls.polls
    ADD COLUMN current_question_closes_at timestamptz,
    ADD CONSTRAINT polls_current_question_closes_at_check
        CHECK (current_question_closes_at IS NULL OR current_question_open);
"#;

const DOWN: &str = r#"
ALTER TABLE polls.polls DROP COLUMN current_question_closes_at;
ALTER TABLE polls.poll_questions DROP COLUMN timer_seconds;
"#;

pub const SCHEMA: SqlMigration = SqlMigration { name: "m20261207_000014_question_timers_schema", up: UP, down: DOWN };
