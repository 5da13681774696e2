//! The decision for one `validate` call, as plain functions over the payload and a [`Cluster`].
//!
//! Order, cheapest first: read the payload (size-capped) → skip what is not ours (other kinds,
//! DELETE, CONNECT, subresources) → object size → shape → Packages being deleted pass → host-rule
//! cap → mutate → parse and validate the mutated object with the core rules → context checks (only
//! when the rules passed: a Package already refused costs no cluster lookups) → verdict. Nothing
//! here panics: every failure is a rejection with a message.

use crate::value_at::value_at;
use serde_json::Value;
use uds_egress_core::model::{API_VERSION, KIND, Package};
use uds_egress_core::parse::package_from_value;
use uds_egress_core::rules::package::too_many_host_rules;
use uds_egress_core::rules::validate_package;
use uds_egress_core::violation::{Code, Violation};

use crate::cluster::Cluster;
use crate::context::context_review;
use crate::json_path::failing_path;
use crate::limits::{MAX_PAYLOAD_BYTES, check_object_size, count_host_rules};
use crate::mutate::mutate;
use crate::request::{AdmissionRequest, PayloadError, from_json, parse};
use crate::settings::{PolicyConfig, Settings};
use crate::shape::{json_type, shape_violation};
use crate::verdict::{CODE_LOOKUP_FAILED, CODE_TOO_LARGE, Verdict};
use crate::warnings::warnings;

/// The whole evaluation of a raw `validate` payload.
pub fn evaluate(payload: &[u8], cluster: &dyn Cluster) -> Verdict {
    let payload = match parse(payload) {
        Ok(payload) => payload,
        Err(PayloadError::TooLarge(size)) => {
            return Verdict::reject(
                format!(
                    "the admission request is {size} bytes; this policy reads at most \
                     {MAX_PAYLOAD_BYTES} bytes (3 MiB)"
                ),
                Some(CODE_TOO_LARGE),
            );
        }
        Err(PayloadError::NotJson(err)) => {
            return Verdict::reject(
                format!("the validation payload is not a JSON admission request: {err}"),
                None,
            );
        }
    };
    // The host validated the settings when it loaded the policy; this only guards a host that
    // did not.
    let config = match Settings::from_json(&payload.settings).and_then(|s| s.to_config()) {
        Ok(config) => config,
        Err(message) => {
            return Verdict::reject(format!("invalid policy settings: {message}"), None);
        }
    };
    decide(&payload.request, &config, cluster)
}

/// Whether the request is about a `uds.dev/v1alpha1` `Package` (the typed `kind`, as the SDK
/// notes: the resource fields never hold the plural).
fn is_package(request: &AdmissionRequest<'_>) -> bool {
    let kind = &request.kind;
    format!("{}/{}", kind.group, kind.version) == API_VERSION && kind.kind == KIND
}

/// The decision for an already read request.
pub fn decide(
    request: &AdmissionRequest<'_>,
    config: &PolicyConfig,
    cluster: &dyn Cluster,
) -> Verdict {
    if !is_package(request)
        || !matches!(request.operation.as_str(), "CREATE" | "UPDATE")
        || !request.sub_resource.is_empty()
    {
        return Verdict::accept();
    }
    let Some(raw) = request.object else {
        return Verdict::violations(&[Violation::new(
            "",
            Code::Malformed,
            format!(
                "the {} request carries no Package object",
                request.operation
            ),
        )]);
    };
    if let Err(message) = check_object_size(raw.get().len()) {
        return Verdict::reject(message, Some(CODE_TOO_LARGE));
    }
    match from_json::<Value>(raw.get().as_bytes()) {
        Ok(object) => judge(object, request, config, cluster),
        // The text's syntax is valid (the envelope's parse checked it): a number out of range or
        // nesting too deep, at a value whose path names the field.
        Err(message) => Verdict::violations(&[Violation::new(
            failing_path(raw.get().as_bytes()).unwrap_or_default(),
            Code::Malformed,
            format!("the Package is not readable JSON: {message}"),
        )]),
    }
}

