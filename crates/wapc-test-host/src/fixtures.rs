//! Fixture files: admission requests, settings and the cluster objects that host calls answer
//! from.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::admission;
use crate::error::{HostError, Result};

/// The objects a fake cluster holds, answered by the `kubernetes` host calls.
///
/// Objects are kept in insertion order so list replies are deterministic, and indexed by type
/// so a list costs what it returns, as policy-server's per-kind caches do.
#[derive(Debug, Clone, Default)]
pub struct KubeFixtures {
    objects: Vec<Value>,
    /// (apiVersion, kind) -> positions in `objects`, in insertion order.
    by_type: HashMap<(String, String), Vec<usize>>,
}

impl KubeFixtures {
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds the store from objects, checking each has what lookups key on.
    pub fn from_objects(objects: impl IntoIterator<Item = Value>) -> Result<Self> {
        let mut fixtures = Self::new();
        for object in objects {
            fixtures.insert(object)?;
        }
        Ok(fixtures)
    }

    /// Parses YAML or JSON (JSON is YAML): one or more documents, each an object, a sequence of
    /// objects, or a `*List` with `items`. Empty documents are skipped.
    pub fn from_yaml_str(text: &str, origin: &str) -> Result<Self> {
        let mut fixtures = Self::new();
        fixtures.add_yaml_str(text, origin)?;
        Ok(fixtures)
    }

    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let mut fixtures = Self::new();
        fixtures.add_file(path)?;
        Ok(fixtures)
    }

    /// Adds the objects of another document stream; see [`KubeFixtures::from_yaml_str`].
    pub fn add_yaml_str(&mut self, text: &str, origin: &str) -> Result<()> {
        for document in serde_yaml_ng::Deserializer::from_str(text) {
            let value = Value::deserialize(document).map_err(|e| fixture_error(origin, e))?;
            for object in flatten_document(value) {
                self.push(object)
                    .map_err(|message| fixture_error(origin, message))?;
            }
        }
        Ok(())
    }

    pub fn add_file(&mut self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        self.add_yaml_str(&read_text(path)?, &path.display().to_string())
    }

    pub fn insert(&mut self, object: Value) -> Result<()> {
        self.push(object)
            .map_err(|message| fixture_error("cluster object", message))
    }

    fn push(&mut self, object: Value) -> Result<(), String> {
        let Some(key) = ObjectKey::of(&object) else {
            return Err(format!(
                "an object needs string apiVersion, kind and metadata.name, got {object}"
            ));
        };
        // Silently keeping two copies would make `get_resource` depend on order.
        if self
            .of_type(key.api_version, key.kind)
            .any(|o| ObjectKey::of(o) == Some(key))
        {
            return Err(format!("duplicate {key}"));
        }
        let position = self.objects.len();
        self.by_type
            .entry((key.api_version.to_owned(), key.kind.to_owned()))
            .or_default()
            .push(position);
        self.objects.push(object);
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// Objects of one type, all namespaces when `namespace` is `None`.
    pub fn list<'a>(
        &'a self,
        api_version: &'a str,
        kind: &'a str,
        namespace: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Value> + 'a {
        self.of_type(api_version, kind).filter(move |object| {
            namespace
                .is_none_or(|ns| ObjectKey::of(object).is_some_and(|k| k.namespace == Some(ns)))
        })
    }

    /// Every object of one type, in insertion order.
    fn of_type<'a>(
        &'a self,
        api_version: &str,
        kind: &str,
    ) -> impl Iterator<Item = &'a Value> + 'a {
        self.by_type
            .get(&(api_version.to_owned(), kind.to_owned()))
            .into_iter()
            .flatten()
            .filter_map(|&position| self.objects.get(position))
    }

    /// One object; `namespace` is `None` for a cluster-scoped object.
    pub fn get(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<&Value> {
        let wanted = ObjectKey {
            api_version,
            kind,
            namespace,
            name,
        };
        self.of_type(api_version, kind)
            .find(|object| ObjectKey::of(object) == Some(wanted))
    }
}

/// What identifies an object in a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ObjectKey<'a> {
    api_version: &'a str,
    kind: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
}

impl<'a> ObjectKey<'a> {
    fn of(object: &'a Value) -> Option<Self> {
        let metadata = object.get("metadata")?;
        Some(Self {
            api_version: object.get("apiVersion")?.as_str()?,
            kind: object.get("kind")?.as_str()?,
            namespace: metadata.get("namespace").and_then(Value::as_str),
            name: metadata.get("name")?.as_str()?,
        })
    }
}

