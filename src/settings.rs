//! The policy's settings: their names (fixed by the README), defaults, validation and conversion
//! into the core's [`RuleConfig`].

use std::collections::BTreeMap;

use crate::shape::json_type;
use kubewarden_policy_sdk::settings::{SettingsValidationResponse, Validatable};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uds_egress_core::field_error;
use uds_egress_core::host_pattern::HostPattern;
use uds_egress_core::rules::config::{
    DEFAULT_GATEWAY_PORTS, DEFAULT_MAX_REMOTE_HOST_RULES, NamespaceHosts, RuleConfig,
};

/// Settings as the cluster operator writes them. Numbers are read as `i64` so that an out-of-range
/// value reaches [`Validatable::validate`] and is refused with a message naming the setting,
/// instead of failing deserialisation with a type error.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct Settings {
    pub gateway_ports: Vec<i64>,
    pub allowed_hosts: Vec<String>,
    pub denied_hosts: Vec<String>,
    pub namespaces: BTreeMap<String, NamespaceSettings>,
    pub deny_http: bool,
    pub require_service_account: bool,
    pub max_remote_host_rules: i64,
    pub context_aware: bool,
    pub fronting_hosts: Vec<String>,
    /// Absent: every namespace may use `remoteGenerated: Anywhere` egress (UDS Core's behaviour);
    /// a list, even an empty one: only those namespaces (and those whose `allowAnywhere` is true).
    pub anywhere_namespaces: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct NamespaceSettings {
    pub allowed_hosts: Vec<String>,
    pub denied_hosts: Vec<String>,
    /// Overrides `anywhereNamespaces` for this namespace, either way.
    pub allow_anywhere: Option<bool>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            gateway_ports: DEFAULT_GATEWAY_PORTS
                .iter()
                .map(|&p| i64::from(p))
                .collect(),
            allowed_hosts: Vec::new(),
            denied_hosts: Vec::new(),
            namespaces: BTreeMap::new(),
            deny_http: false,
            require_service_account: false,
            max_remote_host_rules: i64::try_from(DEFAULT_MAX_REMOTE_HOST_RULES).unwrap_or(i64::MAX),
            context_aware: true,
            fronting_hosts: Vec::new(),
            anywhere_namespaces: None,
        }
    }
}

/// Everything a request is judged with, derived from valid [`Settings`].
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyConfig {
    pub rules: RuleConfig,
    pub context_aware: bool,
    pub fronting_hosts: Vec<HostPattern>,
}

impl Settings {
    /// Reads settings from JSON. `null` means the defaults, as an empty object does. Errors name
    /// the offending setting (`namespaces.payments.allowedHosts[0]: ...`).
    pub fn from_json(value: &Value) -> Result<Settings, String> {
        // serde's derived structs would also read a list, by position; settings are a map.
        match value {
            Value::Null => return Ok(Settings::default()),
            Value::Object(map) => {
                let namespaces = map.get("namespaces").and_then(Value::as_object);
                for (name, hosts) in namespaces.into_iter().flatten() {
                    if !hosts.is_object() {
                        return Err(format!(
                            "settings.namespaces.{name}: expected a map with allowedHosts, \
                             deniedHosts and allowAnywhere, got {}",
                            json_type(hosts)
                        ));
                    }
                }
            }
            other => {
                return Err(format!(
                    "settings: expected a map of settings, got {}",
                    json_type(other)
                ));
            }
        }
        field_error::read::<Settings>(value).map_err(|err| {
            if err.path.is_empty() {
                format!("settings: {}", err.message)
            } else {
                format!("settings.{}: {}", err.path, err.message)
            }
        })
    }

