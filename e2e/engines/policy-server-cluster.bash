# Shared by policy-server.bats and webhook.bats: the requests, the cluster stored before
# policy-server starts, and the id under which policy-server serves the policy.

FIXTURES="$REPO_ROOT/e2e/fixtures"
REQUESTS="$FIXTURES/policy/requests"
OWN_REQUESTS="$FIXTURES/policy-server/requests"
# Package web/web (HTTP to api.github.com:443) and the foreign Gateway istio-system/public.
CLUSTER=("$FIXTURES/policy/clusters/conflicting-package.yaml" "$FIXTURES/policy/clusters/foreign-gateway.yaml")
# The id the Kubewarden controller gives ClusterAdmissionPolicy `uds-egress` on its PolicyServer.
POLICY_ID=clusterwide-uds-egress
