//! (b) Structure-aware: generated plausible-but-wrong Packages (see `generator.rs`) through the
//! policy's validation and mutation. Oracles: no panic; rejections have messages; an admitted and
//! mutated Package comes back unchanged from a second pass; the mutation is idempotent on any
//! object.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use uds_egress_fuzz::cluster::FuzzCluster;
use uds_egress_fuzz::generator::{Package, Settings, validate_payload};
use uds_egress_fuzz::oracles::check_verdict;
use uds_egress_policy::mutate::mutate;
use uds_egress_policy::validate::evaluate;
use uds_egress_policy::verdict::Verdict;

#[derive(Arbitrary, Debug)]
struct Input {
    package: Package,
    settings: Settings,
    update: bool,
}

/// Enough for the 10,000 rules of the issue.
const MAX_RULES: usize = 10_000;
/// Largest object whose mutation is checked for idempotence: hundreds of rules.
const MAX_MUTATED_BYTES: usize = 64 * 1024;

fuzz_target!(|input: Input| {
    let object = input.package.json(MAX_RULES).text();
    let settings = input.settings.json().text();
    let operation = if input.update { "UPDATE" } else { "CREATE" };
    let cluster = FuzzCluster { failing: false };

    let verdict = evaluate(
        validate_payload(&object, &settings, operation).as_bytes(),
        &cluster,
    );
    check_verdict(&verdict);
    if let Verdict::Accept {
        mutated: Some(once),
        ..
    } = &verdict
    {
        let again = evaluate(
            validate_payload(&once.to_string(), &settings, operation).as_bytes(),
            &cluster,
        );
        assert!(
            matches!(again, Verdict::Accept { mutated: None, .. }),
            "a second pass over the mutated object gave {again:?}"
        );
    }

    // With thousands of rules this pass would dominate the target's time without reaching new
    // code (the evaluation above covers the cap), so large objects skip it.
    let parsed = (object.len() <= MAX_MUTATED_BYTES)
        .then(|| serde_json::from_str::<Value>(&object).ok())
        .flatten();
    if let Some(mut value) = parsed {
        let before = value.clone();
        let changed = mutate(&mut value);
        assert_eq!(changed, value != before, "mutate's answer is wrong");
        let once = value.clone();
        assert!(!mutate(&mut value), "the mutation is not idempotent");
        assert_eq!(value, once, "the mutation is not idempotent");
    }
});
