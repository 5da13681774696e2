//! The host-call callback as a plain function: what the fake Kubernetes API answers, refuses
//! and records.

use std::sync::Arc;

use serde_json::{Value, json};
use uds_egress_wapc_test_host::{HostCallError, HostCalls, KubeFixtures};

const CLUSTER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/cluster.yaml");
const PACKAGE_API: &str = "uds.dev/v1alpha1";

fn cluster() -> HostCalls {
    HostCalls::new(KubeFixtures::load(CLUSTER).unwrap())
}

fn k8s(calls: &HostCalls, operation: &str, request: Value) -> Result<Value, HostCallError> {
    let reply = calls.handle(
        7,
        "kubewarden",
        "kubernetes",
        operation,
        request.to_string().as_bytes(),
    )?;
    Ok(serde_json::from_slice(&reply).unwrap())
}

/// Exactly the fields the SDK sends for `list_resources_all`.
fn list_all(kind: &str) -> Value {
    json!({"api_version": PACKAGE_API, "kind": kind,
           "label_selector": null, "field_selector": null, "field_masks": null})
}

fn names(list: &Value) -> Vec<&str> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["metadata"]["name"].as_str().unwrap())
        .collect()
}

#[test]
fn list_all_replies_with_a_typed_list_of_every_namespace() {
    let list = k8s(&cluster(), "list_resources_all", list_all("Package")).unwrap();
    assert_eq!(list["apiVersion"], PACKAGE_API);
    assert_eq!(list["kind"], "PackageList");
    assert_eq!(list["metadata"], json!({}));
    assert_eq!(names(&list), ["billing", "search"]);
    assert_eq!(
        list["items"][1]["spec"]["network"]["allow"][0]["ports"],
        json!([443, 8443])
    );
}

#[test]
fn list_by_namespace_only_returns_that_namespace() {
    let request = json!({"api_version": PACKAGE_API, "kind": "Package", "namespace": "search-ns",
                         "label_selector": null, "field_selector": null,
                         "field_masks": ["metadata.name", "spec.network.allow.remoteHost"]});
    let list = k8s(&cluster(), "list_resources_by_namespace", request).unwrap();
    assert_eq!(names(&list), ["search"]);
}

#[test]
fn a_type_with_no_objects_is_an_empty_list_named_after_the_request() {
    let request = json!({"api_version": "networking.istio.io/v1", "kind": "VirtualService"});
    let list = k8s(&cluster(), "list_resources_all", request).unwrap();
    assert_eq!(list["kind"], "VirtualServiceList");
    assert_eq!(list["apiVersion"], "networking.istio.io/v1");
    assert_eq!(list["items"], json!([]));
}

#[test]
fn get_resource_finds_by_namespace_and_name_or_fails() {
    let get = |ns: Value, name: &str| {
        k8s(
            &cluster(),
            "get_resource",
            json!({"api_version": "networking.istio.io/v1", "kind": "Gateway", "name": name,
                   "namespace": ns, "disable_cache": false, "field_masks": null}),
        )
    };
    let gateway = get(json!("istio-egress-gateway"), "egressgateway").unwrap();
    assert_eq!(gateway["spec"]["servers"][0]["port"]["number"], 443);

    let err = get(json!("elsewhere"), "egressgateway").unwrap_err();
    assert!(matches!(err, HostCallError::NotFound { .. }), "{err}");
    assert!(err.to_string().contains("elsewhere/egressgateway"), "{err}");
    // `null` namespace means cluster-scoped, which this Gateway is not.
    assert!(get(Value::Null, "egressgateway").is_err());
}

#[test]
fn injected_failures_hit_only_the_configured_operation_and_kind() {
    let calls = cluster().failing(
        "list_resources_all",
        Some("Package"),
        "apiserver unavailable",
    );
    let err = k8s(&calls, "list_resources_all", list_all("Package")).unwrap_err();
    assert_eq!(err.to_string(), "apiserver unavailable");
    assert!(k8s(&calls, "list_resources_all", list_all("Gateway")).is_ok());

    let calls = cluster().failing("get_resource", None, "forbidden");
    let request = json!({"api_version": PACKAGE_API, "kind": "Package", "name": "billing",
                         "namespace": "billing-ns", "disable_cache": true, "field_masks": null});
    assert_eq!(
        k8s(&calls, "get_resource", request)
            .unwrap_err()
            .to_string(),
        "forbidden"
    );
}

