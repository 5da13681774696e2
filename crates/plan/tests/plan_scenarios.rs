//! The planner's scenarios: each starts from a cluster converged on one set of Packages and
//! plans the next.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use uds_egress_core::{GeneratedObject, Package};
use uds_egress_plan::{Plan, contributes, hosts, plan, report};
use uds_egress_testkit::fixtures::{desired, package};
use uds_egress_testkit::server_side::stored_objects;

fn names(objects: &[GeneratedObject]) -> BTreeSet<String> {
    objects
        .iter()
        .map(|o| format!("{}/{}", o.key.kind, o.key.name))
        .collect()
}

fn update_names(plan: &Plan) -> BTreeSet<String> {
    plan.updates
        .iter()
        .map(|u| format!("{}/{}", u.object.key.kind, u.object.key.name))
        .collect()
}

fn delete_names(plan: &Plan) -> BTreeSet<String> {
    plan.deletes
        .iter()
        .map(|d| format!("{}/{}", d.id.kind, d.id.name))
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The live objects of a cluster converged on `packages`.
fn converged(packages: &[Package]) -> Vec<Value> {
    stored_objects(&desired(packages).objects)
}

#[test]
fn first_sync_creates_everything() {
    let state = desired(&[package(
        "app",
        "sidecar",
        1,
        &[("example.com", &[443], "TLS")],
    )]);
    let plan = plan(&state.objects, &[]);
    assert_eq!(plan.creates, state.objects);
    assert!(plan.updates.is_empty() && plan.deletes.is_empty() && plan.conflicts.is_empty());
    assert_eq!(
        names(&plan.creates),
        set(&[
            "Gateway/gateway-example-com",
            "NetworkPolicy/allow-app-egress-example-com-egress",
            "ServiceEntry/app-egress-example-com-443-tls",
            "ServiceEntry/service-entry-example-com",
            "Sidecar/app-egress-app-curl",
            "VirtualService/egress-vs-example-com",
        ])
    );
}

#[test]
fn a_converged_cluster_needs_no_write() {
    let packages = [
        package(
            "app",
            "sidecar",
            3,
            &[
                ("example.com", &[443, 8443], "TLS"),
                ("h.io", &[80], "HTTP"),
            ],
        ),
        package("amb", "ambient", 1, &[("example.com", &[443], "TLS")]),
    ];
    let state = desired(&packages);
    let plan = plan(&state.objects, &converged(&packages));
    assert!(plan.is_empty(), "{plan:#?}");
    assert_eq!(plan.unchanged, state.objects.len());
}

#[test]
fn adding_a_package_creates_only_its_objects() {
    let a = package("a", "sidecar", 1, &[("a.com", &[443], "TLS")]);
    let b = package("b", "sidecar", 1, &[("b.com", &[443], "TLS")]);
    let before = desired(std::slice::from_ref(&a));
    let after = desired(&[a.clone(), b]);
    let plan = plan(&after.objects, &converged(&[a]));
    let added: Vec<GeneratedObject> = after
        .objects
        .iter()
        .filter(|o| !before.objects.iter().any(|p| p.key == o.key))
        .cloned()
        .collect();
    assert_eq!(plan.creates, added);
    assert_eq!(added.len(), 6);
    assert!(plan.updates.is_empty() && plan.deletes.is_empty());
}

#[test]
fn ports_added_then_removed_update_in_place() {
    let one = package("app", "sidecar", 1, &[("example.com", &[443], "TLS")]);
    let two = package("app", "sidecar", 2, &[("example.com", &[443, 8443], "TLS")]);

    let grow = plan(
        &desired(std::slice::from_ref(&two)).objects,
        &converged(std::slice::from_ref(&one)),
    );
    // The local ServiceEntry's name holds its ports, so it is replaced; the Sidecar never is.
    assert_eq!(
        names(&grow.creates),
        set(&["ServiceEntry/app-egress-example-com-443-tls-8443-tls"])
    );
    assert_eq!(
        delete_names(&grow),
        set(&["ServiceEntry/app-egress-example-com-443-tls"])
    );
    assert_eq!(
        update_names(&grow),
        set(&[
            "Gateway/gateway-example-com",
            "NetworkPolicy/allow-app-egress-example-com-egress",
            "ServiceEntry/service-entry-example-com",
            "Sidecar/app-egress-app-curl",
            "VirtualService/egress-vs-example-com",
        ])
    );
    let sidecar = grow.updates.iter().find(|u| u.object.key.kind == "Sidecar");
    let paths: Vec<&str> = sidecar
        .map(|u| u.changes.iter().map(|c| c.path.as_str()).collect())
        .unwrap_or_default();
    assert_eq!(paths, vec!["metadata.labels[\"uds/generation\"]"]);
    let shared = grow
        .updates
        .iter()
        .find(|u| u.object.key.name == "service-entry-example-com")
        .map(|u| u.changes.clone())
        .unwrap_or_default();
    assert_eq!(shared.len(), 1);
    assert_eq!(shared[0].path, "spec.ports");

    let three = package("app", "sidecar", 3, &[("example.com", &[8443], "TLS")]);
    let shrink = plan(
        &desired(std::slice::from_ref(&three)).objects,
        &converged(&[two]),
    );
    assert_eq!(
        names(&shrink.creates),
        set(&["ServiceEntry/app-egress-example-com-8443-tls"])
    );
    assert_eq!(
        delete_names(&shrink),
        set(&["ServiceEntry/app-egress-example-com-443-tls-8443-tls"])
    );
    assert!(update_names(&shrink).contains("Sidecar/app-egress-app-curl"));
}

#[test]
fn deleting_a_package_deletes_its_objects() {
    let a = package("a", "sidecar", 1, &[("a.com", &[443], "TLS")]);
    let b = package("b", "ambient", 1, &[("b.com", &[443], "TLS")]);
    let live = converged(&[a.clone(), b.clone()]);
    let plan = plan(&desired(&[b]).objects, &live);
    assert!(plan.creates.is_empty() && plan.updates.is_empty());
    assert_eq!(
        delete_names(&plan),
        set(&[
            "Gateway/gateway-a-com",
            "NetworkPolicy/allow-a-egress-a-com-egress",
            "ServiceEntry/a-egress-a-com-443-tls",
            "ServiceEntry/service-entry-a-com",
            "Sidecar/a-egress-app-curl",
            "VirtualService/egress-vs-a-com",
        ])
    );
    // Deletes carry the preconditions of the object that was seen.
    assert!(
        plan.deletes
            .iter()
            .all(|d| d.uid.is_some() && d.resource_version.is_some())
    );
    let _ = a;
}

#[test]
fn a_package_being_deleted_no_longer_contributes() {
    let mut leaving = package("a", "sidecar", 1, &[("a.com", &[443], "TLS")]);
    assert!(contributes(&leaving));
    leaving.metadata.deletion_timestamp = Some("1970-01-01T00:00:00Z".into());
    assert!(!contributes(&leaving));
}

#[test]
fn switching_mode_moves_the_objects() {
    let sidecar = package("app", "sidecar", 1, &[("example.com", &[443], "TLS")]);
    let ambient = package("app", "ambient", 2, &[("example.com", &[443], "TLS")]);
    let plan = plan(&desired(&[ambient]).objects, &converged(&[sidecar]));
    assert_eq!(
        names(&plan.creates),
        set(&[
            "AuthorizationPolicy/ambient-ap-example-com",
            "Gateway/egress-waypoint",
            "ServiceEntry/ambient-se-example-com",
        ])
    );
    // The NetworkPolicy keeps its name and gets the waypoint as its peer, in place.
    assert_eq!(
        update_names(&plan),
        set(&["NetworkPolicy/allow-app-egress-example-com-egress"])
    );
    let peer_changed = plan.updates[0]
        .changes
        .iter()
        .any(|c| c.path == "spec.egress");
    assert!(peer_changed, "{:?}", plan.updates[0].changes);
    assert_eq!(
        delete_names(&plan),
        set(&[
            "Gateway/gateway-example-com",
            "ServiceEntry/app-egress-example-com-443-tls",
            "ServiceEntry/service-entry-example-com",
            "Sidecar/app-egress-app-curl",
            "VirtualService/egress-vs-example-com",
        ])
    );
}

#[test]
fn a_shared_host_survives_one_of_its_packages_leaving() {
    let a = package("a", "sidecar", 1, &[("shared.com", &[443], "TLS")]);
    let b = package("b", "sidecar", 1, &[("shared.com", &[443], "TLS")]);
    let plan = plan(
        &desired(std::slice::from_ref(&b)).objects,
        &converged(&[a, b.clone()]),
    );
    assert!(plan.creates.is_empty());
    assert_eq!(
        delete_names(&plan),
        set(&[
            "NetworkPolicy/allow-a-egress-shared-com-egress",
            "ServiceEntry/a-egress-shared-com-443-tls",
            "Sidecar/a-egress-app-curl",
        ])
    );
    // The shared objects stay and only lose package a's owner annotation.
    assert_eq!(
        update_names(&plan),
        set(&[
            "Gateway/gateway-shared-com",
            "ServiceEntry/service-entry-shared-com",
            "VirtualService/egress-vs-shared-com",
        ])
    );
    for update in &plan.updates {
        assert_eq!(update.changes.len(), 1, "{:?}", update.changes);
        assert_eq!(
            update.changes[0].path,
            "metadata.annotations[\"uds.dev/user-a-a\"]"
        );
        assert_eq!(update.changes[0].desired, None);
    }
}

#[test]
fn a_foreign_object_with_an_owned_name_blocks_its_host() {
    let app = package(
        "app",
        "sidecar",
        1,
        &[("example.com", &[443], "TLS"), ("ok.com", &[443], "TLS")],
    );
    let state = desired(&[app]);
    let foreign = json!({"apiVersion": "networking.istio.io/v1", "kind": "Gateway",
        "metadata": {"name": "gateway-example-com", "namespace": "istio-egress-gateway",
            "labels": {"app.kubernetes.io/managed-by": "helm"}},
        "spec": {"servers": []}});
    let plan = plan(&state.objects, std::slice::from_ref(&foreign));

    assert_eq!(plan.conflicts.len(), 1);
    let conflict = &plan.conflicts[0];
    assert_eq!(conflict.id.name, "gateway-example-com");
    assert_eq!(
        conflict.hosts,
        vec![hosts::HostScope {
            host: "example.com".into(),
            ambient: false
        }]
    );
    let skipped: BTreeSet<String> = conflict.skipped.iter().map(|id| id.name.clone()).collect();
    assert_eq!(
        skipped,
        set(&[
            "app-egress-example-com-443-tls",
            "egress-vs-example-com",
            "service-entry-example-com"
        ])
    );
    // Nothing of example.com is written, the foreign object is never deleted, ok.com goes ahead.
    let hosts_created = hosts::hosts_of_objects(&plan.creates);
    assert!(
        hosts_created.iter().flatten().all(|h| h.host == "ok.com"),
        "{hosts_created:?}"
    );
    assert!(names(&plan.creates).contains("Gateway/gateway-ok-com"));
    assert!(names(&plan.creates).contains("Sidecar/app-egress-app-curl"));
    assert!(plan.deletes.is_empty() && plan.updates.is_empty());
    assert!(!plan.is_empty());
}

#[test]
fn a_foreign_object_without_a_host_blocks_only_itself() {
    let app = package("app", "ambient", 1, &[("example.com", &[443], "TLS")]);
    let state = desired(&[app]);
    let foreign = json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
        "metadata": {"name": "egress-waypoint", "namespace": "istio-egress-ambient"}});
    let plan = plan(&state.objects, &[foreign]);
    assert_eq!(plan.conflicts.len(), 1);
    assert!(plan.conflicts[0].hosts.is_empty() && plan.conflicts[0].skipped.is_empty());
    assert_eq!(plan.creates.len(), state.objects.len() - 1);
}

