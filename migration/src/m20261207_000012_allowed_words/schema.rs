use crate::sql_migration::SqlMigration;

// Like `hidden_words` (its mirror: kept from the public although not blocked): the word is the
// normalized form answers are counted by, so allowing "dick cheney" shows exactly that answer and
// nothing else the blocklist matches. Rows go with their question (an edit that replaces an
// unanswered poll's questions, a delete); `allowed_by` outlives the account as NULL.
const UP: &str = r#"
CREATE TABLE polls.allowed_words (
    poll_id    integer NOT NULL,
    var_name   text NOT NULL,
    word       text NOT NULL CHECK (word <> ''),
    allowed_by integer REFERENCES users.accounts (id) ON DELETE SET NULL,
    allowed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (poll_id, var_name, word),
    CONSTRAINT allowed_words_poll_question_fkey FOREIGN KEY (poll_id, var_name)
        REFERENCES polls.poll_questions (poll_id, var_name) ON DELETE CASCADE
);
"#;

const DOWN: &str = r#"
DROP TABLE polls.allowed_words;
"#;

pub const SCHEMA: SqlMigration = SqlMigration { name: "m20261207_000012_allowed_words_schema", up: UP, down: DOWN };
