//! What happens to a poll, announced on one PostgreSQL channel so that every api process hears
//! it. [`PollEvent`] owns the announcement text: nothing else writes or reads it.
//!
//! Payloads (NOTIFY allows 8,000 bytes; a batch's ballots are split to fit):
//! - `<poll id> open`, `<poll id> closed`, `<poll id> deleted`, `<poll id> changed` (what the
//!   public may see changed: a question's results hidden or revealed, a word hidden, the answers
//!   reset), `<poll id> edited` (the poll's questions were replaced, or reworded once answered:
//!   ballots and screens read it again);
//! - `<poll id> paced <position|-> <open|closed>[ <ms>]`: the question a poll's screens show now,
//!   (presenter-paced) whether it takes answers, and when its countdown ends (Unix milliseconds,
//!   the database's clock) if one runs;
//! - `<poll id> joined <count>`: how many browsers have joined the poll, after one more did;
//! - `<poll id> qa <changes> q <id> <votes> <review> <answered 0|1> <asked ms> <text> <name|->`: an
//!   audience question as it stands after the poll's `changes`-th Q&A change (asked, voted on,
//!   reviewed, answered; text and name percent-encoded), or `<poll id> qa <changes> pin <id|->`:
//!   the question pinned to the audience view;
//! - `<poll id> votes <ballot>;<ballot>;…`, each ballot `<respondent id>/<choices>`, one choice per
//!   poll question in the poll's order, comma-separated: `-` where not answered (in this ballot),
//!   the value (`2`) for a single response, `*0+3` for several options, `~hope+civil%20rights` for
//!   normalized words (percent-encoded; typed words stay in the database), `"I%20hope` for an
//!   open answer (percent-encoded, as typed; it waits for a presenter's review):
//!   `12 votes 301/2,0;302/-,3`. (The split answer is one of the choices: the tally knows which.)

use std::fmt::{self, Write as _};
use std::str::FromStr;

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

use crate::polls::kinds::{Choice, Guess, OpenAnswer, Word};
use crate::polls::model::{AudienceQuestionState, Review};

/// The PostgreSQL channel poll events are announced on.
pub(crate) const POLL_EVENTS_CHANNEL: &str = "blw_poll_events";

/// NOTIFY's payload limit is 8,000 bytes; stay clear of it.
const MAX_PAYLOAD: usize = 7_900;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PollEvent {
    Opened {
        poll_id: i32,
    },
    Closed {
        poll_id: i32,
    },
    Deleted {
        poll_id: i32,
    },
    /// A question's results were hidden or revealed, a word hidden, the answers reset: read the
    /// poll again.
    Changed {
        poll_id: i32,
    },
    /// The poll's definition was replaced (closed and unanswered) or its wording changed (closed,
    /// answered): forget it everywhere.
    Edited {
        poll_id: i32,
    },
    /// The presenter moved the screens to another question (or the join slide), or opened or
    /// closed voting on a presenter-paced poll's question.
    Paced {
        poll_id: i32,
        current: Option<i16>,
        voting_open: bool,
        /// When the question's countdown closes its voting (Unix milliseconds).
        closes_at: Option<i64>,
    },
    /// One more browser joined: the poll's count now (counts are announced in commit order).
    Joined {
        poll_id: i32,
        joined: i64,
    },
    /// An audience question changed, or the pinned one: the change's number among the poll's Q&A
    /// changes (every process counts them in this order), and the new state.
    Qa {
        poll_id: i32,
        changes: i64,
        change: QaChange,
    },
    /// Ballots were committed; they travel with the event, so watchers add them without reading
    /// them back.
    Voted {
        poll_id: i32,
        ballots: Vec<RecordedBallot>,
    },
}

/// What changed in a poll's audience Q&A.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum QaChange {
    /// A question as it stands now.
    Question(AudienceQuestionState),
    /// The question pinned to the audience view (none: unpinned).
    Pinned(Option<i64>),
}

/// A committed ballot as the live tallies count it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordedBallot {
    pub respondent_id: i64,
    /// Per poll question, in the poll's order: the answer, if this ballot answered it.
    pub choices: Vec<Option<Choice>>,
}

impl RecordedBallot {
    fn write_to(&self, out: &mut String) {
        let _ = write!(out, "{}/", self.respondent_id);
        for (i, choice) in self.choices.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_choice(out, choice.as_ref());
        }
    }
}

