//! Typed form of one OpenAPI v3 schema node, compiled once at load time (patterns included), so
//! that validating many objects does not re-read the CRD's JSON.

use std::collections::BTreeMap;

use regex::Regex;
use serde_json::{Map, Value};

use crate::report::{Note, NoteKind};
use crate::scalar;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonType {
    Object,
    Array,
    String,
    Integer,
    Number,
    Boolean,
}

impl JsonType {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "object" => Self::Object,
            "array" => Self::Array,
            "string" => Self::String,
            "integer" => Self::Integer,
            "number" => Self::Number,
            "boolean" => Self::Boolean,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Object => "object",
            Self::Array => "array",
            Self::String => "string",
            Self::Integer => "integer",
            Self::Number => "number",
            Self::Boolean => "boolean",
        }
    }

    pub(crate) fn matches(self, value: &Value) -> bool {
        match self {
            Self::Object => value.is_object(),
            Self::Array => value.is_array(),
            Self::String => value.is_string(),
            Self::Integer => is_integer(value),
            Self::Number => value.is_number(),
            Self::Boolean => value.is_boolean(),
        }
    }
}

pub(crate) fn is_integer(value: &Value) -> bool {
    value.is_i64() || value.is_u64()
}

#[derive(Debug, Default)]
pub(crate) enum Additional {
    /// Structural meaning: unknown fields are pruned unless `x-kubernetes-preserve-unknown-fields`.
    #[default]
    Unspecified,
    Allowed(bool),
    Schema(Box<Schema>),
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Bound {
    pub value: f64,
    pub exclusive: bool,
}

#[derive(Debug)]
pub(crate) struct Pattern {
    pub source: String,
    /// The compile error when the `regex` crate rejects a pattern Go's RE2 may accept.
    pub regex: Result<Regex, String>,
}

/// `x-kubernetes-list-type`; the API server rejects duplicates in `set` and `map` lists.
#[derive(Debug)]
pub(crate) enum ListType {
    Set,
    Map(Vec<String>),
}

#[derive(Debug, Default)]
pub(crate) struct Schema {
    pub types: Option<JsonType>,
    pub nullable: bool,
    pub int_or_string: bool,
    pub preserve_unknown: bool,
    pub default: Option<Value>,
    pub properties: BTreeMap<String, Schema>,
    pub required: Vec<String>,
    pub additional: Additional,
    pub items: Option<Box<Schema>>,
    pub enumeration: Option<Vec<Value>>,
    pub format: Option<String>,
    pub minimum: Option<Bound>,
    pub maximum: Option<Bound>,
    pub multiple_of: Option<f64>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    pub unique_items: bool,
    pub list_type: Option<ListType>,
    pub min_properties: Option<u64>,
    pub max_properties: Option<u64>,
    pub pattern: Option<Pattern>,
    pub all_of: Vec<Schema>,
    pub any_of: Vec<Schema>,
    pub one_of: Vec<Schema>,
    pub not: Option<Box<Schema>>,
    /// Messages (or rule text) of the CEL rules on this node.
    pub cel_rules: Vec<String>,
    /// Checks present in the CRD that this node skips, reported whenever an object reaches it.
    pub unchecked: Vec<(NoteKind, String)>,
}

/// Keywords that carry no constraint on the object, or whose constraint is the API server's
/// business rather than the object's (`x-kubernetes-map-type` only affects merging).
const IGNORED: &[&str] = &[
    "description",
    "title",
    "example",
    "externalDocs",
    "x-kubernetes-map-type",
    "x-kubernetes-list-map-keys",
];

/// Where in the CRD a node sits (for load-time errors and limitations).
pub(crate) struct Compiler<'a> {
    pub limitations: &'a mut Vec<Note>,
    pub cel_rules: usize,
}

