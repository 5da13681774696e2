//! Dev-only (native) validator of Kubernetes objects against the `openAPIV3Schema` of their
//! CustomResourceDefinition, so that tests can prove that every object the generator renders is
//! accepted by the real Istio and Gateway API schemas.
//!
//! Beyond plain JSON-Schema, it applies the API server's structural rules: a field the schema
//! does not declare (no `additionalProperties`, no `x-kubernetes-preserve-unknown-fields`) would be
//! pruned, which for a generator means silently lost output, so it is an error here; `null` in a
//! non-nullable field is likewise pruned; `default`s are applied before validating. CEL rules
//! (`x-kubernetes-validations`) are not evaluated: [`Report`] lists them as notes.
//!
//! ```no_run
//! let schemas = crd_schema::SchemaSet::load_dirs(crd_schema::schemas_dirs()).unwrap();
//! let object = serde_json::json!({"apiVersion": "networking.istio.io/v1", "kind": "Sidecar"});
//! for error in schemas.validate(&object).unwrap_err() {
//!     eprintln!("{error}");
//! }
//! ```

mod defaults;
mod error;
mod junctor;
mod load;
mod metadata;
mod path;
mod report;
mod scalar;
mod schema;
mod set;
mod validate;

use std::path::PathBuf;

pub use error::{LoadError, SchemaError};
pub use report::{Note, NoteKind, Report};
pub use set::SchemaSet;

/// The repository's own CRD directories, in load order: the vendored third-party CRDs
/// (`e2e/fixtures/crds`: Istio, Gateway API, Kubewarden) and the project's own (`deploy/crds`:
/// the UDS `Package`).
pub fn repo_schemas_dirs() -> Vec<PathBuf> {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    vec![repo.join("e2e/fixtures/crds"), repo.join("deploy/crds")]
}

/// The project's `Package` CRD, `deploy/crds/package.yaml`.
pub fn package_crd() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy/crds/package.yaml")
}

/// The CRD directories for tests: the entries of `$SCHEMAS_DIR` when it is set and not empty (a
/// list separated like `PATH`; relative entries are taken relative to this crate's manifest
/// directory), else [`repo_schemas_dirs`].
pub fn schemas_dirs() -> Vec<PathBuf> {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    match std::env::var_os("SCHEMAS_DIR") {
        Some(list) if !list.is_empty() => std::env::split_paths(&list)
            .map(|dir| manifest_dir.join(dir))
            .collect(),
        _ => repo_schemas_dirs(),
    }
}