impl std::fmt::Display for ObjectKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} ", self.api_version, self.kind)?;
        match self.namespace {
            Some(ns) => write!(f, "{ns}/{}", self.name),
            None => f.write_str(self.name),
        }
    }
}

fn flatten_document(value: Value) -> Vec<Value> {
    match value {
        Value::Null => Vec::new(),
        Value::Array(objects) => objects,
        Value::Object(mut map) if is_list_kind(&map) => match map.remove("items") {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        },
        other => vec![other],
    }
}

fn is_list_kind(map: &serde_json::Map<String, Value>) -> bool {
    map.get("kind")
        .and_then(Value::as_str)
        .is_some_and(|kind| kind.ends_with("List"))
        && map.contains_key("items")
}

/// Reads an admission request fixture (JSON or YAML). Accepted shapes, told apart by `kind`:
/// - the inner AdmissionRequest (camelCase, `kind` is a `{group, version, kind}` object), as
///   kwctl takes it;
/// - an AdmissionReview, unwrapped to its `request`;
/// - a bare Kubernetes object (`kind` is a string), wrapped in a CREATE request.
pub fn read_admission_request(path: impl AsRef<Path>) -> Result<Value> {
    let path = path.as_ref();
    let value = read_json(path)?;
    let request = match value.get("kind").and_then(Value::as_str) {
        Some("AdmissionReview") => value.get("request").cloned().unwrap_or(Value::Null),
        Some(_) => admission::create_request(&value),
        None => value,
    };
    if request.is_object() {
        Ok(request)
    } else {
        Err(HostError::Fixture {
            origin: path.display().to_string(),
            message: "expected an AdmissionRequest, an AdmissionReview or an object".to_owned(),
        })
    }
}

/// Reads a JSON or YAML file (settings, requests) into a `Value`.
pub fn read_json(path: impl AsRef<Path>) -> Result<Value> {
    let path = path.as_ref();
    let text = read_text(path)?;
    serde_yaml_ng::from_str(&text).map_err(|e| fixture_error(&path.display().to_string(), e))
}

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| HostError::Read {
        path: path.to_owned(),
        source,
    })
}

fn fixture_error(origin: &str, error: impl std::fmt::Display) -> HostError {
    HostError::Fixture {
        origin: origin.to_owned(),
        message: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn package(ns: &str, name: &str) -> Value {
        json!({"apiVersion": "uds.dev/v1alpha1", "kind": "Package",
               "metadata": {"name": name, "namespace": ns}})
    }

    #[test]
    fn yaml_documents_sequences_and_lists_are_flattened() {
        let text = r#"
apiVersion: uds.dev/v1alpha1
kind: Package
metadata: {name: a, namespace: one}
---
- apiVersion: uds.dev/v1alpha1
  kind: Package
  metadata: {name: b, namespace: two}
---
apiVersion: v1
kind: List
items:
  - {apiVersion: v1, kind: Namespace, metadata: {name: one}}
---
"#;
        let fixtures = KubeFixtures::from_yaml_str(text, "inline").unwrap();
        assert_eq!(fixtures.len(), 3);
        assert_eq!(
            fixtures.list("uds.dev/v1alpha1", "Package", None).count(),
            2
        );
        assert!(fixtures.get("v1", "Namespace", None, "one").is_some());
    }

    #[test]
    fn list_filters_by_namespace_and_type() {
        let fixtures =
            KubeFixtures::from_objects([package("one", "a"), package("two", "b")]).unwrap();
        let names: Vec<_> = fixtures
            .list("uds.dev/v1alpha1", "Package", Some("two"))
            .map(|o| o["metadata"]["name"].clone())
            .collect();
        assert_eq!(names, vec![json!("b")]);
        assert_eq!(fixtures.list("uds.dev/v1", "Package", None).count(), 0);
    }

    #[test]
    fn get_distinguishes_namespaced_from_cluster_scoped() {
        let fixtures = KubeFixtures::from_objects([package("one", "a")]).unwrap();
        assert!(
            fixtures
                .get("uds.dev/v1alpha1", "Package", Some("one"), "a")
                .is_some()
        );
        assert!(
            fixtures
                .get("uds.dev/v1alpha1", "Package", None, "a")
                .is_none()
        );
    }

    #[test]
    fn objects_without_identity_or_duplicated_are_refused() {
        let err = KubeFixtures::from_objects([json!({"kind": "Package"})]).unwrap_err();
        assert!(err.to_string().contains("apiVersion"), "{err}");
        let err =
            KubeFixtures::from_objects([package("one", "a"), package("one", "a")]).unwrap_err();
        assert!(err.to_string().contains("duplicate"), "{err}");
    }
}
