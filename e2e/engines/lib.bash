# Shared by the suites that run on the real engines (e2e.bats, e2e/engines/*.bats): the test
# cluster, the CRDs, the OCI registry. Source it from a bats file; e2e/engines/run-suites puts the
# engines on PATH before bats starts.
#
# Everything a suite starts lives under its own directory and listens on 127.0.0.1 on free ports,
# so suites never share state.

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ENGINES_DIR="$REPO_ROOT/e2e/engines"
# The CRDs the test cluster gets: ours, and the vendored Istio, Gateway API and Kubewarden ones.
CLUSTER_CRDS=("$REPO_ROOT/deploy/crds/package.yaml" "$REPO_ROOT/e2e/fixtures/crds/istio.yaml"
  "$REPO_ROOT/e2e/fixtures/crds/gateway-api-gateways.yaml" "$REPO_ROOT/e2e/fixtures/crds/kubewarden.yaml")

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Waits until URL answers (any HTTP status below 500 for TLS or plain); $2 seconds at most.
wait_for_url() {
  local url=$1 seconds=${2:-30} i
  for i in $(seq $((seconds * 10))); do
    curl -sk -o /dev/null "$url" && return 0
    sleep 0.1
  done
  echo "no answer from $url after ${seconds}s" >&2
  return 1
}

# kwctl 1.31 now and then never gets past "creating new reflector" (from once in 20 to once in
# 150 context-aware runs here, for any request, against a healthy API server): with `kwctl -v`
# the stuck request is the API discovery GET made before the next reflector, sent on a pooled
# connection (no TLS handshake logged, where a good run opens a new one while the earlier watches
# hold theirs) and never answered. That is kwctl's client, not the module. So a kwctl run is
# bounded by `timeout` (exit 124), and a run stopped so is made again, up to 3 runs, the suite
# saying so; any other failure, or a third hang, stays a failure.
#
# Runs "$@" (a command that bounds kwctl with `timeout`) until it does not exit 124, 3 times at
# most. $KWCTL_WHAT names the run in the note, which goes to bats' fd 3 or, outside bats (the
# benchmarks), to stderr.
kwctl_again_if_hung() {
  local status=0 run note
  for run in 1 2 3; do
    status=0
    "$@" || status=$?
    [ "$status" = 124 ] || return "$status"
    note="# ${KWCTL_WHAT:-kwctl}: kwctl hung at its reflectors (run $run stopped by its timeout)"
    { echo "$note" >&3; } 2>/dev/null || echo "$note" >&2
  done
  return "$status"
}

# Boots the control plane in DIR and installs the CRDs; exports KUBECONFIG and CLUSTER_DIR.
# Extra token users: write DIR/tokens.extra before calling (see e2e/engines/control-plane).
cluster_up() {
  CLUSTER_DIR=$1
  mkdir -p "$CLUSTER_DIR"
  "$ENGINES_DIR/control-plane" start "$CLUSTER_DIR" >/dev/null || return 1
  export KUBECONFIG="$CLUSTER_DIR/kubeconfig" CLUSTER_DIR
  "$ENGINES_DIR/crds-for-1.20" "${CLUSTER_CRDS[@]}" | kubectl create --validate=false -f - >/dev/null || return 1
  kubectl wait --for condition=established crd --all --timeout=60s >/dev/null
}

cluster_down() {
  [ -z "${CLUSTER_DIR:-}" ] || "$ENGINES_DIR/control-plane" stop "$CLUSTER_DIR"
}

# Stores the objects of the YAML files (creating their namespaces first) through the API server.
cluster_load() {
  local ns
  for ns in $(python3 - "$@" <<'PY'
import sys, yaml
names = set()
for path in sys.argv[1:]:
    for doc in yaml.safe_load_all(open(path)):
        if doc and doc.get("metadata", {}).get("namespace"):
            names.add(doc["metadata"]["namespace"])
print("\n".join(sorted(names)))
PY
  ); do
    kubectl get namespace "$ns" >/dev/null 2>&1 || kubectl create namespace "$ns" >/dev/null || return 1
  done
  local f
  for f in "$@"; do kubectl create -f "$f" >/dev/null || return 1; done
}

