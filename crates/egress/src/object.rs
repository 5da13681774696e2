//! A generated Kubernetes object, ready to print or apply.

use std::cmp::Ordering;

use serde::Serialize;
use serde_json::Value;

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
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GeneratedObject {
    pub key: ObjectKey,
    pub manifest: Value,
}

impl GeneratedObject {
    /// Serialises a typed object (which carries `apiVersion` and `kind` itself).
    pub fn new<T: Serialize>(
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
        object: &T,
    ) -> GeneratedObject {
        GeneratedObject {
            key: ObjectKey {
                namespace: namespace.to_string(),
                kind: kind.to_string(),
                name: name.to_string(),
                api_version: api_version.to_string(),
            },
            // Our own structs of strings, numbers and maps with string keys always serialise.
            manifest: serde_json::to_value(object).unwrap_or(Value::Null),
        }
    }
}
