//! How often live frames go out: every 20 ms while the host has CPU to spare, less often while it
//! has none. Every frame costs a write per watcher here and, on the same host, a read and a write
//! in a load balancer and a read in whatever else runs there; when those together saturate the
//! CPU, frames queue in socket buffers and every screen falls seconds behind (measured: 3,000
//! screens through HAProxy on 2 cores, p50 0.7–1 s with 20 ms frames, 0.15 s with 120 ms ones).
//! This process cannot see those queues, but it can see CPU pressure — the share of time some
//! task waited for a CPU (Linux PSI): above [`CROWDED`] the interval widens step by step up to
//! [`WIDEST`], below [`ROOMY`] it narrows back to [`NARROWEST`]. The pressure read is this
//! process's own cgroup's where the kernel keeps one (cgroup v2: in a container, the container's
//! tasks waiting, whoever holds the CPU), else the host's (`/proc/pressure/cpu`, which inside a
//! container still counts every other workload on the node). Where neither exists it stays at
//! the narrowest.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The frame interval when the host has CPU to spare.
pub(crate) const NARROWEST: Duration = Duration::from_millis(20);

/// The widest interval: a frame still comes several times a second.
const WIDEST: Duration = Duration::from_millis(160);

/// CPU pressure (some task waiting) above which frames come less often…
const CROWDED: f64 = 0.85;

/// …and below which they come more often again (between the two the interval holds, so it does
/// not swing with every sample).
const ROOMY: f64 = 0.70;

/// How often the pressure is read.
const SAMPLE_EVERY: Duration = Duration::from_millis(250);

/// The current interval, in microseconds (one per process: the host's pressure is one).
static INTERVAL_MICROS: AtomicU64 = AtomicU64::new(20_000);

/// The interval between two frames of a poll now.
pub fn frame_interval() -> Duration {
    Duration::from_micros(INTERVAL_MICROS.load(Ordering::Relaxed))
}

/// Starts following the host's CPU pressure (once per process; a thread of its own, so that it
/// keeps time when the runtime is the one short of CPU).
pub(crate) fn follow_cpu_pressure() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        metrics::gauge!("blw_live_frame_interval_seconds").set(frame_interval().as_secs_f64());
        let proc_self_cgroup = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
        let source = cgroup_pressure_file(&proc_self_cgroup, Path::new(CGROUP_MOUNT))
            .unwrap_or_else(|| PathBuf::from(HOST_PRESSURE));
        let Some(first) = pressure_total(&source) else {
            tracing::info!(source = %source.display(), "no CPU pressure information: live frames every 20 ms");
            return;
        };
        tracing::info!(source = %source.display(), "live frames paced by CPU pressure");
        let spawned = std::thread::Builder::new().name("frame-pacing".to_owned()).spawn(move || {
            let (mut last, mut at, mut smoothed) = (first, Instant::now(), 0.0);
            loop {
                std::thread::sleep(SAMPLE_EVERY);
                let Some(total) = pressure_total(&source) else { continue };
                let now = Instant::now();
                #[allow(clippy::cast_precision_loss)] // microseconds over a quarter second
                let pressure = total.saturating_sub(last) as f64 / now.duration_since(at).as_micros().max(1) as f64;
                (last, at) = (total, now);
                smoothed = 0.5 * smoothed + 0.5 * pressure;
                let interval = next_interval(frame_interval(), smoothed);
                INTERVAL_MICROS.store(u64::try_from(interval.as_micros()).unwrap_or(u64::MAX), Ordering::Relaxed);
                metrics::gauge!("blw_live_frame_interval_seconds").set(interval.as_secs_f64());
                metrics::gauge!("blw_cpu_pressure").set(smoothed);
            }
        });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "could not start following CPU pressure: live frames every 20 ms");
        }
    });
}

/// The interval after `interval` at CPU pressure `pressure` (0–1): a quarter wider when
/// crowded, a fifth narrower when roomy, else the same.
fn next_interval(interval: Duration, pressure: f64) -> Duration {
    if pressure > CROWDED {
        (interval * 5 / 4).min(WIDEST)
    } else if pressure < ROOMY {
        (interval * 4 / 5).max(NARROWEST)
    } else {
        interval
    }
}

/// The host's CPU pressure.
const HOST_PRESSURE: &str = "/proc/pressure/cpu";

/// Where cgroup file systems are mounted.
const CGROUP_MOUNT: &str = "/sys/fs/cgroup";

/// This process's cgroup's `cpu.pressure`, if the kernel keeps one: the cgroup v2 path is the
/// `0::` line of `/proc/self/cgroup`, under `mount` itself (cgroup v2 only) or under its
/// `unified` folder (v1 and v2 side by side).
fn cgroup_pressure_file(proc_self_cgroup: &str, mount: &Path) -> Option<PathBuf> {
    let path = proc_self_cgroup.lines().find_map(|line| line.strip_prefix("0::"))?.trim_start_matches('/');
    [mount.to_path_buf(), mount.join("unified")]
        .into_iter()
        .map(|root| root.join(path).join("cpu.pressure"))
        .find(|file| file.is_file())
}

/// Microseconds some task has waited for a CPU since boot (`some … total=`), from a PSI file.
fn pressure_total(file: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(file).ok()?;
    let some = text.lines().find(|line| line.starts_with("some "))?;
    some.split_whitespace().find_map(|field| field.strip_prefix("total="))?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_come_less_often_while_the_cpu_is_crowded_and_back_to_20_ms_when_it_is_not() {
        let mut interval = NARROWEST;
        let mut widened = vec![interval];
        for _ in 0..20 {
            interval = next_interval(interval, 0.95);
            widened.push(interval);
        }
        assert!(widened.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(interval, WIDEST);
        assert_eq!(next_interval(interval, 0.85), WIDEST, "between the thresholds it holds");
        for _ in 0..20 {
            interval = next_interval(interval, 0.3);
        }
        assert_eq!(interval, NARROWEST);
    }

    #[test]
    fn the_pressure_read_is_the_process_cgroup_s_where_it_has_one() {
        let mount = tempfile::tempdir().expect("temporary folder");
        let psi = "some avg10=0.00 avg60=0.00 avg300=0.00 total=1234\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
        let v1_lines = "4:memory:/pod\n1:cpu:/pod\n";
        // No cgroup v2 line, or no pressure file for it: none (the host's is read instead).
        assert_eq!(cgroup_pressure_file(v1_lines, mount.path()), None);
        assert_eq!(cgroup_pressure_file("0::/pod\n", mount.path()), None);
        // v1 and v2 side by side: v2 under `unified`.
        let hybrid = mount.path().join("unified/pod/cpu.pressure");
        std::fs::create_dir_all(hybrid.parent().expect("parent")).expect("folders");
        std::fs::write(&hybrid, psi).expect("pressure file");
        assert_eq!(cgroup_pressure_file(&format!("{v1_lines}0::/pod\n"), mount.path()), Some(hybrid.clone()));
        // v2 alone (a container's own namespace shows its cgroup as `/`): under the mount itself.
        let own = mount.path().join("cpu.pressure");
        std::fs::write(&own, psi).expect("pressure file");
        assert_eq!(cgroup_pressure_file("0::/\n", mount.path()), Some(own.clone()));
        assert_eq!(pressure_total(&own), Some(1234));
        assert_eq!(pressure_total(&mount.path().join("missing")), None);
    }
}
