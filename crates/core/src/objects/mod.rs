//! Typed Kubernetes and Istio objects, as uds-egress generates them.
//!
//! Each spec type knows its `apiVersion` and `kind`; [`Manifest`] puts it together with metadata.
//! Field order follows the order the objects are usually written in, so output reads naturally.

pub mod authorization_policy;
pub mod gateway;
pub mod meta;
pub mod network_policy;
pub mod service_entry;
pub mod sidecar;
pub mod virtual_service;
pub mod waypoint;

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::generated_object::{GeneratedObject, ObjectKey};
use crate::manifest::{Manifest, ManifestSource};
use meta::Meta;

/// A spec type of one Kubernetes kind.
pub trait Kind: Serialize + fmt::Debug + Send + Sync + 'static {
    const API_VERSION: &'static str;
    const KIND: &'static str;
}

/// A typed object: what a generated object keeps until its JSON form is needed.
#[derive(Debug)]
struct Typed<S> {
    metadata: Meta,
    spec: S,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ManifestFields<'a, S> {
    api_version: &'static str,
    kind: &'static str,
    metadata: &'a Meta,
    spec: &'a S,
}

impl<S: Kind> ManifestSource for Typed<S> {
    fn to_value(&self) -> Value {
        let fields = ManifestFields {
            api_version: S::API_VERSION,
            kind: S::KIND,
            metadata: &self.metadata,
            spec: &self.spec,
        };
        // Our own structs of strings, numbers and maps with string keys always serialise.
        serde_json::to_value(fields).unwrap_or(Value::Null)
    }
}

/// Builds the generated object of a spec with its metadata.
pub fn generate<S: Kind>(metadata: Meta, spec: S) -> GeneratedObject {
    GeneratedObject {
        key: ObjectKey {
            namespace: metadata.namespace.clone(),
            kind: S::KIND.to_string(),
            name: metadata.name.clone(),
            api_version: S::API_VERSION.to_string(),
        },
        manifest: Manifest::from_source(Typed { metadata, spec }),
    }
}
