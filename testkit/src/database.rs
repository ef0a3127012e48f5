use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

/// The server's maintenance database; tests create and drop their own databases through it.
fn admin_url() -> String {
    std::env::var("TEST_DATABASE_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable".to_owned())
}

fn database_url(name: &str) -> String {
    let admin = admin_url();
    let (base, query) = admin.split_once('?').map_or((admin.as_str(), ""), |(b, q)| (b, q));
    let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
    if query.is_empty() { format!("{base}/{name}") } else { format!("{base}/{name}?{query}") }
}

/// A database of its own for one test, named by a UUID and dropped when this value is dropped.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
    pub conn: DatabaseConnection,
}

impl TestDatabase {
    /// # Panics
    /// If PostgreSQL cannot be reached: the tests need it.
    pub async fn create() -> Self {
        let name = format!("blw_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(admin_url()).await.expect("connect to PostgreSQL (is it running?)");
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
        admin.close().await.ok();
        let url = database_url(&name);
        let conn = Database::connect(&url).await.expect("connect to test database");
        Self { name, url, conn }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs inside the test's runtime, which cannot be blocked on: use a thread of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async {
                let admin = Database::connect(admin_url()).await.map_err(std::io::Error::other)?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .map_err(std::io::Error::other)?;
                admin.close().await.map_err(std::io::Error::other)
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: could not drop test database {}", self.name);
        }
    }
}
