//! The parts of a UDS `Package` (`uds.dev/v1alpha1`) that matter for egress.
//!
//! Unknown fields are ignored (the CRD prunes them too). Maps keep their submitted key order,
//! because generated names and de-duplication depend on it.

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, Serialize};

use crate::deprecated_fields;
use crate::port::Port;

pub const API_VERSION: &str = "uds.dev/v1alpha1";
pub const KIND: &str = "Package";

/// An ordered label map (`selector`, `labels`, ...).
pub type LabelMap = IndexMap<String, String>;

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct Package {
    #[serde(default)]
    pub metadata: PackageMeta,
    #[serde(default)]
    pub spec: Option<PackageSpec>,
}

/// What uds-egress reads of a Package's metadata; everything else (`labels`, `managedFields`, ...)
/// is skipped unread.
///
/// Our own type rather than `k8s_openapi`'s `ObjectMeta`, because the policy parses it on every
/// admission: the timestamps stay the API server's RFC 3339 text, so the policy module carries no
/// date parser (a tenth of its code with `ObjectMeta`). Only the generator orders by
/// `creationTimestamp` ([`crate::desired`]) and checks the text of files it reads.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PackageMeta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_timestamp: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct PackageSpec {
    #[serde(default)]
    pub network: Option<Network>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Network {
    #[serde(default)]
    pub service_mesh: Option<ServiceMesh>,
    #[serde(default)]
    pub allow: Option<Vec<Allow>>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct ServiceMesh {
    /// `None` when absent or empty: both mean ambient.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub mode: Option<Mode>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Sidecar,
    Ambient,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub enum Direction {
    Ingress,
    Egress,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    #[serde(rename = "TLS")]
    Tls,
    #[serde(rename = "HTTP")]
    Http,
    #[serde(rename = "TCP")]
    Tcp,
    #[serde(rename = "UDP")]
    Udp,
}

impl Protocol {
    /// The spelling used in the CRD and in Istio port entries (`TLS`, `HTTP`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tls => "TLS",
            Protocol::Http => "HTTP",
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
        }
    }

    /// Lower case, as in object names and port names (`tls-443`).
    pub fn as_lower(self) -> &'static str {
        match self {
            Protocol::Tls => "tls",
            Protocol::Http => "http",
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        }
    }

    /// `TLS` and `HTTP` are the "L7" protocols of the admission rules.
    pub fn is_l7(self) -> bool {
        matches!(self, Protocol::Tls | Protocol::Http)
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub enum RemoteGenerated {
    KubeAPI,
    KubeNodes,
    IntraNamespace,
    CloudMetadata,
    Anywhere,
}

impl RemoteGenerated {
    pub fn as_str(self) -> &'static str {
        match self {
            RemoteGenerated::KubeAPI => "KubeAPI",
            RemoteGenerated::KubeNodes => "KubeNodes",
            RemoteGenerated::IntraNamespace => "IntraNamespace",
            RemoteGenerated::CloudMetadata => "CloudMetadata",
            RemoteGenerated::Anywhere => "Anywhere",
        }
    }
}

/// One `spec.network.allow[]` entry.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Allow {
    #[serde(default)]
    pub direction: Option<Direction>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub labels: Option<LabelMap>,
    #[serde(default)]
    pub selector: Option<LabelMap>,
    /// Deprecated; migrated to `selector`.
    #[serde(default)]
    pub pod_labels: Option<LabelMap>,
    #[serde(default)]
    pub remote_host: Option<String>,
    #[serde(default)]
    pub remote_protocol: Option<Protocol>,
    #[serde(default)]
    pub port: Option<Port>,
    #[serde(default)]
    pub ports: Option<Vec<Port>>,
    #[serde(default)]
    pub service_account: Option<String>,
    #[serde(default)]
    pub remote_generated: Option<RemoteGenerated>,
    #[serde(default)]
    pub remote_namespace: Option<String>,
    #[serde(default)]
    pub remote_selector: Option<LabelMap>,
    /// Deprecated; migrated to `remoteSelector`.
    #[serde(default)]
    pub remote_pod_labels: Option<LabelMap>,
    #[serde(default)]
    pub remote_cidr: Option<String>,
}

/// A string field is "set" when present and non-empty.
pub fn is_set(field: &Option<String>) -> bool {
    field.as_deref().is_some_and(|s| !s.is_empty())
}

impl Allow {
    /// A host rule is an entry whose `remoteHost` is a non-empty string.
    pub fn is_host_rule(&self) -> bool {
        is_set(&self.remote_host)
    }

    /// The host of a host rule, verbatim.
    pub fn host(&self) -> Option<&str> {
        self.remote_host.as_deref().filter(|h| !h.is_empty())
    }

    pub fn is_egress(&self) -> bool {
        self.direction == Some(Direction::Egress)
    }

    /// The explicit `ports` list when it is non-empty.
    pub fn non_empty_ports(&self) -> Option<&[Port]> {
        self.ports.as_deref().filter(|p| !p.is_empty())
    }

    /// Replaces deprecated fields by their successors ([`deprecated_fields`]).
    pub fn migrate(&mut self) {
        deprecated_fields::migrate_typed(self);
    }
}

impl Package {
    pub fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or("")
    }

    pub fn namespace(&self) -> &str {
        self.metadata.namespace.as_deref().unwrap_or("")
    }

    /// `<name>-<namespace>`: keys aggregation and forms the owner annotation (unsanitised).
    pub fn pkg_id(&self) -> String {
        format!("{}-{}", self.name(), self.namespace())
    }

    /// `metadata.generation` as a decimal string, `"0"` when absent.
    pub fn generation(&self) -> String {
        self.metadata.generation.unwrap_or(0).to_string()
    }

    /// Absent or empty `serviceMesh.mode` means ambient.
    pub fn mode(&self) -> Mode {
        self.network()
            .and_then(|n| n.service_mesh.as_ref())
            .and_then(|m| m.mode)
            .unwrap_or(Mode::Ambient)
    }

    pub fn network(&self) -> Option<&Network> {
        self.spec.as_ref().and_then(|s| s.network.as_ref())
    }

    /// The `allow[]` entries in order (empty when absent).
    pub fn allow(&self) -> &[Allow] {
        self.network()
            .and_then(|n| n.allow.as_deref())
            .unwrap_or(&[])
    }

    /// Host rules with their index in `allow[]`.
    pub fn host_rules(&self) -> impl Iterator<Item = (usize, &Allow)> {
        self.allow()
            .iter()
            .enumerate()
            .filter(|(_, a)| a.is_host_rule())
    }

    pub fn has_host_rules(&self) -> bool {
        self.host_rules().next().is_some()
    }

    /// Applies the deprecated-field migration to every entry.
    pub fn migrate(&mut self) {
        let allow = self
            .spec
            .as_mut()
            .and_then(|s| s.network.as_mut())
            .and_then(|n| n.allow.as_mut());
        for entry in allow.into_iter().flatten() {
            entry.migrate();
        }
    }
}

fn empty_as_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Mode>, D::Error> {
    let raw: Option<String> = Option::deserialize(d)?;
    match raw.as_deref() {
        None | Some("") => Ok(None),
        Some("sidecar") => Ok(Some(Mode::Sidecar)),
        Some("ambient") => Ok(Some(Mode::Ambient)),
        Some(other) => Err(serde::de::Error::custom(format!(
            "unknown mode `{other}`, expected `sidecar` or `ambient`"
        ))),
    }
}