fn write_choice(out: &mut String, choice: Option<&Choice>) {
    match choice {
        Some(Choice::One(index)) => {
            let _ = write!(out, "{index}");
        }
        Some(Choice::Several(indices)) => {
            out.push('*');
            for (i, index) in indices.iter().enumerate() {
                let _ = write!(out, "{}{index}", if i > 0 { "+" } else { "" });
            }
        }
        Some(Choice::Words(words)) => {
            out.push('~');
            for (i, word) in words.iter().enumerate() {
                if i > 0 {
                    out.push('+');
                }
                percent_encode(out, &word.normalized);
            }
        }
        Some(Choice::Open(answer)) => {
            out.push('"');
            percent_encode(out, &answer.text);
        }
        Some(Choice::Ranking(items)) => {
            out.push('>');
            for (i, item) in items.iter().enumerate() {
                let _ = write!(out, "{}{item}", if i > 0 { "+" } else { "" });
            }
        }
        Some(Choice::Guess(guess)) => {
            let _ = write!(out, "={}", guess.percent);
            if let Some(name) = &guess.display_name {
                out.push(':');
                percent_encode(out, name);
            }
        }
        None => out.push('-'),
    }
}

/// The payload's separators (space , ; / + ~ * -) and `%` itself as `%XX`, so that none appears
/// inside a word; everything else as it is (UTF-8 stays UTF-8: a word costs its own bytes).
fn percent_encode(out: &mut String, text: &str) {
    for c in text.chars() {
        if matches!(c, ' ' | ',' | ';' | '/' | '+' | '~' | '*' | '-' | '%') || c.is_control() {
            let mut bytes = [0u8; 4];
            for byte in c.encode_utf8(&mut bytes).bytes() {
                let _ = write!(out, "%{byte:02X}");
            }
        } else {
            out.push(c);
        }
    }
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl PollEvent {
    pub(crate) fn poll_id(&self) -> i32 {
        match self {
            PollEvent::Opened { poll_id }
            | PollEvent::Closed { poll_id }
            | PollEvent::Deleted { poll_id }
            | PollEvent::Changed { poll_id }
            | PollEvent::Edited { poll_id }
            | PollEvent::Paced { poll_id, .. }
            | PollEvent::Joined { poll_id, .. }
            | PollEvent::Qa { poll_id, .. }
            | PollEvent::Voted { poll_id, .. } => *poll_id,
        }
    }

    /// `Voted` events for `ballots`, as many as their payloads need to stay under NOTIFY's limit. A
    /// ballot too long for any payload (many long words or open answers) is announced as `changed`
    /// instead: every process then reads the poll again.
    pub(crate) fn votes(poll_id: i32, ballots: Vec<RecordedBallot>) -> Vec<PollEvent> {
        let prefix = format!("{poll_id} votes ").len();
        let (mut events, mut chunk, mut size) = (Vec::new(), Vec::new(), prefix);
        let mut text = String::new();
        let mut too_long = false;
        for ballot in ballots {
            text.clear();
            ballot.write_to(&mut text);
            if prefix + text.len() > MAX_PAYLOAD {
                too_long = true;
                continue;
            }
            if !chunk.is_empty() && size + 1 + text.len() > MAX_PAYLOAD {
                events.push(PollEvent::Voted { poll_id, ballots: std::mem::take(&mut chunk) });
                size = prefix;
            }
            size += text.len() + 1;
            chunk.push(ballot);
        }
        if !chunk.is_empty() {
            events.push(PollEvent::Voted { poll_id, ballots: chunk });
        }
        if too_long {
            events.push(PollEvent::Changed { poll_id });
        }
        events
    }

    /// Queues the announcement; PostgreSQL sends it when the surrounding transaction commits.
    ///
    /// # Errors
    /// Database failure.
    pub(crate) async fn announce<C: ConnectionTrait>(&self, db: &C) -> Result<(), DbErr> {
        Self::announce_all(db, vec![self.to_string()]).await
    }

    /// Queues several announcements with one statement.
    ///
    /// # Errors
    /// Database failure.
    pub(crate) async fn announce_all<C: ConnectionTrait>(db: &C, payloads: Vec<String>) -> Result<(), DbErr> {
        // NOTIFY has no query-builder form; pg_notify takes the payloads as a bound array.
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload",
            [POLL_EVENTS_CHANNEL.into(), payloads.into()],
        ))
        .await?;
        Ok(())
    }

    /// Whether `payload` announces votes, without reading them (most announcements do, and
    /// some listeners care only about the others).
    pub(crate) fn announces_votes(payload: &str) -> bool {
        payload.split(' ').nth(1) == Some("votes")
    }
}

