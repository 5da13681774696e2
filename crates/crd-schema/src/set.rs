//! The loaded CRD schemas, indexed by (group, kind), and the entry point that validates one object.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::error::{LoadError, SchemaError};
use crate::load::{self, Crd};
use crate::report::{Note, Report};
use crate::schema::Schema;
use crate::validate::{Walker, kind_of};
use crate::{defaults, metadata};

/// Root fields that every Kubernetes object has whatever its schema says; checked here.
const ROOT_FIELDS: &[&str] = &["apiVersion", "kind", "metadata"];

/// The `openAPIV3Schema`s of a set of CustomResourceDefinitions.
#[derive(Default)]
pub struct SchemaSet {
    crds: BTreeMap<(String, String), (Crd, String)>,
    limitations: Vec<Note>,
    cel_rules: usize,
}

impl SchemaSet {
    /// Loads every CRD of every `*.yaml` / `*.yml` file in `dir` (multi-document files included;
    /// documents of other kinds are skipped). Fails if there is none.
    pub fn load_dir(dir: impl AsRef<Path>) -> Result<Self, LoadError> {
        Self::load_dirs([dir])
    }

    /// Like [`Self::load_dir`] for several directories, in order; a CRD defined in two of them is
    /// an error. Fails if there is none in all of them together.
    pub fn load_dirs<P: AsRef<Path>>(dirs: impl IntoIterator<Item = P>) -> Result<Self, LoadError> {
        let mut set = Self::default();
        let mut origins = Vec::new();
        for dir in dirs {
            let dir = dir.as_ref();
            origins.push(dir.display().to_string());
            for file in load::yaml_files(dir)? {
                set.add_file(&file)?;
            }
        }
        set.finish(&origins.join(", "))
    }

    /// Loads every CRD of the given YAML files, in order.
    pub fn load_files<P: AsRef<Path>>(
        files: impl IntoIterator<Item = P>,
    ) -> Result<Self, LoadError> {
        let mut set = Self::default();
        let mut origins = Vec::new();
        for file in files {
            let file = file.as_ref();
            origins.push(file.display().to_string());
            set.add_file(file)?;
        }
        set.finish(&origins.join(", "))
    }

    fn add_file(&mut self, file: &Path) -> Result<(), LoadError> {
        let text = std::fs::read_to_string(file).map_err(|source| LoadError::Io {
            path: file.to_owned(),
            source,
        })?;
        self.add_yaml(&text, &file.display().to_string())
    }

    /// Like [`Self::load_dir`] for one YAML text; `origin` names it in errors.
    pub fn from_yaml_str(text: &str, origin: &str) -> Result<Self, LoadError> {
        let mut set = Self::default();
        set.add_yaml(text, origin)?;
        set.finish(origin)
    }

    fn add_yaml(&mut self, text: &str, origin: &str) -> Result<(), LoadError> {
        for crd in load::crds_in(text, origin, &mut self.limitations, &mut self.cel_rules)? {
            let key = (crd.group.clone(), crd.kind.clone());
            if let Some((_, first)) = self.crds.get(&key) {
                return Err(LoadError::Crd {
                    origin: origin.to_owned(),
                    message: format!("{} is defined twice (first in {first})", crd.name),
                });
            }
            self.crds.insert(key, (crd, origin.to_owned()));
        }
        Ok(())
    }

    fn finish(mut self, origin: &str) -> Result<Self, LoadError> {
        if self.crds.is_empty() {
            return Err(LoadError::NoCrds {
                origin: origin.to_owned(),
            });
        }
        self.limitations.sort();
        self.limitations.dedup();
        Ok(self)
    }

    /// Served `(apiVersion, kind)` pairs that have a schema, sorted.
    pub fn kinds(&self) -> Vec<(String, String)> {
        let mut kinds: Vec<(String, String)> = self
            .crds
            .values()
            .flat_map(|(crd, _)| {
                crd.versions
                    .iter()
                    .filter(|v| v.served && v.schema.is_some())
                    .map(|v| (format!("{}/{}", crd.group, v.name), crd.kind.clone()))
            })
            .collect();
        kinds.sort();
        kinds
    }

