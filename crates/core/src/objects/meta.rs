//! Object metadata of generated objects: labels, annotations, owner references.

use indexmap::IndexMap;
use serde::Serialize;

use crate::model::Package;

/// The label and value are macros so that the selectors below can be joined at compile time
/// (`concat!` takes literals only): callers that need a `&'static str` get one, with no copy.
macro_rules! managed_by_label {
    () => {
        "app.kubernetes.io/managed-by"
    };
}
macro_rules! managed_by_value {
    () => {
        "uds-egress"
    };
}

/// The label that marks every object uds-egress generates, and its value.
pub const MANAGED_BY_LABEL: &str = managed_by_label!();
pub const MANAGED_BY_VALUE: &str = managed_by_value!();
/// The label selector of the objects uds-egress generated.
pub const MANAGED_BY_US: &str = concat!(managed_by_label!(), "=", managed_by_value!());
/// The label selector of the objects uds-egress did not generate.
pub const NOT_MANAGED_BY_US: &str = concat!(managed_by_label!(), "!=", managed_by_value!());
pub const PACKAGE_LABEL: &str = "uds/package";
pub const GENERATION_LABEL: &str = "uds/generation";

#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    pub name: String,
    pub namespace: String,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub labels: IndexMap<String, String>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub annotations: IndexMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub owner_references: Vec<OwnerReference>,
}

/// Owner reference to a Package: no `controller`, no `blockOwnerDeletion` (as UDS Core).
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OwnerReference {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub uid: String,
    pub name: String,
}

impl Meta {
    /// Metadata of a per-package object: `uds/package`, `uds/generation`, our managed-by label,
    /// after any `extra_labels` (NetworkPolicy `labels`), and an owner reference to the Package.
    /// Callers tell per-package from shared objects by the owner reference only when the Package
    /// has a uid; use the `uds/package` label value for that.
    pub fn per_package(
        package: &Package,
        name: String,
        extra_labels: Option<&IndexMap<String, String>>,
    ) -> Meta {
        let mut labels = extra_labels.cloned().unwrap_or_default();
        labels.insert(PACKAGE_LABEL.into(), package.name().to_string());
        labels.insert(GENERATION_LABEL.into(), package.generation());
        labels.insert(MANAGED_BY_LABEL.into(), MANAGED_BY_VALUE.into());
        Meta {
            name,
            namespace: package.namespace().to_string(),
            labels,
            annotations: IndexMap::new(),
            // A Package read from a file before it was ever applied has no uid; an owner
            // reference without one would be refused by the API server, so there is none.
            owner_references: package
                .metadata
                .uid
                .iter()
                .filter(|uid| !uid.is_empty())
                .map(|uid| OwnerReference {
                    api_version: crate::model::API_VERSION,
                    kind: crate::model::KIND,
                    uid: uid.clone(),
                    name: package.name().to_string(),
                })
                .collect(),
        }
    }

    /// Metadata of a shared object: `leading_labels` (e.g. the use-waypoint labels), then
    /// `uds/package: <shared_value>`, `uds/generation`, `trailing_labels`, and the managed-by label;
    /// one owner annotation per contributing Package.
    pub fn shared(
        namespace: &str,
        name: String,
        shared_value: &str,
        leading_labels: &[(&str, &str)],
        trailing_labels: &[(&str, &str)],
        annotations: IndexMap<String, String>,
    ) -> Meta {
        let mut labels = IndexMap::new();
        for (key, value) in leading_labels {
            labels.insert(key.to_string(), value.to_string());
        }
        labels.insert(PACKAGE_LABEL.into(), shared_value.into());
        labels.insert(GENERATION_LABEL.into(), SHARED_GENERATION.into());
        for (key, value) in trailing_labels {
            labels.insert(key.to_string(), value.to_string());
        }
        labels.insert(MANAGED_BY_LABEL.into(), MANAGED_BY_VALUE.into());
        Meta {
            name,
            namespace: namespace.to_string(),
            labels,
            annotations,
            owner_references: Vec::new(),
        }
    }
}

/// `uds/generation` of shared objects. UDS Core writes a per-process pass counter there; our shared
/// objects are a pure function of the Package set and ownership is the managed-by label, so the
/// value is constant: a converged cluster needs no writes and nothing is rewritten needlessly.
pub const SHARED_GENERATION: &str = "1";