impl fmt::Display for PollEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PollEvent::Opened { poll_id } => write!(f, "{poll_id} open"),
            PollEvent::Closed { poll_id } => write!(f, "{poll_id} closed"),
            PollEvent::Deleted { poll_id } => write!(f, "{poll_id} deleted"),
            PollEvent::Changed { poll_id } => write!(f, "{poll_id} changed"),
            PollEvent::Edited { poll_id } => write!(f, "{poll_id} edited"),
            PollEvent::Paced { poll_id, current, voting_open, closes_at } => {
                let current = current.map_or_else(|| "-".to_owned(), |c| c.to_string());
                write!(f, "{poll_id} paced {current} {}", if *voting_open { "open" } else { "closed" })?;
                match closes_at {
                    Some(at) => write!(f, " {at}"),
                    None => Ok(()),
                }
            }
            PollEvent::Joined { poll_id, joined } => write!(f, "{poll_id} joined {joined}"),
            PollEvent::Qa { poll_id, changes, change: QaChange::Pinned(pinned) } => {
                let pinned = pinned.map_or_else(|| "-".to_owned(), |id| id.to_string());
                write!(f, "{poll_id} qa {changes} pin {pinned}")
            }
            PollEvent::Qa { poll_id, changes, change: QaChange::Question(q) } => {
                let mut text = String::new();
                percent_encode(&mut text, &q.text);
                let name = q.display_name.as_deref().map_or_else(
                    || "-".to_owned(),
                    |name| {
                        let mut encoded = String::new();
                        percent_encode(&mut encoded, name);
                        encoded
                    },
                );
                write!(
                    f,
                    "{poll_id} qa {changes} q {} {} {} {} {} {text} {name}",
                    q.id,
                    q.votes,
                    q.review.as_str(),
                    u8::from(q.answered),
                    q.asked_at
                )
            }
            PollEvent::Voted { poll_id, ballots } => {
                let mut text = format!("{poll_id} votes ");
                for (i, ballot) in ballots.iter().enumerate() {
                    if i > 0 {
                        text.push(';');
                    }
                    ballot.write_to(&mut text);
                }
                f.write_str(&text)
            }
        }
    }
}

/// An announcement this build cannot read.
#[derive(Debug, thiserror::Error)]
#[error("unreadable poll event '{0}'")]
pub(crate) struct UnreadableEvent(pub String);

impl FromStr for PollEvent {
    type Err = UnreadableEvent;

    fn from_str(payload: &str) -> Result<Self, Self::Err> {
        parse(payload).ok_or_else(|| UnreadableEvent(payload.to_owned()))
    }
}

fn parse_choice(text: &str) -> Option<Option<Choice>> {
    if text == "-" {
        return Some(None);
    }
    if let Some(several) = text.strip_prefix('*') {
        let indices = several.split('+').map(|k| k.parse().ok()).collect::<Option<Vec<i16>>>()?;
        return Some(Some(Choice::Several(indices)));
    }
    if let Some(words) = text.strip_prefix('~') {
        let words = words
            .split('+')
            .map(|w| percent_decode(w).map(|normalized| Word { typed: normalized.clone(), normalized }))
            .collect::<Option<Vec<Word>>>()?;
        return Some(Some(Choice::Words(words)));
    }
    if let Some(open) = text.strip_prefix('"') {
        let text = percent_decode(open)?;
        return Some(Some(Choice::Open(OpenAnswer { text, review: Review::Pending })));
    }
    if let Some(ranking) = text.strip_prefix('>') {
        let items = ranking.split('+').map(|k| k.parse().ok()).collect::<Option<Vec<i16>>>()?;
        return Some(Some(Choice::Ranking(items)));
    }
    if let Some(guess) = text.strip_prefix('=') {
        let (percent, display_name) = match guess.split_once(':') {
            Some((percent, name)) => (percent, Some(percent_decode(name)?)),
            None => (guess, None),
        };
        return Some(Some(Choice::Guess(Guess { percent: percent.parse().ok()?, display_name })));
    }
    text.parse().ok().map(|k| Some(Choice::One(k)))
}

fn parse_ballot(text: &str) -> Option<RecordedBallot> {
    let mut fields = text.split('/');
    let respondent_id = fields.next()?.parse().ok()?;
    let choices = fields.next()?.split(',').map(parse_choice).collect::<Option<Vec<_>>>()?;
    fields.next().is_none().then_some(RecordedBallot { respondent_id, choices })
}

