#!/usr/bin/env bats
# End-to-end tests of annotated-policy.wasm through the real kwctl (`make e2e-tests`) against a
# real kube-apiserver (one control plane for the file, booted by e2e/engines/lib.bash with the
# Package, Istio and Kubewarden CRDs).
#
# Every case of e2e/fixtures/policy/cases.json runs here as in the Rust waPC host
# (e2e/tests/policy_cases.rs), with the same expectations. Decision: the context-aware cases run
# directly against the API server, not against replayed recordings. Each case's cluster file is
# stored through the API server, kwctl lists it with its own Kubernetes client, and the exchanges
# kwctl records (--record-host-capabilities-interactions) must name the kinds of the case's
# `expect.calls`, in order: the policy's lookups checked through the real engine. (Recordings
# written by our own host were never read the way kwctl reads them: kwctl 1.31 sends no field
# masks, so they only showed that our host agreed with itself.)
#
# Where kwctl 1.31 behaves unlike our host, the test says so: a forbidden lookup never reaches
# the policy (context-lookup-fails), and settings that are not an object never reach it either.

bats_require_minimum_version 1.5.0
load e2e/engines/lib

FIXTURES="$REPO_ROOT/e2e/fixtures/policy"
POLICY="$REPO_ROOT/annotated-policy.wasm"
# The token user of the context-lookup-fails case: it may list Packages and Gateways, not
# VirtualServices (the ClusterRole in setup_file).
READER_USER=policy-reader
READER_TOKEN=uds-egress-policy-reader-token

# jq helpers: a JSON Pointer as a jq path, and a JSON Patch applied to a document (the ops kwctl
# emits for our mutations: add, replace, remove on object members).
JQ_LIB='
def ptr($p): $p | ltrimstr("/") | split("/")
  | map(gsub("~1"; "/") | gsub("~0"; "~") | if test("^[0-9]+$") then tonumber else . end);
def apply_patch($ops): reduce $ops[] as $op (.;
  if $op.op == "remove" then delpaths([ptr($op.path)]) else setpath(ptr($op.path); $op.value) end);
'

setup_file() {
  local dir="$BATS_FILE_TMPDIR/cluster"
  mkdir -p "$dir"
  echo "$READER_TOKEN,$READER_USER,$READER_USER,\"uds-egress-e2e\"" >"$dir/tokens.extra"
  cluster_up "$dir"
  API_SERVER=$(kubectl config view --raw -o jsonpath='{.clusters[0].cluster.server}')
  ADMIN_TOKEN=$(kubectl config view --raw -o jsonpath='{.users[0].user.token}')
  export API_SERVER ADMIN_TOKEN
  kubectl apply -f - >/dev/null <<YAML
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: $READER_USER}
rules:
  - {apiGroups: [uds.dev], resources: [packages], verbs: [get, list, watch]}
  - {apiGroups: [networking.istio.io], resources: [gateways], verbs: [get, list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: $READER_USER}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: $READER_USER}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: $READER_USER}]
YAML
  export READER_KUBECONFIG="$BATS_FILE_TMPDIR/reader.kubeconfig"
  cluster_kubeconfig_for "$READER_USER" "$READER_TOKEN" "$READER_KUBECONFIG"
  # An empty Sigstore trust config: kwctl then skips fetching Sigstore's TUF repository, which
  # it does on every run (about 1 s of retries offline, a network fetch online) and which no
  # test uses (the module is a local file, never verified).
  export TRUST_CONFIG="$BATS_FILE_TMPDIR/sigstore-trust.json"
  echo '{}' >"$TRUST_CONFIG"
}

teardown_file() {
  cluster_down
}

# `kwctl run` with the suite's defaults: no colours in the logs, no Sigstore fetch, and stopped
# after KWCTL_SECONDS (default 20; a run takes about 1 s), so that a kwctl that waits forever fails instead of hanging.
kwctl_run() {
  RUST_BACKTRACE=0 timeout "${KWCTL_SECONDS:-20}" kwctl --no-color run --sigstore-trust-config "$TRUST_CONFIG" "$@"
}

