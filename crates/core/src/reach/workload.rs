//! The workloads of Packages: who might leave the mesh.
//!
//! A workload is one distinct (namespace, selector, serviceAccount) among a Package's egress
//! entries that lead to the egress gateway or waypoint: host rules and `remoteGenerated: Anywhere`
//! entries. Its pods are taken to carry exactly the selector's labels and to run as the service
//! account (none set: an unknown one). That is the pod every such rule certainly covers; a pod
//! with more labels may be selected by more objects (docs/reach.md, limits).

use serde::Serialize;

use crate::model::{Allow, Mode, Package, RemoteGenerated, is_set};
use crate::reach::fields::Labels;
use crate::translate::ambient::principal;

/// A Package by namespace and name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct PackageRef {
    pub namespace: String,
    pub name: String,
}

impl PackageRef {
    pub fn of(package: &Package) -> PackageRef {
        PackageRef {
            namespace: package.namespace().to_string(),
            name: package.name().to_string(),
        }
    }
}

impl std::fmt::Display for PackageRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// One `allow[]` entry of a Package.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct EntryRef {
    pub package: PackageRef,
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl EntryRef {
    pub fn of(package: &Package, index: usize, allow: &Allow) -> EntryRef {
        EntryRef {
            package: PackageRef::of(package),
            index,
            description: allow.description.clone().filter(|d| !d.is_empty()),
        }
    }
}

impl std::fmt::Display for EntryRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "allow[{}]", self.index)?;
        if let Some(description) = &self.description {
            write!(f, " \"{description}\"")?;
        }
        Ok(())
    }
}

/// The pods of one (namespace, selector, serviceAccount) of a Package.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Workload {
    pub package: PackageRef,
    pub mode: Mode,
    /// Empty: every pod of the namespace (no selector, or `{}`).
    pub selector: Labels,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
}

impl Workload {
    pub fn of(package: &Package, allow: &Allow) -> Workload {
        Workload {
            package: PackageRef::of(package),
            mode: package.mode(),
            selector: selector_of(allow),
            service_account: service_account_of(allow),
        }
    }

    pub fn namespace(&self) -> &str {
        &self.package.namespace
    }

    /// The workload's mesh identity, when its service account is known.
    pub fn principal(&self) -> Option<String> {
        self.service_account
            .as_deref()
            .map(|sa| principal(self.namespace(), sa))
    }

    /// `app=web,tier=front sa=web`, or `*` for every pod of the namespace.
    pub fn pods(&self) -> String {
        let mut text = if self.selector.is_empty() {
            "*".to_string()
        } else {
            self.selector
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        if let Some(sa) = &self.service_account {
            text.push_str(" sa=");
            text.push_str(sa);
        }
        text
    }
}

impl std::fmt::Display for Workload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.package, self.pods())
    }
}

/// The entry's selector as a set; absent and `{}` both select every pod.
pub fn selector_of(allow: &Allow) -> Labels {
    allow
        .selector
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

pub fn service_account_of(allow: &Allow) -> Option<String> {
    is_set(&allow.service_account)
        .then(|| allow.service_account.clone())
        .flatten()
}

/// An `Egress` entry with `remoteGenerated: Anywhere`.
pub fn is_anywhere(allow: &Allow) -> bool {
    allow.is_egress() && allow.remote_generated == Some(RemoteGenerated::Anywhere)
}

/// The entries that can lead a workload to the egress gateway or waypoint.
pub fn leads_out(allow: &Allow) -> bool {
    (allow.is_egress() && allow.is_host_rule()) || is_anywhere(allow)
}

/// Every workload of `packages`, sorted, each once. Packages being deleted have none.
pub fn workloads(packages: &[&Package]) -> Vec<Workload> {
    let mut out: Vec<Workload> = packages
        .iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .flat_map(|package| {
            package
                .allow()
                .iter()
                .filter(|allow| leads_out(allow))
                .map(|allow| Workload::of(package, allow))
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::package_from_value;
    use serde_json::json;

    #[test]
    fn one_workload_per_selector_and_service_account() {
        let package = package_from_value(&json!({
            "metadata": {"name": "p", "namespace": "n"},
            "spec": {"network": {"allow": [
                {"direction": "Egress", "selector": {"b": "2", "a": "1"}, "remoteHost": "a.com"},
                {"direction": "Egress", "selector": {"a": "1", "b": "2"}, "remoteHost": "b.com"},
                {"direction": "Egress", "selector": {}, "remoteHost": "c.com", "serviceAccount": "x"},
                {"direction": "Egress", "remoteGenerated": "Anywhere", "serviceAccount": "x"},
                {"direction": "Egress", "remoteGenerated": "KubeAPI"},
                {"direction": "Ingress", "remoteNamespace": "y"}
            ]}}
        }))
        .unwrap();
        let found = workloads(&[&package]);
        let pods: Vec<String> = found.iter().map(Workload::pods).collect();
        assert_eq!(pods, vec!["* sa=x", "a=1,b=2"]);
        assert_eq!(
            found[0].principal().as_deref(),
            Some("cluster.local/ns/n/sa/x")
        );
        assert_eq!(found[1].principal(), None);
    }
}
