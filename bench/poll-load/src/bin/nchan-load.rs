//! The peer of the api's live results (issue 36): a publisher and `SUBSCRIBERS` EventSource
//! subscribers of one nginx + nchan channel (bench/nchan/start.sh), on the machinery poll-load
//! drives the api with, so that the two halves of bench/live-vs-nchan.sh differ in the server and
//! not in the client. Design and what nchan does on the wire: bench/nchan/DRIVER.md.
//!
//! 1. Connect: every subscriber opens `GET /sub` from one of 16 loopback addresses and waits for
//!    nchan's `: hi`.
//! 2. Warm up: a message every 200 ms until every subscriber has received one (a worker may take
//!    a moment to hear the channel's owner).
//! 3. Measure: `RATE` × `SECONDS` messages, open loop (message i due at start + i / `RATE`, and
//!    stamped with that due time, so that a publisher held up by nginx does not hide the delay),
//!    round-robin over `PUBLISHERS` kept-alive connections. Subscribers record due → received into
//!    their thread's histogram. The server's CPU time is read over this window (and 500 ms after
//!    the last due time, for the last deliveries), its peak RSS at the window's end.
//! 4. End: an end message until every subscriber has seen it (at most 30 s).
//!
//! Subscribers live on `THREADS` threads, each a current-thread runtime with one histogram and one
//! set of counters: a delivery touches nothing another thread does.
//!
//! Env: `NCHAN_URL` (`http://127.0.0.1:19480`), `SUBSCRIBERS` (1000), `RATE` (messages/s, 50),
//! `SECONDS` (30), `BYTES` (each message's body, 284), or `FRAME_BYTES` (each frame as read, the
//! body sized by what nchan adds to a warm-up message), `PUBLISHERS` (4), `THREADS` (the cores),
//! `SERVER_PIDS` (nginx's master and workers), `CLK_TCK` (100). Prints one line of `key=value`.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use poll_load::{
    Error, EventStream, Histogram, LocalThreads, Tally, connect_from, cpu_seconds, env, json_number, peak_rss_mb,
    phase, read_response,
};

/// What the subscriber threads and the publisher share: written once per subscriber or per phase,
/// never per delivery.
struct Shared {
    /// The clock messages are stamped with: one monotonic clock, one process.
    epoch: Instant,
    /// Subscribers that got nchan's `: hi`, that were refused, that have seen a warm-up message,
    /// that have seen the end message.
    connected: AtomicUsize,
    refused: AtomicUsize,
    warmed: AtomicUsize,
    finished: AtomicUsize,
    phase: AtomicU8,
    /// A warm-up message's frame as a subscriber read it, in bytes (0 until one arrived): what
    /// nchan wraps a body in (`event:`, `id:`, `data:`), for `FRAME_BYTES`.
    warmup_frame_bytes: AtomicUsize,
}

/// What one thread's subscribers received.
#[derive(Default)]
struct Received {
    /// Due → received, in µs.
    latency: Histogram,
    frame_bytes: Tally,
    deliveries: u64,
    /// Deliveries in the measured window (the CPU time's).
    window_deliveries: u64,
    /// Messages a subscriber skipped (a gap in `seq`, or missing before the end message).
    lost: u64,
    out_of_order: u64,
    errors: Vec<String>,
}

/// One subscriber, until the end message or an error.
async fn subscribe(addr: SocketAddr, n: u64, shared: Arc<Shared>, received: Rc<RefCell<Received>>) {
    let mut connected = false;
    if let Err(error) = receive(addr, n, &shared, &received, &mut connected).await {
        if !connected {
            shared.refused.fetch_add(1, Ordering::Relaxed);
        }
        received.borrow_mut().errors.push(error.to_string());
    }
}

