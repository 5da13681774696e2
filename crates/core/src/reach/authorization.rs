//! The ambient egress path: the waypoint a ServiceEntry is bound to, and the AuthorizationPolicy
//! that says who may use the ServiceEntry on which port.
//!
//! Rules (docs/reach.md, R6 and R7):
//! - a ServiceEntry labelled `istio.io/use-waypoint: <name>` (namespace
//!   `istio.io/use-waypoint-namespace`, else its own) sends its traffic through that waypoint,
//!   which must exist as a Gateway API `Gateway` of class `istio-waypoint` with an HBONE listener
//!   whose `allowedRoutes` admit ServiceEntries from the entry's namespace. In ambient mode the
//!   waypoint-bound entry is used by the ztunnel of every namespace (UDS Core relies on this: its
//!   `exportTo: ["."]` does not hide it from clients);
//! - the waypoint enforces `ALLOW` AuthorizationPolicies whose `targetRef`/`targetRefs` name the
//!   ServiceEntry: with none, every client is let through; with some, a request passes when one
//!   rule matches: a `from` source whose `principals` contain the client's
//!   `cluster.local/ns/<ns>/sa/<sa>` and whose `namespaces` contain its namespace (each when
//!   given; no `from`: any client), and a `to` operation whose `ports` contain the port (no
//!   `to`: any port). `DENY`/`CUSTOM` policies and other conditions are not modelled (noted).

use serde::Serialize;

use crate::generated_object::ObjectKey;
use crate::reach::fields::{Field, FieldError};
use crate::reach::mesh::{Mesh, Meta, Notes};
use crate::reach::service_entry::ServiceEntry;
use crate::reach::workload::Workload;

