//! When a poll's next frame goes out: as soon as there is news, unless the last frame went out
//! less than [`FRAME_FLOOR`] ago (then at that time), and not before the last frame has been
//! handed out (its lanes through their shards, each shard's watchers mostly having taken it: see
//! `fan_out`) — up to [`MAX_BACKLOG_WAIT`]. Both signals are this process's own: its clock and its
//! watchers' backlog, which grows when its sockets do not take frames as fast as they come (a
//! saturated CPU here, a load balancer that reads slowly). A neighbour busy on the same host
//! changes neither while this process keeps up; pacing by the host's CPU pressure (an earlier
//! design) slowed every screen whenever anything else ran on the machine.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::polls::live::fan_out::Handout;

/// The least time between two frames of a poll: news that comes sooner waits for it, so a burst
/// of commits costs one frame, not one each.
pub const FRAME_FLOOR: Duration = Duration::from_millis(20);

/// The longest a frame waits for the previous one to be handed out.
const MAX_BACKLOG_WAIT: Duration = Duration::from_millis(200);

/// How many watchers have not taken a frame yet; says when all but the stragglers have.
#[derive(Debug)]
pub(crate) struct Backlog {
    untaken: AtomicUsize,
    /// At or below this many, the frame counts as taken.
    stragglers: usize,
    drained: Notify,
}

impl Backlog {
    /// A frame handed to `watchers` watchers, of which `stragglers` may lag.
    pub(crate) fn new(watchers: usize, stragglers: usize) -> Self {
        let backlog = Self { untaken: AtomicUsize::new(watchers), stragglers, drained: Notify::new() };
        if backlog.is_drained() {
            backlog.drained.notify_one();
        }
        backlog
    }

    /// One more watcher has taken the frame.
    pub(crate) fn taken(&self) {
        let before = self.untaken.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
        // The watcher that brings it down to the stragglers wakes whoever waits on it (or leaves
        // the wake-up for it, if it is not waiting yet).
        if before.is_ok_and(|before| before == self.stragglers + 1) {
            self.drained.notify_one();
        }
    }

    /// Once all but the stragglers have taken the frame (at once if they have).
    pub(crate) async fn drained(&self) {
        if !self.is_drained() {
            self.drained.notified().await;
        }
    }

    fn is_drained(&self) -> bool {
        self.untaken.load(Ordering::Acquire) <= self.stragglers
    }
}

/// The last frame a poll sent: when, and its handing out.
#[derive(Default)]
pub(crate) struct LastFrame(Mutex<Option<(Instant, Arc<Handout>)>>);

impl LastFrame {
    /// A frame went out now.
    pub(crate) fn sent(&self, handout: Arc<Handout>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some((Instant::now(), handout));
    }

    /// Waits until the next frame may go: [`FRAME_FLOOR`] after the last, once that one has been
    /// handed out (but [`MAX_BACKLOG_WAIT`] at most). Returns how long it waited for that.
    pub(crate) async fn next_turn(&self) -> Duration {
        let last = self.0.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let Some((sent_at, handout)) = last else { return Duration::ZERO };
        tokio::time::sleep_until(sent_at + FRAME_FLOOR).await;
        let waiting = Instant::now();
        let _ = tokio::time::timeout(MAX_BACKLOG_WAIT, handout.through()).await;
        waiting.elapsed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::polls::live::fan_out::{FanOut, MAX_SHARD_WAIT};
    use crate::polls::live::frames::{AudienceFrame, LiveEvent};

    fn event(serial: u64) -> LiveEvent {
        let frame = AudienceFrame { delta: None, snapshot: bytes::Bytes::from_static(b"snapshot") };
        LiveEvent { serial, base: None, public: frame.clone(), staff: frame, ends_stream: false }
    }

    #[tokio::test]
    async fn the_next_frame_goes_at_the_floor_once_the_last_was_handed_out() {
        let last = LastFrame::default();
        assert_eq!(last.next_turn().await, Duration::ZERO, "the first frame goes at once");

        // Taken at once: the floor, and no wait.
        let fan_out = FanOut::with_lanes(1, 1);
        let mut watcher = fan_out.subscribe();
        let started = Instant::now();
        last.sent(fan_out.publish(event(1)));
        watcher.next().await;
        assert!(last.next_turn().await < Duration::from_millis(5));
        assert!(started.elapsed() >= FRAME_FLOOR);

        // Two shards of two watchers that do not take it: the next frame waits while the lane holds
        // on to each shard for its bound (timers never fire early), not for the cap.
        let fan_out = FanOut::with_lanes(1, 2);
        let _watchers: Vec<_> = (0..4).map(|_| fan_out.subscribe()).collect();
        let started = Instant::now();
        last.sent(fan_out.publish(event(2)));
        let waited = last.next_turn().await;
        assert!(started.elapsed() >= 2 * MAX_SHARD_WAIT, "{:?}", started.elapsed());
        assert!(waited < MAX_BACKLOG_WAIT, "{waited:?}");
    }

    #[test]
    fn the_stragglers_may_lag() {
        assert!(Backlog::new(0, 1).is_drained());
        assert!(Backlog::new(1, 1).is_drained());
        let backlog = Backlog::new(3, 1);
        assert!(!backlog.is_drained());
        backlog.taken();
        assert!(!backlog.is_drained());
        backlog.taken();
        assert!(backlog.is_drained());
        backlog.taken();
        backlog.taken();
        assert_eq!(backlog.untaken.load(Ordering::Acquire), 0, "never below zero");
    }
}
