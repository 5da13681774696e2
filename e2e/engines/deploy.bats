#!/usr/bin/env bats
# deploy/ against a real kube-apiserver: `kubectl apply -k deploy/` on a cluster that has what
# deploy/ expects from the platform (the Istio, Gateway API and Kubewarden CRDs, and Kubewarden's
# namespace, as Kubewarden's Helm chart creates it) but not the Package CRD, which deploy/
# installs itself. There is no kubelet and no controller: the Deployment, the PolicyServer and
# the ClusterAdmissionPolicy are stored and validated (schemas, RBAC escalation checks, pruning
# of unknown fields), never run.
#
# The tests run in file order on one cluster: the UDS Core overlay first, on the cluster as it was
# before deploy/ (a UDS Core cluster never had deploy/ applied), then deploy/ itself.

bats_require_minimum_version 1.5.0
load lib

# deploy/ brings our Package CRD: the cluster starts without it.
for crd in "${!CLUSTER_CRDS[@]}"; do
  [[ "${CLUSTER_CRDS[$crd]}" != "$REPO_ROOT/deploy/"* ]] || unset 'CLUSTER_CRDS[crd]'
done

DEPLOY="$REPO_ROOT/deploy"
UDS_CORE_OVERLAY="$DEPLOY/overlays/with-uds-core"

setup_file() {
  cluster_up "$BATS_FILE_TMPDIR/cluster"
  # Kubewarden's own namespace: deploy/policy puts the PolicyServer's ServiceAccount there.
  kubectl create namespace kubewarden >/dev/null
  kubectl kustomize "$DEPLOY" >"$BATS_FILE_TMPDIR/deploy.yaml"
  kubectl kustomize "$UDS_CORE_OVERLAY" >"$BATS_FILE_TMPDIR/with-uds-core.yaml"
}

teardown_file() {
  cluster_down
}

# `kind namespace name` of each object of the YAML or JSON (a List too) in file $1, sorted.
identities() {
  python3 - "$1" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
objs = [o for d in docs for o in (d["items"] if d.get("kind", "").endswith("List") else [d])]
for o in sorted(objs, key=lambda o: (o["kind"], o["metadata"].get("namespace", "-"), o["metadata"]["name"])):
    print(o["kind"], o["metadata"].get("namespace", "-"), o["metadata"]["name"])
PY
}

# Prints every field of the objects of YAML file $1 that the stored objects (JSON List $2) lack
# or hold with another value; nothing when each object is stored as it was sent. The server may
# add fields (defaults, metadata). A null may come back absent (to kubectl apply a null means
# "no such key": it leaves it out, where kubectl create stores it), and so may an empty list
# (core types omit it; this build's custom-resource storage drops it:
# /work/shared/engines/README.md). Both mean the same as an absent field.
differences() {
  python3 - "$1" "$2" <<'PY'
import json, sys, yaml
sent = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
stored = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]): o
          for o in json.load(open(sys.argv[2]))["items"]}

def compare(path, want, got):
    if isinstance(want, dict) and isinstance(got, dict):
        for key, value in want.items():
            if key not in got:
                if value not in (None, []):
                    print(f"{path}.{key}: sent {json.dumps(value)}, not stored")
            else:
                compare(f"{path}.{key}", value, got[key])
    elif isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        for i, (w, g) in enumerate(zip(want, got)):
            compare(f"{path}[{i}]", w, g)
    elif want != got:
        print(f"{path}: sent {json.dumps(want)}, stored {json.dumps(got)}")

for obj in sent:
    key = (obj["kind"], obj["metadata"].get("namespace"), obj["metadata"]["name"])
    if key not in stored:
        print(f"{'/'.join(k or '-' for k in key)}: not stored")
    else:
        compare("/".join(k or "-" for k in key), obj, stored[key])
PY
}

