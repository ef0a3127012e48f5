use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    dotenvy::dotenv().ok();
    api::telemetry::init();
    let settings = match api::Settings::from_env() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let started = match api::Application::build(settings).await {
        Ok(app) => app.serve().await.map_err(Into::into),
        Err(e) => Err(e),
    };
    match started {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("start-up failed: {e}");
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
