#!/usr/bin/env bash
# Runs the Kubernetes manifests of deploy/k8s with `podman kube play` against this machine's
# PostgreSQL: checks them against Kubernetes' rules offline (no cluster or kubectl here), then
# plays the api Deployment on a fresh database (it must not migrate: MIGRATE_ON_START=false), the
# migration Job (exit 0, every migration applied), sees the api turn ready and serve a page and the
# API, and stops it as the kubelet would: preStop, then SIGTERM with the pod's grace period, during
# which it drains (/readyz 503, still serving) and then exits 0.
#
# What podman 4.3 (Debian bookworm) does with these manifests, and what this test adapts:
#  - Kinds: Pod, Deployment, PersistentVolumeClaim, ConfigMap, Secret. No Job ("YAML document does
#    not contain any supported kube kind"): the Job's pod template is played as a Pod, taken from
#    migrate-job.yaml as it is.
#  - A Deployment becomes one pod per replica (blw-api-pod-0, -1, …). With the host's network (to
#    reach PostgreSQL on 127.0.0.1) replicas would share one port: the test plays 1 replica, on
#    port 18098 and 127.0.0.1 instead of 8080 and 0.0.0.0, with `--network host` (the manifests'
#    pods keep their own network), and without `ports:` (refused with the host's network:
#    "PortMappings can only be used with Bridge or slirp4netns networking").
#  - Secret: played, it is stored as YAML that podman's own envFrom/secretKeyRef reader cannot
#    read ("secret … is not valid JSON", containers/podman#16269; later versions read both): it
#    wants a JSON map of base64 values, so the test creates that podman secret from secret.yaml's
#    keys (DATABASE_URL pointing at the test database).
#  - ConfigMap: given with --configmap, as is apart from HOST and PORT above.
#  - Ignored or not run here: readinessProbe, startupProbe, lifecycle.preStop, PodDisruptionBudget,
#    Service, strategy, topologySpreadConstraints; livenessProbe becomes a podman health check run
#    by systemd timers, which this machine lacks (the test polls the endpoints itself).
#    terminationGracePeriodSeconds is not used (podman stops with its 10 s default), and
#    `podman kube down` stops pods with no grace at all (SIGKILL): so the test runs the preStop
#    command and then `podman pod stop -t <terminationGracePeriodSeconds>` (SIGTERM) itself, as
#    the kubelet would, before `podman kube down` removes the pod.
#  - Applied: envFrom, resources (memory limit), securityContext (user 10001, read-only root,
#    capabilities dropped, no new privileges), restartPolicy, command.
#
# Builds the image with scripts/container-image.sh from the binaries in target/$CONTAINER_PROFILE
# (debug by default): build them first (`cargo build -p api -p migration`, or scripts/test.sh).
# Bounded by KUBE_TEST_TIMEOUT seconds (default 600). Usage: scripts/kube-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${CONTAINER_PROFILE:-debug}"
image="blw-dataviz:test"
db="blw_kube_test"   # one name, like the pods': a killed run's is dropped by the next
port=18098
limit="${KUBE_TEST_TIMEOUT:-600}"
manifests=deploy/k8s
work=$(mktemp -d)
podman_() { podman --runtime runc --cgroup-manager=cgroupfs "$@"; }
# shellcheck source=scripts/lib/check.sh
source scripts/lib/check.sh kube # check NAME COMMAND... (outcome in $check_last), check_finish
gate() { # gate NAME COMMAND...: a check the rest depends on; on failure, logs and the end
  check "$@"
  [ "$check_last" = ok ] && return 0
  for ctr in "${api_ctr:-}" "${job_ctr:-}"; do
    [ -n "$ctr" ] && podman_ container exists "$ctr" && { echo "--- $ctr (last lines)"; podman_ logs "$ctr" 2>&1 | tail -n 20; }
  done
  [ -f "$work/podman.log" ] && { echo "--- podman"; tail -n 10 "$work/podman.log"; }
  check_finish; exit 1
}
export PGOPTIONS="-c client_min_messages=warning" # no NOTICE for a database not there to drop
psql_() { psql -h 127.0.0.1 -U postgres -d "$db" -Atc "$1" 2>/dev/null; }

