//! The full outcome of checking one object: errors, plus notes on what could not be checked, so
//! that a limitation of this validator is visible instead of passing as "valid".

use crate::error::SchemaError;

/// What kind of check was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NoteKind {
    /// An `x-kubernetes-validations` (CEL) rule; the API server evaluates it, we cannot.
    CelNotEvaluated,
    /// A `pattern` that the `regex` crate does not accept (Kubernetes uses Go's RE2 syntax).
    PatternNotCompiled,
    /// A `format` this crate does not know how to check.
    FormatNotChecked,
    /// A schema keyword this crate does not implement.
    KeywordNotChecked,
}

/// A check that was skipped. `path` is an object path when returned by
/// [`crate::SchemaSet::check`], a CRD/schema path when returned by
/// [`crate::SchemaSet::limitations`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Note {
    pub path: String,
    pub kind: NoteKind,
    pub message: String,
}

/// Result of [`crate::SchemaSet::check`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub errors: Vec<SchemaError>,
    /// Sorted and de-duplicated.
    pub notes: Vec<Note>,
}

impl Report {
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }

    /// How many CEL rules applied to this object but were not evaluated.
    pub fn cel_rules_skipped(&self) -> usize {
        self.notes_of(NoteKind::CelNotEvaluated).count()
    }

    pub fn notes_of(&self, kind: NoteKind) -> impl Iterator<Item = &Note> {
        self.notes.iter().filter(move |n| n.kind == kind)
    }

    pub fn into_result(self) -> Result<(), Vec<SchemaError>> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }
}
