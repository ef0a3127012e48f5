//! What happens to a poll, announced on one PostgreSQL channel so that every api process hears
//! it. [`PollEvent`] owns the announcement text: nothing else writes or reads it.
//!
//! Payload: `<poll id> open|closed|deleted`, or
//! `<poll id> vote <respondent id> <split answer or -1> <var_name>:<index>,…` (var names are
//! identifiers, so the separators cannot occur in them).

use std::fmt;
use std::str::FromStr;

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

use super::model::Answer;

/// The PostgreSQL channel poll events are announced on.
pub const POLL_EVENTS_CHANNEL: &str = "blw_poll_events";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollEvent {
    Opened {
        poll_id: i32,
    },
    Closed {
        poll_id: i32,
    },
    Deleted {
        poll_id: i32,
    },
    /// A ballot was committed; it travels with the event, so watchers add it without reading it back.
    Voted {
        poll_id: i32,
        ballot: RecordedBallot,
    },
}

/// A committed ballot as the live tallies count it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedBallot {
    pub respondent_id: i64,
    /// The respondent's answer to the poll's split question, if it has one.
    pub split_index: Option<i16>,
    pub answers: Vec<Answer>,
}

impl PollEvent {
    pub fn poll_id(&self) -> i32 {
        match self {
            PollEvent::Opened { poll_id }
            | PollEvent::Closed { poll_id }
            | PollEvent::Deleted { poll_id }
            | PollEvent::Voted { poll_id, .. } => *poll_id,
        }
    }

    /// Queues the announcement; PostgreSQL sends it when the surrounding transaction commits.
    ///
    /// # Errors
    /// Database failure.
    pub async fn announce<C: ConnectionTrait>(&self, db: &C) -> Result<(), DbErr> {
        // NOTIFY has no query-builder form; pg_notify takes the payload as a bound parameter.
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [POLL_EVENTS_CHANNEL.into(), self.to_string().into()],
        ))
        .await?;
        Ok(())
    }
}

impl fmt::Display for PollEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PollEvent::Opened { poll_id } => write!(f, "{poll_id} open"),
            PollEvent::Closed { poll_id } => write!(f, "{poll_id} closed"),
            PollEvent::Deleted { poll_id } => write!(f, "{poll_id} deleted"),
            PollEvent::Voted { poll_id, ballot } => {
                write!(f, "{poll_id} vote {} {} ", ballot.respondent_id, ballot.split_index.unwrap_or(-1))?;
                for (i, answer) in ballot.answers.iter().enumerate() {
                    let separator = if i == 0 { "" } else { "," };
                    write!(f, "{separator}{}:{}", answer.var_name, answer.response_index)?;
                }
                Ok(())
            }
        }
    }
}

/// An announcement this build cannot read.
#[derive(Debug, thiserror::Error)]
#[error("unreadable poll event '{0}'")]
pub struct UnreadableEvent(pub String);

impl FromStr for PollEvent {
    type Err = UnreadableEvent;

    fn from_str(payload: &str) -> Result<Self, Self::Err> {
        parse(payload).ok_or_else(|| UnreadableEvent(payload.to_owned()))
    }
}

fn parse(payload: &str) -> Option<PollEvent> {
    let mut parts = payload.split(' ');
    let poll_id = parts.next()?.parse().ok()?;
    let event = match parts.next()? {
        "open" => PollEvent::Opened { poll_id },
        "closed" => PollEvent::Closed { poll_id },
        "deleted" => PollEvent::Deleted { poll_id },
        "vote" => {
            let respondent_id = parts.next()?.parse().ok()?;
            let split_index = parts.next()?.parse::<i16>().ok()?;
            let answers = parts
                .next()?
                .split(',')
                .map(|pair| {
                    let (var_name, index) = pair.split_once(':')?;
                    Some(Answer { var_name: var_name.to_owned(), response_index: index.parse().ok()? })
                })
                .collect::<Option<Vec<_>>>()?;
            let split_index = (split_index >= 0).then_some(split_index);
            PollEvent::Voted { poll_id, ballot: RecordedBallot { respondent_id, split_index, answers } }
        }
        _ => return None,
    };
    parts.next().is_none().then_some(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(var_name: &str, response_index: i16) -> Answer {
        Answer { var_name: var_name.to_owned(), response_index }
    }

    #[test]
    fn every_event_round_trips_through_its_text() {
        let events = [
            PollEvent::Opened { poll_id: 7 },
            PollEvent::Closed { poll_id: 7 },
            PollEvent::Deleted { poll_id: 2_147_483_647 },
            PollEvent::Voted {
                poll_id: 3,
                ballot: RecordedBallot {
                    respondent_id: 9_000_000_001,
                    split_index: Some(2),
                    answers: vec![answer("pid3", 2), answer("perf_judicial_ind", 0)],
                },
            },
            PollEvent::Voted {
                poll_id: 3,
                ballot: RecordedBallot { respondent_id: 1, split_index: None, answers: vec![answer("q", 4)] },
            },
        ];
        for event in events {
            let text = event.to_string();
            assert_eq!(text.parse::<PollEvent>().unwrap(), event, "{text}");
        }
    }

    #[test]
    fn the_text_format_is_stable() {
        let vote = PollEvent::Voted {
            poll_id: 3,
            ballot: RecordedBallot {
                respondent_id: 11,
                split_index: None,
                answers: vec![answer("a", 1), answer("b", 0)],
            },
        };
        assert_eq!(vote.to_string(), "3 vote 11 -1 a:1,b:0");
        assert_eq!(PollEvent::Closed { poll_id: 4 }.to_string(), "4 closed");
    }

    #[test]
    fn malformed_announcements_are_refused() {
        for bad in [
            "",
            "x open",
            "3",
            "3 opened",
            "3 open extra",
            "3 vote 1 -1",
            "3 vote 1 -1 a",
            "3 vote 1 -1 a:x",
            "3 vote a -1 q:1",
        ] {
            assert!(bad.parse::<PollEvent>().is_err(), "{bad}");
        }
    }
}
