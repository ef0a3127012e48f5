//! Live protocol v2: a snapshot, then deltas that fold to exactly what a new watcher's snapshot
//! says and to the counts voted, with frame ids that mean the same on every process.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, settings_for, spawn_app};
use crate::polls::{Frame, send, set_open, sse_frame, sse_frames as frames, staff, vote};
use crate::question_kinds::{Participant, create, mixed_poll};

/// A small deterministic generator (xorshift64*), so a failure can be replayed.
struct Random(u64);

impl Random {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) % n
    }
}

/// An id's `<epoch>-<answers>-<joined>`.
fn version(id: &str) -> (u64, u64, u64) {
    let parts: Vec<u64> = id.split('-').map(|part| part.parse().expect("a number")).collect();
    assert_eq!(parts.len(), 3, "<epoch>-<answers>-<joined>: {id}");
    (parts[0], parts[1], parts[2])
}

/// What a page holds after folding a stream's frames as the protocol says.
#[derive(Default)]
struct Folded {
    results: Value,
    id: Option<String>,
    deltas: usize,
    snapshots: usize,
    /// Every total the watcher was shown, in order.
    totals: Vec<i64>,
    /// Bytes of the delta frames' data.
    delta_bytes: Vec<usize>,
}

impl Folded {
    fn take(&mut self, (event, id, data): Frame) {
        match event.as_str() {
            "snapshot" | "closed" => {
                self.results = data;
                self.snapshots += 1;
            }
            "delta" => {
                assert_eq!(data["base"].as_str(), self.id.as_deref(), "a delta for the frame this watcher holds");
                self.delta_bytes.push(data.to_string().len());
                let set = data["set"].as_object().expect("set").clone();
                assert!(api::apply_delta(&mut self.results, &set), "{data}");
                self.deltas += 1;
            }
            other => panic!("unknown event {other}"),
        }
        if let (Some(before), Some(now)) = (self.id.as_deref(), id.as_deref()) {
            let (a, b) = (version(now), version(before));
            assert!(a.0 > b.0 || (a.0 == b.0 && a.1 >= b.1 && a.2 >= b.2), "ids never go back: {before} then {now}");
        }
        self.id = id;
        self.totals.push(self.results["respondents"].as_i64().expect("respondents"));
    }

    /// Folds frames until `done` holds and then no frame comes for `settle`.
    async fn until(&mut self, frames: &mut tokio::sync::mpsc::UnboundedReceiver<Frame>, done: impl Fn(&Value) -> bool) {
        let settle = Duration::from_millis(1500);
        loop {
            let wait = if self.totals.is_empty() || !done(&self.results) { Duration::from_secs(15) } else { settle };
            match tokio::time::timeout(wait, frames.recv()).await {
                Ok(Some(frame)) => self.take(frame),
                Ok(None) => panic!("the stream ended"),
                Err(_) if done(&self.results) => return,
                Err(_) => panic!("no frame within {wait:?}; holding {}", self.results),
            }
        }
    }
}

async fn open_stream(
    app: &TestApp,
    url: String,
    cookie: Option<&str>,
    last_event_id: Option<&str>,
) -> reqwest::Response {
    let mut request = app.client.get(url);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    let response = request.send().await.expect("stream");
    assert_eq!(response.status(), StatusCode::OK);
    response
}

