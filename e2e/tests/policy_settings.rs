//! `validate_settings` of the built `policy.wasm`: every setting accepted with a valid value,
//! refused with a message naming it otherwise, and settings of the wrong shape answered with
//! `valid: false` (never a guest error).

mod policy_support;

use policy_support::empty_host;
use serde_json::{Value, json};

fn check(settings: &Value) -> (bool, String) {
    let verdict = empty_host()
        .validate_settings(settings.to_string().as_bytes())
        .unwrap_or_else(|e| {
            panic!("{settings}: validate_settings failed instead of answering: {e}")
        });
    (verdict.valid, verdict.message.unwrap_or_default())
}

#[test]
fn empty_and_full_settings_are_valid() {
    let full = json!({
        "gatewayPorts": [80, 443, 8443],
        "allowedHosts": ["*.github.com", "api.stripe.com"],
        "deniedHosts": ["*.evil.example"],
        "namespaces": {"payments": {"allowedHosts": ["api.stripe.com"], "deniedHosts": [], "allowAnywhere": true}},
        "denyHttp": true,
        "requireServiceAccount": true,
        "maxRemoteHostRules": 16,
        "contextAware": false,
        "frontingHosts": ["*.cloudfront.net"],
        "anywhereNamespaces": ["monitoring"]
    });
    for settings in [json!({}), json!(null), full] {
        let (valid, message) = check(&settings);
        assert!(valid, "{settings}: {message}");
    }
}

#[test]
fn each_bad_value_is_refused_naming_its_setting() {
    let cases = [
        (
            json!({"gatewayPorts": [0]}),
            "gatewayPorts[0]: port 0 is out of range",
        ),
        (
            json!({"gatewayPorts": [443, 65536]}),
            "gatewayPorts[1]: port 65536 is out of range",
        ),
        (
            json!({"allowedHosts": ["https://x.com"]}),
            "allowedHosts[0]: host pattern",
        ),
        (
            json!({"deniedHosts": ["*"]}),
            "deniedHosts[0]: host pattern",
        ),
        (
            json!({"frontingHosts": ["*.*.net"]}),
            "frontingHosts[0]: host pattern",
        ),
        (
            json!({"namespaces": {"shop": {"allowedHosts": ["a b"]}}}),
            "namespaces.shop.allowedHosts[0]: host pattern",
        ),
        (
            json!({"namespaces": {"Shop!": {}}}),
            "namespaces: \"Shop!\" is not a namespace name",
        ),
        (
            json!({"maxRemoteHostRules": 0}),
            "maxRemoteHostRules: must be at least 1, got 0",
        ),
        (
            json!({"anywhereNamespaces": ["ok", "Not_OK"]}),
            "anywhereNamespaces[1]: \"Not_OK\" is not a namespace name",
        ),
        (
            json!({"namespaces": {"shop": {"allowAnywhere": 1}}}),
            "settings.namespaces.shop.allowAnywhere: invalid type",
        ),
    ];
    for (settings, expected) in cases {
        let (valid, message) = check(&settings);
        assert!(!valid, "{settings}");
        assert!(message.contains(expected), "{settings}: {message}");
    }
}

#[test]
fn settings_of_the_wrong_shape_are_invalid_with_a_message() {
    let cases = [
        (
            json!([1, 2]),
            "settings: expected a map of settings, got a list",
        ),
        (
            json!("gatewayPorts"),
            "settings: expected a map of settings, got a string",
        ),
        (json!({"gatewayport": [443]}), "unknown field `gatewayport`"),
        (
            json!({"gatewayPorts": 443}),
            "settings.gatewayPorts: invalid type: integer",
        ),
        (
            json!({"denyHttp": "true"}),
            "settings.denyHttp: invalid type: string",
        ),
        (
            json!({"maxRemoteHostRules": 1.5}),
            "settings.maxRemoteHostRules: invalid type: floating point",
        ),
        (
            json!({"namespaces": {"shop": ["api.stripe.com"]}}),
            "settings.namespaces.shop: expected a map",
        ),
    ];
    for (settings, expected) in cases {
        let (valid, message) = check(&settings);
        assert!(!valid, "{settings}");
        assert!(message.contains(expected), "{settings}: {message}");
    }
    let verdict = empty_host().validate_settings(b"{not json").unwrap();
    assert!(!verdict.valid);
    assert!(
        verdict
            .message
            .unwrap_or_default()
            .starts_with("settings are not valid JSON")
    );
}
