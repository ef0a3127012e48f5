//! The migration CLI: sea-orm-migration's commands (`up`, `down`, `status`, `fresh`, `refresh`,
//! `reset`) plus `generate <name>`, which scaffolds a paired schema + data migration, and
//! `sources pin|push|verify`, which keep `data-sources.json`, the data folder and the bucket in step.

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

const SOURCES_USAGE: &str = "usage: migration sources pin [MIGRATION] | push [MIGRATION] [--force] | verify";

/// `sources pin|push|verify`: one line per listed object; exit 1 if any is off, 2 on bad usage.
fn sources(args: &[String]) -> ExitCode {
    use migration::data_source::{DataSourceSettings, Manifest, S3Location, SourceLocation, local_dir, sources};

    let force = args.iter().any(|a| a == "--force");
    let positional: Vec<&str> = args.iter().map(String::as_str).filter(|a| *a != "--force").collect();
    let (command, only) = match positional.as_slice() {
        [command @ ("pin" | "push" | "verify")] => (*command, None),
        [command @ ("pin" | "push"), migration] => (*command, Some(*migration)),
        _ => {
            eprintln!("{SOURCES_USAGE}");
            return ExitCode::from(2);
        }
    };
    if force && command != "push" {
        eprintln!("--force applies to push only\n{SOURCES_USAGE}");
        return ExitCode::from(2);
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
    let result = runtime.block_on(async {
        match command {
            "pin" => {
                let path = sources::manifest_path();
                let manifest = Manifest::from_file(&path)?;
                println!("pinning from {} into {}", local_dir(&manifest).display(), path.display());
                sources::pin(&path, &local_dir(&manifest), only).await
            }
            "push" => {
                let manifest = Manifest::load()?;
                let bucket = S3Location::from_env(&manifest)?;
                let to = SourceLocation::S3(bucket.clone());
                println!("pushing {} to {to}", local_dir(&manifest).display());
                sources::push(&manifest, &local_dir(&manifest), &bucket, only, force).await
            }
            _ => {
                let settings = DataSourceSettings::from_env()?;
                println!("verifying {}", settings.location);
                sources::verify(&settings.manifest, &settings.location).await
            }
        }
    });
    match result {
        Ok(reports) => {
            for report in &reports {
                println!("{report}");
            }
            let problems = reports.iter().filter(|r| r.is_problem()).count();
            if problems > 0 {
                eprintln!("{problems} of {} sources need attention", reports.len());
                return ExitCode::FAILURE;
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
    match args.get(1).map(String::as_str) {
        Some("generate") => return generate(args.get(2).map(String::as_str)),
        Some("sources") => return sources(&args[2..]),
        _ => {}
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
