//! What the rules are configured with: the policy's settings, or `render`'s flags.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::host_pattern::HostPattern;

/// Hosts that must never be reached through egress, whatever the settings say.
pub const BUILTIN_DENIED_HOSTS: &[&str] = &[
    "localhost",
    "*.localhost",
    "*.local",
    "*.svc",
    "*.cluster.local",
    "*.internal",
    "metadata.google.internal",
    "metadata",
    "instance-data",
    "kubernetes",
    "kubernetes.default",
];

/// [`BUILTIN_DENIED_HOSTS`] parsed, once per process: every Package's host check reads them.
/// The built-in patterns are well-formed; one that were not would simply never match.
pub fn builtin_denied_hosts() -> &'static [HostPattern] {
    static PARSED: OnceLock<Vec<HostPattern>> = OnceLock::new();
    PARSED.get_or_init(|| {
        BUILTIN_DENIED_HOSTS
            .iter()
            .filter_map(|raw| HostPattern::parse(raw).ok())
            .collect()
    })
}

pub const DEFAULT_GATEWAY_PORTS: &[u16] = &[80, 443];
pub const DEFAULT_MAX_REMOTE_HOST_RULES: usize = 64;

/// Per-namespace settings: host lists added to the global ones for Packages in that namespace,
/// and the namespace's own answer to the `Anywhere` cap.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NamespaceHosts {
    pub allowed_hosts: Vec<HostPattern>,
    pub denied_hosts: Vec<HostPattern>,
    /// `Some` overrides [`RuleConfig::anywhere_namespaces`] for this namespace.
    pub allow_anywhere: Option<bool>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RuleConfig {
    /// Ports the sidecar egress gateway Service exposes.
    pub gateway_ports: Vec<u16>,
    /// Empty means any host that is not denied.
    pub allowed_hosts: Vec<HostPattern>,
    /// Added to [`BUILTIN_DENIED_HOSTS`].
    pub denied_hosts: Vec<HostPattern>,
    pub namespaces: BTreeMap<String, NamespaceHosts>,
    pub deny_http: bool,
    pub require_service_account: bool,
    pub max_remote_host_rules: usize,
    /// The namespaces whose Packages may use `remoteGenerated: Anywhere` egress; `None` (the
    /// default) means every namespace, as in UDS Core.
    pub anywhere_namespaces: Option<Vec<String>>,
}

/// Why a namespace may not use `remoteGenerated: Anywhere` egress: the setting that says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnywhereRefusal {
    /// `namespaces.<ns>.allowAnywhere: false`.
    NamespaceOverride,
    /// `anywhereNamespaces` is set and does not list the namespace.
    NotListed,
}

impl RuleConfig {
    /// The `Anywhere` cap for one namespace: the namespace's own `allowAnywhere` when set, else
    /// whether `anywhereNamespaces` is absent or lists it.
    pub fn anywhere_refusal(&self, namespace: &str) -> Option<AnywhereRefusal> {
        match self
            .namespaces
            .get(namespace)
            .and_then(|n| n.allow_anywhere)
        {
            Some(true) => None,
            Some(false) => Some(AnywhereRefusal::NamespaceOverride),
            None => match &self.anywhere_namespaces {
                Some(listed) if !listed.iter().any(|n| n == namespace) => {
                    Some(AnywhereRefusal::NotListed)
                }
                _ => None,
            },
        }
    }
}

impl Default for RuleConfig {
    fn default() -> Self {
        RuleConfig {
            gateway_ports: DEFAULT_GATEWAY_PORTS.to_vec(),
            allowed_hosts: Vec::new(),
            denied_hosts: Vec::new(),
            namespaces: BTreeMap::new(),
            deny_http: false,
            require_service_account: false,
            max_remote_host_rules: DEFAULT_MAX_REMOTE_HOST_RULES,
            anywhere_namespaces: None,
        }
    }
}
