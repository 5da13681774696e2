//! JSON written as text, so that the generators can say what a `serde_json::Value` cannot:
//! duplicate keys, numbers beyond `f64` (`1e309`) or `u64`, and nesting deeper than any parser's
//! recursion limit.

use arbitrary::Arbitrary;
use serde_json::Value;

#[derive(Arbitrary, Clone, Debug)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Huge(HugeNumber),
    Str(String),
    Arr(Vec<Json>),
    /// Keys in order, duplicates kept.
    Obj(Vec<(String, Json)>),
}

/// Number literals that are valid JSON but fit no Rust number type.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum HugeNumber {
    Overflow,
    NegativeOverflow,
    Underflow,
    BeyondU64,
    LongFraction,
}

impl HugeNumber {
    fn text(self) -> &'static str {
        match self {
            HugeNumber::Overflow => "1e309",
            HugeNumber::NegativeOverflow => "-1e309",
            HugeNumber::Underflow => "1e-400",
            HugeNumber::BeyondU64 => "18446744073709551616",
            HugeNumber::LongFraction => "443.00000000000000000000000000000000000001",
        }
    }
}

impl Json {
    pub fn str(s: impl Into<String>) -> Json {
        Json::Str(s.into())
    }

    /// `depth` levels of lists (or single-key objects) around `leaf`.
    pub fn nested(depth: usize, lists: bool, leaf: Json) -> Json {
        (0..depth).fold(leaf, |inner, _| {
            if lists {
                Json::Arr(vec![inner])
            } else {
                Json::Obj(vec![("n".to_string(), inner)])
            }
        })
    }

    pub fn from_value(value: &Value) -> Json {
        match value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Json::Int(i),
                (None, Some(f)) => Json::Float(f),
                (None, None) => Json::Null,
            },
            Value::String(s) => Json::Str(s.clone()),
            Value::Array(items) => Json::Arr(items.iter().map(Json::from_value).collect()),
            Value::Object(map) => Json::Obj(
                map.iter()
                    .map(|(k, v)| (k.clone(), Json::from_value(v)))
                    .collect(),
            ),
        }
    }

    /// Replaces (or appends) `key` of an object; `None` removes it. Other values are left alone.
    pub fn set(&mut self, key: &str, value: Option<Json>) {
        let Json::Obj(entries) = self else { return };
        entries.retain(|(k, _)| k != key);
        if let Some(value) = value {
            entries.push((key.to_string(), value));
        }
    }

    /// The value of `key` of an object, for editing in place.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Json> {
        let Json::Obj(entries) = self else {
            return None;
        };
        entries
            .iter_mut()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    pub fn text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    /// Writes iteratively: a 100,000-level nesting must not overflow the writer's stack.
    pub fn write(&self, out: &mut String) {
        enum Step<'a> {
            Value(&'a Json),
            Raw(&'static str),
            Key(&'a str),
        }
        let mut stack = vec![Step::Value(self)];
        while let Some(step) = stack.pop() {
            match step {
                Step::Raw(text) => out.push_str(text),
                Step::Key(key) => {
                    write_string(key, out);
                    out.push(':');
                }
                Step::Value(value) => match value {
                    Json::Null => out.push_str("null"),
                    Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                    Json::Int(i) => out.push_str(&i.to_string()),
                    Json::Float(f) if f.is_finite() => out.push_str(&format!("{f:?}")),
                    Json::Float(_) => out.push_str(HugeNumber::Overflow.text()),
                    Json::Huge(h) => out.push_str(h.text()),
                    Json::Str(s) => write_string(s, out),
                    Json::Arr(items) => {
                        out.push('[');
                        stack.push(Step::Raw("]"));
                        for (i, item) in items.iter().enumerate().rev() {
                            stack.push(Step::Value(item));
                            if i > 0 {
                                stack.push(Step::Raw(","));
                            }
                        }
                    }
                    Json::Obj(entries) => {
                        out.push('{');
                        stack.push(Step::Raw("}"));
                        for (i, (key, item)) in entries.iter().enumerate().rev() {
                            stack.push(Step::Value(item));
                            stack.push(Step::Key(key));
                            if i > 0 {
                                stack.push(Step::Raw(","));
                            }
                        }
                    }
                },
            }
        }
    }
}

fn write_string(s: &str, out: &mut String) {
    // A `&str` always serialises; the fallback keeps the document well-formed regardless.
    out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string()));
}

impl Drop for Json {
    /// Dropped iteratively, for the same reason as [`Json::write`].
    fn drop(&mut self) {
        let mut pending: Vec<Json> = Vec::new();
        let take = |json: &mut Json, pending: &mut Vec<Json>| match json {
            Json::Arr(items) => pending.append(items),
            Json::Obj(entries) => pending.extend(entries.drain(..).map(|(_, v)| v)),
            _ => {}
        };
        take(self, &mut pending);
        while let Some(mut json) = pending.pop() {
            take(&mut json, &mut pending);
        }
    }
}