impl Compiler<'_> {
    pub(crate) fn compile(&mut self, node: &Value, at: &str) -> Result<Schema, String> {
        let Some(map) = node.as_object() else {
            return Err(format!("{at}: schema must be an object"));
        };
        let mut schema = Schema::default();
        for (key, value) in map {
            self.keyword(&mut schema, map, key, value, at)?;
        }
        for (kind, message) in &schema.unchecked {
            self.limitations.push(Note {
                path: at.to_owned(),
                kind: *kind,
                message: message.clone(),
            });
        }
        Ok(schema)
    }

    fn keyword(
        &mut self,
        schema: &mut Schema,
        map: &Map<String, Value>,
        key: &str,
        value: &Value,
        at: &str,
    ) -> Result<(), String> {
        let bad = |what: &str| format!("{at}.{key}: {what}");
        match key {
            "type" => {
                let name = value.as_str().ok_or_else(|| bad("must be a string"))?;
                schema.types = Some(JsonType::parse(name).ok_or_else(|| bad("unknown type name"))?);
            }
            "nullable" => schema.nullable = flag(value).ok_or_else(|| bad("must be a boolean"))?,
            "x-kubernetes-int-or-string" => {
                schema.int_or_string = flag(value).ok_or_else(|| bad("must be a boolean"))?;
            }
            "x-kubernetes-preserve-unknown-fields" => {
                schema.preserve_unknown = flag(value).ok_or_else(|| bad("must be a boolean"))?;
            }
            "default" => schema.default = Some(value.clone()),
            "properties" => {
                let props = value.as_object().ok_or_else(|| bad("must be an object"))?;
                for (name, node) in props {
                    let child = self.compile(node, &format!("{at}.properties.{name}"))?;
                    schema.properties.insert(name.clone(), child);
                }
            }
            "required" => schema.required = strings(value).ok_or_else(|| bad("must be strings"))?,
            "additionalProperties" => {
                schema.additional = match value {
                    Value::Bool(allowed) => Additional::Allowed(*allowed),
                    node => Additional::Schema(Box::new(
                        self.compile(node, &format!("{at}.additionalProperties"))?,
                    )),
                };
            }
            "items" if value.is_object() => {
                schema.items = Some(Box::new(self.compile(value, &format!("{at}.items"))?));
            }
            "enum" => {
                schema.enumeration = Some(
                    value
                        .as_array()
                        .ok_or_else(|| bad("must be a list"))?
                        .clone(),
                );
            }
            "format" => {
                let format = value.as_str().ok_or_else(|| bad("must be a string"))?;
                if !scalar::is_checked_format(format) {
                    schema.unchecked.push((
                        NoteKind::FormatNotChecked,
                        format!("format `{format}` is not checked"),
                    ));
                }
                schema.format = Some(format.to_owned());
            }
            "minimum" => schema.minimum = Some(bound(map, value, "exclusiveMinimum", &bad)?),
            "maximum" => schema.maximum = Some(bound(map, value, "exclusiveMaximum", &bad)?),
            // Read together with `minimum` / `maximum`.
            "exclusiveMinimum" | "exclusiveMaximum" => {}
            "multipleOf" => {
                schema.multiple_of = Some(value.as_f64().ok_or_else(|| bad("must be a number"))?);
            }
            "minLength" => schema.min_length = Some(count(value, &bad)?),
            "maxLength" => schema.max_length = Some(count(value, &bad)?),
            "minItems" => schema.min_items = Some(count(value, &bad)?),
            "maxItems" => schema.max_items = Some(count(value, &bad)?),
            "minProperties" => schema.min_properties = Some(count(value, &bad)?),
            "maxProperties" => schema.max_properties = Some(count(value, &bad)?),
            "uniqueItems" => {
                schema.unique_items = flag(value).ok_or_else(|| bad("must be a boolean"))?
            }
            "x-kubernetes-list-type" => {
                schema.list_type = match value.as_str() {
                    Some("set") => Some(ListType::Set),
                    Some("map") => Some(ListType::Map(
                        map.get("x-kubernetes-list-map-keys")
                            .and_then(strings)
                            .ok_or_else(|| bad("`map` needs x-kubernetes-list-map-keys"))?,
                    )),
                    Some("atomic") => None,
                    _ => return Err(bad("must be atomic, set or map")),
                };
            }
            "pattern" => {
                let source = value.as_str().ok_or_else(|| bad("must be a string"))?;
                let regex = Regex::new(source).map_err(|e| e.to_string());
                if let Err(reason) = &regex {
                    let message = pattern_note(source, reason);
                    schema
                        .unchecked
                        .push((NoteKind::PatternNotCompiled, message));
                }
                schema.pattern = Some(Pattern {
                    source: source.to_owned(),
                    regex,
                });
            }
            "allOf" => schema.all_of = self.branches(value, &format!("{at}.allOf"))?,
            "anyOf" => schema.any_of = self.branches(value, &format!("{at}.anyOf"))?,
            "oneOf" => schema.one_of = self.branches(value, &format!("{at}.oneOf"))?,
            "not" => schema.not = Some(Box::new(self.compile(value, &format!("{at}.not"))?)),
            "x-kubernetes-validations" => {
                let rules = value.as_array().ok_or_else(|| bad("must be a list"))?;
                self.cel_rules += rules.len();
                schema.cel_rules = rules.iter().map(cel_label).collect();
            }
            ignored if IGNORED.contains(&ignored) => {}
            other => schema.unchecked.push((
                NoteKind::KeywordNotChecked,
                format!("keyword `{other}` is not checked"),
            )),
        }
        Ok(())
    }

    fn branches(&mut self, value: &Value, at: &str) -> Result<Vec<Schema>, String> {
        let list = value
            .as_array()
            .ok_or_else(|| format!("{at}: must be a list"))?;
        list.iter()
            .enumerate()
            .map(|(i, node)| self.compile(node, &format!("{at}[{i}]")))
            .collect()
    }
}

