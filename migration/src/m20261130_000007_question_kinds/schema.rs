use crate::sql_migration::SqlMigration;

// Question kinds. A question stays keyed by `var_name` within its poll: a catalog question's is
// its catalog name (now checked through `catalog_var_name`, the foreign key into the catalog, as
// the old key column can no longer be one), a presenter's own question's is `q<place>`. Each kind's
// settings are columns of their own, present exactly for that kind (the CHECKs say so), so a row
// can be read without knowing the api. `response_indices` stays the offered values: a catalog
// question's offered responses, a choice question's options (0..n), a scale's points (min..max); a
// words question offers none.
//
// Answers: one `answers` row per participant and question stays the proof that the question was
// answered (its primary key is what makes a repeated token change nothing); a multiple-answer
// choice keeps its choices in `answer_choices` and a words answer its words in `answer_words`
// (`response_index` NULL for both), so every table stays flat for analysts and the data browser.
//
// Pacing: a presenter-paced poll shows one question at a time (`current_question`, a position)
// and takes answers to it while `current_question_open`. `hidden_words` are a presenter's
// moderation (normalized words kept from the public), `poll_resets` who cleared a poll's answers.
const UP: &str = r#"
ALTER TABLE polls.polls
    ADD COLUMN pacing text NOT NULL DEFAULT 'all_at_once'
        CONSTRAINT polls_pacing_check CHECK (pacing IN ('all_at_once', 'presenter')),
    ADD COLUMN current_question smallint CONSTRAINT polls_current_question_check CHECK (current_question >= 0),
    ADD COLUMN current_question_open boolean NOT NULL DEFAULT false,
    ADD COLUMN archived_at timestamptz,
    ADD CONSTRAINT polls_current_question_paced_check CHECK (pacing = 'presenter' OR current_question IS NULL),
    ADD CONSTRAINT polls_current_question_open_check CHECK (current_question IS NOT NULL OR NOT current_question_open),
    ADD CONSTRAINT polls_archived_closed_check CHECK (archived_at IS NULL OR NOT is_open);

ALTER TABLE polls.poll_questions
    ADD COLUMN kind text NOT NULL DEFAULT 'catalog'
        CONSTRAINT poll_questions_kind_check CHECK (kind IN ('catalog', 'choice', 'scale', 'words')),
    ADD COLUMN catalog_var_name text REFERENCES questions.questions (var_name),
    ADD COLUMN text text CONSTRAINT poll_questions_text_check CHECK (btrim(text) <> '' AND length(text) <= 500),
    ADD COLUMN options text[],
    ADD COLUMN max_choices smallint,
    ADD COLUMN scale_min smallint,
    ADD COLUMN scale_max smallint,
    ADD COLUMN scale_min_label text,
    ADD COLUMN scale_max_label text;
UPDATE polls.poll_questions SET catalog_var_name = var_name;
ALTER TABLE polls.poll_questions
    DROP CONSTRAINT poll_questions_var_name_fkey,
    DROP CONSTRAINT poll_questions_response_indices_check,
    ADD CONSTRAINT poll_questions_response_indices_check CHECK (cardinality(response_indices) > 0 OR kind = 'words'),
    ADD CONSTRAINT poll_questions_catalog_check CHECK (
        (kind = 'catalog') = (catalog_var_name IS NOT NULL) AND (kind = 'catalog') = (text IS NULL)
        AND (catalog_var_name IS NULL OR catalog_var_name = var_name)),
    ADD CONSTRAINT poll_questions_own_key_check CHECK (kind = 'catalog' OR var_name ~ '^q[0-9]{1,3}$'),
    ADD CONSTRAINT poll_questions_choice_check CHECK (
        (kind = 'choice') = (options IS NOT NULL) AND (options IS NULL) = (max_choices IS NULL)
        AND (options IS NULL OR cardinality(options) BETWEEN 2 AND 12)
        AND (max_choices IS NULL OR max_choices BETWEEN 1 AND cardinality(options))),
    ADD CONSTRAINT poll_questions_scale_check CHECK (
        (kind = 'scale') = (scale_min IS NOT NULL AND scale_max IS NOT NULL
                            AND scale_min_label IS NOT NULL AND scale_max_label IS NOT NULL)
        AND (scale_min IS NULL OR (scale_min, scale_max) IN ((1, 5), (1, 7), (0, 10))));

