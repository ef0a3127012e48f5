//! `migrate fresh` for a database with several schemas.

use sea_orm_migration::sea_orm::{ConnectionTrait, DbErr};

/// Drops every non-system schema and every table in `public` (the migration table included),
/// in one statement (a `DO` block is atomic).
///
/// # Errors
/// Any database error; nothing is dropped then.
pub async fn drop_everything<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    db.execute_unprepared(
        r#"
DO $$
DECLARE name text;
BEGIN
    FOR name IN
        SELECT nspname FROM pg_namespace
        WHERE nspname NOT IN ('public', 'information_schema')
          AND nspname NOT LIKE 'pg\_%'
    LOOP
        EXECUTE format('DROP SCHEMA %I CASCADE', name);
    END LOOP;
    FOR name IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
        EXECUTE format('DROP TABLE public.%I CASCADE', name);
    END LOOP;
END $$;
"#,
    )
    .await?;
    Ok(())
}