# Deletes every Package, Istio Gateway and VirtualService: the objects the policy looks up.
# One comma-separated TYPE argument: kubectl reads further words as object names.
cluster_reset() {
  kubectl delete --all-namespaces --all --wait=false \
    packages.uds.dev,gateways.networking.istio.io,virtualservices.networking.istio.io >/dev/null
}

# Writes a kubeconfig for token user USER (declared in $CLUSTER_DIR/tokens.extra) to FILE.
cluster_kubeconfig_for() {
  local user=$1 token=$2 file=$3
  "$ENGINES_DIR/control-plane" kubeconfig "$CLUSTER_DIR" "$user" "$token" >"$file"
}

# Declares token user USER (groups GROUPS, comma-separated) with token TOKEN for the cluster in
# DIR: call it before cluster_up DIR.
#   cluster_token_user DIR USER GROUPS TOKEN
cluster_token_user() {
  mkdir -p "$1"
  printf '%s,%s,%s,"%s"\n' "$4" "$2" "$4-uid" "$3" >>"$1/tokens.extra"
}

# Starts Debian's docker-registry (CNCF distribution) on 127.0.0.1 with storage under DIR;
# exports REGISTRY_ADDR (host:port) and REGISTRY_PID.
# With UDS_EGRESS_REGISTRY=host:port (a registry the CI runner provides, e.g. a service
# container), that registry is used instead and nothing is started.
registry_up() {
  local dir=$1 port
  if [ -n "${UDS_EGRESS_REGISTRY:-}" ]; then
    export REGISTRY_ADDR=$UDS_EGRESS_REGISTRY REGISTRY_PID=""
    wait_for_url "http://$REGISTRY_ADDR/v2/" 20
    return
  fi
  mkdir -p "$dir/storage"
  port=$(free_port)
  cat >"$dir/config.yml" <<CFG
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $dir/storage}
  delete: {enabled: true}
http:
  addr: 127.0.0.1:$port
CFG
  docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
  REGISTRY_PID=$!
  export REGISTRY_ADDR="127.0.0.1:$port" REGISTRY_PID
  wait_for_url "http://$REGISTRY_ADDR/v2/" 20
}

registry_down() {
  [ -z "${REGISTRY_PID:-}" ] || { kill "$REGISTRY_PID" 2>/dev/null; wait "$REGISTRY_PID" 2>/dev/null; } || true
}

# Starts the real policy-server on 127.0.0.1 with the policies file POLICIES_YML, working files
# under DIR, and the current KUBECONFIG for context-aware lookups. Extra arguments go to
# policy-server (e.g. --cert-file/--key-file for HTTPS, --sources-path for a registry).
# Exports POLICY_SERVER_URL (http:// or https://), POLICY_SERVER_READINESS_URL (plain HTTP, also
# when the API is HTTPS) and POLICY_SERVER_PID; waits for readiness.
policy_server_up() {
  local dir=$1 policies=$2 port ready scheme=http
  shift 2
  mkdir -p "$dir"
  port=$(free_port); ready=$(free_port)
  case " $* " in *" --cert-file "*) scheme=https ;; esac
  policy-server --addr 127.0.0.1 --port "$port" --readiness-probe-port "$ready" \
    --policies "$policies" --policies-download-dir "$dir/downloads" --sigstore-cache-dir "$dir/sigstore" \
    --log-no-color --log-fmt json "$@" >"$dir/policy-server.log" 2>&1 &
  POLICY_SERVER_PID=$!
  export POLICY_SERVER_URL="$scheme://127.0.0.1:$port" POLICY_SERVER_PID
  export POLICY_SERVER_READINESS_URL="http://127.0.0.1:$ready/readiness"
  local i
  for i in $(seq 600); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$POLICY_SERVER_READINESS_URL")" = 200 ] && return 0
    kill -0 "$POLICY_SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "policy-server did not become ready:" >&2
  tail -20 "$dir/policy-server.log" >&2
  return 1
}

