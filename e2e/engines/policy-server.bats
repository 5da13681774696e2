#!/usr/bin/env bats
# The policy on the real policy-server 1.31, as deploy/policy/ runs it: the settings of
# cluster-admission-policy.yaml, and for its lookups the identity and RBAC of policy-server.yaml,
# against a real API server storing the cluster. Each test sends an AdmissionReview v1 over HTTP,
# as the API server does, and checks the verdict, the message, the JSON Patch and the warnings.
#
# policy-server answers lists from reflectors (a list, then a watch, per kind and selector) that
# the first lookup starts. The cluster is stored before policy-server starts, so every lookup
# sees all of it; the last test stores a Package while policy-server runs and waits for the watch.

bats_require_minimum_version 1.5.0
load lib
load policy-server-cluster

# The same policy with contextAwareResources that lack Package.
NO_ACCESS_ID=clusterwide-uds-egress-without-package-access
# A second policy-server identity: the RBAC of policy-server.yaml less `list` on Packages.
NO_LIST_USER=system:serviceaccount:kubewarden:uds-egress-no-package-list
KINDS=(packages.uds.dev gateways.networking.istio.io virtualservices.networking.istio.io)

# Prints policies_yml's file read from stdin with Package removed from every contextAwareResources.
without_package_access() {
  python3 -c '
import sys, yaml
policies = yaml.safe_load(sys.stdin)
for policy in policies.values():
    policy["contextAwareResources"] = [r for r in policy["contextAwareResources"] if r["kind"] != "Package"]
yaml.safe_dump(policies, sys.stdout, sort_keys=False)'
}

# Prints the ClusterRole and ClusterRoleBinding of deploy/policy/policy-server.yaml, renamed, with
# `list` taken from the Packages rule and bound to NO_LIST_USER's ServiceAccount.
rbac_without_package_list() {
  python3 - "$REPO_ROOT/deploy/policy/policy-server.yaml" "${NO_LIST_USER##*:}" <<'PY'
import sys, yaml
path, account = sys.argv[1:]
docs = [d for d in yaml.safe_load_all(open(path)) if d and d["kind"] in ("ClusterRole", "ClusterRoleBinding")]
for doc in docs:
    doc["metadata"]["name"] += "-without-package-list"
    if doc["kind"] == "ClusterRole":
        for rule in doc["rules"]:
            if "packages" in rule["resources"]:
                rule["verbs"] = [verb for verb in rule["verbs"] if verb != "list"]
    else:
        doc["roleRef"]["name"] += "-without-package-list"
        for subject in doc["subjects"]:
            subject["name"] = account
yaml.safe_dump_all(docs, sys.stdout)
PY
}

setup_file() {
  local dir=$BATS_FILE_TMPDIR module="file://$REPO_ROOT/annotated-policy.wasm" settings
  cluster_token_user "$dir/cluster" "$POLICY_SERVER_USER" "$POLICY_SERVER_GROUPS" policy-server-token
  cluster_token_user "$dir/cluster" "$NO_LIST_USER" "$POLICY_SERVER_GROUPS" no-list-token
  cluster_up "$dir/cluster"
  # policy-server.yaml as deployed (its PolicyServer needs the Kubewarden CRD), then the cluster.
  cluster_load "$REPO_ROOT/deploy/policy/policy-server.yaml" "${CLUSTER[@]}"
  rbac_without_package_list | kubectl create -f - >/dev/null
  settings=$(deployed_policy_settings)

  policies_yml "$module" "$settings" "$POLICY_ID" >"$dir/no-list.yml"
  policy_server_as "$NO_LIST_USER" no-list-token "$dir/no-list" "$dir/no-list.yml"
  export NO_LIST_URL=$POLICY_SERVER_URL NO_LIST_PID=$POLICY_SERVER_PID \
    NO_LIST_READINESS_URL=$POLICY_SERVER_READINESS_URL NO_LIST_LOG="$dir/no-list/policy-server.log"

  { policies_yml "$module" "$settings" "$POLICY_ID"
    policies_yml "$module" "$settings" "$NO_ACCESS_ID" | without_package_access; } >"$dir/policies.yml"
  policy_server_as "$POLICY_SERVER_USER" policy-server-token "$dir/deployed" "$dir/policies.yml"
}

teardown_file() {
  policy_server_down
  POLICY_SERVER_PID=${NO_LIST_PID:-} policy_server_down
  cluster_down
}

# The JSON Patch of response $1, decoded, its operations sorted by path.
patch_ops() { jq -c '.patch | @base64d | fromjson | sort_by(.path)' <<<"$1"; }

# Prints "RESOURCE VERB..." for each of KINDS that user $1 may act on, as the API server's RBAC
# lists it (a SelfSubjectRulesReview through impersonation).
granted() {
  kubectl auth can-i --list --as "$1" \
    | awk -v kinds=" ${KINDS[*]} " 'index(kinds, " " $1 " ") { gsub(/[][]/, ""); $1 = $1; print }' | sort
}

