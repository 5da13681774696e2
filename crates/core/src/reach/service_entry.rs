//! ServiceEntry: which external host and port a namespace's proxies know (Istio's registry).
//!
//! Rule (docs/reach.md, R2): a ServiceEntry puts its hosts, on its ports, into the registry of
//! every namespace it is exported to (`exportTo`, see [`exported_to`]). A sidecar routes a host to
//! the egress gateway only when the host is in its registry; the gateway forwards to a host only
//! when the host is in the gateway namespace's registry.

use crate::reach::fields::{Field, FieldError, exported_to, host_matches};
use crate::reach::mesh::Meta;

#[derive(Clone, Debug, PartialEq)]
pub struct ServiceEntry {
    pub meta: Meta,
    pub hosts: Vec<String>,
    pub ports: Vec<ServicePort>,
    pub export_to: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ServicePort {
    pub number: u16,
    /// As written (`TLS`, `HTTP`, `HTTPS`, ...).
    pub protocol: String,
}

impl ServiceEntry {
    pub fn read(meta: Meta, spec: &Field<'_>) -> Result<ServiceEntry, FieldError> {
        let mut ports = Vec::new();
        for port in spec.get("ports")?.items()? {
            ports.push(ServicePort {
                number: port.get("number")?.port()?.ok_or_else(|| FieldError {
                    path: format!("{}.number", port.path()),
                    message: "missing".into(),
                })?,
                protocol: port
                    .get("protocol")?
                    .str()?
                    .unwrap_or("TCP")
                    .to_ascii_uppercase(),
            });
        }
        Ok(ServiceEntry {
            meta,
            hosts: spec.get("hosts")?.strings()?,
            ports,
            export_to: spec.get("exportTo")?.strings()?,
        })
    }

    /// In the registry of `namespace`.
    pub fn visible_in(&self, namespace: &str) -> bool {
        exported_to(&self.export_to, &self.meta.key.namespace, namespace)
    }

    /// The entry's port `number` when it lists `host`.
    pub fn port_for(&self, host: &str, number: u16) -> Option<&ServicePort> {
        if !self.hosts.iter().any(|h| host_matches(h, host)) {
            return None;
        }
        self.ports.iter().find(|p| p.number == number)
    }
}

/// The protocol family a port carries: `TLS` (also `HTTPS`) or `HTTP` (also `HTTP2`, `GRPC`);
/// others as written.
pub fn protocol_family(protocol: &str) -> String {
    match protocol.to_ascii_uppercase().as_str() {
        "TLS" | "HTTPS" => "TLS".into(),
        "HTTP" | "HTTP2" | "GRPC" => "HTTP".into(),
        other => other.into(),
    }
}
