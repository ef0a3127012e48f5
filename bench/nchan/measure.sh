# shellcheck shell=bash
# What nginx + nchan costs, read from /proc: sourced by bench/live-vs-nchan.sh (bash).
#   nginx_pids <master>        the master and its workers (the processes that do the work)
#   nginx_cpu_seconds <master> their CPU time so far, user + system, in seconds
#   nginx_peak_rss_mb <master> the sum of their peak resident sets (VmHWM), in MB
#   nginx_rss_mb <master>      the sum of their resident sets now (VmRSS), and of the shared-memory
#                              part of it (RssShmem, counted once per process that touched it)
# CPU time is /proc/<pid>/stat fields 14 and 15 (utime, stime) in clock ticks (getconf CLK_TCK),
# as embed-load reads the api's; read it before and after the measured window and take the
# difference, with the same master (a worker that died and was replaced takes its time with it:
# the pid list must not change over the window, which nginx_pids lets the caller check).
# VmHWM is each process's own peak since it started, so a fresh nginx per run needs no reset. The
# sum is an upper bound on the peak of the sum; the channel's shared memory (nchan_shared_memory_size,
# pages touched only) and the binary's pages appear in every process's figure: nginx_rss_mb shows
# how much of it is shared.

nginx_pids() {
  local master="$1"
  # One line, the pids split into words on purpose.
  # shellcheck disable=SC2046
  echo "$master" $(pgrep -P "$master" | sort -n)
}

nginx_cpu_seconds() {
  local ticks pid total=0
  ticks=$(getconf CLK_TCK)
  for pid in $(nginx_pids "$1"); do
    # The fields after the command's closing parenthesis start at field 3 (state): utime is the
    # 12th of them, stime the 13th.
    total=$((total + $(sed 's/^.*) //' "/proc/$pid/stat" | awk '{ print $12 + $13 }')))
  done
  awk -v t="$total" -v hz="$ticks" 'BEGIN { printf "%.2f\n", t / hz }'
}

nginx_peak_rss_mb() {
  local pid
  for pid in $(nginx_pids "$1"); do cat "/proc/$pid/status"; done |
    awk '/^VmHWM:/ { kb += $2 } END { printf "%.1f\n", kb / 1024 }'
}

nginx_rss_mb() {
  local pid
  for pid in $(nginx_pids "$1"); do cat "/proc/$pid/status"; done |
    awk '/^VmRSS:/ { kb += $2 } /^RssShmem:/ { shm += $2 } END { printf "%.1f %.1f\n", kb / 1024, shm / 1024 }'
}
