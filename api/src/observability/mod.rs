//! Prometheus metrics: one process-wide recorder (the `metrics` facade) rendered on a listener of
//! its own (`METRICS_ADDR`, loopback by default, never the public port). Names follow the
//! OpenTelemetry HTTP conventions where they exist (`http_server_*`), the Prometheus process
//! conventions (`process_*`), and `blw_*` otherwise. Every label value comes from a fixed set (a
//! route template, an outcome): nothing a client sends becomes a label, so the number of series
//! stays bounded. Histograms have explicit buckets, so quantiles add up across a fleet.

pub(crate) mod operations;
mod process;

use std::net::SocketAddr;
use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Seconds: from a cached read to a stuck database's statement timeout.
const SECONDS_BUCKETS: &[f64] = &[0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
/// Ballots per batch: one, up to the writer's largest.
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed on first use (tests run many apps in one process: they
/// share it, as the metrics of one process should).
pub(crate) fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), SECONDS_BUCKETS)
            .and_then(|b| b.set_buckets_for_metric(Matcher::Full("blw_ballot_batch_size".to_owned()), BATCH_BUCKETS));
        let recorder = match builder {
            Ok(builder) => builder.build_recorder(),
            // Constant, non-empty buckets: cannot fail.
            Err(_) => PrometheusBuilder::new().build_recorder(),
        };
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics shows only this one's");
        }
        describe();
        handle
    })
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_histogram!(
        "http_server_request_duration_seconds",
        Unit::Seconds,
        "Time to a response's head, by method, route template and status."
    );
    describe_gauge!("http_server_active_requests", "Requests being answered (until the response head).");
    describe_counter!(
        "blw_ballots_total",
        "Ballots by outcome: accepted, repeated, invalid, closed_poll, not_found, unavailable, throttled."
    );
    describe_histogram!("blw_ballot_batch_size", "Ballots written per batch.");
    describe_histogram!("blw_ballot_commit_duration_seconds", Unit::Seconds, "Time to store and commit one batch.");
    describe_gauge!("blw_ballot_queue_depth", "Ballots waiting for the writer.");
    describe_gauge!("blw_ballot_queue_capacity", "Ballots the queue holds before refusing with 503.");
    describe_counter!("blw_ballot_queue_full_total", "Ballots refused with 503 because the queue was full.");
    describe_gauge!("blw_live_watchers", "Open live-results streams, by audience (public, staff).");
    describe_counter!("blw_live_frames_total", "Live frames broadcast (each goes to every watcher of its poll).");
    describe_histogram!(
        "blw_live_fanout_duration_seconds",
        Unit::Seconds,
        "Time to render and hand a frame to a poll's watchers."
    );
    describe_histogram!(
        "blw_live_vote_to_frame_seconds",
        Unit::Seconds,
        "From a vote's announcement reaching this process to the frame that carries it."
    );
    describe_histogram!(
        "blw_live_frame_backlog_wait_seconds",
        Unit::Seconds,
        "How long a due frame waited for the poll's watchers to take the previous one (this process's own backlog)."
    );
    describe_counter!("blw_live_resumes_total", "Streams opened with a Last-Event-ID (reconnections).");
    describe_gauge!("blw_db_pool_connections", "Database connections of this process, by state (in_use, idle).");
    describe_gauge!("blw_db_pool_max_connections", "The most database connections this process opens.");
    describe_counter!("blw_db_listener_reconnects_total", "Times the notification listener had to reconnect.");
    describe_gauge!(
        "blw_survey_snapshot_age_seconds",
        Unit::Seconds,
        "Age of the survey snapshot in memory (0 when none is loaded)."
    );
    describe_counter!("blw_limit_refusals_total", "429 answers, by limit (login, ballot, stream, join_code).");
    describe_counter!("blw_logins_total", "Login attempts checked, by outcome (succeeded, failed).");
    describe_gauge!("blw_ready", "1 when /readyz would answer 200, else 0.");
    // Every counter exists from the start, at 0: `rate()` and `increase()` miss the first event
    // of a series that appears with it.
    for outcome in ["accepted", "repeated", "invalid", "closed_poll", "not_found", "unavailable", "throttled"] {
        metrics::counter!("blw_ballots_total", "outcome" => outcome).absolute(0);
    }
    for limit in ["login", "ballot", "stream", "join_code"] {
        metrics::counter!("blw_limit_refusals_total", "limit" => limit).absolute(0);
    }
    for outcome in ["succeeded", "failed"] {
        metrics::counter!("blw_logins_total", "outcome" => outcome).absolute(0);
    }
    for counter in [
        "blw_ballot_queue_full_total",
        "blw_live_resumes_total",
        "blw_db_listener_reconnects_total",
        "blw_live_frames_total",
    ] {
        metrics::counter!(counter).absolute(0);
    }
    for audience in ["public", "staff"] {
        metrics::gauge!("blw_live_watchers", "audience" => audience).increment(0.0);
    }
    describe_counter!("process_cpu_seconds_total", Unit::Seconds, "User and system CPU time spent, whole seconds.");
    describe_gauge!("process_resident_memory_bytes", Unit::Bytes, "Resident memory.");
    describe_gauge!("process_open_fds", "Open file descriptors (each watcher holds one).");
    describe_gauge!("process_max_fds", "The most file descriptors this process may open.");
}

/// What a process reads into its gauges just before they are rendered: the parts it is made of
/// (the pool, the ballot queue, the survey snapshot, readiness) are known to the process, not here.
pub(crate) trait Gauges: Send + Sync + 'static {
    fn record(&self) -> impl Future<Output = ()> + Send;
}

/// The text Prometheus scrapes: the gauges read now, then everything recorded.
pub(crate) async fn render(gauges: &impl Gauges) -> String {
    gauges.record().await;
    process::record();
    let handle = handle();
    handle.run_upkeep();
    handle.render()
}

/// Binds the metrics listener (`None`: disabled, or the address is taken — said in the log; the
/// api serves on without it).
pub(crate) async fn bind(address: Option<SocketAddr>) -> Option<tokio::net::TcpListener> {
    let address = address?;
    match tokio::net::TcpListener::bind(address).await {
        Ok(listener) => Some(listener),
        Err(e) => {
            tracing::error!(%address, error = %e, "could not bind METRICS_ADDR; serving without /metrics");
            None
        }
    }
}
