use crate::sql_migration::SqlMigration;

// One row per limit and client, holding the limit's state as a generic cell rate (GCRA):
// `next_free_at` is when the client's allowance is whole again; each use moves it on by
// 60 s / allowance, and a use that would put it more than a minute ahead is refused. One
// upsert per use, whatever the allowance; rows in the past carry nothing and are deleted.
// `client_key` is the client's keyed pseudonym (as `polls.respondents.client_key`): no address
// is stored.
const UP: &str = r#"
CREATE TABLE users.client_allowances (
    kind         text NOT NULL CHECK (kind IN ('login', 'join_code_miss')),
    client_key   text NOT NULL CHECK (client_key ~ '^[0-9a-f]{16}$'),
    next_free_at timestamptz NOT NULL,
    PRIMARY KEY (kind, client_key)
);
"#;

const DOWN: &str = r#"
DROP TABLE users.client_allowances;
"#;

pub const SCHEMA: SqlMigration = SqlMigration { name: "m20261130_000010_shared_limits_schema", up: UP, down: DOWN };
