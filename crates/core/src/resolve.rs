//! Protocol and port resolution of host rules (semantics §3.1).

use serde::Serialize;

use crate::model::{Allow, Protocol};

/// One `(port, protocol)` pair of a host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Pair {
    pub port: u16,
    pub protocol: Protocol,
}

/// `remoteProtocol`, else `TLS`.
pub fn host_protocol(allow: &Allow) -> Protocol {
    allow.remote_protocol.unwrap_or(Protocol::Tls)
}

/// The default port of a protocol when a host rule gives none: 80 for HTTP, else 443.
pub fn default_port(protocol: Protocol) -> u16 {
    match protocol {
        Protocol::Http => 80,
        _ => 443,
    }
}

/// `ports` if non-empty; else `[port]` if given; else the protocol's default port.
pub fn host_ports(allow: &Allow) -> Vec<u16> {
    if let Some(ports) = allow.non_empty_ports() {
        return ports.iter().map(|p| p.get()).collect();
    }
    match allow.port {
        Some(port) => vec![port.get()],
        None => vec![default_port(host_protocol(allow))],
    }
}

/// The pairs of one host rule, in port order as written.
pub fn host_pairs(allow: &Allow) -> Vec<Pair> {
    let protocol = host_protocol(allow);
    host_ports(allow)
        .into_iter()
        .map(|port| Pair { port, protocol })
        .collect()
}

/// Appends `items` to `list`, skipping ones already present (first-seen order wins).
pub fn push_unique<T: PartialEq>(list: &mut Vec<T>, items: impl IntoIterator<Item = T>) {
    for item in items {
        if !list.contains(&item) {
            list.push(item);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::port::Port;

    fn allow(protocol: Option<Protocol>, port: Option<u16>, ports: Option<Vec<u16>>) -> Allow {
        Allow {
            remote_host: Some("example.com".into()),
            remote_protocol: protocol,
            port: port.and_then(Port::new),
            ports: ports.map(|p| p.into_iter().filter_map(Port::new).collect()),
            ..Allow::default()
        }
    }

    #[test]
    fn defaults_follow_the_protocol() {
        assert_eq!(host_ports(&allow(None, None, None)), vec![443]);
        assert_eq!(
            host_ports(&allow(Some(Protocol::Tls), None, None)),
            vec![443]
        );
        assert_eq!(
            host_ports(&allow(Some(Protocol::Http), None, None)),
            vec![80]
        );
        assert_eq!(host_protocol(&allow(None, None, None)), Protocol::Tls);
    }

    #[test]
    fn ports_win_over_port_unless_empty() {
        assert_eq!(
            host_ports(&allow(None, Some(8443), Some(vec![443, 9443]))),
            vec![443, 9443]
        );
        assert_eq!(
            host_ports(&allow(None, Some(8443), Some(vec![]))),
            vec![8443]
        );
        assert_eq!(
            host_ports(&allow(Some(Protocol::Http), None, Some(vec![]))),
            vec![80]
        );
    }

    #[test]
    fn pairs_carry_the_protocol() {
        let pairs = host_pairs(&allow(Some(Protocol::Http), None, Some(vec![80, 8080])));
        assert_eq!(
            pairs,
            vec![
                Pair {
                    port: 80,
                    protocol: Protocol::Http
                },
                Pair {
                    port: 8080,
                    protocol: Protocol::Http
                }
            ]
        );
    }
}
