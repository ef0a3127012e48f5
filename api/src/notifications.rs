//! PostgreSQL LISTEN/NOTIFY, fanned out in-process: one listening connection per api process,
//! so a change committed by any process (a data migration, later a vote) reaches every process.

use sea_orm::sqlx::PgPool;
use sea_orm::sqlx::postgres::PgListener;
use tokio::sync::broadcast;

/// What the listener saw.
#[derive(Debug, Clone)]
pub(crate) enum DbEvent {
    Notification {
        channel: String,
        payload: String,
    },
    /// The listening connection was lost and is back: notifications in between may be missed,
    /// so anything derived from the database should be re-read.
    Reconnected,
}

/// A listener on `channels`: events go to every receiver of the returned sender while the
/// returned future runs (a background task: the state owns it).
pub(crate) fn listener(
    pool: PgPool,
    channels: Vec<String>,
) -> (broadcast::Sender<DbEvent>, impl Future<Output = ()> + Send + 'static) {
    let (sender, _) = broadcast::channel(1024);
    let events = sender.clone();
    let listening = async move {
        loop {
            match listen(&pool, &channels, &events).await {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "database listener lost its connection; reconnecting");
                    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                    metrics::counter!("blw_db_listener_reconnects_total").increment(1);
                    let _ = events.send(DbEvent::Reconnected);
                }
            }
        }
    };
    (sender, listening)
}

/// Runs until the listener fails (Err) or nobody can receive any more (Ok).
async fn listen(
    pool: &PgPool,
    channels: &[String],
    events: &broadcast::Sender<DbEvent>,
) -> Result<(), sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen_all(channels.iter().map(String::as_str)).await?;
    loop {
        match listener.try_recv().await? {
            Some(n) => {
                let event = DbEvent::Notification { channel: n.channel().to_owned(), payload: n.payload().to_owned() };
                if events.send(event).is_err() && events.receiver_count() == 0 && events.strong_count() == 1 {
                    return Ok(());
                }
            }
            // The connection dropped and PgListener re-established it on this call.
            None => {
                metrics::counter!("blw_db_listener_reconnects_total").increment(1);
                let _ = events.send(DbEvent::Reconnected);
            }
        }
    }
}
