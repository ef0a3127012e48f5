//! The audience of `scripts/fleet-test.sh`: phones and screens reaching a fleet of api processes
//! through HAProxy while the script kills, restarts and partitions them. It reports, as
//! `fleet: ok|FAIL <check>` lines, whether anything a user would notice went wrong:
//!
//! - phones: each vote on a new connection, open loop (`RATE`/s for `VOTE_SECONDS`); a vote that
//!   fails (no answer, a reset, a 5xx) is sent again with the same `client_token`, with
//!   backoff and jitter, as the poll page does; every vote must end acknowledged, and the
//!   stored respondents must equal the tokens acknowledged (none lost, none counted twice);
//! - screens: `WATCHERS` event streams that behave as EventSource does — reconnecting after
//!   the server's `retry:` with `Last-Event-ID` — and must never see a total go down, and end
//!   with the stored total; after each SIGTERM the screens it cut reconnect spread over ≥ 1 s.
//!   Measured, not checked (performance goals are benchmarks, BENCHMARKS.md): vote → event
//!   latency outside the fault windows, and how soon the screens cut by a SIGTERM are back.
//!
//! Connections come from `SOURCES` loopback addresses (127.1.x.y): HAProxy counts per-address
//! allowances by source, as it would a hall of phones on many networks.
//!
//! Env: `PROXY` (HAProxy's host:port), `ADMIN_EMAIL`, `ADMIN_PASSWORD`, `FAULTS_FILE` (the
//! script's record: `window <label> <start ms> <end ms>`, `sigterm <ms>`, then `done`),
//! `WATCHERS`, `RATE`, `VOTE_SECONDS`, `SOURCES`.
//!
//! `fleet-audience relay LISTEN TARGET` forwards TCP connections instead: the api processes in
//! their network namespaces reach the host's PostgreSQL (listening on loopback only) through it.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use poll_load::{AdminPoll, Error, percentile, read_response};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Milliseconds since the epoch: the script's fault record uses the same clock.
fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// A few random bits from `seed` (xorshift): jitter needs no better.
fn jitter(seed: u64, below: u64) -> u64 {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x % below.max(1)
}

/// A connection to `proxy` from loopback source address number `source`.
async fn connect(proxy: SocketAddr, source: u64) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    let address = Ipv4Addr::new(127, 1, (source / 250) as u8, (source % 250) as u8 + 1);
    socket.bind(SocketAddr::from((address, 0)))?;
    let stream = socket.connect(proxy).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

// --- phones ---------------------------------------------------------------------------------

/// One phone's vote: when its acknowledged attempt was sent and answered, how many attempts.
#[derive(Debug, Clone, Copy, Default)]
struct Vote {
    acknowledged: Option<(u64, u64)>,
    attempts: u32,
    failures_5xx: u32,
    failures_connection: u32,
}

/// How long a phone keeps trying (the poll page gives up after as long).
const PHONE_PATIENCE: Duration = Duration::from_secs(60);

async fn phone(proxy: SocketAddr, path: Arc<str>, number: u64, sources: u64) -> Vote {
    let token = format!("fleet-phone-{number:08}");
    let party = number % 4;
    let body = format!(
        r#"{{"client_token":"{token}","answers":[{{"var_name":"pid3","response_index":{party}}},{{"var_name":"perf_judicial_ind","response_index":3}}]}}"#
    );
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {proxy}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let started = tokio::time::Instant::now();
    let mut vote = Vote::default();
    let mut backoff = 250u64;
    loop {
        vote.attempts += 1;
        let sent = now_ms();
        let attempt = async {
            let mut stream = connect(proxy, number % sources).await?;
            stream.write_all(request.as_bytes()).await?;
            Ok::<u16, Error>(read_response(&mut stream, &mut Vec::with_capacity(512)).await?.0)
        };
        match attempt.await {
            Ok(status) if (200..300).contains(&status) => {
                vote.acknowledged = Some((sent, now_ms()));
                return vote;
            }
            Ok(status) if status >= 500 => vote.failures_5xx += 1,
            // A refusal (4xx) is final: the poll page shows it and does not send again.
            Ok(status) => {
                eprintln!("phone {number}: refused with {status}");
                return vote;
            }
            Err(_) => vote.failures_connection += 1,
        }
        if started.elapsed() > PHONE_PATIENCE {
            return vote;
        }
        tokio::time::sleep(Duration::from_millis(backoff + jitter(number + u64::from(vote.attempts), backoff))).await;
        backoff = (backoff * 2).min(4_000);
    }
}

