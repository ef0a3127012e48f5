//! What the load drivers share: HTTP/1.1 spoken by hand over tokio sockets (a client library
//! per connection would cost a driver more CPU than the api it measures); event streams parsed in
//! place; latency histograms kept per thread; the measured server's CPU time and memory from /proc.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::rc::Rc;

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

/// An environment setting, or `default` when unset.
pub fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// `--name value` from the command line, when given and a number.
pub fn flag(name: &str) -> Option<u64> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok())
}

/// Whether `--name` is on the command line.
pub fn switch(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

/// A made-up address for phone, browser or subscriber `n` (10.0.0.0/8 holds 16 million).
pub fn address_of(n: u64) -> String {
    format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255)
}

/// A connection from one of 16 loopback source addresses (127.0.0.2–17, connection `n` from
/// `n % 16`), so that 15,000 watchers and a stream of votes do not run out of one address's
/// ephemeral ports.
pub async fn connect_from(n: u64, addr: SocketAddr) -> std::io::Result<TcpStream> {
    if !addr.ip().is_loopback() || !addr.is_ipv4() {
        return TcpStream::connect(addr).await;
    }
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from(([127, 0, 0, 2 + (n % 16) as u8], 0)))?;
    socket.connect(addr).await
}

/// A process's CPU time so far (user + system), in seconds; NaN when it cannot be read.
pub fn cpu_seconds(pid: u32, ticks_per_second: f64) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return f64::NAN };
    // Fields after the command's closing parenthesis: state is field 3, utime 14, stime 15.
    let Some((_, rest)) = stat.rsplit_once(')') else { return f64::NAN };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i - 3).and_then(|v| v.parse::<f64>().ok()).unwrap_or(f64::NAN);
    (ticks(14) + ticks(15)) / ticks_per_second
}

