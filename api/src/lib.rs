//! The BLW DataViz api: survey visualizations, live polls and the web pages, over PostgreSQL.

pub mod accounts;
pub mod auth;
pub mod cli;
pub mod client_address;
pub mod client_limits;
pub mod data_browser;
pub mod error;
mod json_body;
pub mod lifecycle;
pub mod notifications;
pub mod observability;
mod path_param;
pub mod polls;
mod query_params;
pub mod routes;
pub mod settings;
pub mod shared_allowances;
pub mod startup;
pub mod surveys;
pub mod telemetry;
pub mod text_rules;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use sea_orm::DatabaseConnection;
use tokio::sync::broadcast;

use notifications::DbEvent;
use surveys::cache::SurveyCache;

pub use error::AppError;
pub use settings::Settings;

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
    /// Per-address limits on logins, ballots and streams.
    pub limits: Arc<client_limits::ClientLimits>,
    /// Ballots' devices and clients (signed cookies, pseudonyms).
    pub devices: Arc<polls::devices::BallotDevices>,
    /// The data browser's tables.
    pub data_tables: Arc<data_browser::registry::Registry>,
    /// Serving, or draining before a stop.
    pub lifecycle: Arc<lifecycle::Lifecycle>,
    /// The operations panel's latest report from every process.
    pub operations: Arc<observability::operations::FleetReports>,
    /// This process in the fleet's reports: its listening address and process id.
    pub instance: Arc<str>,
}

impl AppState {
    /// The state for `db`, with its database listener started and the survey cache wired to it;
    /// `address` is where this process listens (it names the process in the fleet's reports).
    pub fn new(settings: Settings, db: DatabaseConnection, address: std::net::SocketAddr) -> Self {
        let db_events = notifications::spawn_listener(
            db.get_postgres_connection_pool().clone(),
            vec![
                migration::data_change::DATA_CHANGED_CHANNEL.to_owned(),
                polls::events::POLL_EVENTS_CHANNEL.to_owned(),
                observability::operations::OPERATIONS_CHANNEL.to_owned(),
            ],
        );
        let surveys = Arc::new(SurveyCache::default());
        invalidate_on_data_change(surveys.clone(), db.clone(), db_events.subscribe());
        warm_up(surveys.clone(), db.clone());
        let live = Arc::new(polls::live::LivePolls::default());
        polls::live::spawn(live.clone(), db.clone(), surveys.clone(), db_events.subscribe());
        polls::frame_pacing::follow_cpu_pressure();
        let poll_states = Arc::new(polls::poll_states::PollStates::default());
        polls::poll_states::follow(poll_states.clone(), db_events.subscribe());
        let ballots = polls::ballot_writer::BallotWriter::spawn(db.clone(), poll_states.clone());
        let limits = Arc::new(client_limits::ClientLimits::new(settings.limits));
        forget_idle_clients(limits.clone(), db.clone());
        let devices = Arc::new(polls::devices::BallotDevices::default());
        let data_tables = Arc::new(data_browser::registry::Registry::default());
        let state = Self(Arc::new(SharedState {
            settings: Arc::new(settings),
            db,
            surveys,
            live,
            poll_states,
            ballots,
            db_events,
            limits,
            devices,
            data_tables,
            lifecycle: Arc::default(),
            operations: Arc::default(),
            instance: format!("{address}/{}", std::process::id()).into(),
        }));
        observability::operations::spawn(state.clone(), state.db_events.subscribe());
        state
    }
}

/// Every minute, drops the limit state of addresses that have been quiet (here and, for the
/// fleet, in the database).
fn forget_idle_clients(limits: Arc<client_limits::ClientLimits>, db: DatabaseConnection) {
    tokio::spawn(async move {
        let mut every_minute = tokio::time::interval(Duration::from_secs(60));
        loop {
            every_minute.tick().await;
            limits.forget_idle();
            if let Err(e) = shared_allowances::forget_whole(&db).await {
                tracing::debug!(error = %e, "could not delete spent allowances (done again in a minute)");
            }
        }
    });
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
                    // The data changed: the old snapshot must not be served any more.
                    tracing::info!(%payload, "survey data changed; reloading the snapshot");
                    surveys.invalidate().await;
                    warm_up(surveys.clone(), db.clone());
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
    });
}

/// The whole HTTP application; tests drive this same router.
///
/// What applies to every request is one tower stack, added with one `Router::layer`: each
/// `Router::layer` wraps every route in a boxed service of its own, and axum clones a route's
/// boxed levels on every call, one inside the other, so ten separate layers cost each request
/// dozens of allocations where one stack costs a few. Added to the router (not around it), the
/// stack runs after routing: the metrics and the log span see the matched route.
pub fn app(state: AppState) -> Router {
    use axum::middleware::{from_fn, from_fn_with_state};
    let settings = state.settings.clone();
    let secure = settings.cookie_secure;
    // Outermost first.
    let every_request = tower::ServiceBuilder::new()
        .layer(from_fn_with_state(state.clone(), telemetry::drop_untrusted_request_id))
        .layer(telemetry::set_request_id())
        .layer(telemetry::propagate_request_id())
        .layer(from_fn(telemetry::with_trace_id))
        .layer(telemetry::trace_layer())
        .layer(from_fn(observability::http::record))
        .layer(from_fn(move |request, next| routes::response_policies(secure, request, next)));
    routes::router(&settings.web_dir).layer(every_request).with_state(state)
}

/// A started application: connected, migrated, its listener bound (port 0 picks a free one).
pub struct Application {
    listener: tokio::net::TcpListener,
    /// `GET /metrics`, on an address of its own.
    metrics: Option<tokio::net::TcpListener>,
    state: AppState,
}

