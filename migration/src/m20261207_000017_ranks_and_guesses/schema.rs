use crate::sql_migration::SqlMigration;

// `ranking`: `options` holds the items' labels (3 to 10; for catalog principles, their short texts
// as they read when the question was made), `top_k` how many of them a participant ranks (all of
// them when it equals the number of items), `item_var_names` the catalog questions the items are
// (NULL for the presenter's own items: then there is no nation to compare with). Each answer's
// order is in `answer_ranks`, one row per ranked item.
//
// `predict`: the room guesses the weighted share of `nation_group` (NULL: everyone) giving one of
// `nation_responses` to `catalog_var_name` in `nation_wave`. `response_indices` holds the guesses a
// participant may give (0 to 100, in percent); `text` the question as the room reads it. The guess
// is `answers.response_index`; `answers.display_name` the name a participant chose to be listed by
// among the closest guesses (only when `show_closest`).
//
// `nation_wave` and `nation_responses` serve a ranking of catalog principles too: the nation's
// order is by the weighted share giving those responses in that wave.
const UP: &str = r#"
ALTER TABLE polls.poll_questions
    DROP CONSTRAINT poll_questions_kind_check,
    ADD CONSTRAINT poll_questions_kind_check
        CHECK (kind IN ('catalog', 'choice', 'scale', 'words', 'open', 'ranking', 'predict')),
    ADD COLUMN top_k smallint,
    ADD COLUMN item_var_names text[],
    ADD COLUMN nation_responses smallint[],
    ADD COLUMN nation_wave integer,
    ADD COLUMN nation_group text
        CONSTRAINT poll_questions_nation_group_check CHECK (nation_group IN (
            'Democrat', 'Republican', 'Independent or Other', 'Liberal', 'Moderate', 'Conservative')),
    ADD COLUMN show_closest boolean NOT NULL DEFAULT false,
    DROP CONSTRAINT poll_questions_catalog_check,
    ADD CONSTRAINT poll_questions_catalog_check CHECK (
        (kind IN ('catalog', 'predict')) = (catalog_var_name IS NOT NULL) AND (kind = 'catalog') = (text IS NULL)
        AND (kind <> 'catalog' OR catalog_var_name = var_name)),
    DROP CONSTRAINT poll_questions_choice_check,
    ADD CONSTRAINT poll_questions_choice_check CHECK (
        (kind IN ('choice', 'ranking')) = (options IS NOT NULL) AND (kind = 'choice') = (max_choices IS NOT NULL)
        AND (kind <> 'choice' OR cardinality(options) BETWEEN 2 AND 12)
        AND (max_choices IS NULL OR max_choices BETWEEN 1 AND cardinality(options))),
    ADD CONSTRAINT poll_questions_ranking_check CHECK (
        (kind = 'ranking') = (top_k IS NOT NULL)
        AND (kind <> 'ranking' OR (cardinality(options) BETWEEN 3 AND 10 AND top_k BETWEEN 2 AND cardinality(options)
                                   AND cardinality(response_indices) = cardinality(options)))
        AND (item_var_names IS NULL OR (kind = 'ranking' AND cardinality(item_var_names) = cardinality(options)))),
    ADD CONSTRAINT poll_questions_nation_check CHECK (
        (nation_wave IS NOT NULL) = (nation_responses IS NOT NULL)
        AND (kind <> 'predict' OR nation_wave IS NOT NULL)
        AND (nation_wave IS NULL OR kind = 'predict' OR item_var_names IS NOT NULL)
        AND (nation_responses IS NULL OR cardinality(nation_responses) > 0)
        AND (nation_group IS NULL OR kind = 'predict')
        AND (kind = 'predict' OR NOT show_closest));

ALTER TABLE polls.answers
    ADD COLUMN display_name text
        CONSTRAINT answers_display_name_check CHECK (btrim(display_name) <> '' AND length(display_name) <= 40);

CREATE TABLE polls.answer_ranks (
    respondent_id bigint NOT NULL,
    var_name      text NOT NULL,
    rank          smallint NOT NULL CHECK (rank BETWEEN 1 AND 10),
    item          smallint NOT NULL CHECK (item BETWEEN 0 AND 9),
    PRIMARY KEY (respondent_id, var_name, rank),
    CONSTRAINT answer_ranks_item_key UNIQUE (respondent_id, var_name, item),
    CONSTRAINT answer_ranks_answer_fkey FOREIGN KEY (respondent_id, var_name)
        REFERENCES polls.answers (respondent_id, var_name) ON DELETE CASCADE
);
"#;

// The old schema cannot hold these questions: rather than delete polls on the way down, `down`
// refuses while any exist.
const DOWN: &str = r#"
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM polls.poll_questions WHERE kind IN ('ranking', 'predict')) THEN
        RAISE EXCEPTION 'polls with ranking or predict questions exist; delete them before migrating down';
    END IF;
END
$$;

DROP TABLE polls.answer_ranks;
ALTER TABLE polls.answers DROP COLUMN display_name;
ALTER TABLE polls.poll_questions
    DROP CONSTRAINT poll_questions_nation_check,
    DROP CONSTRAINT poll_questions_ranking_check,
    DROP CONSTRAINT poll_questions_choice_check,
    ADD CONSTRAINT poll_questions_choice_check CHECK (
        (kind = 'choice') = (options IS NOT NULL) AND (options IS NULL) = (max_choices IS NULL)
        AND (options IS NULL OR cardinality(options) BETWEEN 2 AND 12)
        AND (max_choices IS NULL OR max_choices BETWEEN 1 AND cardinality(options))),
    DROP CONSTRAINT poll_questions_catalog_check,
    ADD CONSTRAINT poll_questions_catalog_check CHECK (
        (kind = 'catalog') = (catalog_var_name IS NOT NULL) AND (kind = 'catalog') = (text IS NULL)
        AND (catalog_var_name IS NULL OR catalog_var_name = var_name)),
    DROP COLUMN show_closest,
    DROP COLUMN nation_group,
    DROP COLUMN nation_wave,
    DROP COLUMN nation_responses,
    DROP COLUMN item_var_names,
    DROP COLUMN top_k,
    DROP CONSTRAINT poll_questions_kind_check,
    ADD CONSTRAINT poll_questions_kind_check CHECK (kind IN ('catalog', 'choice', 'scale', 'words', 'open'));
"#;

pub const SCHEMA: SqlMigration = SqlMigration { name: "m20261207_000017_ranks_and_guesses_schema", up: UP, down: DOWN };