pub(crate) fn pattern_note(source: &str, reason: &str) -> String {
    let first_line = reason.lines().last().unwrap_or(reason).trim();
    format!("pattern `{source}` not checked: the regex crate rejects it ({first_line})")
}

fn flag(value: &Value) -> Option<bool> {
    value.as_bool()
}

fn strings(value: &Value) -> Option<Vec<String>> {
    value
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect()
}

fn count(value: &Value, bad: &dyn Fn(&str) -> String) -> Result<u64, String> {
    value
        .as_u64()
        .ok_or_else(|| bad("must be a non-negative integer"))
}

fn bound(
    map: &Map<String, Value>,
    value: &Value,
    exclusive_key: &str,
    bad: &dyn Fn(&str) -> String,
) -> Result<Bound, String> {
    Ok(Bound {
        value: value.as_f64().ok_or_else(|| bad("must be a number"))?,
        exclusive: map
            .get(exclusive_key)
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

fn cel_label(rule: &Value) -> String {
    let text = |key: &str| rule.get(key).and_then(Value::as_str);
    match (text("message"), text("rule")) {
        (Some(message), _) => message.to_owned(),
        (None, Some(rule)) => format!("rule `{rule}`"),
        (None, None) => "rule without text".to_owned(),
    }
}

/// A short human description of a junctor branch, for oneOf/anyOf/not messages.
pub(crate) fn describe(schema: &Schema) -> String {
    let mut parts = Vec::new();
    if let Some(t) = schema.types {
        parts.push(format!("type {}", t.name()));
    }
    if !schema.required.is_empty() {
        parts.push(format!("has {}", schema.required.join(", ")));
    }
    if let Some(values) = &schema.enumeration {
        let values: Vec<String> = values.iter().map(Value::to_string).collect();
        parts.push(format!("one of {}", values.join(", ")));
    }
    for (word, list) in [
        ("any of", &schema.any_of),
        ("one of", &schema.one_of),
        ("all of", &schema.all_of),
    ] {
        if !list.is_empty() {
            let inner: Vec<String> = list.iter().map(describe).collect();
            parts.push(format!("{word} ({})", inner.join(" | ")));
        }
    }
    if let Some(not) = &schema.not {
        parts.push(format!("not ({})", describe(not)));
    }
    if parts.is_empty() {
        "(other constraints)".to_owned()
    } else {
        parts.join(" and ")
    }
}
