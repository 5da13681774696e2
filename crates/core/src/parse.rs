//! Reading a Package from JSON, with the failing field's path in the error.

use serde_json::Value;

use crate::field_error;
use crate::model::Package;
use crate::violation::{Code, Violation};

/// Reads a Package and applies the deprecated-field migration. On failure the violation's path
/// names the offending field (`spec.network.allow[2].port`).
pub fn package_from_value(value: &Value) -> Result<Package, Violation> {
    let mut package: Package = field_error::read(value)
        .map_err(|err| Violation::new(err.path, Code::Malformed, err.message))?;
    package.migrate();
    Ok(package)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errors_name_the_field() {
        let bad = json!({"metadata": {"name": "a", "namespace": "b"},
            "spec": {"network": {"allow": [{"direction": "Egress"}, {"port": 443.5}]}}});
        let err = package_from_value(&bad).unwrap_err();
        assert_eq!(err.path, "spec.network.allow[1].port");
        assert!(err.message.contains("not an integer"), "{}", err.message);

        let bad = json!({"spec": {"network": {"allow": "everything"}}});
        let err = package_from_value(&bad).unwrap_err();
        assert_eq!(err.path, "spec.network.allow");
    }

    #[test]
    fn tolerates_unknown_fields_and_missing_spec() {
        let ok = json!({"metadata": {"name": "a"}, "spec": {"sso": [1, 2], "network": {"allow": [
            {"direction": "Egress", "remoteHosts": "typo", "remoteHost": "x.com"}]}}});
        let pkg = package_from_value(&ok).unwrap();
        assert_eq!(pkg.allow().len(), 1);
        let empty = package_from_value(&json!({"metadata": {"name": "a"}})).unwrap();
        assert!(empty.allow().is_empty());
    }

    #[test]
    fn migrates_deprecated_fields() {
        let old = json!({"spec": {"network": {"allow": [{"direction": "Egress",
            "selector": {"a": "1"}, "podLabels": {"app": "x"}, "remotePodLabels": {}}]}}});
        let pkg = package_from_value(&old).unwrap();
        let entry = &pkg.allow()[0];
        assert_eq!(
            entry
                .selector
                .as_ref()
                .and_then(|s| s.get("app"))
                .map(String::as_str),
            Some("x")
        );
        assert!(entry.pod_labels.is_none());
        assert_eq!(entry.remote_selector.as_ref().map(|s| s.len()), Some(0));
    }
}
