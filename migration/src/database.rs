//! Creating the target database on first run, so `DATABASE_URL` may name one that does not exist yet.

use sea_orm_migration::sea_orm::{ConnectionTrait, Database, DbBackend, DbErr, Statement};

/// The local default. No TLS to a server on loopback: a TLS attempt loads the system CA store,
/// which costs ~0.1 s per connection.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/blw_dataviz?sslmode=disable";

/// Creates the database named in `url` if it is missing, connecting to the server's `postgres`
/// database with the same credentials to do so.
///
/// # Errors
/// The URL has no database name, the server cannot be reached, or creation fails for a reason
/// other than another process having just created it.
pub async fn ensure_database_exists(url: &str) -> Result<(), DbErr> {
    let mut parsed = url::Url::parse(url).map_err(|e| DbErr::Custom(format!("invalid DATABASE_URL: {e}")))?;
    let name = parsed.path().trim_start_matches('/').to_owned();
    if name.is_empty() || name.contains('/') {
        return Err(DbErr::Custom("DATABASE_URL must name a database (…/dbname)".to_owned()));
    }
    let name = percent_decode(&name);
    parsed.set_path("/postgres");
    let admin = Database::connect(parsed.as_str()).await?;
    let exists = |admin: &sea_orm_migration::sea_orm::DatabaseConnection| {
        let name = name.clone();
        let admin = admin.clone();
        async move {
            admin
                .query_one_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT 1 AS found FROM pg_database WHERE datname = $1",
                    [name.into()],
                ))
                .await
                .map(|row| row.is_some())
        }
    };
    if !exists(&admin).await? {
        let create = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
        if let Err(error) = admin.execute_unprepared(&create).await {
            // Several api processes may start at once: losing that race is fine.
            if !exists(&admin).await? {
                return Err(error);
            }
        } else {
            tracing::info!(database = %name, "created database");
        }
    }
    admin.close().await
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned()
}
