//! Per-package objects of one sidecar-mode Package whose names sanitise alike.
//!
//! The per-package ServiceEntry is named from the Package, the host and its port pairs, the Sidecar
//! from the Package and the selector (semantics §3.2), both through the sanitiser, which folds every
//! run of other characters into `-` and cuts at 250 characters. Two different selectors such as
//! `{app: a.b}` and `{app: a-b}` (or `{a: b-c}` and `{a-b: c}`) then name one Sidecar, and two long
//! hosts that differ only past the cut name one ServiceEntry: the later object overwrites the
//! earlier, whose pods lose their `REGISTRY_ONLY` Sidecar or whose host loses its entry. Such a
//! Package is refused, naming both rules. Hosts whose shared objects already collide are reported
//! by the shared-name check and not again here.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use crate::model::{LabelMap, Mode, Package};
use crate::names;
use crate::quoting::quoted;
use crate::rules::conflicts::shared_name_key;
use crate::translate::host_aggregate::aggregate_hosts;
use crate::violation::{Code, Violation, allow_path};

/// Every collision of per-package object names of a sidecar-mode Package, Sidecars first.
pub fn local_name_collisions(pkg: &Package) -> Vec<Violation> {
    if pkg.mode() != Mode::Sidecar {
        return Vec::new();
    }
    let mut violations = sidecar_collisions(pkg);
    violations.extend(service_entry_collisions(pkg));
    violations
}

/// Distinct selectors (in key order, as the Sidecars are de-duplicated) with one Sidecar name.
fn sidecar_collisions(pkg: &Package) -> Vec<Violation> {
    // One selector for every rule (the usual Package) is one Sidecar: no name to build.
    let mut selectors = pkg.host_rules().map(|(_, allow)| allow.selector.as_ref());
    if let Some(first) = selectors.next()
        && selectors.all(|selector| same_in_order(first, selector))
    {
        return Vec::new();
    }
    let mut violations = Vec::new();
    let mut by_name: HashMap<String, (Option<&LabelMap>, usize)> = HashMap::new();
    for (index, allow) in pkg.host_rules() {
        let selector = allow.selector.as_ref();
        match by_name.entry(names::sidecar(pkg.name(), selector)) {
            Entry::Vacant(slot) => {
                slot.insert((selector, index));
            }
            Entry::Occupied(slot) => {
                let (theirs, earlier) = *slot.get();
                if same_in_order(theirs, selector) {
                    continue;
                }
                violations.push(Violation::new(
                    allow_path(index, Some("selector")),
                    Code::LocalNameCollision,
                    format!(
                        "selector {} in allow[{index}] and selector {} in allow[{earlier}] share \
                         the Sidecar name \"{}\"; one Sidecar would overwrite the other",
                        shown_selector(selector),
                        shown_selector(theirs),
                        slot.key()
                    ),
                ));
            }
        }
    }
    violations
}

/// Distinct hosts whose per-package ServiceEntries share a name (but not their shared objects').
fn service_entry_collisions(pkg: &Package) -> Vec<Violation> {
    let first_rule = |host: &str| {
        pkg.host_rules()
            .find(|(_, allow)| allow.host() == Some(host))
            .map_or(0, |(index, _)| index)
    };
    let mut violations = Vec::new();
    let mut by_name: HashMap<String, &str> = HashMap::new();
    for (host, aggregate) in aggregate_hosts([pkg]) {
        let name = names::local_service_entry(pkg.name(), host, &aggregate.pairs);
        match by_name.entry(name) {
            Entry::Vacant(slot) => {
                slot.insert(host);
            }
            Entry::Occupied(slot) => {
                let theirs = *slot.get();
                if shared_name_key(Mode::Sidecar, theirs) == shared_name_key(Mode::Sidecar, host) {
                    continue;
                }
                let (index, earlier) = (first_rule(host), first_rule(theirs));
                violations.push(Violation::new(
                    allow_path(index, Some("remoteHost")),
                    Code::LocalNameCollision,
                    format!(
                        "remoteHost {} in allow[{index}] and remoteHost {} in allow[{earlier}] \
                         share the ServiceEntry name \"{}\"; one would overwrite the other",
                        quoted(host),
                        quoted(theirs),
                        slot.key()
                    ),
                ));
            }
        }
    }
    violations
}

