//! Live-poll load driver, against api processes on loopback. One run is one scenario:
//!
//! 1. logs in as an admin, creates and opens a poll (with `--paced`, a presenter-paced poll whose
//!    open question is the presenter's own choice question: each vote answers that one question);
//! 2. opens `--watchers` SSE streams of its results (each its own connection, on `WATCH_URL`);
//! 3. votes, each vote a new participant, either open loop (`--rate` votes/s for `--seconds`,
//!    each vote on a new TCP connection, as phones do) or closed loop (`--closed C`: C voters,
//!    each sending its next vote when the last is answered, on one kept-alive connection each,
//!    or with `--new-connections` on a new connection per vote);
//! 4. closes the poll and checks stored respondents = 2xx replies = every watcher's last total;
//! 5. prints one Markdown table row of figures.
//!
//! Every simulated phone has an address of its own, sent as `X-Forwarded-For` (the api trusts a
//! proxy on loopback by default), as an audience behind a load balancer arrives: per-address
//! limits then apply per phone, as they would in the hall.
//!
//! HTTP is spoken by hand over tokio sockets (HTTP/1.1, a few lines): a client library per
//! connection would cost the driver more CPU than the api, and the driver shares the machine.
//!
//! Env: `BASE_URL` (votes and admin), `WATCH_URL` (watchers; default `BASE_URL`), `ADMIN_EMAIL`,
//! `ADMIN_PASSWORD`, `API_PIDS` (space-separated, for peak RSS).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use poll_load::{AdminPoll, Error, percentile, read_response};

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// `--name value` from the command line.
fn flag(name: &str) -> Option<u64> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok())
}

fn switch(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

fn address(url: &str) -> Result<SocketAddr, Error> {
    let host = url.trim_start_matches("http://").split('/').next().unwrap_or_default();
    Ok(host.parse()?)
}

/// A made-up address for phone `n` (10.0.0.0/8 holds 16 million).
fn phone_address(n: u64) -> String {
    format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255)
}

/// The phone a token belongs to: tokens end in the vote's number.
fn phone_of(token: &str) -> u64 {
    token
        .bytes()
        .rev()
        .take_while(u8::is_ascii_digit)
        .fold((0, 1), |(n, place), d| (n + u64::from(d - b'0') * place, place * 10))
        .0
}

/// Whether the poll is presenter-paced (set once, from `--paced`).
static PACED: OnceLock<bool> = OnceLock::new();

fn ballot_request(path: &str, host: &str, token: &str, keep_alive: bool) -> Vec<u8> {
    let party = token.len() % 4;
    let body = if PACED.get().copied().unwrap_or(false) {
        // One answer per request: the question the presenter has open.
        let place = phone_of(token) % 3;
        format!(r#"{{"client_token":"{token}","answers":[{{"var_name":"q1","response_index":{place}}}]}}"#)
    } else {
        format!(
            r#"{{"client_token":"{token}","answers":[{{"var_name":"pid3","response_index":{party}}},{{"var_name":"perf_judicial_ind","response_index":3}}]}}"#
        )
    };
    let connection = if keep_alive { "keep-alive" } else { "close" };
    format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nX-Forwarded-For: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: {connection}\r\n\r\n{body}",
        phone_address(phone_of(token)),
        body.len()
    )
    .into_bytes()
}

/// One vote on a connection of its own; its status (0 if the connection failed).
async fn vote_new_connection(addr: SocketAddr, path: &str, token: &str) -> u16 {
    let attempt = async {
        let mut stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        stream.write_all(&ballot_request(path, &addr.to_string(), token, false)).await?;
        let (status, _) = read_response(&mut stream, &mut Vec::with_capacity(512)).await?;
        Ok::<u16, Error>(status)
    };
    attempt.await.unwrap_or(0)
}

/// One update seen by one watcher: when, and how many respondents it counted.
#[derive(Clone, Copy)]
struct Seen {
    at: Instant,
    respondents: u64,
    /// The frame's bytes as sent (event, id and data lines).
    bytes: usize,
}

/// A connection from one of 16 loopback source addresses (127.0.0.2–17), so that 15,000 watchers
/// and a stream of votes do not run out of one address's ephemeral ports.
async fn connect_from(phone: u64, addr: SocketAddr) -> std::io::Result<TcpStream> {
    if !addr.ip().is_loopback() || !addr.is_ipv4() {
        return TcpStream::connect(addr).await;
    }
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from(([127, 0, 0, 2 + (phone % 16) as u8], 0)))?;
    socket.connect(addr).await
}

