//! Reading a typed value out of JSON with the failing field's path in the error
//! (`spec.network.allow[2].port`), found after the fact.
//!
//! A path-tracking deserialiser (`serde_path_to_error`) wraps every field of every type it reads,
//! which doubles the deserialising code: a sixth of the policy module. The path is only needed
//! when a read fails, so it is found then instead: walking down from the root, keep one child of
//! the current node (one key of an object, one element of a list) with everything above it, and
//! descend into the first child whose value alone still fails to read. The walk ends where no
//! single child fails: that node is where the error is.
//!
//! This relies on every field of the types read being optional (true of the Package model and of
//! the policy settings): a value reduced to one key then reads unless that key is at fault.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// A failed read: where (empty for the whole value) and serde's message.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldError {
    pub path: String,
    pub message: String,
}

/// Reads `T` from `value`; on failure, names the field at fault.
pub fn read<T: DeserializeOwned>(value: &Value) -> Result<T, FieldError> {
    T::deserialize(value).map_err(|err| {
        locate(value, err.to_string(), |probe| {
            T::deserialize(probe).err().map(|e| e.to_string())
        })
    })
}

/// One step down a JSON value.
#[derive(Clone, Debug)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// Where in `root` a read fails, given the failure's `message` and `fails`, which reads a probe
/// value the same way and returns its error.
fn locate(root: &Value, message: String, fails: impl Fn(&Value) -> Option<String>) -> FieldError {
    let mut path: Vec<Step> = Vec::new();
    let mut message = message;
    let mut node = root;
    loop {
        let (empty, children): (Value, Vec<(Step, &Value)>) = match node {
            Value::Object(map) => (
                Value::Object(Map::new()),
                map.iter()
                    .map(|(key, child)| (Step::Key(key.clone()), child))
                    .collect(),
            ),
            Value::Array(items) => (
                Value::Array(Vec::new()),
                items
                    .iter()
                    .enumerate()
                    .map(|(index, child)| (Step::Index(index), child))
                    .collect(),
            ),
            _ => break,
        };
        // A container of the wrong kind (a list where a map belongs) fails even when empty: the
        // fault is the node itself, not one of its children.
        if fails(&chain(root, &path, empty)).is_some() {
            break;
        }
        let failing = children.into_iter().find_map(|(step, child)| {
            path.push(step);
            let err = fails(&chain(root, &path, child.clone()));
            let step = path.pop();
            err.zip(step).map(|(err, step)| (step, child, err))
        });
        let Some((step, child, err)) = failing else {
            break;
        };
        message = err;
        path.push(step);
        node = child;
    }
    FieldError {
        path: render(&path),
        message,
    }
}

/// `root` reduced to the chain `path`, ending in `leaf`: every object and list along the path
/// keeps only the child on it.
fn chain(root: &Value, path: &[Step], leaf: Value) -> Value {
    let Some((first, rest)) = path.split_first() else {
        return leaf;
    };
    let child = match (root, first) {
        (Value::Object(map), Step::Key(key)) => map.get(key),
        (Value::Array(items), Step::Index(index)) => items.get(*index),
        _ => None,
    };
    match (root, child) {
        (Value::Object(_), Some(child)) => {
            let mut map = Map::new();
            if let Step::Key(key) = first {
                map.insert(key.clone(), chain(child, rest, leaf));
            }
            Value::Object(map)
        }
        (Value::Array(_), Some(child)) => Value::Array(vec![chain(child, rest, leaf)]),
        // The path was taken from `root`, so this does not happen; the whole value is a safe
        // answer (it fails to read, so the walk goes no deeper).
        _ => root.clone(),
    }
}

/// `spec.network.allow[2].port`: how every field path in a message is written.
pub fn render(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Step::Index(index) => {
                out.push('[');
                out.push_str(&index.to_string());
                out.push(']');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Package;
    use serde_json::json;

    fn path_of(value: Value) -> (String, String) {
        let err = read::<Package>(&value).expect_err("a failing read");
        (err.path, err.message)
    }

    #[test]
    fn names_the_field_at_fault() {
        let (path, message) = path_of(json!({"metadata": {"name": "a"},
            "spec": {"network": {"allow": [{"direction": "Egress"}, {"port": 443.5}]}}}));
        assert_eq!(path, "spec.network.allow[1].port");
        assert!(message.contains("443.5"), "{message}");

        assert_eq!(
            path_of(json!({"spec": {"network": {"allow": "everything"}}})).0,
            "spec.network.allow"
        );
        assert_eq!(
            path_of(json!({"spec": {"network": {"serviceMesh": {"mode": "istio"}}}})).0,
            "spec.network.serviceMesh.mode"
        );
        assert_eq!(
            path_of(json!({"spec": {"network": {"allow": [{"selector": {"app": 5}}]}}})).0,
            "spec.network.allow[0].selector.app"
        );
        assert_eq!(
            path_of(json!({"metadata": {"generation": "one"}})).0,
            "metadata.generation"
        );
        assert_eq!(
            path_of(json!({"spec": {"network": {"allow": [7]}}})).0,
            "spec.network.allow[0]"
        );
        // A container of the wrong kind is itself at fault, not its first element.
        assert_eq!(
            path_of(json!({"spec": {"network": {"allow": [{"selector": ["app"]}]}}})).0,
            "spec.network.allow[0].selector"
        );
        assert_eq!(
            path_of(json!({"spec": {"network": {"allow": {"a": {}}}}})).0,
            "spec.network.allow"
        );
        // The whole value at fault: no path.
        assert_eq!(path_of(json!("a string")).0, "");
    }

    #[test]
    fn the_message_is_serdes_own() {
        let (path, message) =
            path_of(json!({"spec": {"network": {"allow": [{"remoteProtocol": "FTP"}]}}}));
        assert_eq!(path, "spec.network.allow[0].remoteProtocol");
        assert!(message.starts_with("unknown variant `FTP`"), "{message}");
    }

    #[test]
    fn a_good_value_reads() {
        let package: Package = read(&json!({"metadata": {"name": "a", "namespace": "b"}})).unwrap();
        assert_eq!(package.name(), "a");
    }
}
