//! Label keys and values that end up in generated objects must be valid Kubernetes labels, or the
//! API server rejects the object and the whole reconcile fails after the Package was admitted.
//!
//! Every `allow[]` entry becomes a NetworkPolicy (semantics §1, §3.4): its `labels` are the
//! policy's labels, its `selector` the `podSelector` (and, in sidecar mode, the Sidecar's
//! `workloadSelector`), its `remoteSelector` a peer's `podSelector`. The Package name is the value
//! of the `uds/package` label of those objects, so it must be a label value too (at most 63
//! characters, although a Package name may have 253).
//!
//! The rules are Kubernetes' own: a key is `[prefix/]name`, the prefix a DNS-1123 subdomain of at
//! most 253 characters, the name at most 63 characters of `[A-Za-z0-9._-]` starting and ending
//! with a letter or digit; a value is empty or such a name.

use crate::model::{LabelMap, Package};
use crate::quoting::quoted;
use crate::violation::{Code, Violation, allow_path};

const MAX_NAME: usize = 63;
const MAX_PREFIX: usize = 253;

const KEY_RULE: &str = "a label key is a name of at most 63 letters, digits, '-', '_' or '.', \
     starting and ending with a letter or digit, optionally after a DNS subdomain prefix and '/' \
     (for example app.kubernetes.io/name)";
const VALUE_RULE: &str = "a label value is empty or at most 63 letters, digits, '-', '_' or '.', \
     starting and ending with a letter or digit";

/// Every invalid label key or value of the Package: its name (when it has `allow[]` entries),
/// then per entry in order its `labels`, `selector` and `remoteSelector`.
pub fn label_violations(pkg: &Package) -> Vec<Violation> {
    let mut violations = Vec::new();
    let name = pkg.name();
    if !pkg.allow().is_empty() && !name.is_empty() && !is_label_value(name) {
        violations.push(Violation::new(
            "metadata.name",
            Code::InvalidLabel,
            format!(
                "Package name {} cannot be the value of the uds/package label of the generated \
                 objects: {VALUE_RULE}",
                quoted(name)
            ),
        ));
    }
    for (index, allow) in pkg.allow().iter().enumerate() {
        for (field, labels) in [
            ("labels", &allow.labels),
            ("selector", &allow.selector),
            ("remoteSelector", &allow.remote_selector),
        ] {
            if let Some(labels) = labels {
                map_violations(index, field, labels, &mut violations);
            }
        }
    }
    violations
}

fn map_violations(index: usize, field: &str, labels: &LabelMap, out: &mut Vec<Violation>) {
    for (key, value) in labels {
        if !is_label_key(key) {
            out.push(Violation::new(
                allow_path(index, Some(field)),
                Code::InvalidLabel,
                format!(
                    "{field} key {} is not a valid label key: {KEY_RULE}",
                    quoted(key)
                ),
            ));
        } else if !is_label_value(value) {
            out.push(Violation::new(
                allow_path(index, Some(field)),
                Code::InvalidLabel,
                format!(
                    "{field} value {} of key {} is not a valid label value: {VALUE_RULE}",
                    quoted(value),
                    quoted(key)
                ),
            ));
        }
    }
}

/// `[prefix/]name` (Kubernetes `IsQualifiedName`).
pub fn is_label_key(key: &str) -> bool {
    match key.split_once('/') {
        None => is_name(key),
        Some((prefix, name)) => is_dns_subdomain(prefix) && is_name(name),
    }
}

/// Empty, or a name (Kubernetes `IsValidLabelValue`).
pub fn is_label_value(value: &str) -> bool {
    value.is_empty() || is_name(value)
}

