//! Property: the desired state is a function of the *set* of Packages. Any permutation of a
//! conflict-free input renders byte-identical output, and rendering twice is identical.

use proptest::prelude::*;
use serde_json::{Value, json};
use uds_egress_core::parse::package_from_value;
use uds_egress_core::{Package, RuleConfig, desired_state};

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

fn rendered(packages: &[Package]) -> String {
    let state = desired_state(packages, &RuleConfig::default());
    assert!(
        state.refused.is_empty(),
        "generated sets are valid: {:?}",
        state.refused
    );
    serde_json::to_string(&state.objects).expect("objects serialise")
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
}
