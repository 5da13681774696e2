//! The two failure kinds of this crate: an object that breaks its schema, and a schema set that
//! cannot be loaded.

use std::fmt;
use std::path::PathBuf;

/// One violation of a CRD schema by an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    /// Where in the object, e.g. `spec.servers[0].port.number`; empty for the object itself.
    pub path: String,
    pub message: String,
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "<object>: {}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Why a directory or document of CRDs could not be turned into a schema set.
#[derive(Debug)]
pub enum LoadError {
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    Yaml {
        origin: String,
        document: usize,
        message: String,
    },
    /// A CustomResourceDefinition whose shape we cannot use.
    Crd { origin: String, message: String },
    /// Loading found no CRD at all: almost always a wrong directory, which must not pass as
    /// "every object is unknown".
    NoCrds { origin: String },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Self::Yaml {
                origin,
                document,
                message,
            } => write!(f, "{origin}: YAML document {document}: {message}"),
            Self::Crd { origin, message } => write!(f, "{origin}: {message}"),
            Self::NoCrds { origin } => write!(f, "{origin}: no CustomResourceDefinition found"),
        }
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
