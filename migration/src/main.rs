//! The migration CLI: sea-orm-migration's commands (`up`, `down`, `status`, `fresh`, `refresh`,
//! `reset`) plus `generate <name>`, which scaffolds a paired schema + data migration.

use std::path::Path;
use std::process::ExitCode;

use sea_orm_migration::sea_orm::Database;

use migration::database::DEFAULT_DATABASE_URL;

fn generate(name: Option<&str>) -> ExitCode {
    let Some(name) = name else {
        eprintln!("usage: migration generate <name>");
        return ExitCode::from(2);
    };
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let date = chrono::Utc::now().format("%Y%m%d").to_string();
    match migration::generate::scaffold(crate_dir, &crate_dir.join("../data-sources.json"), name, &date) {
        Ok(scaffold) => {
            println!("Generated {}:", scaffold.module);
            for path in scaffold.written {
                println!("  {}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    dotenvy::dotenv().ok();
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("generate") {
        return generate(args.get(2).map(String::as_str));
    }
    if std::env::var_os("DATABASE_URL").is_none() {
        // SAFETY: no other thread exists yet; the runtime is built below.
        #[allow(unsafe_code)]
        unsafe {
            std::env::set_var("DATABASE_URL", DEFAULT_DATABASE_URL)
        };
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    runtime.block_on(sea_orm_migration::cli::run_cli_with_connection(migration::Migrator, |options| async move {
        migration::database::ensure_database_exists(options.get_url()).await?;
        Database::connect(options).await
    }));
    ExitCode::SUCCESS
}
