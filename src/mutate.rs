//! The mutation of semantics §8.3, done on the raw JSON object.
//!
//! Working on the raw `Value` (not a typed round trip) keeps every field the policy does not model
//! (`status`, future CRD fields, unknown keys) exactly as submitted. Anything of an unexpected shape
//! is left alone: validation then reports it with its field path.

use crate::value_at::{value_at, value_at_mut};
use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use serde_json::{Map, Value};
use uds_egress_core::deprecated_fields::migrate_json;
use uds_egress_core::model::{Allow, Protocol};
use uds_egress_core::names::network_policy;
use uds_egress_core::normal_host::normal_form;
use uds_egress_core::resolve::{default_port, host_ports};

/// Applies the whole mutation in place, and says whether it changed anything. Idempotent on
/// every object the policy admits.
///
/// It writes only under `spec.network.allow`, so only that array is copied to tell a change:
/// copying the whole object was a seventh of an evaluation without lookups.
pub fn mutate(object: &mut Value) -> bool {
    let pkg = value_at(object, &["metadata", "name"])
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let Some(allow) =
        value_at_mut(object, &["spec", "network", "allow"]).and_then(Value::as_array_mut)
    else {
        return false;
    };
    let before = allow.clone();
    for entry in allow.iter_mut().filter_map(Value::as_object_mut) {
        migrate_json(entry);
        normalise_host(entry);
        if host_of(entry).is_some() {
            default_protocol(entry);
            default_port_of(entry);
        }
    }
    describe_colliding_host_rules(&pkg, allow);
    *allow != before
}

/// Writes the host's normal form (the core's, §8.3). A host that would become empty is left as
/// written, so that it stays a host rule and is refused by the hostname check instead of silently
/// changing meaning. So is a host whose normal form would itself normalise further (`a.com..`,
/// ` a.com . `): the mutation stays idempotent, and the hostname check names the problem.
fn normalise_host(entry: &mut Map<String, Value>) {
    let Some(Value::String(host)) = entry.get_mut("remoteHost") else {
        return;
    };
    let normal = normal_form(host);
    if normal.is_empty() {
        return;
    }
    // A normal form that would normalise to nothing (`..` becomes `.`) is kept as written by the
    // next pass, so it is a fixed point too.
    let again = normal_form(&normal);
    if again.is_empty() || again == normal {
        *host = normal;
    }
}

/// The host of a host rule: a non-empty string `remoteHost`.
fn host_of(entry: &Map<String, Value>) -> Option<&str> {
    entry
        .get("remoteHost")
        .and_then(Value::as_str)
        .filter(|h| !h.is_empty())
}

/// Absent and `null` are the same to the API server and to the core's parser.
fn is_absent(entry: &Map<String, Value>, key: &str) -> bool {
    entry.get(key).is_none_or(Value::is_null)
}

fn default_protocol(entry: &mut Map<String, Value>) {
    if is_absent(entry, "remoteProtocol") {
        entry.insert("remoteProtocol".into(), Value::from(Protocol::Tls.as_str()));
    }
}

/// Writes the protocol's default port when neither `port` nor a non-empty `ports` is given, so that
/// the NetworkPolicy opens only that port. A protocol that does not parse is left to validation.
fn default_port_of(entry: &mut Map<String, Value>) {
    let ports_given = match entry.get("ports") {
        None | Some(Value::Null) => false,
        Some(Value::Array(ports)) => !ports.is_empty(),
        // A wrongly typed `ports` is the user's; validation names it.
        Some(_) => true,
    };
    if ports_given || !is_absent(entry, "port") {
        return;
    }
    let protocol = entry
        .get("remoteProtocol")
        .and_then(|p| Protocol::deserialize(p).ok());
    if let Some(protocol) = protocol {
        entry.insert("port".into(), Value::from(default_port(protocol)));
    }
}

