//! Reads CustomResourceDefinitions from multi-document YAML and compiles their schemas.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::error::LoadError;
use crate::report::Note;
use crate::schema::{Compiler, Schema};

pub(crate) struct Crd {
    pub name: String,
    pub group: String,
    pub kind: String,
    pub versions: Vec<CrdVersion>,
}

pub(crate) struct CrdVersion {
    pub name: String,
    pub served: bool,
    /// `None` when the version has no `openAPIV3Schema` (then any object of it is rejected).
    pub schema: Option<Schema>,
}

/// `*.yaml` and `*.yml` files of `dir`, sorted so that loading is deterministic.
pub(crate) fn yaml_files(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let io = |source| LoadError::Io {
        path: dir.to_owned(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        let is_yaml = path
            .extension()
            .is_some_and(|ext| ext == "yaml" || ext == "yml");
        if is_yaml && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Every CRD in `text`; other documents are skipped.
pub(crate) fn crds_in(
    text: &str,
    origin: &str,
    limitations: &mut Vec<Note>,
    cel_rules: &mut usize,
) -> Result<Vec<Crd>, LoadError> {
    let mut crds = Vec::new();
    for (index, document) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let doc = Value::deserialize(document).map_err(|e| LoadError::Yaml {
            origin: origin.to_owned(),
            document: index,
            message: e.to_string(),
        })?;
        if doc.get("kind").and_then(Value::as_str) != Some("CustomResourceDefinition") {
            continue;
        }
        let mut compiler = Compiler {
            limitations,
            cel_rules: 0,
        };
        let crd = crd(&doc, &mut compiler).map_err(|message| LoadError::Crd {
            origin: format!("{origin} (document {index})"),
            message,
        })?;
        *cel_rules += compiler.cel_rules;
        crds.push(crd);
    }
    Ok(crds)
}

fn crd(doc: &Value, compiler: &mut Compiler<'_>) -> Result<Crd, String> {
    let text = |pointer: &str| {
        doc.pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("missing string at {pointer}"))
    };
    if text("/apiVersion")? != "apiextensions.k8s.io/v1" {
        return Err("only apiextensions.k8s.io/v1 CRDs are supported".to_owned());
    }
    let name = text("/metadata/name")?;
    let group = text("/spec/group")?;
    let kind = text("/spec/names/kind")?;
    let versions = doc
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .ok_or("missing list at /spec/versions")?;
    let mut compiled = Vec::new();
    for version in versions {
        let version_name = version
            .get("name")
            .and_then(Value::as_str)
            .ok_or("a version has no name")?;
        let schema = match version.pointer("/schema/openAPIV3Schema") {
            Some(node) => Some(compiler.compile(node, &format!("{name} {version_name}"))?),
            None => None,
        };
        compiled.push(CrdVersion {
            name: version_name.to_owned(),
            served: version
                .get("served")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            schema,
        });
    }
    Ok(Crd {
        name,
        group,
        kind,
        versions: compiled,
    })
}