ALTER TABLE polls.answers ALTER COLUMN response_index DROP NOT NULL;

CREATE TABLE polls.answer_choices (
    respondent_id  bigint NOT NULL,
    var_name       text NOT NULL,
    response_index smallint NOT NULL CHECK (response_index >= 0),
    PRIMARY KEY (respondent_id, var_name, response_index),
    CONSTRAINT answer_choices_answer_fkey FOREIGN KEY (respondent_id, var_name)
        REFERENCES polls.answers (respondent_id, var_name) ON DELETE CASCADE
);

CREATE TABLE polls.answer_words (
    respondent_id bigint NOT NULL,
    var_name      text NOT NULL,
    position      smallint NOT NULL CHECK (position BETWEEN 0 AND 2),
    word          text NOT NULL CHECK (length(word) BETWEEN 1 AND 40),
    normalized    text NOT NULL,
    PRIMARY KEY (respondent_id, var_name, position),
    CONSTRAINT answer_words_answer_fkey FOREIGN KEY (respondent_id, var_name)
        REFERENCES polls.answers (respondent_id, var_name) ON DELETE CASCADE
);

CREATE TABLE polls.hidden_words (
    poll_id   integer NOT NULL,
    var_name  text NOT NULL,
    word      text NOT NULL CHECK (word <> ''),
    hidden_by integer REFERENCES users.accounts (id) ON DELETE SET NULL,
    hidden_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (poll_id, var_name, word),
    CONSTRAINT hidden_words_poll_question_fkey FOREIGN KEY (poll_id, var_name)
        REFERENCES polls.poll_questions (poll_id, var_name) ON DELETE CASCADE
);

CREATE TABLE polls.poll_resets (
    id                  bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    poll_id             integer NOT NULL REFERENCES polls.polls (id) ON DELETE CASCADE,
    reset_by            integer REFERENCES users.accounts (id) ON DELETE SET NULL,
    reset_at            timestamptz NOT NULL DEFAULT now(),
    respondents_removed bigint NOT NULL CHECK (respondents_removed >= 0)
);
"#;

// The old schema cannot hold a presenter's own questions, several choices or words, or a paced
// poll: rather than delete polls on the way down, `down` refuses while any exist.
const DOWN: &str = r#"
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM polls.poll_questions WHERE kind <> 'catalog')
       OR EXISTS (SELECT 1 FROM polls.polls WHERE pacing <> 'all_at_once')
       OR EXISTS (SELECT 1 FROM polls.answers WHERE response_index IS NULL) THEN
        RAISE EXCEPTION 'polls with the presenter''s own questions or presenter pacing exist; delete them before migrating down';
    END IF;
END
$$;

DROP TABLE polls.poll_resets, polls.hidden_words, polls.answer_words, polls.answer_choices;
ALTER TABLE polls.answers ALTER COLUMN response_index SET NOT NULL;

ALTER TABLE polls.poll_questions
    DROP CONSTRAINT poll_questions_scale_check,
    DROP CONSTRAINT poll_questions_choice_check,
    DROP CONSTRAINT poll_questions_own_key_check,
    DROP CONSTRAINT poll_questions_catalog_check,
    DROP CONSTRAINT poll_questions_response_indices_check,
    ADD CONSTRAINT poll_questions_response_indices_check CHECK (cardinality(response_indices) > 0),
    ADD CONSTRAINT poll_questions_var_name_fkey FOREIGN KEY (var_name) REFERENCES questions.questions (var_name),
    DROP COLUMN scale_max_label,
    DROP COLUMN scale_min_label,
    DROP COLUMN scale_max,
    DROP COLUMN scale_min,
    DROP COLUMN max_choices,
    DROP COLUMN options,
    DROP COLUMN text,
    DROP COLUMN catalog_var_name,
    DROP COLUMN kind;

ALTER TABLE polls.polls
    DROP CONSTRAINT polls_archived_closed_check,
    DROP CONSTRAINT polls_current_question_open_check,
    DROP CONSTRAINT polls_current_question_paced_check,
    DROP COLUMN archived_at,
    DROP COLUMN current_question_open,
    DROP COLUMN current_question,
    DROP COLUMN pacing;
"#;

pub const SCHEMA: SqlMigration = SqlMigration { name: "m20261130_000007_question_kinds_schema", up: UP, down: DOWN };