#[test]
fn ambient_authorization_policies_follow_their_service_entry() {
    let app = package("app", "ambient", 1, &[("example.com", &[443], "TLS")]);
    let state = desired(&[app]);
    let foreign = json!({"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry",
        "metadata": {"name": "ambient-se-example-com", "namespace": "istio-egress-ambient"}});
    let plan = plan(&state.objects, &[foreign]);
    let skipped: Vec<&str> = plan.conflicts[0]
        .skipped
        .iter()
        .map(|id| id.name.as_str())
        .collect();
    assert_eq!(skipped, vec!["ambient-ap-example-com"]);
}

#[test]
fn restart_plans_the_same_from_the_same_inputs() {
    let a = package("a", "sidecar", 2, &[("s.com", &[443], "TLS")]);
    let b = package("b", "ambient", 1, &[("s.com", &[443], "TLS")]);
    let c = package(
        "c",
        "sidecar",
        1,
        &[("s.com", &[443], "TLS"), ("t.com", &[80], "HTTP")],
    );
    let mut live = converged(&[a.clone(), c.clone()]);
    let first = plan(&desired(&[a.clone(), b.clone(), c.clone()]).objects, &live);
    // Another process, other watch order: the same Packages and objects in another order.
    live.reverse();
    let second = plan(&desired(&[c, b, a]).objects, &live);
    assert_eq!(first, second);
    assert!(!first.is_empty());
}

