//! The process as load balancers see it: serving, then — from SIGTERM on — draining: `/readyz`
//! answers 503 so that checks take the process out, while everything else is still served until
//! the drain period is over (`Settings::shutdown_drain`).

use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Debug, Default)]
pub(crate) struct Lifecycle {
    draining: AtomicBool,
}

impl Lifecycle {
    /// From now on the process says it is not ready (it is about to stop).
    pub(crate) fn start_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    pub(crate) fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }
}