/// A `/proc/<pid>/status` figure in kB (`VmRSS:`, `VmHWM:`) summed over `pids`, in MB; NaN when
/// no process's could be read.
fn status_mb(pids: &[u32], field: &str) -> f64 {
    let kb: Vec<f64> = pids
        .iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/status")).ok())
        .filter_map(|s| {
            s.lines().find_map(|l| l.strip_prefix(field)).and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .collect();
    if kb.is_empty() { f64::NAN } else { kb.iter().sum::<f64>() / 1024.0 }
}

/// Resident set size now, in MB, summed over `pids`.
pub fn rss_mb(pids: &[u32]) -> f64 {
    status_mb(pids, "VmRSS:")
}

/// Peak resident set size (each process's own peak since it started, `VmHWM`), in MB, summed over
/// `pids`: an upper bound on the peak of the sum.
pub fn peak_rss_mb(pids: &[u32]) -> f64 {
    status_mb(pids, "VmHWM:")
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The phases of a run a delivery falls in (one `AtomicU8` the threads read): deliveries are
/// counted over the measured window (the votes, or the publishing).
pub mod phase {
    pub const BEFORE: u8 = 0;
    pub const MEASURED: u8 = 1;
    pub const AFTER: u8 = 2;
}

/// An HTTP response read off a socket as a server-sent event stream: the head, then one
/// `\n\n`-ended block at a time, parsed in place (no copy, no allocation per event).
pub struct EventStream {
    bytes: Vec<u8>,
    /// Where the unread part of `bytes` starts.
    start: usize,
    /// How far from `start` a blank line has been looked for already.
    scanned: usize,
}

/// One block of an event stream: its `event:` name ("" for a comment such as nchan's `: hi`), its
/// data (the text after the first `data: `, up to the blank line) and its size from `event:` to
/// the blank line inclusive (the whole block when it has no `event:`).
pub struct Event<'a> {
    pub name: &'a str,
    pub data: &'a [u8],
    pub bytes: usize,
}

impl Default for EventStream {
    fn default() -> Self {
        Self::new()
    }
}

impl EventStream {
    /// What one read asks for at least: a subscriber that fell behind catches up in few reads.
    const READ_SIZE: usize = 8 * 1024;

    pub fn new() -> Self {
        Self { bytes: Vec::new(), start: 0, scanned: 0 }
    }

    /// Sends `request` on `stream` and reads the response's head: the stream, ready for
    /// [`next_event`](Self::next_event) (some events may have come with the head).
    ///
    /// # Errors
    /// The write or a read failed, the connection closed first, or the status was not 200.
    pub async fn open(stream: &mut TcpStream, request: &str) -> Result<Self, Error> {
        use tokio::io::AsyncWriteExt;
        stream.write_all(request.as_bytes()).await?;
        let mut events = Self::new();
        loop {
            if events.fill(stream).await? == 0 {
                return Err("the connection closed before the response's head".into());
            }
            match events.take_head() {
                None => {}
                Some(200) => return Ok(events),
                Some(status) => return Err(format!("the stream answered {status}").into()),
            }
        }
    }

    /// Reads what the socket has; 0 when it closed.
    ///
    /// # Errors
    /// The read failed.
    pub async fn fill<R: tokio::io::AsyncRead + Unpin>(&mut self, reader: &mut R) -> std::io::Result<usize> {
        if self.start > 0 {
            self.bytes.drain(..self.start);
            self.start = 0;
        }
        self.bytes.reserve(Self::READ_SIZE);
        reader.read_buf(&mut self.bytes).await
    }

    /// The response's status once its head has arrived (0 if unreadable), consuming the head.
    pub fn take_head(&mut self) -> Option<u16> {
        let unread = &self.bytes[self.start..];
        let end = find(unread, b"\r\n\r\n")?;
        let status = std::str::from_utf8(unread.get(9..12).unwrap_or_default()).ok().and_then(|s| s.parse().ok());
        self.start += end + 4;
        self.scanned = 0;
        Some(status.unwrap_or(0))
    }

    /// The next complete block, if one has arrived. Anything between blocks (chunked encoding's
    /// size lines) falls before a block's `event:` and is not counted in its bytes.
    pub fn next_event(&mut self) -> Option<Event<'_>> {
        let unread = &self.bytes[self.start..];
        // A blank line may straddle the previous scan's end: step back one byte.
        let from = self.scanned.saturating_sub(1);
        let Some(at) = find(&unread[from..], b"\n\n") else {
            self.scanned = unread.len();
            return None;
        };
        let block = &self.bytes[self.start..self.start + from + at + 2];
        self.start += from + at + 2;
        self.scanned = 0;
        let Some(event_at) = find(block, b"event: ") else {
            return Some(Event { name: "", data: &[], bytes: block.len() });
        };
        let event = &block[event_at..];
        let name_end = event.iter().position(|&b| b == b'\n').unwrap_or(event.len());
        let name = std::str::from_utf8(&event["event: ".len()..name_end]).unwrap_or_default();
        let data = match find(event, b"data: ") {
            Some(data_at) => &event[data_at + "data: ".len()..event.len() - 2],
            None => &[],
        };
        Some(Event { name, data, bytes: event.len() })
    }
}

/// The unsigned integer after `"key":` in a JSON text, read without parsing the JSON (a full
/// parse per event would make the driver the bottleneck).
pub fn json_number(text: &[u8], key: &str) -> Option<u64> {
    let mut pattern = Vec::with_capacity(key.len() + 3);
    pattern.push(b'"');
    pattern.extend_from_slice(key.as_bytes());
    pattern.extend_from_slice(b"\":");
    let at = find(text, &pattern)? + pattern.len();
    let digits = text[at..].iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&text[at..at + digits]).ok()?.parse().ok()
}

/// Latencies in microseconds, log-linear: exact below 128 µs, then 64 buckets per power of two
/// (within 1.6 %) up to 2^37 µs (38 hours; above, the last bucket). 2,048 counters, 16 KB: one per
/// thread, merged at the end, so that recording a delivery touches nothing another thread does.
#[derive(Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    count: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

impl Histogram {
    const EXACT: u64 = 128;
    const SUB_BITS: u32 = 6;
    const FIRST_EXPONENT: u32 = 7;
    const END_EXPONENT: u32 = 37;
    const BUCKETS: usize = 128 + ((Self::END_EXPONENT - Self::FIRST_EXPONENT) << Self::SUB_BITS) as usize;

    pub fn new() -> Self {
        Self { counts: vec![0; Self::BUCKETS], count: 0, max: 0 }
    }

    fn bucket(us: u64) -> usize {
        if us < Self::EXACT {
            return us as usize;
        }
        let exponent = 63 - us.leading_zeros();
        if exponent >= Self::END_EXPONENT {
            return Self::BUCKETS - 1;
        }
        let sub = (us >> (exponent - Self::SUB_BITS)) - (1 << Self::SUB_BITS);
        Self::EXACT as usize + (((exponent - Self::FIRST_EXPONENT) as usize) << Self::SUB_BITS) + sub as usize
    }