async fn receive(
    addr: SocketAddr,
    n: u64,
    shared: &Shared,
    received: &RefCell<Received>,
    connected: &mut bool,
) -> Result<(), Error> {
    let mut stream = connect_from(n, addr).await?;
    let request = format!("GET /sub HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n");
    let mut events = EventStream::open(&mut stream, &request).await?;
    let (mut warm, mut next_seq) = (false, 0u64);
    loop {
        // The body is the raw event stream: no chunked encoding, no Content-Length.
        while let Some(event) = events.next_event() {
            if !*connected {
                // nchan's `: hi` (or any first event): this subscriber is on the channel.
                *connected = true;
                shared.connected.fetch_add(1, Ordering::Relaxed);
            }
            if event.name.is_empty() {
                continue;
            }
            let now_us = shared.epoch.elapsed().as_micros() as u64;
            if let Some(seq) = json_number(event.data, "seq") {
                let sent_us = json_number(event.data, "sent_us").ok_or("a message without sent_us")?;
                let mut received = received.borrow_mut();
                received.latency.record(now_us.saturating_sub(sent_us));
                received.frame_bytes.record(event.bytes as u64);
                received.deliveries += 1;
                if shared.phase.load(Ordering::Relaxed) == phase::MEASURED {
                    received.window_deliveries += 1;
                }
                if seq >= next_seq {
                    received.lost += seq - next_seq;
                    next_seq = seq + 1;
                } else {
                    received.out_of_order += 1;
                }
            } else if let Some(published) = json_number(event.data, "end") {
                received.borrow_mut().lost += published.saturating_sub(next_seq);
                shared.finished.fetch_add(1, Ordering::Relaxed);
                return Ok(());
            } else if !warm && json_number(event.data, "warmup").is_some() {
                warm = true;
                let _ =
                    shared.warmup_frame_bytes.compare_exchange(0, event.bytes, Ordering::Relaxed, Ordering::Relaxed);
                shared.warmed.fetch_add(1, Ordering::Relaxed);
            }
        }
        if events.fill(&mut stream).await? == 0 {
            return Err("nchan closed the stream".into());
        }
    }
}

/// A JSON body `{<fields>,"pad":"xx…"}` of exactly `bytes` bytes (or unpadded, when the fields
/// alone are longer).
fn padded(fields: &str, bytes: usize) -> Vec<u8> {
    let bare = format!("{{{fields},\"pad\":\"\"}}");
    let pad = "x".repeat(bytes.saturating_sub(bare.len()));
    format!("{{{fields},\"pad\":\"{pad}\"}}").into_bytes()
}

/// A kept-alive publisher connection to `/pub`, reopened after a failure.
struct Publisher {
    addr: SocketAddr,
    stream: Option<TcpStream>,
    buffer: Vec<u8>,
}

impl Publisher {
    fn new(addr: SocketAddr) -> Self {
        Self { addr, stream: None, buffer: Vec::with_capacity(1024) }
    }

    /// Publishes one message; nchan's status (201: subscribers got it, 202: none were there).
    async fn post(&mut self, body: &[u8]) -> Result<u16, Error> {
        if self.stream.is_none() {
            let stream = TcpStream::connect(self.addr).await?;
            stream.set_nodelay(true)?;
            self.stream = Some(stream);
        }
        let stream = self.stream.as_mut().ok_or("no connection")?;
        let mut request = format!(
            "POST /pub HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            self.addr,
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body);
        let reply = async {
            stream.write_all(&request).await?;
            Ok::<u16, Error>(read_response(stream, &mut self.buffer).await?.0)
        }
        .await;
        if reply.is_err() {
            self.stream = None;
        }
        reply
    }
}

/// What one publisher connection did: due → reply times (µs), messages accepted and failed.
#[derive(Default)]
struct Published {
    replies: Histogram,
    ok: u64,
    failed: u64,
}

async fn publish(addr: SocketAddr, mut queue: mpsc::UnboundedReceiver<(Vec<u8>, tokio::time::Instant)>) -> Published {
    let (mut publisher, mut published) = (Publisher::new(addr), Published::default());
    while let Some((body, due)) = queue.recv().await {
        match publisher.post(&body).await {
            Ok(201 | 202) => {
                published.ok += 1;
                published.replies.record(due.elapsed().as_micros() as u64);
            }
            Ok(_) | Err(_) => published.failed += 1,
        }
    }
    published
}