# Case $1 of cases.json as compact JSON.
case_json() {
  jq -ce --arg name "$1" '.[] | select(.name == $name)' "$FIXTURES/cases.json"
}

# "Kind namespace/name" of every object in the YAML files given, sorted.
fixture_objects() {
  python3 - "$@" <<'PY' | LC_ALL=C sort
import sys, yaml
for path in sys.argv[1:]:
    for doc in yaml.safe_load_all(open(path)):
        if doc:
            print(f'{doc["kind"]} {doc["metadata"].get("namespace", "")}/{doc["metadata"]["name"]}')
PY
}

# The same for the objects the policy can look up, as the API server's watch cache serves them
# (resourceVersion=0): where kwctl's watches start their initial lists. One curl for the three
# lists (kubectl get --raw costs a Go process start and discovery each, most of a case's time).
stored_objects() {
  local path lists
  lists=$(curl -sSf --cacert "$CLUSTER_DIR/pki/ca.crt" -H "Authorization: Bearer $ADMIN_TOKEN" \
    $(for path in uds.dev/v1alpha1/packages networking.istio.io/v1/gateways networking.istio.io/v1/virtualservices; do
        echo "$API_SERVER/apis/$path?resourceVersion=0"
      done)) || return 1
  jq -r '.items[] | "\(.kind) \(.metadata.namespace)/\(.metadata.name)"' <<<"$lists" | LC_ALL=C sort
}

# Makes the cluster hold exactly the objects of the YAML file $1 (none if empty), and waits
# until the watch cache shows them (and no leftover of the previous case). An empty cluster that
# is already empty is kept: most cases have none, and a reset costs more than a case's kwctl run.
cluster_holds() {
  local file=$1 want now i
  now=$(stored_objects) || return 1
  [ -n "$file" ] || [ -n "$now" ] || return 0
  cluster_reset
  [ -z "$file" ] || cluster_load "$file" || return 1
  want=$([ -z "$file" ] || fixture_objects "$file")
  for i in $(seq 50); do
    now=$(stored_objects) && [ "$now" = "$want" ] && return 0
    sleep 0.2
  done
  echo "the cluster does not show the objects of ${file:-no file}:" >&2
  diff <(echo "$want") <(stored_objects) >&2
  return 1
}

# The kinds of the exchanges of each of kwctl's recordings given, in order: one JSON list a
# line, `null` where the file is missing. A request is a YAML document tagged with kwctl's
# request type (!KubernetesListResourceAll, ...). One process for all the cases.
recorded_kinds() {
  python3 - "$@" <<'PY'
import json, os, sys, yaml
class Tagged(yaml.SafeLoader):
    pass
Tagged.add_multi_constructor("!", lambda loader, tag, node: loader.construct_mapping(node))
for path in sys.argv[1:]:
    if not os.path.exists(path):
        print("null")
        continue
    exchanges = yaml.safe_load(open(path)) or []
    print(json.dumps([yaml.load(e["request"], Loader=Tagged)["kind"] for e in exchanges]))
PY
}

# kwctl context-aware on request file $2 with settings $3 against the test cluster: its response
# in $RUNS/$1.json, the exchanges it recorded in $RUNS/$1.rec.yml, its log in $RUNS/$1.log. A run
# that hung at kwctl's reflectors is made again (kwctl_again_if_hung in lib.bash).
kwctl_case() {
  local name=$1 request=$2 settings=$3 status=0
  KWCTL_WHAT=$name kwctl_again_if_hung kwctl_context_aware "$@" || status=$?
  [ "$status" = 0 ] \
    || { echo "kwctl failed on $name (exit $status): $(grep -v '^ ' "$RUNS/$name.log" | tail -3)"; return 1; }
}
kwctl_context_aware() {
  local name=$1 request=$2 settings=$3
  kwctl_run --allow-context-aware --request-path "$request" --settings-json "$settings" \
    --record-host-capabilities-interactions "$RUNS/$name.rec.yml" "$POLICY" \
    >"$RUNS/$name.json" 2>"$RUNS/$name.log"
}

