//! Background tasks with an owner: a process's long-running loops (the database listener, the
//! ballot writers, the live fan-out, the reporters) are spawned into one [`BackgroundTasks`],
//! which aborts every one of them when it is dropped or shut down — in the manner of
//! mini-redis's `DbDropGuard`. Nothing outlives the application that started it.

use tokio::task::JoinSet;

#[derive(Default)]
pub struct BackgroundTasks {
    tasks: JoinSet<()>,
}

impl BackgroundTasks {
    /// Runs `task` until it ends or this owner stops it; `name` is what the log says if it ends
    /// by itself while the process still runs.
    pub fn spawn(&mut self, name: &'static str, task: impl Future<Output = ()> + Send + 'static) {
        self.tasks.spawn(async move {
            task.await;
            tracing::debug!(task = name, "background task ended");
        });
    }

    /// Stops every task and waits until each has ended.
    pub async fn shutdown(mut self) {
        self.tasks.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    async fn ended(held: &Arc<()>) -> bool {
        for _ in 0..100 {
            if Arc::strong_count(held) == 1 {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    }

    #[tokio::test]
    async fn dropping_the_owner_stops_its_tasks() {
        let held = Arc::new(());
        let mut tasks = BackgroundTasks::default();
        let inside = held.clone();
        tasks.spawn("forever", async move {
            let _inside = inside;
            std::future::pending::<()>().await;
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(Arc::strong_count(&held), 2, "the task runs while its owner lives");
        drop(tasks);
        assert!(ended(&held).await, "the task was left running");
    }

    #[tokio::test]
    async fn shutdown_waits_for_every_task_to_end() {
        let held = Arc::new(());
        let mut tasks = BackgroundTasks::default();
        for _ in 0..3 {
            let inside = held.clone();
            tasks.spawn("forever", async move {
                let _inside = inside;
                std::future::pending::<()>().await;
            });
        }
        tasks.shutdown().await;
        assert_eq!(Arc::strong_count(&held), 1);
    }
}
