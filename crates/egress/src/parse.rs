//! Reading a Package from any serde data format, with the failing field's path in the error.

use serde::{Deserialize, Deserializer};

use crate::model::Package;
use crate::violation::{Code, Violation};

/// Deserialises a Package and applies the deprecated-field migration. On failure the violation's
/// path names the offending field (`spec.network.allow[2].port`).
pub fn package_from<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Package, Violation>
where
    D::Error: std::fmt::Display,
{
    match serde_path_to_error::deserialize::<_, Package>(deserializer) {
        Ok(mut package) => {
            package.migrate();
            Ok(package)
        }
        Err(err) => {
            let path = err.path().to_string();
            let path = if path == "." { String::new() } else { path };
            let message = err.into_inner().to_string();
            Err(Violation::new(path, Code::Malformed, message))
        }
    }
}

/// [`package_from`] for an already parsed JSON value. Path tracking is paid only on failure: the
/// value is read plainly first, and once more with tracking only to word the error.
pub fn package_from_value(value: &serde_json::Value) -> Result<Package, Violation> {
    match Package::deserialize(value) {
        Ok(mut package) => {
            package.migrate();
            Ok(package)
        }
        Err(_) => package_from(value),
    }
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
