#!/usr/bin/env bats
# The generator's controller (`uds-egress run`) on the real kube-apiserver: a separate process
# that authenticates as the generator's own ServiceAccount user under exactly the RBAC of
# deploy/generator, judged through the API server (kubectl) and its audit log, never through the
# controller's own view. The expected objects are always `uds-egress render` of the Packages the
# server stores, so the controller is held to the same output as the offline renderer.
#
# The tests run in order on one cluster; each leaves it converged for the next.
#
# `make engine-tests` runs it (GENERATOR_SUITE); alone:
#   e2e/engines/run-suites generator=e2e/engines/generator.bats:kube-apiserver,etcd,kubectl,jq,bats

bats_require_minimum_version 1.5.0
load lib

# 8443 on top of the default gateway ports: the port the shared-host test adds.
GATEWAY_PORTS=80,443,8443
# A user with deploy/generator's ClusterRole minus one verb (the RBAC test).
LIMITED_USER=uds-egress-limited

setup_file() {
  export WORK="$BATS_FILE_TMPDIR"
  mkdir -p "$WORK/cluster"
  # Two replicas of the generator, as two pods of one ServiceAccount: the same user name (so
  # deploy/generator's bindings apply), told apart in the audit log by the token's uid.
  printf '%s\n' "replica-a-token,$GENERATOR_USER,replica-a,\"$GENERATOR_GROUPS\"" \
    "replica-b-token,$GENERATOR_USER,replica-b,\"$GENERATOR_GROUPS\"" \
    "limited-token,$LIMITED_USER,limited,\"uds-egress-limited\"" >"$WORK/cluster/tokens.extra"
  cluster_up "$WORK/cluster"
  generator_rbac
  # The shared objects' namespaces; the egress gateway installs create them in a real cluster.
  kubectl create namespace istio-egress-gateway >/dev/null
  kubectl create namespace istio-egress-ambient >/dev/null
  cluster_kubeconfig_for "$GENERATOR_USER" replica-a-token "$WORK/replica-a.kubeconfig"
  cluster_kubeconfig_for "$GENERATOR_USER" replica-b-token "$WORK/replica-b.kubeconfig"
  cluster_kubeconfig_for "$LIMITED_USER" limited-token "$WORK/limited.kubeconfig"
  cluster_load "$REPO_ROOT"/examples/*.yaml
}

# A test that changes the cluster for itself alone redefines `cleanup`: it runs even when the
# test fails, so that the next tests start from a converged cluster.
cleanup() { :; }
teardown() { cleanup; }

teardown_file() {
  local name
  for name in replica-a replica-b limited; do generator_stop "$WORK" "$name" KILL; done
  cluster_down
}

# Starts replica NAME (replica-a, replica-b, limited) with its own user's kubeconfig.
start() { generator_start "$WORK" "$1" "$WORK/$1.kubeconfig" --gateway-ports "$GATEWAY_PORTS"; }

# What differs between the stored generated objects and `render` of the stored Packages, one
# line per object; nothing once the generator has converged.
divergence() {
  generated_objects >"$BATS_TEST_TMPDIR/stored.json" || { echo "cannot list the generated objects"; return; }
  render_stored_packages --gateway-ports "$GATEWAY_PORTS" >"$BATS_TEST_TMPDIR/rendered.yaml" \
    2>"$BATS_TEST_TMPDIR/render.err" || { echo "render failed: $(head -3 "$BATS_TEST_TMPDIR/render.err")"; return; }
  objects_diff "$BATS_TEST_TMPDIR/stored.json" "$BATS_TEST_TMPDIR/rendered.yaml"
}
converged() { [ -z "$(divergence)" ]; }
wait_converged() { wait_until "${1:-30}" converged || { divergence >&2; return 1; }; }

# The generator's writes since MARK, Lease renewals left out (the Lease is written every 2 s
# by design; lease_writes counts those), as `verb resource namespace/name code` lines; with a
# replica's token uid, that replica's alone.
#   object_writes MARK [UID]
object_writes() {
  audit_writes "$1" "$GENERATOR_USER" | jq -r --arg uid "${2:-}" \
    'select(.resource != "leases" and ($uid == "" or .uid == $uid))
     | "\(.verb) \(.resource) \(.namespace)/\(.name) \(.code)"'
}
lease_writes() {
  audit_writes "$1" "$GENERATOR_USER" | jq -r --arg uid "${2:-}" \
    'select(.resource == "leases" and ($uid == "" or .uid == $uid)) | "\(.verb) \(.code) \(.done)"'
}

# Waits until the generator has written nothing for 2 s (its last pass is over).
settle() {
  local mark=$1 before after
  after=$(object_writes "$mark" | wc -l)
  for _ in $(seq 20); do
    before=$after
    sleep 2
    after=$(object_writes "$mark" | wc -l)
    [ "$after" = "$before" ] && return 0
  done
  echo "the generator kept writing" >&2
  return 1
}

# Whether replica NAME answers /readyz with 200 (with CODE).
readyz_is() { [ "$(generator_status "$WORK" "$1" /readyz)" = "$2" ]; }
is_ready() { readyz_is "$1" 200; }
# Whether the generator has written an object since MARK.
has_written() { [ -n "$(object_writes "$1")" ]; }
holder() { kubectl get lease -n uds-egress-system uds-egress-generator -o jsonpath='{.spec.holderIdentity}'; }
is_holder() { [ "$(holder)" = "$1" ]; }
epoch() { date -d "${1:-now}" +%s.%N; }
seconds() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$2"; }
# Replaces the rules of Package NAME in namespace NS with the JSON array RULES.
set_rules() {
  kubectl patch packages.uds.dev "$2" -n "$1" --type merge -p "{\"spec\":{\"network\":{\"allow\":$3}}}" >/dev/null
}
rule() { printf '{"direction":"Egress","description":"%s","selector":{"app":"%s"},"remoteHost":"%s","remoteProtocol":"TLS","port":443}' "$2" "$1" "$2"; }

@test "initial sync: the stored objects are render's of the stored Packages, each written once" {
  local mark
  mark=$(audit_mark)
  start replica-a
  wait_converged
  settle "$mark"
  # Every rendered object was stored by exactly one write, a create (201) of the generator.
  local rendered written
  rendered=$(python3 -c 'import sys, yaml; print(sum(1 for d in yaml.safe_load_all(open(sys.argv[1])) if d))' \
    "$BATS_TEST_TMPDIR/rendered.yaml")
  [ "$rendered" -ge 40 ]
  written=$(object_writes "$mark")
  [ "$(wc -l <<<"$written")" -eq "$rendered" ] || { echo "$written" >&2; false; }
  [ -z "$(grep -v ' 201$' <<<"$written")" ]
  [ -z "$(cut -d' ' -f2,3 <<<"$written" | sort | uniq -d)" ]
  is_ready replica-a
  is_holder replica-a
}

@test "a port added on a shared host writes only the objects that change; the Sidecar stays REGISTRY_ONLY" {
  wait_converged
  cp "$BATS_TEST_TMPDIR/rendered.yaml" "$BATS_TEST_TMPDIR/before.yaml"
  # Every version of frontend's Sidecars while the change is applied (a watch sees each one).
  kubectl get sidecars.networking.istio.io -n frontend -w --output-watch-events -o json \
    >"$BATS_TEST_TMPDIR/sidecar-watch.json" 2>/dev/null 3>&- &
  local watcher=$! mark
  sleep 1
  mark=$(audit_mark)
  # frontend shares fonts.gstatic.com with docs.
  set_rules frontend frontend "[$(rule web fonts.gstatic.com | sed 's/"port":443/"ports":[443,8443]/')]"
  wait_converged
  settle "$mark"
  kill "$watcher"
  local changed written
  changed=$(objects_diff "$BATS_TEST_TMPDIR/before.yaml" "$BATS_TEST_TMPDIR/rendered.yaml" \
    | sed 's/^[^:]*: [^ ]* \([^ ]*\).*/\1/' | sort)
  written=$(object_writes "$mark" | cut -d' ' -f3 | sort)
  [ -n "$changed" ]
  [ "$written" = "$changed" ] || { diff <(echo "$changed") <(echo "$written") >&2; false; }
  echo "# $(wc -l <<<"$written") writes for $(wc -l <<<"$changed") changed objects" >&3
  # No delete of a Sidecar by anyone, and every version the watch saw is REGISTRY_ONLY.
  [ -z "$(audit_writes "$mark" | jq -r 'select(.resource == "sidecars" and .verb == "delete")')" ]
  run -0 jq -s -r '.[] | "\(.type) \(.object.spec.outboundTrafficPolicy.mode)"' "$BATS_TEST_TMPDIR/sidecar-watch.json"
  [ "${#lines[@]}" -ge 1 ]
  [ -z "$(printf '%s\n' "${lines[@]}" | grep -v -E '^(ADDED|MODIFIED) REGISTRY_ONLY$')" ]
}

