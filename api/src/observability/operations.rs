//! The operations panel's figures, for each process and for the fleet. Every process reads its
//! own metrics registry every [`REPORT_EVERY`] (the same numbers `/metrics` shows), turns the
//! counters into rates and windows, and announces the result through PostgreSQL (NOTIFY on
//! [`OPERATIONS_CHANNEL`]); every process keeps the latest report of each, so any of them
//! answers for the whole fleet. Nothing is stored: a process silent for [`FORGET_AFTER`] drops out.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use utoipa::ToSchema;

use crate::notifications::DbEvent;

pub(crate) const OPERATIONS_CHANNEL: &str = "blw_operations";
const REPORT_EVERY: Duration = Duration::from_secs(2);
const FORGET_AFTER: Duration = Duration::from_secs(10);
/// Votes per second are taken over this much of the recent past.
const RATE_WINDOW: Duration = Duration::from_secs(10);
/// Lag quantiles over this window.
const LAG_WINDOW: Duration = Duration::from_secs(60);
/// Errors, requests and refusals over this window.
const COUNT_WINDOW: Duration = Duration::from_secs(300);

/// One process's figures, as the panel shows them and as processes announce them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct ProcessReport {
    /// `address/pid` of the process.
    pub process: String,
    pub ready: bool,
    /// Accepted ballots per second over the last ~10 s.
    pub votes_per_second: f64,
    /// Open live-results streams.
    pub watchers: f64,
    /// Vote → frame lag over the last minute (null: no frame in it).
    pub lag_p50_ms: Option<f64>,
    pub lag_p99_ms: Option<f64>,
    pub queue_depth: f64,
    pub queue_capacity: f64,
    pub pool_in_use: f64,
    pub pool_max: f64,
    /// 5xx answers in the last 5 minutes.
    pub errors_last_5m: f64,
    pub requests_last_5m: f64,
    /// 429 answers in the last 5 minutes.
    pub refusals_last_5m: f64,
    /// The lag histogram's finite buckets over the last minute (upper bound in seconds, count at
    /// or below it), so the fleet's quantiles can be taken from all processes' together.
    #[schema(value_type = Vec<Vec<f64>>)]
    pub lag_buckets: Vec<(f64, f64)>,
    /// Frames in the lag histogram over the last minute (its `+Inf` bucket: JSON has no infinity).
    pub lag_frames: f64,
}

/// A process's report as the panel gets it: when it came.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ReportedProcess {
    #[serde(flatten)]
    pub report: ProcessReport,
    pub reported_at: chrono::DateTime<chrono::Utc>,
    pub age_seconds: f64,
}

/// The fleet: sums, and lag quantiles over every process's buckets.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct FleetReport {
    pub processes: usize,
    pub ready_processes: usize,
    pub votes_per_second: f64,
    pub watchers: f64,
    pub lag_p50_ms: Option<f64>,
    pub lag_p99_ms: Option<f64>,
    pub queue_depth: f64,
    pub queue_capacity: f64,
    pub pool_in_use: f64,
    pub pool_max: f64,
    pub errors_last_5m: f64,
    pub requests_last_5m: f64,
    pub refusals_last_5m: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct Operations {
    pub generated_at: chrono::DateTime<chrono::Utc>,
    pub processes: Vec<ReportedProcess>,
    pub fleet: FleetReport,
}

/// A report as received: when (here, and by the clock), and what it says.
type Received = (Instant, chrono::DateTime<chrono::Utc>, ProcessReport);

/// The latest report of every process heard from.
#[derive(Default)]
pub(crate) struct FleetReports(Mutex<HashMap<String, Received>>);

impl FleetReports {
    fn keep(&self, report: ProcessReport) {
        let mut reports = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        reports.retain(|_, (at, _, _)| at.elapsed() < FORGET_AFTER);
        reports.insert(report.process.clone(), (Instant::now(), chrono::Utc::now(), report));
    }

