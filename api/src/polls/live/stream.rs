//! One watcher's live-results stream: its first snapshot, then each shared frame it can apply
//! (a delta when it holds the base, else the snapshot), heartbeats in the silences, and its end
//! (the poll deleted, the process stopping, a staff session or presenter link ended). A watcher
//! whose socket is slow takes only the newest frame when it can write again ([`LatestFrame`]).
//! It yields bytes; the HTTP layer makes them a response.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use futures_util::StreamExt;
use futures_util::future::Either;
use sea_orm::DatabaseConnection;

use crate::error::AppError;
use crate::polls::live::fan_out::LatestFrame;
use crate::polls::live::frames::{Audience, reconnect_after, sse_frame};
use crate::polls::live::{LivePolls, current_results};
use crate::polls::results::tally::Version;
use crate::surveys::cache::SurveyCache;

/// What a stream watches, for whom, and from where it resumes (its `Last-Event-ID`).
pub(crate) struct Watch {
    pub poll_id: i32,
    pub audience: Audience,
    pub seen: Option<Version>,
}

/// One stream's place in its poll's frames.
struct Watcher {
    frames: LatestFrame,
    audience: Audience,
    /// The frame this watcher holds (`None`: not one it could apply a delta to).
    held: Option<u64>,
    /// Frames rendered before its first results were read (see [`Current::skip_through`]).
    skip_through: u64,
}

impl Watcher {
    /// The next frame to write and whether it ends the stream; `None` when the stream ends
    /// without one (the process stops). Frames it missed while its socket was full are not
    /// written: the newest is, whole when it does not hold its base.
    async fn next_frame(&mut self) -> Option<(Bytes, bool)> {
        loop {
            let event = self.frames.next().await?;
            event.taken();
            if event.serial <= self.skip_through && !event.ends_stream {
                continue;
            }
            let frame = event.frame(self.audience, self.held);
            self.held = Some(event.serial);
            return Some((frame, event.ends_stream));
        }
    }
}

/// One open stream in the `blw_live_watchers` gauge, for as long as it lives.
struct Watching(Audience);

impl Watching {
    fn label(audience: Audience) -> &'static str {
        match audience {
            Audience::Public => "public",
            Audience::Staff => "staff",
        }
    }

    fn new(audience: Audience) -> Self {
        metrics::gauge!("blw_live_watchers", "audience" => Self::label(audience)).increment(1.0);
        Self(audience)
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        metrics::gauge!("blw_live_watchers", "audience" => Self::label(self.0)).decrement(1.0);
    }
}

/// What lets a staff stream go on, checked again as it goes: it ends, by the next frame or
/// heartbeat, when what opened it no longer holds.
pub(crate) enum StaffAccess {
    /// The console's session: the stream ends with it (logout, a password change, the account
    /// deactivated).
    Session { db: DatabaseConnection, token: String },
    /// A presenter link (the presenter's own screen in a deck): the stream ends when the link
    /// expires or is revoked.
    PresenterLink { db: DatabaseConnection, link_id: i64 },
}

/// How often, at most, a staff stream asks the database whether its access still holds.
const ACCESS_CHECK_EVERY: Duration = Duration::from_secs(1);

impl StaffAccess {
    /// Whether the access still holds (a database that does not answer keeps the stream going:
    /// an outage is no logout).
    async fn holds(&self) -> bool {
        match self {
            Self::Session { db, token } => !matches!(crate::accounts::session::account_of(db, token).await, Ok(None)),
            Self::PresenterLink { db, link_id } => {
                !matches!(crate::polls::presenter_links::in_force(db, *link_id).await, Ok(false))
            }
        }
    }
}