# Leftovers of an earlier run that was killed, and everything of this one, go.
remove_pods() {
  for pod in "${api_pod:-blw-api-pod-0}" "${job_pod:-blw-migrate}"; do
    podman_ pod rm -f "$pod" >/dev/null 2>&1 || true
  done
  podman_ secret rm "${secret_name:-blw-secrets}" >/dev/null 2>&1 || true
}
cleanup() {
  [ -n "${watchdog:-}" ] && kill "$watchdog" 2>/dev/null || true
  remove_pods
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "kube: $passed passed, $((failed + 1)) failed (stopped)"; exit 124' TERM INT
( for _ in $(seq 1 "$limit"); do sleep 1; kill -0 $$ 2>/dev/null || exit 0; done
  echo "kube: FAIL the test took longer than ${limit}s"; kill -TERM $$ ) 2>/dev/null &
watchdog=$!

# --- the manifests, checked offline (scripts/lib/kube_manifests.py, python3 with PyYAML) ----
py=python3
if ! "$py" -c 'import yaml' 2>/dev/null; then
  py=/usr/bin/python3
  if ! "$py" -c 'import yaml' 2>/dev/null; then
    [ "$(id -u)" -eq 0 ] || { echo "kube: python3 with PyYAML is needed (apt-get install python3-yaml)"; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-yaml >/dev/null
  fi
fi
while IFS='|' read -r outcome name; do
  if [ "$outcome" = ok ]; then check "$name" true; else check "$name" false; fi
done < <("$py" scripts/lib/kube_manifests.py check "$manifests" || echo "FAIL|the manifests could not be read")

# --- a fresh database, the image, the copies podman can play --------------------------------
url="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
CONTAINER_PROFILE="$profile" bash scripts/container-image.sh "$image"
"$py" scripts/lib/kube_manifests.py prepare "$manifests" "$work" "$port" "$url"
# shellcheck source=/dev/null
. "$work/values.sh"
remove_pods
podman_ secret create "$secret_name" "$work/secret.json" >/dev/null
play() { podman_ kube play --network host --configmap "$work/configmap.yaml" "$@" >>"$work/podman.log" 2>&1; }
base="http://127.0.0.1:$port"
status() { curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$base$1"; }
running() { [ "$(podman_ inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = true ]; }
wait_for() { # wait_for SECONDS PATH CODE: the api answers PATH with CODE (while its container runs)
  local until=$(( $(date +%s) + $1 ))
  while [ "$(date +%s)" -lt "$until" ]; do
    [ "$(status "$2")" = "$3" ] && return 0
    running "$api_ctr" || return 1
    sleep 0.3
  done
  return 1
}
# Output is read whole before grep: `grep -q` ending a pipe early would fail it (pipefail).
has_env() { local env; env=$(podman_ inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$1"); grep -qx "$2" <<<"$env"; }
logs_have() { local logs; logs=$(podman_ logs "$1" 2>&1); grep -qE "$2" <<<"$logs"; }
tables() { psql_ "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"; }

# --- the rollout before the migrations: the pods must not migrate ---------------------------
echo "kube: podman $(podman --version | awk '{print $3}'): the Deployment's $replicas replicas played as 1 pod ($api_pod) on the host's network"
gate "the api Deployment plays ($api_pod)" play "$work/api.yaml"
gate "its pod is alive (/healthz 200)" wait_for 90 /healthz 200
readiness=$(curl -s --max-time 3 "$base/readyz")
unmigrated() { [ "$(status /readyz)" = 503 ] && grep -q migrations <<<"$readiness"; }
check "not ready before the Job: /readyz 503 ($readiness)" unmigrated
check "the pod has MIGRATE_ON_START=false" has_env "$api_ctr" MIGRATE_ON_START=false
sleep 2
check "the pod migrated nothing (no table in the database)" test "$(tables)" = 0

# --- the migration Job (its pod template played as a Pod) ------------------------------------
gate "the migration Job's pod plays ($job_pod)" play "$work/migrate-pod.yaml"
code=$(timeout 300 podman --runtime runc --cgroup-manager=cgroupfs wait "$job_ctr" 2>/dev/null || echo timeout)
gate "the migration Job completes with exit 0 (exit $code)" test "$code" = 0
migrations=$(grep -cE 'Box::new\(m[0-9]{8}_' migration/src/lib.rs) # the Migrator's list (schema and data)
check "seaql_migrations lists all $migrations migrations of the Migrator" test "$(psql_ 'SELECT count(*) FROM seaql_migrations')" = "$migrations"
check "the data migrations read the in-image data (10450 respondents)" \
  test "$(psql_ 'SELECT count(*) FROM surveys.respondents')" = 10450
check "no development accounts" test "$(psql_ 'SELECT count(*) FROM users.accounts')" = 0
check "the Job's pod ran as uid 10001 on a read-only root" \
  test "$(podman_ inspect -f '{{.Config.User}} {{.HostConfig.ReadonlyRootfs}}' "$job_ctr")" = "10001:10001 true"

# --- the api: ready without a restart, serving ----------------------------------------------
check "the waiting pod turns ready once the Job is done (/readyz 200)" wait_for 60 /readyz 200
check "without a restart" test "$(podman_ inspect -f '{{.RestartCount}}' "$api_ctr")" = 0
# The usual order: the Job, then the rollout (a new pod on the migrated database).
gate "a new pod replaces it (kube play --replace)" play --replace "$work/api.yaml"
gate "the new pod is ready (/readyz 200)" wait_for 90 /readyz 200
check "serves the dashboard page" bash -c "curl -sf '$base/' | grep -qi '<!doctype html'"
check "serves the API" bash -c "curl -sf '$base/api/surveys/waves' | grep -q '\"respondents\"'"
check "logs JSON lines" logs_have "$api_ctr" '^\{'
check "runs as uid 10001 on a read-only root with no capabilities" test \
  "$(podman_ inspect -f '{{.Config.User}} {{.HostConfig.ReadonlyRootfs}} {{len .EffectiveCaps}}' "$api_ctr")" = "10001:10001 true 0"

# --- stopping as the kubelet does: preStop, then SIGTERM with the grace period ---------------
started=$(date +%s)
podman_ exec "$api_ctr" "${pre_stop[@]}" &
hook=$!
sleep 1
check "serves on while the preStop hook (${pre_stop[*]}) runs" test "$(status /readyz)" = 200
check "the preStop hook runs in the image and exits 0" wait "$hook"
stopping=$(date +%s)
podman_ pod stop -t "$grace" "$api_pod" >>"$work/podman.log" 2>&1 &
stopper=$!
drain_seen=false
for _ in $(seq 1 30); do
  if [ "$(status /readyz)" = 503 ] && [ "$(status /healthz)" = 200 ]; then drain_seen=true; break; fi
  sleep 0.1
done
check "on SIGTERM: /readyz 503 at once, still serving (drain ${drain} s)" $drain_seen
wait "$stopper" || true
took=$(( $(date +%s) - stopping ))
code=$(podman_ inspect -f '{{.State.ExitCode}}' "$api_ctr")
check "exits 0 by itself after the drain, within the grace period (exit $code after ${took} s; grace ${grace} s)" \
  test "$code" = 0 -a "$took" -ge "$drain" -a "$took" -lt "$grace"
check "said it was stopping" logs_have "$api_ctr" 'stop requested|shutting down'
echo "kube: stopping took $(( $(date +%s) - started )) s with the preStop hook"
gone() { podman_ kube down "$work/api.yaml" >>"$work/podman.log" 2>&1 && ! podman_ pod exists "$api_pod"; }
check "podman kube down removes the pod" gone

check_finish
