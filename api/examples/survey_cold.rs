//! Benchmark: every question × every split × every cell, computed cold from the database
//! (snapshot load, each question's answers, statistics, JSON), as `bench/survey-api.sh` runs it.
//! Usage: DATABASE_URL=… cargo run --release -p api --example survey_cold [repeats]

use std::time::Instant;

use api::{ProportionsParams, Split, SurveyCache, proportions_body};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| migration::database::DEFAULT_DATABASE_URL.to_owned());
    let repeats: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    let db = sea_orm::Database::connect(url).await?;
    for run in 1..=repeats {
        let cache = SurveyCache::default();
        let started = Instant::now();
        let snapshot = cache.get(&db).await?;
        let loaded = started.elapsed();
        let (mut bodies, mut bytes) = (0, 0);
        for var_name in snapshot.questions.keys() {
            for split in Split::ALL {
                let params = ProportionsParams { split: Some(split), ..ProportionsParams::default() };
                match proportions_body(&cache, &db, var_name, params).await {
                    Ok(body) => {
                        bodies += 1;
                        bytes += body.len();
                    }
                    Err(api::AppError::NotFound(_)) => {} // in the catalog, never asked
                    Err(e) => return Err(e.to_string().into()),
                }
            }
        }
        let total = started.elapsed();
        println!(
            "run {run}: snapshot {:.1} ms, all questions x splits x cells {:.1} ms total ({bodies} bodies, {bytes} bytes)",
            loaded.as_secs_f64() * 1e3,
            total.as_secs_f64() * 1e3
        );
    }
    Ok(())
}