/// The body of a live-results stream: `snapshot` first, then each shared frame as it comes (a
/// delta when the watcher holds its base, else the snapshot), with a `: heartbeat` comment in
/// every silence of `heartbeat`; it ends when the poll is deleted, the server shuts down, the
/// watcher cannot keep up or (staff) its access ends.
///
/// # Errors
/// No such poll (404), database failure.
pub(crate) async fn results_stream(
    db: &DatabaseConnection,
    surveys: &SurveyCache,
    live: &LivePolls,
    Watch { poll_id, audience, seen }: Watch,
    heartbeat: Duration,
    access: Option<StaffAccess>,
) -> Result<impl Stream<Item = Bytes> + Send + 'static, AppError> {
    // Subscribe first, then read: an update between the two is not lost, at worst repeated.
    let frames = live.subscribe(poll_id);
    if seen.is_some() {
        metrics::counter!("blw_live_resumes_total").increment(1);
    }
    let watching = Watching::new(audience);
    let Some(current) = current_results(db, surveys, live, (poll_id, audience), seen).await? else {
        // Nothing at least as new as what the watcher had can be confirmed now: it is to come
        // back (EventSource keeps its Last-Event-ID), most likely to another process.
        return Ok(Either::Left(futures_util::stream::once(std::future::ready(reconnect_after()))));
    };
    let first = [reconnect_after(), sse_frame("snapshot", current.version, &current.json)].concat();
    let watcher = Watcher { frames, audience, held: current.held, skip_through: current.skip_through };
    // Frames are shared `Bytes`, written as they are: one formatting per update, not per watcher.
    let events =
        futures_util::stream::unfold((Some(Bytes::from(first)), Some(watcher)), |(first, watcher)| async move {
            if let Some(frame) = first {
                return Some((frame, (None, watcher)));
            }
            let mut watcher = watcher?;
            match watcher.next_frame().await {
                Some((frame, ends)) => Some((frame, (None, (!ends).then_some(watcher)))),
                // The process stops: the browser is to come back (elsewhere), at a time of its own.
                None => Some((reconnect_after(), (None, None))),
            }
        });
    let start = tokio::time::Instant::now() + heartbeat;
    let heartbeats =
        futures_util::stream::unfold(tokio::time::interval_at(start, heartbeat), |mut interval| async move {
            interval.tick().await;
            Some((Bytes::from_static(b": heartbeat\n\n"), interval))
        });
    // The stream ends when the events do (a `None` marks it); heartbeats only fill the silences.
    let events = events.map(Some).chain(futures_util::stream::once(std::future::ready(None)));
    let stream = futures_util::stream::select(events, heartbeats.map(Some))
        .take_while(|frame| std::future::ready(frame.is_some()))
        .map(Option::unwrap_or_default)
        // The stream holds its place in the watchers' gauge until it ends.
        .map(move |frame| {
            let _held = &watching;
            frame
        });
    // Before each frame or heartbeat (at most once a second), a staff stream's access is asked
    // about again.
    let guard = access.map(|access| Arc::new((access, Mutex::new(std::time::Instant::now()))));
    let stream = stream.take_while(move |_| {
        let guard = guard.clone();
        async move {
            let Some(guard) = guard else { return true };
            let (access, checked) = guard.as_ref();
            {
                let mut checked = checked.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if checked.elapsed() < ACCESS_CHECK_EVERY {
                    return true;
                }
                *checked = std::time::Instant::now();
            }
            access.holds().await
        }
    });
    // Not boxed: the response body boxes the stream once, as it did when it was made here.
    Ok(Either::Right(stream))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::polls::live::fan_out::FanOut;
    use crate::polls::live::frames::LiveEvent;

    fn event(serial: u64, base: Option<u64>) -> LiveEvent {
        LiveEvent::numbered(serial, base)
    }

    #[tokio::test]
    async fn frames_rendered_before_a_watchers_snapshot_are_not_sent_after_it() {
        let fan_out = FanOut::with_shards(1);
        let mut watcher =
            Watcher { frames: fan_out.subscribe(), audience: Audience::Public, held: None, skip_through: 2 };
        fan_out.publish(event(2, Some(1)));
        fan_out.publish(event(3, Some(2)));
        assert_eq!(watcher.next_frame().await.unwrap().0, "snapshot 3");
    }

    #[tokio::test]
    async fn a_watcher_gets_deltas_it_can_apply_and_after_missing_frames_the_newest_whole() {
        let fan_out = FanOut::with_shards(1);
        let mut watcher =
            Watcher { frames: fan_out.subscribe(), audience: Audience::Public, held: Some(0), skip_through: 0 };
        fan_out.publish(event(1, Some(0)));
        assert_eq!(watcher.next_frame().await.unwrap().0, "delta 1");
        fan_out.publish(event(2, Some(1)));
        assert_eq!(watcher.next_frame().await.unwrap().0, "delta 2");
        // A delta from another base (this watcher's snapshot was newer or older): the snapshot.
        fan_out.publish(event(4, Some(3)));
        assert_eq!(watcher.next_frame().await.unwrap().0, "snapshot 4");
        // Frames published while it was not reading (its socket full): only the newest, whole.
        for serial in 5..=80 {
            fan_out.publish(event(serial, Some(serial - 1)));
        }
        assert_eq!(watcher.next_frame().await.unwrap().0, "snapshot 80");
        fan_out.publish(event(81, Some(80)));
        assert_eq!(watcher.next_frame().await.unwrap().0, "delta 81");
    }
}