# Prints a policies file for policy_server_up with one policy, POLICY_ID (default uds-egress): the
# module URL MODULE (registry://, https://, file://), the settings JSON SETTINGS (default {}), and,
# as deploy/'s ClusterAdmissionPolicy grants, mutation and the contextAwareResources that
# metadata.yml declares (policy-server refuses any lookup outside them).
#   policies_yml MODULE [SETTINGS] [POLICY_ID]
policies_yml() {
  local module=$1 settings=${2:-"{}"} policy_id=${3:-uds-egress}
  python3 - "$module" "$settings" "$policy_id" "$REPO_ROOT/metadata.yml" <<'PY'
import json, sys, yaml
module, settings, policy_id, metadata = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], yaml.safe_load(open(sys.argv[4]))
print(yaml.safe_dump({policy_id: {
    "module": module,
    "allowedToMutate": metadata["mutating"],
    "contextAwareResources": metadata.get("contextAwareResources", []),
    "settings": settings,
}}, sort_keys=False), end="")
PY
}

# The settings of deploy/policy/cluster-admission-policy.yaml, as JSON (policies_yml's SETTINGS):
# read from that file, so that the suites judge with what is deployed.
deployed_policy_settings() {
  python3 -c 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))["spec"]["settings"]))' \
    "$REPO_ROOT/deploy/policy/cluster-admission-policy.yaml"
}

# The identity deploy/policy/policy-server.yaml gives the PolicyServer: its ServiceAccount, as the
# user name and groups its token authenticates with. RBAC matches that file's ClusterRoleBinding
# (subject: the ServiceAccount) to a token user of this name (declare it with cluster_token_user).
POLICY_SERVER_USER=system:serviceaccount:kubewarden:uds-egress-policy-server
POLICY_SERVER_GROUPS=system:serviceaccounts,system:serviceaccounts:kubewarden

# policy_server_up with token user USER (TOKEN) as policy-server's own identity for its lookups:
# its kubeconfig is written to DIR/kubeconfig. The caller's KUBECONFIG is left as it was.
#   policy_server_as USER TOKEN DIR POLICIES_YML [POLICY_SERVER_ARGS...]
policy_server_as() {
  local user=$1 token=$2 dir=$3
  shift 3
  mkdir -p "$dir"
  cluster_kubeconfig_for "$user" "$token" "$dir/kubeconfig" || return 1
  KUBECONFIG="$dir/kubeconfig" policy_server_up "$dir" "$@"
}

policy_server_down() {
  [ -z "${POLICY_SERVER_PID:-}" ] || { kill "$POLICY_SERVER_PID" 2>/dev/null; wait "$POLICY_SERVER_PID" 2>/dev/null; } || true
}

# Sends the AdmissionReview v1 wrapping the AdmissionRequest file REQUEST to policy POLICY_ID of
# the running policy-server; prints the AdmissionReview response's `response` object. Waits
# ADMISSION_REVIEW_TIMEOUT seconds at most (default 30, as no API server waits longer for a
# webhook); fails when no answer came (curl's exit status: 28 for the timeout) or on HTTP >= 400.
admission_review() {
  local policy_id=$1 request=$2
  (
    set -o pipefail
    jq -c '{apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: .}' "$request" \
      | curl -sk --fail-with-body --max-time "${ADMISSION_REVIEW_TIMEOUT:-30}" \
          -H 'Content-Type: application/json' --data-binary @- "$POLICY_SERVER_URL/validate/$policy_id" \
      | jq -c .response
  )
}

# The exact message that e2e/fixtures/policy/cases.json expects for case NAME (fails if none):
# one expectation for every engine that judges the case's request.
case_message() {
  jq -er --arg name "$1" '.[] | select(.name == $name) | .expect.message' \
    "$REPO_ROOT/e2e/fixtures/policy/cases.json"
}

# --- The generator (`uds-egress run`) on the test cluster: e2e/engines/generator.bats, bench/ ---

