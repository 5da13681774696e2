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
//! let schemas = crd_schema::SchemaSet::load_dir(crd_schema::schemas_dir()).unwrap();
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

/// The CRD directory for tests: `$SCHEMAS_DIR` if set, else the workspace's sibling
/// `shared/schemas`; a relative value is taken relative to this crate's manifest directory.
pub fn schemas_dir() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::var_os("SCHEMAS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../../../shared/schemas"));
    manifest_dir.join(dir)
}
