//! Handing a poll's frames to its watchers: one slot holding the newest frame, never a queue. A
//! watcher takes the newest frame whenever its socket has taken the last one, so a slow socket
//! gets fewer frames, never stale ones, and holds nobody back.
//!
//! The watchers are spread over small shards, and a frame is handed out by one lane per worker
//! thread, shard after shard: a lane wakes a shard's watchers and wakes the next shard once most
//! of them have taken the frame. A woken watcher runs on the worker that woke it, so every core
//! writes sockets of the same frame; and the run queues never hold more than a shard's watchers
//! per lane, so a ballot's request, arriving mid-frame, waits behind a few dozen writes rather than
//! behind every watcher's.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::time::Instant;

use crate::polls::live::frames::LiveEvent;
use crate::polls::live::pacing::Backlog;

/// Shards per lane: at 10,000 watchers on 2 workers a shard holds about 80.
const SHARDS_PER_LANE: usize = 64;

/// A lane wakes the next shard when all but one in this many of a shard's watchers (and at least
/// one) have taken the frame: the rest are already queued to run.
const SHARD_STRAGGLERS: usize = 10;

/// The longest a lane waits for one shard: watchers that do not take frames (stalled sockets)
/// delay the next shard by this much at most…
pub(crate) const MAX_SHARD_WAIT: Duration = Duration::from_millis(20);

/// …and a frame's lanes stop waiting for shards this long after they started.
const MAX_HANDOUT_WAIT: Duration = Duration::from_millis(150);

/// A frame as a shard's slot holds it: the frame and how many of the shard's watchers have not
/// taken it yet.
#[derive(Clone)]
struct Delivery {
    event: Arc<LiveEvent>,
    untaken: Arc<Backlog>,
}

/// The newest frame of one shard (`None` before the first).
type Slot = watch::Sender<Option<Delivery>>;

/// A poll's watchers, by shard.
pub(crate) struct FanOut {
    shards: Arc<[Slot]>,
    lanes: usize,
    /// Where the next watcher goes (round robin).
    next_shard: AtomicUsize,
}

impl FanOut {
    /// One lane per worker thread of the runtime this is called on (one outside a runtime).
    pub(crate) fn per_worker() -> Self {
        let workers = tokio::runtime::Handle::try_current().map_or(1, |runtime| runtime.metrics().num_workers());
        Self::with_lanes(workers, SHARDS_PER_LANE)
    }

    pub(crate) fn with_lanes(lanes: usize, shards_per_lane: usize) -> Self {
        let lanes = lanes.max(1);
        let shards = (0..lanes * shards_per_lane.max(1)).map(|_| watch::Sender::new(None)).collect();
        Self { shards, lanes, next_shard: AtomicUsize::new(0) }
    }

    /// A new watcher, on the next shard; frames published after this call reach it.
    pub(crate) fn subscribe(&self) -> LatestFrame {
        let shard = self.next_shard.fetch_add(1, Ordering::Relaxed) % self.shards.len();
        LatestFrame { receiver: self.shards[shard].subscribe() }
    }

    /// Watchers now, over every shard.
    pub(crate) fn watchers(&self) -> usize {
        self.shards.iter().map(watch::Sender::receiver_count).sum()
    }

    /// Watchers now, shard by shard.
    #[cfg(test)]
    pub(crate) fn watchers_by_shard(&self) -> Vec<usize> {
        self.shards.iter().map(watch::Sender::receiver_count).collect()
    }

    /// Hands `event` out, each lane a task of its own going through its shards; returns what
    /// says when they are through.
    pub(crate) fn publish(&self, event: LiveEvent) -> Arc<Handout> {
        let event = Arc::new(event);
        let handout = Arc::new(Handout { lanes_left: AtomicUsize::new(self.lanes), through: Notify::new() });
        let deadline = Instant::now() + MAX_HANDOUT_WAIT;
        for lane in 0..self.lanes {
            let (shards, lanes, event, handout) = (self.shards.clone(), self.lanes, event.clone(), handout.clone());
            tokio::spawn(async move {
                for slot in shards.iter().skip(lane).step_by(lanes) {
                    hand_to_shard(slot, &event, deadline).await;
                }
                handout.lane_through();
            });
        }
        handout
    }
}

/// Puts the frame in the shard's slot (unless it already holds a later one: two frames' lanes
/// may overlap, a poll's close is not paced) and waits for most of its watchers to take it.
async fn hand_to_shard(slot: &Slot, event: &Arc<LiveEvent>, deadline: Instant) {
    let watchers = slot.receiver_count();
    if watchers == 0 {
        return;
    }
    let untaken = Arc::new(Backlog::new(watchers, (watchers / SHARD_STRAGGLERS).max(1)));
    let replaced = slot.send_if_modified(|newest| {
        if newest.as_ref().is_some_and(|newest| newest.event.serial >= event.serial) {
            return false;
        }
        *newest = Some(Delivery { event: event.clone(), untaken: untaken.clone() });
        true
    });
    let now = Instant::now();
    if replaced && now < deadline {
        let _ = tokio::time::timeout_at((now + MAX_SHARD_WAIT).min(deadline), untaken.drained()).await;
    }
}

