//! The api's memory under a flood of unfinished requests and password checks comes back down: the
//! real binary (its own allocator and limits), a flood like the second security probe's — login
//! bodies left unfinished, request heads left unfinished, hundreds of password checks — then its
//! resident memory is measured again once the flood is over. Its own test binary: it measures a
//! process of its own, with nothing else running in it.

use std::time::{Duration, Instant};

use testkit::TestDatabase;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

#[path = "support/running_api.rs"]
#[allow(dead_code)]
mod running_api;

use running_api::RunningApi;

/// The process's resident memory, in MB.
fn rss_mb(api: &RunningApi) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", api.child.id())).expect("process status");
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmRSS");
    kb / 1024.0
}

/// Password checks for `count` unknown emails, `parallel` at a time (each checks a decoy hash,
/// as a real account's would be).
async fn logins(api: &RunningApi, count: usize, parallel: usize) {
    let client = reqwest::Client::new();
    let mut pending = Vec::new();
    for i in 0..count {
        let request = client
            .post(api.url("/api/auth/login"))
            .header("x-forwarded-for", format!("10.9.{}.{}", i / 250, i % 250))
            .json(&serde_json::json!({"email": format!("nobody{i}@example.org"), "password": "not a password at all"}))
            .send();
        pending.push(tokio::spawn(async move { request.await.map(|r| r.status().as_u16()).unwrap_or(0) }));
        if pending.len() == parallel {
            for task in pending.drain(..) {
                let _ = task.await;
            }
        }
    }
    for task in pending {
        let _ = task.await;
    }
}

/// `count` connections that send `head` and `body_part` and then stay silent, held for `hold`.
async fn unfinished(api: &RunningApi, count: usize, head: &str, body_part: &[u8], hold: Duration) {
    let mut held = Vec::with_capacity(count);
    for _ in 0..count {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", api.port)).await else { continue };
        if stream.write_all(head.as_bytes()).await.is_ok() && stream.write_all(body_part).await.is_ok() {
            held.push(stream);
        }
    }
    tokio::time::sleep(hold).await;
    drop(held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_comes_back_down_after_a_flood_of_unfinished_requests_and_password_checks() {
    // The flood holds a few thousand sockets at once.
    let _ = rlimit::increase_nofile_limit(20_000);
    let db = TestDatabase::create().await;
    let api = RunningApi::start(&db, &[("LOGIN_ATTEMPTS_PER_MINUTE", "1000000")]).await;
    logins(&api, 8, 4).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let baseline = rss_mb(&api);

    let mut peak = baseline;
    for _ in 0..3 {
        // Login bodies announced at 16,000 bytes (under the limit), 15,000 sent.
        let head = "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 16000\r\n\r\n";
        unfinished(&api, 1_500, head, &[b' '; 15_000], Duration::from_millis(500)).await;
        peak = peak.max(rss_mb(&api));
        // Request heads of 15 KB (under the 16 KB cap), never finished.
        let head = format!("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Filler: {}", "h".repeat(15_000));
        unfinished(&api, 1_500, &head, b"", Duration::from_millis(500)).await;
        peak = peak.max(rss_mb(&api));
        logins(&api, 150, 32).await;
        peak = peak.max(rss_mb(&api));
    }

    // Once the flood is over, memory returns near where it was (the allocator gives freed pages back).
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut after = rss_mb(&api);
    while after > baseline + 60.0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        after = rss_mb(&api);
    }
    eprintln!("api RSS: baseline {baseline:.0} MB, peak {peak:.0} MB, after {after:.0} MB");
    assert!(
        after <= baseline + 60.0,
        "RSS stayed up: baseline {baseline:.0} MB, peak {peak:.0} MB, after {after:.0} MB"
    );
}
