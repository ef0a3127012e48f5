use crate::sql_migration::SqlMigration;

// An `open` question offers no values (like `words`): its answers are sentences, one per
// participant, in `answer_texts` beside the `answers` row that proves the question answered.
// `review` is the presenter's moderation of that one answer: every answer waits (`pending`) until
// approved for the room or hidden; who decided and when stay with it (NULL while pending). Rows go
// with their answer (a reset, a void, a deleted poll).
const UP: &str = r#"
ALTER TABLE polls.poll_questions
    DROP CONSTRAINT poll_questions_kind_check,
    ADD CONSTRAINT poll_questions_kind_check CHECK (kind IN ('catalog', 'choice', 'scale', 'words', 'open')),
    DROP CONSTRAINT poll_questions_response_indices_check,
    ADD CONSTRAINT poll_questions_response_indices_check
        CHECK (cardinality(response_indices) > 0 OR kind IN ('words', 'open'));

CREATE TABLE polls.answer_texts (
    respondent_id bigint NOT NULL,
    var_name      text NOT NULL,
    text          text NOT NULL CHECK (btrim(text) <> '' AND length(text) <= 280),
    review        text NOT NULL DEFAULT 'pending' CHECK (review IN ('pending', 'approved', 'hidden')),
    reviewed_by   integer REFERENCES users.accounts (id) ON DELETE SET NULL,
    reviewed_at   timestamptz,
    PRIMARY KEY (respondent_id, var_name),
    CONSTRAINT answer_texts_reviewed_check CHECK ((review = 'pending') = (reviewed_at IS NULL)),
    CONSTRAINT answer_texts_answer_fkey FOREIGN KEY (respondent_id, var_name)
        REFERENCES polls.answers (respondent_id, var_name) ON DELETE CASCADE
);
"#;

// The old schema cannot hold an open question: rather than delete polls on the way down, `down`
// refuses while any exist.
const DOWN: &str = r#"
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM polls.poll_questions WHERE kind = 'open') THEN
        RAISE EXCEPTION 'polls with open questions exist; delete them before migrating down';
    END IF;
END
$$;

DROP TABLE polls.answer_texts;
ALTER TABLE polls.poll_questions
    DROP CONSTRAINT poll_questions_response_indices_check,
    ADD CONSTRAINT poll_questions_response_indices_check CHECK (cardinality(response_indices) > 0 OR kind = 'words'),
    DROP CONSTRAINT poll_questions_kind_check,
    ADD CONSTRAINT poll_questions_kind_check CHECK (kind IN ('catalog', 'choice', 'scale', 'words'));
"#;

pub const SCHEMA: SqlMigration = SqlMigration { name: "m20261207_000015_open_answers_schema", up: UP, down: DOWN };
