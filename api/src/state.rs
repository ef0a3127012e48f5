//! What every request can reach, and the process's parts: [`AppState::start`] builds each part
//! (survey cache, live fan-out, ballot writers, limits, operations reports), wires it to the
//! database's announcements and hands back the background tasks that keep them current, owned
//! by the caller. It also answers for the process as a whole: is it ready, and what its gauges
//! read.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection};
use tokio::sync::broadcast;

use crate::accounts::throttle::WaitingTurns;
use crate::data_browser::registry::Registry;
use crate::lifecycle::Lifecycle;
use crate::limits::client_limits::ClientLimits;
use crate::limits::shared_allowances;
use crate::notifications::{self, DbEvent};
use crate::observability::{self, operations};
use crate::polls::audience_questions::votes::QaVotes;
use crate::polls::ballots::devices::BallotDevices;
use crate::polls::ballots::poll_states::{self, PollStates};
use crate::polls::ballots::writer::{self, BallotWriter};
use crate::polls::countdowns;
use crate::polls::events::POLL_EVENTS_CHANNEL;
use crate::polls::live::{self, LivePolls};
use crate::settings::Settings;
use crate::surveys::cache::SurveyCache;
use crate::tasks::BackgroundTasks;

/// What every request can reach. Cloned for each request (and by each layer that holds it), so
/// it is one shared allocation: a clone is one reference count, not one per part.
#[derive(Clone)]
pub struct AppState(Arc<SharedState>);

impl std::ops::Deref for AppState {
    type Target = SharedState;

    fn deref(&self) -> &SharedState {
        &self.0
    }
}

pub struct SharedState {
    pub(crate) settings: Arc<Settings>,
    pub(crate) db: DatabaseConnection,
    pub(crate) surveys: Arc<SurveyCache>,
    pub(crate) live: Arc<LivePolls>,
    /// What ballots need to know about their polls, kept current by the announcements.
    pub(crate) poll_states: Arc<PollStates>,
    /// Ballots on their way to the database, committed in batches.
    pub(crate) ballots: BallotWriter,
    /// Votes for audience questions on their way to the database, committed in batches.
    pub(crate) qa_votes: QaVotes,
    /// Per-address limits on logins, ballots and streams.
    pub(crate) limits: Arc<ClientLimits>,
    /// Login turns waiting, per email and client (see `accounts::throttle`).
    pub(crate) login_turns: WaitingTurns,
    /// Ballots' devices and clients (signed cookies, pseudonyms).
    pub(crate) devices: Arc<BallotDevices>,
    /// The data browser's tables.
    pub(crate) data_tables: Arc<Registry>,
    /// Serving, or draining before a stop.
    pub(crate) lifecycle: Arc<Lifecycle>,
    /// The operations panel's latest report from every process.
    pub(crate) operations: Arc<operations::FleetReports>,
    /// This process in the fleet's reports: its listening address and process id.
    pub(crate) instance: Arc<str>,
}

impl AppState {
    /// The state for `db`, and the background tasks that keep it current (its database listener,
    /// the survey cache following data changes, the live fan-out, the ballot writers, the limits'
    /// upkeep, the operations reports): they run until the returned owner is dropped or shut
    /// down. `address` is where this process listens (it names the process in the fleet's
    /// reports).
    pub fn start(settings: Settings, db: DatabaseConnection, address: std::net::SocketAddr) -> (Self, BackgroundTasks) {
        let mut tasks = BackgroundTasks::default();
        let (db_events, listening) = notifications::listener(
            db.get_postgres_connection_pool().clone(),
            vec![
                migration::data_change::DATA_CHANGED_CHANNEL.to_owned(),
                POLL_EVENTS_CHANNEL.to_owned(),
                operations::OPERATIONS_CHANNEL.to_owned(),
            ],
        );
        tasks.spawn("database listener", listening);
        let surveys = Arc::new(SurveyCache::default());
        tasks.spawn("survey data changes", follow_data_changes(surveys.clone(), db.clone(), db_events.subscribe()));
        tokio::spawn(warm_up(surveys.clone(), db.clone()));
        let live = Arc::new(LivePolls::default());
        tasks.spawn(
            "live results",
            live::follow_announcements(live.clone(), db.clone(), surveys.clone(), db_events.subscribe()),
        );
        let poll_states = Arc::new(PollStates::default());
        tasks.spawn("poll states", poll_states::follow(poll_states.clone(), db_events.subscribe()));
        tasks.spawn("question countdowns", countdowns::follow(db.clone(), db_events.subscribe()));
        let (ballots, writers) = BallotWriter::new(db.clone(), poll_states.clone());
        tasks.spawn("ballot writers", writers);
        let (qa_votes, vote_writers) = QaVotes::new(db.clone());
        tasks.spawn("audience-question vote writers", vote_writers);
        let limits = Arc::new(ClientLimits::new(settings.limits));
        tasks.spawn("forget idle clients", forget_idle_clients(limits.clone(), db.clone()));
        let operations = Arc::new(operations::FleetReports::default());
        tasks.spawn("fleet reports", operations::keep_fleet_reports(operations.clone(), db_events.subscribe()));
        let state = Self(Arc::new(SharedState {
            settings: Arc::new(settings),
            db,
            surveys,
            live,
            poll_states,
            ballots,
            qa_votes,
            limits,
            login_turns: WaitingTurns::default(),
            devices: Arc::default(),
            data_tables: Arc::default(),
            lifecycle: Arc::default(),
            operations,
            instance: format!("{address}/{}", std::process::id()).into(),
        }));
        tasks.spawn(
            "operations report",
            operations::report_this_process(
                state.operations.clone(),
                state.db.clone(),
                state.instance.clone(),
                state.clone(),
            ),
        );
        (state, tasks)
    }