@test "a restart on a converged cluster writes nothing but the Lease" {
  wait_converged
  generator_stop "$WORK" replica-a TERM
  local mark
  mark=$(audit_mark)
  start replica-a
  wait_until 20 is_ready replica-a
  settle "$mark"
  [ "$(generator_metric "$WORK" replica-a uds_egress_passes_total)" -ge 1 ]
  run -0 object_writes "$mark"
  [ -z "$output" ]
  # It did talk to this server as this user: it took the Lease the stopped replica released.
  [ -n "$(lease_writes "$mark" replica-a | grep ' 200 ')" ]
  is_holder replica-a
}

@test "a deleted Package: its objects go (deleted by the generator, no garbage collector here), its shared hosts follow" {
  wait_converged
  local uid owned mark
  uid=$(kubectl get packages.uds.dev frontend -n frontend -o jsonpath='{.metadata.uid}')
  owned=$(generated_objects | jq -r --arg uid "$uid" \
    '.items[] | select(any(.metadata.ownerReferences[]?; .uid == $uid)) | "\(.metadata.namespace)/\(.metadata.name)"' | sort)
  [ -n "$owned" ]
  mark=$(audit_mark)
  kubectl delete packages.uds.dev frontend -n frontend >/dev/null
  wait_converged
  settle "$mark"
  [ -z "$(generated_objects | jq -r '.items[] | select(.metadata.namespace == "frontend") | .metadata.name')" ]
  # The per-package objects were deleted by the generator itself.
  [ "$(object_writes "$mark" | awk '$1 == "delete" && $4 == 200 { print $3 }' | grep '^frontend/' | sort)" = "$owned" ]
  # fonts.gstatic.com stays for docs, without frontend's annotation or its port 8443.
  run -0 kubectl get serviceentries.networking.istio.io -n istio-egress-gateway service-entry-fonts-gstatic-com -o json
  [ "$(jq -r '.metadata.annotations | keys | join(",")' <<<"$output")" = uds.dev/user-docs-docs ]
  [ -z "$(jq -r '.spec.ports[] | select(.number == 8443)' <<<"$output")" ]
}

