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

/// Per-namespace host lists, added to the global ones for Packages in that namespace.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NamespaceHosts {
    pub allowed_hosts: Vec<HostPattern>,
    pub denied_hosts: Vec<HostPattern>,
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
        }
    }
}
