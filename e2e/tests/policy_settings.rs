//! `validate_settings` of the built `policy.wasm`: every setting accepted with a valid value,
//! refused with a message naming it otherwise, and settings of the wrong shape answered with
//! `valid: false` (never a guest error).

mod policy_support;

use policy_support::empty_host;
use serde_json::{Value, json};
use uds_egress_policy::refused_settings::{BAD_VALUES, Refusal, WRONG_SHAPES};

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

/// Every refusal of the policy crate's table (the one its unit tests check), answered by the
/// built module as the table says.
fn assert_refused(table: &[Refusal]) {
    for refusal in table {
        let settings: Value = serde_json::from_str(refusal.settings)
            .unwrap_or_else(|e| panic!("{}: not JSON: {e}", refusal.settings));
        let (valid, message) = check(&settings);
        assert!(!valid, "{settings}");
        assert!(message.contains(refusal.message), "{settings}: {message}");
    }
}

#[test]
fn each_bad_value_is_refused_naming_its_setting() {
    assert_refused(BAD_VALUES);
}

#[test]
fn settings_of_the_wrong_shape_are_invalid_with_a_message() {
    assert_refused(WRONG_SHAPES);
    let verdict = empty_host().validate_settings(b"{not json").unwrap();
    assert!(!verdict.valid);
    assert!(
        verdict
            .message
            .unwrap_or_default()
            .starts_with("settings are not valid JSON")
    );
}
