//! Properties of the policy's mutation (semantics §8.3) over plausible-but-wrong Packages:
//! - a second pass yields no patch: a Package the policy admits with a mutation is admitted again,
//!   unchanged, when it comes back mutated (a controller re-applying it never loops);
//! - the mutation never introduces a violation: the mutated Package has no violation (by entry and
//!   code) that the submitted one, with its hosts normalised as §8.3 says, does not already have;
//!   in particular a valid Package stays valid;
//! - the mutation changes no field it does not own: outside `allow[]` entries nothing changes, and
//!   in an entry only `remoteHost` (normalised), `remoteProtocol` and `port` (added when absent),
//!   `description` (added when unset) and the deprecated-label migration.

use std::collections::BTreeSet;

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use uds_egress_core::parse::package_from_value;
use uds_egress_core::rules::validate_package;
use uds_egress_core::{Package, RuleConfig};
use uds_egress_policy::cluster::{Cluster, Listing, LookupError};
use uds_egress_policy::mutate::mutate;
use uds_egress_policy::validate::evaluate;
use uds_egress_policy::verdict::Verdict;
use uds_egress_testkit::strategies::package;

/// A cluster with nothing in it: the properties are about one Package.
struct EmptyCluster;

impl Cluster for EmptyCluster {
    fn list(&self, listing: Listing) -> Result<Vec<u8>, LookupError> {
        Ok(listing.reply(&[]))
    }
}

/// The settings the policy evaluates with, and the same as core rules.
fn settings() -> Value {
    json!({"gatewayPorts": [80, 443, 8443]})
}

fn rules() -> RuleConfig {
    RuleConfig {
        gateway_ports: vec![80, 443, 8443],
        ..RuleConfig::default()
    }
}

fn payload(object: &Value) -> Vec<u8> {
    json!({
        "settings": settings(),
        "request": {
            "uid": "u", "operation": "CREATE",
            "kind": {"group": "uds.dev", "version": "v1alpha1", "kind": "Package"},
            "name": object["metadata"]["name"], "namespace": object["metadata"]["namespace"],
            "object": object
        }
    })
    .to_string()
    .into_bytes()
}

/// The mutation of `object`; fails unless `mutate` says it changed something exactly when it did.
fn mutated(object: &Value) -> Value {
    let mut copy = object.clone();
    let changed = mutate(&mut copy);
    assert_eq!(changed, copy != *object, "mutate's answer for {object}");
    copy
}

/// §8.3's host normalisation, written from the text: trim white space, lowercase, strip one
/// trailing dot; a host that would become empty stays as written, and so does one whose normal
/// form would normalise again (`a.com..`), which keeps the mutation idempotent.
fn normalised_host(host: &str) -> String {
    let step = |h: &str| {
        let lower = h.trim().to_ascii_lowercase();
        let normal = lower.strip_suffix('.').unwrap_or(&lower).to_string();
        if normal.is_empty() {
            h.to_string()
        } else {
            normal
        }
    };
    let once = step(host);
    if step(&once) == once {
        once
    } else {
        host.to_string()
    }
}

fn with_normalised_hosts(object: &Value) -> Value {
    let mut copy = object.clone();
    if let Some(allow) = copy
        .pointer_mut("/spec/network/allow")
        .and_then(Value::as_array_mut)
    {
        for entry in allow.iter_mut().filter_map(Value::as_object_mut) {
            if let Some(Value::String(host)) = entry.get_mut("remoteHost") {
                *host = normalised_host(host);
            }
        }
    }
    copy
}

/// Violations by the entry they are in (`spec.network.allow[3]`, or the path outside entries) and
/// code: the field a violation points at may move when a default is written (`remoteHost` to
/// `port`), its entry and reason do not.
fn violation_keys(package: &Package) -> BTreeSet<(String, &'static str)> {
    validate_package(package, &rules())
        .into_iter()
        .map(|v| {
            let entry = match v.path.find("].") {
                Some(end) => v.path[..=end].to_string(),
                None => v.path.clone(),
            };
            (entry, v.code.as_str())
        })
        .collect()
}

/// Adds what the generators rarely write: hosts the normalisation changes, `null` fields and
/// deprecated `podLabels`.
fn roughened(mut object: Value, edits: &[(usize, usize)], migrate: bool) -> Value {
    const NULLABLE: &[&str] = &["remoteProtocol", "port", "ports", "description", "selector"];
    const HOST_FORMS: &[fn(&str) -> String] = &[
        |h| h.to_ascii_uppercase(),
        |h| format!("{h}."),
        |h| format!("{h}.."),
        |h| format!(" {h} "),
        |h| format!("\t{h}.\n"),
    ];
    if let Some(allow) = object
        .pointer_mut("/spec/network/allow")
        .and_then(Value::as_array_mut)
    {
        let len = allow.len();
        for &(entry, edit) in edits {
            let Some(map) = allow
                .get_mut(entry % len.max(1))
                .and_then(Value::as_object_mut)
            else {
                break;
            };
            match (edit.checked_sub(NULLABLE.len()), map.get("remoteHost")) {
                (None, _) => {
                    map.insert(NULLABLE[edit].to_string(), Value::Null);
                }
                (Some(form), Some(Value::String(host))) => {
                    let host = HOST_FORMS[form % HOST_FORMS.len()](host);
                    map.insert("remoteHost".to_string(), Value::String(host));
                }
                _ => {}
            }
        }
        if migrate {
            for map in allow.iter_mut().filter_map(Value::as_object_mut) {
                if let Some(selector) = map.remove("selector") {
                    map.insert("podLabels".to_string(), selector);
                }
            }
        }
    }
    object
}

