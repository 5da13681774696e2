//! Per-package objects of a sidecar-mode Package: one ServiceEntry per host, one Sidecar per
//! distinct selector (semantics §3.2).

use crate::generated_object::GeneratedObject;
use crate::model::{LabelMap, Package};
use crate::names;
use crate::objects::generate;
use crate::objects::meta::Meta;
use crate::objects::service_entry::ServiceEntrySpec;
use crate::objects::sidecar::SidecarSpec;
use crate::translate::host_aggregate::aggregate_hosts;

pub fn local_objects(package: &Package) -> Vec<GeneratedObject> {
    let mut objects = Vec::new();
    for (host, aggregate) in aggregate_hosts([package]) {
        let name = names::local_service_entry(package.name(), host, &aggregate.pairs);
        let spec = ServiceEntrySpec::external(host, &aggregate.pairs);
        objects.push(generate(Meta::per_package(package, name, None), spec));
    }
    for selector in distinct_selectors(package) {
        let name = names::sidecar(package.name(), selector);
        let spec = SidecarSpec::registry_only(selector);
        objects.push(generate(Meta::per_package(package, name, None), spec));
    }
    objects
}

/// Selectors of host rules, first-seen order. Two selectors are the same when they serialise the
/// same in submitted key order; an absent selector and `{}` are different values.
fn distinct_selectors(package: &Package) -> Vec<Option<&LabelMap>> {
    let mut seen: Vec<Option<&LabelMap>> = Vec::new();
    for (_, allow) in package.host_rules() {
        let selector = allow.selector.as_ref();
        if !seen.iter().any(|s| same_in_order(*s, selector)) {
            seen.push(selector);
        }
    }
    seen
}

fn same_in_order(a: Option<&LabelMap>, b: Option<&LabelMap>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a.iter().eq(b.iter()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::package_from_value;
    use serde_json::json;

    fn package(allow: serde_json::Value) -> Package {
        package_from_value(&json!({
            "metadata": {"name": "app", "namespace": "ns", "uid": "u", "generation": 2},
            "spec": {"network": {"serviceMesh": {"mode": "sidecar"}, "allow": allow}}
        }))
        .unwrap()
    }

    fn names_of(objects: &[GeneratedObject], kind: &str) -> Vec<String> {
        objects
            .iter()
            .filter(|o| o.key.kind == kind)
            .map(|o| o.key.name.clone())
            .collect()
    }

    #[test]
    fn sidecars_are_deduplicated_by_selector_in_key_order() {
        let pkg = package(json!([
            {"direction": "Egress", "description": "1", "selector": {"app": "a", "tier": "x"}, "remoteHost": "a.com"},
            {"direction": "Egress", "description": "2", "selector": {"app": "a", "tier": "x"}, "remoteHost": "b.com"},
            {"direction": "Egress", "description": "3", "selector": {"tier": "x", "app": "a"}, "remoteHost": "c.com"},
            {"direction": "Egress", "description": "4", "remoteHost": "d.com"},
            {"direction": "Egress", "description": "5", "selector": {}, "remoteHost": "e.com"},
            {"direction": "Egress", "description": "6", "remoteHost": "f.com"}
        ]));
        let objects = local_objects(&pkg);
        assert_eq!(
            names_of(&objects, "Sidecar"),
            vec![
                "app-egress-app-a-tier-x",
                "app-egress-tier-x-app-a",
                "app-egress-default",
                "app-egress"
            ]
        );
        let default = objects
            .iter()
            .find(|o| o.key.name == "app-egress-default")
            .unwrap();
        assert!(default.manifest["spec"].get("workloadSelector").is_none());
        let empty = objects.iter().find(|o| o.key.name == "app-egress").unwrap();
        assert_eq!(
            empty.manifest["spec"]["workloadSelector"]["labels"],
            json!({})
        );
    }

    #[test]
    fn one_service_entry_per_host_with_deduplicated_pairs() {
        let pkg = package(json!([
            {"direction": "Egress", "description": "1", "remoteHost": "a.com", "ports": [443, 8443]},
            {"direction": "Egress", "description": "2", "remoteHost": "a.com", "remoteProtocol": "HTTP", "port": 80},
            {"direction": "Egress", "description": "3", "remoteHost": "a.com", "port": 443}
        ]));
        let objects = local_objects(&pkg);
        assert_eq!(
            names_of(&objects, "ServiceEntry"),
            vec!["app-egress-a-com-443-tls-8443-tls-80-http"]
        );
        let ports = &objects[0].manifest["spec"]["ports"];
        assert_eq!(ports.as_array().map(Vec::len), Some(3));
        assert_eq!(
            objects[0].manifest["metadata"]["labels"]["uds/generation"],
            json!("2")
        );
    }
}
