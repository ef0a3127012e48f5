//! What a screen costs the api: `CLIENTS` simulated browsers open one kind of page of a
//! presenter-paced poll and hold it while votes arrive at a steady rate; the api's CPU time
//! (`/proc/<pid>/stat` utime + stime) and resident memory are read around each step. One run is
//! one kind of page (`PAGE`), on an api process of its own (bench/embeds-vs-views.sh runs them
//! in turn and compares):
//!
//! - `embed`: the per-question embed a deck frames, `/embed/polls/{slug}/q1` (embed-poll.js);
//! - `audience`: the projector's audience view, `/polls/{slug}?present=1` (poll.js →
//!   audience-view.js);
//! - `none`: no screen at all, the votes alone (the baseline the others are measured over).
//!
//! Each browser makes the requests its page makes, read from the page itself: the HTML, every
//! script and stylesheet it names and every module those scripts import (one kept-alive
//! connection, `Accept-Encoding` as Chromium sends it), then the page's API calls (the embed:
//! `GET /api/polls/{slug}`; the audience view: that and `GET /api/auth/session`, which a projector
//! without a session gets a 401 for), then its results stream on a connection of its own, held
//! until the poll closes. Every browser has an address of its own (`X-Forwarded-For`), as an
//! audience behind a load balancer does. Votes: open loop, each a new participant on a new
//! connection, answering the open question (q1).
//!
//! Env: `BASE_URL`, `ADMIN_EMAIL`, `ADMIN_PASSWORD`, `API_PID`, `PAGE`, `CLIENTS` (1000), `RATE`
//! (votes/s, 100), `SECONDS` (30), `CLK_TCK` (`getconf CLK_TCK`, 100). Prints one line of
//! `key=value` figures for the script.

use std::collections::{BTreeSet, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use poll_load::{AdminPoll, Error, address_of, cpu_seconds, env, read_response, rss_mb};

/// The same-site files a page or script names: `src="/…"` / `href="/…"` in HTML, `from "./…"`
/// in a module (resolved against the module's folder).
fn named_files(body: &str, at: &str) -> Vec<String> {
    let folder = &at[..at.rfind('/').map_or(0, |i| i + 1)];
    let mut found = Vec::new();
    for marker in ["src=\"", "href=\"", "from \""] {
        let mut rest = body;
        while let Some(i) = rest.find(marker) {
            rest = &rest[i + marker.len()..];
            let Some(end) = rest.find('"') else { break };
            let target = &rest[..end];
            if let Some(relative) = target.strip_prefix("./") {
                found.push(format!("{folder}{relative}"));
            } else if target.starts_with('/') && !target.starts_with("//") {
                found.push(target.to_owned());
            }
        }
    }
    found
}

/// Every request a page makes before its stream, in order: the page, then each file it names,
/// breadth first, each once.
async fn page_requests(base: &str, page: &str) -> Result<Vec<String>, Error> {
    let client = reqwest::Client::new();
    let mut order = vec![page.to_owned()];
    let mut seen: BTreeSet<String> = order.iter().cloned().collect();
    let mut queue = VecDeque::from([page.to_owned()]);
    while let Some(path) = queue.pop_front() {
        let body = client.get(format!("{base}{path}")).send().await?.error_for_status()?.text().await?;
        let is_markup = path == page;
        let is_module = std::path::Path::new(&path).extension().is_some_and(|e| e == "js") && path.starts_with("/js/");
        if !is_markup && !is_module {
            continue;
        }
        for file in named_files(&body, path.split('?').next().unwrap_or_default()) {
            if seen.insert(file.clone()) {
                order.push(file.clone());
                queue.push_back(file);
            }
        }
    }
    Ok(order)
}

/// Reads one response (Content-Length or chunked body) off a kept-alive connection; its status
/// and body size.
async fn read_whole(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Result<(u16, usize), Error> {
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err("connection closed before a response".into());
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
    let status: u16 = head.get(9..12).and_then(|s| s.parse().ok()).ok_or("no status")?;
    buffer.drain(..head_end + 4);
    let length = head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse().ok());
    if let Some(length) = length {
        while buffer.len() < length {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Err("connection closed mid-body".into());
            }
            buffer.extend_from_slice(&chunk[..n]);
        }
        buffer.drain(..length);
        return Ok((status, length));
    }
    if !head.contains("transfer-encoding: chunked") {
        return Ok((status, 0));
    }
    let mut size = 0;
    loop {
        let line_end = loop {
            if let Some(end) = buffer.windows(2).position(|w| w == b"\r\n") {
                break end;
            }
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Err("connection closed mid-chunk".into());
            }
            buffer.extend_from_slice(&chunk[..n]);
        };
        let line = String::from_utf8_lossy(&buffer[..line_end]).to_string();
        let length = usize::from_str_radix(line.split(';').next().unwrap_or_default().trim(), 16)?;
        // The chunk, then its CRLF (the last chunk, of size 0, ends with the blank line).
        while buffer.len() < line_end + 2 + length + 2 {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Err("connection closed mid-chunk".into());
            }
            buffer.extend_from_slice(&chunk[..n]);
        }
        buffer.drain(..line_end + 2 + length + 2);
        size += length;
        if length == 0 {
            return Ok((status, size));
        }
    }
}

