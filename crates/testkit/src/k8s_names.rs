//! What the Kubernetes API server accepts as names, label keys and values, and annotation keys,
//! written from its validation rules (apimachinery `IsDNS1123Subdomain`, `IsDNS1123Label`,
//! `IsQualifiedName`, `IsValidLabelValue`), so that the tests check our output against the API
//! server's rules rather than against our own validators.
//!
//! Used by the core's property tests, the policy's mutation properties and the fuzz targets, so
//! there is one statement of the rules.

use serde_json::Value;

/// Longest DNS-1123 subdomain (object names of most kinds, label-key prefixes).
pub const MAX_SUBDOMAIN: usize = 253;
/// Longest DNS-1123 label (namespace names), label value, and name part of a qualified name.
pub const MAX_LABEL: usize = 63;
/// Largest total size of an object's annotations (keys plus values), in bytes.
pub const MAX_ANNOTATIONS_BYTES: usize = 256 * 1024;

fn is_lower_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
pub fn is_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_LABEL
        && b.first().copied().is_some_and(is_lower_alnum)
        && b.last().copied().is_some_and(is_lower_alnum)
        && b.iter().all(|&c| is_lower_alnum(c) || c == b'-')
}

/// Dot-separated DNS-1123 labels (each without the 63 limit), at most 253 characters.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    s.len() <= MAX_SUBDOMAIN
        && s.split('.').all(|label| {
            let b = label.as_bytes();
            !b.is_empty()
                && b.first().copied().is_some_and(is_lower_alnum)
                && b.last().copied().is_some_and(is_lower_alnum)
                && b.iter().all(|&c| is_lower_alnum(c) || c == b'-')
        })
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`: the name part of a qualified name and a non-empty
/// label value.
fn is_qualified_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_LABEL
        && b.first().is_some_and(u8::is_ascii_alphanumeric)
        && b.last().is_some_and(u8::is_ascii_alphanumeric)
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// `[prefix/]name`: a label key (and, lowercased first, an annotation key).
pub fn is_qualified_name(s: &str) -> bool {
    match s.split_once('/') {
        None => is_qualified_name_part(s),
        Some((prefix, name)) => {
            !prefix.is_empty()
                && is_dns1123_subdomain(prefix)
                && !name.contains('/')
                && is_qualified_name_part(name)
        }
    }
}

/// Empty, or a qualified name part.
pub fn is_label_value(s: &str) -> bool {
    s.is_empty() || is_qualified_name_part(s)
}

/// The API server lowercases annotation keys before checking them as qualified names.
pub fn is_annotation_key(s: &str) -> bool {
    is_qualified_name(&s.to_lowercase())
}

/// Every problem of a label map (a JSON object of strings), each prefixed with `at`.
pub fn label_map_problems(at: &str, labels: &Value) -> Vec<String> {
    let Some(map) = labels.as_object() else {
        return vec![format!("{at}: not a map: {labels}")];
    };
    let mut problems = Vec::new();
    for (key, value) in map {
        if !is_qualified_name(key) {
            problems.push(format!("{at}: invalid label key {key:?}"));
        }
        match value.as_str() {
            Some(v) if is_label_value(v) => {}
            _ => problems.push(format!("{at}: invalid label value {value} of {key:?}")),
        }
    }
    problems
}

/// Every problem the API server (or Istio's validation of label selectors) would find in the
/// names, labels, selectors and annotations of one generated manifest.
pub fn manifest_problems(manifest: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let meta = &manifest["metadata"];
    let kind = manifest["kind"].as_str().unwrap_or("");
    let api_version = manifest["apiVersion"].as_str().unwrap_or("");
    let name = meta["name"].as_str().unwrap_or("");
    let at = format!("{kind} {}/{name}", meta["namespace"].as_str().unwrap_or(""));
    if !is_dns1123_subdomain(name) {
        problems.push(format!("{at}: name is not a DNS-1123 subdomain"));
    }
    // A Gateway API Gateway (the waypoint) gets a Deployment and Service of its own name, and a
    // Service name must be a DNS-1123 label.
    if kind == "Gateway"
        && api_version.starts_with("gateway.networking.k8s.io/")
        && !is_dns1123_label(name)
    {
        problems.push(format!("{at}: Gateway API name is not a DNS-1123 label"));
    }
    match meta["namespace"].as_str() {
        Some(ns) if is_dns1123_label(ns) => {}
        _ => problems.push(format!("{at}: namespace is not a DNS-1123 label")),
    }
    if let Some(labels) = meta.get("labels") {
        problems.extend(label_map_problems(&format!("{at} metadata.labels"), labels));
    }
    if let Some(annotations) = meta.get("annotations") {
        match annotations.as_object() {
            Some(map) => {
                let mut total = 0;
                for (key, value) in map {
                    if !is_annotation_key(key) {
                        problems.push(format!("{at}: invalid annotation key {key:?}"));
                    }
                    total += key.len() + value.as_str().map_or(usize::MAX / 2, str::len);
                }
                if total > MAX_ANNOTATIONS_BYTES {
                    problems.push(format!("{at}: annotations total {total} bytes"));
                }
            }
            None => problems.push(format!("{at}: annotations are not a map")),
        }
    }
    selector_problems(&at, "", &manifest["spec"], &mut problems);
    problems
}

/// Label maps anywhere in a spec: `matchLabels`, `labels` (Istio `workloadSelector`) and an Istio
/// Gateway's `selector` map.
fn selector_problems(at: &str, path: &str, value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let here = format!("{path}.{key}");
                let is_label_map = matches!(key.as_str(), "matchLabels" | "labels")
                    || (key == "selector" && child.is_object());
                if is_label_map {
                    out.extend(label_map_problems(&format!("{at} spec{here}"), child));
                } else {
                    selector_problems(at, &here, child, out);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                selector_problems(at, &format!("{path}[{i}]"), item, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rules_of_the_api_server() {
        assert!(is_dns1123_subdomain("a.b-c.d"));
        assert!(!is_dns1123_subdomain("a..b"));
        assert!(!is_dns1123_subdomain("-a"));
        assert!(!is_dns1123_subdomain("A"));
        assert!(!is_dns1123_subdomain(&"a".repeat(254)));
        assert!(is_dns1123_label(&"a".repeat(63)));
        assert!(!is_dns1123_label(&"a".repeat(64)));
        assert!(!is_dns1123_label("a.b"));
        assert!(is_qualified_name("app.kubernetes.io/name"));
        assert!(is_qualified_name("App_1.x"));
        assert!(!is_qualified_name("a/b/c"));
        assert!(!is_qualified_name("/a"));
        assert!(!is_qualified_name("a/"));
        assert!(!is_qualified_name("Upper.io/a"));
        assert!(is_annotation_key("Upper.io/a"));
        assert!(!is_qualified_name("a b"));
        assert!(is_label_value(""));
        assert!(!is_label_value("-a"));
        assert!(!is_label_value(&"v".repeat(64)));
    }
}
