//! What the load drivers share: HTTP/1.1 spoken by hand over tokio sockets (a client library
//! per connection would cost a driver more CPU than the api it measures), and percentiles.

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// Reads one HTTP/1.1 response with a Content-Length body; returns its status and body.
pub async fn read_response(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Result<(u16, Vec<u8>), Error> {
    buffer.clear();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let status = head.get(9..12).and_then(|s| s.parse().ok()).ok_or("no status")?;
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buffer.len() < end + 4 + length {
                let n = stream.read(&mut chunk).await?;
                if n == 0 {
                    return Err("connection closed mid-body".into());
                }
                buffer.extend_from_slice(&chunk[..n]);
            }
            return Ok((status, buffer[end + 4..end + 4 + length].to_vec()));
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err("connection closed before a response".into());
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
}

/// The `q` quantile of `sorted` (nearest rank); NaN when empty.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

/// The poll a driver runs, as its admin: logged in, created from `definition` and opened.
pub struct AdminPoll {
    client: reqwest::Client,
    cookie: String,
    /// `…/api/admin/polls/{id}`.
    url: String,
    pub slug: String,
}

impl AdminPoll {
    /// Logs in at `base` as `ADMIN_EMAIL` (default `email`) / `ADMIN_PASSWORD`, creates the poll
    /// and opens it (a presenter-paced one opens on its join slide: the presenter starts question
    /// 1, voting open).
    ///
    /// # Errors
    /// Any request refused or failed.
    pub async fn open(base: &str, email: &str, definition: &serde_json::Value) -> Result<Self, Error> {
        let env = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
        let client = reqwest::Client::new();
        let login = client
            .post(format!("{base}/api/auth/login"))
            .json(&serde_json::json!({"email": env("ADMIN_EMAIL", email), "password": env("ADMIN_PASSWORD", "")}))
            .send()
            .await?
            .error_for_status()?;
        let cookie = login.headers()["set-cookie"].to_str()?.split(';').next().unwrap_or_default().to_owned();
        let poll: serde_json::Value = client
            .post(format!("{base}/api/admin/polls"))
            .header("cookie", &cookie)
            .json(definition)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let (id, slug) = (poll["id"].as_i64().ok_or("no id")?, poll["slug"].as_str().ok_or("no slug")?.to_owned());
        let paced = definition["pacing"] == "presenter";
        let poll = Self { client, cookie, url: format!("{base}/api/admin/polls/{id}"), slug };
        poll.set_open(true).await?;
        if paced {
            let body = serde_json::json!({"position": 0, "voting_open": true});
            let current = format!("{}/current", poll.url);
            poll.client.put(current).header("cookie", &poll.cookie).json(&body).send().await?.error_for_status()?;
        }
        Ok(poll)
    }

    /// # Errors
    /// The request refused or failed.
    pub async fn set_open(&self, is_open: bool) -> Result<(), Error> {
        let body = serde_json::json!({ "is_open": is_open });
        self.client.patch(&self.url).header("cookie", &self.cookie).json(&body).send().await?.error_for_status()?;
        Ok(())
    }

    /// # Errors
    /// The request failed.
    pub async fn delete(&self) -> Result<(), Error> {
        self.client.delete(&self.url).header("cookie", &self.cookie).send().await?;
        Ok(())
    }
}
