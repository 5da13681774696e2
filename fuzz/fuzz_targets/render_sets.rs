//! (c) The renderer on arbitrary sets of generated Packages: `desired_state` and its JSON
//! serialisation (the YAML-free form). Oracles: no panic; every object valid for the API server
//! and unique; the output does not depend on the input order (each Package has a distinct
//! creationTimestamp, so conflicts resolve the same way in any order).
//!
//! Packages whose `metadata.name` or `metadata.namespace` the API server would not store (not a
//! DNS-1123 subdomain, resp. label) are left out: the core does not check them, and `render`
//! would place objects in such a namespace (reported; see fuzz/README.md).

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use uds_egress_core::parse::package_from_value;
use uds_egress_core::{Package, RuleConfig, desired_state};
use uds_egress_fuzz::generator::Package as GenPackage;
use uds_egress_fuzz::k8s_names::{is_dns1123_label, is_dns1123_subdomain};
use uds_egress_fuzz::oracles::check_render;

#[derive(Arbitrary, Debug)]
struct Input {
    packages: Vec<GenPackage>,
    gateway_ports: Vec<u16>,
    deny_http: bool,
}

const MAX_PACKAGES: usize = 8;
const MAX_RULES: usize = 100;

fuzz_target!(|input: Input| {
    let packages: Vec<Package> = input
        .packages
        .iter()
        .take(MAX_PACKAGES)
        .enumerate()
        .filter_map(|(i, generated)| {
            let mut value: Value = serde_json::from_str(&generated.json(MAX_RULES).text()).ok()?;
            if let Some(metadata) = value.get_mut("metadata").and_then(Value::as_object_mut) {
                metadata.insert(
                    "creationTimestamp".into(),
                    json!(format!("2024-01-01T00:00:{i:02}Z")),
                );
            }
            package_from_value(&value)
                .ok()
                .filter(|p| is_dns1123_subdomain(p.name()) && is_dns1123_label(p.namespace()))
        })
        .collect();
    let mut config = RuleConfig {
        deny_http: input.deny_http,
        ..RuleConfig::default()
    };
    config
        .gateway_ports
        .extend(input.gateway_ports.iter().take(4));

    let state = desired_state(&packages, &config);
    check_render(&state);
    let reversed: Vec<Package> = packages.iter().rev().cloned().collect();
    let other = desired_state(&reversed, &config);
    assert_eq!(
        serde_json::to_string(&state.objects).ok(),
        serde_json::to_string(&other.objects).ok(),
        "the output depends on the input order"
    );
});
