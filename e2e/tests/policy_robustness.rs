//! Input the policy must survive with a clear answer, through the built `policy.wasm`: a payload
//! that is not JSON, oversized requests, hostile shapes, and settings of the wrong shape at
//! evaluation time. None of them may trap the guest (a trap is a 500 without explanation).

mod policy_support;

use policy_support::{empty_host, read_json};
use serde_json::{Value, json};

const OBJECT_LIMIT: usize = 512 * 1024;

fn base_request() -> Value {
    read_json("requests/mutate-nothing-to-do.json")
}

#[test]
fn protocol_version_is_v1() {
    assert_eq!(empty_host().protocol_version().unwrap(), "v1");
}

#[test]
fn a_payload_that_is_not_json_is_rejected_with_a_message() {
    let mut policy = empty_host();
    for payload in [
        &b"not json"[..],
        b"",
        b"\xff\xfe",
        b"{\"request\": ",
        b"[1, 2, 3]",
    ] {
        let response = policy.validate_raw(payload).unwrap();
        assert!(!response.accepted, "{payload:?}");
        let message = response.message.unwrap_or_default();
        assert!(
            message.starts_with("the validation payload is not a JSON admission request"),
            "{payload:?}: {message}"
        );
    }
}

#[test]
fn a_one_megabyte_request_is_rejected_before_it_is_parsed() {
    let mut request = base_request();
    request["object"]["metadata"]["annotations"] = json!({"filler": "x".repeat(1024 * 1024)});
    let mut policy = empty_host();
    let response = policy.validate(&request, &json!({})).unwrap();
    assert!(!response.accepted);
    assert_eq!(response.code, Some(413));
    let message = response.message.unwrap_or_default();
    assert!(
        message.contains(&format!("this policy accepts at most {OBJECT_LIMIT} bytes")),
        "{message}"
    );
    assert!(
        policy.host_calls().recorded().is_empty(),
        "no lookups for an oversized Package"
    );
}

#[test]
fn a_payload_over_three_mebibytes_is_rejected_unread() {
    let mut payload = b"{\"request\": {\"object\": \"".to_vec();
    payload.extend(std::iter::repeat_n(b'x', 3 * 1024 * 1024));
    payload.extend(b"\"}}");
    let response = empty_host().validate_raw(&payload).unwrap();
    assert!(!response.accepted);
    assert_eq!(response.code, Some(413));
    assert!(
        response
            .message
            .unwrap_or_default()
            .contains("reads at most 3145728 bytes")
    );
}

#[test]
fn an_object_just_under_the_limit_is_judged() {
    let mut request = base_request();
    let base = serde_json::to_vec(&request["object"]).unwrap().len();
    let filler = OBJECT_LIMIT - base - r#","annotations":{"f":""}"#.len();
    request["object"]["metadata"]["annotations"] = json!({"f": "y".repeat(filler)});
    assert_eq!(
        serde_json::to_vec(&request["object"]).unwrap().len(),
        OBJECT_LIMIT
    );
    let response = empty_host().validate(&request, &json!({})).unwrap();
    assert!(response.accepted, "{:?}", response.message);
}

#[test]
fn deep_nesting_is_rejected_not_trapped() {
    let depth = 100_000;
    let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let kind = r#"{"group": "uds.dev", "version": "v1alpha1", "kind": "Package"}"#;
    let payload = format!(
        r#"{{"settings": {{}}, "request": {{"kind": {kind}, "operation": "CREATE", "object": {nested}}}}}"#
    );
    let mut policy = empty_host();
    let response = policy.validate_raw(payload.as_bytes()).unwrap();
    assert!(!response.accepted);
    assert!(
        response
            .message
            .unwrap_or_default()
            .contains("recursion limit")
    );
    // The instance is still usable afterwards.
    assert!(
        policy
            .validate(&base_request(), &json!({}))
            .unwrap()
            .accepted
    );
}

