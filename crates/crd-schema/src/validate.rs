//! Walks an object alongside its schema and collects errors and notes.
//!
//! Two modes: *structural* for the schema proper, where a field the schema does not know is pruned
//! by the API server (an error for us: the field would be lost), and *junctor* for `allOf` /
//! `anyOf` / `oneOf` / `not` branches, which in Kubernetes only constrain values (plain JSON-Schema
//! meaning) and never prune.

use serde_json::{Map, Value};

use crate::error::SchemaError;
use crate::junctor;
use crate::path::JsonPath;
use crate::report::{Note, NoteKind};
use crate::scalar;
use crate::schema::{Additional, ListType, Schema, is_integer};

pub(crate) struct Walker {
    pub errors: Vec<SchemaError>,
    pub notes: Vec<Note>,
    pub path: JsonPath,
    structural: bool,
}

impl Walker {
    pub(crate) fn structural() -> Self {
        Self {
            errors: Vec::new(),
            notes: Vec::new(),
            path: JsonPath::default(),
            structural: true,
        }
    }

    /// Validates `value` against a junctor branch at the current path, without touching `self`.
    pub(crate) fn branch(&self, schema: &Schema, value: &Value) -> Self {
        let mut walker = Self {
            errors: Vec::new(),
            notes: Vec::new(),
            path: self.path.clone(),
            structural: false,
        };
        walker.walk(schema, value);
        walker
    }

    pub(crate) fn error(&mut self, message: impl Into<String>) {
        self.errors.push(SchemaError {
            path: self.path.to_string(),
            message: message.into(),
        });
    }

    pub(crate) fn error_at(&mut self, key: &str, message: impl Into<String>) {
        self.path.push_key(key);
        self.error(message);
        self.path.pop();
    }

    pub(crate) fn note(&mut self, kind: NoteKind, message: impl Into<String>) {
        self.notes.push(Note {
            path: self.path.to_string(),
            kind,
            message: message.into(),
        });
    }

    pub(crate) fn walk(&mut self, schema: &Schema, value: &Value) {
        self.walk_skipping(schema, value, &[]);
    }

    /// `skip`: top-level fields validated elsewhere (the root's apiVersion, kind and metadata).
    pub(crate) fn walk_skipping(&mut self, schema: &Schema, value: &Value, skip: &[&str]) {
        for (kind, message) in &schema.unchecked {
            self.note(*kind, message.clone());
        }
        for rule in &schema.cel_rules {
            self.note(
                NoteKind::CelNotEvaluated,
                format!("CEL rule not evaluated: {rule}"),
            );
        }
        if value.is_null() {
            if schema.nullable {
                return;
            }
            if self.structural {
                // The API server drops nulls of non-nullable fields before validating.
                self.error("null value for a non-nullable field (would be pruned)");
                return;
            }
        }
        if !self.type_matches(schema, value) {
            return;
        }
        if let Some(allowed) = &schema.enumeration
            && !allowed.contains(value)
        {
            let list: Vec<String> = allowed.iter().map(Value::to_string).collect();
            self.error(format!(
                "unsupported value {value}: must be one of {}",
                list.join(", ")
            ));
        }
        let problems = match value {
            Value::String(text) => scalar::string_problems(schema, text),
            Value::Number(number) => scalar::number_problems(schema, number),
            _ => Vec::new(),
        };
        for problem in problems {
            self.error(problem);
        }
        match value {
            Value::Array(items) => self.walk_array(schema, items),
            Value::Object(fields) => self.walk_object(schema, fields, skip),
            _ => {}
        }
        junctor::check(self, schema, value);
    }

    fn type_matches(&mut self, schema: &Schema, value: &Value) -> bool {
        let expected = if schema.int_or_string {
            if is_integer(value) || value.is_string() {
                return true;
            }
            "integer or string"
        } else {
            match schema.types {
                Some(t) if !t.matches(value) => t.name(),
                _ => return true,
            }
        };
        self.error(format!("expected {expected}, found {}", kind_of(value)));
        false
    }

    fn walk_array(&mut self, schema: &Schema, items: &[Value]) {
        let len = items.len() as u64;
        if let Some(min) = schema.min_items.filter(|min| len < *min) {
            self.error(format!("must have at least {min} items, has {len}"));
        }
        if let Some(max) = schema.max_items.filter(|max| len > *max) {
            self.error(format!("may have at most {max} items, has {len}"));
        }
        self.check_duplicates(schema, items);
        if let Some(item_schema) = &schema.items {
            for (i, item) in items.iter().enumerate() {
                self.path.push_index(i);
                self.walk(item_schema, item);
                self.path.pop();
            }
        }
    }

    fn check_duplicates(&mut self, schema: &Schema, items: &[Value]) {
        let key_of = |item: &Value| -> Value {
            match &schema.list_type {
                Some(ListType::Map(keys)) => Value::Object(
                    keys.iter()
                        .map(|k| (k.clone(), item.get(k).cloned().unwrap_or(Value::Null)))
                        .collect(),
                ),
                _ => item.clone(),
            }
        };
        let what = match &schema.list_type {
            Some(ListType::Map(_)) => "duplicate entry for the list-map keys",
            Some(ListType::Set) => "duplicate value in a list-type set",
            None if schema.unique_items => "duplicate value (uniqueItems)",
            None => return,
        };
        let keys: Vec<Value> = items.iter().map(key_of).collect();
        for (i, key) in keys.iter().enumerate() {
            if let Some(first) = keys.iter().take(i).position(|k| k == key) {
                self.path.push_index(i);
                self.error(format!("{what} {key} (same as item {first})"));
                self.path.pop();
            }
        }
    }

    fn walk_object(&mut self, schema: &Schema, fields: &Map<String, Value>, skip: &[&str]) {
        let len = fields.len() as u64;
        if let Some(min) = schema.min_properties.filter(|min| len < *min) {
            self.error(format!("must have at least {min} fields, has {len}"));
        }
        if let Some(max) = schema.max_properties.filter(|max| len > *max) {
            self.error(format!("may have at most {max} fields, has {len}"));
        }
        for name in &schema.required {
            if !fields.contains_key(name) && !skip.contains(&name.as_str()) {
                self.error_at(name, "missing required field");
            }
        }
        for (name, child) in fields {
            if skip.contains(&name.as_str()) {
                continue;
            }
            self.path.push_key(name);
            if let Some(child_schema) = schema.properties.get(name) {
                self.walk(child_schema, child);
            } else {
                match &schema.additional {
                    Additional::Schema(value_schema) => self.walk(value_schema, child),
                    Additional::Allowed(true) => {}
                    Additional::Allowed(false) => {
                        self.error("unknown field (additionalProperties is false)");
                    }
                    Additional::Unspecified => {
                        if self.structural && !schema.preserve_unknown {
                            self.error("unknown field (would be pruned)");
                        }
                    }
                }
            }
            self.path.pop();
        }
    }
}

pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