    /// Whether the process can serve (for load balancers): it is not stopping, the database
    /// answers, every migration this process knows is applied (a database ahead of it is fine)
    /// and the survey snapshot is in memory. Answers within a second, database or not.
    ///
    /// # Errors
    /// Why it is not ready, in words.
    pub async fn readiness(&self) -> Result<migration::status::MigrationStatus, String> {
        if self.lifecycle.is_draining() {
            return Err("shutting down".to_owned());
        }
        let checks = async {
            // The cheapest round trip there is; no table needed.
            self.db.execute_unprepared("SELECT 1").await.map_err(|e| {
                tracing::warn!(error = %e, "readiness: database unreachable");
                "database unreachable".to_owned()
            })?;
            let status = migration::status::migration_status(&self.db).await.map_err(|e| {
                tracing::warn!(error = %e, "readiness: migrations unknown");
                "migrations unknown".to_owned()
            })?;
            if !status.pending.is_empty() {
                return Err(format!("migrations pending: {}", status.pending.join(", ")));
            }
            Ok(status)
        };
        let status =
            tokio::time::timeout(READINESS_WAIT, checks).await.map_err(|_| "database not answering".to_owned())??;
        if !self.surveys.is_loaded().await {
            return Err("survey snapshot not loaded yet".to_owned());
        }
        Ok(status)
    }
}

/// How long readiness waits for the database before it says it is not ready.
const READINESS_WAIT: Duration = Duration::from_millis(800);

/// The gauges read when metrics are rendered: the parts this process is made of.
impl observability::Gauges for AppState {
    async fn record(&self) {
        let pool = self.db.get_postgres_connection_pool();
        let (size, idle) = (pool.size(), u32::try_from(pool.num_idle()).unwrap_or(u32::MAX));
        metrics::gauge!("blw_db_pool_connections", "state" => "in_use").set(f64::from(size.saturating_sub(idle)));
        metrics::gauge!("blw_db_pool_connections", "state" => "idle").set(f64::from(idle));
        metrics::gauge!("blw_db_pool_max_connections").set(f64::from(self.settings.database_max_connections.max(2)));
        metrics::gauge!("blw_ballot_queue_depth").set(self.ballots.queued() as f64);
        metrics::gauge!("blw_ballot_queue_capacity").set(writer::QUEUE_CAPACITY as f64);
        metrics::gauge!("blw_survey_snapshot_age_seconds").set(self.surveys.age().map_or(0.0, |age| age.as_secs_f64()));
        metrics::gauge!("blw_ready").set(if self.readiness().await.is_ok() { 1.0 } else { 0.0 });
    }
}

/// Every minute, drops the limit state of addresses that have been quiet (here and, for the
/// fleet, in the database).
async fn forget_idle_clients(limits: Arc<ClientLimits>, db: DatabaseConnection) {
    let mut every_minute = tokio::time::interval(Duration::from_secs(60));
    loop {
        every_minute.tick().await;
        limits.forget_idle();
        if let Err(e) = shared_allowances::forget_whole(&db).await {
            tracing::debug!(error = %e, "could not delete spent allowances (done again in a minute)");
        }
    }
}

/// Loads the survey snapshot in the background, so that the first reader does not wait for it
/// (a one-off: it ends once loaded).
async fn warm_up(surveys: Arc<SurveyCache>, db: DatabaseConnection) {
    if let Err(e) = surveys.get(&db).await {
        tracing::warn!(error = %e, "could not load the survey snapshot (it is retried on request)");
    }
}

/// Replaces the survey snapshot whenever a data migration commits (in any process) or the
/// listener had to reconnect (a notification may have been missed).
async fn follow_data_changes(
    surveys: Arc<SurveyCache>,
    db: DatabaseConnection,
    mut events: broadcast::Receiver<DbEvent>,
) {
    loop {
        match events.recv().await {
            Ok(DbEvent::Notification { channel, payload })
                if channel == migration::data_change::DATA_CHANGED_CHANNEL =>
            {
                // The data changed: the old snapshot must not be served any more.
                tracing::info!(%payload, "survey data changed; reloading the snapshot");
                surveys.invalidate().await;
                tokio::spawn(warm_up(surveys.clone(), db.clone()));
            }
            Ok(DbEvent::Notification { .. }) => {}
            // A change may have been missed: read again, serving the current data meanwhile.
            Ok(DbEvent::Reconnected) | Err(broadcast::error::RecvError::Lagged(_)) => {
                let (surveys, db) = (surveys.clone(), db.clone());
                tokio::spawn(async move { surveys.refresh(&db).await });
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}
