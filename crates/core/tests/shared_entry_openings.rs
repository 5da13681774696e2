//! The policy's shared-reach warning rule (`shared_entry_openings`, from the Packages alone)
//! against the full reach analysis (`opened_for_others`, which renders both versions and derives
//! every workload's reach), on random clusters with shared hosts:
//! - equal for the `shared-entry` reason, whether the others are all Packages, only those the
//!   policy keeps (`ConflictScope`), or masked as the policy's list asks the host to send them;
//! - for a sidecar-mode Package, no other reason opens anything, so the rule is the whole warning;
//! - for an ambient Package, what opens for others is only `Anywhere` entries reaching, through
//!   the waypoint, a port they already reach directly: why ambient Packages get no warning.

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use uds_egress_core::parse::package_from_value;
use uds_egress_core::reach::openings::opened_for_others;
use uds_egress_core::reach::shared_entry_openings::{Opening, shared_entry_openings};
use uds_egress_core::reach::workload::is_anywhere;
use uds_egress_core::reach::{PackageRef, ReasonKind};
use uds_egress_core::rules::conflict_scope::ConflictScope;
use uds_egress_core::{Mode, Package, RuleConfig, desired_state};

/// Four hosts with a fixed protocol each, so that no two rules conflict.
const HOSTS: [(&str, &str); 4] = [
    ("a.example.com", "TLS"),
    ("b.example.com", "HTTP"),
    ("c.example.com", "TLS"),
    ("d.example.com", "TLS"),
];

#[derive(Clone, Debug)]
enum Ports {
    Default,
    One(u16),
    Two(u16, u16),
}

#[derive(Clone, Debug)]
struct Entry {
    /// `None`: `remoteGenerated: Anywhere`.
    host: Option<usize>,
    ports: Ports,
    selector: Option<u8>,
    service_account: Option<u8>,
}

#[derive(Clone, Debug)]
struct Spec {
    sidecar: bool,
    entries: Vec<Entry>,
}

fn ports() -> impl Strategy<Value = Ports> {
    let port = prop::sample::select(vec![80u16, 443, 8443]);
    prop_oneof![
        2 => Just(Ports::Default),
        3 => port.clone().prop_map(Ports::One),
        1 => (port.clone(), port).prop_filter("two ports", |(a, b)| a != b).prop_map(|(a, b)| Ports::Two(a, b)),
    ]
}

fn entry() -> impl Strategy<Value = Entry> {
    (
        prop::option::weighted(0.88, 0usize..HOSTS.len()),
        ports(),
        prop::option::of(0u8..2),
        prop::option::of(0u8..2),
    )
        .prop_map(|(host, ports, selector, service_account)| Entry {
            host,
            ports,
            selector,
            service_account,
        })
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        prop::bool::weighted(0.75),
        prop::collection::vec(entry(), 1..4),
    )
        .prop_map(|(sidecar, entries)| Spec { sidecar, entries })
}

/// The Package's JSON: `Egress` entries with distinct descriptions (distinct NetworkPolicy
/// names), as the policy admits them.
fn package_json(namespace: &str, spec: &Spec) -> Value {
    let allow: Vec<Value> = spec
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut entry = json!({
                "direction": "Egress",
                "description": format!("rule {}", char::from(b'a' + i as u8)),
            });
            if let Some(s) = e.selector {
                entry["selector"] = json!({"app": format!("app-{}", char::from(b'a' + s))});
            }
            if !spec.sidecar
                && let Some(sa) = e.service_account
            {
                entry["serviceAccount"] = json!(format!("sa-{}", char::from(b'a' + sa)));
            }
            match e.host.and_then(|h| HOSTS.get(h)) {
                Some((host, protocol)) => {
                    entry["remoteHost"] = json!(host);
                    entry["remoteProtocol"] = json!(protocol);
                }
                None => entry["remoteGenerated"] = json!("Anywhere"),
            }
            match e.ports {
                Ports::Default => {}
                Ports::One(port) => entry["port"] = json!(port),
                Ports::Two(a, b) => entry["ports"] = json!([a, b]),
            }
            entry
        })
        .collect();
    let mode = if spec.sidecar { "sidecar" } else { "ambient" };
    json!({
        "metadata": {"name": format!("p-{namespace}"), "namespace": namespace},
        "spec": {"network": {"serviceMesh": {"mode": mode}, "allow": allow}}
    })
}

/// The fields the policy's Package list asks the host for (`src/cluster.rs`, whose test checks
/// that these are among them), nothing else.
fn masked(package: &Value) -> Value {
    let keep = |value: &Value, keys: &[&str]| -> Value {
        let mut out = Map::new();
        for key in keys {
            if let Some(v) = value.get(*key) {
                out.insert((*key).to_string(), v.clone());
            }
        }
        Value::Object(out)
    };
    let allow: Vec<Value> = package["spec"]["network"]["allow"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|entry| {
            keep(
                entry,
                &[
                    "direction",
                    "remoteGenerated",
                    "remoteHost",
                    "remoteProtocol",
                    "port",
                    "ports",
                ],
            )
        })
        .collect();
    json!({
        "metadata": keep(&package["metadata"], &["name", "namespace", "deletionTimestamp"]),
        "spec": {"network": {"serviceMesh": package["spec"]["network"]["serviceMesh"].clone(), "allow": allow}}
    })
}

fn parse(value: &Value) -> Package {
    package_from_value(value).unwrap()
}