/// Watches the results stream until `closed`; returns what it saw and the last total.
async fn watch(
    addr: SocketAddr,
    path: String,
    phone: u64,
    ready: Arc<tokio::sync::Barrier>,
) -> Result<(Vec<Seen>, u64), Error> {
    let mut stream = connect_from(phone, addr).await?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nX-Forwarded-For: {}\r\nAccept: text/event-stream\r\n\r\n",
        phone_address(phone)
    );
    stream.write_all(request.as_bytes()).await?;
    let (mut buffer, mut seen, mut waited) = (Vec::<u8>::new(), Vec::new(), false);
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err("stream ended before the poll closed".into());
        }
        buffer.extend_from_slice(&chunk[..n]);
        // Frames are `event: …\ndata: …\n\n`; chunked-encoding lines fall between frames.
        while let Some(end) = buffer.windows(2).position(|w| w == b"\n\n") {
            let block: Vec<u8> = buffer.drain(..end + 2).collect();
            let text = String::from_utf8_lossy(&block);
            let Some(start) = text.find("event: ") else { continue };
            let at = Instant::now();
            let text = &text[start..];
            let name = text["event: ".len()..].split('\n').next().unwrap_or_default();
            // Only the count is needed per event: a full parse would make the driver the bottleneck.
            // A snapshot says `"respondents":`, and so does a delta when the total changed.
            let respondents = text
                .split_once("respondents\":")
                .and_then(|(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| seen.last().map_or(0, |s: &Seen| s.respondents));
            seen.push(Seen { at, respondents, bytes: block.len() - start });
            if name == "snapshot" && !waited {
                waited = true;
                ready.wait().await;
            }
            if name == "closed" {
                return Ok((seen, respondents));
            }
        }
    }
}

/// Resident set size now, in MB, summed over `pids`.
fn rss_mb(pids: &[u32]) -> f64 {
    pids.iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/status")).ok())
        .filter_map(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        })
        .sum::<f64>()
        / 1024.0
}

/// A vote: sent, answered, status.
type Reply = (Instant, Instant, u16);

async fn open_loop(addr: SocketAddr, path: Arc<str>, rate: u64, seconds: u64) -> Vec<Reply> {
    let total = rate * seconds;
    let start = tokio::time::Instant::now();
    let mut sent = Vec::with_capacity(total as usize);
    for i in 0..total {
        tokio::time::sleep_until(start + Duration::from_secs_f64(i as f64 / rate as f64)).await;
        let path = path.clone();
        sent.push(tokio::spawn(async move {
            let at = Instant::now();
            let status = vote_new_connection(addr, &path, &format!("open-token-{i:09}")).await;
            (at, Instant::now(), status)
        }));
    }
    let mut replies = Vec::with_capacity(sent.len());
    for task in sent {
        if let Ok(reply) = task.await {
            replies.push(reply);
        }
    }
    replies
}

