//! Live-poll load driver (issue 5), against a running api on loopback:
//!
//! 1. logs in as an admin, creates and opens a poll;
//! 2. opens `SUBSCRIBERS` SSE streams of its results;
//! 3. submits `RATE` votes/s for `SECONDS` s (each a new participant) and records when each reply
//!    came and when each subscriber saw an update that includes it;
//! 4. closes the poll and checks stored answers = 2xx replies = totals in every subscriber's last event;
//! 5. measures the most votes/s the api sustains with 64 voters in a closed loop for 10 s.
//!
//! Usage: BASE_URL=http://127.0.0.1:18082 ADMIN_EMAIL=… ADMIN_PASSWORD=… poll-load [subscribers] [rate] [seconds]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{Value, json};

type Error = Box<dyn std::error::Error + Send + Sync>;

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn arg(i: usize, default: u64) -> u64 {
    std::env::args().nth(i).and_then(|a| a.parse().ok()).unwrap_or(default)
}

/// Opens or closes the poll at `admin_poll` (its admin URL).
async fn set_open(client: &reqwest::Client, admin_poll: &str, cookie: &str, is_open: bool) -> Result<(), Error> {
    client
        .patch(admin_poll)
        .header("cookie", cookie)
        .json(&json!({ "is_open": is_open }))
        .send()
        .await?
        .error_for_status()?;
    Ok(())
}

/// One update seen by one subscriber: when, and how many respondents it counted.
#[derive(Clone, Copy)]
struct Seen {
    at: Instant,
    respondents: u64,
}