    /// Checks every value and converts. All problems are reported, one per `; `-separated item.
    pub fn to_config(&self) -> Result<PolicyConfig, String> {
        let mut errors = Vec::new();
        let gateway_ports = self
            .gateway_ports
            .iter()
            .enumerate()
            .filter_map(|(i, &port)| match u16::try_from(port) {
                Ok(p) if p != 0 => Some(p),
                _ => {
                    errors.push(format!(
                        "gatewayPorts[{i}]: port {port} is out of range, expected 1 to 65535"
                    ));
                    None
                }
            })
            .collect();
        let allowed_hosts = patterns("allowedHosts", &self.allowed_hosts, &mut errors);
        let denied_hosts = patterns("deniedHosts", &self.denied_hosts, &mut errors);
        let fronting_hosts = patterns("frontingHosts", &self.fronting_hosts, &mut errors);
        let mut namespaces = BTreeMap::new();
        for (name, hosts) in &self.namespaces {
            check_namespace_name("namespaces", name, &mut errors);
            let prefix = format!("namespaces.{name}");
            let entry = NamespaceHosts {
                allowed_hosts: patterns(
                    &format!("{prefix}.allowedHosts"),
                    &hosts.allowed_hosts,
                    &mut errors,
                ),
                denied_hosts: patterns(
                    &format!("{prefix}.deniedHosts"),
                    &hosts.denied_hosts,
                    &mut errors,
                ),
                allow_anywhere: hosts.allow_anywhere,
            };
            namespaces.insert(name.clone(), entry);
        }
        for (i, name) in self.anywhere_namespaces.iter().flatten().enumerate() {
            check_namespace_name(&format!("anywhereNamespaces[{i}]"), name, &mut errors);
        }
        let max_remote_host_rules = match usize::try_from(self.max_remote_host_rules) {
            Ok(max) if max > 0 => max,
            _ => {
                errors.push(format!(
                    "maxRemoteHostRules: must be at least 1, got {}",
                    self.max_remote_host_rules
                ));
                0
            }
        };
        if !errors.is_empty() {
            return Err(errors.join("; "));
        }
        Ok(PolicyConfig {
            rules: RuleConfig {
                gateway_ports,
                allowed_hosts,
                denied_hosts,
                namespaces,
                deny_http: self.deny_http,
                require_service_account: self.require_service_account,
                max_remote_host_rules,
                anywhere_namespaces: self.anywhere_namespaces.clone(),
            },
            context_aware: self.context_aware,
            fronting_hosts,
        })
    }
}

impl Validatable for Settings {
    fn validate(&self) -> Result<(), String> {
        self.to_config().map(|_| ())
    }
}

fn patterns(setting: &str, raw: &[String], errors: &mut Vec<String>) -> Vec<HostPattern> {
    raw.iter()
        .enumerate()
        .filter_map(|(i, text)| match HostPattern::parse(text) {
            Ok(pattern) => Some(pattern),
            Err(message) => {
                errors.push(format!("{setting}[{i}]: {message}"));
                None
            }
        })
        .collect()
}

fn check_namespace_name(setting: &str, name: &str, errors: &mut Vec<String>) {
    if !is_namespace_name(name) {
        errors.push(format!(
            "{setting}: {name:?} is not a namespace name (RFC 1123 label: at most 63 lower-case \
             letters, digits and '-', starting and ending with a letter or digit)"
        ));
    }
}

fn is_namespace_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let edge_ok = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    name.len() <= 63
        && edge_ok(bytes.first())
        && edge_ok(bytes.last())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

