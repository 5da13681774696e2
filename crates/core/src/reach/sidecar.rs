//! Sidecar: which Sidecar resource configures a workload's proxy, and what it lets it see.
//!
//! Rules (docs/reach.md, R1): in the workload's namespace, a Sidecar whose `workloadSelector`
//! selects the workload wins over one without a selector; with none, the root namespace's
//! (`istio-system`) Sidecar without selector; with none, the mesh default. Several candidates of
//! the same rank are undefined in Istio; the first by name is taken and noted. `egress[].hosts`
//! (`<namespace>/<host>`) narrow the registry the workload sees; absent, it sees all of it.
//! `outboundTrafficPolicy.mode` is `REGISTRY_ONLY` or the mesh default `ALLOW_ANY` (semantics §5).

use crate::reach::fields::{Field, FieldError, Labels, host_matches, selects};
use crate::reach::mesh::{Meta, Notes};

pub const ROOT_NAMESPACE: &str = "istio-system";
pub const MESH_DEFAULT_MODE: &str = "ALLOW_ANY";

#[derive(Clone, Debug, PartialEq)]
pub struct Sidecar {
    pub meta: Meta,
    /// `None`: the whole namespace.
    pub selector: Option<Labels>,
    pub outbound_mode: Option<String>,
    /// `None`: no `egress` listeners, so the whole registry.
    pub egress_hosts: Option<Vec<String>>,
}

impl Sidecar {
    pub fn read(meta: Meta, spec: &Field<'_>, notes: &mut Notes) -> Result<Sidecar, FieldError> {
        let egress = spec.get("egress")?.optional_items()?;
        let egress_hosts = match egress {
            None => None,
            Some(listeners) => {
                let mut hosts = Vec::new();
                for listener in listeners {
                    if listener.get("port")?.is_present() || listener.get("bind")?.is_present() {
                        notes.add(&meta.key, "egress listener port/bind not modelled");
                    }
                    hosts.extend(listener.get("hosts")?.strings()?);
                }
                Some(hosts)
            }
        };
        Ok(Sidecar {
            selector: spec.get("workloadSelector")?.get("labels")?.labels()?,
            outbound_mode: spec
                .get("outboundTrafficPolicy")?
                .get("mode")?
                .str()?
                .map(str::to_string),
            egress_hosts,
            meta,
        })
    }

    /// `REGISTRY_ONLY` or `ALLOW_ANY`.
    pub fn mode(&self) -> &str {
        self.outbound_mode.as_deref().unwrap_or(MESH_DEFAULT_MODE)
    }

    /// Whether a workload in `namespace` with this Sidecar sees `host` of a ServiceEntry in
    /// `entry_namespace`.
    pub fn sees(&self, namespace: &str, entry_namespace: &str, host: &str) -> bool {
        let Some(patterns) = &self.egress_hosts else {
            return true;
        };
        patterns.iter().any(|pattern| {
            let (ns, host_pattern) = pattern.split_once('/').unwrap_or(("*", pattern));
            let ns_ok = match ns {
                "*" => true,
                "." => entry_namespace == namespace,
                "~" => false,
                other => other == entry_namespace,
            };
            ns_ok && host_matches(host_pattern, host)
        })
    }
}

/// The Sidecar that configures a workload's proxy, by Istio's precedence; `None`: the mesh
/// default. `noted` gets the ambiguous cases.
pub fn applicable<'a>(
    sidecars: &'a [Sidecar],
    namespace: &'a str,
    labels: &Labels,
    noted: &mut Vec<String>,
) -> Option<&'a Sidecar> {
    let in_namespace = |ns: &'a str| sidecars.iter().filter(move |s| s.meta.key.namespace == ns);
    let selecting: Vec<&Sidecar> = in_namespace(namespace)
        .filter(|s| s.selector.as_ref().is_some_and(|sel| selects(sel, labels)))
        .collect();
    let pick = |candidates: Vec<&'a Sidecar>, noted: &mut Vec<String>| {
        if candidates.len() > 1 {
            noted.push(format!(
                "several Sidecars of the same precedence select pods {labels:?} in {namespace} \
                 (Istio leaves this undefined); {} is taken",
                candidates
                    .first()
                    .map(|s| s.meta.key.name.as_str())
                    .unwrap_or("")
            ));
        }
        candidates.first().copied()
    };
    if !selecting.is_empty() {
        return pick(selecting, noted);
    }
    let whole: Vec<&Sidecar> = in_namespace(namespace)
        .filter(|s| s.selector.is_none())
        .collect();
    if !whole.is_empty() {
        return pick(whole, noted);
    }
    let root: Vec<&Sidecar> = in_namespace(ROOT_NAMESPACE)
        .filter(|s| s.selector.is_none())
        .collect();
    pick(root, noted)
}
