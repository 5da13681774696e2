//! Which external host each generated object serves. A foreign object with an owned name blocks
//! its host: every object of that host (in that mode) is skipped, so that no half-configured
//! route (say, a ServiceEntry without the VirtualService that sends it through the gateway)
//! is ever written.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;
use uds_egress_core::GeneratedObject;
use uds_egress_core::names::EGRESS_AMBIENT_NAMESPACE;

use crate::identity::group_of;

/// A host in one mode: the sidecar and ambient objects of a host never affect each other.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct HostScope {
    pub host: String,
    pub ambient: bool,
}

/// The hosts of each object of `objects`, index for index. Sidecars, NetworkPolicies and the
/// waypoint serve no single host and get none.
pub fn hosts_of_objects(objects: &[GeneratedObject]) -> Vec<Vec<HostScope>> {
    let service_entry_hosts: HashMap<(&str, &str), Vec<String>> = objects
        .iter()
        .filter(|o| o.key.kind == "ServiceEntry")
        .map(|o| {
            (
                (o.key.namespace.as_str(), o.key.name.as_str()),
                strings(o.manifest.pointer("/spec/hosts")),
            )
        })
        .collect();
    objects
        .iter()
        .map(|object| {
            let hosts = match (group_of(&object.key.api_version), object.key.kind.as_str()) {
                (_, "ServiceEntry") | (_, "VirtualService") => {
                    strings(object.manifest.pointer("/spec/hosts"))
                }
                ("networking.istio.io", "Gateway") => object
                    .manifest
                    .pointer("/spec/servers")
                    .and_then(Value::as_array)
                    .map(|servers| {
                        servers
                            .iter()
                            .flat_map(|s| strings(s.get("hosts")))
                            .collect()
                    })
                    .unwrap_or_default(),
                (_, "AuthorizationPolicy") => {
                    let target = object.manifest.pointer("/spec/targetRef/name");
                    target
                        .and_then(Value::as_str)
                        .and_then(|name| {
                            service_entry_hosts.get(&(object.key.namespace.as_str(), name))
                        })
                        .cloned()
                        .unwrap_or_default()
                }
                _ => Vec::new(),
            };
            let ambient = object.key.namespace == EGRESS_AMBIENT_NAMESPACE;
            let mut scoped: Vec<HostScope> = hosts
                .into_iter()
                .map(|host| HostScope { host, ambient })
                .collect();
            scoped.sort();
            scoped.dedup();
            scoped
        })
        .collect()
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}
