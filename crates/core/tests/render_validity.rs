//! Properties of the rendered desired state over plausible-but-wrong Package sets (odd hosts,
//! unicode, long names, invalid labels, many rules):
//! - every object the API server would be sent is valid: names are DNS-1123 subdomains of at most
//!   253 characters, namespaces DNS-1123 labels, every label key and value, selector and annotation
//!   key valid (checked against the API server's rules, the test kit's `k8s_names`);
//! - no two objects share apiVersion, kind, namespace and name;
//! - the output is a function of the set: rendering twice, or in any order, is identical;
//! - every Package that contributes objects passes the per-Package rules on its own.

use std::collections::{BTreeSet, HashSet};

use proptest::prelude::*;
use serde_json::Value;
use uds_egress_core::parse::package_from_value;
use uds_egress_core::rules::validate_package;
use uds_egress_core::{DesiredState, Package, RuleConfig, desired_state};
use uds_egress_testkit::k8s_names::manifest_problems;
use uds_egress_testkit::strategies::package_set;

/// More gateway ports than the default, so that sidecar-mode rules on 8443 are rendered too.
fn config() -> RuleConfig {
    RuleConfig {
        gateway_ports: vec![80, 443, 8443],
        ..RuleConfig::default()
    }
}

/// The Packages that parse, as `render` would keep them (it refuses the others up front).
fn parsed(set: &[Value]) -> Vec<Package> {
    set.iter()
        .filter_map(|v| package_from_value(v).ok())
        .collect()
}

/// Refusals by identity, for comparing states rendered from different input orders.
fn refused_ids(state: &DesiredState) -> BTreeSet<(String, String, String)> {
    state
        .refused
        .iter()
        .map(|r| {
            let codes: Vec<&str> = r.violations.iter().map(|v| v.code.as_str()).collect();
            (r.namespace.clone(), r.name.clone(), codes.join(","))
        })
        .collect()
}

/// A deterministic shuffle driven by `seed` (proptest shrinks the seed, not the permutation).
fn shuffled<T: Clone>(items: &[T], seed: u64) -> Vec<T> {
    let mut out = items.to_vec();
    let mut state = seed | 1;
    for i in (1..out.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.swap(i, (state % (i as u64 + 1)) as usize);
    }
    out
}

fn check_objects(state: &DesiredState) -> Result<(), TestCaseError> {
    let mut seen = HashSet::new();
    for object in &state.objects {
        let key = &object.key;
        let manifest = &object.manifest;
        prop_assert_eq!(
            manifest["apiVersion"].as_str(),
            Some(key.api_version.as_str())
        );
        prop_assert_eq!(manifest["kind"].as_str(), Some(key.kind.as_str()));
        prop_assert_eq!(
            manifest["metadata"]["name"].as_str(),
            Some(key.name.as_str())
        );
        prop_assert_eq!(
            manifest["metadata"]["namespace"].as_str(),
            Some(key.namespace.as_str())
        );
        let problems = manifest_problems(manifest);
        prop_assert!(problems.is_empty(), "{:#?}\n{:#}", problems, manifest);
        prop_assert!(
            seen.insert((&key.api_version, &key.kind, &key.namespace, &key.name)),
            "two objects are {}",
            key
        );
    }
    Ok(())
}

fn check_set(set: &[Value], seed: u64) -> Result<(), TestCaseError> {
    let packages = parsed(set);
    let config = config();
    let state = desired_state(&packages, &config);
    check_objects(&state)?;
    // The serialised form (what `render` and `run` consume) is total.
    let text = serde_json::to_string(&state).map_err(|e| TestCaseError::fail(e.to_string()))?;

    let again = desired_state(&packages, &config);
    prop_assert_eq!(&text, &serde_json::to_string(&again).unwrap_or_default());

    let other = desired_state(&shuffled(&packages, seed), &config);
    prop_assert_eq!(
        serde_json::to_string(&state.objects).ok(),
        serde_json::to_string(&other.objects).ok()
    );
    prop_assert_eq!(refused_ids(&state), refused_ids(&other));

    let refused: HashSet<usize> = state.refused.iter().map(|r| r.input_index).collect();
    for (i, package) in packages.iter().enumerate() {
        if !refused.contains(&i) {
            let violations = validate_package(package, &config);
            prop_assert!(violations.is_empty(), "admitted with {:?}", violations);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn rendered_objects_are_valid_unique_and_order_independent(
        set in package_set(5, 6),
        seed in any::<u64>(),
    ) {
        check_set(&set, seed)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Many rules per Package: around and beyond the default cap of 64 host rules.
    #[test]
    fn many_rules_render_valid_unique_objects(
        set in package_set(3, 90),
        seed in any::<u64>(),
    ) {
        check_set(&set, seed)?;
    }
}
