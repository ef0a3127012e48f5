//! Live frames under load of others: paced by this process's own backlog, not by the host's CPU,
//! and handed out over shards (one per worker thread) that agree on ids.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::spawn_app;
use crate::polls::{ballot, frame_total, open_poll, sse_frames, staff, vote};

/// Busy threads outside the api's runtime, two per core (so that some thread always waits for a
/// CPU: the host's CPU pressure is near 100 %), until dropped.
struct CpuHog(Arc<AtomicBool>);

impl CpuHog {
    fn start() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        for _ in 0..2 * cores {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut spins = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    spins = std::hint::black_box(spins.wrapping_add(1));
                }
            });
        }
        Self(stop)
    }
}

impl Drop for CpuHog {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[tokio::test]
async fn frames_keep_their_pace_while_other_threads_hog_the_hosts_cpu() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (_, slug) = open_poll(&app, &staff.admin).await;
    let response = app.client.get(app.url(&format!("/api/polls/{slug}/results/stream"))).send().await.expect("stream");
    let mut frames = sse_frames(response);
    let (_, _, first) = frames.recv().await.expect("snapshot");
    assert_eq!(frame_total(&first), Some(0));

    // Every core busy with work that is not this process's, long enough for any pacing that
    // follows the host's CPU pressure to widen the frames all the way (it took 2.3 s).
    let hog = CpuHog::start();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let votes = 80;
    let reader = tokio::spawn(async move {
        let mut totals = Vec::new();
        while let Some((_, _, value)) = frames.recv().await {
            if let Some(total) = frame_total(&value) {
                totals.push(total);
                if total == votes {
                    break;
                }
            }
        }
        totals
    });
    for i in 0..votes {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (status, _) = vote(&app, &slug, &format!("hogged-{i:03}"), ballot(i as usize)).await;
        assert_eq!(status, StatusCode::CREATED);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let totals = tokio::time::timeout(Duration::from_secs(20), reader).await.expect("all votes shown").expect("reader");
    drop(hog);
    // Votes come one at a time, at least 20 ms apart (a vote's round trip and the sleep), and a
    // frame may follow its previous after 20 ms: nearly every vote has a frame of its own. Frames
    // widened to 160 ms by a busy host would carry several votes each (a fifth as many frames).
    assert_eq!(totals.last(), Some(&votes));
    #[allow(clippy::cast_possible_wrap)]
    let frames = totals.len() as i64;
    println!("{frames} frames carried {votes} votes");
    assert!(frames * 2 > votes, "{frames} frames carried {votes} votes: {totals:?}");
}

/// A frame's id, `<epoch>-<answers>-<joined>`, as numbers (ordered as versions are).
fn version(id: &str) -> (u64, u64, u64) {
    let parts: Vec<u64> = id.split('-').map(|part| part.parse().expect("a number")).collect();
    (parts[0], parts[1], parts[2])
}

/// Reads frames until one says `until` respondents; returns their ids.
async fn read_ids(
    frames: &mut tokio::sync::mpsc::UnboundedReceiver<crate::polls::Frame>,
    until: i64,
) -> Vec<(u64, u64, u64)> {
    let mut ids = Vec::new();
    loop {
        let (_, id, value) =
            tokio::time::timeout(Duration::from_secs(10), frames.recv()).await.expect("a frame").expect("open");
        ids.push(version(&id.expect("frames carry ids")));
        if frame_total(&value) == Some(until) {
            return ids;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_that_reconnects_onto_another_shard_keeps_its_ids_going_up() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (_, slug) = open_poll(&app, &staff.admin).await;
    let url = app.url(&format!("/api/polls/{slug}/results/stream"));
    // The api runs on this test's two workers: the poll's watchers take its two shards in turn.
    let watch = |last_event_id: Option<String>| {
        let mut request = app.client.get(&url);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        async move { sse_frames(request.send().await.expect("stream")) }
    };
    let votes = |range: std::ops::Range<usize>| {
        let (app, slug) = (&app, &slug);
        async move {
            for i in range {
                assert_eq!(vote(app, slug, &format!("sharded-{i:03}"), ballot(i)).await.0, StatusCode::CREATED);
            }
        }
    };

    let mut keeper = watch(None).await; // shard 0, for the whole test
    let mut first = watch(None).await; // shard 1
    votes(0..5).await;
    let mut ids = read_ids(&mut first, 5).await;
    drop(first);
    votes(5..10).await;
    let (epoch, answers, joined) = *ids.last().expect("an id");
    let mut again = watch(Some(format!("{epoch}-{answers}-{joined}"))).await; // shard 0 now
    let mut newcomer = watch(None).await; // shard 1
    votes(10..15).await;
    ids.extend(read_ids(&mut again, 15).await);
    assert!(ids.windows(2).all(|w| w[0] <= w[1]), "ids went down across the reconnection: {ids:?}");
    let last = ids.last().copied();
    assert_eq!(read_ids(&mut newcomer, 15).await.last().copied(), last, "both shards end on the same frame");
    assert_eq!(read_ids(&mut keeper, 15).await.last().copied(), last);
}
