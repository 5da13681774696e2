//! Size limits, checked before any expensive work.
//!
//! A Package is a few kilobytes; the limits are far above any real one and far below what would
//! let one request exhaust the evaluation deadline (Kubewarden's default is 2 s).

use crate::value_at::value_at;
use serde_json::Value;

/// Largest Package object accepted, as JSON text: 512 KiB. Checked on the raw bytes, before the
/// object is parsed.
pub const MAX_OBJECT_BYTES: usize = 512 * 1024;

/// Largest `validate` payload looked at: 3 MiB. It holds the object and, on UPDATE, the old object,
/// which may legitimately be as large as etcd stores (1.5 MiB) when an update shrinks it.
pub const MAX_PAYLOAD_BYTES: usize = 3 * 1024 * 1024;

/// `Err(size)` when the payload is over [`MAX_PAYLOAD_BYTES`].
pub fn check_payload_size(size: usize) -> Result<(), usize> {
    if size > MAX_PAYLOAD_BYTES {
        Err(size)
    } else {
        Ok(())
    }
}

/// `Err(message)` when the object is over [`MAX_OBJECT_BYTES`].
pub fn check_object_size(size: usize) -> Result<(), String> {
    if size > MAX_OBJECT_BYTES {
        Err(format!(
            "the Package is {size} bytes of JSON; this policy accepts at most {MAX_OBJECT_BYTES} \
             bytes (512 KiB)"
        ))
    } else {
        Ok(())
    }
}

/// The number of host rules (`allow[]` entries with a non-empty string `remoteHost`) of a raw
/// object, counted without parsing it into the model, so that an oversized list is refused before
/// mutation, rules and cluster lookups run over it.
pub fn count_host_rules(object: &Value) -> usize {
    value_at(object, &["spec", "network", "allow"])
        .and_then(Value::as_array)
        .map_or(0, |allow| {
            allow
                .iter()
                .filter(|entry| {
                    entry
                        .get("remoteHost")
                        .and_then(Value::as_str)
                        .is_some_and(|host| !host.is_empty())
                })
                .count()
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn object_limit_is_inclusive() {
        assert!(check_object_size(MAX_OBJECT_BYTES).is_ok());
        let err = check_object_size(MAX_OBJECT_BYTES + 1).unwrap_err();
        assert!(
            err.contains("524289 bytes") && err.contains("at most 524288"),
            "{err}"
        );
    }

    #[test]
    fn payload_limit_is_inclusive() {
        assert_eq!(check_payload_size(MAX_PAYLOAD_BYTES), Ok(()));
        assert_eq!(
            check_payload_size(MAX_PAYLOAD_BYTES + 1),
            Err(MAX_PAYLOAD_BYTES + 1)
        );
    }

    #[test]
    fn counts_only_host_rules() {
        let object = json!({"spec": {"network": {"allow": [
            {"remoteHost": "a.com"}, {"remoteHost": ""}, {"remoteHost": 5},
            {"remoteGenerated": "Anywhere"}, {"remoteHost": " "}, "junk"
        ]}}});
        assert_eq!(count_host_rules(&object), 2);
        assert_eq!(count_host_rules(&json!({"spec": []})), 0);
    }
}