#[test]
fn unsupported_capabilities_are_refused() {
    let calls = cluster();
    for (binding, namespace, operation) in [
        ("other", "kubernetes", "list_resources_all"),
        ("kubewarden", "oci", "v1/verify"),
        ("kubewarden", "kubernetes", "can_i"),
        ("kubewarden", "tracing", "flush"),
    ] {
        let err = calls
            .handle(1, binding, namespace, operation, b"{}")
            .unwrap_err();
        assert!(matches!(err, HostCallError::Unsupported { .. }), "{err}");
        assert!(err.to_string().contains(operation), "{err}");
    }
}

#[test]
fn guest_logs_are_accepted_and_dropped() {
    let reply = cluster()
        .handle(
            1,
            "kubewarden",
            "tracing",
            "log",
            br#"{"level":"info","msg":"hi"}"#,
        )
        .unwrap();
    assert!(reply.is_empty());
}

#[test]
fn malformed_requests_and_unsupported_options_are_refused() {
    let calls = cluster();
    let bad = calls
        .handle(
            1,
            "kubewarden",
            "kubernetes",
            "list_resources_all",
            b"{not json",
        )
        .unwrap_err();
    assert!(matches!(bad, HostCallError::BadRequest { .. }), "{bad}");

    // A field the SDK never sends means guest and host disagree on the protocol.
    let mut unknown = list_all("Package");
    unknown["limit"] = json!(10);
    let err = k8s(&calls, "list_resources_all", unknown).unwrap_err();
    assert!(matches!(err, HostCallError::BadRequest { .. }), "{err}");

    // Selectors the test host cannot apply faithfully are refused, never ignored.
    for (field, selector) in [
        ("field_selector", "metadata.name=x"),
        ("label_selector", "app in (api, web)"),
    ] {
        let mut selected = list_all("Package");
        selected[field] = json!(selector);
        let err = k8s(&calls, "list_resources_all", selected).unwrap_err();
        assert!(
            matches!(&err, HostCallError::UnsupportedOption { feature, .. } if feature.starts_with(field)),
            "{err}"
        );
    }
}

#[test]
fn a_label_selector_filters_the_list_as_the_api_server_does() {
    let gateway = |name: &str, labels: Value| {
        json!({"apiVersion": "networking.istio.io/v1", "kind": "Gateway",
               "metadata": {"name": name, "namespace": "istio-system", "labels": labels}})
    };
    let fixtures = KubeFixtures::from_objects([
        gateway(
            "ours",
            json!({"app.kubernetes.io/managed-by": "uds-egress"}),
        ),
        gateway("helm", json!({"app.kubernetes.io/managed-by": "Helm"})),
        gateway("bare", json!({})),
    ])
    .unwrap();
    let calls = HostCalls::new(fixtures);
    let request = json!({"api_version": "networking.istio.io/v1", "kind": "Gateway",
                         "label_selector": "app.kubernetes.io/managed-by!=uds-egress",
                         "field_selector": null, "field_masks": null});
    let list = k8s(&calls, "list_resources_all", request).unwrap();
    assert_eq!(names(&list), ["helm", "bare"]);
}

#[test]
fn every_call_is_recorded_in_order_with_its_outcome() {
    let calls = cluster().failing("get_resource", None, "forbidden");
    k8s(&calls, "list_resources_all", list_all("Package")).unwrap();
    let get = json!({"api_version": PACKAGE_API, "kind": "Package", "name": "x",
                     "namespace": "y", "disable_cache": false, "field_masks": null});
    k8s(&calls, "get_resource", get.clone()).unwrap_err();
    calls
        .handle(1, "kubewarden", "tracing", "log", b"{}")
        .unwrap();

    let recorded = calls.recorded();
    let summary: Vec<_> = recorded
        .iter()
        .map(|c| {
            (
                c.namespace.as_str(),
                c.operation.as_str(),
                c.error.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("kubernetes", "list_resources_all", None),
            ("kubernetes", "get_resource", Some("forbidden")),
            ("tracing", "log", None),
        ]
    );
    assert_eq!(recorded[0].kind(), Some("Package"));
    assert_eq!(recorded[1].request, get);

    calls.clear();
    assert!(calls.recorded().is_empty());
}

#[test]
fn the_boxed_wapc_callback_behaves_like_the_handler() {
    let calls = Arc::new(cluster().failing("get_resource", None, "forbidden"));
    let callback = Arc::clone(&calls).into_callback();

    let reply = callback(
        3,
        "kubewarden",
        "kubernetes",
        "list_resources_all",
        list_all("Package").to_string().as_bytes(),
    )
    .unwrap();
    let list: Value = serde_json::from_slice(&reply).unwrap();
    assert_eq!(names(&list), ["billing", "search"]);

    let err = callback(3, "kubewarden", "kubernetes", "get_resource", b"{}").unwrap_err();
    assert_eq!(err.to_string(), "forbidden");
    assert_eq!(calls.recorded().len(), 2);
}
