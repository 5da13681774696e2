//! Loose checks of `metadata`, which CRD schemas do not describe (the API server validates it
//! itself): string name/namespace, and label/annotation maps of strings with valid keys, since a
//! non-string label value (`uds/generation: 1`) is a classic generator bug.

use serde_json::Value;

use crate::validate::{Walker, kind_of};

pub(crate) fn check(walker: &mut Walker, metadata: Option<&Value>) {
    let Some(metadata) = metadata else {
        walker.error_at("metadata", "missing required field");
        return;
    };
    walker.path.push_key("metadata");
    match metadata.as_object() {
        None => walker.error(format!("expected object, found {}", kind_of(metadata))),
        Some(fields) => {
            for key in ["name", "namespace", "generateName"] {
                if let Some(value) = fields.get(key) {
                    match value.as_str() {
                        Some("") => walker.error_at(key, "must not be empty"),
                        Some(_) => {}
                        None => walker
                            .error_at(key, format!("expected string, found {}", kind_of(value))),
                    }
                }
            }
            if !fields.contains_key("name") && !fields.contains_key("generateName") {
                walker.error_at("name", "missing required field (or generateName)");
            }
            string_map(walker, fields.get("labels"), "labels", true);
            string_map(walker, fields.get("annotations"), "annotations", false);
        }
    }
    walker.path.pop();
}

fn string_map(walker: &mut Walker, map: Option<&Value>, key: &str, is_labels: bool) {
    let Some(map) = map else { return };
    walker.path.push_key(key);
    match map.as_object() {
        None => walker.error(format!("expected object, found {}", kind_of(map))),
        Some(entries) => {
            for (name, value) in entries {
                walker.path.push_key(name);
                if !is_qualified_name(name) {
                    walker.error("invalid key: must be [prefix/]name (DNS subdomain prefix, name of up to 63 alphanumerics, '-', '_', '.')");
                }
                match value.as_str() {
                    None => walker.error(format!("expected string, found {}", kind_of(value))),
                    Some(text) if is_labels && !is_label_value(text) => walker.error(
                        "invalid label value: at most 63 alphanumerics, '-', '_', '.', starting and ending with an alphanumeric",
                    ),
                    Some(_) => {}
                }
                walker.path.pop();
            }
        }
    }
    walker.path.pop();
}

fn is_qualified_name(key: &str) -> bool {
    match key.split_once('/') {
        Some((prefix, name)) => is_dns_subdomain(prefix) && is_name_part(name),
        None => is_name_part(key),
    }
}

fn is_name_part(name: &str) -> bool {
    !name.is_empty() && is_label_value(name)
}

fn is_label_value(value: &str) -> bool {
    let bytes = value.as_bytes();
    value.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && bytes.first().is_none_or(u8::is_ascii_alphanumeric)
        && bytes.last().is_none_or(u8::is_ascii_alphanumeric)
}

fn is_dns_subdomain(prefix: &str) -> bool {
    prefix.len() <= 253
        && prefix.split('.').all(|part| {
            let bytes = part.as_bytes();
            !bytes.is_empty()
                && bytes
                    .iter()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
                && bytes.first().is_some_and(|b| *b != b'-')
                && bytes.last().is_some_and(|b| *b != b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualified_names() {
        assert!(is_qualified_name("uds/package"));
        assert!(is_qualified_name("istio.io/use-waypoint"));
        assert!(is_qualified_name("uds.dev/user-app-app-ns"));
        assert!(is_qualified_name("app"));
        assert!(!is_qualified_name("Bad.Prefix/x"));
        assert!(!is_qualified_name("a/"));
        assert!(!is_qualified_name("-x"));
    }

    #[test]
    fn label_values() {
        assert!(is_label_value(""));
        assert!(is_label_value("shared-egress-resource"));
        assert!(!is_label_value("ends-"));
        assert!(!is_label_value(&"a".repeat(64)));
    }
}