/// Host rules without a description that share a NetworkPolicy name (so would be denied by A11)
/// get the description `<host> <port> egress`, each only if its new name is then unique; rules
/// that would still collide are true duplicates and stay as written, to be denied.
///
/// "Unique" is judged against the name every undescribed host rule would get, not only those of
/// the colliding ones: otherwise a rule whose proposal clashed with that of a rule that is no
/// longer colliding after this pass would be described on the next pass, and the mutation would
/// not be idempotent.
fn describe_colliding_host_rules(pkg: &str, allow: &mut [Value]) {
    // Two undescribed host rules are needed for a collision. Most Packages describe their rules,
    // so count possible ones on the raw entries first (every entry the parsed test below counts
    // is counted here) and skip the parsing and naming when there are fewer than two.
    if allow
        .iter()
        .filter(|e| may_be_undescribed_host_rule(e))
        .count()
        < 2
    {
        return;
    }
    let parsed: Vec<Option<Allow>> = allow
        .iter()
        .map(|entry| Allow::deserialize(entry).ok())
        .collect();
    let names: Vec<Option<String>> = parsed
        .iter()
        .map(|a| a.as_ref().map(|a| network_policy(pkg, a)))
        .collect();

    // Undescribed host rules per current NetworkPolicy name.
    let mut undescribed: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, (allow, name)) in parsed.iter().zip(&names).enumerate() {
        if let (Some(allow), Some(name)) = (allow, name)
            && allow.is_host_rule()
            && !has_description(allow)
        {
            undescribed.entry(name.as_str()).or_default().push(index);
        }
    }
    let colliding: HashSet<usize> = undescribed
        .values()
        .filter(|indices| indices.len() >= 2)
        .flatten()
        .copied()
        .collect();
    if colliding.is_empty() {
        return;
    }

    // The description and new name each undescribed host rule would get.
    let potential: Vec<(usize, String, String)> = undescribed
        .values()
        .flatten()
        .filter_map(|&index| {
            let allow = parsed.get(index)?.as_ref()?;
            let description = format!("{} {} egress", allow.host()?, host_ports(allow).first()?);
            let mut described = allow.clone();
            described.description = Some(description.clone());
            Some((index, description, network_policy(pkg, &described)))
        })
        .collect();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for (_, _, name) in &potential {
        *counts.entry(name.as_str()).or_default() += 1;
    }
    for (index, name) in names.iter().enumerate() {
        if !colliding.contains(&index)
            && let Some(name) = name
        {
            *counts.entry(name.as_str()).or_default() += 1;
        }
    }
    let accepted: Vec<(usize, String)> = potential
        .iter()
        .filter(|(index, _, name)| {
            colliding.contains(index) && counts.get(name.as_str()).copied() == Some(1)
        })
        .map(|(index, description, _)| (*index, description.clone()))
        .collect();
    for (index, description) in accepted {
        if let Some(entry) = allow.get_mut(index).and_then(Value::as_object_mut) {
            entry.insert("description".into(), Value::from(description));
        }
    }
}

/// Whether the raw entry could be a host rule without a description: a host (`host_of`, the
/// core's test of a host rule) and no non-empty string `description`. Entries that are not
/// objects are refused before the mutation (`shape.rs`); any other entry the parsed test counts
/// is counted here.
fn may_be_undescribed_host_rule(entry: &Value) -> bool {
    let Some(entry) = entry.as_object() else {
        return false;
    };
    let described = entry
        .get("description")
        .and_then(Value::as_str)
        .is_some_and(|d| !d.is_empty());
    host_of(entry).is_some() && !described
}

