//! The manifest of a generated object, kept compact until someone needs it as JSON.
//!
//! A desired state of 10,000 Packages holds about 67,000 objects. As `serde_json::Value` trees
//! (every order-preserving map with its own hash index) they took about 350 MB, while `render`
//! only has to print each once and the planner only looks at a few at a time. So an object keeps
//! the typed structs it was built from, and its `Value` is made on demand: [`Manifest::with_value`]
//! makes a short-lived one (printing, serialising, comparing), while dereferencing makes it once
//! and keeps it, for callers that hold on to `&Value`s (the planner, the controller, tests).

use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use serde::{Serialize, Serializer};
use serde_json::Value;

/// Something that can write itself out as a complete manifest (`apiVersion`, `kind`, `metadata`,
/// `spec`). Object-safe, so one [`Manifest`] type holds every kind.
pub trait ManifestSource: fmt::Debug + Send + Sync {
    fn to_value(&self) -> Value;
}

/// A generated object's manifest; dereferences to its JSON form.
#[derive(Clone)]
pub struct Manifest {
    /// Absent only for manifests built from a `Value`, whose `value` is then always set.
    source: Option<Arc<dyn ManifestSource>>,
    /// Boxed so that objects that are never dereferenced pay one pointer, not a whole `Value`.
    value: OnceLock<Box<Value>>,
}

impl Manifest {
    /// A manifest that makes its `Value` from `source` when asked.
    pub fn from_source(source: impl ManifestSource + 'static) -> Manifest {
        Manifest {
            source: Some(Arc::new(source)),
            value: OnceLock::new(),
        }
    }

    /// Calls `f` with the JSON form, without keeping it when it was not kept already: printing
    /// every object this way never holds more than one `Value` tree at a time.
    pub fn with_value<R>(&self, f: impl FnOnce(&Value) -> R) -> R {
        match self.value.get() {
            Some(value) => f(value),
            None => f(&self.make_value()),
        }
    }

    /// The JSON form, owned.
    pub fn into_value(self) -> Value {
        match self.value.into_inner() {
            Some(value) => *value,
            None => match &self.source {
                Some(source) => source.to_value(),
                None => Value::Null,
            },
        }
    }

    fn make_value(&self) -> Value {
        match &self.source {
            Some(source) => source.to_value(),
            // Unreachable by construction: a manifest without a source was built with its value.
            None => Value::Null,
        }
    }
}

impl From<Value> for Manifest {
    fn from(value: Value) -> Manifest {
        Manifest {
            source: None,
            value: OnceLock::from(Box::new(value)),
        }
    }
}

impl Deref for Manifest {
    type Target = Value;

    fn deref(&self) -> &Value {
        self.value.get_or_init(|| Box::new(self.make_value()))
    }
}

impl PartialEq for Manifest {
    fn eq(&self, other: &Manifest) -> bool {
        self.with_value(|a| other.with_value(|b| a == b))
    }
}

impl PartialEq<Value> for Manifest {
    fn eq(&self, other: &Value) -> bool {
        self.with_value(|a| a == other)
    }
}

impl fmt::Debug for Manifest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_value(|value| fmt::Debug::fmt(value, f))
    }
}

/// As JSON, like `Value` (`{:#}` pretty-prints).
impl fmt::Display for Manifest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_value(|value| fmt::Display::fmt(value, f))
    }
}

impl Serialize for Manifest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.with_value(|value| value.serialize(serializer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug)]
    struct Fixed;

    impl ManifestSource for Fixed {
        fn to_value(&self) -> Value {
            json!({"kind": "Sidecar", "spec": {"hosts": ["a.com"]}})
        }
    }

    #[test]
    fn every_view_shows_the_same_json() {
        let typed = Manifest::from_source(Fixed);
        let plain = Manifest::from(Fixed.to_value());
        assert_eq!(typed, plain);
        assert_eq!(typed, Fixed.to_value());
        assert_eq!(typed.with_value(Value::clone), Fixed.to_value());
        assert_eq!(
            serde_json::to_string(&typed).unwrap(),
            serde_json::to_string(&Fixed.to_value()).unwrap()
        );
        assert_eq!(typed["spec"]["hosts"][0], "a.com");
        assert_eq!(typed.clone().into_value(), Fixed.to_value());
        assert_eq!(plain.into_value(), Fixed.to_value());
        assert_eq!(format!("{typed:?}"), format!("{:?}", Fixed.to_value()));
        assert_eq!(format!("{typed:#}"), format!("{:#}", Fixed.to_value()));
    }

    #[test]
    fn printing_keeps_nothing_and_dereferencing_keeps_the_value() {
        let typed = Manifest::from_source(Fixed);
        typed.with_value(|_| ());
        assert!(typed.value.get().is_none());
        let _ = &typed["kind"];
        assert!(typed.value.get().is_some());
    }
}