/// Waits until `done()` or `limit` has passed; whether it is done.
async fn wait_until(limit: Duration, done: impl Fn() -> bool) -> bool {
    let since = Instant::now();
    while !done() {
        if since.elapsed() > limit {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}

/// Posts `body` every 200 ms until `done()` or `limit` has passed; whether it is done.
async fn post_until(publisher: &mut Publisher, body: &[u8], limit: Duration, done: impl Fn() -> bool) -> bool {
    let since = Instant::now();
    while !done() {
        if since.elapsed() > limit {
            return false;
        }
        if let Err(error) = publisher.post(body).await {
            eprintln!("nchan-load: publishing failed: {error}");
        }
        wait_until(Duration::from_millis(200), &done).await;
    }
    true
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let url = env("NCHAN_URL", "http://127.0.0.1:19480");
    let addr: SocketAddr = url.trim_start_matches("http://").trim_end_matches('/').parse()?;
    let subscribers: usize = env("SUBSCRIBERS", "1000").parse()?;
    let rate: f64 = env("RATE", "50").parse()?;
    let seconds: f64 = env("SECONDS", "30").parse()?;
    let mut bytes: usize = env("BYTES", "284").parse()?;
    let frame_bytes: Option<usize> = std::env::var("FRAME_BYTES").ok().map(|b| b.parse()).transpose()?;
    let publishers: usize = env("PUBLISHERS", "4").parse::<usize>()?.max(1);
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let threads: usize = env("THREADS", &cores.to_string()).parse()?;
    let server_pids: Vec<u32> = env("SERVER_PIDS", "").split_whitespace().filter_map(|p| p.parse().ok()).collect();
    let ticks: f64 = env("CLK_TCK", "100").parse()?;
    if !(rate > 0.0 && seconds > 0.0) {
        return Err("RATE and SECONDS must be positive".into());
    }
    let server_cpu_seconds = || server_pids.iter().map(|&pid| cpu_seconds(pid, ticks)).sum::<f64>();

    let shared = Arc::new(Shared {
        epoch: Instant::now(),
        connected: AtomicUsize::new(0),
        refused: AtomicUsize::new(0),
        warmed: AtomicUsize::new(0),
        finished: AtomicUsize::new(0),
        phase: AtomicU8::new(phase::BEFORE),
        warmup_frame_bytes: AtomicUsize::new(0),
    });
    let receiving = LocalThreads::spawn(subscribers, threads, {
        let shared = shared.clone();
        move |n, received| subscribe(addr, n as u64, shared.clone(), received)
    })?;

    // 1. Connect. 15,000 connections overflow nginx's listen backlog (511); the kernel retries
    // SYNs, so this takes seconds.
    let (connected, refused) = (|| shared.connected.load(Ordering::Relaxed), || shared.refused.load(Ordering::Relaxed));
    if !wait_until(Duration::from_secs(120), || connected() + refused() >= subscribers).await {
        return Err(format!("{} of {subscribers} subscribers connected after 120 s", connected()).into());
    }
    eprintln!("nchan-load: {} subscribers connected, {} refused", connected(), refused());

    // 2. Warm up: `: hi` does not prove a worker already hears the channel's owner.
    let mut control = Publisher::new(addr);
    let warmed = || shared.warmed.load(Ordering::Relaxed);
    let warmup = padded("\"warmup\":1", bytes);
    if !post_until(&mut control, &warmup, Duration::from_secs(30), || warmed() >= connected()).await {
        return Err(format!("{} of {} subscribers received a warm-up message in 30 s", warmed(), connected()).into());
    }
    if let Some(frame_bytes) = frame_bytes {
        // Bodies sized so that frames are `FRAME_BYTES` on the wire, as the api's it is compared with.
        let envelope = shared.warmup_frame_bytes.load(Ordering::Relaxed).saturating_sub(warmup.len());
        bytes = frame_bytes.saturating_sub(envelope);
    }

    // 3. Measure, open loop.
    let mut queues = Vec::with_capacity(publishers);
    let mut publishing = Vec::with_capacity(publishers);
    for _ in 0..publishers {
        let (queue, messages) = mpsc::unbounded_channel();
        queues.push(queue);
        publishing.push(tokio::spawn(publish(addr, messages)));
    }
    let messages = (rate * seconds).round() as u64;
    let cpu_start = server_cpu_seconds();
    shared.phase.store(phase::MEASURED, Ordering::Relaxed);
    let start = tokio::time::Instant::now();
    let due = |i: u64| start + Duration::from_secs_f64(i as f64 / rate);
    for i in 0..messages {
        tokio::time::sleep_until(due(i)).await;
        let sent_us = due(i).into_std().saturating_duration_since(shared.epoch).as_micros();
        let body = padded(&format!("\"seq\":{i},\"sent_us\":{sent_us}"), bytes);
        queues[i as usize % publishers].send((body, due(i)))?;
    }
    // The last messages' deliveries.
    tokio::time::sleep_until(due(messages.saturating_sub(1)) + Duration::from_millis(500)).await;
    shared.phase.store(phase::AFTER, Ordering::Relaxed);
    let window_seconds = start.elapsed().as_secs_f64();
    let (cpu_end, rss_peak_mb) = (server_cpu_seconds(), peak_rss_mb(&server_pids));
    drop(queues);
    let mut published = Published::default();
    for task in publishing {
        let one = task.await?;
        published.replies.merge(&one.replies);
        published.ok += one.ok;
        published.failed += one.failed;
    }

    // 4. End: the end message says how many were published, so that a subscriber counts the
    // messages it never received.
    let finished = || shared.finished.load(Ordering::Relaxed);
    let end = padded(&format!("\"end\":{messages}"), bytes);
    if !post_until(&mut control, &end, Duration::from_secs(30), || finished() >= connected()).await {
        eprintln!("nchan-load: {} of {} subscribers saw the end message in 30 s", finished(), connected());
    }
    let threads_received = receiving.join(tokio::time::Instant::now() + Duration::from_secs(1)).await?;
    let mut received = Received::default();
    for thread in threads_received {
        received.latency.merge(&thread.latency);
        received.frame_bytes.merge(&thread.frame_bytes);
        received.deliveries += thread.deliveries;
        received.window_deliveries += thread.window_deliveries;
        received.lost += thread.lost;
        received.out_of_order += thread.out_of_order;
        received.errors.extend(thread.errors);
    }
    for error in received.errors.iter().take(5) {
        eprintln!("nchan-load: a subscriber failed: {error}");
    }

    let cpu_ms = (cpu_end - cpu_start) * 1e3;
    let latency = &received.latency;
    let frame_bytes = |q: Option<u64>| q.map_or("nan".to_owned(), |b| b.to_string());
    println!(
        "server=nchan workers={} subscribers={subscribers} threads={threads} rate={rate} seconds={seconds} bytes={bytes} published={} publish_failed={} publish_p50_ms={:.1} publish_p99_ms={:.1} deliveries={} expected={} lost={} out_of_order={} unfinished={} refused={} latency_p50_ms={:.1} latency_p99_ms={:.1} latency_max_ms={:.1} frame_bytes_p50={} frame_bytes_max={} frames_per_second={:.2} window_seconds={window_seconds:.2} window_deliveries={} cpu_ms={cpu_ms:.0} deliveries_per_cpu_second={:.0} rss_peak_mb={rss_peak_mb:.1}",
        server_pids.len().saturating_sub(1),
        published.ok,
        published.failed,
        published.replies.quantile(0.5),
        published.replies.quantile(0.99),
        received.deliveries,
        published.ok * subscribers as u64,
        received.lost,
        received.out_of_order,
        subscribers - refused() - finished().min(subscribers - refused()),
        refused(),
        latency.quantile(0.5),
        latency.quantile(0.99),
        latency.max(),
        frame_bytes(received.frame_bytes.quantile(0.5)),
        frame_bytes(received.frame_bytes.max()),
        received.deliveries as f64 / connected().max(1) as f64 / seconds,
        received.window_deliveries,
        received.window_deliveries as f64 * 1e3 / cpu_ms,
    );
    Ok(())
}
