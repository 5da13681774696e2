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

use serde::Serialize;

use crate::object::GeneratedObject;
use meta::Meta;

/// A spec type of one Kubernetes kind.
pub trait Kind: Serialize {
    const API_VERSION: &'static str;
    const KIND: &'static str;
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Manifest<'a, S> {
    api_version: &'static str,
    kind: &'static str,
    metadata: &'a Meta,
    spec: &'a S,
}

/// Builds the generated object of a spec with its metadata.
pub fn generate<S: Kind>(metadata: &Meta, spec: &S) -> GeneratedObject {
    GeneratedObject::new(
        S::API_VERSION,
        S::KIND,
        &metadata.namespace,
        &metadata.name,
        &Manifest {
            api_version: S::API_VERSION,
            kind: S::KIND,
            metadata,
            spec,
        },
    )
}
