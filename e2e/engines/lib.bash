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
