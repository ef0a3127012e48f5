//! Audience Q&A under load (issue 34): `PHONES` phones upvote `QUESTIONS` audience questions, open
//! loop at `RATE` votes/s (each vote a new TCP connection, each phone its own address and device
//! cookie, every phone voting once for every question), while `WATCHERS` screens follow the poll's
//! stream. Reports, as one Markdown table row: votes acknowledged per second, reply times, vote →
//! every screen latency (p50 / p99 / max), and whether anything was lost: the stored votes must
//! equal the 2xx replies, and every screen's last frame must count them all.
//!
//! Latency is read from the frames' `total_votes` (the votes for every question the public sees):
//! the k-th acknowledged vote is on a screen once a frame counts at least k votes. Only that number
//! is read from a frame (a snapshot holds it; a delta holds it when it changed).
//!
//! Env: `BASE_URL`, `ADMIN_EMAIL`, `ADMIN_PASSWORD`, `PHONES` (1,000), `QUESTIONS` (10), `RATE`
//! (500), `WATCHERS` (1,000).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use poll_load::{AdminPoll, Error, percentile, read_response};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A made-up address for phone `n`.
fn phone_address(n: u64) -> String {
    format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255)
}

/// A connection from one of 16 loopback source addresses (ephemeral ports for thousands).
async fn connect_from(n: u64, addr: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from(([127, 0, 0, 2 + (n % 16) as u8], 0)))?;
    let stream = socket.connect(addr).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// One request on a connection of its own: its status and the response head (for Set-Cookie).
async fn request(addr: SocketAddr, phone: u64, head: String) -> Result<(u16, String), Error> {
    let mut stream = connect_from(phone, addr).await?;
    stream.write_all(head.as_bytes()).await?;
    let mut buffer = Vec::with_capacity(1024);
    let (status, _) = read_response(&mut stream, &mut buffer).await?;
    let end = buffer.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(buffer.len());
    Ok((status, String::from_utf8_lossy(&buffer[..end]).into_owned()))
}

fn head(method: &str, path: &str, addr: SocketAddr, phone: u64, cookie: &str, body: &str) -> String {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nX-Forwarded-For: {}\r\nCookie: {cookie}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        phone_address(phone),
        body.len()
    )
}

