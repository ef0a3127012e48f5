use crate::sql_migration::SqlMigration;

// `responses` keeps every non-blank cell as given (`raw_value`); `response_index` is set only when
// the raw value is exactly one of the question's responses. `weight < 'Infinity'` also rules out
// NaN, which PostgreSQL sorts above infinity.
const UP: &str = r#"
CREATE SCHEMA surveys;

CREATE TABLE surveys.waves (
    number     integer PRIMARY KEY CHECK (number > 0),
    source_key text NOT NULL
);

CREATE TABLE surveys.respondents (
    caseid        bigint PRIMARY KEY,
    wave          integer NOT NULL REFERENCES surveys.waves (number),
    weight        double precision NOT NULL CHECK (weight > 0 AND weight < 'Infinity'),
    extra_columns jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(extra_columns) = 'object')
);
CREATE INDEX respondents_wave_idx ON surveys.respondents (wave);

CREATE TABLE surveys.responses (
    caseid         bigint NOT NULL REFERENCES surveys.respondents (caseid),
    var_name       text NOT NULL REFERENCES questions.questions (var_name),
    raw_value      text NOT NULL CHECK (raw_value <> ''),
    response_index smallint CHECK (response_index >= 0),
    PRIMARY KEY (caseid, var_name)
);
CREATE INDEX responses_var_name_idx ON surveys.responses (var_name);
"#;

const DOWN: &str = r#"
DROP TABLE surveys.responses, surveys.respondents, surveys.waves;
DROP SCHEMA surveys;
"#;

pub const SCHEMA: SqlMigration = SqlMigration { name: "m20261125_000003_surveys_schema", up: UP, down: DOWN };
