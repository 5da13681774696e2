//! Settings the policy refuses, each with a part of the message that must name the problem: the
//! one table that both the unit tests of [`crate::settings`] and the end-to-end suite of the
//! built module (`e2e/tests/policy_settings.rs`) check, so the two cannot drift apart.
//!
//! Plain text, not code the entry points reach: it adds nothing to the wasm module.

/// One refused settings document.
#[derive(Clone, Copy, Debug)]
pub struct Refusal {
    /// The settings, as JSON text.
    pub settings: &'static str,
    /// A part of the `validate_settings` message.
    pub message: &'static str,
}

const fn refusal(settings: &'static str, message: &'static str) -> Refusal {
    Refusal { settings, message }
}

/// Well-formed settings with a bad value: the message names the setting, down to the list item.
pub const BAD_VALUES: &[Refusal] = &[
    refusal(
        r#"{"gatewayPorts": [0]}"#,
        "gatewayPorts[0]: port 0 is out of range",
    ),
    refusal(
        r#"{"gatewayPorts": [443, 0]}"#,
        "gatewayPorts[1]: port 0 is out of range",
    ),
    refusal(
        r#"{"gatewayPorts": [443, 65536]}"#,
        "gatewayPorts[1]: port 65536 is out of range",
    ),
    refusal(
        r#"{"gatewayPorts": [70000]}"#,
        "gatewayPorts[0]: port 70000 is out of range",
    ),
    refusal(r#"{"gatewayPorts": [-1]}"#, "gatewayPorts[0]: port -1"),
    refusal(
        r#"{"allowedHosts": ["ok.com", "bad host"]}"#,
        "allowedHosts[1]: host pattern",
    ),
    refusal(
        r#"{"allowedHosts": ["https://x.com"]}"#,
        "allowedHosts[0]: host pattern",
    ),
    refusal(r#"{"deniedHosts": ["*"]}"#, "deniedHosts[0]: host pattern"),
    refusal(
        r#"{"frontingHosts": ["a..b"]}"#,
        "frontingHosts[0]: host pattern",
    ),
    refusal(
        r#"{"frontingHosts": ["*.*.net"]}"#,
        "frontingHosts[0]: host pattern",
    ),
    refusal(
        r#"{"namespaces": {"pay": {"deniedHosts": ["x/y"]}}}"#,
        "namespaces.pay.deniedHosts[0]: host pattern",
    ),
    refusal(
        r#"{"namespaces": {"shop": {"allowedHosts": ["a b"]}}}"#,
        "namespaces.shop.allowedHosts[0]: host pattern",
    ),
    refusal(
        r#"{"namespaces": {"Bad_NS": {}}}"#,
        r#"namespaces: "Bad_NS" is not a namespace name"#,
    ),
    refusal(
        r#"{"namespaces": {"Shop!": {}}}"#,
        r#"namespaces: "Shop!" is not a namespace name"#,
    ),
    refusal(
        r#"{"maxRemoteHostRules": 0}"#,
        "maxRemoteHostRules: must be at least 1, got 0",
    ),
    refusal(
        r#"{"maxRemoteHostRules": -5}"#,
        "maxRemoteHostRules: must be at least 1, got -5",
    ),
    refusal(
        r#"{"anywhereNamespaces": ["monitoring", "Bad NS"]}"#,
        r#"anywhereNamespaces[1]: "Bad NS" is not a namespace name"#,
    ),
    refusal(
        r#"{"anywhereNamespaces": ["ok", "Not_OK"]}"#,
        r#"anywhereNamespaces[1]: "Not_OK" is not a namespace name"#,
    ),
];

/// Settings of the wrong shape (not a map, an unknown or mistyped setting): answered with
/// `valid: false` and a message naming where, never a guest error.
pub const WRONG_SHAPES: &[Refusal] = &[
    refusal("[1, 2]", "settings: expected a map of settings, got a list"),
    refusal("[]", "settings: expected a map of settings, got a list"),
    refusal(
        r#""gatewayPorts""#,
        "settings: expected a map of settings, got a string",
    ),
    refusal(
        r#"{"namespaces": {"a": []}}"#,
        "settings.namespaces.a: expected a map",
    ),
    refusal(
        r#"{"namespaces": {"shop": ["api.stripe.com"]}}"#,
        "settings.namespaces.shop: expected a map",
    ),
    refusal(r#"{"gatewayPort": [443]}"#, "unknown field `gatewayPort`"),
    refusal(r#"{"gatewayport": [443]}"#, "unknown field `gatewayport`"),
    refusal(
        r#"{"gatewayPorts": "443"}"#,
        "settings.gatewayPorts: invalid type: string",
    ),
    refusal(
        r#"{"gatewayPorts": 443}"#,
        "settings.gatewayPorts: invalid type: integer",
    ),
    refusal(
        r#"{"gatewayPorts": [443.5]}"#,
        "settings.gatewayPorts[0]: invalid type",
    ),
    refusal(
        r#"{"denyHttp": "yes"}"#,
        "settings.denyHttp: invalid type: string",
    ),
    refusal(
        r#"{"maxRemoteHostRules": 1.5}"#,
        "settings.maxRemoteHostRules: invalid type: floating point",
    ),
    refusal(
        r#"{"namespaces": {"a": {"allowed": []}}}"#,
        "unknown field `allowed`",
    ),
    refusal(r#"{"namespaces": []}"#, "settings.namespaces: invalid type"),
    refusal(
        r#"{"anywhereNamespaces": "monitoring"}"#,
        "settings.anywhereNamespaces: invalid type: string",
    ),
    refusal(
        r#"{"namespaces": {"a": {"allowAnywhere": "yes"}}}"#,
        "settings.namespaces.a.allowAnywhere: invalid type",
    ),
    refusal(
        r#"{"namespaces": {"shop": {"allowAnywhere": 1}}}"#,
        "settings.namespaces.shop.allowAnywhere: invalid type",
    ),
];