/// Follows the stream until `closed`: when each frame that counts the votes came, and its count.
async fn watch(
    addr: SocketAddr,
    path: String,
    n: u64,
    ready: Arc<tokio::sync::Barrier>,
) -> Result<Vec<(Instant, u64)>, Error> {
    let mut stream = connect_from(n, addr).await?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nX-Forwarded-For: {}\r\nAccept: text/event-stream\r\n\r\n",
        phone_address(1_000_000 + n)
    );
    stream.write_all(request.as_bytes()).await?;
    let (mut buffer, mut seen, mut waited) = (Vec::<u8>::new(), Vec::new(), false);
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Err("stream ended before the poll closed".into());
        }
        buffer.extend_from_slice(&chunk[..read]);
        while let Some(end) = buffer.windows(2).position(|w| w == b"\n\n") {
            let block: Vec<u8> = buffer.drain(..end + 2).collect();
            let text = String::from_utf8_lossy(&block);
            let Some(start) = text.find("event: ") else { continue };
            let text = &text[start..];
            let name = text["event: ".len()..].split('\n').next().unwrap_or_default();
            let votes = text
                .split_once("total_votes\":")
                .and_then(|(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|n| n.parse().ok());
            if let Some(votes) = votes {
                seen.push((Instant::now(), votes));
            }
            if name == "snapshot" && !waited {
                waited = true;
                ready.wait().await;
            }
            if name == "closed" {
                return Ok(seen);
            }
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let base = std::env::var("BASE_URL").unwrap_or_else(|_| "http://127.0.0.1:18082".to_owned());
    let (phones, questions, rate, watchers) =
        (env_u64("PHONES", 1_000), env_u64("QUESTIONS", 10), env_u64("RATE", 500), env_u64("WATCHERS", 1_000));
    let addr: SocketAddr = base.trim_start_matches("http://").parse()?;
    let definition = json!({"title": "Q&A load", "qa_mode": "post_moderated",
        "questions": [{"kind": "choice", "text": "Here?", "options": ["Yes", "No"]}]});
    let poll = AdminPoll::open(&base, "bench@example.org", &definition).await?;
    let slug = poll.slug.clone();
    let asks = format!("/api/polls/{slug}/audience-questions");

    // Every phone's device cookie (its first request gets one), then the questions, asked by the
    // first phones.
    let mut cookies = Vec::with_capacity(phones as usize);
    for phone in 0..phones {
        let (status, response) =
            request(addr, phone, head("GET", &format!("{asks}/mine"), addr, phone, "", "")).await?;
        let cookie = response
            .lines()
            .find_map(|l| l.strip_prefix("set-cookie: ").or_else(|| l.strip_prefix("Set-Cookie: ")))
            .and_then(|c| c.split(';').next())
            .ok_or(format!("phone {phone}: no device cookie ({status})"))?;
        cookies.push(cookie.to_owned());
    }
    let mut ids = Vec::with_capacity(questions as usize);
    for q in 0..questions {
        let body = format!(r#"{{"text":"Question number {q} from the floor?"}}"#);
        let (status, _) =
            request(addr, q, head("POST", &asks, addr, q, &cookies[q as usize % cookies.len()], &body)).await?;
        if status != 201 {
            return Err(format!("asking question {q}: {status}").into());
        }
        ids.push(q);
    }
    let client = reqwest::Client::new();
    let results: Value = client.get(format!("{base}/api/polls/{slug}/results")).send().await?.json().await?;
    let ids: Vec<i64> =
        results["qa"]["questions"].as_array().ok_or("no qa")?.iter().filter_map(|q| q["id"].as_i64()).collect();

    let ready = Arc::new(tokio::sync::Barrier::new(watchers as usize + 1));
    let mut readers = Vec::new();
    for n in 0..watchers {
        readers.push(tokio::spawn(watch(addr, format!("/api/polls/{slug}/results/stream"), n, ready.clone())));
    }
    ready.wait().await;
    eprintln!("{watchers} watchers have their snapshot; {} questions", ids.len());

    // Open loop: vote i is phone i % phones voting for question i / phones.
    let total = phones * ids.len() as u64;
    let cookies = Arc::new(cookies);
    let start = tokio::time::Instant::now();
    let started = Instant::now();
    let mut sent = Vec::with_capacity(total as usize);
    for i in 0..total {
        tokio::time::sleep_until(start + Duration::from_secs_f64(i as f64 / rate as f64)).await;
        let (phone, question) = (i % phones, ids[(i / phones) as usize]);
        let cookies = cookies.clone();
        let path = format!("{asks}/{question}/vote");
        sent.push(tokio::spawn(async move {
            let at = Instant::now();
            let status = request(addr, phone, head("PUT", &path, addr, phone, &cookies[phone as usize], ""))
                .await
                .map_or(0, |(status, _)| status);
            (at, Instant::now(), status)
        }));
    }
    let mut replies = Vec::with_capacity(sent.len());
    for task in sent {
        replies.push(task.await?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    poll.set_open(false).await?;
    let mut seen_by = Vec::new();
    for reader in readers {
        seen_by.push(reader.await??);
    }

    replies.sort_by_key(|r| r.1);
    let ok: Vec<_> = replies.iter().filter(|r| r.2 == 204).collect();
    let mut latencies = Vec::with_capacity(ok.len() * seen_by.len());
    for seen in &seen_by {
        let mut at = 0;
        for (rank, (sent_at, _, _)) in ok.iter().enumerate() {
            while at < seen.len() && seen[at].1 < rank as u64 + 1 {
                at += 1;
            }
            if let Some((when, _)) = seen.get(at) {
                latencies.push(when.saturating_duration_since(*sent_at).as_secs_f64() * 1e3);
            }
        }
    }
    latencies.sort_by(f64::total_cmp);
    let mut reply_ms: Vec<f64> = ok.iter().map(|(s, r, _)| r.duration_since(*s).as_secs_f64() * 1e3).collect();
    reply_ms.sort_by(f64::total_cmp);
    let results: Value = client.get(format!("{base}/api/polls/{slug}/results")).send().await?.json().await?;
    let stored: i64 =
        results["qa"]["questions"].as_array().ok_or("no qa")?.iter().filter_map(|q| q["votes"].as_i64()).sum();
    let last_all = seen_by.iter().all(|seen| seen.last().map(|s| s.1) == Some(ok.len() as u64));
    poll.delete().await?;
    println!(
        "| {phones} phones × {} questions, open loop {rate}/s, new connection per vote | {watchers} | {} in {elapsed:.1} s = **{:.0}/s** | {} | {:.1} / {:.1} ms | {:.0} / {:.0} / {:.0} ms | {stored} stored, {} 2xx, screens' last {} |",
        ids.len(),
        replies.len(),
        ok.len() as f64 / elapsed,
        replies.len() - ok.len(),
        percentile(&reply_ms, 0.5),
        percentile(&reply_ms, 0.99),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(f64::NAN),
        ok.len(),
        if last_all { "= stored" } else { "≠ stored" },
    );
    if stored != ok.len() as i64 || !last_all {
        eprintln!("MISMATCH: stored {stored}, 2xx {}, every screen's last frame counts them: {last_all}", ok.len());
    }
    Ok(())
}