#[test]
fn a_huge_host_gives_a_bounded_message() {
    let mut request = base_request();
    request["object"]["spec"]["network"]["allow"][0]["remoteHost"] =
        json!(format!("{}.com", "a".repeat(400_000)));
    let response = empty_host().validate(&request, &json!({})).unwrap();
    assert!(!response.accepted);
    let message = response.message.unwrap_or_default();
    assert!(
        message.starts_with("spec.network.allow[0].remoteHost:"),
        "{}",
        &message[..200.min(message.len())]
    );
    assert!(message.len() < 4096, "message of {} bytes", message.len());
}

#[test]
fn a_huge_unknown_value_gives_a_bounded_message() {
    let mut request = base_request();
    request["object"]["spec"]["network"]["allow"][0]["remoteProtocol"] = json!("T".repeat(300_000));
    let response = empty_host().validate(&request, &json!({})).unwrap();
    assert!(!response.accepted);
    let message = response.message.unwrap_or_default();
    assert!(
        message.starts_with("spec.network.allow[0].remoteProtocol: unknown variant"),
        "{}",
        &message[..100]
    );
    assert!(message.len() < 4096, "message of {} bytes", message.len());
    assert!(
        message.ends_with("bytes in all)"),
        "{}",
        &message[message.len() - 60..]
    );
}

#[test]
fn wrong_types_anywhere_in_the_spec_name_the_field() {
    let cases = [
        (
            "/spec/network/allow",
            json!("everything"),
            "spec.network.allow: invalid type: string",
        ),
        (
            "/spec/network/serviceMesh/mode",
            json!("istio"),
            "spec.network.serviceMesh.mode: unknown mode",
        ),
        (
            "/spec/network/allow/0/ports",
            json!([443, 70000]),
            "spec.network.allow[0].ports[1]: port 70000 is out of range",
        ),
        (
            "/spec/network/allow/0/selector",
            json!(["app"]),
            "spec.network.allow[0].selector: invalid type",
        ),
        (
            "/spec/network",
            json!(7),
            "spec.network: expected an object, got a number",
        ),
        (
            "/metadata",
            json!([]),
            "metadata: expected an object, got a list",
        ),
    ];
    let mut policy = empty_host();
    for (pointer, value, expected) in cases {
        let mut request = base_request();
        set(&mut request["object"], pointer, value);
        let response = policy.validate(&request, &json!({})).unwrap();
        assert!(!response.accepted, "{pointer}");
        let message = response.message.unwrap_or_default();
        assert!(message.starts_with(expected), "{pointer}: {message}");
    }
}

#[test]
fn settings_of_the_wrong_shape_at_evaluation_are_a_rejection() {
    let mut policy = empty_host();
    for (settings, expected) in [
        (
            json!([]),
            "invalid policy settings: settings: expected a map of settings, got a list",
        ),
        (
            json!({"gatewayPorts": "443"}),
            "invalid policy settings: settings.gatewayPorts: invalid type",
        ),
        (
            json!({"maxRemoteHostRules": 0}),
            "invalid policy settings: maxRemoteHostRules: must be at least 1",
        ),
    ] {
        let response = policy.validate(&base_request(), &settings).unwrap();
        assert!(!response.accepted, "{settings}");
        let message = response.message.unwrap_or_default();
        assert!(message.starts_with(expected), "{settings}: {message}");
    }
}

#[test]
fn a_request_without_the_request_field_is_rejected() {
    let response = empty_host().validate_raw(br#"{"settings": {}}"#).unwrap();
    assert!(!response.accepted);
    assert!(
        response
            .message
            .unwrap_or_default()
            .contains("missing field `request`")
    );
}

/// Sets the field at `pointer`, creating it in its (existing) parent object.
fn set(object: &mut Value, pointer: &str, value: Value) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let parent = if parent.is_empty() {
        Some(object)
    } else {
        object.pointer_mut(parent)
    };
    parent
        .and_then(Value::as_object_mut)
        .unwrap()
        .insert(key.to_string(), value);
}