@test "an unlabelled object with a generated name is left alone, an Event says why, the other host converges" {
  wait_converged
  kubectl apply -f - >/dev/null <<'YAML'
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: service-entry-blocked-example-com, namespace: istio-egress-gateway}
spec: {hosts: [blocked.example.com], location: MESH_EXTERNAL, resolution: DNS, ports: [{name: tls, number: 443, protocol: TLS}]}
YAML
  local version mark
  version=$(kubectl get serviceentries.networking.istio.io -n istio-egress-gateway service-entry-blocked-example-com -o jsonpath='{.metadata.resourceVersion}')
  kubectl create namespace conflicts >/dev/null
  cleanup() {
    kubectl delete packages.uds.dev conflict-app -n conflicts --ignore-not-found >/dev/null
    kubectl delete serviceentries.networking.istio.io -n istio-egress-gateway service-entry-blocked-example-com >/dev/null
  }
  mark=$(audit_mark)
  kubectl apply -f - >/dev/null <<YAML
apiVersion: uds.dev/v1alpha1
kind: Package
metadata: {name: conflict-app, namespace: conflicts}
spec: {network: {serviceMesh: {mode: sidecar}, allow: [$(rule app blocked.example.com), $(rule app open.example.com)]}}
YAML
  # Converged but for the blocked host's objects, which are not written.
  only_blocked_missing() {
    local lines
    lines=$(divergence)
    [ -n "$lines" ] && [ -z "$(grep -v -E '^only in B: (ServiceEntry|Gateway|VirtualService)\.networking\.istio\.io [^ ]*blocked-example-com' <<<"$lines")" ]
  }
  wait_until 30 only_blocked_missing || { divergence >&2; false; }
  settle "$mark"
  divergence | grep -q 'service-entry-blocked-example-com'
  divergence | grep -q 'gateway-blocked-example-com'
  [ "$(kubectl get serviceentries.networking.istio.io -n istio-egress-gateway service-entry-blocked-example-com -o jsonpath='{.metadata.resourceVersion}')" = "$version" ]
  [ -z "$(audit_writes "$mark" "$GENERATOR_USER" | jq -r 'select(.resource == "serviceentries" and .name == "service-entry-blocked-example-com")')" ]
  # The open host's shared objects are there.
  kubectl get virtualservices.networking.istio.io -n istio-egress-gateway egress-vs-open-example-com >/dev/null
  event_reason() {
    kubectl get events -n "$1" -o json | jq -r --arg name "$2" \
      '.items[] | select(.involvedObject.name == $name) | "\(.type) \(.reason) \(.message // .note)"'
  }
  run -0 event_reason istio-egress-gateway service-entry-blocked-example-com
  [[ "$output" == *"Warning OwnedNameConflict "*"app.kubernetes.io/managed-by=uds-egress"*"blocked.example.com"* ]]
  run -0 event_reason conflicts conflict-app
  [[ "$output" == *"Warning EgressObjectConflict "* ]]
  [ "$(generator_metric "$WORK" replica-a uds_egress_conflicts)" -ge 1 ]
  # Once the Package goes, so do the open host's objects; the foreign object stays.
  kubectl delete packages.uds.dev conflict-app -n conflicts >/dev/null
  wait_converged
  [ "$(kubectl get serviceentries.networking.istio.io -n istio-egress-gateway service-entry-blocked-example-com -o jsonpath='{.metadata.resourceVersion}')" = "$version" ]
}

