//! The Package's namespace must be a Namespace name, because every per-package object is created
//! in it. In a cluster the API server guarantees this; `render` reads files, where a typo would
//! otherwise only show when the generated objects are applied.

use crate::model::Package;
use crate::quoting::quoted;
use crate::violation::{Code, Violation};

const MAX_LEN: usize = 63;

/// A violation when the namespace is set but is not a DNS-1123 label (Kubernetes'
/// `IsDNS1123Label`, the rule for Namespace names). An empty namespace is UDS Core's rule.
pub fn namespace_name_violation(pkg: &Package) -> Option<Violation> {
    let namespace = pkg.namespace();
    (!namespace.is_empty() && !is_dns_label(namespace)).then(|| {
        Violation::new(
            "metadata.namespace",
            Code::InvalidNamespaceName,
            format!(
                "namespace {} is not a Namespace name: at most 63 lower-case letters, digits or \
                 '-', starting and ending with a letter or digit",
                quoted(namespace)
            ),
        )
    })
}

fn is_dns_label(name: &str) -> bool {
    let lower_alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = name.as_bytes();
    bytes.len() <= MAX_LEN
        && bytes.first().is_some_and(lower_alnum)
        && bytes.last().is_some_and(lower_alnum)
        && bytes.iter().all(|b| lower_alnum(b) || *b == b'-')
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::parse::package_from_value;

    fn in_namespace(namespace: &str) -> Package {
        package_from_value(&json!({"metadata": {"name": "app", "namespace": namespace}})).unwrap()
    }

    #[test]
    fn namespace_names_are_dns_labels() {
        for good in ["shop", "team-a", "a", "0ops", &"a".repeat(63), ""] {
            assert_eq!(
                namespace_name_violation(&in_namespace(good)),
                None,
                "{good}"
            );
        }
        for bad in ["Shop", "team_a", "-a", "a-", "a.b", "a b", &"a".repeat(64)] {
            let violation = namespace_name_violation(&in_namespace(bad)).expect(bad);
            assert_eq!(violation.path, "metadata.namespace");
            assert_eq!(violation.code, Code::InvalidNamespaceName);
        }
        assert_eq!(
            namespace_name_violation(&in_namespace("Shop"))
                .unwrap()
                .message,
            "namespace \"Shop\" is not a Namespace name: at most 63 lower-case letters, digits or '-', starting and ending with a letter or digit"
        );
    }
}