/// Reads one subscriber's events until `closed`; returns what it saw and the last totals.
async fn subscribe(
    client: reqwest::Client,
    url: String,
    ready: Arc<tokio::sync::Barrier>,
) -> Result<(Vec<Seen>, Value), Error> {
    let response = client.get(&url).send().await?.error_for_status()?;
    let mut stream = response.bytes_stream();
    let (mut buffer, mut seen) = (String::new(), Vec::new());
    let mut waited = false;
    while let Some(chunk) = stream.next().await {
        buffer.push_str(&String::from_utf8_lossy(&chunk?));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let at = Instant::now();
            let name = block.lines().find_map(|l| l.strip_prefix("event: ")).unwrap_or_default().to_owned();
            let Some(data) = block.lines().find_map(|l| l.strip_prefix("data: ")) else { continue };
            // Only the count is needed per event; a full parse of every event would make the
            // driver, not the api, the bottleneck.
            let respondents = data
                .split_once("\"respondents\":")
                .and_then(|(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            seen.push(Seen { at, respondents });
            if name == "snapshot" && !waited {
                waited = true;
                ready.wait().await;
            }
            if name == "closed" {
                return Ok((seen, serde_json::from_str(data)?));
            }
        }
    }
    Err("stream ended before the poll closed".into())
}

async fn vote(client: &reqwest::Client, url: &str, token: String) -> Result<u16, Error> {
    let ballot = json!({"client_token": token, "answers": [
        {"var_name": "pid3", "response_index": (token.len() % 4) as i16},
        {"var_name": "perf_judicial_ind", "response_index": 3}
    ]});
    Ok(client.post(url).json(&ballot).send().await?.status().as_u16())
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let base = env("BASE_URL", "http://127.0.0.1:18082");
    let (subscribers, rate, seconds) = (arg(1, 1000) as usize, arg(2, 500), arg(3, 30));
    let client = reqwest::Client::builder().pool_max_idle_per_host(256).build()?;

    // An admin session and an open poll.
    let login = client
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"email": env("ADMIN_EMAIL", "bench@example.org"), "password": env("ADMIN_PASSWORD", "")}))
        .send()
        .await?
        .error_for_status()?;
    let cookie = login.headers()["set-cookie"].to_str()?.split(';').next().unwrap_or_default().to_owned();
    let poll: Value = client
        .post(format!("{base}/api/admin/polls"))
        .header("cookie", &cookie)
        .json(&json!({"title": "Load test", "questions": [{"var_name": "pid3", "response_indices": [0, 1, 2, 3]}, {"var_name": "perf_judicial_ind"}], "split_by": "pid3"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let (id, slug) = (poll["id"].as_i64().ok_or("no id")?, poll["slug"].as_str().ok_or("no slug")?.to_owned());
    let admin_poll = format!("{base}/api/admin/polls/{id}");
    set_open(&client, &admin_poll, &cookie, true).await?;

    // Subscribers, each its own connection.
    let ready = Arc::new(tokio::sync::Barrier::new(subscribers + 1));
    let stream_url = format!("{base}/api/polls/{slug}/results/stream");
    let mut readers = Vec::new();
    for _ in 0..subscribers {
        let own = reqwest::Client::builder().build()?;
        readers.push(tokio::spawn(subscribe(own, stream_url.clone(), ready.clone())));
    }
    ready.wait().await;
    eprintln!("{subscribers} subscribers have their snapshot; voting {rate}/s for {seconds} s");

    // Steady votes.
    let vote_url = format!("{base}/api/polls/{slug}/responses");
    let replies: Arc<Mutex<Vec<(Instant, Instant, u16)>>> = Arc::default();
    let total = rate * seconds;
    let started = Instant::now();
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    let mut sent = Vec::new();
    for i in 0..total {
        ticker.tick().await;
        let (client, url, replies) = (client.clone(), vote_url.clone(), replies.clone());
        sent.push(tokio::spawn(async move {
            let at = Instant::now();
            let status = vote(&client, &url, format!("load-{i:08}-token")).await.unwrap_or(0);
            replies.lock().expect("replies").push((at, Instant::now(), status));
        }));
    }
    for task in sent {
        task.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(500)).await;
    set_open(&client, &admin_poll, &cookie, false).await?;
    let mut seen_by = Vec::new();
    let mut last_totals = Vec::new();
    for reader in readers {
        let (seen, last) = reader.await??;
        seen_by.push(seen);
        last_totals.push(last["respondents"].as_u64().unwrap_or(0));
    }

    // Vote-to-event latency: vote k (k-th reply) is in an event once it counts ≥ k respondents.
    let mut replies = replies.lock().expect("replies").clone();
    replies.sort_by_key(|r| r.1);
    let ok: Vec<&(Instant, Instant, u16)> = replies.iter().filter(|r| (200..300).contains(&r.2)).collect();
    let mut latencies = Vec::with_capacity(ok.len() * seen_by.len());
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
    let stored_answers: u64 = results["questions"]
        .as_array()
        .map_or(0, |qs| qs.iter().map(|q| q["overall"]["n"].as_u64().unwrap_or(0)).sum());
    let all_last_equal = last_totals.iter().all(|&t| t == stored);

    // Most votes/s: 64 voters in a closed loop for 10 s, on a fresh open poll.
    set_open(&client, &admin_poll, &cookie, true).await?;
    let until = Instant::now() + Duration::from_secs(10);
    let counted = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut voters = Vec::new();
    for v in 0..64 {
        let (client, url, counted) = (client.clone(), vote_url.clone(), counted.clone());
        voters.push(tokio::spawn(async move {
            let mut i = 0u64;
            while Instant::now() < until {
                if let Ok(201) = vote(&client, &url, format!("max-{v:02}-{i:09}")).await {
                    counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                i += 1;
            }
        }));
    }
    for voter in voters {
        voter.await?;
    }
    let max_rate = counted.load(std::sync::atomic::Ordering::Relaxed) as f64 / 10.0;
    client.delete(&admin_poll).header("cookie", &cookie).send().await?;

    println!("| measure | value |");
    println!("|---|---:|");
    println!("| SSE subscribers | {subscribers} |");
    println!(
        "| votes sent (target {rate}/s for {seconds} s) | {} in {elapsed:.1} s ({:.0}/s) |",
        replies.len(),
        replies.len() as f64 / elapsed
    );
    println!("| 2xx replies | {} |", ok.len());
    println!(
        "| vote reply latency p50 / p99 | {:.1} ms / {:.1} ms |",
        percentile(&reply_ms, 0.5),
        percentile(&reply_ms, 0.99)
    );
    println!(
        "| vote-to-event latency p50 / p99 ({} vote × subscriber pairs) | {:.1} ms / {:.1} ms |",
        latencies.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99)
    );
    println!("| stored respondents / answers | {stored} / {stored_answers} |");
    println!(
        "| every subscriber's last event counts | {} |",
        if all_last_equal { format!("{stored} (all equal)") } else { format!("{last_totals:?}") }
    );
    println!(
        "| check: stored = 2xx = last event totals | {} |",
        if stored == ok.len() as u64 && all_last_equal && stored_answers == 2 * stored { "pass" } else { "FAIL" }
    );
    println!("| most votes/s sustained (64 voters, closed loop, 10 s) | {max_rate:.0} |");
    Ok(())
}