fn subject() -> impl Strategy<Value = Value> {
    (
        package(8),
        prop::collection::vec((0usize..8, 0usize..10), 0..4),
        prop::bool::weighted(0.15),
    )
        .prop_map(|(object, edits, migrate)| roughened(object, &edits, migrate))
}

/// Whether the mutation may turn `before` into `after` in entry field `key`.
fn owned_change(
    key: &str,
    before: Option<&Value>,
    after: Option<&Value>,
    entry: &Map<String, Value>,
) -> bool {
    let absent = |v: Option<&Value>| v.is_none_or(Value::is_null);
    match key {
        "remoteHost" => match (before, after) {
            (Some(Value::String(b)), Some(Value::String(a))) => *a == normalised_host(b),
            _ => false,
        },
        "remoteProtocol" => absent(before) && after == Some(&json!("TLS")),
        "port" => absent(before) && after.and_then(Value::as_u64).is_some(),
        "description" => {
            let unset = absent(before) || before == Some(&json!(""));
            unset && after.is_some_and(Value::is_string)
        }
        // The migration: a map-valued `podLabels` replaces `selector` and goes.
        "podLabels" | "remotePodLabels" => before.is_some_and(Value::is_object) && after.is_none(),
        "selector" | "remoteSelector" => {
            let old = if key == "selector" {
                "podLabels"
            } else {
                "remotePodLabels"
            };
            after.is_some() && after == entry.get(old)
        }
        _ => false,
    }
}

/// Every change the mutation made that it does not own.
fn foreign_changes(before: &Value, after: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let strip = |v: &Value| {
        let mut copy = v.clone();
        if let Some(allow) = copy.pointer_mut("/spec/network/allow") {
            *allow = Value::Null;
        }
        copy
    };
    if strip(before) != strip(after) {
        problems.push("something outside spec.network.allow changed".to_string());
    }
    let entries = |v: &Value| {
        v.pointer("/spec/network/allow")
            .cloned()
            .unwrap_or(Value::Null)
    };
    let (old, new) = (entries(before), entries(after));
    match (old.as_array(), new.as_array()) {
        (Some(old), Some(new)) if old.len() == new.len() => {
            for (i, (o, n)) in old.iter().zip(new).enumerate() {
                let (Some(o), Some(n)) = (o.as_object(), n.as_object()) else {
                    if o != n {
                        problems.push(format!("allow[{i}] is not an object and changed"));
                    }
                    continue;
                };
                let keys: BTreeSet<&String> = o.keys().chain(n.keys()).collect();
                for key in keys {
                    let (b, a) = (o.get(key), n.get(key));
                    if b != a && !owned_change(key, b, a, o) {
                        problems.push(format!("allow[{i}].{key}: {b:?} -> {a:?}"));
                    }
                }
            }
        }
        _ if old != new => problems.push("allow changed shape".to_string()),
        _ => {}
    }
    problems
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_second_pass_yields_no_patch(object in subject()) {
        if let Verdict::Accept { mutated: Some(once), .. } = evaluate(&payload(&object), &EmptyCluster) {
            let again = evaluate(&payload(&once), &EmptyCluster);
            prop_assert!(
                matches!(again, Verdict::Accept { mutated: None, .. }),
                "first pass gave {:#}\nsecond pass: {:?}", once, again
            );
        }
    }

    #[test]
    fn mutation_never_introduces_a_violation(object in subject()) {
        let after = mutated(&object);
        // What does not parse before the mutation is refused as malformed either way.
        if let Ok(baseline) = package_from_value(&with_normalised_hosts(&object)) {
            let result = package_from_value(&after);
            prop_assert!(result.is_ok(), "the mutation broke parsing: {:?}\n{:#}", result, after);
            let result = result.map_err(|e| TestCaseError::fail(e.to_string()))?;
            let before = violation_keys(&baseline);
            let introduced: Vec<_> = violation_keys(&result).difference(&before).cloned().collect();
            prop_assert!(introduced.is_empty(), "introduced {:?}\nfrom {:#}\nto {:#}", introduced, object, after);
        }
    }

    #[test]
    fn mutation_changes_only_what_it_owns(object in subject()) {
        let after = mutated(&object);
        let problems = foreign_changes(&object, &after);
        prop_assert!(problems.is_empty(), "{:?}\nfrom {:#}\nto {:#}", problems, object, after);
    }

    #[test]
    fn mutation_is_idempotent(object in subject()) {
        let once = mutated(&object);
        prop_assert_eq!(mutated(&once), once);
    }
}