    /// What the loaded schemas ask for that this crate cannot check (paths are schema paths such
    /// as `serviceentries.networking.istio.io v1.properties.spec`). CEL rules are counted by
    /// [`Self::cel_rule_count`] instead.
    pub fn limitations(&self) -> &[Note] {
        &self.limitations
    }

    /// Number of `x-kubernetes-validations` rules in the loaded schemas (none is evaluated).
    pub fn cel_rule_count(&self) -> usize {
        self.cel_rules
    }

    /// Checks `object` against the schema of its `apiVersion` and `kind`.
    pub fn validate(&self, object: &Value) -> Result<(), Vec<SchemaError>> {
        self.check(object).into_result()
    }

    /// Like [`Self::validate`], also returning notes on what was not checked (CEL rules,
    /// patterns the `regex` crate rejects, unknown formats or keywords).
    pub fn check(&self, object: &Value) -> Report {
        let mut walker = Walker::structural();
        if let Some(schema) = self.root_schema(&mut walker, object) {
            metadata::check(&mut walker, object.get("metadata"));
            let mut defaulted = object.clone();
            defaults::apply(schema, &mut defaulted);
            walker.walk_skipping(schema, &defaulted, ROOT_FIELDS);
        }
        let mut notes = walker.notes;
        notes.sort();
        notes.dedup();
        Report {
            errors: walker.errors,
            notes,
        }
    }

    /// The schema for the object's apiVersion and kind, or an error on the walker.
    fn root_schema(&self, walker: &mut Walker, object: &Value) -> Option<&Schema> {
        if !object.is_object() {
            walker.error(format!(
                "expected a Kubernetes object, found {}",
                kind_of(object)
            ));
            return None;
        }
        let api_version = required_string(walker, object, "apiVersion");
        let kind = required_string(walker, object, "kind");
        let (api_version, kind) = (api_version?, kind?);
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let Some((crd, _)) = self.crds.get(&(group.to_owned(), kind.to_owned())) else {
            let groups: Vec<&str> = self
                .crds
                .keys()
                .filter(|(_, k)| k == kind)
                .map(|(g, _)| g.as_str())
                .collect();
            if groups.is_empty() {
                walker.error_at(
                    "kind",
                    format!("no CustomResourceDefinition for kind {kind}"),
                );
            } else {
                walker.error_at(
                    "apiVersion",
                    format!(
                        "no CustomResourceDefinition for {kind} in group `{group}` ({kind} exists in: {})",
                        groups.join(", ")
                    ),
                );
            }
            return None;
        };
        let served: Vec<&str> = crd
            .versions
            .iter()
            .filter(|v| v.served)
            .map(|v| v.name.as_str())
            .collect();
        let found = crd.versions.iter().find(|v| v.name == version);
        let problem = match found {
            None => format!("{} has no version {version}", crd.name),
            Some(v) if !v.served => format!("version {version} of {} is not served", crd.name),
            Some(v) => match &v.schema {
                Some(schema) => return Some(schema),
                None => format!("version {version} of {} has no openAPIV3Schema", crd.name),
            },
        };
        walker.error_at(
            "apiVersion",
            format!("{problem} (served: {})", served.join(", ")),
        );
        None
    }
}

fn required_string<'v>(walker: &mut Walker, object: &'v Value, key: &str) -> Option<&'v str> {
    match object.get(key) {
        None => walker.error_at(key, "missing required field"),
        Some(Value::String(text)) if text.is_empty() => walker.error_at(key, "must not be empty"),
        Some(Value::String(text)) => return Some(text),
        Some(other) => walker.error_at(key, format!("expected string, found {}", kind_of(other))),
    }
    None
}
