//! The process's own figures, read from /proc at each scrape (Linux; elsewhere they stay unset):
//! resident memory, CPU time, open file descriptors against the limit (every watcher holds one).

/// Clock ticks per second of /proc/self/stat's CPU times (USER_HZ: 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;
const PAGE_BYTES: f64 = 4096.0;

pub(super) fn record() {
    if let Ok(stat) = std::fs::read_to_string("/proc/self/stat") {
        // Fields after the command name (which may hold spaces) start at the state, field 3.
        let fields: Vec<&str> =
            stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
        let field = |n: usize| fields.get(n - 3).and_then(|v| v.parse::<f64>().ok());
        if let (Some(user), Some(system)) = (field(14), field(15)) {
            metrics::counter!("process_cpu_seconds_total").absolute(((user + system) / TICKS_PER_SECOND) as u64);
        }
        if let Some(pages) = field(24) {
            metrics::gauge!("process_resident_memory_bytes").set(pages * PAGE_BYTES);
        }
    }
    if let Ok(entries) = std::fs::read_dir("/proc/self/fd") {
        metrics::gauge!("process_open_fds").set(entries.count() as f64);
    }
    if let Ok((soft, _)) = rlimit::getrlimit(rlimit::Resource::NOFILE) {
        metrics::gauge!("process_max_fds").set(soft as f64);
    }
}
