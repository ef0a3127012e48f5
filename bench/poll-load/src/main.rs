//! Live-poll load driver, against api processes on loopback. One run is one scenario:
//!
//! 1. logs in as an admin, creates and opens a poll (with `--paced`, a presenter-paced poll whose
//!    open question is the presenter's own choice question: each vote answers that one question);
//! 2. opens `--watchers` SSE streams of its results (each its own connection, on `WATCH_URL`),
//!    spread over `THREADS` threads of their own;
//! 3. votes, each vote a new participant, either open loop (`--rate` votes/s for `--seconds`,
//!    each vote on a new TCP connection, as phones do) or closed loop (`--closed C`: C voters,
//!    each sending its next vote when the last is answered, on one kept-alive connection each,
//!    or with `--new-connections` on a new connection per vote);
//! 4. closes the poll and checks stored respondents = 2xx replies = every watcher's last total;
//! 5. prints one Markdown table row of figures, or with `--kv` one line of `key=value` figures
//!    (the keys `nchan-load` prints too, for bench/live-vs-nchan.sh).
//!
//! Vote → frame latency (open loop only): vote k is due at the start + k / rate, whether or not
//! the driver managed to send it then (no coordinated omission), and is on a watcher's screen once
//! a frame there counts k + 1 respondents. Each watcher thread records into its own histogram as
//! frames arrive (merged at the end), so that measuring 15,000 watchers × 300 votes/s touches
//! nothing shared per vote.
//!
//! Every simulated phone has an address of its own, sent as `X-Forwarded-For` (the api trusts a
//! proxy on loopback by default), as an audience behind a load balancer arrives: per-address
//! limits then apply per phone, as they would in the hall.
//!
//! HTTP is spoken by hand over tokio sockets (HTTP/1.1, a few lines): a client library per
//! connection would cost the driver more CPU than the api, and the driver shares the machine.
//!
//! Env: `BASE_URL` (votes and admin), `WATCH_URL` (watchers; default `BASE_URL`), `ADMIN_EMAIL`,
//! `ADMIN_PASSWORD`, `API_PIDS` (space-separated, for CPU time and peak RSS), `CLK_TCK`
//! (`getconf CLK_TCK`, 100), `THREADS` (watcher threads, default the cores).

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use poll_load::{
    AdminPoll, Error, EventStream, Histogram, LocalThreads, Tally, address_of, connect_from, cpu_seconds, env, flag,
    json_number, peak_rss_mb, percentile, phase, read_response, rss_mb, switch,
};