@test "another field manager's edit of a generated field is restored on its watch event" {
  wait_converged
  local mark edited restored
  mark=$(audit_mark)
  # Server-side apply taking the field over, as another controller would.
  kubectl apply --server-side --field-manager=intruder --force-conflicts -f - >/dev/null <<'YAML'
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: docs-egress-app-docs-site, namespace: docs}
spec: {outboundTrafficPolicy: {mode: ALLOW_ANY}}
YAML
  # And a plain update (kubectl patch), on a shared object.
  kubectl patch serviceentries.networking.istio.io -n istio-egress-gateway service-entry-fonts-gstatic-com \
    --type merge -p '{"spec":{"location":"MESH_INTERNAL"}}' >/dev/null
  wait_converged 20
  settle "$mark"
  [ "$(kubectl get sidecars.networking.istio.io -n docs docs-egress-app-docs-site -o jsonpath='{.spec.outboundTrafficPolicy.mode}')" = REGISTRY_ONLY ]
  # Each edit was followed by one forced apply of the generator, within the debounce.
  local name
  for name in docs-egress-app-docs-site service-entry-fonts-gstatic-com; do
    edited=$(audit_writes "$mark" | jq -r --arg n "$name" 'select(.name == $n and .user == "admin") | .done' | tail -1)
    restored=$(audit_writes "$mark" "$GENERATOR_USER" | jq -r --arg n "$name" 'select(.name == $n) | .done' | tail -1)
    [ -n "$edited" ] && [ -n "$restored" ]
    echo "# $name restored $(seconds "$(epoch "$edited")" "$(epoch "$restored")") s after the edit" >&3
  done
  [ "$(object_writes "$mark" | wc -l)" -eq 2 ]
}

