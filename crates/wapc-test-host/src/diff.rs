//! A field-level diff between the request object and the mutated object, in JSON Patch terms.
//!
//! The host computes the real patch; this one is for people reading a mutation (the CLI and
//! test failure messages), so it favours short, exact paths over minimal array edits.

use std::fmt;

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchOp {
    Add,
    Remove,
    Replace,
}

impl fmt::Display for PatchOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Add => "add",
            Self::Remove => "remove",
            Self::Replace => "replace",
        })
    }
}

/// One change: `op path [value]`, `path` being a JSON Pointer.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub op: PatchOp,
    pub path: String,
    /// The new value; `None` for `remove`.
    pub value: Option<Value>,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.op, self.path)?;
        match &self.value {
            Some(value) => write!(f, " {value}"),
            None => Ok(()),
        }
    }
}

/// Changes that turn `before` into `after`. Arrays are compared index by index, then the
/// tail is added or removed (removals from the end first, so the list applies in order).
pub fn diff(before: &Value, after: &Value) -> Vec<Change> {
    let mut changes = Vec::new();
    diff_at(&mut String::new(), before, after, &mut changes);
    changes
}

fn diff_at(path: &mut String, before: &Value, after: &Value, changes: &mut Vec<Change>) {
    match (before, after) {
        (Value::Object(old), Value::Object(new)) => {
            for (key, old_value) in old {
                with_segment(path, key, |path| match new.get(key) {
                    Some(new_value) => diff_at(path, old_value, new_value, changes),
                    None => changes.push(change(PatchOp::Remove, path, None)),
                });
            }
            for (key, new_value) in new.iter().filter(|(key, _)| !old.contains_key(*key)) {
                with_segment(path, key, |path| {
                    changes.push(change(PatchOp::Add, path, Some(new_value)));
                });
            }
        }
        (Value::Array(old), Value::Array(new)) => {
            for (index, (old_value, new_value)) in old.iter().zip(new).enumerate() {
                with_segment(path, &index.to_string(), |path| {
                    diff_at(path, old_value, new_value, changes);
                });
            }
            for index in (new.len()..old.len()).rev() {
                with_segment(path, &index.to_string(), |path| {
                    changes.push(change(PatchOp::Remove, path, None));
                });
            }
            for (index, new_value) in new.iter().enumerate().skip(old.len()) {
                with_segment(path, &index.to_string(), |path| {
                    changes.push(change(PatchOp::Add, path, Some(new_value)));
                });
            }
        }
        _ if before == after => {}
        _ => changes.push(change(PatchOp::Replace, path, Some(after))),
    }
}

fn change(op: PatchOp, path: &str, value: Option<&Value>) -> Change {
    Change {
        op,
        path: path.to_owned(),
        value: value.cloned(),
    }
}

/// Runs `f` with `segment` appended to `path` (escaped per RFC 6901), then restores `path`.
fn with_segment(path: &mut String, segment: &str, f: impl FnOnce(&mut String)) {
    let len = path.len();
    path.push('/');
    path.push_str(&segment.replace('~', "~0").replace('/', "~1"));
    f(path);
    path.truncate(len);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lines(before: Value, after: Value) -> Vec<String> {
        diff(&before, &after)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn identical_documents_have_no_changes() {
        let doc = json!({"a": [1, {"b": null}], "c": "d"});
        assert!(diff(&doc, &doc).is_empty());
    }

    #[test]
    fn object_fields_are_added_removed_and_replaced() {
        assert_eq!(
            lines(
                json!({"spec": {"keep": 1, "drop": true, "change": "x"}}),
                json!({"spec": {"keep": 1, "change": "y", "new": [1]}})
            ),
            vec![
                "remove /spec/drop",
                r#"replace /spec/change "y""#,
                "add /spec/new [1]",
            ]
        );
    }

    #[test]
    fn arrays_compare_by_index_then_tail() {
        assert_eq!(
            lines(json!([1, 2, 3, 4]), json!([1, 5])),
            vec!["replace /1 5", "remove /3", "remove /2"]
        );
        assert_eq!(
            lines(json!([{"p": 1}]), json!([{"p": 2}, {"p": 3}])),
            vec!["replace /0/p 2", r#"add /1 {"p":3}"#]
        );
    }

    #[test]
    fn pointer_segments_are_escaped() {
        assert_eq!(
            lines(json!({}), json!({"a/b~c": 1})),
            vec!["add /a~1b~0c 1"]
        );
    }

    #[test]
    fn type_changes_replace_the_whole_value() {
        assert_eq!(
            lines(json!({"a": {"b": 1}}), json!({"a": [1]})),
            vec!["replace /a [1]"]
        );
    }
}