    /// What the panel shows now.
    pub(crate) fn operations(&self) -> Operations {
        let reports = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut processes: Vec<ReportedProcess> = reports
            .values()
            .filter(|(at, _, _)| at.elapsed() < FORGET_AFTER)
            .map(|(at, reported_at, report)| ReportedProcess {
                report: report.clone(),
                reported_at: *reported_at,
                age_seconds: at.elapsed().as_secs_f64(),
            })
            .collect();
        processes.sort_by(|a, b| a.report.process.cmp(&b.report.process));
        // `+ 0.0`: an empty sum is -0.0.
        let sum = |f: fn(&ProcessReport) -> f64| processes.iter().map(|p| f(&p.report)).sum::<f64>() + 0.0;
        let mut buckets: Vec<(f64, f64)> = Vec::new();
        for process in &processes {
            for &(le, count) in &process.report.lag_buckets {
                match buckets.iter_mut().find(|(bound, _)| *bound == le) {
                    Some((_, total)) => *total += count,
                    None => buckets.push((le, count)),
                }
            }
        }
        buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
        buckets.push((f64::INFINITY, sum(|r| r.lag_frames)));
        let fleet = FleetReport {
            processes: processes.len(),
            ready_processes: processes.iter().filter(|p| p.report.ready).count(),
            votes_per_second: sum(|r| r.votes_per_second),
            watchers: sum(|r| r.watchers),
            lag_p50_ms: quantile_ms(&buckets, 0.5),
            lag_p99_ms: quantile_ms(&buckets, 0.99),
            queue_depth: sum(|r| r.queue_depth),
            queue_capacity: sum(|r| r.queue_capacity),
            pool_in_use: sum(|r| r.pool_in_use),
            pool_max: sum(|r| r.pool_max),
            errors_last_5m: sum(|r| r.errors_last_5m),
            requests_last_5m: sum(|r| r.requests_last_5m),
            refusals_last_5m: sum(|r| r.refusals_last_5m),
        };
        Operations { generated_at: chrono::Utc::now(), processes, fleet }
    }
}

/// A quantile of cumulative buckets (upper bound, count at or below), as Prometheus's
/// `histogram_quantile` takes it: linear within the bucket; `None` without observations.
fn quantile_ms(buckets: &[(f64, f64)], q: f64) -> Option<f64> {
    let total = buckets.last()?.1;
    if total <= 0.0 {
        return None;
    }
    let rank = q * total;
    let (mut lower, mut below) = (0.0, 0.0);
    for &(le, count) in buckets {
        if count >= rank {
            if le.is_infinite() {
                return Some(lower * 1e3);
            }
            let within = if count > below { (rank - below) / (count - below) } else { 1.0 };
            return Some((lower + (le - lower) * within) * 1e3);
        }
        (lower, below) = (le, count);
    }
    Some(lower * 1e3)
}

/// Series of a Prometheus text rendering: (name, labels, value).
fn series(text: &str) -> impl Iterator<Item = (&str, &str, f64)> {
    text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).filter_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let value = value.parse().ok()?;
        let (name, labels) = series.split_once('{').map_or((series, ""), |(n, l)| (n, l.trim_end_matches('}')));
        Some((name, labels, value))
    })
}

/// One reading of the registry's counters and gauges.
#[derive(Debug, Clone, Default)]
struct Sample {
    accepted: f64,
    requests: f64,
    errors: f64,
    refusals: f64,
    /// Cumulative lag buckets since start.
    lag: Vec<(f64, f64)>,
    watchers: f64,
    queue_depth: f64,
    queue_capacity: f64,
    pool_in_use: f64,
    pool_max: f64,
    ready: bool,
}

