#!/usr/bin/env bats
# End-to-end tests of annotated-policy.wasm through kwctl (`make e2e-tests`; needs kwctl, bats, jq).
#
# Every case of e2e/fixtures/policy/cases.json runs here as in the Rust waPC host
# (e2e/tests/policy_cases.rs). Cases that look the cluster up replay the host-capability exchanges
# recorded in e2e/fixtures/policy/replay/<case>.yml, which that Rust test keeps in step with the
# policy's host calls: a call the recording does not expect fails the lookup, and the policy then
# rejects, so the verdict checks below also check the calls.

bats_require_minimum_version 1.5.0

FIXTURES=e2e/fixtures/policy
POLICY=annotated-policy.wasm

# jq helpers: a JSON Pointer as a jq path, and a JSON Patch applied to a document (the ops kwctl
# emits for our mutations: add, replace, remove on object members).
JQ_LIB='
def ptr($p): $p | ltrimstr("/") | split("/")
  | map(gsub("~1"; "/") | gsub("~0"; "~") | if test("^[0-9]+$") then tonumber else . end);
def apply_patch($ops): reduce $ops[] as $op (.;
  if $op.op == "remove" then delpaths([ptr($op.path)]) else setpath(ptr($op.path); $op.value) end);
'

# Runs kwctl on a request file with a case's settings and recording; prints kwctl's response.
kwctl_run() {
  local name=$1 request=$2 settings=$3
  local args=(run --allow-context-aware --request-path "$request" --settings-json "$settings")
  if [ -f "$FIXTURES/replay/$name.yml" ]; then
    args+=(--replay-host-capabilities-interactions "$FIXTURES/replay/$name.yml")
  fi
  kwctl "${args[@]}" "$POLICY" 2>"$BATS_TEST_TMPDIR/$name.stderr" \
    || { echo "kwctl failed on $name:" >&2; cat "$BATS_TEST_TMPDIR/$name.stderr" >&2; return 1; }
}

# Prints one line per unmet expectation of case $1 given kwctl's response $2 and request file $3.
mismatches() {
  local case=$1 response=$2 request=$3
  jq -nr --argjson c "$case" --argjson r "$response" --slurpfile q "$request" "$JQ_LIB"'
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
        (if $e.no_warnings and ($w | length) > 0 then "unexpected warnings \($w | @json)" else empty end)
      ] | .[]'
}

# The request of case $1 resubmitted as an UPDATE of its mutated object (patch applied).
resubmission() {
  local request=$1 response=$2
  jq --argjson r "$response" "$JQ_LIB"'
    (.object | apply_patch($r.patch | @base64d | fromjson)) as $after
    | .operation = "UPDATE" | .object = $after | .oldObject = $after' "$request"
}

@test "every case of cases.json, and a second pass over each mutation" {
  local failures=0 name case request settings response again
  while IFS= read -r name; do
    case=$(jq -c --arg n "$name" '.[] | select(.name == $n)' "$FIXTURES/cases.json")
    request="$FIXTURES/$(jq -r .request <<<"$case")"
    settings=$(jq -c .settings <<<"$case")
    response=$(kwctl_run "$name" "$request" "$settings") || { failures=$((failures + 1)); continue; }
    problems=$(mismatches "$case" "$response" "$request")
    if [ -z "$problems" ] && [ "$(jq -r '.patch // empty' <<<"$response")" ]; then
      # Idempotence: the mutated object passes again without a patch. Same lookups, same recording.
      resubmission "$request" "$response" >"$BATS_TEST_TMPDIR/$name.again.json"
      again=$(kwctl_run "$name" "$BATS_TEST_TMPDIR/$name.again.json" "$settings") || again='{}'
      problems=$(jq -r 'if .allowed != true then "second pass rejected: \(.status.message)"
                        elif .patch then "second pass mutates again" else empty end' <<<"$again")
    fi
    if [ -n "$problems" ]; then
      failures=$((failures + 1))
      echo "case $name:"
      sed 's/^/  /' <<<"$problems"
    fi
  done < <(jq -r '.[].name' "$FIXTURES/cases.json")
  echo "$failures failing cases"
  [ "$failures" -eq 0 ]
}

@test "a 1 MB Package is rejected with 413 before it is read" {
  jq '.object.metadata.annotations = {filler: ("x" * 1048576)}' \
    "$FIXTURES/requests/mutate-nothing-to-do.json" >"$BATS_TEST_TMPDIR/huge.json"
  run --separate-stderr kwctl run --allow-context-aware -r "$BATS_TEST_TMPDIR/huge.json" "$POLICY"
  echo "output = ${output}"
  [ "$status" -eq 0 ]
  [ "$(jq -r .allowed <<<"$output")" = false ]
  [ "$(jq -r .status.code <<<"$output")" = 413 ]
  jq -e '.status.message | contains("this policy accepts at most 524288 bytes")' <<<"$output"
}

@test "settings of the wrong shape are refused with a message" {
  run kwctl run -r "$FIXTURES/requests/mutate-nothing-to-do.json" --settings-json '[443]' "$POLICY"
  echo "output = ${output}"
  [ "$status" -ne 0 ]
  [[ "$output" == *"settings: expected a map of settings, got a list"* ]]
}

@test "a bad setting value is refused naming the setting" {
  run kwctl run -r "$FIXTURES/requests/mutate-nothing-to-do.json" \
    --settings-json '{"gatewayPorts": [443, 0]}' "$POLICY"
  echo "output = ${output}"
  [ "$status" -ne 0 ]
  [[ "$output" == *"gatewayPorts[1]: port 0 is out of range"* ]]
}

@test "the annotated module declares a mutating, context-aware policy" {
  run kwctl inspect -o yaml "$POLICY"
  echo "output = ${output}"
  [ "$status" -eq 0 ]
  [[ "$output" == *"mutating: true"* ]]
  [[ "$output" == *"kind: VirtualService"* ]]
}
