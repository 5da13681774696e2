//! One watch against the mocked API: what its store holds (typed again, trimmed, in name
//! order) and how a kind that is not served ends up.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::watch;

use super::fake_api::FakeApi;
use crate::controller::reflect::{Reflected, WatchSpec, spawn};
use crate::controller::resources::api_resource;
use crate::controller::trim::Trim;
use uds_egress_plan::kinds::{MANAGED_KINDS, PACKAGE_KIND};
use uds_egress_testkit::fixtures::package_manifest;

fn sidecar(namespace: &str) -> Value {
    json!({
        "apiVersion": "networking.istio.io/v1", "kind": "Sidecar",
        "metadata": {"name": "egress", "namespace": namespace,
            "labels": {"app.kubernetes.io/managed-by": "uds-egress"},
            "managedFields": [
                {"manager": "kubectl", "operation": "Update", "fieldsV1": {"f:spec": {}}},
                {"manager": "uds-egress", "operation": "Apply", "fieldsV1": {"f:spec": {}}}]},
        "spec": {"outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"}},
        "status": {"observedGeneration": 1},
    })
}

fn spec(kind: &uds_egress_plan::kinds::ManagedKind, trim: Trim) -> WatchSpec {
    WatchSpec {
        resource: api_resource(kind),
        namespace: None,
        config: kube::runtime::watcher::Config::default(),
        trim,
    }
}

/// Starts the watch and waits (on the changes it reports) until its store is ready.
async fn listed(fake: &FakeApi, spec: WatchSpec) -> Reflected {
    let (changes_tx, mut changes_rx) = watch::channel(0u64);
    let (reflected, task) = spawn(&fake.client(), spec, changes_tx);
    let ready = tokio::time::timeout(Duration::from_secs(60), async {
        while !reflected.ready() {
            if changes_rx.changed().await.is_err() {
                break;
            }
        }
    })
    .await;
    task.abort();
    assert!(
        ready.is_ok() && reflected.ready(),
        "store never became ready"
    );
    reflected
}

#[tokio::test(start_paused = true)]
async fn the_store_holds_typed_trimmed_objects_in_name_order() {
    let fake = FakeApi::new();
    fake.insert_untyped(sidecar("b"));
    fake.insert_untyped(sidecar("a"));
    let sidecars = MANAGED_KINDS.iter().find(|k| k.kind == "Sidecar").unwrap();
    let objects = listed(&fake, spec(sidecars, Trim::Owned)).await.snapshot();

    let namespaces: Vec<&Value> = objects
        .iter()
        .map(|o| &o["metadata"]["namespace"])
        .collect();
    assert_eq!(namespaces, [&json!("a"), &json!("b")]);
    for object in &objects {
        assert_eq!(object["apiVersion"], "networking.istio.io/v1", "{object}");
        assert_eq!(object["kind"], "Sidecar");
        let managers: Vec<&Value> = object["metadata"]["managedFields"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|entry| &entry["manager"])
            .collect();
        assert_eq!(managers, [&json!("uds-egress")]);
        assert!(object.get("status").is_none(), "{object}");
        assert_eq!(
            object["spec"]["outboundTrafficPolicy"]["mode"],
            "REGISTRY_ONLY"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn packages_are_stored_typed_without_managed_fields() {
    let fake = FakeApi::new();
    let mut package = package_manifest("app", "sidecar", 1, &[("example.com", &[443], "TLS")]);
    package["metadata"]["managedFields"] = json!([{"manager": "uds-egress", "operation": "Apply"}]);
    fake.insert_untyped(package);
    let objects = listed(&fake, spec(&PACKAGE_KIND, Trim::Package))
        .await
        .snapshot();

    assert_eq!(objects.len(), 1);
    assert_eq!(objects[0]["apiVersion"], "uds.dev/v1alpha1");
    assert_eq!(objects[0]["kind"], "Package");
    assert!(objects[0]["metadata"].get("managedFields").is_none());
    assert_eq!(
        objects[0]["spec"]["network"]["allow"][0]["remoteHost"],
        "example.com"
    );
}

#[tokio::test(start_paused = true)]
async fn a_kind_not_served_counts_as_listed_and_empty() {
    let fake = FakeApi::new();
    fake.insert(sidecar("a"));
    // The CRD is missing: the first list answers 404.
    fake.fail_next("GET", 404, 1);
    let sidecars = MANAGED_KINDS.iter().find(|k| k.kind == "Sidecar").unwrap();
    let store = listed(&fake, spec(sidecars, Trim::Owned)).await;
    assert!(store.snapshot().is_empty());
}
