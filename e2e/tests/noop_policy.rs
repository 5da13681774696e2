//! The no-op policy through the waPC host: the protocol works end to end with the real SDK.

use std::sync::{Arc, OnceLock};

use serde_json::{Value, json};
use uds_egress_wapc_test_host::{
    HostCalls, HostError, NOOP_POLICY, PolicyHost, PolicyModule, read_admission_request,
};

const PACKAGE_CREATE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/requests/package-create.json"
);

/// Compiled once per test binary; each test gets its own instance.
fn noop_policy() -> PolicyHost {
    static MODULE: OnceLock<PolicyModule> = OnceLock::new();
    let module = MODULE.get_or_init(|| {
        let path = NOOP_POLICY.path().unwrap_or_else(|e| panic!("{e}"));
        PolicyModule::load(path).unwrap_or_else(|e| panic!("{e}"))
    });
    module.instantiate(Arc::new(HostCalls::default())).unwrap()
}

fn package_create() -> Value {
    read_admission_request(PACKAGE_CREATE).unwrap()
}

#[test]
fn speaks_protocol_v1() {
    assert_eq!(noop_policy().protocol_version().unwrap(), "v1");
}

#[test]
fn accepts_empty_and_unknown_settings() {
    let mut host = noop_policy();
    for settings in [&b"{}"[..], br#"{"unknown": [1, 2]}"#] {
        let verdict = host.validate_settings(settings).unwrap();
        assert!(verdict.valid, "{verdict:?}");
        assert_eq!(verdict.message, None);
    }
}

#[test]
fn settings_that_are_not_json_are_an_error_not_a_verdict() {
    let err = noop_policy().validate_settings(b"not json").unwrap_err();
    assert!(
        matches!(&err, HostError::Guest { operation, .. } if operation == "validate_settings"),
        "{err}"
    );
}

#[test]
fn accepts_a_package_without_mutation_or_lookups() {
    let mut host = noop_policy();
    let response = host.validate(&package_create(), &json!({})).unwrap();
    assert!(response.accepted, "{response:?}");
    assert_eq!(response.mutated_object, None);
    assert_eq!(response.message, None);
    assert!(response.warnings().is_empty());
    assert!(host.host_calls().recorded().is_empty());
}

#[test]
fn garbage_input_is_a_clean_error_and_the_host_stays_usable() {
    let mut host = noop_policy();
    for garbage in [
        &b"\x00\xff not json"[..],
        b"",
        br#"{"request": 42, "settings": {}}"#,
        br#"[1, 2, 3]"#,
    ] {
        let err = host.validate_raw(garbage).unwrap_err();
        assert!(
            matches!(&err, HostError::Guest { operation, message }
                if operation == "validate" && !message.is_empty()),
            "{err}"
        );
        let response = host.validate(&package_create(), &json!({})).unwrap();
        assert!(response.accepted, "after {garbage:?}: {response:?}");
    }
}

#[test]
fn an_unknown_operation_is_refused_by_the_guest() {
    let mut host = noop_policy();
    let err = host.call("no_such_function", b"{}").unwrap_err();
    assert!(err.to_string().contains("no_such_function"), "{err}");
    assert_eq!(host.protocol_version().unwrap(), "v1");
}