    /// The middle of a bucket's range, in µs.
    fn value(bucket: usize) -> u64 {
        if bucket < Self::EXACT as usize {
            return bucket as u64;
        }
        let above = bucket - Self::EXACT as usize;
        let exponent = Self::FIRST_EXPONENT + (above >> Self::SUB_BITS) as u32;
        let width = 1u64 << (exponent - Self::SUB_BITS);
        let sub = (above & ((1 << Self::SUB_BITS) - 1)) as u64;
        ((1 << Self::SUB_BITS) + sub) * width + width / 2
    }

    pub fn record(&mut self, us: u64) {
        self.counts[Self::bucket(us)] += 1;
        self.count += 1;
        self.max = self.max.max(us);
    }

    pub fn merge(&mut self, other: &Self) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.count += other.count;
        self.max = self.max.max(other.max);
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// The `q` quantile (nearest rank, as [`percentile`]) in milliseconds; NaN when empty.
    pub fn quantile(&self, q: f64) -> f64 {
        if self.count == 0 {
            return f64::NAN;
        }
        let rank = ((self.count - 1) as f64 * q.clamp(0.0, 1.0)).round() as u64;
        let mut below = 0;
        for (bucket, &n) in self.counts.iter().enumerate() {
            below += n;
            if below > rank {
                return Self::value(bucket).min(self.max) as f64 / 1e3;
            }
        }
        self.max as f64 / 1e3
    }

    /// The largest value recorded, exact, in milliseconds; NaN when empty.
    pub fn max(&self) -> f64 {
        if self.count == 0 { f64::NAN } else { self.max as f64 / 1e3 }
    }
}

/// Exact counts of small integers that take few distinct values (frame sizes in bytes).
#[derive(Clone, Default)]
pub struct Tally(BTreeMap<u64, u64>);

impl Tally {
    pub fn record(&mut self, value: u64) {
        *self.0.entry(value).or_default() += 1;
    }

    pub fn merge(&mut self, other: &Self) {
        for (&value, &n) in &other.0 {
            *self.0.entry(value).or_default() += n;
        }
    }

    pub fn count(&self) -> u64 {
        self.0.values().sum()
    }

    /// The `q` quantile (nearest rank); None when empty.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        let rank = ((self.count().checked_sub(1)?) as f64 * q.clamp(0.0, 1.0)).round() as u64;
        let mut below = 0;
        self.0
            .iter()
            .find(|&(_, &n)| {
                below += n;
                below > rank
            })
            .map(|(&value, _)| value)
    }

    pub fn max(&self) -> Option<u64> {
        self.0.keys().next_back().copied()
    }
}

/// Tasks `0..count` spread over `threads` OS threads, task `n` on thread `n % threads` for its
/// whole life, each thread a current-thread runtime: a thread's tasks share its `Rc<RefCell<L>>`
/// (a histogram, counters) with no atomic and no lock. [`LocalThreads::join`] returns each
/// thread's `L`.
pub struct LocalThreads<L> {
    results: Vec<tokio::sync::oneshot::Receiver<L>>,
    stop: tokio::sync::watch::Sender<bool>,
}

