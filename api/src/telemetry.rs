//! Logging set-up, in one place: `RUST_LOG` filters (default: info, quieter for sqlx and SeaORM
//! but with the migration reports).

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=info,tower_http=info"));
    // A second init (e.g. in tests) keeps the first subscriber.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}
