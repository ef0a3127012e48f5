//! Handing a poll's frames to its watchers: one slot holding the newest frame, never a queue. A
//! watcher takes the newest frame whenever its socket has taken the last one, so a slow socket
//! gets fewer frames, never stale ones, and holds nobody back. The watchers are spread over as
//! many shards as the runtime has worker threads, and each shard is woken from a task of its own:
//! a woken watcher runs on the worker that woke it, so the sockets of one frame are written by
//! every worker at once instead of queueing behind one.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::watch;

use crate::polls::live::frames::LiveEvent;

/// The newest frame of one shard (`None` before the first).
type Slot = watch::Sender<Option<Arc<LiveEvent>>>;

/// A poll's watchers, by shard.
pub(crate) struct FanOut {
    shards: Arc<[Slot]>,
    /// Where the next watcher goes (round robin).
    next_shard: AtomicUsize,
}

impl FanOut {
    /// One shard per worker thread of the runtime this is called on (one outside a runtime).
    pub(crate) fn per_worker() -> Self {
        let workers = tokio::runtime::Handle::try_current().map_or(1, |runtime| runtime.metrics().num_workers());
        Self::with_shards(workers)
    }

    pub(crate) fn with_shards(shards: usize) -> Self {
        let shards = (0..shards.max(1)).map(|_| watch::Sender::new(None)).collect();
        Self { shards, next_shard: AtomicUsize::new(0) }
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

    /// Puts `event` in every shard's slot, replacing the frame there: the first shard's from here,
    /// the others' each from a task of its own (on a runtime with several workers, another worker
    /// picks it up and writes that shard's sockets while this one writes the first's).
    pub(crate) fn publish(&self, event: LiveEvent) {
        let event = Arc::new(event);
        for shard in 1..self.shards.len() {
            let (shards, event) = (self.shards.clone(), event.clone());
            tokio::spawn(async move { put_newest(&shards[shard], event) });
        }
        put_newest(&self.shards[0], event);
    }
}

/// Replaces the slot's frame by `event` unless the slot already holds a later one (the tasks of
/// two frames published in quick succession may run in either order).
fn put_newest(slot: &Slot, event: Arc<LiveEvent>) {
    slot.send_if_modified(|newest| {
        if newest.as_ref().is_some_and(|newest| newest.serial >= event.serial) {
            return false;
        }
        *newest = Some(event);
        true
    });
}

/// One watcher's view of its shard's slot.
pub(crate) struct LatestFrame {
    receiver: watch::Receiver<Option<Arc<LiveEvent>>>,
}

impl LatestFrame {
    /// The newest frame this watcher has not taken yet, once there is one (at once when it
    /// already is); `None` when the poll's frames end (the process stops).
    pub(crate) async fn next(&mut self) -> Option<Arc<LiveEvent>> {
        loop {
            self.receiver.changed().await.ok()?;
            if let Some(event) = self.receiver.borrow_and_update().clone() {
                return Some(event);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(serial: u64) -> LiveEvent {
        LiveEvent::numbered(serial, None)
    }

    #[tokio::test]
    async fn a_paused_watcher_gets_only_the_newest_frame_when_it_resumes() {
        let fan_out = FanOut::with_shards(1);
        let mut paused = fan_out.subscribe();
        for serial in 1..=100 {
            fan_out.publish(event(serial));
        }
        assert_eq!(paused.next().await.map(|e| e.serial), Some(100));
        fan_out.publish(event(101));
        assert_eq!(paused.next().await.map(|e| e.serial), Some(101));
        // A frame published out of order (an older one's task ran late) does not replace it.
        fan_out.publish(event(99));
        fan_out.publish(event(102));
        assert_eq!(paused.next().await.map(|e| e.serial), Some(102));
        drop(fan_out);
        assert!(paused.next().await.is_none(), "frames end with the poll's fan-out");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn watchers_are_spread_over_one_shard_per_worker_and_every_shard_gets_each_frame() {
        let fan_out = FanOut::per_worker();
        let mut watchers: Vec<LatestFrame> = (0..10).map(|_| fan_out.subscribe()).collect();
        assert_eq!(fan_out.watchers_by_shard(), vec![5, 5]);
        assert_eq!(fan_out.watchers(), 10);
        fan_out.publish(event(7));
        for watcher in &mut watchers {
            assert_eq!(watcher.next().await.map(|e| e.serial), Some(7));
        }
        drop(watchers.pop());
        assert_eq!(fan_out.watchers(), 9);
    }
}