fn has_description(allow: &Allow) -> bool {
    allow.description.as_deref().is_some_and(|d| !d.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn package(allow: Value) -> Value {
        json!({
            "apiVersion": "uds.dev/v1alpha1",
            "kind": "Package",
            "metadata": {"name": "app", "namespace": "app"},
            "spec": {"network": {"allow": allow}}
        })
    }

    fn mutated(object: &Value) -> Value {
        let mut copy = object.clone();
        let changed = mutate(&mut copy);
        assert_eq!(changed, copy != *object, "mutate's answer for {object}");
        copy
    }

    fn entry(object: &Value, index: usize) -> &Value {
        &object["spec"]["network"]["allow"][index]
    }

    #[test]
    fn normalises_the_host() {
        for (raw, normal) in [
            ("  API.GitHub.com. ", "api.github.com"),
            ("api.github.com.", "api.github.com"),
            ("Example.COM", "example.com"),
            // Its normal form `.` would normalise to nothing, so a second pass keeps it.
            ("..", "."),
        ] {
            let out = mutated(&package(
                json!([{"direction": "Egress", "remoteHost": raw}]),
            ));
            assert_eq!(entry(&out, 0)["remoteHost"], normal, "{raw}");
        }
    }

    #[test]
    fn a_host_that_would_normalise_twice_is_left_alone() {
        for raw in ["a.com..", " a.com . ", "A.COM.\t."] {
            let out = mutated(&package(
                json!([{"direction": "Egress", "remoteHost": raw}]),
            ));
            assert_eq!(entry(&out, 0)["remoteHost"], raw);
        }
    }

    #[test]
    fn a_host_that_would_become_empty_is_left_alone() {
        for raw in ["   ", ".", " . "] {
            let out = mutated(&package(
                json!([{"direction": "Egress", "remoteHost": raw}]),
            ));
            assert_eq!(entry(&out, 0)["remoteHost"], raw);
        }
    }

    #[test]
    fn writes_protocol_and_default_port() {
        let out = mutated(&package(json!([
            {"direction": "Egress", "remoteHost": "a.com"},
            {"direction": "Egress", "remoteHost": "b.com", "remoteProtocol": "HTTP", "description": "b"},
            {"direction": "Egress", "remoteHost": "c.com", "ports": [], "description": "c"},
            {"direction": "Egress", "remoteHost": "d.com", "remoteProtocol": null, "port": null, "description": "d"}
        ])));
        assert_eq!(entry(&out, 0)["remoteProtocol"], "TLS");
        assert_eq!(entry(&out, 0)["port"], 443);
        assert_eq!(entry(&out, 1)["remoteProtocol"], "HTTP");
        assert_eq!(entry(&out, 1)["port"], 80);
        assert_eq!(entry(&out, 2)["port"], 443);
        assert_eq!(entry(&out, 2)["ports"], json!([]));
        assert_eq!(entry(&out, 3)["remoteProtocol"], "TLS");
        assert_eq!(entry(&out, 3)["port"], 443);
    }

    #[test]
    fn never_changes_ports_the_user_gave() {
        let out = mutated(&package(json!([
            {"direction": "Egress", "remoteHost": "a.com", "port": 8443, "description": "a"},
            {"direction": "Egress", "remoteHost": "b.com", "ports": [443, 9443], "description": "b"},
            {"direction": "Egress", "remoteHost": "c.com", "ports": "443", "description": "c"}
        ])));
        assert_eq!(entry(&out, 0)["port"], 8443);
        assert!(entry(&out, 1).get("port").is_none());
        assert!(entry(&out, 2).get("port").is_none());
    }

    #[test]
    fn leaves_entries_that_are_not_host_rules_alone() {
        let original = package(json!([
            {"direction": "Egress", "remoteGenerated": "KubeAPI"},
            {"direction": "Ingress", "remoteNamespace": "monitoring", "port": 9090},
            {"direction": "Egress", "remoteHost": ""}
        ]));
        assert_eq!(mutated(&original), original);
    }

    #[test]
    fn leaves_an_unknown_protocol_for_validation() {
        let out = mutated(&package(
            json!([{"direction": "Egress", "remoteHost": "a.com", "remoteProtocol": "tls"}]),
        ));
        assert_eq!(entry(&out, 0)["remoteProtocol"], "tls");
        assert!(entry(&out, 0).get("port").is_none());
    }

    #[test]
    fn migrates_deprecated_labels() {
        let out = mutated(&package(json!([
            {"direction": "Egress", "selector": {"a": "1"}, "podLabels": {"app": "x"},
             "remotePodLabels": {"app": "y"}, "remoteNamespace": "ns"},
            {"direction": "Egress", "podLabels": "not a map", "remoteNamespace": "ns"}
        ])));
        assert_eq!(entry(&out, 0)["selector"], json!({"app": "x"}));
        assert_eq!(entry(&out, 0)["remoteSelector"], json!({"app": "y"}));
        assert!(entry(&out, 0).get("podLabels").is_none());
        assert!(entry(&out, 0).get("remotePodLabels").is_none());
        assert_eq!(entry(&out, 1)["podLabels"], "not a map");
    }

    #[test]
    fn describes_host_rules_that_would_share_a_network_policy() {
        let out = mutated(&package(json!([
            {"direction": "Egress", "selector": {"app": "curl"}, "remoteHost": "api.github.com"},
            {"direction": "Egress", "selector": {"app": "curl"}, "remoteHost": "example.com", "remoteProtocol": "HTTP"},
            {"direction": "Egress", "selector": {"app": "other"}, "remoteHost": "solo.com"}
        ])));
        assert_eq!(entry(&out, 0)["description"], "api.github.com 443 egress");
        assert_eq!(entry(&out, 1)["description"], "example.com 80 egress");
        assert!(entry(&out, 2).get("description").is_none());
    }

    #[test]
    fn uses_the_first_port_after_defaulting() {
        let out = mutated(&package(json!([
            {"direction": "Egress", "remoteHost": "a.com", "ports": [8443, 443]},
            {"direction": "Egress", "remoteHost": "a.com", "port": 9443}
        ])));
        assert_eq!(entry(&out, 0)["description"], "a.com 8443 egress");
        assert_eq!(entry(&out, 1)["description"], "a.com 9443 egress");
    }

    #[test]
    fn true_duplicates_stay_undescribed() {
        let out = mutated(&package(json!([
            {"direction": "Egress", "remoteHost": "a.com"},
            {"direction": "Egress", "remoteHost": "A.com."},
            {"direction": "Egress", "remoteHost": "b.com"}
        ])));
        assert!(entry(&out, 0).get("description").is_none());
        assert!(entry(&out, 1).get("description").is_none());
        assert_eq!(entry(&out, 2)["description"], "b.com 443 egress");
    }

    #[test]
    fn does_not_take_a_name_the_user_already_uses() {
        let out = mutated(&package(json!([
            {"direction": "Egress", "remoteHost": "x.com", "description": "a.com 443 egress"},
            {"direction": "Egress", "remoteHost": "a.com"},
            {"direction": "Egress", "remoteHost": "b.com"}
        ])));
        assert!(entry(&out, 1).get("description").is_none());
        assert_eq!(entry(&out, 2)["description"], "b.com 443 egress");
    }

    #[test]
    fn a_proposal_that_clashes_with_a_rule_outside_the_collision_stays_undescribed() {
        // allow[0], [1], [4] and [5] collide (TCP name; [4] and [5] are true duplicates);
        // allow[2] and allow[3] collide (UDP name). allow[1] and allow[2] would both become
        // "a.com 443 egress": neither is described, and a second pass, where allow[2] no longer
        // collides but allow[1] still does, must not describe allow[1] either.
        let original = package(json!([
            {"direction": "Egress", "remoteHost": "b.com"},
            {"direction": "Egress", "remoteHost": "a.com"},
            {"direction": "Egress", "remoteHost": "a.com", "remoteProtocol": "UDP", "port": 443},
            {"direction": "Egress", "remoteHost": "c.com", "remoteProtocol": "UDP", "port": 443},
            {"direction": "Egress", "remoteHost": "d.com"},
            {"direction": "Egress", "remoteHost": "d.com"}
        ]));
        let once = mutated(&original);
        let described: Vec<Option<&str>> = (0..6)
            .map(|i| entry(&once, i).get("description").and_then(Value::as_str))
            .collect();
        assert_eq!(
            described,
            [
                Some("b.com 443 egress"),
                None,
                None,
                Some("c.com 443 egress"),
                None,
                None
            ]
        );
        assert_eq!(mutated(&once), once);
    }

    #[test]
    fn is_idempotent() {
        let original = package(json!([
            {"direction": "Egress", "podLabels": {"app": "curl"}, "remoteHost": " API.github.com. "},
            {"direction": "Egress", "selector": {"app": "curl"}, "remoteHost": "example.com", "ports": []},
            {"direction": "Egress", "remoteHost": "plain.com", "remoteProtocol": "HTTP"},
            {"direction": "Egress", "remoteGenerated": "Anywhere"}
        ]));
        let once = mutated(&original);
        assert_ne!(once, original);
        assert_eq!(mutated(&once), once);
    }

    #[test]
    fn keeps_status_and_unknown_fields() {
        let mut original = package(
            json!([{"direction": "Egress", "remoteHost": "A.com", "futureField": {"x": 1}}]),
        );
        original["status"] = json!({"phase": "Ready", "endpoints": ["a"]});
        original["spec"]["sso"] = json!([{"name": "x"}]);
        original["metadata"]["annotations"] = json!({"keep": "me"});
        let out = mutated(&original);
        assert_eq!(out["status"], original["status"]);
        assert_eq!(out["spec"]["sso"], original["spec"]["sso"]);
        assert_eq!(out["metadata"], original["metadata"]);
        assert_eq!(entry(&out, 0)["futureField"], json!({"x": 1}));
        assert_eq!(entry(&out, 0)["remoteHost"], "a.com");
    }

    #[test]
    fn tolerates_any_shape() {
        for odd in [
            json!(null),
            json!([1, 2]),
            json!({"spec": []}),
            json!({"spec": {"network": {"allow": {"a": 1}}}}),
            json!({"spec": {"network": {"allow": [1, "x", null, []]}}}),
            json!({"metadata": {"name": 7}, "spec": {"network": {"allow": [{"remoteHost": 5}]}}}),
        ] {
            assert_eq!(mutated(&odd), odd);
        }
    }
}