/// What one browser did: bytes read while opening, its non-2xx answers (a 401 for the session
/// check is the page's own), the frames it got after its snapshot while the votes came.
#[derive(Default)]
struct Browser {
    opened_bytes: usize,
    refused: Vec<(String, u16)>,
    frames: u64,
    frame_bytes: u64,
}

/// Opens one page as a browser would, then holds its results stream until the poll closes.
async fn browse(
    addr: SocketAddr,
    n: u64,
    (requests, stream_path): (Arc<Vec<String>>, Arc<str>),
    opened: Arc<tokio::sync::Barrier>,
    counting: Arc<AtomicU64>,
) -> Result<Browser, Error> {
    let mut browser = Browser::default();
    let from = address_of(n);
    let mut connection = TcpStream::connect(addr).await?;
    connection.set_nodelay(true)?;
    let mut buffer = Vec::with_capacity(64 * 1024);
    for path in requests.iter() {
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nX-Forwarded-For: {from}\r\nAccept-Encoding: gzip, deflate, br, zstd\r\nConnection: keep-alive\r\n\r\n"
        );
        connection.write_all(request.as_bytes()).await?;
        let (status, size) = read_whole(&mut connection, &mut buffer).await?;
        browser.opened_bytes += size;
        if !(200..300).contains(&status) {
            browser.refused.push((path.clone(), status));
        }
    }
    drop(connection);
    let mut stream = TcpStream::connect(addr).await?;
    let request = format!(
        "GET {stream_path} HTTP/1.1\r\nHost: {addr}\r\nX-Forwarded-For: {from}\r\nAccept: text/event-stream\r\nAccept-Encoding: gzip, deflate, br, zstd\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let (mut pending, mut snapshot) = (Vec::<u8>::new(), false);
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err("stream ended before the poll closed".into());
        }
        pending.extend_from_slice(&chunk[..n]);
        while let Some(end) = pending.windows(2).position(|w| w == b"\n\n") {
            let block: Vec<u8> = pending.drain(..end + 2).collect();
            let text = String::from_utf8_lossy(&block);
            let Some(start) = text.find("event: ") else { continue };
            let name = text[start + "event: ".len()..].split('\n').next().unwrap_or_default();
            if !snapshot {
                snapshot = true;
                browser.opened_bytes += block.len();
                opened.wait().await;
                continue;
            }
            if name == "closed" {
                return Ok(browser);
            }
            // Frames while the votes come (the window the CPU time is read over).
            if counting.load(Ordering::Relaxed) == 1 {
                browser.frames += 1;
                browser.frame_bytes += (block.len() - start) as u64;
            }
        }
    }
}

