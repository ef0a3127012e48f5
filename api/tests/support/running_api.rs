//! The real api binary as a process of its own (its own allocator, limits and signal handling),
//! for tests that measure or signal it. Included by path by the test binaries that need it.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use testkit::TestDatabase;

/// The api binary on a free port against `db`; killed when dropped.
pub struct RunningApi {
    pub child: Child,
    pub port: u16,
}

impl Drop for RunningApi {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl RunningApi {
    /// Starts it with `env` besides the database and port, and waits until it is ready.
    pub async fn start(db: &TestDatabase, env: &[(&str, &str)]) -> Self {
        Self::start_logging(db, env, Stdio::null()).await
    }

    /// As [`start`](Self::start), its log lines (stdout) going to `log`.
    pub async fn start_logging(db: &TestDatabase, env: &[(&str, &str)], log: Stdio) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_api"))
            .env("DATABASE_URL", &db.url)
            .env("PORT", port.to_string())
            .env("RUST_LOG", "error")
            .envs(env.iter().copied())
            .stdout(log)
            .stderr(Stdio::null())
            .spawn()
            .expect("start the api binary");
        let api = Self { child, port };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            if client.get(api.url("/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
                return api;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("the api did not become ready");
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}
