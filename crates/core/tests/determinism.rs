//! Property: the desired state is a function of the *set* of Packages. Any permutation of a
//! conflict-free input renders byte-identical output, and rendering twice is identical. On the
//! same sets: the objects come sorted by key, each once, and the waypoint lists exactly the
//! ambient Packages with a host rule (semantics §3.3).

use proptest::prelude::*;
use serde_json::{Value, json};
use uds_egress_core::parse::package_from_value;
use uds_egress_core::{DesiredState, Package, RuleConfig, desired_state};

const HOSTS: &[&str] = &[
    "api.github.com",
    "github.com",
    "api.stripe.com",
    "deb.debian.org",
    "fonts.gstatic.com",
    "intake.example-vendor.io",
];

/// Each host has one protocol everywhere, so generated sets never conflict across Packages.
fn protocol_of(host_index: usize) -> &'static str {
    if host_index.is_multiple_of(3) {
        "HTTP"
    } else {
        "TLS"
    }
}

fn rule(host_index: usize, port: u16, with_selector: bool, description: String) -> Value {
    let mut entry = json!({
        "direction": "Egress",
        "description": description,
        "remoteHost": HOSTS[host_index],
        "remoteProtocol": protocol_of(host_index),
        "port": port,
    });
    if with_selector {
        // A letter, not a digit: the sanitiser strips trailing digits, so `app-3` and `app-5`
        // would name one Sidecar (refused as a local name collision).
        entry["selector"] = json!({"app": format!("app-{}", char::from(b'a' + host_index as u8))});
    }
    entry
}

fn package_strategy(index: usize) -> impl Strategy<Value = Value> {
    (
        any::<bool>(),
        prop::collection::vec(
            (
                0..HOSTS.len(),
                prop::sample::select(vec![80u16, 443]),
                any::<bool>(),
            ),
            0..4,
        ),
        any::<bool>(),
    )
        .prop_map(move |(sidecar, rules, anywhere)| {
            let mut allow: Vec<Value> = rules
                .into_iter()
                .enumerate()
                .map(|(i, (host, port, sel))| {
                    rule(
                        host,
                        port,
                        sel,
                        format!("rule {}", char::from(b'a' + i as u8)),
                    )
                })
                .collect();
            if anywhere {
                let mut entry = json!({"direction": "Egress", "description": "anywhere",
                    "remoteGenerated": "Anywhere", "port": 443});
                // serviceAccount is only valid in ambient mode (A10).
                if !sidecar {
                    entry["serviceAccount"] = json!("probe");
                }
                allow.push(entry);
            }
            json!({
                "apiVersion": "uds.dev/v1alpha1",
                "kind": "Package",
                "metadata": {"name": format!("pkg-{index}"), "namespace": format!("ns-{index}"),
                             "uid": format!("uid-{index}"), "generation": index + 1},
                "spec": {"network": {
                    "serviceMesh": {"mode": if sidecar { "sidecar" } else { "ambient" }},
                    "allow": allow}}
            })
        })
}

fn set_strategy() -> impl Strategy<Value = Vec<Value>> {
    (1usize..7).prop_flat_map(|n| (0..n).map(package_strategy).collect::<Vec<_>>())
}

fn admitted(packages: &[Package]) -> DesiredState {
    let state = desired_state(packages, &RuleConfig::default());
    assert!(
        state.refused.is_empty(),
        "generated sets are valid: {:?}",
        state.refused
    );
    state
}

fn rendered(packages: &[Package]) -> String {
    serde_json::to_string(&admitted(packages).objects).expect("objects serialise")
}

/// The waypoint's annotation keys, or `None` when there is no waypoint.
fn waypoint_annotations(state: &DesiredState) -> Option<Vec<String>> {
    let waypoint = state.objects.iter().find(|o| {
        o.key.namespace == "istio-egress-ambient"
            && o.key.kind == "Gateway"
            && o.key.name == "egress-waypoint"
    })?;
    let annotations = waypoint.manifest["metadata"]["annotations"].as_object();
    Some(
        annotations
            .into_iter()
            .flat_map(|m| m.keys().cloned())
            .collect(),
    )
}

/// The expectation, read off the generated input: ambient Packages with a `remoteHost` entry,
/// by namespace (`ns-<index>` with index below 10, so input order is namespace order).
fn ambient_packages_with_hosts(set: &[Value]) -> Vec<String> {
    set.iter()
        .filter(|p| p["spec"]["network"]["serviceMesh"]["mode"] == "ambient")
        .filter(|p| {
            let allow = p["spec"]["network"]["allow"].as_array();
            allow
                .into_iter()
                .flatten()
                .any(|a| a["remoteHost"].is_string())
        })
        .map(|p| {
            let (name, ns) = (&p["metadata"]["name"], &p["metadata"]["namespace"]);
            format!(
                "uds.dev/user-{}-{}",
                name.as_str().unwrap(),
                ns.as_str().unwrap()
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_permutation_renders_identically(
        set in set_strategy(),
        seed in any::<u64>(),
    ) {
        let packages: Vec<Package> = set.iter().map(|v| package_from_value(v).expect("parses")).collect();
        let first = rendered(&packages);
        prop_assert_eq!(&first, &rendered(&packages), "rendering twice");

        let mut shuffled = packages.clone();
        // A seeded Fisher-Yates shuffle: proptest shrinks the seed, not the permutation.
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(first, rendered(&shuffled));
    }

    /// `desired_objects` merges each namespace's own objects with the shared ones as they are
    /// made; merged wrongly, a shared object (`istio-egress-*`) would follow a Package's
    /// (`ns-*`), or two runs would overlap.
    #[test]
    fn objects_come_in_strictly_increasing_key_order(set in set_strategy()) {
        let packages: Vec<Package> = set.iter().map(|v| package_from_value(v).expect("parses")).collect();
        let state = admitted(&packages);
        for pair in state.objects.windows(2) {
            prop_assert!(pair[0].key < pair[1].key, "{} before {}", pair[0].key, pair[1].key);
        }
    }

    #[test]
    fn waypoint_annotations_are_the_ambient_packages_with_host_rules(set in set_strategy()) {
        let packages: Vec<Package> = set.iter().map(|v| package_from_value(v).expect("parses")).collect();
        let expected = ambient_packages_with_hosts(&set);
        let found = waypoint_annotations(&admitted(&packages));
        if expected.is_empty() {
            prop_assert_eq!(found, None, "no host rule in ambient mode: no waypoint");
        } else {
            prop_assert_eq!(found, Some(expected));
        }
    }
}