async fn closed_loop(addr: SocketAddr, path: Arc<str>, voters: u64, seconds: u64, new_connections: bool) -> Vec<Reply> {
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for v in 0..voters {
        let path = path.clone();
        tasks.push(tokio::spawn(async move {
            let mut replies = Vec::new();
            let mut connection: Option<TcpStream> = None;
            let mut buffer = Vec::with_capacity(512);
            let mut i = 0u64;
            while Instant::now() < until {
                let token = format!("closed-{v:03}-{i:09}");
                i += 1;
                let at = Instant::now();
                if new_connections {
                    let status = vote_new_connection(addr, &path, &token).await;
                    replies.push((at, Instant::now(), status));
                    continue;
                }
                let attempt = async {
                    if connection.is_none() {
                        let stream = TcpStream::connect(addr).await?;
                        stream.set_nodelay(true)?;
                        connection = Some(stream);
                    }
                    let stream = connection.as_mut().ok_or("no connection")?;
                    stream.write_all(&ballot_request(&path, &addr.to_string(), &token, true)).await?;
                    Ok::<u16, Error>(read_response(stream, &mut buffer).await?.0)
                };
                let status = attempt.await.unwrap_or_else(|_| {
                    connection = None;
                    0
                });
                replies.push((at, Instant::now(), status));
            }
            replies
        }));
    }
    let mut replies = Vec::new();
    for task in tasks {
        if let Ok(mut r) = task.await {
            replies.append(&mut r);
        }
    }
    replies
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let base = env("BASE_URL", "http://127.0.0.1:18082");
    let watch_base = env("WATCH_URL", &base);
    let watchers = flag("--watchers").unwrap_or(0) as usize;
    let seconds = flag("--seconds").unwrap_or(10);
    let api_pids: Vec<u32> = env("API_PIDS", "").split_whitespace().filter_map(|p| p.parse().ok()).collect();

    let client = reqwest::Client::new();
    let paced = *PACED.get_or_init(|| switch("--paced"));
    let definition = if paced {
        json!({"title": "Load test, paced", "pacing": "presenter", "split_by": "q1", "questions": [
            {"kind": "choice", "text": "Where are you joining from?", "options": ["Here", "Online", "Elsewhere"]},
            {"var_name": "pid3", "response_indices": [0, 1, 2, 3]},
            {"var_name": "perf_judicial_ind"}
        ]})
    } else {
        json!({"title": "Load test", "questions": [{"var_name": "pid3", "response_indices": [0, 1, 2, 3]}, {"var_name": "perf_judicial_ind"}], "split_by": "pid3"})
    };
    let poll = AdminPoll::open(&base, "bench@example.org", &definition).await?;
    let slug = poll.slug.clone();

    let ready = Arc::new(tokio::sync::Barrier::new(watchers + 1));
    let watch_addr = address(&watch_base)?;
    let mut readers = Vec::with_capacity(watchers);
    for phone in 0..watchers as u64 {
        let path = format!("/api/polls/{slug}/results/stream");
        readers.push(tokio::spawn(watch(watch_addr, path, phone, ready.clone())));
    }
    ready.wait().await;
    eprintln!("{watchers} watchers have their snapshot");

    // Peak RSS while voting, sampled every 100 ms.
    let peak_rss = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (peak, pids) = (peak_rss.clone(), api_pids.clone());
        tokio::spawn(async move {
            loop {
                peak.fetch_max((rss_mb(&pids) * 10.0) as u64, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let vote_addr = address(&base)?;
    let path: Arc<str> = Arc::from(format!("/api/polls/{slug}/responses"));
    let started = Instant::now();
    let (mode, replies) = match (flag("--rate"), flag("--closed")) {
        (Some(rate), _) => {
            (format!("open loop {rate}/s, new connection per vote"), open_loop(vote_addr, path, rate, seconds).await)
        }
        (None, Some(voters)) => {
            let new = switch("--new-connections");
            let how = if new { "a new connection per vote" } else { "kept-alive connections" };
            (format!("closed loop, {voters} voters, {how}"), closed_loop(vote_addr, path, voters, seconds, new).await)
        }
        (None, None) => return Err("give --rate R or --closed C".into()),
    };
    let mode = if paced { format!("presenter-paced, one answer per request; {mode}") } else { mode };
    let elapsed = started.elapsed().as_secs_f64();
    sampler.abort();
    tokio::time::sleep(Duration::from_millis(500)).await;
    poll.set_open(false).await?;
    let mut seen_by = Vec::with_capacity(watchers);
    let mut last_totals = Vec::with_capacity(watchers);
    for reader in readers {
        let (seen, last) = reader.await??;
        seen_by.push(seen);
        last_totals.push(last);
    }

    // Vote-to-event latency: the k-th vote to be answered is in an event once it counts ≥ k.
    let mut replies = replies;
    replies.sort_by_key(|r| r.1);
    let ok: Vec<&Reply> = replies.iter().filter(|r| (200..300).contains(&r.2)).collect();
    let mut latencies = Vec::with_capacity(ok.len() * seen_by.len().max(1));
    for seen in &seen_by {
        let mut at = 0;
        for (rank, (sent_at, _, _)) in ok.iter().enumerate() {
            while at < seen.len() && seen[at].respondents < rank as u64 + 1 {
                at += 1;
            }
            if let Some(event) = seen.get(at) {
                latencies.push(event.at.saturating_duration_since(*sent_at).as_secs_f64() * 1e3);
            }
        }
    }
    latencies.sort_by(f64::total_cmp);
    let mut reply_ms: Vec<f64> = ok.iter().map(|(s, r, _)| r.duration_since(*s).as_secs_f64() * 1e3).collect();
    reply_ms.sort_by(f64::total_cmp);
    let results: Value = client.get(format!("{base}/api/polls/{slug}/results")).send().await?.json().await?;
    let stored = results["respondents"].as_u64().unwrap_or(0);
    let all_last_equal = last_totals.iter().all(|&t| t == stored);
    let failed = replies.len() - ok.len();
    poll.delete().await?;

    let latency = if watchers == 0 {
        "—".to_owned()
    } else {
        format!(
            "{:.0} / {:.0} / {:.0} ms",
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.99),
            latencies.last().copied().unwrap_or(f64::NAN)
        )
    };
    // Bytes per frame after the first (the snapshot on connect): what a watcher reads per update.
    let mut frame_bytes: Vec<f64> =
        seen_by.iter().flat_map(|seen| seen.iter().skip(1)).map(|s| s.bytes as f64).collect();
    frame_bytes.sort_by(f64::total_cmp);
    let bytes = if frame_bytes.is_empty() {
        "—".to_owned()
    } else {
        format!("{:.0} / {:.0} B", percentile(&frame_bytes, 0.5), frame_bytes.last().copied().unwrap_or(f64::NAN))
    };
    let rss = if api_pids.is_empty() {
        "—".to_owned()
    } else {
        format!("{:.0} MB", peak_rss.load(Ordering::Relaxed) as f64 / 10.0)
    };
    println!(
        "| {mode} | {watchers} | {} in {elapsed:.1} s = **{:.0}/s** | {failed} | {:.1} / {:.1} ms | {latency} | {bytes} | {stored} stored, {} 2xx, watchers' last {} | {rss} |",
        replies.len(),
        ok.len() as f64 / elapsed,
        percentile(&reply_ms, 0.5),
        percentile(&reply_ms, 0.99),
        ok.len(),
        if watchers == 0 {
            "—"
        } else if all_last_equal {
            "= stored"
        } else {
            "≠ stored"
        },
    );
    if stored != ok.len() as u64 || !all_last_equal {
        eprintln!("MISMATCH: stored {stored}, 2xx {}, watchers' last totals equal: {all_last_equal}", ok.len());
    }
    Ok(())
}