#[test]
fn unlabelled_objects_are_never_deleted_and_malformed_live_objects_are_ignored() {
    let live = vec![
        json!({"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry",
            "metadata": {"name": "mine-no-more", "namespace": "x"}}),
        json!({"kind": "ServiceEntry"}),
        json!(42),
        json!({"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry",
            "metadata": {"name": "stale", "namespace": "x",
                "labels": {"app.kubernetes.io/managed-by": "uds-egress"}}}),
    ];
    let plan = plan(&[], &live);
    assert_eq!(delete_names(&plan), set(&["ServiceEntry/stale"]));
    assert_eq!(plan.deletes[0].api_version, "networking.istio.io/v1");
    assert_eq!(plan.deletes[0].uid, None);
}

#[test]
fn the_text_report_shows_each_kind_of_step() {
    let one = package("app", "sidecar", 1, &[("example.com", &[443], "TLS")]);
    let two = package(
        "app",
        "sidecar",
        2,
        &[("example.com", &[8443], "TLS"), ("ok.com", &[443], "TLS")],
    );
    let mut live = converged(&[one]);
    live.push(
        json!({"apiVersion": "networking.istio.io/v1", "kind": "Gateway",
        "metadata": {"name": "gateway-example-com", "namespace": "istio-egress-gateway"}}),
    );
    live.retain(|o| !(o["kind"] == "Gateway" && o["metadata"]["labels"].is_object()));
    let plan = plan(&desired(&[two]).objects, &live);
    let text = report::to_text(&plan);
    assert!(
        text.contains("+ create ServiceEntry app/app-egress-ok-com-443-tls"),
        "{text}"
    );
    assert!(text.contains("    kind: ServiceEntry"), "{text}");
    assert!(
        text.contains("~ update Sidecar app/app-egress-app-curl"),
        "{text}"
    );
    assert!(
        text.contains("    metadata.labels[\"uds/generation\"]: \"1\" -> \"2\""),
        "{text}"
    );
    assert!(
        text.contains("- delete ServiceEntry app/app-egress-example-com-443-tls"),
        "{text}"
    );
    assert!(
        text.contains("! conflict Gateway istio-egress-gateway/gateway-example-com"),
        "{text}"
    );
    assert!(
        text.contains("    host example.com (sidecar) skipped"),
        "{text}"
    );
    assert!(
        text.contains("    skipped ServiceEntry app/app-egress-example-com-8443-tls"),
        "{text}"
    );
    assert!(
        text.ends_with("Plan: 5 to create, 2 to update, 1 to delete, 1 conflict (0 unchanged).\n"),
        "{text}"
    );
}
