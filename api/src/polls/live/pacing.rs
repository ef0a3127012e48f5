//! When a poll's next frame goes out: [`FRAME_FLOOR`] after the news (a presenter's move and what
//! it brings, a burst of commits: one frame), no sooner than that after the last frame, and not
//! before all watchers but a few have taken the last frame — up to [`MAX_BACKLOG_WAIT`]. Both
//! signals are this process's own: its clock and its watchers' backlog, which grows when its
//! sockets do not take frames as fast as they come (a saturated CPU here, a load balancer that
//! reads slowly). A neighbour busy on the same host changes neither while this process keeps up;
//! pacing by the host's CPU pressure (an earlier design) slowed every screen whenever anything
//! else ran on the machine.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// How long news waits before its frame, and the least time between two frames of a poll: a
/// burst of news costs one frame, not one each. (Sending the news at once raced a presenter's
/// move with what it brings: the browser tests' slides missed the nation's comparison.)
pub const FRAME_FLOOR: Duration = Duration::from_millis(20);

/// A frame waits for all watchers but one in this many (and at least one) to take the previous:
/// a phone that has stopped reading must not slow everyone's frames down.
const STRAGGLERS_PER_FRAME: usize = 100;

/// The longest a frame waits for watchers to take the previous one.
const MAX_BACKLOG_WAIT: Duration = Duration::from_millis(150);

/// How many watchers have not taken a frame yet; says when all but the stragglers have.
#[derive(Debug)]
pub(crate) struct Backlog {
    untaken: AtomicUsize,
    /// At or below this many, the next frame may go.
    stragglers: usize,
    drained: Notify,
}

impl Backlog {
    /// A frame handed to `watchers` watchers.
    pub(crate) fn new(watchers: usize) -> Self {
        let backlog = Self {
            untaken: AtomicUsize::new(watchers),
            stragglers: (watchers / STRAGGLERS_PER_FRAME).max(1),
            drained: Notify::new(),
        };
        if backlog.is_drained() {
            backlog.drained.notify_one();
        }
        backlog
    }

    /// One more watcher has taken the frame.
    pub(crate) fn taken(&self) {
        let before = self.untaken.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
        // The watcher that brings it down to the stragglers wakes the frame waiting on it (or
        // leaves the wake-up for it, if it is not waiting yet).
        if before.is_ok_and(|before| before == self.stragglers + 1) {
            self.drained.notify_one();
        }
    }

    fn is_drained(&self) -> bool {
        self.untaken.load(Ordering::Acquire) <= self.stragglers
    }
}

impl Default for Backlog {
    fn default() -> Self {
        Self::new(0)
    }
}

/// The last frame a poll sent: when, and its backlog.
#[derive(Default)]
pub(crate) struct LastFrame(Mutex<Option<(Instant, Arc<Backlog>)>>);

impl LastFrame {
    /// A frame went out now.
    pub(crate) fn sent(&self, backlog: Arc<Backlog>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some((Instant::now(), backlog));
    }

    /// Waits until the next frame may go: [`FRAME_FLOOR`] from now and after the last, once its
    /// watchers have taken it (but [`MAX_BACKLOG_WAIT`] at most). Returns how long it waited for
    /// them.
    pub(crate) async fn next_turn(&self) -> Duration {
        tokio::time::sleep(FRAME_FLOOR).await;
        let last = self.0.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let Some((sent_at, backlog)) = last else { return Duration::ZERO };
        tokio::time::sleep_until(sent_at + FRAME_FLOOR).await;
        let waiting = Instant::now();
        if !backlog.is_drained() {
            let _ = tokio::time::timeout(MAX_BACKLOG_WAIT, backlog.drained.notified()).await;
        }
        waiting.elapsed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_next_frame_goes_at_the_floor_once_all_but_the_stragglers_took_the_last() {
        let last = LastFrame::default();
        assert_eq!(last.next_turn().await, Duration::ZERO, "the first frame waits for nobody");

        // 300 watchers: 3 may lag behind. Taken at once: the floor, and no wait for them.
        let backlog = Arc::new(Backlog::new(300));
        let started = Instant::now();
        last.sent(backlog.clone());
        for _ in 0..297 {
            backlog.taken();
        }
        assert!(last.next_turn().await < Duration::from_millis(5));
        assert!(started.elapsed() >= FRAME_FLOOR);

        // Taken 70 ms after it went: the next frame waits for that (timers never fire early;
        // the upper bound is the cap, which it did not need).
        let backlog = Arc::new(Backlog::new(300));
        let started = Instant::now();
        last.sent(backlog.clone());
        let taking = tokio::spawn({
            let backlog = backlog.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(70)).await;
                for _ in 0..297 {
                    backlog.taken();
                }
            }
        });
        let waited = last.next_turn().await;
        assert!(started.elapsed() >= Duration::from_millis(70));
        assert!(waited > Duration::ZERO && waited < MAX_BACKLOG_WAIT, "{waited:?}");
        taking.await.expect("taking");

        // Not taken at all (sockets that do not drain): the cap.
        last.sent(Arc::new(Backlog::new(300)));
        assert!(last.next_turn().await >= MAX_BACKLOG_WAIT);
    }

    #[test]
    fn one_watcher_may_always_lag() {
        assert!(Backlog::new(0).is_drained());
        assert!(Backlog::new(1).is_drained());
        let backlog = Backlog::new(2);
        assert!(!backlog.is_drained());
        backlog.taken();
        assert!(backlog.is_drained());
        backlog.taken();
        backlog.taken();
        assert_eq!(backlog.untaken.load(Ordering::Acquire), 0, "never below zero");
    }
}
