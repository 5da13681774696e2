//! Reading the fields of an object's JSON, with the path of the field that is not what it
//! should be. The objects may come from a live cluster, so nothing is taken on trust: a wrong
//! type is an error that names the field, and null counts as absent (as the API server treats it).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::json_type::json_type;
use crate::normal_host::{normal_form, same_host};

/// A label map, sorted: selectors and labels are compared as sets.
pub type Labels = BTreeMap<String, String>;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// `spec.ports[0].number`.
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// One field of an object: its value when present, and its path.
#[derive(Clone, Debug)]
pub struct Field<'a> {
    value: Option<&'a Value>,
    path: String,
}

impl<'a> Field<'a> {
    pub fn root(value: &'a Value) -> Field<'a> {
        Field {
            value: Some(value),
            path: String::new(),
        }
    }

    pub fn is_present(&self) -> bool {
        self.value.is_some()
    }

    pub fn is_string(&self) -> bool {
        matches!(self.value, Some(Value::String(_)))
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// The member `key`; absent when this field is absent. Fails when this field is not a map.
    pub fn get(&self, key: &str) -> Result<Field<'a>, FieldError> {
        let path = if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        };
        match self.value {
            None => Ok(Field { value: None, path }),
            Some(Value::Object(map)) => Ok(Field {
                value: map.get(key).filter(|v| !v.is_null()),
                path,
            }),
            Some(other) => Err(self.wrong(other, "a mapping")),
        }
    }

    /// The items of a list; none when absent.
    pub fn items(&self) -> Result<Vec<Field<'a>>, FieldError> {
        match self.value {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => Ok(items
                .iter()
                .enumerate()
                .map(|(i, item)| Field {
                    value: Some(item).filter(|v| !v.is_null()),
                    path: format!("{}[{i}]", self.path),
                })
                .collect()),
            Some(other) => Err(self.wrong(other, "a list")),
        }
    }

    /// The items of a list, or `None` when the list is absent (which often means "all").
    pub fn optional_items(&self) -> Result<Option<Vec<Field<'a>>>, FieldError> {
        if self.value.is_none() {
            return Ok(None);
        }
        self.items().map(Some)
    }

    pub fn str(&self) -> Result<Option<&'a str>, FieldError> {
        match self.value {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.wrong(other, "a string")),
        }
    }

    /// A string that must be there.
    pub fn required_str(&self) -> Result<&'a str, FieldError> {
        self.str()?.ok_or_else(|| FieldError {
            path: self.path.clone(),
            message: "missing".into(),
        })
    }

    pub fn strings(&self) -> Result<Vec<String>, FieldError> {
        self.items()?
            .iter()
            .map(|item| item.required_str().map(str::to_string))
            .collect()
    }

    /// A list of strings, or `None` when absent.
    pub fn optional_strings(&self) -> Result<Option<Vec<String>>, FieldError> {
        if self.value.is_none() {
            return Ok(None);
        }
        self.strings().map(Some)
    }

    /// A port number, 1 to 65535.
    pub fn port(&self) -> Result<Option<u16>, FieldError> {
        match self.value {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_u64()
                .and_then(|n| u16::try_from(n).ok())
                .filter(|&n| n != 0)
                .map(Some)
                .ok_or_else(|| self.message("expected a port number from 1 to 65535")),
            Some(other) => Err(self.wrong(other, "a port number")),
        }
    }

    /// A port written as text (AuthorizationPolicy `ports: ["443"]`).
    pub fn port_text(&self) -> Result<u16, FieldError> {
        let text = self.required_str()?;
        text.parse::<u16>()
            .ok()
            .filter(|&n| n != 0)
            .ok_or_else(|| self.message("expected a port number from 1 to 65535 as text"))
    }

    /// A map of strings (labels, annotations, `matchLabels`); `None` when absent.
    pub fn labels(&self) -> Result<Option<Labels>, FieldError> {
        match self.value {
            None => Ok(None),
            Some(Value::Object(map)) => {
                let mut labels = Labels::new();
                for (key, value) in map {
                    match value {
                        Value::String(s) => {
                            labels.insert(key.clone(), s.clone());
                        }
                        other => {
                            return Err(self.get(key)?.wrong(other, "a string"));
                        }
                    }
                }
                Ok(Some(labels))
            }
            Some(other) => Err(self.wrong(other, "a mapping of strings")),
        }
    }

    fn message(&self, message: &str) -> FieldError {
        FieldError {
            path: self.path.clone(),
            message: message.to_string(),
        }
    }

    fn wrong(&self, found: &Value, expected: &str) -> FieldError {
        self.message(&format!("expected {expected}, found {}", json_type(found)))
    }
}

/// Every label of `selector` is on `labels`: Kubernetes' `matchLabels`.
pub fn selects(selector: &Labels, labels: &Labels) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// A host pattern of Istio (`*`, `*.example.com`, `example.com`) matches a host, both compared in
/// the hosts' one normal form (`normal_host`), as the policy and the generator compare them.
pub fn host_matches(pattern: &str, host: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    match pattern.strip_prefix("*.") {
        Some(suffix) => normal_form(host).ends_with(&format!(".{}", normal_form(suffix))),
        None => same_host(pattern, host),
    }
}

/// Istio's `exportTo` (ServiceEntry, VirtualService): absent or empty exports everywhere (the
/// mesh default), `.` to the object's namespace, `*` everywhere, `~` nowhere, else the names.
pub fn exported_to(export_to: &[String], own_namespace: &str, namespace: &str) -> bool {
    if export_to.is_empty() {
        return true;
    }
    export_to.iter().any(|entry| match entry.as_str() {
        "*" => true,
        "." => own_namespace == namespace,
        "~" => false,
        other => other == namespace,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errors_name_the_field() {
        let value = json!({"spec": {"ports": [{"number": "443"}], "hosts": "a.com"}});
        let root = Field::root(&value);
        let ports = root
            .get("spec")
            .unwrap()
            .get("ports")
            .unwrap()
            .items()
            .unwrap();
        let err = ports[0].get("number").unwrap().port().unwrap_err();
        assert_eq!(err.path, "spec.ports[0].number");
        assert_eq!(err.message, "expected a port number, found a string");
        let err = root
            .get("spec")
            .unwrap()
            .get("hosts")
            .unwrap()
            .strings()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "spec.hosts: expected a list, found a string"
        );
        let err = Field::root(&json!({"a": 3}))
            .get("a")
            .unwrap()
            .get("b")
            .unwrap_err();
        assert_eq!(err.path, "a");
    }

    #[test]
    fn null_and_absent_are_the_same() {
        let value = json!({"a": null});
        let root = Field::root(&value);
        assert!(!root.get("a").unwrap().is_present());
        assert!(root.get("a").unwrap().items().unwrap().is_empty());
        assert_eq!(root.get("b").unwrap().optional_strings().unwrap(), None);
    }

    #[test]
    fn patterns_and_export() {
        assert!(host_matches("*.example.com", "API.example.com"));
        assert!(!host_matches("*.example.com", "example.com"));
        // The one normal form: a trailing dot names the same host.
        assert!(host_matches("api.example.com", "API.example.com."));
        assert!(host_matches("*.example.com", "a.example.com."));
        assert!(host_matches("*", "x"));
        assert!(exported_to(&[], "a", "b"));
        assert!(exported_to(&[".".into()], "a", "a"));
        assert!(!exported_to(&[".".into()], "a", "b"));
        assert!(!exported_to(&["~".into()], "a", "a"));
        assert!(exported_to(&["b".into()], "a", "b"));
    }
}
