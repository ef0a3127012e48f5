//! The frames of a live-results stream, formatted once and shared by every watcher: each
//! audience's delta and snapshot as Server-Sent Events bytes, and the `retry:` a stream starts
//! and ends with.

use std::sync::Arc;

use bytes::Bytes;

use crate::polls::live::pacing::Backlog;
use crate::polls::results::tally::Version;

/// One frame for one audience, formatted once and shared by every watcher (no copy per watcher):
/// the delta from the previous frame when there is one, and the whole results.
#[derive(Debug, Clone)]
pub(crate) struct AudienceFrame {
    pub delta: Option<Bytes>,
    pub snapshot: Bytes,
}

/// A frame for each audience.
#[derive(Debug, Clone)]
pub(crate) struct LiveEvent {
    /// This process's number for the frame: which rendering a watcher holds, exactly (versions
    /// count answers; a reveal changes the results without changing the version).
    pub serial: u64,
    /// The frame a delta applies to (`None`: this frame is a snapshot for everyone).
    pub base: Option<u64>,
    /// Hidden questions as placeholders.
    pub public: AudienceFrame,
    /// Everything (the same bytes when nothing is hidden).
    pub staff: AudienceFrame,
    /// The last frame of a stream (`closed` for a deleted poll).
    pub ends_stream: bool,
    /// Watchers that have not taken this frame yet: the next frame waits for most of them.
    pub backlog: Arc<Backlog>,
}

impl LiveEvent {
    /// One more watcher has taken this frame.
    pub(crate) fn taken(&self) {
        self.backlog.taken();
    }

    /// A frame numbered `serial` whose bytes say what they are (`snapshot 3`, `delta 3`): a delta
    /// from frame `base` when it has one.
    #[cfg(test)]
    pub(crate) fn numbered(serial: u64, base: Option<u64>) -> Self {
        let frame = AudienceFrame {
            delta: base.map(|_| Bytes::from(format!("delta {serial}"))),
            snapshot: Bytes::from(format!("snapshot {serial}")),
        };
        Self { serial, base, public: frame.clone(), staff: frame, ends_stream: false, backlog: Arc::default() }
    }

    /// What a watcher holding frame `held` is written: the delta when it holds the base, else
    /// the whole results.
    pub(crate) fn frame(&self, audience: Audience, held: Option<u64>) -> Bytes {
        let frame = match audience {
            Audience::Public => &self.public,
            Audience::Staff => &self.staff,
        };
        match (&frame.delta, self.base) {
            (Some(delta), Some(base)) if held == Some(base) => delta.clone(),
            _ => frame.snapshot.clone(),
        }
    }
}

/// Who watches: the public sees no results of hidden questions; staff see everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Audience {
    Public,
    Staff,
}

/// The reconnection delays browsers are told (`retry:`, in ms), one drawn per stream when it
/// starts and again when the server ends it: a hall whose process stops — or dies — comes back
/// spread over a second and a quarter instead of in one instant, and within 2 s (with room for
/// the snapshot on a busy host).
const RECONNECT_AFTER_MS: std::ops::RangeInclusive<u32> = 250..=1500;

/// A `retry:` field alone (no event is dispatched): when to reconnect after this stream ends.
pub(crate) fn reconnect_after() -> Bytes {
    use rand_core::RngCore;
    let spread = RECONNECT_AFTER_MS.end() - RECONNECT_AFTER_MS.start() + 1;
    let after = RECONNECT_AFTER_MS.start() + rand_core::OsRng.next_u32() % spread;
    Bytes::from(format!("retry: {after}\n\n"))
}

/// `event: <name>`, `id: <version>` when it has one, and one `data:` line (JSON has no raw
/// newlines), then a blank line.
pub(crate) fn sse_frame(name: &str, id: Option<Version>, json: &str) -> Bytes {
    match id {
        Some(id) => Bytes::from(format!("event: {name}\nid: {id}\ndata: {json}\n\n")),
        None => Bytes::from(format!("event: {name}\ndata: {json}\n\n")),
    }
}

pub(crate) fn deleted() -> LiveEvent {
    let frame = sse_frame("closed", None, r#"{"deleted":true}"#);
    let frame = AudienceFrame { delta: None, snapshot: frame };
    LiveEvent {
        serial: u64::MAX,
        base: None,
        public: frame.clone(),
        staff: frame,
        ends_stream: true,
        backlog: Arc::default(),
    }
}
