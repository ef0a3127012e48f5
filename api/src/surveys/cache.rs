//! The in-memory survey snapshot, shared by all requests of a process, and dropped when any
//! process's data migration announces a change (PostgreSQL NOTIFY, see `crate::notifications`).

use std::sync::Arc;

use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::RwLock;

use crate::surveys::snapshot::SurveySnapshot;

#[derive(Default)]
pub struct SurveyCache {
    current: RwLock<Option<Arc<SurveySnapshot>>>,
    /// When the snapshot in memory was read (for the metrics: a stale one shows).
    loaded_at: std::sync::Mutex<Option<std::time::Instant>>,
}

impl SurveyCache {
    /// The current snapshot, loading it if there is none. Only one request loads; the others wait.
    ///
    /// # Errors
    /// The load failed (the next call tries again).
    pub async fn get(&self, db: &DatabaseConnection) -> Result<Arc<SurveySnapshot>, DbErr> {
        if let Some(snapshot) = self.current.read().await.as_ref() {
            return Ok(snapshot.clone());
        }
        let mut slot = self.current.write().await;
        if let Some(snapshot) = slot.as_ref() {
            return Ok(snapshot.clone());
        }
        let started = std::time::Instant::now();
        let snapshot = Arc::new(SurveySnapshot::load(db).await?);
        tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "survey snapshot loaded");
        *slot = Some(snapshot.clone());
        self.stamp(true);
        Ok(snapshot)
    }

    /// Whether a snapshot is in memory.
    pub async fn is_loaded(&self) -> bool {
        self.current.read().await.is_some()
    }

    /// Loads a new snapshot while the current one keeps serving, then swaps it in; tries again
    /// every second until the database answers. For when changes may have been missed (the
    /// listener reconnected): data already in memory keeps being served through an outage.
    pub async fn refresh(&self, db: &DatabaseConnection) {
        loop {
            match SurveySnapshot::load(db).await {
                Ok(snapshot) => {
                    *self.current.write().await = Some(Arc::new(snapshot));
                    self.stamp(true);
                    tracing::info!("survey snapshot refreshed");
                    return;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "survey snapshot refresh failed; retrying in 1 s");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// Drops the snapshot; the next request loads a new one. Waits for a load in progress, so a
    /// load that began before the change cannot outlive this call.
    pub async fn invalidate(&self) {
        *self.current.write().await = None;
        self.stamp(false);
    }

    fn stamp(&self, loaded: bool) {
        *self.loaded_at.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
            loaded.then(std::time::Instant::now);
    }

    /// How long ago the snapshot in memory was read (`None`: none is).
    pub fn age(&self) -> Option<std::time::Duration> {
        self.loaded_at.lock().unwrap_or_else(std::sync::PoisonError::into_inner).map(|at| at.elapsed())
    }
}