# The binary: UDS_EGRESS_BIN, else the debug build of this checkout's target directory.
UDS_EGRESS_BIN=${UDS_EGRESS_BIN:-${CARGO_TARGET_DIR:-$REPO_ROOT/target}/debug/uds-egress}
# The generator's own identity: the user its ServiceAccount's token authenticates as.
GENERATOR_USER=system:serviceaccount:uds-egress-system:uds-egress-generator
GENERATOR_GROUPS=system:serviceaccounts,system:serviceaccounts:uds-egress-system
# The kinds the generator writes, as one comma-separated kubectl TYPE.
GENERATED_KINDS=serviceentries.networking.istio.io,sidecars.networking.istio.io,virtualservices.networking.istio.io,gateways.networking.istio.io,authorizationpolicies.security.istio.io,gateways.gateway.networking.k8s.io,networkpolicies.networking.k8s.io

# Polls COMMAND every 0.2 s until it succeeds; fails after SECONDS.
#   wait_until SECONDS COMMAND [ARGS...]
wait_until() {
  local seconds=$1 i
  shift
  for i in $(seq $((seconds * 5))); do
    "$@" && return 0
    sleep 0.2
  done
  echo "not reached in ${seconds}s: $*" >&2
  return 1
}

# Applies the RBAC objects of deploy/generator (namespace, ServiceAccount, roles, bindings): all
# of its kustomization but the Deployment, which needs a kubelet.
generator_rbac() {
  kubectl kustomize "$REPO_ROOT/deploy/generator" | python3 -c '
import sys, yaml
rbac = {"Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}
yaml.safe_dump_all([d for d in yaml.safe_load_all(sys.stdin) if d and d["kind"] in rbac], sys.stdout)' \
    | kubectl apply -f - >/dev/null
}

# Starts `uds-egress run` as replica NAME (its POD_NAME: Lease identity and Event reporter) with
# the kubeconfig KUBECONFIG_FILE, the Lease of deploy/generator, metrics on a free port; further
# arguments go to `run`. Log in DIR/NAME.log, pid in DIR/NAME.pid, port in DIR/NAME.port.
# Waits for /healthz.
#   generator_start DIR NAME KUBECONFIG_FILE [RUN_ARGS...]
generator_start() {
  local dir=$1 name=$2 kubeconfig=$3 port
  shift 3
  mkdir -p "$dir"
  port=$(free_port)
  echo "$port" >"$dir/$name.port"
  KUBECONFIG=$kubeconfig POD_NAME=$name "$UDS_EGRESS_BIN" run --metrics-addr "127.0.0.1:$port" \
    --lease-namespace uds-egress-system --lease-name uds-egress-generator "$@" >>"$dir/$name.log" 2>&1 3>&- &
  echo $! >"$dir/$name.pid"
  wait_for_url "http://127.0.0.1:$port/healthz" 20
}

# Whether process PID runs (a zombie, exited but not yet reaped, does not).
running() { ps -o stat= -p "$1" 2>/dev/null | grep -qv Z; }

# Sends SIGNAL (default TERM) to replica NAME and waits for it to exit (KILL after 20 s).
#   generator_stop DIR NAME [SIGNAL]
generator_stop() {
  local dir=$1 name=$2 signal=${3:-TERM} pid i
  [ -f "$dir/$name.pid" ] || return 0
  pid=$(cat "$dir/$name.pid")
  kill "-$signal" "$pid" 2>/dev/null || true
  for i in $(seq 200); do running "$pid" || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$dir/$name.pid"
}

# Whether replica NAME's process runs.
generator_alive() { [ -f "$1/$2.pid" ] && running "$(cat "$1/$2.pid")"; }

# Prints the HTTP status of PATH (/healthz, /readyz, /metrics) on replica NAME's metrics port.
#   generator_status DIR NAME PATH
generator_status() {
  curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(cat "$1/$2.port")$3" || true
}

# Prints the sum of the samples of METRIC on replica NAME: every series of that name, or with
# METRIC such as `name{kind="Sidecar.networking.istio.io"}`, that series alone.
#   generator_metric DIR NAME METRIC
generator_metric() {
  curl -s "http://127.0.0.1:$(cat "$1/$2.port")/metrics" \
    | awk -v m="$3" '$1 == m || index($1, m "{") == 1 { sum += $NF } END { print sum + 0 }'
}

# Prints the stored objects the generator owns (label app.kubernetes.io/managed-by=uds-egress), as
# a JSON List.
generated_objects() {
  kubectl get "$GENERATED_KINDS" -A -l app.kubernetes.io/managed-by=uds-egress -o json
}

# Prints `uds-egress render` of the stored Packages (as the API server returns them: with their
# uids, so owner references are rendered as the generator writes them). Extra arguments go to
# render (e.g. --gateway-ports).
render_stored_packages() {
  kubectl get packages.uds.dev -A -o json | "$UDS_EGRESS_BIN" render "$@" -
}

# Compares two sets of objects, files each a JSON object or List or multi-document YAML: prints one
# line per object that is not the same in both (`only in A`, `only in B`, or `differs` with the
# first differing field), nothing when they are equal. Fields the API server sets (uid,
# resourceVersion, generation, creationTimestamp, managedFields, selfLink, status) are ignored,
# and so are empty lists, which the v1.20 server drops. Objects are matched by API group, kind,
# namespace and name (one stored object, whatever version it is read at).
#   objects_diff A B
objects_diff() {
  python3 - "$1" "$2" <<'PY'
import json, sys, yaml
SERVER_SET = ("uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink")
def load(path):
    text = open(path).read()
    docs = [json.loads(text)] if text.lstrip().startswith("{") else list(yaml.load_all(text, Loader=yaml.CSafeLoader))
    for doc in docs:
        if doc and doc.get("kind") == "List": yield from doc.get("items", [])
        elif doc: yield doc
def prune(value):
    if isinstance(value, dict): return {k: prune(v) for k, v in value.items() if v != []}
    if isinstance(value, list): return [prune(v) for v in value]
    return value
def normal(obj):
    obj = prune(obj)
    obj.pop("status", None)
    for field in SERVER_SET: obj.get("metadata", {}).pop(field, None)
    obj.pop("apiVersion", None)
    return obj
def key(obj):
    group = obj["apiVersion"].rpartition("/")[0]
    return f'{obj["kind"]}.{group} {obj["metadata"].get("namespace", "")}/{obj["metadata"]["name"]}'
def first_difference(a, b, path=""):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b: return f"{path}/{k}"
            found = first_difference(a[k], b[k], f"{path}/{k}")
            if found: return found
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            found = first_difference(x, y, f"{path}/{i}")
            if found: return found
    elif a != b: return path or "/"
    return None
a = {key(o): normal(o) for o in load(sys.argv[1])}
b = {key(o): normal(o) for o in load(sys.argv[2])}
for k in sorted(set(a) | set(b)):
    if k not in b: print(f"only in A: {k}")
    elif k not in a: print(f"only in B: {k}")
    elif a[k] != b[k]: print(f"differs: {k} at {first_difference(a[k], b[k])}")
PY
}

# The audit log of the test cluster (e2e/engines/control-plane writes one JSON line per write).
# audit_mark prints a position; audit_writes MARK [USER] prints the writes logged after it (by USER
# if given), one compact JSON object per line: verb, resource, namespace, name, code, user (name
# and uid: the token's uid tells replicas of one ServiceAccount apart), received and done times.
audit_mark() { wc -l <"$CLUSTER_DIR/audit.log"; }
audit_writes() {
  local mark=$1 user=${2:-}
  tail -n "+$((mark + 1))" "$CLUSTER_DIR/audit.log" | jq -c --arg user "$user" '
    select($user == "" or .user.username == $user)
    | {verb, resource: .objectRef.resource, namespace: .objectRef.namespace, name: .objectRef.name,
       code: .responseStatus.code, user: .user.username, uid: .user.uid,
       received: .requestReceivedTimestamp, done: .stageTimestamp}'
}
