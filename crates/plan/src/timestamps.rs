//! The metadata timestamps of Packages read from files.
//!
//! The core keeps them as text (the policy module has no use for a date parser). `render` and
//! `plan` order Packages by `creationTimestamp`, so a file whose timestamp is not RFC 3339 is
//! refused here, naming the field, instead of the Package silently losing its priority.

use jiff::Timestamp;
use uds_egress_core::Package;
use uds_egress_core::violation::{Code, Violation};

/// The first of `creationTimestamp` and `deletionTimestamp` that is set but not RFC 3339.
pub fn timestamp_violation(package: &Package) -> Option<Violation> {
    let meta = &package.metadata;
    [
        ("creationTimestamp", &meta.creation_timestamp),
        ("deletionTimestamp", &meta.deletion_timestamp),
    ]
    .into_iter()
    .find_map(|(field, value)| {
        let text = value.as_deref()?;
        let err = text.parse::<Timestamp>().err()?;
        Some(Violation::new(
            format!("metadata.{field}"),
            Code::Malformed,
            format!("{text:?} is not an RFC 3339 time: {err}"),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use uds_egress_core::parse::package_from_value;

    fn created(at: &str) -> Package {
        package_from_value(&serde_json::json!({
            "metadata": {"name": "a", "namespace": "b", "creationTimestamp": at}
        }))
        .unwrap()
    }

    #[test]
    fn rfc3339_times_pass_and_others_are_named() {
        for good in [
            "2026-01-01T00:00:00Z",
            "2026-01-01T02:00:00+02:00",
            "2026-01-01T00:00:00.5Z",
        ] {
            assert_eq!(timestamp_violation(&created(good)), None, "{good}");
        }
        let violation = timestamp_violation(&created("yesterday")).expect("refused");
        assert_eq!(violation.path, "metadata.creationTimestamp");
        assert!(
            violation
                .message
                .starts_with("\"yesterday\" is not an RFC 3339 time"),
            "{}",
            violation.message
        );
        assert_eq!(timestamp_violation(&Package::default()), None);
    }
}