@test "RBAC: the deployed identity may get, list and watch the three kinds; the second may not list Packages" {
  run -0 granted "$POLICY_SERVER_USER"
  echo "$output"
  [ "$output" = "gateways.networking.istio.io get list watch
packages.uds.dev get list watch
virtualservices.networking.istio.io get list watch" ]
  run -0 granted "$NO_LIST_USER"
  echo "$output"
  [ "$output" = "gateways.networking.istio.io get list watch
packages.uds.dev get watch
virtualservices.networking.istio.io get list watch" ]
}

@test "an accepted Package is mutated: remoteProtocol TLS and port 443 written, as a JSON Patch" {
  run -0 admission_review "$POLICY_ID" "$OWN_REQUESTS/mutate-protocol-and-port.json"
  echo "response: $output"
  jq -e '.uid == "e2e-ps-mutate-protocol-and-port" and .allowed == true and .patchType == "JSONPatch"
    and .status == null and .warnings == null' <<<"$output"
  [ "$(patch_ops "$output")" = '[{"op":"add","path":"/spec/network/allow/0/port","value":443},{"op":"add","path":"/spec/network/allow/0/remoteProtocol","value":"TLS"}]' ]
}

@test "a protocol conflict that only the stored Package web/web reveals is refused with UDS Core's message" {
  run -0 admission_review "$POLICY_ID" "$REQUESTS/context-protocol-conflict.json"
  echo "response: $output"
  jq -e '.allowed == false and .patch == null and .warnings == null' <<<"$output"
  [ "$(jq -r .status.message <<<"$output")" = "$(case_message context-protocol-conflict)" ]
}

@test "a stored Gateway that is not uds-egress's claiming the host is refused with UDS Core's message" {
  run -0 admission_review "$POLICY_ID" "$OWN_REQUESTS/foreign-gateway-claims-host.json"
  echo "response: $output"
  jq -e '.allowed == false and .patch == null' <<<"$output"
  [ "$(jq -r .status.message <<<"$output")" = "$(case_message context-foreign-gateway)" ]
}

@test "warnings come with an accepted, mutated Package: HTTP egress, port 80 written" {
  run -0 admission_review "$POLICY_ID" "$REQUESTS/mutate-default-http-port.json"
  echo "response: $output"
  jq -e '.allowed == true and .status == null
    and .warnings == ["spec.network.allow[0].remoteProtocol: HTTP egress to example.com leaves the mesh in plain text; prefer TLS"]' <<<"$output"
  [ "$(patch_ops "$output")" = '[{"op":"add","path":"/spec/network/allow/0/port","value":80}]' ]
}

@test "the ClusterAdmissionPolicy's settings apply: its frontingHosts warn on TLS to a CDN front end" {
  run -0 admission_review "$POLICY_ID" "$REQUESTS/setting-fronting-hosts.json"
  echo "response: $output"
  jq -e '.allowed == true and .patch == null
    and .warnings == ["spec.network.allow[0].remoteHost: d111111abcdef8.cloudfront.net is a shared front end (frontingHosts); TLS passthrough to it lets workloads reach any site behind it by domain fronting"]' <<<"$output"
}

@test "a Pod and a Package DELETE are accepted untouched" {
  local request
  for request in other-kind-passes delete-passes; do
    run -0 admission_review "$POLICY_ID" "$REQUESTS/$request.json"
    echo "$request: $output"
    jq -e '.allowed == true and .patch == null and .patchType == null and .status == null
      and .warnings == null' <<<"$output"
  done
}

@test "a list that contextAwareResources does not grant fails closed: the policy's message, code 503" {
  run -0 admission_review "$NO_ACCESS_ID" "$REQUESTS/context-lookup-fails.json"
  echo "response: $output"
  jq -e '.allowed == false and .status.code == 503' <<<"$output"
  local message
  message=$(jq -r .status.message <<<"$output")
  [[ "$message" == "context-aware check failed: could not list Packages (uds.dev/v1alpha1) cluster-wide through the Kubewarden host capabilities: "* ]]
  [[ "$message" == *"Policy has not been granted access to Kubernetes uds.dev/v1alpha1/Package resources"* ]]
}

# policy-server 1.31 waits for a reflector's first list without a deadline, and retries a
# forbidden list for ever: the policy never gets the error, so it cannot answer. The request is
# ended by its client, as the API server ends it after the webhook's timeoutSeconds
# (failurePolicy Fail then denies it: still closed, but with the API server's message).
@test "a list that RBAC forbids: policy-server 1.31 never answers, logs the 403, and stays up" {
  ADMISSION_REVIEW_TIMEOUT=3 POLICY_SERVER_URL=$NO_LIST_URL \
    run -28 admission_review "$POLICY_ID" "$REQUESTS/context-lookup-fails.json"
  echo "response after 3 s: '$output'"
  [ -z "$output" ]
  grep -F 'packages.uds.dev is forbidden' "$NO_LIST_LOG" | grep -F "$NO_LIST_USER" | grep -qF 'cannot list resource'
  # Still serving: a request without lookups is answered, and readiness holds.
  POLICY_SERVER_URL=$NO_LIST_URL run -0 admission_review "$POLICY_ID" "$REQUESTS/delete-passes.json"
  echo "next response: $output"
  jq -e '.uid == "e2e-delete-passes" and .allowed == true' <<<"$output"
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$NO_LIST_READINESS_URL")" = 200 ]
  kill -0 "$NO_LIST_PID"
}

# Last: it stores a Package in namespace shop, where the requests above live.
@test "a Package stored while policy-server runs is seen as soon as its watch delivers it" {
  local request="$REQUESTS/uds-core-package-exists.json" expected started i
  run -0 admission_review "$POLICY_ID" "$request"
  [ "$(jq -r .status.message <<<"$output")" = "$(case_message context-protocol-conflict)" ]
  cluster_load "$FIXTURES/policy/clusters/package-in-same-namespace.yaml"
  started=$(date +%s%N)
  expected="$(case_message uds-core-package-exists)"$'\n'"$(case_message context-protocol-conflict)"
  for i in $(seq 100); do
    run -0 admission_review "$POLICY_ID" "$request"
    [ "$(jq -r .status.message <<<"$output")" != "$expected" ] || break
    sleep 0.1
  done
  echo "# after $i requests, $(( ($(date +%s%N) - started) / 1000000 )) ms: $output" >&3
  [ "$(jq -r .status.message <<<"$output")" = "$expected" ]
}
