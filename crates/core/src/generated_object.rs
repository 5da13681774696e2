//! A generated Kubernetes object, ready to print or apply.

use std::cmp::Ordering;

use serde::Serialize;

use crate::manifest::Manifest;

/// The identity of an object, ordered as `render` prints: namespace, kind, name (then apiVersion,
/// which only separates the Istio `Gateway` from the Gateway API `Gateway`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct ObjectKey {
    pub namespace: String,
    pub kind: String,
    pub name: String,
    pub api_version: String,
}

impl Ord for ObjectKey {
    fn cmp(&self, other: &Self) -> Ordering {
        (&self.namespace, &self.kind, &self.name, &self.api_version).cmp(&(
            &other.namespace,
            &other.kind,
            &other.name,
            &other.api_version,
        ))
    }
}

impl PartialOrd for ObjectKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}/{} ({})",
            self.kind, self.namespace, self.name, self.api_version
        )
    }
}

/// One generated object: its key and its full manifest (`apiVersion`, `kind`, `metadata`, `spec`).
/// The manifest dereferences to a `serde_json::Value`; see [`Manifest`] for when one is made.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GeneratedObject {
    pub key: ObjectKey,
    pub manifest: Manifest,
}
