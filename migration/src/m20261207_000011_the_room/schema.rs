use crate::sql_migration::SqlMigration;

// `poll_joins`: one row per browser (the ballot device id) that opened an open poll; `joined` in
// `poll_audiences` counts them, one row per poll updated in the join's transaction, so every
// process hears the counts in commit order (and a join never waits on a ballot batch's lock on
// `polls`). A reset deletes both with the answers.
// `current_question` now also names an all-at-once poll's slide (which question the projector
// shows); only a presenter-paced poll's current question takes answers on its own.
const UP: &str = r#"
ALTER TABLE polls.polls
    DROP CONSTRAINT polls_current_question_paced_check,
    ADD CONSTRAINT polls_current_question_open_paced_check CHECK (pacing = 'presenter' OR NOT current_question_open),
    ADD COLUMN national_during_voting boolean NOT NULL DEFAULT false;

CREATE TABLE polls.poll_joins (
    poll_id   integer NOT NULL REFERENCES polls.polls (id) ON DELETE CASCADE,
    device_id text NOT NULL CHECK (device_id ~ '^[0-9a-f]{32}$'),
    joined_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (poll_id, device_id)
);

CREATE TABLE polls.poll_audiences (
    poll_id integer PRIMARY KEY REFERENCES polls.polls (id) ON DELETE CASCADE,
    joined  bigint NOT NULL CHECK (joined >= 0)
);
"#;

const DOWN: &str = r#"
DROP TABLE polls.poll_audiences, polls.poll_joins;
UPDATE polls.polls SET current_question = NULL WHERE pacing <> 'presenter';
ALTER TABLE polls.polls
    DROP COLUMN national_during_voting,
    DROP CONSTRAINT polls_current_question_open_paced_check,
    ADD CONSTRAINT polls_current_question_paced_check CHECK (pacing = 'presenter' OR current_question IS NULL);
"#;

pub const SCHEMA: SqlMigration = SqlMigration { name: "m20261207_000011_the_room_schema", up: UP, down: DOWN };
