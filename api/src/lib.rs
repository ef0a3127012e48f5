//! The BLW DataViz api: survey visualizations, live polls and the web pages, over PostgreSQL.

pub mod accounts;
pub mod auth;
pub mod cli;
pub mod error;
mod json_body;
pub mod notifications;
pub mod polls;
mod query_params;
pub mod routes;
pub mod settings;
pub mod startup;
pub mod surveys;
pub mod telemetry;

use std::sync::Arc;

use axum::Router;
use sea_orm::DatabaseConnection;
use tokio::sync::broadcast;

use notifications::DbEvent;
use surveys::cache::SurveyCache;

pub use error::AppError;
pub use settings::Settings;

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: DatabaseConnection,
    pub surveys: Arc<SurveyCache>,
    pub live: Arc<polls::live::LivePolls>,
    /// What ballots need to know about their polls, kept current by the announcements.
    pub poll_states: Arc<polls::poll_states::PollStates>,
    /// Ballots on their way to the database, committed in batches.
    pub ballots: polls::ballot_writer::BallotWriter,
    /// Notifications from PostgreSQL, for every part that reacts to changes made elsewhere.
    pub db_events: broadcast::Sender<DbEvent>,
}

impl AppState {
    /// The state for `db`, with its database listener started and the survey cache wired to it.
    pub fn new(settings: Settings, db: DatabaseConnection) -> Self {
        let db_events = notifications::spawn_listener(
            db.get_postgres_connection_pool().clone(),
            vec![
                migration::data_change::DATA_CHANGED_CHANNEL.to_owned(),
                polls::events::POLL_EVENTS_CHANNEL.to_owned(),
            ],
        );
        let surveys = Arc::new(SurveyCache::default());
        invalidate_on_data_change(surveys.clone(), db.clone(), db_events.subscribe());
        warm_up(surveys.clone(), db.clone());
        let live = Arc::new(polls::live::LivePolls::default());
        polls::live::spawn(live.clone(), db.clone(), surveys.clone(), db_events.subscribe());
        let poll_states = Arc::new(polls::poll_states::PollStates::default());
        polls::poll_states::follow(poll_states.clone(), db_events.subscribe());
        let ballots = polls::ballot_writer::BallotWriter::spawn(db.clone(), poll_states.clone());
        Self { settings: Arc::new(settings), db, surveys, live, poll_states, ballots, db_events }
    }
}

/// Loads the survey snapshot in the background, so that the first reader does not wait for it.
fn warm_up(surveys: Arc<SurveyCache>, db: DatabaseConnection) {
    tokio::spawn(async move {
        if let Err(e) = surveys.get(&db).await {
            tracing::warn!(error = %e, "could not load the survey snapshot (it is retried on request)");
        }
    });
}

/// Replaces the survey snapshot whenever a data migration commits (in any process) or the
/// listener had to reconnect (a notification may have been missed).
fn invalidate_on_data_change(
    surveys: Arc<SurveyCache>,
    db: DatabaseConnection,
    mut events: broadcast::Receiver<DbEvent>,
) {
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(DbEvent::Notification { channel, payload })
                    if channel == migration::data_change::DATA_CHANGED_CHANNEL =>
                {
                    tracing::info!(%payload, "survey data changed; reloading the snapshot");
                }
                Ok(DbEvent::Notification { .. }) => continue,
                Ok(DbEvent::Reconnected) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            }
            surveys.invalidate().await;
            warm_up(surveys.clone(), db.clone());
        }
    });
}

/// The whole HTTP application; tests drive this same router.
pub fn app(state: AppState) -> Router {
    let web_dir = state.settings.web_dir.clone();
    routes::router(&web_dir).layer(telemetry::trace_layer()).with_state(state)
}

/// A started application: connected, migrated, its listener bound (port 0 picks a free one).
pub struct Application {
    listener: tokio::net::TcpListener,
    state: AppState,
}

impl Application {
    /// Connects (creating the database if needed), migrates unless disabled, binds the address.
    ///
    /// # Errors
    /// Bad database, failed migration, or the address cannot be bound.
    pub async fn build(settings: Settings) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let db = startup::connect(&settings).await?;
        if settings.migrate_on_start {
            startup::migrate(&db).await?;
        }
        let listener = tokio::net::TcpListener::bind(settings.address()).await?;
        Ok(Self { listener, state: AppState::new(settings, db) })
    }

    /// # Errors
    /// The socket has no local address.
    pub fn address(&self) -> std::io::Result<std::net::SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until Ctrl-C or SIGTERM, finishing requests in flight.
    ///
    /// # Errors
    /// The server fails.
    pub async fn serve(self) -> std::io::Result<()> {
        use axum::serve::ListenerExt;
        tracing::info!(address = %self.address()?, "serving");
        // No Nagle: a response written in pieces (headers, then a streamed file or SSE events)
        // would otherwise wait for the peer's delayed ACK, ~40 ms a time.
        let listener = self.listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::warn!(error = %e, "could not set TCP_NODELAY");
            }
        });
        // Live-result streams never finish by themselves: end them at shutdown, or the graceful
        // shutdown would wait for every watcher to leave. Their browsers reconnect elsewhere.
        let live = Arc::clone(&self.state.live);
        let shutdown = async move {
            shutdown_signal().await;
            tracing::info!("shutting down: ending live result streams");
            live.close_all();
        };
        axum::serve(listener, app(self.state)).with_graceful_shutdown(shutdown).await
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