impl Application {
    /// Connects (creating the database if needed), migrates unless disabled, binds the address.
    ///
    /// # Errors
    /// Bad database, failed migration, or the address cannot be bound.
    pub async fn build(settings: Settings) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        startup::raise_open_file_limit();
        let db = startup::connect(&settings).await?;
        if settings.migrate_on_start {
            startup::migrate(&db).await?;
        }
        let listener = tokio::net::TcpListener::bind(settings.address()).await?;
        // A live-results stream to a reader that does not keep up would otherwise queue up to the
        // kernel's 4 MB of stale frames (send buffers grow by themselves); bounded, the stream's
        // frames back up into its bounded channel instead, which skips it ahead to the latest
        // results. Bytes in flight are not limited, so throughput is unchanged. Set once here:
        // every accepted connection inherits it.
        if let Err(e) = socket2::SockRef::from(&listener).set_tcp_notsent_lowat(UNSENT_BYTES_QUEUED) {
            tracing::warn!(error = %e, "could not set TCP_NOTSENT_LOWAT");
        }
        let metrics = observability::bind(settings.metrics_addr).await;
        let address = listener.local_addr()?;
        Ok(Self { listener, metrics, state: AppState::new(settings, db, address) })
    }

    /// # Errors
    /// The socket has no local address.
    pub fn address(&self) -> std::io::Result<std::net::SocketAddr> {
        self.listener.local_addr()
    }

    /// Where `/metrics` is served, if anywhere.
    pub fn metrics_address(&self) -> Option<std::net::SocketAddr> {
        self.metrics.as_ref().and_then(|listener| listener.local_addr().ok())
    }

    /// Serves until Ctrl-C or SIGTERM, then drains: `/readyz` says 503 at once while everything
    /// else is served on for `shutdown_drain` (load balancers stop sending meanwhile); then event
    /// streams end, each with a randomized `retry:` so a hall does not reconnect in one instant,
    /// and requests in flight finish — ballots among them, each answered once committed.
    ///
    /// HTTP/1.1 only, one small task per connection: axum's own `serve` negotiates HTTP/2 as
    /// well, and its per-connection state cost ~45 KB even for an idle socket, which a hall of
    /// phones and screens multiplies. Behind a proxy HTTP/1.1 is what arrives anyway.
    ///
    /// # Errors
    /// The socket has no local address.
    pub async fn serve(self) -> std::io::Result<()> {
        // Said once, at start: whose X-Forwarded-For / Forwarded is believed decides what every
        // per-address limit counts.
        let trusted_proxies = &self.state.settings.trusted_proxies;
        tracing::info!(address = %self.address()?, %trusted_proxies, "serving; client addresses from these proxies' Forwarded / X-Forwarded-For");
        let router = app(self.state.clone());
        if let Some(metrics) = self.metrics {
            tracing::info!(address = ?metrics.local_addr().ok(), "serving /metrics");
            observability::serve(metrics, self.state.clone());
        }
        let connections = hyper_util::server::graceful::GracefulShutdown::new();
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(HEADER_READ_TIMEOUT)
            .max_buf_size(MAX_HEADER_BYTES);
        // One slot per connection served at once: past the cap, new connections wait in the
        // kernel's listen queue instead of each taking memory here.
        let slots = Arc::new(tokio::sync::Semaphore::new(self.state.settings.max_connections));
        let lifecycle = self.state.lifecycle.clone();
        let drain = self.state.settings.shutdown_drain;
        let mut shutdown = std::pin::pin!(async move {
            shutdown_signal().await;
            lifecycle.start_draining();
            tracing::info!(
                ?drain,
                "stop requested: readiness now 503, serving on while load balancers take this process out"
            );
            tokio::time::sleep(drain).await;
        });
        loop {
            let slot = tokio::select! {
                slot = slots.clone().acquire_owned() => match slot {
                    Ok(slot) => slot,
                    Err(_) => break,
                },
                () = &mut shutdown => break,
            };
            let (stream, peer) = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors, most likely: wait for some to be freed.
                        tracing::warn!(error = %e, "could not accept a connection");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            // No Nagle: a response written in pieces (headers, then a streamed file or SSE
            // events) would otherwise wait for the peer's delayed ACK, ~40 ms a time.
            if let Err(e) = stream.set_nodelay(true) {
                tracing::warn!(error = %e, "could not set TCP_NODELAY");
            }
            // The peer's address, for per-address limits (axum's `ConnectInfo`).
            let service = tower::ServiceExt::map_request(
                router.clone(),
                move |mut request: hyper::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                    request
                },
            );
            let service = hyper_util::service::TowerToHyperService::new(service);
            let connection = connections.watch(http.serve_connection(hyper_util::rt::TokioIo::new(stream), service));
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                drop(slot);
            });
        }
        // Live-result streams never finish by themselves: end them, or the graceful shutdown
        // would wait for every watcher to leave. Their browsers reconnect elsewhere.
        tracing::info!("shutting down: ending live result streams, finishing requests in flight");
        self.state.live.close_all();
        if tokio::time::timeout(SHUTDOWN_GRACE, connections.shutdown()).await.is_err() {
            tracing::warn!("requests still in flight after {SHUTDOWN_GRACE:?}; stopping anyway");
        }
        Ok(())
    }
}

/// The most a connection's socket holds that has not been sent yet (`TCP_NOTSENT_LOWAT`).
const UNSENT_BYTES_QUEUED: u32 = 16 * 1024;

/// How long shutdown waits for requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// How long a client may take to send a request's headers (slow clients hold sockets open).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The most a request's head (request line and headers) may take: enough for any cookie, and
/// 16 KB × `MAX_CONNECTIONS` at worst instead of hyper's ~400 KB each.
const MAX_HEADER_BYTES: usize = 16 * 1024;

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