/// A frame being handed out: through when every lane has been through its shards.
#[derive(Debug)]
pub(crate) struct Handout {
    lanes_left: AtomicUsize,
    through: Notify,
}

impl Handout {
    fn lane_through(&self) {
        if self.lanes_left.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.through.notify_one();
        }
    }

    /// Once every shard has the frame and most of its watchers took it (at once if they have).
    pub(crate) async fn through(&self) {
        if self.lanes_left.load(Ordering::Acquire) > 0 {
            self.through.notified().await;
        }
    }
}

/// One watcher's view of its shard's slot.
pub(crate) struct LatestFrame {
    receiver: watch::Receiver<Option<Delivery>>,
}

impl LatestFrame {
    /// The newest frame this watcher has not taken yet, once there is one (at once when it
    /// already is); `None` when the poll's frames end (the process stops).
    pub(crate) async fn next(&mut self) -> Option<Arc<LiveEvent>> {
        loop {
            self.receiver.changed().await.ok()?;
            if let Some(delivery) = self.receiver.borrow_and_update().clone() {
                delivery.untaken.taken();
                return Some(delivery.event);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::polls::live::frames::AudienceFrame;
    use bytes::Bytes;

    fn event(serial: u64) -> LiveEvent {
        let frame = AudienceFrame { delta: None, snapshot: Bytes::from(format!("snapshot {serial}")) };
        LiveEvent { serial, base: None, public: frame.clone(), staff: frame, ends_stream: false }
    }

    #[tokio::test]
    async fn a_paused_watcher_gets_only_the_newest_frame_when_it_resumes() {
        let fan_out = FanOut::with_lanes(1, 1);
        let mut paused = fan_out.subscribe();
        for serial in 1..=100 {
            fan_out.publish(event(serial)).through().await;
        }
        assert_eq!(paused.next().await.map(|e| e.serial), Some(100));
        fan_out.publish(event(101)).through().await;
        assert_eq!(paused.next().await.map(|e| e.serial), Some(101));
        // A frame handed out late (an older frame's lane ran after a newer one's) does not
        // replace it.
        fan_out.publish(event(102)).through().await;
        fan_out.publish(event(99)).through().await;
        assert_eq!(paused.next().await.map(|e| e.serial), Some(102));
        drop(fan_out);
        assert!(paused.next().await.is_none(), "frames end with the poll's fan-out");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn watchers_are_spread_over_the_shards_and_every_shard_gets_each_frame() {
        let fan_out = FanOut::per_worker();
        let shards = 2 * SHARDS_PER_LANE;
        let mut watchers: Vec<LatestFrame> = (0..3 * shards).map(|_| fan_out.subscribe()).collect();
        assert_eq!(fan_out.watchers_by_shard(), vec![3; shards]);
        fan_out.publish(event(7)).through().await;
        for watcher in &mut watchers {
            assert_eq!(watcher.next().await.map(|e| e.serial), Some(7));
        }
        drop(watchers.pop());
        assert_eq!(fan_out.watchers(), 3 * shards - 1);
    }

    #[tokio::test]
    async fn a_lane_wakes_the_next_shard_once_the_last_was_taken_or_after_a_bound() {
        // One lane, two shards of 20: the second shard's watchers get the frame only once the
        // first's have taken it (all but 2).
        let fan_out = Arc::new(FanOut::with_lanes(1, 2));
        let mut watchers: Vec<LatestFrame> = (0..40).map(|_| fan_out.subscribe()).collect();
        let (mut first, mut second): (Vec<_>, Vec<_>) = (Vec::new(), Vec::new());
        for (i, watcher) in watchers.drain(..).enumerate() {
            if i % 2 == 0 { first.push(watcher) } else { second.push(watcher) }
        }
        let started = Instant::now();
        let handout = fan_out.publish(event(1));
        tokio::task::yield_now().await;
        assert!(second[0].receiver.borrow().is_none(), "the second shard waits for the first");
        for watcher in first.iter_mut().take(18) {
            watcher.next().await;
        }
        tokio::task::yield_now().await;
        assert!(second[0].receiver.borrow().is_some(), "the first shard took it: the second has it");
        assert!(started.elapsed() < MAX_SHARD_WAIT, "without waiting for the bound");
        handout.through().await;

        // Nobody takes the next frame: each shard holds the lane for the bound, no longer.
        let started = Instant::now();
        fan_out.publish(event(2)).through().await;
        assert!(started.elapsed() >= 2 * MAX_SHARD_WAIT);
        assert!(started.elapsed() < MAX_HANDOUT_WAIT);
    }
}