impl<L: Default + Send + 'static> LocalThreads<L> {
    /// # Errors
    /// A thread could not be started.
    pub fn spawn<T, F>(count: usize, threads: usize, task: T) -> Result<Self, Error>
    where
        T: Fn(usize, Rc<RefCell<L>>) -> F + Clone + Send + 'static,
        F: Future<Output = ()> + 'static,
    {
        let threads = threads.clamp(1, count.max(1));
        let (stop, _) = tokio::sync::watch::channel(false);
        let mut results = Vec::with_capacity(threads);
        for thread in 0..threads {
            let (done, result) = tokio::sync::oneshot::channel();
            let (task, mut stopped) = (task.clone(), stop.subscribe());
            std::thread::Builder::new().name(format!("local-{thread}")).spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a current-thread tokio runtime");
                let tasks = tokio::task::LocalSet::new();
                let local = Rc::new(RefCell::new(L::default()));
                let handles: Vec<_> =
                    (thread..count).step_by(threads).map(|n| tasks.spawn_local(task(n, local.clone()))).collect();
                tasks.block_on(&runtime, async {
                    let all = async {
                        for handle in handles {
                            let _ = handle.await;
                        }
                    };
                    tokio::select! {
                        () = all => {}
                        _ = stopped.wait_for(|&stop| stop) => {}
                    }
                });
                // Dropping the set ends the tasks still running (and their clones of `local`).
                drop(tasks);
                let _ = done.send(std::mem::take(&mut *local.borrow_mut()));
            })?;
            results.push(result);
        }
        Ok(Self { results, stop })
    }

    /// Each thread's `L`, once all its tasks have ended or, at `deadline`, ending those still running.
    ///
    /// # Errors
    /// A thread panicked.
    pub async fn join(self, deadline: tokio::time::Instant) -> Result<Vec<L>, Error> {
        let mut locals = Vec::with_capacity(self.results.len());
        for mut result in self.results {
            let local = match tokio::time::timeout_at(deadline, &mut result).await {
                Ok(local) => local,
                Err(_) => {
                    self.stop.send_replace(true);
                    result.await
                }
            };
            locals.push(local.map_err(|_| "a task thread panicked")?);
        }
        Ok(locals)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_exact_below_128_us_and_within_1_6_percent_above() {
        let mut histogram = Histogram::new();
        for us in [0, 1, 127] {
            histogram.record(us);
        }
        assert_eq!(histogram.quantile(0.0), 0.0);
        assert_eq!(histogram.quantile(0.5), 0.001);
        assert_eq!(histogram.max(), 0.127);
        for us in [128, 1_000, 54_321, 2_000_000, 1 << 36] {
            let mut one = Histogram::new();
            one.record(us);
            one.record(u64::MAX);
            let read = one.quantile(0.0) * 1e3;
            assert!((read - us as f64).abs() / us as f64 <= 0.016, "{us} read as {read}");
        }
    }

    #[test]
    fn merged_histograms_rank_as_one() {
        let (mut a, mut b) = (Histogram::new(), Histogram::new());
        (1..=50).for_each(|ms| a.record(ms * 1_000));
        (51..=100).for_each(|ms| b.record(ms * 1_000));
        a.merge(&b);
        assert_eq!(a.count(), 100);
        assert!((a.quantile(0.5) - 50.5).abs() < 1.0);
        assert!((a.quantile(0.99) - 99.0).abs() < 1.6);
        assert_eq!(a.max(), 100.0);
        assert!(Histogram::new().quantile(0.5).is_nan());
    }

    #[test]
    fn tally_quantiles_are_exact() {
        let mut tally = Tally::default();
        [322, 322, 322, 323, 400].into_iter().for_each(|b| tally.record(b));
        assert_eq!((tally.quantile(0.5), tally.max(), tally.count()), (Some(322), Some(400), 5));
        assert_eq!(Tally::default().quantile(0.5), None);
    }

    #[tokio::test]
    async fn local_threads_run_every_task_and_end_those_still_running_at_the_deadline() {
        // Tasks 0..10 on 3 threads; task 7 never ends on its own.
        let threads = LocalThreads::spawn(10, 3, |n, tasks_run: Rc<RefCell<Vec<usize>>>| async move {
            tasks_run.borrow_mut().push(n);
            if n == 7 {
                std::future::pending::<()>().await;
            }
        })
        .expect("threads");
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(200);
        let per_thread = threads.join(deadline).await.expect("every thread's tasks");
        assert_eq!(per_thread.len(), 3);
        assert!(per_thread.iter().enumerate().all(|(t, run)| run.iter().all(|n| n % 3 == t)));
        let mut all: Vec<usize> = per_thread.into_iter().flatten().collect();
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn events_are_read_in_place_across_reads() {
        let mut stream = EventStream::new();
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n: hi\n\n";
        let frame = "event: delta\nid: 1:0\ndata: {\"seq\":7,\"sent_us\":123}\n\n";
        let chunked = format!("\r\n{:x}\r\n{frame}", frame.len());
        let all = format!("{head}{frame}{chunked}");
        // Split where a blank line straddles two reads.
        let split = head.len() + frame.len() - 1;
        stream.bytes.extend_from_slice(&all.as_bytes()[..split]);
        assert_eq!(stream.take_head(), Some(200));
        let hi = stream.next_event().map(|e| (e.name.to_owned(), e.bytes));
        assert_eq!(hi, Some((String::new(), 6)));
        assert!(stream.next_event().is_none());
        stream.bytes.extend_from_slice(&all.as_bytes()[split..]);
        for _ in 0..2 {
            let event = stream.next_event().expect("a frame");
            assert_eq!((event.name, event.bytes), ("delta", frame.len()));
            assert_eq!(json_number(event.data, "seq"), Some(7));
            assert_eq!(json_number(event.data, "sent_us"), Some(123));
            assert_eq!(json_number(event.data, "respondents"), None);
        }
        assert!(stream.next_event().is_none());
    }
}
