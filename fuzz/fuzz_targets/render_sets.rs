//! (c) The renderer on arbitrary sets of generated Packages, on `render`'s own path: each
//! Package's text through the plan library's reader (`input::parse_documents`, `input::packages`,
//! `overlay`), `desired_state`, and the YAML the binary prints (`output::write_yaml`). Oracles: no
//! panic; every object valid for the API server and unique; the printed YAML reads back as the
//! same objects; the output does not depend on the input order (each Package has a distinct
//! creationTimestamp, so conflicts resolve the same way in any order).
//!
//! Packages whose `metadata.name` or `metadata.namespace` the API server would not store (not a
//! DNS-1123 subdomain, resp. label) are left out: the core does not check them, and `render`
//! would place objects in such a namespace (reported; see fuzz/README.md).

#![no_main]

use std::collections::HashSet;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use uds_egress_core::{Package, RuleConfig, desired_state};
use uds_egress_fuzz::generator::Package as GenPackage;
use uds_egress_fuzz::k8s_names::{is_dns1123_label, is_dns1123_subdomain};
use uds_egress_fuzz::oracles::{check_render, check_yaml_round_trip};
use uds_egress_plan::input::{PackageInput, packages, parse_documents};
use uds_egress_plan::overlay::overlay;

#[derive(Arbitrary, Debug)]
struct Input {
    packages: Vec<GenPackage>,
    gateway_ports: Vec<u16>,
    deny_http: bool,
}

const MAX_PACKAGES: usize = 8;
const MAX_RULES: usize = 100;

/// The generated Package `i` as `render` reads a file holding it: `None` when its text is not
/// one readable Package with names the API server would store.
fn read_package(i: usize, generated: &GenPackage) -> Option<PackageInput> {
    let mut value: Value = serde_json::from_str(&generated.json(MAX_RULES).text()).ok()?;
    if let Some(metadata) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.insert(
            "creationTimestamp".into(),
            json!(format!("2024-01-01T00:00:{i:02}Z")),
        );
    }
    let text = serde_json::to_string(&value).ok()?;
    let documents = parse_documents(&format!("package-{i}.json"), &text).ok()?;
    let input = packages(documents, &mut Vec::new()).into_iter().next()?;
    let valid = input
        .package
        .as_ref()
        .is_ok_and(|p| is_dns1123_subdomain(p.name()) && is_dns1123_label(p.namespace()));
    valid.then_some(input)
}

/// The Packages of the readable inputs, as `render` overlays them (every input here parsed).
fn overlaid(inputs: Vec<PackageInput>) -> Vec<Package> {
    overlay(inputs).unwrap_or_else(|problems| panic!("readable Packages refused: {problems:?}"))
}

fuzz_target!(|input: Input| {
    // One input per namespace and name: `overlay` lets a later copy replace an earlier one, so
    // with two copies the reversed set would be another set, not the same one in another order.
    let read = || -> Vec<PackageInput> {
        let mut seen = HashSet::new();
        input
            .packages
            .iter()
            .take(MAX_PACKAGES)
            .enumerate()
            .filter_map(|(i, generated)| read_package(i, generated))
            .filter(|input| {
                let id = input
                    .package
                    .as_ref()
                    .map(|p| (p.namespace().to_string(), p.name().to_string()));
                id.is_ok_and(|id| seen.insert(id))
            })
            .collect()
    };
    let packages = overlaid(read());
    let mut config = RuleConfig {
        deny_http: input.deny_http,
        ..RuleConfig::default()
    };
    config
        .gateway_ports
        .extend(input.gateway_ports.iter().take(4));

    let state = desired_state(&packages, &config);
    check_render(&state);
    check_yaml_round_trip(&state);
    let reversed = overlaid(read().into_iter().rev().collect());
    let other = desired_state(&reversed, &config);
    assert_eq!(
        serde_json::to_string(&state.objects).ok(),
        serde_json::to_string(&other.objects).ok(),
        "the output depends on the input order"
    );
});