/// One vote on a connection of its own, answering q1; its status (0 if the connection failed).
async fn vote(addr: SocketAddr, path: &str, i: u64) -> u16 {
    let attempt = async {
        let mut stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let body = format!(
            r#"{{"client_token":"embed-load-{i:09}","answers":[{{"var_name":"q1","response_index":{}}}]}}"#,
            i % 3
        );
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nX-Forwarded-For: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            address_of(1_000_000 + i),
            body.len()
        );
        stream.write_all(request.as_bytes()).await?;
        Ok::<u16, Error>(read_response(&mut stream, &mut Vec::with_capacity(512)).await?.0)
    };
    attempt.await.unwrap_or(0)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let base = env("BASE_URL", "http://127.0.0.1:18086");
    let page = env("PAGE", "embed");
    let clients: u64 = env("CLIENTS", "1000").parse()?;
    let rate: u64 = env("RATE", "100").parse()?;
    let seconds: u64 = env("SECONDS", "30").parse()?;
    let pid: u32 = env("API_PID", "0").parse()?;
    let ticks: f64 = env("CLK_TCK", "100").parse()?;
    let addr: SocketAddr = base.trim_start_matches("http://").parse()?;

    let definition = json!({"title": "Embeds vs views", "pacing": "presenter", "questions": [
        {"kind": "choice", "text": "Where are you joining from?", "options": ["Here", "Online", "Elsewhere"]},
        {"var_name": "pid3", "response_indices": [0, 1, 2, 3]},
        {"var_name": "perf_judicial_ind"}
    ]});
    let poll = AdminPoll::open(&base, "bench@example.org", &definition).await?;
    let slug = poll.slug.clone();
    let (page_path, api_calls): (String, Vec<String>) = match page.as_str() {
        "embed" => (format!("/embed/polls/{slug}/q1"), vec![format!("/api/polls/{slug}")]),
        "audience" => {
            (format!("/polls/{slug}?present=1"), vec![format!("/api/polls/{slug}"), "/api/auth/session".to_owned()])
        }
        "none" => (String::new(), Vec::new()),
        other => return Err(format!("PAGE is embed, audience or none, not {other}").into()),
    };
    let (clients, mut requests) =
        if page == "none" { (0, Vec::new()) } else { (clients, page_requests(&base, &page_path).await?) };
    requests.extend(api_calls);
    let requests = Arc::new(requests);
    let stream_path: Arc<str> = Arc::from(format!("/api/polls/{slug}/results/stream"));

    // Opening: every browser's requests, until each holds its first snapshot.
    let (cpu_start, rss_start) = (cpu_seconds(pid, ticks), rss_mb(&[pid]));
    let opened = Arc::new(tokio::sync::Barrier::new(usize::try_from(clients)? + 1));
    let counting = Arc::new(AtomicU64::new(0));
    let open_started = Instant::now();
    let mut browsers = Vec::new();
    for n in 0..clients {
        let job = (requests.clone(), stream_path.clone());
        browsers.push(tokio::spawn(browse(addr, n, job, opened.clone(), counting.clone())));
    }
    opened.wait().await;
    let open_seconds = open_started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (cpu_opened, rss_holding) = (cpu_seconds(pid, ticks), rss_mb(&[pid]));

    // Holding through a steady stream of votes (open loop).
    counting.store(1, Ordering::Relaxed);
    let votes_path: Arc<str> = Arc::from(format!("/api/polls/{slug}/responses"));
    let started = tokio::time::Instant::now();
    let mut sent = Vec::new();
    let mut peak_rss = rss_holding;
    for i in 0..rate * seconds {
        tokio::time::sleep_until(started + Duration::from_secs_f64(i as f64 / rate as f64)).await;
        if i % rate == 0 {
            peak_rss = peak_rss.max(rss_mb(&[pid]));
        }
        let path = votes_path.clone();
        sent.push(tokio::spawn(async move { vote(addr, &path, i).await }));
    }
    let mut accepted = 0u64;
    for task in sent {
        if matches!(task.await, Ok(status) if (200..300).contains(&status)) {
            accepted += 1;
        }
    }
    // The last votes' frames.
    tokio::time::sleep(Duration::from_millis(500)).await;
    counting.store(2, Ordering::Relaxed);
    let vote_seconds = started.elapsed().as_secs_f64();
    let cpu_voted = cpu_seconds(pid, ticks);
    peak_rss = peak_rss.max(rss_mb(&[pid]));

    poll.set_open(false).await?;
    let (mut frames, mut frame_bytes, mut opened_bytes, mut failed) = (0u64, 0u64, 0usize, 0u64);
    let mut refusals = BTreeSet::new();
    for browser in browsers {
        match browser.await? {
            Ok(b) => {
                frames += b.frames;
                frame_bytes += b.frame_bytes;
                opened_bytes += b.opened_bytes;
                for (path, status) in b.refused {
                    refusals.insert(format!("{status}:{}", path.replace(&slug, "{slug}")));
                }
            }
            Err(error) => {
                failed += 1;
                eprintln!("a browser failed: {error}");
            }
        }
    }
    poll.delete().await?;
    let refusals: Vec<String> = refusals.into_iter().collect();
    println!(
        "page={page} clients={clients} requests_per_client={} opened_bytes_per_client={:.0} open_seconds={open_seconds:.2} open_cpu_ms={:.0} rss_start_mb={rss_start:.1} rss_holding_mb={rss_holding:.1} rss_peak_mb={peak_rss:.1} votes_sent={} votes_2xx={accepted} vote_seconds={vote_seconds:.1} deliveries={frames} delivered_bytes={frame_bytes} vote_cpu_ms={:.0} failed_browsers={failed} refused={}",
        if clients == 0 { 0 } else { requests.len() + 1 },
        if clients == 0 { 0.0 } else { opened_bytes as f64 / clients as f64 },
        (cpu_opened - cpu_start) * 1e3,
        rate * seconds,
        (cpu_voted - cpu_opened) * 1e3,
        if refusals.is_empty() { "none".to_owned() } else { refusals.join(",") },
    );
    Ok(())
}