#[derive(Clone, Debug, PartialEq)]
pub struct Waypoint {
    pub meta: Meta,
    pub class: String,
    pub listeners: Vec<Listener>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Listener {
    pub protocol: String,
    /// `allowedRoutes.namespaces.from`: `Same` (the default), `All`, `Selector`.
    pub from: String,
    /// `(group, kind)`; empty: the listener's default kinds.
    pub kinds: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AuthorizationPolicy {
    pub meta: Meta,
    pub action: String,
    /// `(group, kind, name)`.
    pub targets: Vec<(String, String, String)>,
    pub rules: Vec<Rule>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// `None`: any client.
    pub sources: Option<Vec<Source>>,
    /// `None`: any port.
    pub ports: Option<Vec<u16>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Source {
    pub principals: Option<Vec<String>>,
    pub namespaces: Option<Vec<String>>,
}

impl Waypoint {
    pub fn read(meta: Meta, spec: &Field<'_>) -> Result<Waypoint, FieldError> {
        let mut listeners = Vec::new();
        for listener in spec.get("listeners")?.items()? {
            let allowed = listener.get("allowedRoutes")?;
            let mut kinds = Vec::new();
            for kind in allowed.get("kinds")?.items()? {
                kinds.push((
                    kind.get("group")?
                        .str()?
                        .unwrap_or("gateway.networking.k8s.io")
                        .to_string(),
                    kind.get("kind")?.required_str()?.to_string(),
                ));
            }
            listeners.push(Listener {
                protocol: listener.get("protocol")?.str()?.unwrap_or("").to_string(),
                from: allowed
                    .get("namespaces")?
                    .get("from")?
                    .str()?
                    .unwrap_or("Same")
                    .to_string(),
                kinds,
            });
        }
        Ok(Waypoint {
            class: spec
                .get("gatewayClassName")?
                .str()?
                .unwrap_or("")
                .to_string(),
            listeners,
            meta,
        })
    }

    /// Whether this waypoint carries traffic of ServiceEntries in `namespace`.
    fn admits_entries_from(&self, namespace: &str) -> bool {
        self.class == "istio-waypoint"
            && self.listeners.iter().any(|l| {
                let from =
                    l.from == "All" || (l.from == "Same" && namespace == self.meta.key.namespace);
                let kind = l.kinds.is_empty()
                    || l.kinds
                        .iter()
                        .any(|(g, k)| g == "networking.istio.io" && k == "ServiceEntry");
                l.protocol == "HBONE" && from && kind
            })
    }
}

impl AuthorizationPolicy {
    pub fn read(
        meta: Meta,
        spec: &Field<'_>,
        notes: &mut Notes,
    ) -> Result<AuthorizationPolicy, FieldError> {
        let mut targets = Vec::new();
        let single = spec.get("targetRef")?;
        let mut refs = spec.get("targetRefs")?.items()?;
        if single.is_present() {
            refs.push(single);
        }
        for target in refs {
            targets.push((
                target.get("group")?.str()?.unwrap_or("").to_string(),
                target.get("kind")?.required_str()?.to_string(),
                target.get("name")?.required_str()?.to_string(),
            ));
        }
        if spec.get("selector")?.is_present() {
            notes.add(&meta.key, "workload selector not modelled");
        }
        let mut rules = Vec::new();
        for rule in spec.get("rules")?.items()? {
            if rule.get("when")?.is_present() {
                notes.add(
                    &meta.key,
                    "rule conditions (when) not modelled (taken as met)",
                );
            }
            let sources = match rule.get("from")?.optional_items()? {
                None => None,
                Some(from) => {
                    let mut out = Vec::new();
                    for entry in from {
                        let source = entry.get("source")?;
                        out.push(Source {
                            principals: source.get("principals")?.optional_strings()?,
                            namespaces: source.get("namespaces")?.optional_strings()?,
                        });
                    }
                    Some(out)
                }
            };
            let ports = match rule.get("to")?.optional_items()? {
                None => None,
                Some(to) => {
                    let mut out = Vec::new();
                    let mut any = false;
                    for entry in to {
                        let ports = entry.get("operation")?.get("ports")?.optional_items()?;
                        match ports {
                            None => any = true,
                            Some(ports) => {
                                for port in ports {
                                    out.push(port.port_text()?);
                                }
                            }
                        }
                    }
                    (!any).then_some(out)
                }
            };
            rules.push(Rule { sources, ports });
        }
        let action = spec.get("action")?.str()?.unwrap_or("ALLOW").to_string();
        if action != "ALLOW" {
            notes.add(
                &meta.key,
                &format!("action {action} not modelled (ignored)"),
            );
        }
        Ok(AuthorizationPolicy {
            meta,
            action,
            targets,
            rules,
        })
    }

    fn targets(&self, entry: &ServiceEntry) -> bool {
        self.meta.key.namespace == entry.meta.key.namespace
            && self.targets.iter().any(|(group, kind, name)| {
                group == "networking.istio.io"
                    && kind == "ServiceEntry"
                    && *name == entry.meta.key.name
            })
    }
}

/// Why the waypoint lets a workload through to a ServiceEntry's port.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Admitted {
    /// No ALLOW policy targets the entry.
    NoPolicy,
    /// A rule without `from`.
    AnyClient(ObjectKey),
    /// The workload's principal is listed.
    Principal(ObjectKey),
    /// The workload's namespace is listed.
    Namespace(ObjectKey),
}

/// A ServiceEntry whose traffic goes through an existing waypoint, with that waypoint.
pub struct WaypointEntry<'a> {
    pub entry: &'a ServiceEntry,
    pub waypoint: &'a Waypoint,
}

/// Every waypoint-bound ServiceEntry, in object order.
pub fn waypoint_entries(mesh: &Mesh) -> Vec<WaypointEntry<'_>> {
    mesh.service_entries
        .iter()
        .filter_map(|entry| {
            let name = entry.meta.labels.get("istio.io/use-waypoint")?;
            if name == "none" {
                return None;
            }
            let namespace = entry
                .meta
                .labels
                .get("istio.io/use-waypoint-namespace")
                .unwrap_or(&entry.meta.key.namespace);
            let waypoint = mesh.waypoints.iter().find(|w| {
                w.meta.key.name == *name
                    && w.meta.key.namespace == *namespace
                    && w.admits_entries_from(&entry.meta.key.namespace)
            })?;
            Some(WaypointEntry { entry, waypoint })
        })
        .collect()
}

/// Why the waypoint lets `workload` use `entry` on `port`; empty: it does not.
pub fn admitted(
    mesh: &Mesh,
    entry: &ServiceEntry,
    port: u16,
    workload: &Workload,
) -> Vec<Admitted> {
    let policies: Vec<&AuthorizationPolicy> = mesh
        .authorization_policies
        .iter()
        .filter(|p| p.action == "ALLOW" && p.targets(entry))
        .collect();
    if policies.is_empty() {
        return vec![Admitted::NoPolicy];
    }
    let principal = workload.principal();
    let namespace = workload.namespace();
    let mut out = Vec::new();
    for policy in policies {
        for rule in &policy.rules {
            if !rule
                .ports
                .as_ref()
                .is_none_or(|ports| ports.contains(&port))
            {
                continue;
            }
            let key = || policy.meta.key.clone();
            let Some(sources) = &rule.sources else {
                out.push(Admitted::AnyClient(key()));
                continue;
            };
            for source in sources {
                let by_principal = source.principals.as_ref().map(|list| {
                    list.iter()
                        .any(|p| p == "*" || principal.as_deref() == Some(p.as_str()))
                });
                let by_namespace = source
                    .namespaces
                    .as_ref()
                    .map(|list| list.iter().any(|n| n == "*" || n == namespace));
                match (by_principal, by_namespace) {
                    (Some(true), None | Some(true)) => out.push(Admitted::Principal(key())),
                    (None, Some(true)) => out.push(Admitted::Namespace(key())),
                    (None, None) => out.push(Admitted::AnyClient(key())),
                    _ => {}
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}