fn same_in_order(a: Option<&LabelMap>, b: Option<&LabelMap>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a.iter().eq(b.iter()),
        _ => false,
    }
}

/// `{"app": "a.b"}`, or `(none)` for an absent selector.
fn shown_selector(selector: Option<&LabelMap>) -> String {
    match selector {
        None => "(none)".to_string(),
        Some(labels) => {
            let pairs: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{}: {}", quoted(k), quoted(v)))
                .collect();
            format!("{{{}}}", pairs.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::parse::package_from_value;

    fn found(name: &str, mode: &str, allow: Value) -> Vec<(String, String)> {
        let pkg = package_from_value(&json!({
            "metadata": {"name": name, "namespace": "app"},
            "spec": {"network": {"serviceMesh": {"mode": mode}, "allow": allow}}
        }))
        .unwrap();
        local_name_collisions(&pkg)
            .into_iter()
            .map(|v| (v.path, v.message))
            .collect()
    }

    fn rule(host: &str, description: &str, selector: Option<Value>) -> Value {
        let mut entry =
            json!({"direction": "Egress", "remoteHost": host, "description": description});
        if let Some(selector) = selector {
            entry["selector"] = selector;
        }
        entry
    }

    #[test]
    fn selectors_that_sanitise_alike() {
        let allow = json!([
            rule("a.com", "x", Some(json!({"app": "a.b"}))),
            rule("b.com", "y", Some(json!({"app": "a.b"}))),
            rule("c.com", "z", Some(json!({"app": "a-b"}))),
        ]);
        assert_eq!(
            found("app", "sidecar", allow.clone()),
            vec![(
                "spec.network.allow[2].selector".to_string(),
                "selector {\"app\": \"a-b\"} in allow[2] and selector {\"app\": \"a.b\"} in \
                 allow[0] share the Sidecar name \"app-egress-app-a-b\"; one Sidecar would \
                 overwrite the other"
                    .to_string()
            )]
        );
        // Ambient mode has no Sidecars.
        assert!(found("app", "ambient", allow).is_empty());
    }

    #[test]
    fn keys_and_values_that_sanitise_alike_and_the_default_sidecar() {
        let allow = json!([
            rule("a.com", "x", Some(json!({"a": "b-c"}))),
            rule("b.com", "y", Some(json!({"a-b": "c"}))),
            rule("c.com", "z", None),
            rule("d.com", "w", Some(json!({"default": ""}))),
        ]);
        let paths: Vec<String> = found("app", "sidecar", allow)
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        assert_eq!(
            paths,
            vec![
                "spec.network.allow[1].selector",
                "spec.network.allow[3].selector"
            ]
        );
    }

    #[test]
    fn long_hosts_that_differ_past_the_cut() {
        let stem = ["x".repeat(63), "y".repeat(63), "z".repeat(63)].join(".");
        let allow = json!([
            rule(&format!("{stem}.h0.com"), "x", None),
            rule(&format!("{stem}.h1.com"), "y", None),
        ]);
        // With a short Package name the hosts' differing tails fit in the name.
        assert!(found("app", "sidecar", allow.clone()).is_empty());
        let found = found(&"p".repeat(63), "sidecar", allow);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "spec.network.allow[1].remoteHost");
        assert!(
            found[0].1.contains("share the ServiceEntry name"),
            "{}",
            found[0].1
        );
    }

    #[test]
    fn hosts_whose_shared_names_collide_are_left_to_that_check() {
        let allow = json!([rule("a-b.com", "x", None), rule("a.b.com", "y", None)]);
        assert!(found("app", "sidecar", allow).is_empty());
    }

    #[test]
    fn distinct_names_pass() {
        let allow = json!([
            rule("a.com", "x", Some(json!({"app": "a"}))),
            rule("b.com", "y", Some(json!({"app": "b"}))),
            rule("a.com", "z", Some(json!({"app": "a"}))),
        ]);
        assert!(found("app", "sidecar", allow).is_empty());
    }
}
