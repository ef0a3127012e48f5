"""The Kubernetes manifests of deploy/k8s, for scripts/kube-test.sh (no cluster or kubectl here).

Run with a python3 that has PyYAML, from the repo root, with one of two commands:

``check DIR``
    Checks the manifests in DIR offline, structurally and against the code: known kinds and
    apiVersions, no unknown (misspelt) fields, valid names, labels, ports, probes, hooks and
    resource quantities; the Deployment (selector, rolling update, probes on /readyz and /healthz),
    the migration Job (`migration up` from the api's image), the Service and PodDisruptionBudget
    (the api pods only), the ConfigMap and Secret (only settings the code reads, from
    api/src/settings.rs, api/src/cli.rs and migration/src; MIGRATE_ON_START=false), the security
    context (the Dockerfile's uid, read-only root, no capabilities), the stop budget
    (terminationGracePeriodSeconds > preStop + SHUTDOWN_DRAIN_SECONDS + the api's SHUTDOWN_GRACE,
    found in api/src) and kustomization.yaml. Prints one line per check on stdout, ``ok|NAME`` or
    ``FAIL|NAME: why``; kube-test.sh counts them. DIR's grandparent is taken as the repo root.

``prepare DIR WORK PORT DATABASE_URL``
    Writes into WORK the copies podman 4.3 (Debian bookworm) can play, as kube-test.sh's header
    explains: configmap.yaml (HOST 127.0.0.1, PORT), api.yaml (the Deployment, 1 replica, no
    ``ports:``), migrate-pod.yaml (the Job's pod template as a Pod), secret.json (the Secret's
    keys with DATABASE_URL, as the JSON map of base64 values podman reads), and values.sh, the
    shell variables the test needs from the manifests (secret_name, api_pod, api_ctr, job_pod,
    job_ctr, grace, drain, the pre_stop command as an array, replicas), to be sourced.
"""
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

def shutdown_grace(root):
    """The seconds of the api's `const SHUTDOWN_GRACE` (requests in flight after SIGTERM), in
    whichever file of api/src it is."""
    pattern = re.compile(r"const SHUTDOWN_GRACE: Duration = Duration::from_secs\((\d+)\)")
    for path in sorted(glob.glob(os.path.join(root, "api/src/**/*.rs"), recursive=True)):
        with open(path) as f:
            found = pattern.search(f.read())
        if found:
            return found.group(1)
    raise AssertionError("no `const SHUTDOWN_GRACE: Duration = Duration::from_secs(N)` in api/src")

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
        api_grace = int(shutdown_grace(root))
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