/// Mutation, rules and context checks for a Package object.
fn judge(
    object: Value,
    request: &AdmissionRequest<'_>,
    config: &PolicyConfig,
    cluster: &dyn Cluster,
) -> Verdict {
    if !object.is_object() {
        return Verdict::violations(&[Violation::new(
            "",
            Code::Malformed,
            format!(
                "the Package must be a JSON object, got {}",
                json_type(&object)
            ),
        )]);
    }
    if let Some(violation) = shape_violation(&object) {
        return Verdict::violations(&[violation]);
    }
    // A Package being deleted is updated only to remove finalizers; refusing or mutating it could
    // keep it from ever going away. It no longer contributes egress (the generator drops it).
    if value_at(&object, &["metadata", "deletionTimestamp"]).is_some_and(|t| !t.is_null()) {
        return Verdict::accept();
    }
    // Over the cap, refuse before mutating or parsing the entries: the count is taken from the
    // raw object, with the core's definition of a host rule (a non-empty `remoteHost`) and its
    // message, the one `render` prints.
    if let Some(violation) = too_many_host_rules(count_host_rules(&object), &config.rules) {
        return Verdict::violations(&[violation]);
    }

    let mut mutated = object;
    let changed = mutate(&mut mutated);
    let mut package = match package_from_value(&mutated) {
        Ok(package) => package,
        Err(violation) => return Verdict::violations(&[violation]),
    };
    fill_identity(&mut package, request);

    let mut violations = validate_package(&package, &config.rules);
    let mut shared_reach = Vec::new();
    if violations.is_empty() && config.context_aware {
        match context_review(&package, cluster) {
            Ok(review) => {
                violations = review.violations;
                shared_reach = review.warnings;
            }
            Err(lookup) => return Verdict::reject(lookup.to_string(), Some(CODE_LOOKUP_FAILED)),
        }
    }
    if !violations.is_empty() {
        return Verdict::violations(&violations);
    }
    let mut all_warnings = warnings(&package, &config.fronting_hosts);
    all_warnings.extend(shared_reach);
    Verdict::Accept {
        warnings: all_warnings,
        mutated: changed.then_some(mutated),
    }
}