@test "two replicas: only the Lease holder writes; SIGTERM hands over at once, SIGKILL within the lease duration" {
  wait_converged
  is_holder replica-a
  start replica-b
  wait_until 20 is_ready replica-b
  local mark stopped took
  mark=$(audit_mark)
  set_rules docs docs "[$(rule docs-site cdn-one.example.com)]"
  wait_converged
  settle "$mark"
  [ -n "$(object_writes "$mark" replica-a)" ]
  [ -z "$(audit_writes "$mark" "$GENERATOR_USER" | jq -r 'select(.uid == "replica-b")')" ]

  # SIGTERM: the holder releases the Lease; the follower takes it at its next round (2 s).
  mark=$(audit_mark)
  stopped=$(epoch)
  generator_stop "$WORK" replica-a TERM
  wait_until 15 is_holder replica-b
  took=$(lease_writes "$mark" replica-b | awk '$2 == 200 { print $3; exit }')
  echo "# SIGTERM: replica-b took the Lease $(seconds "$stopped" "$(epoch "$took")") s after the signal" >&3
  set_rules docs docs "[$(rule docs-site cdn-two.example.com)]"
  wait_converged
  settle "$mark"
  [ -n "$(object_writes "$mark" replica-b)" ]
  [ -z "$(object_writes "$mark" replica-a)" ]

  # SIGKILL: no release; the follower waits until the Lease has not been renewed for its
  # duration (15 s) as it observed it, polling every 2 s.
  start replica-a
  wait_until 20 is_ready replica-a
  mark=$(audit_mark)
  stopped=$(epoch)
  generator_stop "$WORK" replica-b KILL
  wait_until 25 is_holder replica-a
  took=$(lease_writes "$mark" replica-a | awk '$2 == 200 { print $3; exit }')
  local waited
  waited=$(seconds "$stopped" "$(epoch "$took")")
  echo "# SIGKILL: replica-a took the Lease $waited s after the kill" >&3
  # Not before the lease duration, and no later than two retry periods after it.
  python3 -c "import sys; sys.exit(not 13 <= float(sys.argv[1]) <= 19)" "$waited"
  set_rules docs docs "[$(rule docs-site cdn-three.example.com)]"
  wait_converged
  settle "$mark"
  [ -n "$(object_writes "$mark" replica-a)" ]
  [ -z "$(object_writes "$mark" replica-b)" ]
}

# Prints N sidecar-mode Packages app-I in namespaces load-I (one Package per namespace), 3 hosts
# each (16 objects), with their namespaces.
load_packages() {
  local i
  for i in $(seq "$1"); do
    cat <<YAML
---
apiVersion: v1
kind: Namespace
metadata: {name: load-$i}
---
apiVersion: uds.dev/v1alpha1
kind: Package
metadata: {name: app-$i, namespace: load-$i}
spec: {network: {serviceMesh: {mode: sidecar}, allow: [$(rule "app-$i" "a$i.load.example.com"), $(rule "app-$i" "b$i.load.example.com"), $(rule "app-$i" "c$i.load.example.com")]}}
YAML
  done
}

