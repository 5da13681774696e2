#!/usr/bin/env bats
# The policy through a real OCI registry: `make push` uploads annotated-policy.wasm to Debian's
# docker-registry (plain HTTP on 127.0.0.1, so a sources file lists it under insecure_sources),
# then kwctl and policy-server load the module from registry:// and must judge requests exactly
# as the local annotated-policy.wasm does, context-aware lookups in a real API server included.

bats_require_minimum_version 1.5.0
load lib

FIXTURES="$REPO_ROOT/e2e/fixtures/policy"
POLICY="$REPO_ROOT/annotated-policy.wasm"
# Cases of cases.json judged from the registry: accepted and mutated, rejected without lookups,
# rejected from a lookup (its cluster file is loaded for the whole suite; the other two cases
# give their verdicts with it loaded as without it). All three use the default settings, the
# settings policy-server is started with.
CASES=(mutate-default-http-port uds-core-a9 context-protocol-conflict)

# Field path $2 (jq) of case $1 of cases.json, as compact JSON.
case_field() {
  jq -ce --arg name "$1" ".[] | select(.name == \$name) | $2" "$FIXTURES/cases.json"
}

sha256() { sha256sum "$1" | cut -d' ' -f1; }

# The version the module announces, as `kwctl inspect` reads it from the module itself.
module_version() {
  kwctl inspect -o yaml "$POLICY" 2>/dev/null \
    | python3 -c 'import sys, yaml; print(yaml.safe_load(sys.stdin)["annotations"]["io.kubewarden.policy.version"])'
}

setup_file() {
  # kwctl's policy store (pull, run, inspect of registry:// URLs) is this suite's own.
  export XDG_CACHE_HOME="$BATS_FILE_TMPDIR/cache"
  registry_up "$BATS_FILE_TMPDIR/registry"
  # A plain-HTTP registry: kwctl and policy-server refuse it unless it is an insecure source.
  export SOURCES_FILE="$BATS_FILE_TMPDIR/sources.yml"
  printf 'insecure_sources: ["%s"]\n' "$REGISTRY_ADDR" >"$SOURCES_FILE"
  export REPOSITORY="$REGISTRY_ADDR/uds-egress/policies/uds-egress-policy"
  TAG="v$(module_version)"
  export TAG MODULE_URL="registry://$REPOSITORY:$TAG"
  # The real push target; -o: push the module the suites run on, without rebuilding it.
  make -s --no-print-directory -C "$REPO_ROOT" -o annotated-policy.wasm push \
    REGISTRY="$REPOSITORY" SOURCES="$SOURCES_FILE" >"$BATS_FILE_TMPDIR/immutable-ref"

  cluster_up "$BATS_FILE_TMPDIR/cluster"
  local clusters
  mapfile -t clusters < <(jq -r --arg dir "$FIXTURES" \
    '.[] | select(.name | IN($ARGS.positional[])) | .cluster // empty | "\($dir)/\(.)"' \
    "$FIXTURES/cases.json" --args "${CASES[@]}")
  cluster_load "${clusters[@]}"

  policies_yml "$MODULE_URL" >"$BATS_FILE_TMPDIR/policies.yml"
  policy_server_up "$BATS_FILE_TMPDIR/policy-server" "$BATS_FILE_TMPDIR/policies.yml" \
    --sources-path "$SOURCES_FILE"
}

teardown_file() {
  policy_server_down
  cluster_down
  registry_down
}

# kwctl's AdmissionResponse to the request of case $1 from MODULE $2 (a file or a registry://
# URL), with the case's settings and lookups in the test cluster; the patch decoded, so that a
# difference shows as JSON.
kwctl_judge() {
  local name=$1 module=$2 request response
  request="$FIXTURES/$(case_field "$name" .request | jq -r .)"
  response=$(KWCTL_WHAT=$name kwctl_again_if_hung timeout "${KWCTL_SECONDS:-20}" \
    kwctl run --allow-context-aware --sources-path "$SOURCES_FILE" --request-path "$request" \
    --settings-json "$(case_field "$name" .settings)" "$module" 2>"$BATS_TEST_TMPDIR/kwctl.log") \
    || { echo "kwctl run $module failed on $name:" >&2; tail -5 "$BATS_TEST_TMPDIR/kwctl.log" >&2; return 1; }
  decoded <<<"$response"
}

decoded() { jq -Se '.patch |= if . then @base64d | fromjson else . end'; }

# Fails, showing the difference, unless the JSON documents $1 and $2 are equal.
same_json() {
  diff <(jq -S . <<<"$1") <(jq -S . <<<"$2") >&2
}

# Fails unless response $2 gives the verdict cases.json expects for case $1: allowed or not, the
# exact message where the case has one, and a patch exactly when a mutation is expected.
expected_verdict() {
  jq -en --argjson r "$2" --argjson e "$(case_field "$1" .expect)" '
    ($r.allowed == $e.accepted)
    and (if $e.message then $r.status.message == $e.message else true end)
    and (if $e.mutated then $r.patch != null else $r.patch == null end)' >/dev/null \
    || { echo "case $1: not the expected verdict $(case_field "$1" .expect): $2" >&2; return 1; }
}

# kwctl judges case $1 from the registry as from the local file, with the expected verdict.
judged_alike_from_registry() {
  local from_file from_registry
  from_file=$(kwctl_judge "$1" "$POLICY")
  from_registry=$(kwctl_judge "$1" "$MODULE_URL")
  echo "registry: $from_registry"
  expected_verdict "$1" "$from_registry"
  same_json "$from_file" "$from_registry"
}

