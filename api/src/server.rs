//! The process: [`Application::build`] connects, migrates, binds and starts the state;
//! [`Application::serve`] runs the HTTP/1.1 accept loop until SIGTERM or Ctrl-C, then drains
//! (readiness 503 first, then live streams ended, requests in flight finished) and stops the
//! state's background tasks.

use std::sync::Arc;
use std::time::Duration;

use crate::http;
use crate::observability;
use crate::settings::Settings;
use crate::startup;
use crate::state::AppState;
use crate::tasks::BackgroundTasks;

/// A started application: connected, migrated, its listener bound (port 0 picks a free one).
pub struct Application {
    listener: tokio::net::TcpListener,
    /// `GET /metrics`, on an address of its own.
    metrics: Option<tokio::net::TcpListener>,
    state: AppState,
    /// The state's background tasks: stopped when the application ends (or is dropped unserved).
    tasks: BackgroundTasks,
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
        // frames back up into its latest-frame slot instead, which holds only the newest. Bytes in flight are not limited, so throughput is unchanged. Set once here:
        // every accepted connection inherits it.
        if let Err(e) = socket2::SockRef::from(&listener).set_tcp_notsent_lowat(UNSENT_BYTES_QUEUED) {
            tracing::warn!(error = %e, "could not set TCP_NOTSENT_LOWAT");
        }
        let metrics = observability::bind(settings.metrics_addr).await;
        let address = listener.local_addr()?;
        let (state, tasks) = AppState::start(settings, db, address);
        Ok(Self { listener, metrics, state, tasks })
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
    pub async fn serve(mut self) -> std::io::Result<()> {
        // Said once, at start: whose X-Forwarded-For / Forwarded is believed decides what every
        // per-address limit counts.
        let trusted_proxies = &self.state.settings.trusted_proxies;
        tracing::info!(address = %self.address()?, %trusted_proxies, "serving; client addresses from these proxies' Forwarded / X-Forwarded-For");
        let router = http::app(self.state.clone());
        if let Some(metrics) = self.metrics.take() {
            tracing::info!(address = ?metrics.local_addr().ok(), "serving /metrics");
            self.tasks.spawn("metrics listener", http::metrics::serve(metrics, self.state.clone()));
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
        // Every ballot in flight is answered by now: the writers, the listener and the reporters
        // may stop.
        self.tasks.shutdown().await;
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
