//! The generated objects as the analysis sees them: each kind read into the few fields that
//! decide where traffic may go. Objects of other kinds are left out; fields that the analysis
//! does not model are noted (docs/reach.md, limits), wrong types are errors naming the field.

use serde::Serialize;
use serde_json::Value;

use crate::generated_object::ObjectKey;
use crate::reach::authorization::{AuthorizationPolicy, Waypoint};
use crate::reach::fields::{Field, FieldError, Labels};
use crate::reach::network_policy::NetworkPolicy;
use crate::reach::routing::{IstioGateway, VirtualService};
use crate::reach::service_entry::ServiceEntry;
use crate::reach::sidecar::Sidecar;

/// What every object has: its key, labels and annotations.
#[derive(Clone, Debug, PartialEq)]
pub struct Meta {
    pub key: ObjectKey,
    pub labels: Labels,
    pub annotations: Labels,
}

impl Meta {
    fn read(root: &Field<'_>, api_version: &str, kind: &str) -> Result<Meta, FieldError> {
        let metadata = root.get("metadata")?;
        Ok(Meta {
            key: ObjectKey {
                namespace: metadata.get("namespace")?.required_str()?.to_string(),
                kind: kind.to_string(),
                name: metadata.get("name")?.required_str()?.to_string(),
                api_version: api_version.to_string(),
            },
            labels: metadata.get("labels")?.labels()?.unwrap_or_default(),
            annotations: metadata.get("annotations")?.labels()?.unwrap_or_default(),
        })
    }
}

/// An object that could not be read: its position in the input, what it is, and the field.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ObjectError {
    pub index: usize,
    /// `ServiceEntry ns/name`, or what is known of it.
    pub object: String,
    pub error: FieldError,
}

impl std::fmt::Display for ObjectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.object, self.error)
    }
}

/// Notes about what an object holds that the analysis does not model.
#[derive(Default)]
pub struct Notes(Vec<String>);

impl Notes {
    pub fn add(&mut self, key: &ObjectKey, what: &str) {
        self.0.push(format!(
            "{} {}/{}: {what}",
            key.kind, key.namespace, key.name
        ));
    }
}

/// The objects the analysis reads, by kind, sorted by key.
#[derive(Clone, Debug, Default)]
pub struct Mesh {
    pub service_entries: Vec<ServiceEntry>,
    pub sidecars: Vec<Sidecar>,
    pub gateways: Vec<IstioGateway>,
    pub virtual_services: Vec<VirtualService>,
    pub authorization_policies: Vec<AuthorizationPolicy>,
    pub waypoints: Vec<Waypoint>,
    pub network_policies: Vec<NetworkPolicy>,
    /// What was not modelled, sorted.
    pub notes: Vec<String>,
}

impl Mesh {
    /// Reads `objects` (in any order); the first unreadable one is the error.
    pub fn read<'a>(objects: impl IntoIterator<Item = &'a Value>) -> Result<Mesh, ObjectError> {
        let mut mesh = Mesh::default();
        let mut notes = Notes::default();
        for (index, value) in objects.into_iter().enumerate() {
            mesh.add(value, &mut notes)
                .map_err(|(object, error)| ObjectError {
                    index,
                    object,
                    error,
                })?;
        }
        mesh.service_entries
            .sort_by(|a, b| a.meta.key.cmp(&b.meta.key));
        mesh.sidecars.sort_by(|a, b| a.meta.key.cmp(&b.meta.key));
        mesh.gateways.sort_by(|a, b| a.meta.key.cmp(&b.meta.key));
        mesh.virtual_services
            .sort_by(|a, b| a.meta.key.cmp(&b.meta.key));
        mesh.authorization_policies
            .sort_by(|a, b| a.meta.key.cmp(&b.meta.key));
        mesh.waypoints.sort_by(|a, b| a.meta.key.cmp(&b.meta.key));
        mesh.network_policies
            .sort_by(|a, b| a.meta.key.cmp(&b.meta.key));
        mesh.notes = notes.0;
        mesh.notes.sort();
        mesh.notes.dedup();
        Ok(mesh)
    }

    fn add(&mut self, value: &Value, notes: &mut Notes) -> Result<(), (String, FieldError)> {
        let root = Field::root(value);
        let text = |name: &str| {
            root.get(name)
                .and_then(|f| f.str())
                .ok()
                .flatten()
                .unwrap_or("?")
                .to_string()
        };
        let (api_version, kind) = (text("apiVersion"), text("kind"));
        let group = api_version.split('/').next().unwrap_or("");
        let described = || {
            let metadata = root.get("metadata").ok();
            let part = |k: &str| {
                metadata
                    .as_ref()
                    .and_then(|m| m.get(k).ok())
                    .and_then(|f| f.str().ok().flatten())
                    .unwrap_or("?")
                    .to_string()
            };
            format!("{kind} {}/{}", part("namespace"), part("name"))
        };
        let known = matches!(
            (group, kind.as_str()),
            (
                "networking.istio.io",
                "ServiceEntry" | "Sidecar" | "Gateway" | "VirtualService"
            ) | ("security.istio.io", "AuthorizationPolicy")
                | ("gateway.networking.k8s.io", "Gateway")
                | ("networking.k8s.io", "NetworkPolicy")
        );
        if !known {
            return Ok(());
        }
        let meta = Meta::read(&root, &api_version, &kind).map_err(|e| (described(), e))?;
        let spec = root.get("spec").map_err(|e| (described(), e))?;
        let result = match (group, kind.as_str()) {
            ("networking.istio.io", "ServiceEntry") => {
                ServiceEntry::read(meta, &spec).map(|o| self.service_entries.push(o))
            }
            ("networking.istio.io", "Sidecar") => {
                Sidecar::read(meta, &spec, notes).map(|o| self.sidecars.push(o))
            }
            ("networking.istio.io", "Gateway") => {
                IstioGateway::read(meta, &spec).map(|o| self.gateways.push(o))
            }
            ("networking.istio.io", _) => {
                VirtualService::read(meta, &spec).map(|o| self.virtual_services.push(o))
            }
            ("security.istio.io", _) => AuthorizationPolicy::read(meta, &spec, notes)
                .map(|o| self.authorization_policies.push(o)),
            ("gateway.networking.k8s.io", _) => {
                Waypoint::read(meta, &spec).map(|o| self.waypoints.push(o))
            }
            _ => NetworkPolicy::read(meta, &spec, notes).map(|o| self.network_policies.push(o)),
        };
        result.map_err(|e| (described(), e))
    }
}