// --- screens --------------------------------------------------------------------------------

/// What one screen saw.
#[derive(Debug, Default)]
struct Screen {
    /// (ms, total) of every frame that carried a total, for the screens sampled for latency.
    frames: Vec<(u64, u64)>,
    keep_frames: bool,
    last_total: Option<u64>,
    decreases: u32,
    /// (stream ended at, next snapshot at, the server ended it cleanly — after its `retry:`).
    reconnects: Vec<(u64, u64, bool)>,
    /// Responses other than 200 to a reconnect.
    refused: u32,
    /// Streams that ended before their first snapshot (a resume the process could not confirm:
    /// `retry:` alone), and connections that failed before a response.
    unconfirmed: u32,
    failed: u32,
    snapshots: u32,
    saw_closed: bool,
}

/// Decodes an HTTP/1.1 chunked body as it arrives; `None` at its last chunk.
#[derive(Default)]
struct Chunked {
    raw: Vec<u8>,
}

impl Chunked {
    /// Moves every whole chunk's data into `out`; `Err` on a malformed body, `Ok(true)` at its end.
    fn decode(&mut self, out: &mut Vec<u8>) -> Result<bool, Error> {
        loop {
            let Some(line_end) = self.raw.windows(2).position(|w| w == b"\r\n") else { return Ok(false) };
            let size_text = String::from_utf8_lossy(&self.raw[..line_end]).to_string();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| format!("bad chunk size {size_text:?}"))?;
            if size == 0 {
                return Ok(true);
            }
            if self.raw.len() < line_end + 2 + size + 2 {
                return Ok(false);
            }
            out.extend_from_slice(&self.raw[line_end + 2..line_end + 2 + size]);
            self.raw.drain(..line_end + 2 + size + 2);
        }
    }
}

/// What a screen carries from one connection to the next, as EventSource does.
struct Follow {
    last_id: Option<String>,
    retry_ms: u64,
    /// When the last stream ended, and whether cleanly, until the next snapshot.
    ended_at: Option<(u64, bool)>,
}