# The fields name, request (a path), settings (JSON) and cluster (a path or nothing) of case $1,
# separated by \x1f (not whitespace, so that an empty field stays a field for `read`).
case_fields() {
  jq -r --arg dir "$FIXTURES" \
    '[.name, "\($dir)/\(.request)", (.settings | tojson), (.cluster // "" | if . == "" then . else "\($dir)/\(.)" end)]
     | join("\u001f")' <<<"$1"
}

# Runs case $1 (JSON) through kwctl in its cluster; a mutation is resubmitted (second pass, as
# $name.again). Prints what kept it from a verdict; its status is always 0.
run_case() {
  local name request settings cluster
  IFS=$'\x1f' read -r name request settings cluster < <(case_fields "$1")
  cluster_holds "$cluster" || { echo "its cluster could not be stored"; return 0; }
  kwctl_case "$name" "$request" "$settings" || return 0
  [ -n "$(jq -r '.patch // empty' "$RUNS/$name.json")" ] || return 0
  # Idempotence: the mutated object passes again without a patch, with the same cluster.
  resubmission "$request" "$(cat "$RUNS/$name.json")" >"$RUNS/$name.again.request.json"
  kwctl_case "$name.again" "$RUNS/$name.again.request.json" "$settings" || true
}

# Prints one line per unmet expectation of case $1 given kwctl's response $2, request file $3
# and the kinds kwctl's host calls listed, $4 (a JSON list).
mismatches() {
  local case=$1 response=$2 request=$3 calls=$4
  jq -nr --argjson c "$case" --argjson r "$response" --slurpfile q "$request" --argjson calls "$calls" \
    "$JQ_LIB"'
    $c.expect as $e | ($r.status.message // "") as $m | ($r.warnings // []) as $w
    | ($q[0].object) as $before
    | (if $r.patch then ($r.patch | @base64d | fromjson) else null end) as $patch
    | [
        (if $r.allowed != $e.accepted then "allowed is \($r.allowed), expected \($e.accepted): \($m)" else empty end),
        (if $e.message and $m != $e.message then "message is \($m | @json), expected \($e.message | @json)" else empty end),
        ($e.message_contains // [] | .[] | select(. as $part | $m | contains($part) | not)
          | "message lacks \(@json): \($m | @json)"),
        (if $e.code and $r.status.code != $e.code then "code is \($r.status.code), expected \($e.code)" else empty end),
        (if $e.no_mutation and $patch then "unexpected patch \($patch | @json)" else empty end),
        (if $e.mutated then
           if $patch == null then "expected a mutation, got none"
           else ($before | apply_patch($patch)) as $after
             | ($e.mutated | to_entries[] | .key as $k | .value as $v
                 | ($after | getpath(ptr($k))) as $actual
                 | select($actual != $v) | "\($k) is \($actual | @json), expected \($v | @json)"),
               ($e.mutated_absent // [] | .[]
                 | select(. as $p | $after | getpath(ptr($p)) != null) | "\(.) should be gone")
           end
         else empty end),
        ($e.warnings_contain // [] | .[] | select(. as $part | $w | any(contains($part)) | not)
          | "no warning contains \(@json): \($w | @json)"),
        (if $e.no_warnings and ($w | length) > 0 then "unexpected warnings \($w | @json)" else empty end),
        (if $calls != $e.calls then "host calls listed \($calls | @json), expected \($e.calls | @json)" else empty end)
      ] | .[]'
}

# The request file $1 resubmitted as an UPDATE of its mutated object (kwctl's patch $2 applied).
resubmission() {
  local request=$1 response=$2
  jq --argjson r "$response" "$JQ_LIB"'
    (.object | apply_patch($r.patch | @base64d | fromjson)) as $after
    | .operation = "UPDATE" | .object = $after | .oldObject = $after' "$request"
}

# Every unmet expectation of case $1 (JSON) from what run_case left, given the kinds its host
# calls listed ($2, a JSON list).
case_problems() {
  local name request settings cluster
  IFS=$'\x1f' read -r name request settings cluster < <(case_fields "$1")
  mismatches "$1" "$(cat "$RUNS/$name.json")" "$request" "$2"
  [ ! -f "$RUNS/$name.again.json" ] \
    || jq -r 'if .allowed != true then "second pass rejected: \(.status.message)"
              elif .patch then "second pass mutates again: \(.patch | @base64d)" else empty end' \
         "$RUNS/$name.again.json"
}

@test "every case of cases.json against the API server, and a second pass over each mutation" {
  local RUNS=$BATS_TEST_TMPDIR cases names calls problems failures=0 i
  # A case with a `fail` entry has its host call failed by our host; on the real engine that is
  # the forbidden lookup of the next test.
  mapfile -t cases < <(jq -c '.[] | select(.fail == null)' "$FIXTURES/cases.json")
  mapfile -t names < <(jq -r '.[] | select(.fail == null) | .name' "$FIXTURES/cases.json")
  problems=()
  for i in "${!cases[@]}"; do problems[i]=$(run_case "${cases[i]}"); done
  # The recordings are read after all the runs: one Python process instead of one a case.
  mapfile -t calls < <(cd "$RUNS" && recorded_kinds "${names[@]/%/.rec.yml}")
  for i in "${!cases[@]}"; do
    [ -n "${problems[i]}" ] || problems[i]=$(case_problems "${cases[i]}" "${calls[i]}")
    [ -n "${problems[i]}" ] || continue
    failures=$((failures + 1))
    echo "case ${names[i]}:"
    sed 's/^/  /' <<<"${problems[i]}"
  done
  echo "$failures of ${#cases[@]} cases failing"
  # The one case left out is the next test's: a new case with a `fail` entry needs its own.
  [ "$(jq -c '[.[] | select(.fail) | .name]' "$FIXTURES/cases.json")" = '["context-lookup-fails"]' ]
  [ "$failures" -eq 0 ]
}

# kwctl on request $1 with settings $2 as the reader, whom RBAC denies VirtualServices.
forbidden_lookup() {
  rm -f "$BATS_TEST_TMPDIR/rec.yml"
  KUBECONFIG="$READER_KUBECONFIG" KWCTL_SECONDS=10 run --separate-stderr kwctl_run --allow-context-aware \
    --request-path "$1" --settings-json "$2" \
    --record-host-capabilities-interactions "$BATS_TEST_TMPDIR/rec.yml" "$POLICY"
}

# Our host fails the VirtualService list with a forbidden message, and the policy rejects with
# 503 naming the lookup (cases.json). The real kwctl 1.31 never gets that far: policy-evaluator
# serves each list from a watch (a reflector) and waits for its first list to succeed, and
# kube-rs's watcher retries a 403 with backoff, forever. The host call never returns, kwctl has no
# evaluation timeout, and the policy never sees the error (policy-server bounds the same wait with
# its policy timeout). So here: the lookups are made in the case's order, the API server's
# forbidden text is what kwctl logs, and no verdict comes.
@test "context-lookup-fails: a forbidden VirtualService list never reaches the policy; kwctl waits" {
  local case request calls run
  case=$(case_json context-lookup-fails)
  request="$FIXTURES/$(jq -r .request <<<"$case")"
  cluster_holds ""
  # kwctl's own hang at an earlier reflector (kwctl_again_if_hung in lib.bash) stops it before
  # the VirtualService list: then no forbidden text was logged, and the run is made again.
  for run in 1 2 3; do
    forbidden_lookup "$request" "$(jq -c .settings <<<"$case")"
    [[ "$stderr" != *"is forbidden"* ]] || break
    echo "# context-lookup-fails: kwctl hung before the VirtualService list (run $run)" >&3
  done
  echo "output = ${output}"
  grep -v '^ ' <<<"$stderr" | tail -5
  [ "$status" -eq 124 ] # still waiting when `timeout` stopped it
  [ -z "$output" ]
  [ ! -e "$BATS_TEST_TMPDIR/rec.yml" ] # kwctl writes its recording at the end, which never came
  # The lists the policy asked for, in order: the kinds of the watches kwctl started.
  calls=$(sed -n 's/.*creating new reflector .* kind="\([A-Za-z]*\)".*/\1/p' <<<"$stderr" | jq -Rsc 'split("\n")[:-1]')
  [ "$calls" = "$(jq -c .expect.calls <<<"$case")" ]
  [[ "$stderr" == *'virtualservices.networking.istio.io is forbidden: User \"policy-reader\" cannot list resource \"virtualservices\" in API group \"networking.istio.io\" at the cluster scope'* ]]
}

# kwctl 1.31 has no request size limit of its own (neither has policy-evaluator), so the 1 MB
# request reaches the module, whose own cap (512 KiB of Package JSON) refuses it with 413 before
# any lookup. kwctl exits 0 for a rejection, as for every verdict.
@test "a 1 MB Package reaches the module and is rejected with 413 before any lookup" {
  jq '.object.metadata.annotations = {filler: ("x" * 1048576)}' \
    "$FIXTURES/requests/mutate-nothing-to-do.json" >"$BATS_TEST_TMPDIR/huge.json"
  cluster_holds ""
  run --separate-stderr kwctl_run --allow-context-aware -r "$BATS_TEST_TMPDIR/huge.json" \
    --record-host-capabilities-interactions "$BATS_TEST_TMPDIR/rec.yml" "$POLICY"
  echo "output = ${output}"
  [ "$status" -eq 0 ]
  [ "$(jq -r .allowed <<<"$output")" = false ]
  [ "$(jq -r .status.code <<<"$output")" = 413 ]
  [ "$(jq -r .status.message <<<"$output")" = \
    "the Package is 1049013 bytes of JSON; this policy accepts at most 524288 bytes (512 KiB)" ]
  [ "$(recorded_kinds "$BATS_TEST_TMPDIR/rec.yml")" = "[]" ]
}

# kwctl itself refuses settings that are not a JSON object ("Invalid settings in CRD, not an
# object") and exits 1 before the module is asked: the policy's own message for them (settings:
# expected a map of settings, ...) is checked by the Rust test host only.
@test "settings of the wrong shape are refused by kwctl before the policy sees them" {
  local settings
  for settings in '[443]' '"443"' '443'; do
    run --separate-stderr kwctl_run -r "$FIXTURES/requests/mutate-nothing-to-do.json" \
      --settings-json "$settings" "$POLICY"
    echo "settings $settings: status $status, output = ${output}, stderr = ${stderr}"
    [ "$status" -eq 1 ]
    [ -z "$output" ]
    [[ "$stderr" == *"Error: Invalid settings in CRD, not an object"* ]]
    [[ "$stderr" != *"settings: expected a map"* ]]
  done
}

@test "a bad setting value is refused naming the setting" {
  run --separate-stderr kwctl_run -r "$FIXTURES/requests/mutate-nothing-to-do.json" \
    --settings-json '{"gatewayPorts": [443, 0]}' "$POLICY"
  echo "output = ${output}, stderr = ${stderr}"
  [ "$status" -eq 1 ]
  [ -z "$output" ]
  [[ "$stderr" == *"Error: Provided settings are not valid: gatewayPorts[1]: port 0 is out of range, expected 1 to 65535"* ]]
}

# `kwctl inspect -o yaml` as JSON.
inspected() {
  kwctl --no-color inspect -o yaml "$POLICY" | python3 -c 'import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'
}

@test "kwctl inspect: a mutating, context-aware policy on Packages, at Cargo.toml's version" {
  local metadata version
  metadata=$(inspected)
  version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$REPO_ROOT/Cargo.toml" | head -n 1)
  jq -e --arg version "$version" '
    .protocolVersion == "v1"
    and .mutating == true
    and .rules == [{apiGroups: ["uds.dev"], apiVersions: ["v1alpha1"], resources: ["packages"],
                    operations: ["CREATE", "UPDATE"]}]
    and (.contextAwareResources | sort_by(.kind)) == [
          {apiVersion: "networking.istio.io/v1", kind: "Gateway"},
          {apiVersion: "uds.dev/v1alpha1", kind: "Package"},
          {apiVersion: "networking.istio.io/v1", kind: "VirtualService"}]
    and .annotations["io.kubewarden.policy.version"] == $version' <<<"$metadata" \
    || { echo "version $version; metadata: $(jq -c 'del(.annotations["io.kubewarden.policy.usage"])' <<<"$metadata")"; false; }
}

# artifacthub-pkg.yml as regenerated, without what changes on every run or is not data.
artifacthub_content() {
  grep -v -e '^createdAt:' -e '^#' "$1"
}

@test "artifacthub/artifacthub-pkg.yml is what kwctl scaffold artifacthub generates today" {
  local fresh="$BATS_TEST_TMPDIR/artifacthub/artifacthub-pkg.yml"
  mkdir -p "$(dirname "$fresh")"
  # The Makefile's rule, writing elsewhere (it matches any */artifacthub-pkg.yml).
  make -s --no-print-directory -C "$REPO_ROOT" "$fresh" 2>"$BATS_TEST_TMPDIR/make.log" \
    || { cat "$BATS_TEST_TMPDIR/make.log"; false; }
  grep -q '^createdAt: ' "$fresh"
  diff <(artifacthub_content "$REPO_ROOT/artifacthub/artifacthub-pkg.yml") <(artifacthub_content "$fresh") \
    || { echo "regenerate it: make -B artifacthub/artifacthub-pkg.yml"; false; }
}

# The spec of a ClusterAdmissionPolicy in YAML file $1, as JSON.
cap_spec() {
  python3 -c 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))["spec"]))' "$1"
}