@test "the API server stopped mid-sync and started over its data: converged, nothing lost or doubled; /readyz follows" {
  wait_converged
  is_holder replica-a
  local pid mark before stopped_after changed
  pid=$(cat "$WORK/replica-a.pid")
  cp "$BATS_TEST_TMPDIR/rendered.yaml" "$BATS_TEST_TMPDIR/before.yaml"
  load_packages 40 >"$BATS_TEST_TMPDIR/load.yaml"
  mark=$(audit_mark)
  kubectl create -f "$BATS_TEST_TMPDIR/load.yaml" >/dev/null
  wait_until 30 has_written "$mark"
  "$ENGINES_DIR/control-plane" stop "$CLUSTER_DIR"
  stopped_after=$(object_writes "$mark" | wc -l)
  wait_until 20 readyz_is replica-a 503
  sleep 3
  KEEP_DATA=1 "$ENGINES_DIR/control-plane" start "$CLUSTER_DIR" >/dev/null
  wait_converged 90
  wait_until 30 is_ready replica-a
  # The same process all along, and the outage did fall in the middle of the sync.
  [ "$(cat "$WORK/replica-a.pid")" = "$pid" ] && generator_alive "$WORK" replica-a
  changed=$(objects_diff "$BATS_TEST_TMPDIR/before.yaml" "$BATS_TEST_TMPDIR/rendered.yaml" | wc -l)
  echo "# $stopped_after of $changed objects written when the API server stopped" >&3
  [ "$stopped_after" -gt 0 ] && [ "$stopped_after" -lt "$changed" ]
  # Nothing doubled: one object per rendered one (converged), each created once.
  [ -z "$(object_writes "$mark" | awk '$4 == 201 { print $2, $3 }' | sort | uniq -d)" ]
}

@test "RBAC: without patch on NetworkPolicies those writes fail and are reported (Event, log, metric); the process keeps running" {
  wait_converged
  # deploy/generator's ClusterRole as installed, less one verb, for another user; and the Lease.
  kubectl get clusterrole uds-egress-generator -o json | jq '{apiVersion, kind, metadata: {name: "uds-egress-limited"},
    rules: (.rules | map(if .resources == ["networkpolicies"] then .verbs -= ["patch"] else . end))}' \
    | kubectl create -f - >/dev/null
  kubectl create clusterrolebinding uds-egress-limited --clusterrole uds-egress-limited --user "$LIMITED_USER" >/dev/null
  kubectl create rolebinding uds-egress-limited-lease -n uds-egress-system --role uds-egress-generator-lease \
    --user "$LIMITED_USER" >/dev/null
  cleanup() {
    generator_stop "$WORK" limited TERM
    start replica-a
    kubectl delete packages.uds.dev rbac-check -n rbac-check --ignore-not-found >/dev/null
  }
  generator_stop "$WORK" replica-a TERM
  start limited
  wait_until 20 is_ready limited
  local mark pid failures
  pid=$(cat "$WORK/limited.pid")
  mark=$(audit_mark)
  kubectl create namespace rbac-check >/dev/null
  kubectl apply -f - >/dev/null <<YAML
apiVersion: uds.dev/v1alpha1
kind: Package
metadata: {name: rbac-check, namespace: rbac-check}
spec: {network: {serviceMesh: {mode: sidecar}, allow: [$(rule app rbac.example.com)]}}
YAML
  policies_failed() { [ "$(generator_metric "$WORK" limited "uds_egress_write_failures_total{kind=\"NetworkPolicy.networking.k8s.io\"}")" -ge "$1" ]; }
  wait_until 20 policies_failed 1
  # Only the NetworkPolicy is missing; the rest of the Package's objects were written.
  run -0 divergence
  [ "$output" = "only in B: NetworkPolicy.networking.k8s.io rbac-check/allow-rbac-check-egress-rbac-example-com" ]
  [ -n "$(audit_writes "$mark" "$LIMITED_USER" | jq -r 'select(.resource == "networkpolicies" and .verb == "patch" and .code == 403)')" ]
  grep -q 'write failed.*NetworkPolicy rbac-check/allow-rbac-check-egress-rbac-example-com' \
    <(sed 's/\x1b\[[0-9;]*m//g' "$WORK/limited.log")
  run -0 kubectl get events -n rbac-check -o json
  [ -n "$(jq -r '.items[] | select(.involvedObject.kind == "Package" and .involvedObject.name == "rbac-check"
    and .type == "Warning" and .reason == "WriteFailed" and ((.message // .note) | test("forbidden")))' <<<"$output")" ]
  # Not a crash loop: the same process retries the pass (after 5 s, then 10 s) and stays healthy.
  wait_until 20 policies_failed 2
  [ "$(cat "$WORK/limited.pid")" = "$pid" ] && generator_alive "$WORK" limited
  [ "$(generator_status "$WORK" limited /healthz)" = 200 ]
}
