//! The deprecated fields of an `allow[]` entry and their migration (semantics §8.3), stated once
//! for both forms an entry takes: the raw JSON object the policy's mutation edits (so that every
//! field it does not model stays as submitted) and the typed [`Allow`] the parser reads.
//!
//! The rule: a set deprecated field replaces its successor, even a set one, and is removed.

use serde_json::{Map, Value};

use crate::model::{Allow, LabelMap};

/// A deprecated field and the field that replaces it.
pub struct Deprecated {
    /// The JSON names, as in the CRD.
    pub field: &'static str,
    pub successor: &'static str,
    /// The same two fields of the typed entry.
    typed: fn(&mut Allow) -> (&mut Option<LabelMap>, &mut Option<LabelMap>),
}

pub const DEPRECATED: [Deprecated; 2] = [
    Deprecated {
        field: "podLabels",
        successor: "selector",
        typed: |allow| (&mut allow.pod_labels, &mut allow.selector),
    },
    Deprecated {
        field: "remotePodLabels",
        successor: "remoteSelector",
        typed: |allow| (&mut allow.remote_pod_labels, &mut allow.remote_selector),
    },
];

/// An entry the rule can migrate, in either form.
trait Entry {
    type Labels;
    /// Removes and returns the deprecated field when it is set.
    fn take_set(&mut self, deprecated: &Deprecated) -> Option<Self::Labels>;
    fn set_successor(&mut self, deprecated: &Deprecated, labels: Self::Labels);
}

/// The rule, the one place it is written.
fn migrate<E: Entry>(entry: &mut E) {
    for deprecated in &DEPRECATED {
        if let Some(labels) = entry.take_set(deprecated) {
            entry.set_successor(deprecated, labels);
        }
    }
}

/// Migrates a raw `allow[]` entry. Set means present and a map: a value of another type is left
/// for validation to name.
pub fn migrate_json(entry: &mut Map<String, Value>) {
    migrate(entry);
}

/// Migrates a typed entry. Set means present (`null` reads as absent).
pub fn migrate_typed(allow: &mut Allow) {
    migrate(allow);
}

impl Entry for Map<String, Value> {
    type Labels = Value;

    fn take_set(&mut self, deprecated: &Deprecated) -> Option<Value> {
        if self.get(deprecated.field).is_some_and(Value::is_object) {
            self.remove(deprecated.field)
        } else {
            None
        }
    }

    fn set_successor(&mut self, deprecated: &Deprecated, labels: Value) {
        self.insert(deprecated.successor.to_string(), labels);
    }
}

impl Entry for Allow {
    type Labels = LabelMap;

    fn take_set(&mut self, deprecated: &Deprecated) -> Option<LabelMap> {
        (deprecated.typed)(self).0.take()
    }

    fn set_successor(&mut self, deprecated: &Deprecated, labels: LabelMap) {
        *(deprecated.typed)(self).1 = Some(labels);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Each JSON name is the typed field's, so the two forms migrate the same fields.
    #[test]
    fn the_names_are_the_typed_fields() {
        for deprecated in &DEPRECATED {
            let labels = json!({"app": "x"});
            let mut allow: Allow = serde_json::from_value(
                json!({deprecated.field: labels, deprecated.successor: {"b": "2"}}),
            )
            .unwrap();
            let (field, successor) = (deprecated.typed)(&mut allow);
            assert_eq!(
                field.as_ref().map(|l| l.len()),
                Some(1),
                "{}",
                deprecated.field
            );
            assert_eq!(successor.as_ref().map(|l| l.len()), Some(1));
            migrate_typed(&mut allow);
            let mut entry = json!({deprecated.field: labels, deprecated.successor: {"b": "2"}});
            if let Some(entry) = entry.as_object_mut() {
                migrate_json(entry);
            }
            assert_eq!(
                serde_json::to_value(&allow).unwrap()[deprecated.successor],
                labels
            );
            assert_eq!(entry, json!({deprecated.successor: labels}));
        }
    }
}
