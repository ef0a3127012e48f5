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
passed=0; failed=0
last=ok
check() { # check NAME COMMAND...: counts and prints the outcome (in $last), never stops the test
  if "${@:2}"; then passed=$((passed + 1)); last=ok; echo "kube: ok   $1"
  else failed=$((failed + 1)); last=fail; echo "kube: FAIL $1"; fi
}
gate() { # gate NAME COMMAND...: a check the rest depends on; on failure, logs and the end
  check "$@"
  [ "$last" = ok ] && return 0
  for ctr in "${api_ctr:-}" "${job_ctr:-}"; do
    [ -n "$ctr" ] && podman_ container exists "$ctr" && { echo "--- $ctr (last lines)"; podman_ logs "$ctr" 2>&1 | tail -n 20; }
  done
  [ -f "$work/podman.log" ] && { echo "--- podman"; tail -n 10 "$work/podman.log"; }
  echo "kube: $passed passed, $failed failed"
  exit 1
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

# --- the manifests, checked offline (python3 with PyYAML) ----------------------------------
py=python3
if ! "$py" -c 'import yaml' 2>/dev/null; then
  py=/usr/bin/python3
  if ! "$py" -c 'import yaml' 2>/dev/null; then
    [ "$(id -u)" -eq 0 ] || { echo "kube: python3 with PyYAML is needed (apt-get install python3-yaml)"; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-yaml >/dev/null
  fi
fi
cat > "$work/k8s.py" <<'PYTHON'
"""`check DIR`: structural and semantic checks of the manifests (one `ok|name` or `FAIL|name`
line each). `prepare DIR WORK PORT DATABASE_URL`: the copies podman 4.3 can play (see
kube-test.sh) and values.sh with what the test needs from the manifests."""
import base64, glob, json, os, re, shlex, sys
import yaml

def load(directory):
    docs = {}
    for path in sorted(glob.glob(os.path.join(directory, "*.yaml"))):
        with open(path) as f:
            docs[os.path.basename(path)] = [d for d in yaml.safe_load_all(f) if d is not None]
    return docs

def by_kind(docs, kind):
    found = [d for ds in docs.values() for d in ds if d.get("kind") == kind]
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]

# The fields each object may have (a misspelt one is ignored by a lenient apply and lost).
FIELDS = {
    "object": {"apiVersion", "kind", "metadata", "spec", "data", "stringData", "type"},
    "metadata": {"name", "labels", "annotations", "namespace"},
    "DeploymentSpec": {"replicas", "selector", "strategy", "template", "minReadySeconds",
                       "revisionHistoryLimit", "progressDeadlineSeconds", "paused"},
    "JobSpec": {"parallelism", "completions", "backoffLimit", "activeDeadlineSeconds",
                "ttlSecondsAfterFinished", "template", "completionMode", "suspend", "podFailurePolicy"},
    "PodSpec": {"containers", "initContainers", "restartPolicy", "terminationGracePeriodSeconds",
                "securityContext", "automountServiceAccountToken", "serviceAccountName",
                "topologySpreadConstraints", "affinity", "nodeSelector", "tolerations", "volumes",
                "enableServiceLinks", "priorityClassName", "hostNetwork", "dnsPolicy"},
    "Container": {"name", "image", "imagePullPolicy", "command", "args", "env", "envFrom", "ports",
                  "startupProbe", "readinessProbe", "livenessProbe", "lifecycle", "resources",
                  "securityContext", "volumeMounts", "workingDir"},
    "Probe": {"httpGet", "tcpSocket", "exec", "grpc", "initialDelaySeconds", "periodSeconds",
              "timeoutSeconds", "failureThreshold", "successThreshold", "terminationGracePeriodSeconds"},
    "PodSecurityContext": {"runAsNonRoot", "runAsUser", "runAsGroup", "fsGroup", "seccompProfile",
                           "supplementalGroups"},
    "SecurityContext": {"allowPrivilegeEscalation", "readOnlyRootFilesystem", "capabilities",
                        "runAsNonRoot", "runAsUser", "runAsGroup", "privileged", "seccompProfile"},
    "ServiceSpec": {"type", "selector", "ports", "sessionAffinity", "clusterIP"},
    "PDBSpec": {"minAvailable", "maxUnavailable", "selector", "unhealthyPodEvictionPolicy"},
}
API_VERSIONS = {"ConfigMap": "v1", "Secret": "v1", "Service": "v1", "Deployment": "apps/v1",
                "Job": "batch/v1", "PodDisruptionBudget": "policy/v1",
                "Kustomization": "kustomize.config.k8s.io/v1beta1"}
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$")

def unknown(obj, kind, where):
    extra = set(obj) - FIELDS[kind]
    assert not extra, f"{where}: unknown fields {sorted(extra)}"

def positive_ints(obj, names, where):
    for name in names:
        if name in obj:
            assert isinstance(obj[name], int) and obj[name] >= 0, f"{where}.{name} must be a non-negative integer"

def check_pod(spec, where, job):
    unknown(spec, "PodSpec", where)
    policy = spec.get("restartPolicy", "Always")
    assert policy in (("Never", "OnFailure") if job else ("Always",)), f"{where}.restartPolicy {policy}"
    positive_ints(spec, ["terminationGracePeriodSeconds"], where)
    unknown(spec.get("securityContext", {}), "PodSecurityContext", f"{where}.securityContext")
    names = set()
    for c in spec["containers"]:
        cw = f"{where}.containers[{c.get('name')}]"
        unknown(c, "Container", cw)
        assert DNS_LABEL.match(c["name"]) and c["name"] not in names, f"{cw}: bad or repeated name"
        names.add(c["name"])
        assert c.get("image"), f"{cw}: no image"
        assert c.get("imagePullPolicy", "IfNotPresent") in ("Always", "IfNotPresent", "Never")
        port_names = {p["name"] for p in c.get("ports", []) if "name" in p}
        for p in c.get("ports", []):
            assert isinstance(p["containerPort"], int) and 0 < p["containerPort"] < 65536, f"{cw}: bad port"
            assert "name" not in p or (len(p["name"]) <= 15 and DNS_LABEL.match(p["name"])), f"{cw}: bad port name"
        for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
            if kind not in c:
                continue
            probe, pw = c[kind], f"{cw}.{kind}"
            unknown(probe, "Probe", pw)
            handlers = [h for h in ("httpGet", "tcpSocket", "exec", "grpc") if h in probe]
            assert len(handlers) == 1, f"{pw}: needs exactly one handler"
            positive_ints(probe, ["initialDelaySeconds", "periodSeconds", "timeoutSeconds",
                                  "failureThreshold", "successThreshold"], pw)
            if kind != "readinessProbe":
                assert probe.get("successThreshold", 1) == 1, f"{pw}: successThreshold must be 1"
            port = probe.get("httpGet", {}).get("port")
            assert port is None or isinstance(port, int) or port in port_names, f"{pw}: port {port} not declared"
        for hook in c.get("lifecycle", {}).values():
            assert set(hook) <= {"exec", "httpGet", "sleep"} and len(hook) == 1, f"{cw}: bad lifecycle hook"
            if "exec" in hook:
                assert hook["exec"]["command"][0].startswith("/"), f"{cw}: hook command without a full path"
        for part, values in c.get("resources", {}).items():
            assert part in ("requests", "limits"), f"{cw}.resources.{part}"
            for resource, quantity in values.items():
                assert resource in ("cpu", "memory") and QUANTITY.match(str(quantity)), f"{cw}: {resource}={quantity}"
        unknown(c.get("securityContext", {}), "SecurityContext", f"{cw}.securityContext")
    return spec

def selects(selector, labels):
    return all(labels.get(k) == v for k, v in selector.items())

def settings_read_by_code(root):
    sources = ["api/src/settings.rs", "api/src/cli.rs", "migration/src/main.rs"] + \
        glob.glob(os.path.join(root, "migration/src/data_source/*.rs"))
    text = "".join(open(os.path.join(root, s)).read() for s in sources)
    return set(re.findall(r'"([A-Z][A-Z0-9_]+)"', text)) | {"RUST_LOG"}

def check(directory):
    root = os.path.abspath(os.path.join(directory, "..", ".."))
    results = []
    def test(name, fn):
        try:
            fn()
            results.append(f"ok|{name}")
        except Exception as e:  # noqa: BLE001 - the message is the report
            results.append(f"FAIL|{name}: {e}")
    docs = load(directory)
    def objects():
        for file, ds in docs.items():
            for d in ds:
                kind = d.get("kind")
                assert API_VERSIONS.get(kind) == d.get("apiVersion"), f"{file}: {kind} {d.get('apiVersion')}"
                if kind == "Kustomization":
                    continue
                unknown(d, "object", file)
                unknown(d["metadata"], "metadata", f"{file}.metadata")
                assert DNS_LABEL.match(d["metadata"]["name"]), f"{file}: name {d['metadata']['name']}"
                for k, v in d["metadata"].get("labels", {}).items():
                    assert isinstance(v, str) and re.match(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$", v), f"{file}: label {k}"
    test("every manifest is a known kind and version, with valid names and labels", objects)
    deploy, job = by_kind(docs, "Deployment"), by_kind(docs, "Job")
    config, secret = by_kind(docs, "ConfigMap"), by_kind(docs, "Secret")
    service, pdb = by_kind(docs, "Service"), by_kind(docs, "PodDisruptionBudget")
    api_labels = deploy["spec"]["template"]["metadata"]["labels"]
    job_labels = job["spec"]["template"]["metadata"]["labels"]
    api_pod, job_pod = deploy["spec"]["template"]["spec"], job["spec"]["template"]["spec"]
    api = api_pod["containers"][0]

    def deployment():
        spec = deploy["spec"]
        unknown(spec, "DeploymentSpec", "Deployment.spec")
        assert selects(spec["selector"]["matchLabels"], api_labels), "selector does not match the template"
        rolling = spec["strategy"]["rollingUpdate"]
        assert spec["strategy"]["type"] == "RollingUpdate" and not (rolling["maxUnavailable"] == 0 and rolling["maxSurge"] == 0)
        assert spec["replicas"] >= 2, "one replica is no fleet"
        check_pod(api_pod, "Deployment.pod", job=False)
        assert {"startupProbe", "readinessProbe", "livenessProbe"} <= set(api), "a probe is missing"
        assert api["readinessProbe"]["httpGet"]["path"] == "/readyz" == api["startupProbe"]["httpGet"]["path"]
        assert api["livenessProbe"]["httpGet"]["path"] == "/healthz"
    test("the Deployment: selector, rolling update, probes on /readyz and /healthz", deployment)

    def migration_job():
        unknown(job["spec"], "JobSpec", "Job.spec")
        check_pod(job_pod, "Job.pod", job=True)
        c = job_pod["containers"][0]
        assert c["image"] == api["image"], "not the api's image"
        assert c["command"][-1] == "up" and c["command"][0].endswith("/migration"), c["command"]
    test("the Job runs `migration up` from the api's image", migration_job)

    def selectors():
        unknown(service["spec"], "ServiceSpec", "Service.spec")
        unknown(pdb["spec"], "PDBSpec", "PodDisruptionBudget.spec")
        assert selects(service["spec"]["selector"], api_labels), "the Service misses the api pods"
        assert not selects(service["spec"]["selector"], job_labels), "the Service would send to the Job's pod"
        ports = {p.get("name") for p in api.get("ports", [])} | {p["containerPort"] for p in api.get("ports", [])}
        assert all(p["targetPort"] in ports for p in service["spec"]["ports"]), "targetPort not declared"
        assert ("minAvailable" in pdb["spec"]) != ("maxUnavailable" in pdb["spec"]), "PDB: one of minAvailable, maxUnavailable"
        assert selects(pdb["spec"]["selector"]["matchLabels"], api_labels), "the PDB misses the api pods"
        assert not selects(pdb["spec"]["selector"]["matchLabels"], job_labels), "the PDB covers the Job's pod"
    test("the Service and the PodDisruptionBudget select the api pods only", selectors)

    def settings():
        refs = [e for c in api_pod["containers"] + job_pod["containers"] for e in c.get("envFrom", [])]
        names = {config["metadata"]["name"]} | {secret["metadata"]["name"]}
        assert all((e.get("configMapRef") or e.get("secretRef"))["name"] in names for e in refs), "envFrom names an unknown object"
        assert all(isinstance(v, str) for v in config["data"].values()), "ConfigMap values must be strings"
        assert config["data"]["MIGRATE_ON_START"] == "false"
        known = settings_read_by_code(root)
        keys = set(config["data"]) | set(secret.get("stringData", {})) | set(secret.get("data", {}))
        assert keys <= known, f"not read by the code: {sorted(keys - known)}"
        assert set(config["data"]).isdisjoint(secret.get("stringData", {})), "a key in both"
    test("ConfigMap and Secret: settings the code reads, MIGRATE_ON_START=false", settings)

    def security():
        uid = int(re.search(r"useradd --uid (\d+)", open(os.path.join(root, "Dockerfile")).read()).group(1))
        for where, pod in (("Deployment", api_pod), ("Job", job_pod)):
            ctx = pod["securityContext"]
            assert ctx["runAsNonRoot"] is True and ctx["runAsUser"] == uid, f"{where}: not the image's user {uid}"
            for c in pod["containers"]:
                sc = c["securityContext"]
                assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False, where
                assert sc["capabilities"]["drop"] == ["ALL"], where
    test("non-root (the image's uid), read-only root, no capabilities", security)

    def stop_budget():
        grace = api_pod["terminationGracePeriodSeconds"]
        command = api["lifecycle"]["preStop"]["exec"]["command"]
        assert command[0].endswith("/sleep"), command
        drain = int(config["data"]["SHUTDOWN_DRAIN_SECONDS"])
        api_grace = int(re.search(r"const SHUTDOWN_GRACE: Duration = Duration::from_secs\((\d+)\)",
                                  open(os.path.join(root, "api/src/lib.rs")).read()).group(1))
        need = float(command[1]) + drain + api_grace
        assert need < grace, f"preStop {command[1]} s + drain {drain} s + in flight {api_grace} s >= {grace} s"
        probe = api["readinessProbe"]
        assert probe["periodSeconds"] * probe["failureThreshold"] <= drain, "readiness drops later than the drain ends"
    test("terminationGracePeriodSeconds covers preStop + drain + requests in flight", stop_budget)

    def kustomization():
        k = by_kind(docs, "Kustomization")
        assert all(os.path.exists(os.path.join(directory, r)) for r in k["resources"]), "a resource is missing"
        assert "secret.yaml" not in k["resources"] and "migrate-job.yaml" not in k["resources"]
        listed = {"kustomization.yaml", "secret.yaml", "migrate-job.yaml", *k["resources"]}
        assert listed == set(docs), f"not listed: {sorted(set(docs) - listed)}"
    test("kustomization.yaml lists the rollout (not the Job, not the Secret)", kustomization)
    print("\n".join(results))

def prepare(directory, work, port, database_url):
    docs = load(directory)
    deploy, job = by_kind(docs, "Deployment"), by_kind(docs, "Job")
    config, secret = by_kind(docs, "ConfigMap"), by_kind(docs, "Secret")
    config["data"].update(HOST="127.0.0.1", PORT=str(port))
    values = dict(secret.get("stringData", {}))
    values.update({k: base64.b64decode(v).decode() for k, v in secret.get("data", {}).items()})
    values["DATABASE_URL"] = database_url
    # podman 4.3's reader of secrets for envFrom: a JSON map of base64 values.
    with open(os.path.join(work, "secret.json"), "w") as f:
        json.dump({k: base64.b64encode(v.encode()).decode() for k, v in values.items()}, f)
    deploy["spec"]["replicas"] = 1
    for c in deploy["spec"]["template"]["spec"]["containers"]:
        c.pop("ports", None)
    # The Job's pod template, as a Pod.
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": job["metadata"]["name"], "labels": job["spec"]["template"]["metadata"]["labels"]},
           "spec": job["spec"]["template"]["spec"]}
    for name, doc in (("configmap.yaml", config), ("api.yaml", deploy), ("migrate-pod.yaml", pod)):
        with open(os.path.join(work, name), "w") as f:
            yaml.safe_dump(doc, f, sort_keys=False)
    api_spec = deploy["spec"]["template"]["spec"]
    api_pod = f"{deploy['metadata']['name']}-pod-0"
    shell = {
        "secret_name": secret["metadata"]["name"],
        "api_pod": api_pod,
        "api_ctr": f"{api_pod}-{api_spec['containers'][0]['name']}",
        "job_pod": pod["metadata"]["name"],
        "job_ctr": f"{pod['metadata']['name']}-{pod['spec']['containers'][0]['name']}",
        "grace": api_spec["terminationGracePeriodSeconds"],
        "drain": config["data"]["SHUTDOWN_DRAIN_SECONDS"],
        "pre_stop": "(" + " ".join(shlex.quote(a) for a in api_spec["containers"][0]["lifecycle"]["preStop"]["exec"]["command"]) + ")",
        "replicas": by_kind(load(directory), "Deployment")["spec"]["replicas"],
    }
    with open(os.path.join(work, "values.sh"), "w") as f:
        f.writelines(f"{k}={v if k == 'pre_stop' else shlex.quote(str(v))}\n" for k, v in shell.items())

if __name__ == "__main__":
    {"check": check, "prepare": prepare}[sys.argv[1]](*sys.argv[2:])
PYTHON
while IFS='|' read -r outcome name; do
  if [ "$outcome" = ok ]; then check "$name" true; else check "$name" false; fi
done < <("$py" "$work/k8s.py" check "$manifests" || echo "FAIL|the manifests could not be read")

# --- a fresh database, the image, the copies podman can play --------------------------------
url="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
CONTAINER_PROFILE="$profile" bash scripts/container-image.sh "$image"
"$py" "$work/k8s.py" prepare "$manifests" "$work" "$port" "$url"
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

echo "kube: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