/// At most 63 of `[A-Za-z0-9._-]`, starting and ending with a letter or digit.
fn is_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let alnum = |b: &u8| b.is_ascii_alphanumeric();
    bytes.len() <= MAX_NAME
        && bytes.first().is_some_and(alnum)
        && bytes.last().is_some_and(alnum)
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Lower-case DNS-1123 subdomain of at most 253 characters (Kubernetes `IsDNS1123Subdomain`): a
/// label-key prefix, or the name of most objects, such as a ServiceAccount.
pub fn is_dns_subdomain(prefix: &str) -> bool {
    let lower_alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    prefix.len() <= MAX_PREFIX
        && prefix.split('.').all(|part| {
            let bytes = part.as_bytes();
            bytes.first().is_some_and(lower_alnum)
                && bytes.last().is_some_and(lower_alnum)
                && bytes.iter().all(|b| lower_alnum(b) || *b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::parse::package_from_value;

    fn violations(name: &str, allow: Value) -> Vec<(String, String)> {
        let pkg = package_from_value(&json!({
            "metadata": {"name": name, "namespace": "app"},
            "spec": {"network": {"allow": allow}}
        }))
        .unwrap();
        label_violations(&pkg)
            .into_iter()
            .map(|v| (v.path, v.message))
            .collect()
    }

    #[test]
    fn valid_keys_and_values() {
        for key in [
            "app",
            "app.kubernetes.io/name",
            "A_b.C-1",
            "x/y",
            &"k".repeat(63),
        ] {
            assert!(is_label_key(key), "{key}");
        }
        for value in ["", "curl", "a.b_c-D", &"v".repeat(63)] {
            assert!(is_label_value(value), "{value}");
        }
    }

    #[test]
    fn invalid_keys_and_values() {
        let long_prefix = format!("{}/a", "p".repeat(254));
        for key in [
            "",
            "a b",
            "-a",
            "a-",
            "a/b/c",
            "/a",
            "a/",
            "Upper.io/a",
            "a_b.io/x",
            "ü",
            &"k".repeat(64),
            &long_prefix,
        ] {
            assert!(!is_label_key(key), "{key:?}");
        }
        for value in [
            "with space",
            "-a",
            "a-",
            "a/b",
            "ü",
            "tab\t",
            &"v".repeat(64),
        ] {
            assert!(!is_label_value(value), "{value:?}");
        }
    }

    #[test]
    fn names_the_field_key_and_value() {
        let found = violations(
            "app",
            json!([
                {"direction": "Egress", "remoteHost": "a.com", "selector": {"app": "has space"}},
                {"direction": "Egress", "remoteNamespace": "x", "remoteSelector": {"a b": "x"},
                 "labels": {"ok": "fine", "team": "-x"}}
            ]),
        );
        assert_eq!(
            found,
            vec![
                (
                    "spec.network.allow[0].selector".to_string(),
                    format!(
                        "selector value \"has space\" of key \"app\" is not a valid label value: {VALUE_RULE}"
                    )
                ),
                (
                    "spec.network.allow[1].labels".to_string(),
                    format!(
                        "labels value \"-x\" of key \"team\" is not a valid label value: {VALUE_RULE}"
                    )
                ),
                (
                    "spec.network.allow[1].remoteSelector".to_string(),
                    format!("remoteSelector key \"a b\" is not a valid label key: {KEY_RULE}")
                ),
            ]
        );
    }

    #[test]
    fn a_package_name_over_63_characters_with_rules() {
        let long = "p".repeat(64);
        let rule = json!([{"direction": "Egress", "remoteHost": "a.com"}]);
        let found = violations(&long, rule.clone());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "metadata.name");
        assert!(found[0].1.contains("uds/package"), "{}", found[0].1);
        assert!(violations(&"p".repeat(63), rule).is_empty());
        assert!(violations(&long, json!([])).is_empty());
    }

    #[test]
    fn migrated_pod_labels_are_checked_as_the_selector() {
        let found = violations(
            "app",
            json!([{"direction": "Egress", "remoteHost": "a.com", "podLabels": {"app": "a b"}}]),
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "spec.network.allow[0].selector");
    }
}
