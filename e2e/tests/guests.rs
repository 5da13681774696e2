//! Hand-written WebAssembly guests that exercise what the SDK-built policies cannot on demand:
//! host calls through wasmtime, runaway code and a guest that makes the host panic.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use uds_egress_wapc_test_host::{
    HostCalls, HostError, KubeFixtures, Limits, PolicyHost, PolicyModule,
};

const RELAY: &str = include_str!("guests/host_call_relay.wat");
const SPIN: &str = include_str!("guests/spin.wat");
const SPIN_INIT: &str = include_str!("guests/spin_init.wat");
const BAD_POINTER: &str = include_str!("guests/bad_pointer.wat");

/// Short deadlines keep the runaway tests quick; they are limits, not timing assertions.
const SHORT: Limits = Limits {
    init_deadline: Duration::from_millis(100),
    call_deadline: Duration::from_millis(100),
};

fn module(name: &str, wat: &str) -> PolicyModule {
    PolicyModule::from_bytes(name, wat.as_bytes(), SHORT).unwrap()
}

fn relay(calls: HostCalls) -> PolicyHost {
    module("relay", RELAY).instantiate(Arc::new(calls)).unwrap()
}

fn one_package() -> KubeFixtures {
    KubeFixtures::from_objects([json!({
        "apiVersion": "uds.dev/v1alpha1", "kind": "Package",
        "metadata": {"name": "a", "namespace": "a-ns"}
    })])
    .unwrap()
}

fn list_packages() -> Vec<u8> {
    json!({"api_version": "uds.dev/v1alpha1", "kind": "Package",
           "label_selector": null, "field_selector": null, "field_masks": null})
    .to_string()
    .into_bytes()
}

#[test]
fn a_guest_host_call_reaches_the_fixtures_and_is_recorded() {
    let mut host = relay(HostCalls::new(one_package()));
    let reply = host.call("list_resources_all", &list_packages()).unwrap();
    let list: Value = serde_json::from_slice(&reply).unwrap();
    assert_eq!(list["kind"], "PackageList");
    assert_eq!(list["items"][0]["metadata"]["name"], "a");

    let recorded = host.host_calls().recorded();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].binding, "kubewarden");
    assert_eq!(recorded[0].namespace, "kubernetes");
    assert_eq!(recorded[0].operation, "list_resources_all");
    assert_eq!(recorded[0].kind(), Some("Package"));
}

#[test]
fn a_failing_host_call_reaches_the_guest_as_an_error() {
    let calls = HostCalls::new(one_package()).failing("list_resources_all", None, "RBAC says no");
    let mut host = relay(calls);
    let err = host
        .call("list_resources_all", &list_packages())
        .unwrap_err();
    assert!(
        matches!(&err, HostError::Guest { message, .. } if message.contains("RBAC says no")),
        "{err}"
    );
}

#[test]
fn a_runaway_call_hits_the_deadline_and_the_next_call_gets_a_fresh_instance() {
    let mut host = module("spin", SPIN)
        .instantiate(Arc::new(HostCalls::default()))
        .unwrap();
    for _ in 0..2 {
        let err = host.call("validate", b"{}").unwrap_err();
        assert!(err.is_deadline_exceeded(), "{err}");
    }
}

#[test]
fn a_runaway_initialisation_hits_the_init_deadline() {
    let err = module("spin-init", SPIN_INIT)
        .instantiate(Arc::new(HostCalls::default()))
        .unwrap_err();
    assert!(
        matches!(&err, HostError::DeadlineExceeded { operation } if operation == "wapc_init"),
        "{err}"
    );
}

#[test]
fn a_guest_that_makes_the_host_panic_gets_an_error_and_the_host_survives() {
    let mut host = module("bad-pointer", BAD_POINTER)
        .instantiate(Arc::new(HostCalls::default()))
        .unwrap();
    for _ in 0..2 {
        let err = host.call("validate", b"{}").unwrap_err();
        assert!(err.to_string().contains("host panicked"), "{err}");
    }
}

#[test]
fn a_module_that_is_not_webassembly_fails_to_compile() {
    let err = PolicyModule::from_bytes("junk", b"\0asm junk", Limits::default()).unwrap_err();
    assert!(matches!(err, HostError::Compile { .. }), "{err}");
}

#[test]
fn a_missing_module_file_is_a_read_error_naming_the_path() {
    let err = PolicyModule::load("/nonexistent/policy.wasm").unwrap_err();
    assert!(
        err.to_string().contains("/nonexistent/policy.wasm"),
        "{err}"
    );
}