/// One connection of a screen: until the stream ends (`Ok(clean end)`) or fails.
async fn stream_once(
    proxy: SocketAddr,
    path: &str,
    source: u64,
    follow: &mut Follow,
    screen: &Mutex<Screen>,
    (connected, stop): (&AtomicUsize, &AtomicBool),
) -> Result<bool, Error> {
    let Follow { last_id, retry_ms, ended_at } = follow;
    let mut stream = connect(proxy, source).await?;
    let resume = last_id.as_ref().map(|id| format!("Last-Event-ID: {id}\r\n")).unwrap_or_default();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {proxy}\r\nAccept: text/event-stream\r\n{resume}\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut buffer = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    let head_end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err("closed before a response".into());
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let status = String::from_utf8_lossy(&buffer[9..12.min(head_end)]).to_string();
    if status != "200" {
        screen.lock().unwrap_or_else(std::sync::PoisonError::into_inner).refused += 1;
        return Err(format!("status {status}").into());
    }
    let mut chunked = Chunked { raw: buffer.split_off(head_end + 4) };
    let (mut text, mut first) = (Vec::new(), true);
    loop {
        let finished = chunked.decode(&mut text)?;
        while let Some(end) = text.windows(2).position(|w| w == b"\n\n") {
            let block: Vec<u8> = text.drain(..end + 2).collect();
            let block = String::from_utf8_lossy(&block);
            let mut event = None;
            for line in block.lines() {
                if let Some(value) = line.strip_prefix("retry: ") {
                    *retry_ms = value.trim().parse().unwrap_or(*retry_ms);
                } else if let Some(value) = line.strip_prefix("id: ") {
                    *last_id = Some(value.to_owned());
                } else if let Some(value) = line.strip_prefix("event: ") {
                    event = Some(value.to_owned());
                }
            }
            let Some(event) = event else { continue };
            let at = now_ms();
            let total = block
                .split_once("\"respondents\":")
                .and_then(|(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|n| n.parse::<u64>().ok());
            let mut screen = screen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if event == "snapshot" {
                screen.snapshots += 1;
                if first {
                    first = false;
                    if screen.snapshots == 1 {
                        connected.fetch_add(1, Ordering::Relaxed);
                    }
                    if let Some((ended, clean)) = ended_at.take() {
                        screen.reconnects.push((ended, at, clean));
                    }
                }
            }
            if event == "closed" {
                screen.saw_closed = true;
            }
            // The poll's last frame once the audience is done: the screen is too.
            let last = event == "closed" && stop.load(Ordering::Relaxed);
            if let Some(total) = total {
                if screen.last_total.is_some_and(|last| total < last) {
                    screen.decreases += 1;
                    eprintln!("a screen saw the total go down: {:?} -> {total} ({event})", screen.last_total);
                }
                screen.last_total = Some(total);
                if screen.keep_frames {
                    screen.frames.push((at, total));
                }
            }
            if last {
                return Ok(true);
            }
        }
        if finished || stream_ended(&mut stream, &mut chunk, &mut chunked).await? {
            if first {
                screen.lock().unwrap_or_else(std::sync::PoisonError::into_inner).unconfirmed += 1;
            }
            return Ok(finished);
        }
    }
}

/// Reads more of the stream into `chunked`; `true` when the connection closed.
async fn stream_ended(stream: &mut TcpStream, chunk: &mut [u8], chunked: &mut Chunked) -> Result<bool, Error> {
    let n = stream.read(chunk).await?;
    chunked.raw.extend_from_slice(&chunk[..n]);
    Ok(n == 0)
}

/// A screen: connects, follows the stream, reconnects as EventSource does, until the poll has
/// closed and `stop` is set.
async fn screen(
    proxy: SocketAddr,
    path: Arc<str>,
    number: u64,
    sources: u64,
    screen: Arc<Mutex<Screen>>,
    stop: Arc<AtomicBool>,
    connected: Arc<AtomicUsize>,
) {
    // EventSource's own default until the server says otherwise.
    let mut follow = Follow { last_id: None, retry_ms: 3_000, ended_at: None };
    loop {
        let outcome = stream_once(proxy, &path, number % sources, &mut follow, &screen, (&connected, &stop)).await;
        let end = now_ms();
        if outcome.is_err() {
            screen.lock().unwrap_or_else(std::sync::PoisonError::into_inner).failed += 1;
        }
        let done = {
            let s = screen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            s.saw_closed && stop.load(Ordering::Relaxed)
        };
        if done {
            return;
        }
        // Recorded with the next snapshot: when this stream ended, and whether the server ended it.
        if follow.ended_at.is_none() {
            follow.ended_at = Some((end, matches!(outcome, Ok(true))));
        }
        tokio::time::sleep(Duration::from_millis(follow.retry_ms)).await;
    }
}

// --- the fault record -------------------------------------------------------------------------

#[derive(Debug, Default)]
struct Faults {
    windows: Vec<(String, u64, u64)>,
    sigterms: Vec<u64>,
}

async fn read_faults(path: &str) -> Result<Faults, Error> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(180);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.lines().any(|l| l.trim() == "done") {
            let mut faults = Faults::default();
            for line in text.lines() {
                let fields: Vec<&str> = line.split_whitespace().collect();
                match fields.as_slice() {
                    ["window", label, start, end] => {
                        faults.windows.push(((*label).to_owned(), start.parse()?, end.parse()?));
                    }
                    ["sigterm", at] => faults.sigterms.push(at.parse()?),
                    _ => {}
                }
            }
            return Ok(faults);
        }
        if tokio::time::Instant::now() > deadline {
            return Err(format!("{path} never said done").into());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

// --- the relay --------------------------------------------------------------------------------

async fn relay(listen: &str, target: &str) -> Result<(), Error> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let target: SocketAddr = target.parse()?;
    loop {
        let (mut inbound, _) = listener.accept().await?;
        tokio::spawn(async move {
            if let Ok(mut outbound) = TcpStream::connect(target).await {
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        });
    }
}

// --- the run ----------------------------------------------------------------------------------

struct Checks {
    passed: usize,
    failed: usize,
}

impl Checks {
    /// A performance figure: reported against its goal (BENCHMARKS.md), never a pass or a fail
    /// (a loaded machine must not turn the test red; a miss is written down instead).
    fn measure(&self, name: &str, goal_met: bool, detail: &str) {
        println!("fleet: measured {name}: {detail} ({})", if goal_met { "goal met" } else { "goal MISSED" });
    }

    fn check(&mut self, ok: bool, name: &str, detail: &str) {
        if ok {
            self.passed += 1;
            println!("fleet: ok   {name} ({detail})");
        } else {
            self.failed += 1;
            println!("fleet: FAIL {name} ({detail})");
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("relay") {
        let (Some(listen), Some(target)) = (args.get(2), args.get(3)) else {
            return Err("usage: fleet-audience relay LISTEN TARGET".into());
        };
        return relay(listen, target).await;
    }
    let proxy: SocketAddr = env_or("PROXY", "127.0.0.1:18300").parse()?;
    let base = format!("http://{proxy}");
    let (watchers, rate, seconds, sources) = (
        env_number("WATCHERS", 3_000),
        env_number("RATE", 1_000),
        env_number("VOTE_SECONDS", 60),
        env_number("SOURCES", 200),
    );
    let faults_file = env_or("FAULTS_FILE", "fleet-faults.txt");

    let client = reqwest::Client::new();
    let definition = json!({"title": "Fleet test", "questions": [{"var_name": "pid3", "response_indices": [0, 1, 2, 3]}, {"var_name": "perf_judicial_ind"}], "split_by": "pid3"});
    let poll = AdminPoll::open(&base, "fleet@example.org", &definition).await?;
    let slug = poll.slug.clone();

    // Screens first, each from its own source; a sample of them keeps every frame for latency.
    let stop = Arc::new(AtomicBool::new(false));
    let connected = Arc::new(AtomicUsize::new(0));
    let stream_path: Arc<str> = Arc::from(format!("/api/polls/{slug}/results/stream"));
    let sample_every = (watchers / 150).max(1);
    let mut screens = Vec::new();
    let mut screen_tasks = Vec::new();
    for number in 0..watchers {
        let log = Arc::new(Mutex::new(Screen { keep_frames: number % sample_every == 0, ..Screen::default() }));
        screens.push(log.clone());
        let (path, stop, connected) = (stream_path.clone(), stop.clone(), connected.clone());
        screen_tasks.push(tokio::spawn(screen(proxy, path, number, sources, log, stop, connected)));
        if number % 100 == 99 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while connected.load(Ordering::Relaxed) < watchers as usize && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "{} of {watchers} screens have their snapshot; voting at {rate}/s for {seconds} s",
        connected.load(Ordering::Relaxed)
    );
    // The script times its faults from this line.
    std::fs::write(format!("{faults_file}.started"), now_ms().to_string())?;

    let path: Arc<str> = Arc::from(format!("/api/polls/{slug}/responses"));
    let start = tokio::time::Instant::now();
    let mut phones = Vec::with_capacity((rate * seconds) as usize);
    for number in 0..rate * seconds {
        tokio::time::sleep_until(start + Duration::from_secs_f64(number as f64 / rate as f64)).await;
        phones.push(tokio::spawn(phone(proxy, path.clone(), number, sources)));
    }
    let mut votes = Vec::with_capacity(phones.len());
    for task in phones {
        votes.push(task.await.unwrap_or_default());
    }
    eprintln!("every phone is done after {:.1} s", start.elapsed().as_secs_f64());
    let faults = read_faults(&faults_file).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    poll.set_open(false).await?;
    // Every screen has its poll's `closed` frame within seconds; one still reconnecting is
    // read as it stands.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    for task in screen_tasks {
        let _ = tokio::time::timeout_at(deadline, task).await;
    }
    let results: Value = client.get(format!("{base}/api/polls/{slug}/results")).send().await?.json().await?;
    let stored = results["respondents"].as_u64().unwrap_or(0);

    let mut checks = Checks { passed: 0, failed: 0 };
    let acknowledged = votes.iter().filter(|v| v.acknowledged.is_some()).count();
    let retried = votes.iter().filter(|v| v.attempts > 1).count();
    let (fives, resets): (u32, u32) =
        votes.iter().fold((0, 0), |(f, r), v| (f + v.failures_5xx, r + v.failures_connection));
    checks.check(
        acknowledged == votes.len(),
        "every phone's vote acknowledged, after retries",
        &format!("{acknowledged} of {} ({retried} retried: {fives} 5xx, {resets} connection failures)", votes.len()),
    );
    checks.check(
        stored == acknowledged as u64,
        "no acknowledged vote lost, none counted twice",
        &format!("{stored} stored, {acknowledged} tokens acknowledged"),
    );
    let screens: Vec<Screen> = screens
        .iter()
        .map(|s| std::mem::take(&mut *s.lock().unwrap_or_else(std::sync::PoisonError::into_inner)))
        .collect();
    let decreases: u32 = screens.iter().map(|s| s.decreases).sum();
    checks.check(decreases == 0, "no screen ever saw a total go down", &format!("{decreases} decreases"));
    let right = screens.iter().filter(|s| s.last_total == Some(stored)).count();
    checks.check(
        right == screens.len(),
        "every screen's last total = stored",
        &format!("{right} of {}", screens.len()),
    );

    // Vote → event, for votes sent outside every fault window (and 2 s after it).
    let in_fault = |at: u64| faults.windows.iter().any(|(_, start, end)| at + 100 >= *start && at <= end + 2_000);
    let mut acked: Vec<(u64, u64)> = votes.iter().filter_map(|v| v.acknowledged).collect();
    acked.sort_by_key(|a| a.1);
    let mut latencies = Vec::new();
    for screen in screens.iter().filter(|s| s.keep_frames) {
        let mut at = 0;
        for (rank, (sent, _)) in acked.iter().enumerate() {
            while at < screen.frames.len() && screen.frames[at].1 < rank as u64 + 1 {
                at += 1;
            }
            if let Some((seen, _)) = screen.frames.get(at)
                && !in_fault(*sent)
            {
                latencies.push(seen.saturating_sub(*sent) as f64);
            }
        }
    }
    latencies.sort_by(f64::total_cmp);
    let p99 = percentile(&latencies, 0.99);
    checks.measure(
        "vote → event outside the fault windows (goal p99 < 100 ms)",
        p99 < 100.0,
        &format!(
            "p50 {:.0} ms, p99 {p99:.0} ms over {} (vote, screen) pairs",
            percentile(&latencies, 0.5),
            latencies.len()
        ),
    );

    // After each SIGTERM: the screens its process ended (with a `retry:`) and how soon they were back.
    let mut back_ms = Vec::new();
    let mut narrowest_spread = u64::MAX;
    for (i, &sigterm) in faults.sigterms.iter().enumerate() {
        // A stream ended after this SIGTERM and before the next (each reconnect counted once).
        let until = faults.sigterms.get(i + 1).copied().unwrap_or(u64::MAX).min(sigterm + 20_000);
        let cut: Vec<(u64, u64)> = screens
            .iter()
            .flat_map(|s| s.reconnects.iter())
            .filter(|(ended, _, clean)| *clean && *ended >= sigterm && *ended < until)
            .map(|(ended, back, _)| (*ended, *back))
            .collect();
        if cut.is_empty() {
            continue;
        }
        back_ms.extend(cut.iter().map(|(ended, back)| back.saturating_sub(*ended) as f64));
        let spread = cut.iter().map(|c| c.1).max().unwrap_or(0) - cut.iter().map(|c| c.1).min().unwrap_or(0);
        narrowest_spread = narrowest_spread.min(spread);
    }
    if !faults.sigterms.is_empty() {
        back_ms.sort_by(f64::total_cmp);
        let back_p99 = percentile(&back_ms, 0.99);
        checks.measure(
            "screens back after a SIGTERM (goal p99 < 2 s)",
            !back_ms.is_empty() && back_p99 < 2_000.0,
            &format!(
                "{} reconnects after {} SIGTERMs, p50 {:.0} ms, p99 {back_p99:.0} ms",
                back_ms.len(),
                faults.sigterms.len(),
                percentile(&back_ms, 0.5)
            ),
        );
        checks.check(
            narrowest_spread != u64::MAX && narrowest_spread >= 1_000,
            "their reconnects spread over at least a second",
            &format!("narrowest spread over one SIGTERM's screens: {narrowest_spread} ms"),
        );
    }
    let refused: u32 = screens.iter().map(|s| s.refused).sum();
    let reconnects: usize = screens.iter().map(|s| s.reconnects.len()).sum();
    let unconfirmed: u32 = screens.iter().map(|s| s.unconfirmed).sum();
    let failed: u32 = screens.iter().map(|s| s.failed).sum();
    eprintln!(
        "screens: {reconnects} reconnects, {refused} answered other than 200, {unconfirmed} ended before a snapshot \
         (resume not confirmed), {failed} connections failed"
    );
    println!("fleet-audience: {} passed, {} failed", checks.passed, checks.failed);
    poll.delete().await?;
    if checks.failed > 0 {
        std::process::exit(1);
    }
    Ok(())
}