#[tokio::test]
async fn deltas_fold_to_the_snapshot_and_to_the_counts_voted_on_every_process() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, slug) = create(&app, &staff, mixed_poll("all_at_once")).await;
    set_open(&app, &staff.admin, id, true).await;
    let other = api::Application::build(settings_for(&app.db)).await.expect("second process");
    let other_address = other.address().expect("address");
    tokio::spawn(other.serve());

    let public_url = |address: std::net::SocketAddr| format!("http://{address}/api/polls/{slug}/results/stream");
    let staff_url = app.url(&format!("/api/admin/polls/{id}/results/stream"));
    let mut here = frames(open_stream(&app, public_url(app.address), None, None).await);
    let mut there = frames(open_stream(&app, public_url(other_address), None, None).await);
    let mut staff_frames = frames(open_stream(&app, staff_url, Some(&staff.admin), None).await);
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Random ballots, eight at a time (so that batches hold several), with a question hidden and
    // revealed again and the poll closed and reopened on the way; what was voted is counted here
    // independently.
    let mut random = Random(0x5eed_1234_abcd_0042);
    let (mut party, mut place, mut worries, mut hope) = ([0i64; 3], [0i64; 3], [0i64; 4], [0i64; 11]);
    let words = ["freedom", "courts", "hope", "votes", "fear", "trust"];
    const BALLOTS: usize = 96;
    for round in 0..BALLOTS / 8 {
        let mut ballots = Vec::new();
        for i in 0..8 {
            let (p, q) = (random.below(3), random.below(3));
            let first = random.below(4);
            let second = (first + 1 + random.below(3)) % 4;
            let several = if random.below(2) == 0 { vec![first] } else { vec![first, second] };
            let h = random.below(11);
            party[p as usize] += 1;
            place[q as usize] += 1;
            for &w in &several {
                worries[w as usize] += 1;
            }
            hope[h as usize] += 1;
            let word = words[random.below(words.len() as u64) as usize];
            ballots.push((
                format!("protocol-{round:03}-{i}"),
                json!([
                    {"var_name": "pid3", "response_index": p},
                    {"var_name": "q2", "response_index": q},
                    {"var_name": "q3", "response_indices": several},
                    {"var_name": "q4", "value": h},
                    {"var_name": "q5", "words": [word]}
                ]),
            ));
        }
        let votes = ballots.iter().map(|(token, answers)| vote(&app, &slug, token, answers.clone()));
        for (status, body) in futures_util::future::join_all(votes).await {
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
        // Closed and opened again on the way: a `closed` frame, then deltas from the reopening.
        if round == 9 {
            set_open(&app, &staff.admin, id, false).await;
            tokio::time::sleep(Duration::from_millis(100)).await;
            set_open(&app, &staff.admin, id, true).await;
        }
        if round == 3 || round == 7 {
            let hidden = round == 3;
            let path = format!("/api/admin/polls/{id}/questions/q4");
            let (status, body) =
                send(&app, Method::PATCH, &path, Some(&staff.admin), Some(json!({"results_hidden": hidden}))).await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    }

    let all_in =
        |results: &Value| results["respondents"] == json!(BALLOTS) && results["questions"][3]["hidden"] == json!(false);
    let mut folded = Vec::new();
    for frames in [&mut here, &mut there, &mut staff_frames] {
        let mut watcher = Folded::default();
        watcher.until(frames, all_in).await;
        assert!(watcher.totals.windows(2).all(|w| w[0] <= w[1]), "no total goes down: {:?}", watcher.totals);
        assert!(
            watcher.deltas > 0 && watcher.snapshots >= 4,
            "deltas, and snapshots for the hide, the reveal, the close and the reopening"
        );
        folded.push(watcher);
    }

    // The counts voted.
    let counts = |results: &Value, q: usize| results["questions"][q]["overall"]["counts"].clone();
    let public = &folded[0].results;
    assert_eq!(counts(public, 0), json!(party));
    assert_eq!(counts(public, 1), json!(place));
    assert_eq!(counts(public, 2), json!(worries));
    assert_eq!(counts(public, 3), json!(hope), "{}", public["questions"][3]);
    // The same frames on both processes: same id, same results.
    assert_eq!(folded[0].id, folded[1].id);
    assert_eq!(folded[0].results, folded[1].results);
    assert_eq!(version(folded[0].id.as_deref().unwrap()).1, (BALLOTS * 5) as u64, "answers counted");

    // A new watcher's snapshot, on either process (resuming there with the id it had), is what
    // the deltas folded to.
    for address in [app.address, other_address] {
        let mut fresh = frames(open_stream(&app, public_url(address), None, folded[0].id.as_deref()).await);
        let (event, id, data) = fresh.recv().await.expect("snapshot");
        assert_eq!((event.as_str(), &id), ("snapshot", &folded[0].id));
        let (a, b) = (folded[0].results.to_string(), data.to_string());
        let at = a.bytes().zip(b.bytes()).position(|(x, y)| x != y).unwrap_or(0);
        let differences =
            (&a[at.saturating_sub(300)..(at + 100).min(a.len())], &b[at.saturating_sub(300)..(at + 100).min(b.len())]);
        assert!(
            data == folded[0].results,
            "{address}: what the snapshot says besides the folded frames: {differences:?}"
        );
    }
    let staff_url = app.url(&format!("/api/admin/polls/{id}/results/stream"));
    let mut fresh = frames(open_stream(&app, staff_url, Some(&staff.admin), None).await);
    assert_eq!(fresh.recv().await.expect("snapshot").2, folded[2].results);

    // Deltas are small: one ballot answering five questions, split, is a few counts.
    let mut sizes = folded[0].delta_bytes.clone();
    sizes.sort_unstable();
    println!("delta data bytes: {sizes:?}");
}

/// An event stream read off a raw socket: HTTP/1.1 chunked framing undone, SSE frames split off
/// as they complete.
struct RawStream {
    socket: tokio::net::TcpStream,
    received: Vec<u8>,
    head_done: bool,
    body: String,
    ended: bool,
}

impl RawStream {
    /// Asks for `path` with the smallest receive buffer, so that a reader that pauses backs up
    /// into the api quickly, as a phone on a bad network does.
    async fn open(app: &TestApp, path: &str, last_event_id: Option<&str>) -> Self {
        use tokio::io::AsyncWriteExt;
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.set_recv_buffer_size(1024).expect("buffer size");
        let mut socket = socket.connect(app.address).await.expect("connect");
        let resume = last_event_id.map(|id| format!("Last-Event-ID: {id}\r\n")).unwrap_or_default();
        let request = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n{resume}\r\n", app.address);
        socket.write_all(request.as_bytes()).await.expect("request");
        Self { socket, received: Vec::new(), head_done: false, body: String::new(), ended: false }
    }

    /// Moves whole chunks from `received` into `body`.
    fn dechunk(&mut self) {
        if !self.head_done {
            let Some(end) = self.received.windows(4).position(|w| w == b"\r\n\r\n") else { return };
            let head = String::from_utf8_lossy(&self.received[..end]).to_string();
            assert!(head.starts_with("HTTP/1.1 200"), "{head}");
            self.received.drain(..end + 4);
            self.head_done = true;
        }
        while let Some(line_end) = self.received.windows(2).position(|w| w == b"\r\n") {
            let size = usize::from_str_radix(std::str::from_utf8(&self.received[..line_end]).expect("size"), 16)
                .expect("chunk size");
            if size == 0 {
                self.ended = true;
                return;
            }
            if self.received.len() < line_end + 2 + size + 2 {
                return;
            }
            let chunk = self.received[line_end + 2..line_end + 2 + size].to_vec();
            self.body.push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
            self.received.drain(..line_end + 2 + size + 2);
        }
    }

    /// The next frame (event, id, data), or `None` when the stream ended or nothing came within
    /// `wait`.
    async fn next(&mut self, wait: Duration) -> Option<Frame> {
        use tokio::io::AsyncReadExt;
        loop {
            while let Some(end) = self.body.find("\n\n") {
                let block: String = self.body.drain(..end + 2).collect();
                if let Some(frame) = sse_frame(&block) {
                    return Some(frame);
                }
            }
            if self.ended {
                return None;
            }
            let mut buffer = [0u8; 8192];
            match tokio::time::timeout(wait, self.socket.read(&mut buffer)).await {
                Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return None,
                Ok(Ok(n)) => self.received.extend_from_slice(&buffer[..n]),
            }
            self.dechunk();
        }
    }
}

#[tokio::test]
async fn a_watcher_that_stops_reading_catches_up_with_a_snapshot_and_never_sees_a_total_go_down() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, slug) = create(&app, &staff, mixed_poll("all_at_once")).await;
    set_open(&app, &staff.admin, id, true).await;
    let path = format!("/api/polls/{slug}/results/stream");
    let mut paused = RawStream::open(&app, &path, None).await;
    let mut watcher = Folded::default();
    let first = paused.next(Duration::from_secs(10)).await.expect("the first snapshot");
    watcher.take(first);

    // Votes, a frame every few, while the watcher reads nothing, until a watcher that reads has
    // had 200 frames (more than the api queues for one watcher, 64, and its socket's 16 KB of
    // these ~1 KB deltas hold; the frame interval widens on a busy machine, so frames are
    // counted, not votes): the paused one's frames back up into the api, which skips it ahead
    // (or, behind for too long, ends its stream).
    let reading = app.client.get(app.url(&path)).send().await.expect("stream");
    let mut reading = frames(reading);
    let mut frames_read = 0;
    let mut random = Random(0x0bad_5eed_2026_1130);
    let mut votes = 0;
    while frames_read < 200 {
        assert!(votes < 3000, "{frames_read} frames for {votes} votes");
        let mut pick = |n: u64| i64::try_from(random.below(n)).expect("small");
        let participant = Participant {
            party: pick(3),
            place: pick(3),
            worries: vec![pick(4)],
            hope: pick(11),
            words: vec![["trust", "courts", "votes"][usize::try_from(pick(3)).expect("small")]],
        };
        let answers = json!(participant.answers());
        let (status, body) = vote(&app, &slug, &format!("paused-{votes:04}"), answers).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        votes += 1;
        tokio::time::sleep(Duration::from_millis(12)).await;
        while reading.try_recv().is_ok() {
            frames_read += 1;
        }
    }
    drop(reading);

    // The watcher reads again, as a browser does: whatever was sent, and when the stream has
    // ended, a new one resuming from the last id it holds.
    let mut streams = 1;
    while watcher.results["respondents"] != json!(votes) {
        match paused.next(Duration::from_secs(10)).await {
            Some(frame) => watcher.take(frame),
            None => {
                assert!(paused.ended, "no frame within 10 s; holding {}", watcher.results);
                streams += 1;
                assert!(streams <= 5, "reconnected {streams} times");
                paused = RawStream::open(&app, &path, watcher.id.as_deref()).await;
            }
        }
    }
    assert!(watcher.totals.windows(2).all(|w| w[0] <= w[1]), "no total goes down: {:?}", watcher.totals);
    assert!(
        watcher.snapshots >= 2,
        "behind, the watcher was brought up to date by a snapshot ({} snapshots, {} deltas, {streams} streams)",
        watcher.snapshots,
        watcher.deltas
    );
    assert!(
        watcher.totals.len() < frames_read,
        "frames it could not take were skipped, not queued: {}",
        watcher.totals.len()
    );
    // What it holds is what a new watcher is shown.
    let mut fresh = RawStream::open(&app, &path, None).await;
    let (event, _, data) = fresh.next(Duration::from_secs(10)).await.expect("snapshot");
    assert_eq!(event, "snapshot");
    assert_eq!(data, watcher.results);
    println!("paused watcher: {} snapshots, {} deltas, {streams} streams", watcher.snapshots, watcher.deltas);
}