fn address(url: &str) -> Result<SocketAddr, Error> {
    let host = url.trim_start_matches("http://").split('/').next().unwrap_or_default();
    Ok(host.parse()?)
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
        address_of(phone_of(token)),
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

/// What the watchers' threads share: written once per watcher or per phase, never per frame.
struct Shared {
    /// Watchers holding their snapshot, and watchers that failed.
    snapshots: AtomicUsize,
    failed: AtomicUsize,
    phase: AtomicU8,
    /// Open loop: when vote 0 was due, and the µs between votes (vote k is due k intervals later).
    schedule: OnceLock<(Instant, f64)>,
}

/// What one thread's watchers saw.
#[derive(Default)]
struct Seen {
    /// Vote → frame, in µs.
    latency: Histogram,
    /// Bytes per frame after the snapshot: what a watcher reads per update.
    frame_bytes: Tally,
    /// Frames received in the voting window, over all this thread's watchers.
    window_frames: u64,
    /// Each watcher's last total, once it saw the poll close.
    last_totals: Vec<u64>,
    errors: Vec<String>,
}

/// Watches the results stream until the poll closes.
async fn watch(addr: SocketAddr, path: Arc<str>, phone: u64, shared: Arc<Shared>, seen: Rc<RefCell<Seen>>) {
    match follow(addr, &path, phone, &shared, &seen).await {
        Ok(last) => seen.borrow_mut().last_totals.push(last),
        Err(error) => {
            seen.borrow_mut().errors.push(error.to_string());
            shared.failed.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The stream's frames as they arrive, recorded into this thread's `seen`; the last total.
async fn follow(addr: SocketAddr, path: &str, phone: u64, shared: &Shared, seen: &RefCell<Seen>) -> Result<u64, Error> {
    let mut stream = connect_from(phone, addr).await?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nX-Forwarded-For: {}\r\nAccept: text/event-stream\r\n\r\n",
        address_of(phone)
    );
    let mut events = EventStream::open(&mut stream, &request).await?;
    let (mut snapshot, mut total) = (false, 0u64);
    loop {
        // Frames are `event: …\ndata: …\n\n`; chunked-encoding lines fall between frames.
        while let Some(event) = events.next_event() {
            if event.name.is_empty() {
                continue;
            }
            let at = Instant::now();
            // A snapshot says `"respondents":`, and so does a delta when the total changed.
            let respondents = json_number(event.data, "respondents").unwrap_or(total);
            if event.name == "snapshot" && !snapshot {
                snapshot = true;
                total = respondents;
                shared.snapshots.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            if event.name == "closed" {
                return Ok(respondents);
            }
            let mut seen = seen.borrow_mut();
            seen.frame_bytes.record(event.bytes as u64);
            if shared.phase.load(Ordering::Relaxed) == phase::MEASURED {
                seen.window_frames += 1;
            }
            if respondents > total {
                if let Some(&(start, interval_us)) = shared.schedule.get() {
                    // In µs since vote 0 was due: a few arithmetic operations per vote per watcher.
                    let at_us = at.saturating_duration_since(start).as_secs_f64() * 1e6;
                    for vote in total..respondents {
                        seen.latency.record((at_us - vote as f64 * interval_us).max(0.0) as u64);
                    }
                }
                total = respondents;
            }
        }
        if events.fill(&mut stream).await? == 0 {
            return Err("stream ended before the poll closed".into());
        }
    }
}

/// A vote: sent, answered, status.
type Reply = (Instant, Instant, u16);

/// Vote i is due at `start` + i / `rate`.
async fn open_loop(addr: SocketAddr, path: Arc<str>, rate: u64, seconds: u64, start: Instant) -> Vec<Reply> {
    let total = rate * seconds;
    let start = tokio::time::Instant::from_std(start);
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
    let key_values = switch("--kv");
    let api_pids: Vec<u32> = env("API_PIDS", "").split_whitespace().filter_map(|p| p.parse().ok()).collect();
    let ticks: f64 = env("CLK_TCK", "100").parse()?;
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let threads: usize = env("THREADS", &cores.to_string()).parse()?;

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

    let shared = Arc::new(Shared {
        snapshots: AtomicUsize::new(0),
        failed: AtomicUsize::new(0),
        phase: AtomicU8::new(phase::BEFORE),
        schedule: OnceLock::new(),
    });
    let watch_addr = address(&watch_base)?;
    let stream_path: Arc<str> = Arc::from(format!("/api/polls/{slug}/results/stream"));
    let watching = LocalThreads::spawn(watchers, threads, {
        let shared = shared.clone();
        move |n, seen| watch(watch_addr, stream_path.clone(), n as u64, shared.clone(), seen)
    })?;
    // 15,000 connections overflow a listen backlog; the kernel retries SYNs, so this takes seconds.
    let connecting = Instant::now();
    while shared.snapshots.load(Ordering::Relaxed) + shared.failed.load(Ordering::Relaxed) < watchers {
        if connecting.elapsed() > Duration::from_secs(120) {
            return Err(format!(
                "{} of {watchers} watchers have their snapshot after 120 s",
                shared.snapshots.load(Ordering::Relaxed)
            )
            .into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let failed_early = shared.failed.load(Ordering::Relaxed);
    if failed_early > 0 {
        return Err(format!("{failed_early} of {watchers} watchers failed before their snapshot").into());
    }
    eprintln!("{watchers} watchers have their snapshot");

    // Peak RSS while voting, sampled every 100 ms (the Markdown row's; --kv reports VmHWM).
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
    let api_cpu_seconds = || api_pids.iter().map(|&pid| cpu_seconds(pid, ticks)).sum::<f64>();
    let vote_addr = address(&base)?;
    let path: Arc<str> = Arc::from(format!("/api/polls/{slug}/responses"));
    let cpu_start = api_cpu_seconds();
    shared.phase.store(phase::MEASURED, Ordering::Relaxed);
    let started = Instant::now();
    let (mode, rate, replies) = match (flag("--rate"), flag("--closed")) {
        (Some(rate), _) => {
            let _ = shared.schedule.set((started, 1e6 / rate as f64));
            let replies = open_loop(vote_addr, path, rate, seconds, started).await;
            (format!("open loop {rate}/s, new connection per vote"), rate.to_string(), replies)
        }
        (None, Some(voters)) => {
            let new = switch("--new-connections");
            let how = if new { "a new connection per vote" } else { "kept-alive connections" };
            let replies = closed_loop(vote_addr, path, voters, seconds, new).await;
            (format!("closed loop, {voters} voters, {how}"), "closed".to_owned(), replies)
        }
        (None, None) => return Err("give --rate R or --closed C".into()),
    };
    let mode = if paced { format!("presenter-paced, one answer per request; {mode}") } else { mode };
    let elapsed = started.elapsed().as_secs_f64();
    sampler.abort();
    // The last votes' frames.
    tokio::time::sleep(Duration::from_millis(500)).await;
    shared.phase.store(phase::AFTER, Ordering::Relaxed);
    let window_seconds = started.elapsed().as_secs_f64();
    let (cpu_end, rss_peak_mb) = (api_cpu_seconds(), peak_rss_mb(&api_pids));
    poll.set_open(false).await?;
    let threads_seen = watching.join(tokio::time::Instant::now() + Duration::from_secs(30)).await?;
    let mut seen = Seen::default();
    for thread in threads_seen {
        seen.latency.merge(&thread.latency);
        seen.frame_bytes.merge(&thread.frame_bytes);
        seen.window_frames += thread.window_frames;
        seen.last_totals.extend(thread.last_totals);
        seen.errors.extend(thread.errors);
    }
    for error in seen.errors.iter().take(5) {
        eprintln!("a watcher failed: {error}");
    }

    let mut replies = replies;
    replies.sort_by_key(|r| r.1);
    let ok: Vec<&Reply> = replies.iter().filter(|r| (200..300).contains(&r.2)).collect();
    let mut reply_ms: Vec<f64> = ok.iter().map(|(s, r, _)| r.duration_since(*s).as_secs_f64() * 1e3).collect();
    reply_ms.sort_by(f64::total_cmp);
    let results: Value = client.get(format!("{base}/api/polls/{slug}/results")).send().await?.json().await?;
    let stored = results["respondents"].as_u64().unwrap_or(0);
    // Watchers that never saw the poll close, and those that did with a total other than stored.
    let unfinished = watchers - seen.last_totals.len();
    let wrong_totals = seen.last_totals.iter().filter(|&&t| t != stored).count();
    let all_last_equal = unfinished == 0 && wrong_totals == 0;
    let failed = replies.len() - ok.len();
    poll.delete().await?;

    let latency = &seen.latency;
    if key_values {
        let cpu_ms = (cpu_end - cpu_start) * 1e3;
        let bytes = |q: Option<u64>| q.map_or("nan".to_owned(), |b| b.to_string());
        println!(
            "server=api watchers={watchers} threads={threads} rate={rate} seconds={seconds} votes_sent={} votes_2xx={} non_2xx={failed} stored={stored} reply_p50_ms={:.1} reply_p99_ms={:.1} latency_p50_ms={:.1} latency_p99_ms={:.1} latency_max_ms={:.1} latencies={} deliveries={} frames_per_second={:.2} frame_bytes_p50={} frame_bytes_max={} vote_seconds={elapsed:.2} window_seconds={window_seconds:.2} cpu_ms={cpu_ms:.0} deliveries_per_cpu_second={:.0} rss_peak_mb={rss_peak_mb:.1} lost={wrong_totals} unfinished={unfinished}",
            replies.len(),
            ok.len(),
            percentile(&reply_ms, 0.5),
            percentile(&reply_ms, 0.99),
            latency.quantile(0.5),
            latency.quantile(0.99),
            latency.max(),
            latency.count(),
            seen.window_frames,
            seen.window_frames as f64 / watchers.max(1) as f64 / elapsed,
            bytes(seen.frame_bytes.quantile(0.5)),
            bytes(seen.frame_bytes.max()),
            seen.window_frames as f64 * 1e3 / cpu_ms,
        );
    } else {
        let latency = if watchers == 0 || latency.count() == 0 {
            "—".to_owned()
        } else {
            format!("{:.0} / {:.0} / {:.0} ms", latency.quantile(0.5), latency.quantile(0.99), latency.max())
        };
        let bytes = match (seen.frame_bytes.quantile(0.5), seen.frame_bytes.max()) {
            (Some(median), Some(max)) => format!("{median} / {max} B"),
            _ => "—".to_owned(),
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
    }
    if stored != ok.len() as u64 || !all_last_equal {
        eprintln!(
            "MISMATCH: stored {stored}, 2xx {}, watchers' last totals equal: {all_last_equal} ({wrong_totals} differ, {unfinished} unfinished)",
            ok.len()
        );
    }
    Ok(())
}
