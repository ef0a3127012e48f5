#!/usr/bin/env bash
# Stops the nginx that bench/nchan/start.sh started from <prefix dir> and removes the directory
# (KEEP=1 keeps it, with its error.log). Fast shutdown (TERM): held EventSource connections would
# keep a graceful one waiting. Waits until the master and its workers are gone; KILLs them after 10 s.
# Usage: bench/nchan/stop.sh <prefix dir>
set -euo pipefail
prefix="${1:?usage: stop.sh <prefix dir>}"
[ -f "$prefix/nginx.conf" ] || { echo "stop.sh: $prefix is not a start.sh prefix" >&2; exit 1; }
master=$(cat "$prefix/nginx.pid" 2>/dev/null || true)
if [ -n "$master" ] && kill -0 "$master" 2>/dev/null; then
  workers=$(pgrep -P "$master" || true)
  kill -TERM "$master"
  for _ in $(seq 1 100); do
    alive=""
    for p in $master $workers; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
    [ -z "$alive" ] && break
    sleep 0.1
  done
  if [ -n "$alive" ]; then
    echo "stop.sh: still running after 10 s:$alive; killing" >&2
    # shellcheck disable=SC2086
    kill -KILL $alive 2>/dev/null || true
  fi
fi
[ "${KEEP:-0}" = 1 ] || rm -rf "$prefix"
