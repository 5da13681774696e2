//! Applies schema `default`s the way the API server does before validating: a missing field
//! whose schema has a default is filled in, so `required` and `oneOf` see it.

use serde_json::Value;

use crate::schema::{Additional, Schema};

pub(crate) fn apply(schema: &Schema, value: &mut Value) {
    match value {
        Value::Object(fields) => {
            for (name, property) in &schema.properties {
                if let (false, Some(default)) = (fields.contains_key(name), &property.default) {
                    fields.insert(name.clone(), default.clone());
                }
            }
            for (name, child) in fields.iter_mut() {
                if let Some(property) = schema.properties.get(name) {
                    apply(property, child);
                } else if let Additional::Schema(value_schema) = &schema.additional {
                    apply(value_schema, child);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = &schema.items {
                for item in items {
                    apply(item_schema, item);
                }
            }
        }
        _ => {}
    }
}