@test "deploy/policy's ClusterAdmissionPolicy: kwctl's scaffold of the module, on the published module" {
  local scaffold shipped metadata
  kwctl --no-color scaffold manifest --sigstore-trust-config "$TRUST_CONFIG" -t ClusterAdmissionPolicy \
    --allow-context-aware "file://$POLICY" \
    >"$BATS_TEST_TMPDIR/scaffold.yaml" 2>"$BATS_TEST_TMPDIR/scaffold.log" \
    || { cat "$BATS_TEST_TMPDIR/scaffold.log"; false; }
  scaffold=$(cap_spec "$BATS_TEST_TMPDIR/scaffold.yaml")
  shipped=$(cap_spec "$REPO_ROOT/deploy/policy/cluster-admission-policy.yaml")
  metadata=$(inspected)
  echo "scaffold: $scaffold"
  echo "shipped: $shipped"
  # What decides how the policy is called: mutation, the requests it sees, the kinds it may read.
  jq -ne --argjson a "$scaffold" --argjson b "$shipped" '
    def mode: {mutating, rules, contextAwareResources: (.contextAwareResources | sort_by(.apiVersion, .kind))};
    ($a | mode) == ($b | mode) and ($a.contextAwareResources | length) == 3'
  # The shipped module is this policy as published: the metadata's OCI repository at v<version>.
  [ "$(jq -r .module <<<"$shipped")" = "$(jq -r '.annotations | "registry://\(.["io.kubewarden.policy.ociUrl"]):v\(.["io.kubewarden.policy.version"])"' <<<"$metadata")" ]
}