@test "make push prints the immutable reference of the pushed tag" {
  local ref
  ref=$(cat "$BATS_FILE_TMPDIR/immutable-ref")
  echo "immutable ref: $ref"
  [ "${ref%@sha256:*}" = "$REPOSITORY" ]
  [[ "${ref#*@}" =~ ^sha256:[0-9a-f]{64}$ ]]
}

@test "kwctl pull registry://…:v<version> stores the very module that was pushed" {
  run --separate-stderr kwctl pull --sources-path "$SOURCES_FILE" "$MODULE_URL"
  echo "stderr: $stderr"
  [ "$status" -eq 0 ]
  # The store keeps the module under the URL's path, one file.
  local stored
  stored=$(find "$XDG_CACHE_HOME/kubewarden/store" -type f -name "uds-egress-policy:$TAG")
  echo "stored: $stored"
  [ -n "$stored" ]
  [ "$(wc -l <<<"$stored")" -eq 1 ]
  [ "$(sha256 "$stored")" = "$(sha256 "$POLICY")" ]
  # `kwctl policies` lists it with the module's SHA-256 (its first 12 hex digits).
  run kwctl policies
  echo "$output"
  grep -F "$MODULE_URL " <<<"$output" | grep -qF "$(sha256 "$POLICY" | cut -c1-12)"
}

@test "kwctl inspect registry://… shows the metadata of metadata.yml: mutating, rules, lookups" {
  kwctl pull --sources-path "$SOURCES_FILE" "$MODULE_URL" 2>/dev/null
  run --separate-stderr kwctl inspect -o yaml --sources-path "$SOURCES_FILE" "$MODULE_URL"
  [ "$status" -eq 0 ]
  SHOWN=$output python3 - "$REPO_ROOT/metadata.yml" <<'PY'
import os, sys, yaml
shown, declared = yaml.safe_load(os.environ["SHOWN"]), yaml.safe_load(open(sys.argv[1]))
print("shown:", {k: shown.get(k) for k in ("mutating", "rules", "contextAwareResources")})
assert shown["mutating"] is True
for key in ("mutating", "rules", "executionMode", "backgroundAudit"):
    assert shown[key] == declared[key], (key, shown[key], declared[key])
# A set to kwctl: annotate stores it sorted.
lookups = lambda m: sorted((r["apiVersion"], r["kind"]) for r in m["contextAwareResources"])
assert lookups(shown) == lookups(declared), (lookups(shown), lookups(declared))
PY
}

@test "kwctl run registry://… mutates as the local module: accepted, with the same patch" {
  judged_alike_from_registry mutate-default-http-port
}

@test "kwctl run registry://… rejects as the local module, with the same message" {
  judged_alike_from_registry uds-core-a9
}

@test "kwctl run registry://… looks up the API server as the local module: a protocol conflict" {
  judged_alike_from_registry context-protocol-conflict
}

@test "policy-server loads the module from registry:// and judges AdmissionReviews as kwctl" {
  # It downloaded the pushed module itself.
  local downloaded
  downloaded=$(jq -r 'select(.fields.message == "policy download") | .fields.sha256sum' \
    "$BATS_FILE_TMPDIR/policy-server/policy-server.log")
  echo "policy-server downloaded sha256 $downloaded"
  [ "$downloaded" = "$(sha256 "$POLICY")" ]

  local name request served by_kwctl failures=0
  for name in "${CASES[@]}"; do
    # policy-server was started with the default settings: so must the case be.
    [ "$(case_field "$name" .settings)" = "{}" ]
    request="$FIXTURES/$(case_field "$name" .request | jq -r .)"
    served=$(admission_review uds-egress "$request" | decoded)
    by_kwctl=$(kwctl_judge "$name" "$MODULE_URL")
    echo "$name: policy-server: $served"
    expected_verdict "$name" "$served" && same_json "$by_kwctl" "$served" || failures=$((failures + 1))
  done
  [ "$failures" -eq 0 ]
}

@test "the tag is immutable in practice: the digest pushed is the digest served and pulled" {
  local ref manifest="$BATS_TEST_TMPDIR/manifest.json"
  ref=$(cat "$BATS_FILE_TMPDIR/immutable-ref")
  # `skopeo inspect` refuses artifacts that are not images; --raw gives the manifest as served.
  skopeo inspect --raw --tls-verify=false "docker://$REPOSITORY:$TAG" >"$manifest"
  echo "served for $TAG: $(skopeo manifest-digest "$manifest"); pushed: $ref"
  [ "$(skopeo manifest-digest "$manifest")" = "${ref#*@}" ]
  # Its wasm layer is the module, byte for byte.
  [ "$(jq -r '.layers[] | select(.mediaType == "application/vnd.wasm.content.layer.v1+wasm") | .digest' \
    "$manifest")" = "sha256:$(sha256 "$POLICY")" ]
  # Pulled by digest, the module is the same again.
  kwctl pull --sources-path "$SOURCES_FILE" -o "$BATS_TEST_TMPDIR/by-digest.wasm" "registry://$ref" 2>/dev/null
  [ "$(sha256 "$BATS_TEST_TMPDIR/by-digest.wasm")" = "$(sha256 "$POLICY")" ]
}
