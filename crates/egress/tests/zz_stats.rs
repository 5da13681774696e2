mod support;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use std::collections::BTreeMap;
use uds_egress_core::parse::package_from_value;
use uds_egress_core::{RuleConfig, desired_state};
#[test]
fn stats() {
    let mut runner = TestRunner::default();
    let strat = support::strategies::package_set(5, 6);
    let (mut parsed, mut total, mut admitted, mut objects) = (0, 0, 0, 0);
    let mut codes: BTreeMap<String, usize> = BTreeMap::new();
    let mut parse_errs: BTreeMap<String, usize> = BTreeMap::new();
    for _ in 0..512 {
        let set = strat.new_tree(&mut runner).unwrap().current();
        total += set.len();
        let pk: Vec<_> = set.iter().filter_map(|v| match package_from_value(v) { Ok(p) => Some(p), Err(e) => { *parse_errs.entry(e.message.chars().take(40).collect()).or_default() += 1; None } }).collect();
        parsed += pk.len();
        let st = desired_state(&pk, &RuleConfig { gateway_ports: vec![80, 443, 8443], ..RuleConfig::default() });
        admitted += pk.len() - st.refused.len();
        objects += st.objects.len();
        for r in &st.refused { for v in r.violations.iter().take(1) { *codes.entry(v.code.as_str().to_string()).or_default() += 1; } }
    }
    println!("total {total} parsed {parsed} admitted {admitted} objects {objects}");
    println!("{codes:#?}");
    println!("{parse_errs:#?}");
}