fn parse(payload: &str) -> Option<PollEvent> {
    let mut parts = payload.split(' ');
    let poll_id = parts.next()?.parse().ok()?;
    let event = match parts.next()? {
        "open" => PollEvent::Opened { poll_id },
        "closed" => PollEvent::Closed { poll_id },
        "deleted" => PollEvent::Deleted { poll_id },
        "changed" => PollEvent::Changed { poll_id },
        "edited" => PollEvent::Edited { poll_id },
        "paced" => {
            let current = match parts.next()? {
                "-" => None,
                position => Some(position.parse().ok()?),
            };
            let voting_open = match parts.next()? {
                "open" => true,
                "closed" => false,
                _ => return None,
            };
            let closes_at = match parts.next() {
                Some(at) => Some(at.parse().ok()?),
                None => None,
            };
            PollEvent::Paced { poll_id, current, voting_open, closes_at }
        }
        "joined" => PollEvent::Joined { poll_id, joined: parts.next()?.parse().ok()? },
        "qa" => {
            let changes = parts.next()?.parse().ok()?;
            let change = match parts.next()? {
                "pin" => QaChange::Pinned(match parts.next()? {
                    "-" => None,
                    id => Some(id.parse().ok()?),
                }),
                "q" => QaChange::Question(AudienceQuestionState {
                    id: parts.next()?.parse().ok()?,
                    votes: parts.next()?.parse().ok()?,
                    review: Review::named(parts.next()?)?,
                    answered: match parts.next()? {
                        "1" => true,
                        "0" => false,
                        _ => return None,
                    },
                    asked_at: parts.next()?.parse().ok()?,
                    text: percent_decode(parts.next()?)?,
                    display_name: match parts.next()? {
                        "-" => None,
                        name => Some(percent_decode(name)?),
                    },
                }),
                _ => return None,
            };
            PollEvent::Qa { poll_id, changes, change }
        }
        "votes" => {
            let ballots = parts.next()?.split(';').map(parse_ballot).collect::<Option<Vec<_>>>()?;
            PollEvent::Voted { poll_id, ballots }
        }
        _ => return None,
    };
    parts.next().is_none().then_some(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ballot(respondent_id: i64, choices: &[Option<i16>]) -> RecordedBallot {
        RecordedBallot { respondent_id, choices: choices.iter().map(|c| c.map(Choice::One)).collect() }
    }

    fn word(normalized: &str) -> Word {
        Word { typed: normalized.to_owned(), normalized: normalized.to_owned() }
    }

    #[test]
    fn every_event_round_trips_through_its_text() {
        let events = [
            PollEvent::Opened { poll_id: 7 },
            PollEvent::Closed { poll_id: 7 },
            PollEvent::Deleted { poll_id: 2_147_483_647 },
            PollEvent::Changed { poll_id: 5 },
            PollEvent::Joined { poll_id: 5, joined: 1_204 },
            PollEvent::Voted {
                poll_id: 3,
                ballots: vec![ballot(9_000_000_001, &[Some(2), Some(0)]), ballot(9_000_000_002, &[None, Some(3)])],
            },
            PollEvent::Voted { poll_id: 3, ballots: vec![ballot(1, &[Some(4)])] },
            PollEvent::Edited { poll_id: 8 },
            PollEvent::Paced { poll_id: 8, current: Some(3), voting_open: true, closes_at: None },
            PollEvent::Paced { poll_id: 8, current: Some(3), voting_open: true, closes_at: Some(1_796_000_123_456) },
            PollEvent::Paced { poll_id: 8, current: None, voting_open: false, closes_at: None },
            PollEvent::Qa { poll_id: 4, changes: 17, change: QaChange::Pinned(Some(12)) },
            PollEvent::Qa { poll_id: 4, changes: 18, change: QaChange::Pinned(None) },
            PollEvent::Qa {
                poll_id: 4,
                changes: 19,
                change: QaChange::Question(AudienceQuestionState {
                    id: 12,
                    text: "Why - not 100% \"now\"; ok/+~*,".to_owned(),
                    display_name: Some("-".to_owned()),
                    review: Review::Approved,
                    answered: true,
                    votes: 41,
                    asked_at: 1_796_000_123_456,
                }),
            },
            PollEvent::Qa {
                poll_id: 4,
                changes: 20,
                change: QaChange::Question(AudienceQuestionState {
                    id: 13,
                    text: "é".to_owned(),
                    display_name: None,
                    review: Review::Pending,
                    answered: false,
                    votes: 0,
                    asked_at: 1,
                }),
            },
            PollEvent::Voted {
                poll_id: 9,
                ballots: vec![RecordedBallot {
                    respondent_id: 5,
                    choices: vec![
                        Some(Choice::Several(vec![0, 3, 11])),
                        None,
                        Some(Choice::Words(vec![word("civil rights"), word(""), word("é,;/+~*% x")])),
                        Some(Choice::One(7)),
                        Some(Choice::Open(OpenAnswer {
                            text: "\"Fix it\", said she; 100% -/+~* ".to_owned(),
                            review: Review::Pending,
                        })),
                        Some(Choice::Ranking(vec![3, 0, 9])),
                        Some(Choice::Guess(Guess { percent: 0, display_name: None })),
                        Some(Choice::Guess(Guess {
                            percent: 100, display_name: Some("Zoë: 100% -/+~* ,".to_owned())
                        })),
                    ],
                }],
            },
        ];
        for event in events {
            let text = event.to_string();
            assert_eq!(text.parse::<PollEvent>().unwrap(), event, "{text}");
        }
    }

    #[test]
    fn the_text_format_is_stable() {
        let votes = PollEvent::Voted {
            poll_id: 12,
            ballots: vec![ballot(301, &[Some(2), Some(0)]), ballot(302, &[None, Some(3)])],
        };
        assert_eq!(votes.to_string(), "12 votes 301/2,0;302/-,3");
        assert_eq!(PollEvent::Closed { poll_id: 4 }.to_string(), "4 closed");
        let several = PollEvent::Voted {
            poll_id: 2,
            ballots: vec![RecordedBallot {
                respondent_id: 7,
                choices: vec![
                    Some(Choice::Several(vec![0, 2])),
                    Some(Choice::Words(vec![word("rule law"), word("hope")])),
                ],
            }],
        };
        assert_eq!(several.to_string(), "2 votes 7/*0+2,~rule%20law+hope");
        let open = RecordedBallot {
            respondent_id: 9,
            choices: vec![Some(Choice::Open(OpenAnswer { text: "Yes, now".to_owned(), review: Review::Pending }))],
        };
        assert_eq!(PollEvent::votes(2, vec![open])[0].to_string(), "2 votes 9/\"Yes%2C%20now");
        let unicode =
            RecordedBallot { respondent_id: 8, choices: vec![Some(Choice::Words(vec![word("économie 100%")]))] };
        assert_eq!(PollEvent::votes(2, vec![unicode])[0].to_string(), "2 votes 8/~économie%20100%25");
        assert_eq!(
            PollEvent::Paced { poll_id: 2, current: Some(1), voting_open: false, closes_at: None }.to_string(),
            "2 paced 1 closed"
        );
        assert!(PollEvent::announces_votes("12 votes 301/2,0"));
        assert!(!PollEvent::announces_votes("12 closed"));
    }

    #[test]
    fn many_ballots_are_split_into_payloads_notify_accepts() {
        let ballots: Vec<RecordedBallot> =
            (0..5_000).map(|i| ballot(1_000_000_000 + i, &[Some(1), Some(3), None, Some(0)])).collect();
        let events = PollEvent::votes(42, ballots.clone());
        assert!(events.len() > 1);
        let mut back = Vec::new();
        for event in events {
            let text = event.to_string();
            assert!(text.len() <= MAX_PAYLOAD, "{} bytes", text.len());
            let PollEvent::Voted { poll_id: 42, ballots } = text.parse::<PollEvent>().unwrap() else {
                panic!("{text}")
            };
            back.extend(ballots);
        }
        assert_eq!(back, ballots);
        assert!(PollEvent::votes(42, Vec::new()).is_empty());
    }

    #[test]
    fn a_ballot_too_long_for_any_payload_is_announced_as_a_change() {
        let long = |n: i64| RecordedBallot {
            respondent_id: n,
            choices: vec![Some(Choice::Words(vec![word(&"ﷺ".repeat(40)), word(&"語".repeat(40))])); 60],
        };
        let events = PollEvent::votes(5, vec![ballot(1, &[Some(1)]), long(2)]);
        assert_eq!(events.len(), 2);
        assert!(matches!(&events[0], PollEvent::Voted { ballots, .. } if ballots.len() == 1));
        assert_eq!(events[1], PollEvent::Changed { poll_id: 5 });
        assert!(events.iter().all(|e| e.to_string().len() <= MAX_PAYLOAD));
    }

    #[test]
    fn malformed_announcements_are_refused() {
        for bad in [
            "",
            "x open",
            "3",
            "3 opened",
            "3 open extra",
            "3 votes",
            "3 votes 1",
            "3 votes 1/x",
            "3 votes a/1",
            "3 votes 1/1;",
            "3 votes 1/-/1",
            "3 votes 1/*",
            "3 votes 1/~%zz",
            "3 paced",
            "3 paced x open",
            "3 paced 1 ajar",
            "3 paced 1 open extra",
        ] {
            assert!(bad.parse::<PollEvent>().is_err(), "{bad}");
        }
    }
}