# Asserts that `kubectl apply` output ($output) has one line per object of file $1, each ending
# in $2 (created, unchanged, serverside-applied (server dry run)).
each_object_reports() {
  local file=$1 verdict=$2 objects lines
  objects=$(identities "$file" | wc -l)
  lines=$(grep -c " $verdict\$" <<<"$output" || true)
  [ "$objects" -gt 0 ]
  [ "$lines" -eq "$objects" ] || { echo "$lines of $objects objects report '$verdict':" >&2; echo "$output" >&2; return 1; }
}

@test "UDS Core overlay: the policy only, no Package CRD, no generator, the gateway's ports" {
  run -0 identities "$BATS_FILE_TMPDIR/with-uds-core.yaml"
  [ "$output" = "$(kubectl kustomize "$DEPLOY/policy" >"$BATS_TEST_TMPDIR/policy.yaml" && identities "$BATS_TEST_TMPDIR/policy.yaml")" ]
  [[ "$output" != *CustomResourceDefinition* && "$output" != *Deployment* ]]
  run -0 python3 -c '
import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d["kind"] == "ClusterAdmissionPolicy":
        print(d["spec"]["settings"]["gatewayPorts"])' "$BATS_FILE_TMPDIR/with-uds-core.yaml"
  [ "$output" = "[80, 443]" ]
}

@test "UDS Core overlay: server-side dry-run on the API server accepts every object" {
  run -0 kubectl apply -k "$UDS_CORE_OVERLAY" --server-side --dry-run=server
  each_object_reports "$BATS_FILE_TMPDIR/with-uds-core.yaml" "serverside-applied (server dry run)"
  # A dry run stores nothing.
  run -1 kubectl get clusteradmissionpolicy uds-egress
}

@test "kubectl apply -k deploy/ creates every object, the Package CRD included" {
  run -0 kubectl apply -k "$DEPLOY"
  each_object_reports "$BATS_FILE_TMPDIR/deploy.yaml" created
  [[ "$output" == *"customresourcedefinition.apiextensions.k8s.io/packages.uds.dev created"* ]]
}

@test "every object of kubectl kustomize deploy/ is stored, as it was sent" {
  kubectl get -f "$BATS_FILE_TMPDIR/deploy.yaml" -o json >"$BATS_TEST_TMPDIR/stored.json"
  [ "$(identities "$BATS_TEST_TMPDIR/stored.json")" = "$(identities "$BATS_FILE_TMPDIR/deploy.yaml")" ]
  run -0 differences "$BATS_FILE_TMPDIR/deploy.yaml" "$BATS_TEST_TMPDIR/stored.json"
  [ -z "$output" ] || { echo "$output" >&2; false; }
}

@test "deploy/'s Package CRD is established and stores the example Packages as they were sent" {
  kubectl wait --for condition=established --timeout=30s crd/packages.uds.dev
  run -0 kubectl api-resources --api-group uds.dev -o name
  [ "$output" = packages.uds.dev ]
  cluster_load "$REPO_ROOT"/examples/*.yaml
  local example
  for example in "$REPO_ROOT"/examples/*.yaml; do cat "$example"; echo '---'; done >"$BATS_TEST_TMPDIR/examples.yaml"
  kubectl get -f "$BATS_TEST_TMPDIR/examples.yaml" -o json >"$BATS_TEST_TMPDIR/stored.json"
  run -0 differences "$BATS_TEST_TMPDIR/examples.yaml" "$BATS_TEST_TMPDIR/stored.json"
  [ -z "$output" ] || { echo "$output" >&2; false; }
}

@test "a second kubectl apply -k deploy/ changes nothing" {
  run -0 kubectl apply -k "$DEPLOY"
  each_object_reports "$BATS_FILE_TMPDIR/deploy.yaml" unchanged
}

@test "server-side dry-run of deploy/ (kubectl apply --server-side --dry-run=server) succeeds" {
  run -0 kubectl apply -k "$DEPLOY" --server-side --dry-run=server
  each_object_reports "$BATS_FILE_TMPDIR/deploy.yaml" "serverside-applied (server dry run)"
}