fn sample(text: &str) -> Sample {
    let mut s = Sample::default();
    for (name, labels, value) in series(text) {
        match name {
            "blw_ballots_total" if labels.contains(r#"outcome="accepted""#) => s.accepted += value,
            "http_server_request_duration_seconds_count" => {
                s.requests += value;
                if labels.contains(r#"status="5"#) {
                    s.errors += value;
                }
                if labels.contains(r#"status="429""#) {
                    s.refusals += value;
                }
            }
            "blw_live_vote_to_frame_seconds_bucket" => {
                let le = labels.split_once(r#"le=""#).and_then(|(_, rest)| rest.split('"').next()).unwrap_or("+Inf");
                s.lag.push((if le == "+Inf" { f64::INFINITY } else { le.parse().unwrap_or(f64::INFINITY) }, value));
            }
            "blw_live_watchers" => s.watchers += value,
            "blw_ballot_queue_depth" => s.queue_depth = value,
            "blw_ballot_queue_capacity" => s.queue_capacity = value,
            "blw_db_pool_connections" if labels.contains(r#"state="in_use""#) => s.pool_in_use = value,
            "blw_db_pool_max_connections" => s.pool_max = value,
            "blw_ready" => s.ready = value > 0.0,
            _ => {}
        }
    }
    s.lag.sort_by(|a, b| a.0.total_cmp(&b.0));
    s
}

/// The sample taken at least `window` ago (the oldest kept when none is that old).
fn back(history: &VecDeque<(Instant, Sample)>, window: Duration) -> Option<&(Instant, Sample)> {
    history.iter().rev().find(|(at, _)| at.elapsed() >= window).or_else(|| history.front())
}

fn report(process: &str, history: &VecDeque<(Instant, Sample)>) -> Option<ProcessReport> {
    let (now_at, now) = history.back()?;
    let per_second = |(at, then): &(Instant, Sample)| {
        let seconds = now_at.duration_since(*at).as_secs_f64();
        if seconds > 0.0 { (now.accepted - then.accepted).max(0.0) / seconds } else { 0.0 }
    };
    let votes_per_second = back(history, RATE_WINDOW).map_or(0.0, per_second);
    let lag_then = back(history, LAG_WINDOW).map(|(_, s)| s.lag.clone()).unwrap_or_default();
    let mut lag_buckets: Vec<(f64, f64)> = now
        .lag
        .iter()
        .map(|&(le, count)| {
            let before = lag_then.iter().find(|(bound, _)| *bound == le).map_or(0.0, |b| b.1);
            (le, (count - before).max(0.0))
        })
        .collect();
    let lag_frames = match lag_buckets.last() {
        Some(&(le, count)) if le.is_infinite() => {
            lag_buckets.pop();
            count
        }
        _ => lag_buckets.last().map_or(0.0, |b| b.1),
    };
    let with_total = |buckets: &[(f64, f64)]| [buckets, &[(f64::INFINITY, lag_frames)]].concat();
    let counts = back(history, COUNT_WINDOW).map(|(_, s)| s.clone()).unwrap_or_default();
    Some(ProcessReport {
        process: process.to_owned(),
        ready: now.ready,
        votes_per_second,
        watchers: now.watchers,
        lag_p50_ms: quantile_ms(&with_total(&lag_buckets), 0.5),
        lag_p99_ms: quantile_ms(&with_total(&lag_buckets), 0.99),
        queue_depth: now.queue_depth,
        queue_capacity: now.queue_capacity,
        pool_in_use: now.pool_in_use,
        pool_max: now.pool_max,
        errors_last_5m: (now.errors - counts.errors).max(0.0),
        requests_last_5m: (now.requests - counts.requests).max(0.0),
        refusals_last_5m: (now.refusals - counts.refusals).max(0.0),
        lag_buckets,
        lag_frames,
    })
}

/// Keeps every process's reports in `fleet` as they are announced (a background task: the
/// state owns it).
pub(crate) async fn keep_fleet_reports(fleet: Arc<FleetReports>, mut events: broadcast::Receiver<DbEvent>) {
    {
        loop {
            match events.recv().await {
                Ok(DbEvent::Notification { channel, payload }) if channel == OPERATIONS_CHANNEL => {
                    match serde_json::from_str::<ProcessReport>(&payload) {
                        Ok(report) => fleet.keep(report),
                        Err(e) => tracing::warn!(error = %e, "an operations report that does not parse"),
                    }
                }
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }
}

/// Reports this process (`process` names it) every [`REPORT_EVERY`], read from its own metrics
/// with `gauges` sampled first (a background task: the state owns it).
pub(crate) async fn report_this_process(
    fleet: Arc<FleetReports>,
    db: DatabaseConnection,
    process: Arc<str>,
    gauges: impl super::Gauges,
) {
    let mut history: VecDeque<(Instant, Sample)> = VecDeque::new();
    let mut every = tokio::time::interval(REPORT_EVERY);
    loop {
        every.tick().await;
        history.push_back((Instant::now(), sample(&super::render(&gauges).await)));
        while history.front().is_some_and(|(at, _)| at.elapsed() > COUNT_WINDOW + REPORT_EVERY) {
            history.pop_front();
        }
        let Some(report) = report(&process, &history) else { continue };
        if let Err(e) = announce(&db, &report).await {
            // The panel misses one report; the next comes in two seconds.
            tracing::debug!(error = %e, "could not announce the operations report");
            fleet.keep(report);
        }
    }
}

async fn announce(db: &DatabaseConnection, report: &ProcessReport) -> Result<(), sea_orm::DbErr> {
    let payload = serde_json::to_string(report).map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?;
    // NOTIFY has no query-builder form; pg_notify takes the payload as a bound value.
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [OPERATIONS_CHANNEL.into(), payload.into()],
    ))
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_taken_within_buckets_as_prometheus_does() {
        let buckets = [(0.01, 10.0), (0.05, 90.0), (0.1, 100.0), (f64::INFINITY, 100.0)];
        assert_eq!(quantile_ms(&buckets, 0.5).map(|v| (v * 1e3).round() / 1e3), Some(30.0));
        assert_eq!(quantile_ms(&buckets, 0.99).map(|v| (v * 1e3).round() / 1e3), Some(95.0));
        assert_eq!(quantile_ms(&[(0.01, 0.0), (f64::INFINITY, 0.0)], 0.5), None);
        assert_eq!(quantile_ms(&[(0.01, 0.0), (f64::INFINITY, 4.0)], 0.5), Some(10.0), "beyond the last bound");
    }

    #[test]
    fn a_rendering_is_read_into_rates_and_windows() {
        let text = |accepted: u32, fives: u32| {
            format!(
                "# TYPE x counter\nblw_ballots_total{{outcome=\"accepted\"}} {accepted}\nblw_ballots_total{{outcome=\"repeated\"}} 7\n\
                 http_server_request_duration_seconds_count{{method=\"GET\",route=\"/x\",status=\"200\"}} 10\n\
                 http_server_request_duration_seconds_count{{method=\"GET\",route=\"/x\",status=\"503\"}} {fives}\n\
                 blw_live_watchers{{audience=\"public\"}} 3\nblw_live_watchers{{audience=\"staff\"}} 1\nblw_ready 1\n\
                 blw_live_vote_to_frame_seconds_bucket{{le=\"0.01\"}} {fives}\nblw_live_vote_to_frame_seconds_bucket{{le=\"0.1\"}} {fives}\n\
                 blw_live_vote_to_frame_seconds_bucket{{le=\"+Inf\"}} {fives}\n"
            )
        };
        let start = Instant::now() - Duration::from_secs(10);
        let history: VecDeque<(Instant, Sample)> =
            [(start, sample(&text(100, 1))), (start + Duration::from_secs(10), sample(&text(300, 4)))].into();
        let report = report("p", &history).unwrap();
        assert!((report.votes_per_second - 20.0).abs() < 1e-9, "{report:?}");
        assert_eq!(report.watchers, 4.0);
        assert_eq!(report.errors_last_5m, 3.0);
        assert!(report.ready);
        assert_eq!(report.lag_frames, 3.0);
        assert!(report.lag_p99_ms.is_some_and(|ms| ms <= 10.0), "{report:?}");
        // What travels between processes reads back (JSON has no infinity).
        let back: ProcessReport = serde_json::from_str(&serde_json::to_string(&report).unwrap()).unwrap();
        assert_eq!(back.lag_frames, 3.0);
        assert_eq!(back.lag_buckets, report.lag_buckets);
    }
}