/// The request's namespace and name stand in for absent object metadata (an object may omit its
/// namespace; the API server places it in the request's). Only the judged copy changes: the
/// returned object never gains fields the mutation does not define.
fn fill_identity(package: &mut Package, request: &AdmissionRequest<'_>) {
    let meta = &mut package.metadata;
    if meta.namespace.as_deref().is_none_or(str::is_empty) && !request.namespace.is_empty() {
        meta.namespace = Some(request.namespace.clone());
    }
    if meta.name.as_deref().is_none_or(str::is_empty) && !request.name.is_empty() {
        meta.name = Some(request.name.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::Listing as List;
    use crate::fake_cluster::{FakeCluster, object};
    use crate::limits::MAX_OBJECT_BYTES;
    use serde_json::json;

    fn request(operation: &str, object: Value, settings: Value) -> Vec<u8> {
        json!({
            "settings": settings,
            "request": {
                "uid": "u1",
                "kind": {"group": "uds.dev", "version": "v1alpha1", "kind": "Package"},
                "resource": {"group": "uds.dev", "version": "v1alpha1", "resource": "packages"},
                "operation": operation,
                "name": "app",
                "namespace": "shop",
                "object": object
            }
        })
        .to_string()
        .into_bytes()
    }

    fn package(mode: &str, allow: Value) -> Value {
        json!({
            "apiVersion": "uds.dev/v1alpha1", "kind": "Package",
            "metadata": {"name": "app", "namespace": "shop"},
            "spec": {"network": {"serviceMesh": {"mode": mode}, "allow": allow}}
        })
    }

    fn curl(host: &str) -> Value {
        json!({"direction": "Egress", "selector": {"app": "curl"}, "remoteHost": host,
               "remoteProtocol": "TLS", "port": 443})
    }

    fn run(payload: &[u8]) -> Verdict {
        evaluate(payload, &FakeCluster::default())
    }

    fn rejection(verdict: Verdict) -> (String, Option<u16>) {
        match verdict {
            Verdict::Reject { message, code } => (message, code),
            accepted => panic!("expected a rejection, got {accepted:?}"),
        }
    }

    fn acceptance(verdict: Verdict) -> (Option<Value>, Vec<String>) {
        match verdict {
            Verdict::Accept { mutated, warnings } => (mutated, warnings),
            rejected => panic!("expected an acceptance, got {rejected:?}"),
        }
    }

    #[test]
    fn a_payload_that_is_not_json_is_rejected_with_a_message() {
        let (message, _) = rejection(run(b"\x00\xffnot json"));
        assert!(
            message.starts_with("the validation payload is not a JSON admission request"),
            "{message}"
        );
    }

    #[test]
    fn an_oversized_payload_is_rejected_unread() {
        let huge = vec![b' '; crate::limits::MAX_PAYLOAD_BYTES + 1];
        let (message, code) = rejection(run(&huge));
        assert_eq!(code, Some(413));
        assert!(message.contains("at most 3145728 bytes"), "{message}");
    }

    #[test]
    fn an_oversized_object_is_rejected_before_parsing() {
        let filler = "x".repeat(MAX_OBJECT_BYTES);
        let mut object = package("sidecar", json!([curl("api.github.com")]));
        object["metadata"]["annotations"] = json!({"filler": filler});
        let (message, code) = rejection(run(&request("CREATE", object, json!({}))));
        assert_eq!(code, Some(413));
        assert!(
            message.contains("accepts at most 524288 bytes"),
            "{message}"
        );
    }

    #[test]
    fn other_kinds_operations_and_subresources_pass_untouched() {
        let cluster = FakeCluster {
            fail: Some(List::Packages),
            ..FakeCluster::default()
        };
        let pod = json!({"settings": {}, "request": {"kind": {"group": "", "version": "v1", "kind": "Pod"},
            "operation": "CREATE", "object": {"spec": []}}});
        assert_eq!(
            evaluate(pod.to_string().as_bytes(), &cluster),
            Verdict::accept()
        );
        let bad = package("sidecar", json!([{"remoteHost": "*.x.com"}]));
        for operation in ["DELETE", "CONNECT"] {
            assert_eq!(
                evaluate(&request(operation, bad.clone(), json!({})), &cluster),
                Verdict::accept()
            );
        }
        let mut status =
            serde_json::from_slice::<Value>(&request("UPDATE", bad, json!({}))).unwrap();
        status["request"]["subResource"] = json!("status");
        assert_eq!(
            evaluate(status.to_string().as_bytes(), &cluster),
            Verdict::accept()
        );
        let mut other_version =
            serde_json::from_slice::<Value>(&request("CREATE", json!({}), json!({}))).unwrap();
        other_version["request"]["kind"]["version"] = json!("v1beta1");
        assert_eq!(
            evaluate(other_version.to_string().as_bytes(), &cluster),
            Verdict::accept()
        );
        assert_eq!(cluster.calls.get(), 0);
    }

    #[test]
    fn a_create_without_object_is_rejected() {
        let (message, _) = rejection(run(&request("CREATE", Value::Null, json!({}))));
        assert_eq!(message, "the CREATE request carries no Package object");
    }

    #[test]
    fn shapes_that_are_not_a_package_are_rejected_with_the_path() {
        let (message, _) = rejection(run(&request("CREATE", json!([1, 2]), json!({}))));
        assert_eq!(message, "the Package must be a JSON object, got a list");
        let spec_list = json!({"metadata": {"name": "app", "namespace": "shop"}, "spec": [1]});
        let (message, _) = rejection(run(&request("CREATE", spec_list, json!({}))));
        assert_eq!(message, "spec: expected an object, got a list");
        let bad_port = package(
            "sidecar",
            json!([{"direction": "Egress", "remoteHost": "a.com", "port": "443"}]),
        );
        let (message, _) = rejection(run(&request("CREATE", bad_port, json!({}))));
        assert!(
            message.starts_with("spec.network.allow[0].port: port is the string"),
            "{message}"
        );
    }

    #[test]
    fn uds_core_rules_reject_with_their_messages_and_paths() {
        let object = package(
            "ambient",
            json!([
                {"direction": "Egress", "remoteHost": "a.com", "remoteProtocol": "TCP"},
                {"direction": "Egress", "remoteHost": "*.b.com", "description": "b"}
            ]),
        );
        let (message, code) = rejection(run(&request("CREATE", object, json!({}))));
        assert_eq!(code, None);
        assert_eq!(
            message,
            "spec.network.allow[0].remoteProtocol: TCP remoteProtocol cannot be combined with remoteHost; use TLS or HTTP for external egress\n\
             spec.network.allow[1].remoteHost: remoteHost does not support wildcard domains"
        );
    }

    #[test]
    fn a_mutated_object_is_judged_and_returned_once() {
        let object = package(
            "sidecar",
            json!([
                {"direction": "Egress", "selector": {"app": "curl"}, "remoteHost": " API.GitHub.com. "},
                {"direction": "Egress", "selector": {"app": "curl"}, "remoteHost": "example.com", "remoteProtocol": "HTTP"}
            ]),
        );
        let (mutated, warnings) = acceptance(run(&request("CREATE", object.clone(), json!({}))));
        let mutated = mutated.expect("a mutation");
        let first = &mutated["spec"]["network"]["allow"][0];
        assert_eq!(first["remoteHost"], "api.github.com");
        assert_eq!(first["remoteProtocol"], "TLS");
        assert_eq!(first["port"], 443);
        assert_eq!(first["description"], "api.github.com 443 egress");
        assert_eq!(
            mutated["spec"]["network"]["allow"][1]["description"],
            "example.com 80 egress"
        );
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("HTTP egress to example.com"));
        // Idempotence: the mutated object, sent again, is accepted without a mutation.
        let (again, _) = acceptance(run(&request("UPDATE", mutated, json!({}))));
        assert_eq!(again, None);
    }

    #[test]
    fn settings_reach_the_rules() {
        let object = package(
            "sidecar",
            json!([{"direction": "Egress", "selector": {"app": "curl"},
            "remoteHost": "example.com", "remoteProtocol": "HTTP", "port": 80}]),
        );
        let (message, _) = rejection(run(&request("CREATE", object, json!({"denyHttp": true}))));
        assert!(
            message
                .starts_with("spec.network.allow[0].remoteProtocol: remoteProtocol HTTP is denied"),
            "{message}"
        );
    }

    #[test]
    fn invalid_settings_at_evaluation_are_rejected() {
        let (message, _) = rejection(run(&request(
            "CREATE",
            package("sidecar", json!([])),
            json!({"maxRemoteHostRules": 0}),
        )));
        assert!(
            message.starts_with("invalid policy settings: maxRemoteHostRules"),
            "{message}"
        );
        let (message, _) = rejection(run(&request(
            "CREATE",
            package("sidecar", json!([])),
            json!([]),
        )));
        assert_eq!(
            message,
            "invalid policy settings: settings: expected a map of settings, got a list"
        );
    }

    #[test]
    fn the_host_rule_cap_is_checked_before_mutation() {
        let allow: Vec<Value> = (0..3).map(|i| curl(&format!("h{i}.com"))).collect();
        let object = package("sidecar", json!(allow));
        let (message, _) = rejection(run(&request(
            "CREATE",
            object,
            json!({"maxRemoteHostRules": 2}),
        )));
        assert_eq!(message.lines().count(), 1, "{message}");
        assert!(message.starts_with("spec.network.allow: "), "{message}");
        assert!(message.contains("3 remoteHost rules"), "{message}");

        // Entries are not parsed over the cap: a malformed one does not change the answer.
        let mut allow = allow;
        allow.push(json!({"direction": "Egress", "remoteHost": "h9.com", "port": "443"}));
        let (message, _) = rejection(run(&request(
            "CREATE",
            package("sidecar", json!(allow)),
            json!({"maxRemoteHostRules": 2}),
        )));
        assert_eq!(
            message,
            "spec.network.allow: spec.network.allow has 4 remoteHost rules; this cluster's settings allow at most 2 per Package"
        );
    }

    #[test]
    fn context_conflicts_reject_and_lookups_fail_closed() {
        let other = object(
            "web",
            "web",
            None,
            json!({"network": {"serviceMesh": {"mode": "sidecar"},
            "allow": [{"direction": "Egress", "remoteHost": "api.github.com", "remoteProtocol": "HTTP", "port": 443}]}}),
        );
        let cluster = FakeCluster {
            packages: vec![other.clone()],
            ..FakeCluster::default()
        };
        let mine = package("sidecar", json!([curl("api.github.com")]));
        let (message, _) = rejection(evaluate(
            &request("CREATE", mine.clone(), json!({})),
            &cluster,
        ));
        assert!(
            message.starts_with(
                "spec.network.allow[0]: Protocol conflict detected for api.github.com:443."
            ),
            "{message}"
        );

        let failing = FakeCluster {
            fail: Some(List::VirtualServices),
            ..FakeCluster::default()
        };
        let (message, code) = rejection(evaluate(
            &request("CREATE", mine.clone(), json!({})),
            &failing,
        ));
        assert_eq!(code, Some(503));
        assert!(
            message.starts_with("context-aware check failed: could not list VirtualServices"),
            "{message}"
        );

        let offline = FakeCluster {
            fail: Some(List::Packages),
            ..FakeCluster::default()
        };
        let verdict = evaluate(
            &request("CREATE", mine, json!({"contextAware": false})),
            &offline,
        );
        assert!(matches!(verdict, Verdict::Accept { .. }), "{verdict:?}");
        assert_eq!(offline.calls.get(), 0);
    }

    #[test]
    fn an_update_keeps_its_own_host() {
        let stored = object(
            "shop",
            "app",
            None,
            json!({"network": {"serviceMesh": {"mode": "sidecar"},
            "allow": [{"direction": "Egress", "remoteHost": "api.github.com", "remoteProtocol": "HTTP", "port": 443}]}}),
        );
        let cluster = FakeCluster {
            packages: vec![stored],
            ..FakeCluster::default()
        };
        let update = package("sidecar", json!([curl("api.github.com")]));
        let (mutated, _) = acceptance(evaluate(&request("UPDATE", update, json!({})), &cluster));
        assert_eq!(mutated, None);
    }

    #[test]
    fn rejected_packages_cost_no_lookups() {
        let cluster = FakeCluster::default();
        let object = package(
            "sidecar",
            json!([{"direction": "Egress", "remoteHost": "10.0.0.1"}]),
        );
        let (message, _) = rejection(evaluate(&request("CREATE", object, json!({})), &cluster));
        assert!(message.contains("remoteCidr"), "{message}");
        assert_eq!(cluster.calls.get(), 0);
    }

    #[test]
    fn a_package_being_deleted_passes_unjudged_and_unmutated() {
        let mut object = package(
            "sidecar",
            json!([{"direction": "Egress", "remoteHost": " *.X.com "}]),
        );
        object["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
        object["metadata"]["finalizers"] = json!([]);
        let cluster = FakeCluster {
            fail: Some(List::Packages),
            ..FakeCluster::default()
        };
        assert_eq!(
            evaluate(&request("UPDATE", object, json!({})), &cluster),
            Verdict::accept()
        );
        assert_eq!(cluster.calls.get(), 0);
    }

    #[test]
    fn the_request_namespace_stands_in_for_a_missing_one() {
        let mut object = package("ambient", json!([]));
        object["metadata"] = json!({"name": "app"});
        let verdict = run(&request("CREATE", object.clone(), json!({})));
        assert_eq!(verdict, Verdict::accept());
        let mut payload =
            serde_json::from_slice::<Value>(&request("CREATE", object, json!({}))).unwrap();
        payload["request"]["namespace"] = json!("kube-system");
        let (message, _) = rejection(evaluate(
            payload.to_string().as_bytes(),
            &FakeCluster::default(),
        ));
        assert_eq!(message, "metadata.namespace: invalid namespace");
    }
}