/// The `validate_settings` answer for a raw payload. Unlike the SDK's generic helper, a payload of
/// the wrong shape (not JSON, a list, an unknown or mistyped setting) is answered with
/// `valid: false` and a message, rather than a guest error without explanation.
pub fn check_settings_payload(payload: &[u8]) -> SettingsValidationResponse {
    let outcome = serde_json::from_slice::<serde_json::Value>(payload)
        .map_err(|err| format!("settings are not valid JSON: {err}"))
        .and_then(|value| Settings::from_json(&value))
        .and_then(|settings| settings.validate());
    match outcome {
        Ok(()) => SettingsValidationResponse {
            valid: true,
            message: None,
        },
        Err(message) => SettingsValidationResponse {
            valid: false,
            message: Some(message),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refused_settings::{BAD_VALUES, Refusal, WRONG_SHAPES};
    use serde_json::json;

    fn check(value: serde_json::Value) -> SettingsValidationResponse {
        check_settings_payload(value.to_string().as_bytes())
    }

    #[test]
    fn empty_object_and_null_mean_the_documented_defaults() {
        for empty in [json!({}), json!(null)] {
            let settings = Settings::from_json(&empty).unwrap();
            assert_eq!(settings, Settings::default());
            let config = settings.to_config().unwrap();
            assert_eq!(config.rules, RuleConfig::default());
            assert_eq!(config.rules.gateway_ports, vec![80, 443]);
            assert_eq!(config.rules.max_remote_host_rules, 64);
            assert!(config.context_aware);
            assert!(config.fronting_hosts.is_empty());
        }
    }

    #[test]
    fn every_setting_is_read_and_converted() {
        let settings = Settings::from_json(&json!({
            "gatewayPorts": [443, 8443],
            "allowedHosts": ["*.github.com", "API.stripe.com."],
            "deniedHosts": ["evil.example"],
            "namespaces": {"payments": {"allowedHosts": ["api.stripe.com"], "deniedHosts": ["*.ru"], "allowAnywhere": false}},
            "denyHttp": true,
            "requireServiceAccount": true,
            "maxRemoteHostRules": 3,
            "contextAware": false,
            "frontingHosts": ["*.cloudfront.net"],
            "anywhereNamespaces": ["monitoring"]
        }))
        .unwrap();
        let config = settings.to_config().unwrap();
        assert_eq!(
            config.rules.anywhere_namespaces,
            Some(vec!["monitoring".to_string()])
        );
        assert_eq!(config.rules.gateway_ports, vec![443, 8443]);
        assert_eq!(
            config.rules.allowed_hosts,
            vec![
                HostPattern::Suffix("github.com".into()),
                HostPattern::Exact("api.stripe.com".into())
            ]
        );
        assert_eq!(
            config.rules.denied_hosts,
            vec![HostPattern::Exact("evil.example".into())]
        );
        let payments = config.rules.namespaces.get("payments").unwrap();
        assert_eq!(
            payments.allowed_hosts,
            vec![HostPattern::Exact("api.stripe.com".into())]
        );
        assert_eq!(
            payments.denied_hosts,
            vec![HostPattern::Suffix("ru".into())]
        );
        assert_eq!(payments.allow_anywhere, Some(false));
        assert!(config.rules.deny_http);
        assert!(config.rules.require_service_account);
        assert_eq!(config.rules.max_remote_host_rules, 3);
        assert!(!config.context_aware);
        assert_eq!(
            config.fronting_hosts,
            vec![HostPattern::Suffix("cloudfront.net".into())]
        );
    }

    /// Every refusal of the shared table, answered as the table says.
    fn assert_refused(table: &[Refusal]) {
        for refusal in table {
            let answer = check_settings_payload(refusal.settings.as_bytes());
            assert!(!answer.valid, "{}", refusal.settings);
            let message = answer.message.unwrap_or_default();
            assert!(
                message.contains(refusal.message),
                "{}: {message}",
                refusal.settings
            );
        }
    }

    #[test]
    fn bad_values_are_refused_naming_the_setting() {
        assert_refused(BAD_VALUES);
    }

    #[test]
    fn all_problems_are_reported_together() {
        let answer = check(json!({"gatewayPorts": [0], "maxRemoteHostRules": 0}));
        let message = answer.message.unwrap_or_default();
        assert!(message.contains("gatewayPorts[0]") && message.contains("maxRemoteHostRules"));
    }

    #[test]
    fn wrong_shapes_get_an_invalid_answer_with_a_message() {
        assert_refused(WRONG_SHAPES);
        let not_json = check_settings_payload(b"{gatewayPorts:");
        assert!(!not_json.valid);
        assert!(
            not_json
                .message
                .unwrap_or_default()
                .starts_with("settings are not valid JSON")
        );
    }

    #[test]
    fn valid_settings_get_a_valid_answer() {
        let answer =
            check(json!({"gatewayPorts": [80, 443, 8443], "frontingHosts": ["*.fastly.net"]}));
        assert!(answer.valid, "{:?}", answer.message);
        assert!(answer.message.is_none());
    }
}
