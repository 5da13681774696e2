//! What the Packages declared, to explain a reach found in the objects: which entries ask for a
//! host and port, and which Packages a shared object's owner annotations name.

use std::collections::BTreeMap;

use crate::model::{Mode, Package};
use crate::normal_host::{normal_form, same_host};
use crate::owner_annotation::owner_annotation_key;
use crate::reach::fields::Labels;
use crate::reach::workload::{EntryRef, PackageRef, is_anywhere, selector_of, service_account_of};
use crate::resolve::{host_ports, host_protocol};

/// One entry that leads out, with what it asks for.
#[derive(Clone, Debug)]
pub struct Declared {
    pub entry: EntryRef,
    pub mode: Mode,
    pub selector: Labels,
    pub service_account: Option<String>,
    pub kind: DeclaredKind,
}

#[derive(Clone, Debug)]
pub enum DeclaredKind {
    /// A host rule: the host (lower case), its ports and protocol (`TLS`/`HTTP`).
    Host {
        host: String,
        ports: Vec<u16>,
        protocol: String,
    },
    /// `remoteGenerated: Anywhere`, on these ports (empty: all).
    Anywhere { ports: Vec<u16> },
}

impl Declared {
    pub fn asks_for(&self, host: &str, port: u16, protocol: &str) -> bool {
        match &self.kind {
            DeclaredKind::Host {
                host: h,
                ports,
                protocol: p,
            } => same_host(h, host) && ports.contains(&port) && p == protocol,
            DeclaredKind::Anywhere { .. } => false,
        }
    }

    pub fn names_host(&self, host: &str) -> bool {
        matches!(&self.kind, DeclaredKind::Host { host: h, .. } if same_host(h, host))
    }
}

/// Every entry of the Packages that leads out, and the owner annotation key of each Package.
pub struct Declarations {
    pub entries: Vec<Declared>,
    owners: BTreeMap<String, PackageRef>,
}

impl Declarations {
    pub fn of(packages: &[&Package]) -> Declarations {
        let mut entries = Vec::new();
        let mut owners = BTreeMap::new();
        for package in packages {
            owners.insert(
                owner_annotation_key(&package.pkg_id()),
                PackageRef::of(package),
            );
            for (index, allow) in package.allow().iter().enumerate() {
                let kind = if is_anywhere(allow) {
                    let ports = match (allow.non_empty_ports(), allow.port) {
                        (Some(ports), _) => ports.iter().map(|p| p.get()).collect(),
                        (None, Some(port)) => vec![port.get()],
                        (None, None) => Vec::new(),
                    };
                    DeclaredKind::Anywhere { ports }
                } else if allow.is_egress() && allow.is_host_rule() {
                    DeclaredKind::Host {
                        host: normal_form(allow.host().unwrap_or("")),
                        ports: host_ports(allow),
                        protocol: host_protocol(allow).as_str().to_string(),
                    }
                } else {
                    continue;
                };
                entries.push(Declared {
                    entry: EntryRef::of(package, index, allow),
                    mode: package.mode(),
                    selector: selector_of(allow),
                    service_account: service_account_of(allow),
                    kind,
                });
            }
        }
        Declarations { entries, owners }
    }

    pub fn of_package<'a>(&'a self, package: &'a PackageRef) -> impl Iterator<Item = &'a Declared> {
        self.entries
            .iter()
            .filter(move |d| d.entry.package == *package)
    }

    /// The Packages a shared object's `uds.dev/user-…` annotations name, sorted.
    pub fn annotated(&self, annotations: &Labels) -> Vec<PackageRef> {
        let mut out: Vec<PackageRef> = annotations
            .keys()
            .filter_map(|key| self.owners.get(key).cloned())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The Packages other than `except` that declared `host:port/protocol` in `mode`, among
    /// those a shared object names (all of that mode when it names none of them), sorted.
    pub fn declared_by(
        &self,
        annotations: &Labels,
        mode: Mode,
        host: &str,
        port: u16,
        protocol: &str,
        except: &PackageRef,
    ) -> Vec<PackageRef> {
        let named = self.annotated(annotations);
        let mut out: Vec<PackageRef> = self
            .entries
            .iter()
            .filter(|d| d.mode == mode && d.asks_for(host, port, protocol))
            .map(|d| d.entry.package.clone())
            .filter(|p| p != except && (named.is_empty() || named.contains(p)))
            .collect();
        out.sort();
        out.dedup();
        out
    }
}
