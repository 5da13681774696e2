//! The operator's host allow and deny lists (semantics §8.2.6) as they apply to one namespace.
//!
//! Denied = built-in list ∪ configured ∪ the namespace's; allowed = configured ∪ the namespace's,
//! where an empty allowed list means any host. Deny wins over allow.

use crate::host_pattern::HostPattern;
use crate::quoting::quoted;
use crate::rules::config::{RuleConfig, builtin_denied_hosts};
use crate::violation::{Code, Violation, allow_path};

/// How many allowed patterns a refusal lists before summarising the rest.
const MAX_LISTED_PATTERNS: usize = 10;

/// Where a deny pattern comes from, for the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    BuiltIn,
    Configured,
    Namespace,
}

/// The effective host lists of one namespace, borrowed from the configuration: built per Package,
/// so it neither parses nor copies a pattern.
#[derive(Clone, Debug)]
pub struct HostPolicy<'a> {
    namespace: &'a str,
    denied: Vec<(&'a HostPattern, Source)>,
    allowed: Vec<&'a HostPattern>,
}

impl<'a> HostPolicy<'a> {
    pub fn new(config: &'a RuleConfig, namespace: &'a str) -> HostPolicy<'a> {
        let local = config.namespaces.get(namespace);
        let builtin = builtin_denied_hosts().iter().map(|p| (p, Source::BuiltIn));
        let configured = config.denied_hosts.iter().map(|p| (p, Source::Configured));
        let namespaced = local
            .into_iter()
            .flat_map(|l| l.denied_hosts.iter())
            .map(|p| (p, Source::Namespace));
        HostPolicy {
            namespace,
            denied: builtin.chain(configured).chain(namespaced).collect(),
            allowed: config
                .allowed_hosts
                .iter()
                .chain(local.into_iter().flat_map(|l| l.allowed_hosts.iter()))
                .collect(),
        }
    }

    /// The violation for the host of `allow[index]`, if the lists refuse it.
    pub fn check(&self, index: usize, host: &str) -> Option<Violation> {
        let path = allow_path(index, Some("remoteHost"));
        if let Some((pattern, source)) = self.denied.iter().find(|(p, _)| p.matches(host)) {
            let list = match source {
                Source::BuiltIn => "the built-in deny list".to_string(),
                Source::Configured => "the configured denied hosts".to_string(),
                Source::Namespace => {
                    format!("the denied hosts of namespace {}", quoted(self.namespace))
                }
            };
            let message = format!(
                "remoteHost {} is denied: it matches \"{pattern}\" of {list}",
                quoted(host)
            );
            return Some(Violation::new(path, Code::HostDenied, message));
        }
        if self.allowed.is_empty() || self.allowed.iter().any(|p| p.matches(host)) {
            return None;
        }
        let mut listed: Vec<String> = self
            .allowed
            .iter()
            .take(MAX_LISTED_PATTERNS)
            .map(|p| p.to_string())
            .collect();
        if self.allowed.len() > MAX_LISTED_PATTERNS {
            listed.push(format!(
                "and {} more",
                self.allowed.len() - MAX_LISTED_PATTERNS
            ));
        }
        let message = format!(
            "remoteHost {} is not in the allowed hosts for namespace {}: {}",
            quoted(host),
            quoted(self.namespace),
            listed.join(", ")
        );
        Some(Violation::new(path, Code::HostNotAllowed, message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::config::NamespaceHosts;

    fn patterns(raw: &[&str]) -> Vec<HostPattern> {
        raw.iter()
            .map(|r| HostPattern::parse(r).expect("pattern"))
            .collect()
    }

    fn config() -> RuleConfig {
        let mut config = RuleConfig {
            allowed_hosts: patterns(&["*.example.com"]),
            denied_hosts: patterns(&["secret.example.com"]),
            ..RuleConfig::default()
        };
        config.namespaces.insert(
            "team".into(),
            NamespaceHosts {
                allowed_hosts: patterns(&["github.com"]),
                denied_hosts: patterns(&["*.internal.example.com"]),
                allow_anywhere: None,
            },
        );
        config
    }

    fn check(config: &RuleConfig, namespace: &str, host: &str) -> Option<(String, Code, String)> {
        HostPolicy::new(config, namespace)
            .check(2, host)
            .map(|v| (v.path, v.code, v.message))
    }

    fn denied(host: &str, pattern: &str, list: &str) -> Option<(String, Code, String)> {
        Some((
            "spec.network.allow[2].remoteHost".into(),
            Code::HostDenied,
            format!("remoteHost {host:?} is denied: it matches \"{pattern}\" of {list}"),
        ))
    }

    #[test]
    fn default_config_allows_any_host_but_the_built_in_ones() {
        let config = RuleConfig::default();
        assert_eq!(check(&config, "app", "api.github.com"), None);
        assert_eq!(
            check(&config, "app", "metadata.google.internal"),
            denied(
                "metadata.google.internal",
                "*.internal",
                "the built-in deny list"
            )
        );
        assert_eq!(
            check(&config, "app", "Kubernetes.Default.SVC."),
            denied("Kubernetes.Default.SVC.", "*.svc", "the built-in deny list")
        );
        assert_eq!(
            check(&config, "app", "localhost"),
            denied("localhost", "localhost", "the built-in deny list")
        );
    }

    #[test]
    fn configured_and_namespace_lists_add_up() {
        let config = config();
        assert_eq!(check(&config, "app", "api.example.com"), None);
        assert_eq!(check(&config, "team", "api.example.com"), None);
        assert_eq!(check(&config, "team", "github.com"), None);
        assert_eq!(
            check(&config, "app", "secret.example.com"),
            denied(
                "secret.example.com",
                "secret.example.com",
                "the configured denied hosts"
            )
        );
        assert_eq!(
            check(&config, "team", "db.internal.example.com"),
            denied(
                "db.internal.example.com",
                "*.internal.example.com",
                "the denied hosts of namespace \"team\""
            )
        );
        // Another namespace's lists do not apply.
        assert_eq!(check(&config, "app", "db.internal.example.com"), None);
        assert_eq!(
            check(&config, "app", "github.com"),
            Some((
                "spec.network.allow[2].remoteHost".into(),
                Code::HostNotAllowed,
                "remoteHost \"github.com\" is not in the allowed hosts for namespace \"app\": *.example.com".into()
            ))
        );
    }

    #[test]
    fn deny_wins_over_allow() {
        let mut config = config();
        config.allowed_hosts = patterns(&["localhost", "secret.example.com"]);
        assert_eq!(
            check(&config, "app", "localhost").map(|v| v.1),
            Some(Code::HostDenied)
        );
        assert_eq!(
            check(&config, "app", "secret.example.com").map(|v| v.1),
            Some(Code::HostDenied)
        );
    }

    #[test]
    fn long_allowed_lists_are_summarised() {
        let raw: Vec<String> = (0..25).map(|i| format!("h{i}.example.com")).collect();
        let raw: Vec<&str> = raw.iter().map(String::as_str).collect();
        let config = RuleConfig {
            allowed_hosts: patterns(&raw),
            ..RuleConfig::default()
        };
        let (_, code, message) = check(&config, "app", "other.com").expect("refused");
        assert_eq!(code, Code::HostNotAllowed);
        assert!(
            message.ends_with("h8.example.com, h9.example.com, and 15 more"),
            "{message}"
        );
    }
}
