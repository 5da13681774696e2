//! The worked examples of docs/semantics.md (§6) as golden tests: `render` of each input equals UDS
//! Core's objects, apart from the documented differences (§8.1): the managed-by label on every
//! object, and our constant `uds/generation` on shared objects.

mod support;

use serde_json::Value;
use support::{crate_dir, documents, key, run};

const MANAGED_BY: &str = "app.kubernetes.io/managed-by";

/// Checks our §8.1 differences on one object and removes them, so that it compares with UDS Core's.
fn normalise(mut ours: Value, theirs: &Value) -> Value {
    let labels = ours["metadata"]["labels"]
        .as_object_mut()
        .expect("every generated object has labels");
    assert_eq!(
        labels.remove(MANAGED_BY),
        Some(Value::String("uds-egress".into())),
        "managed-by label"
    );
    let shared = labels["uds/package"]
        .as_str()
        .is_some_and(|v| v.starts_with("shared-"));
    if shared {
        assert_eq!(
            labels["uds/generation"], "1",
            "shared generation is constant"
        );
        labels.insert(
            "uds/generation".into(),
            theirs["metadata"]["labels"]["uds/generation"].clone(),
        );
    }
    ours
}

fn check_case(case: &str, extra_args: &[&str]) {
    let dir = crate_dir().join("tests/golden");
    let input = dir.join(format!("{case}-input.yaml"));
    let expected = std::fs::read_to_string(dir.join(format!("{case}-uds-core.yaml"))).unwrap();
    let mut args = vec!["render"];
    args.extend_from_slice(extra_args);
    let input = input.to_string_lossy().into_owned();
    args.push(&input);
    let out = run(&args, None);
    assert_eq!(out.code, 0, "render {case} failed: {}", out.stderr);

    let ours = documents(&out.stdout);
    let theirs = documents(&expected);
    let our_keys: Vec<String> = ours.iter().map(key).collect();
    let mut their_keys: Vec<String> = theirs.iter().map(key).collect();
    // The golden files list UDS Core's objects sorted as render sorts them (docs/semantics.md §6).
    assert_eq!(our_keys, their_keys, "{case}: objects and their order");
    their_keys.sort();
    assert_eq!(
        our_keys, their_keys,
        "{case}: output is sorted by namespace, kind, name"
    );

    for (our, their) in ours.into_iter().zip(theirs.iter()) {
        let name = key(&our);
        assert_eq!(normalise(our, their), *their, "{case}: {name}");
    }
}

/// Not a worked example of §6: a case written from §3.3 (which ambient Packages annotate the
/// waypoint) with the shapes of §6.2.
#[test]
fn section_3_3_only_ambient_packages_with_host_rules_annotate_the_waypoint() {
    check_case("3.3", &[]);
}

#[test]
fn example_6_1_default_protocol_and_port_sidecar() {
    check_case("6.1", &[]);
}

#[test]
fn example_6_2_same_input_ambient() {
    check_case("6.2", &[]);
}

#[test]
fn example_6_3_http_on_port_80_sidecar() {
    check_case("6.3", &[]);
}

#[test]
fn example_6_4_two_ports_with_8443_exposed() {
    check_case("6.4", &["--gateway-ports", "80,443,8443"]);
}

#[test]
fn example_6_4_with_default_gateway_ports_is_refused() {
    let input = crate_dir().join("tests/golden/6.4-input.yaml");
    let out = run(&["render", &input.to_string_lossy()], None);
    assert_eq!(out.code, 1);
    assert!(out.stdout.is_empty(), "nothing half-done on stdout");
    assert!(
        out.stderr.contains(
            "app-ns/app: spec.network.allow[0].ports: Egress gateway does not expose port 8443 \
             for host example.com. Please update the egress gateway service to expose this port."
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn example_6_5_two_packages_share_a_host() {
    check_case("6.5", &[]);
}