#[derive(Debug)]
struct Case {
    others: Vec<Value>,
    stored: Option<Value>,
    new: Value,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(spec(), 1..6),
        prop::option::of(spec()),
        spec(),
    )
        .prop_map(|(others, stored, new)| Case {
            others: others
                .iter()
                .enumerate()
                .map(|(i, s)| package_json(&format!("ns{i}"), s))
                .collect(),
            stored: stored.map(|s| package_json("subject", &s)),
            new: package_json("subject", &new),
        })
}

/// A gateway that exposes every port the cases use.
fn config() -> RuleConfig {
    RuleConfig {
        gateway_ports: vec![80, 443, 8443],
        ..RuleConfig::default()
    }
}

/// The full analysis's openings for the reasons `through`, after checking that both versions
/// of the cluster are admitted whole (else the comparison would be about refusals).
fn analysed(case: &Case, through: &[ReasonKind]) -> Vec<Opening> {
    let others: Vec<Package> = case.others.iter().map(parse).collect();
    let mut before = others.clone();
    before.extend(case.stored.as_ref().map(parse));
    let mut after = others;
    after.push(parse(&case.new));
    for set in [&before, &after] {
        let state = desired_state(set, &config());
        assert!(state.refused.is_empty(), "{:?}", state.refused);
    }
    let subject = PackageRef::of(&parse(&case.new));
    opened_for_others(&before, &after, &subject, &config(), through)
}

/// The rule's openings in the analysis's order (by host, port, protocol); the rule lists them
/// in the order the Package declares them.
fn direct(package: &Package, stored: Option<&Package>, others: &[Package]) -> Vec<Opening> {
    let mut openings = shared_entry_openings(package, stored, others);
    openings.sort_by(|a, b| (&a.host, a.port, &a.protocol).cmp(&(&b.host, b.port, &b.protocol)));
    openings
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn the_rule_equals_the_analysis_for_shared_entries(case in case()) {
        let expected = analysed(&case, &[ReasonKind::SharedEntry]);
        let new = parse(&case.new);
        let stored = case.stored.as_ref().map(parse);
        let others: Vec<Package> = case.others.iter().map(parse).collect();
        prop_assert_eq!(&direct(&new, stored.as_ref(), &others), &expected);
        // The order of the others changes nothing, not even the order of the openings.
        let mut reversed = others.clone();
        reversed.reverse();
        prop_assert_eq!(
            shared_entry_openings(&new, stored.as_ref(), &reversed),
            shared_entry_openings(&new, stored.as_ref(), &others)
        );

        // What the policy passes: the Packages in scope, as the masked list sends them.
        let scope = ConflictScope::of(&new);
        let in_scope: Vec<Package> = others.iter().filter(|o| scope.touches(o)).cloned().collect();
        prop_assert_eq!(&direct(&new, stored.as_ref(), &in_scope), &expected);
        let masked_others: Vec<Package> = case.others.iter().map(|o| parse(&masked(o))).collect();
        let masked_stored = case.stored.as_ref().map(|s| parse(&masked(s)));
        prop_assert_eq!(
            &direct(&new, masked_stored.as_ref(), &masked_others),
            &expected
        );
    }

    #[test]
    fn nothing_else_opens_for_others(case in case()) {
        let new = parse(&case.new);
        let others = analysed(&case, &[ReasonKind::Anywhere, ReasonKind::OpenWaypoint]);
        if new.mode() == Mode::Sidecar {
            prop_assert_eq!(&others, &Vec::new());
            return Ok(());
        }
        prop_assert!(analysed(&case, &[ReasonKind::OpenWaypoint]).is_empty());
        // Ambient: each Package that gains a target has an `Anywhere` entry on its port.
        for opening in &others {
            for gaining in &opening.packages {
                let package = case
                    .others
                    .iter()
                    .map(parse)
                    .find(|p| &PackageRef::of(p) == gaining)
                    .unwrap();
                let direct = package.allow().iter().filter(|a| is_anywhere(a)).any(|a| {
                    let ports: Vec<u16> = a
                        .ports
                        .iter()
                        .flatten()
                        .chain(a.port.iter())
                        .map(|p| p.get())
                        .collect();
                    ports.is_empty() || ports.contains(&opening.port)
                });
                prop_assert!(direct, "{gaining} gains {}:{} without Anywhere", opening.host, opening.port);
            }
        }
    }
}

/// A hand-checked case: the new 8443 on a shared host is named for the Package whose other rule
/// opens 8443 to the gateway, not for the one that only uses 443.
#[test]
fn a_new_port_on_a_shared_host_opens_it_for_packages_that_may_connect_on_it() {
    let rule = |host: &str, port: u16| {
        json!({"direction": "Egress", "selector": {"app": "x"}, "remoteHost": host,
               "remoteProtocol": "TLS", "port": port, "description": format!("{host} {port}")})
    };
    let pkg = |namespace: &str, allow: Vec<Value>| {
        parse(&json!({
            "metadata": {"name": namespace, "namespace": namespace},
            "spec": {"network": {"serviceMesh": {"mode": "sidecar"}, "allow": allow}}
        }))
    };
    let docs = pkg(
        "docs",
        vec![rule("api.github.com", 443), rule("git.example.com", 8443)],
    );
    let web = pkg("web", vec![rule("api.github.com", 443)]);
    let subject = pkg("ci", vec![rule("api.github.com", 8443)]);
    let got = shared_entry_openings(&subject, None, &[docs.clone(), web.clone()]);
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].host.as_str(), got[0].port, got[0].protocol.as_str()),
        ("api.github.com", 8443, "TLS")
    );
    assert_eq!(got[0].packages, vec![PackageRef::of(&docs)]);
    // Stored with that rule already: nothing new.
    assert!(shared_entry_openings(&subject, Some(&subject), &[docs, web]).is_empty());
}
