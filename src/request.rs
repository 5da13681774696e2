//! Reading the `validate` payload: `{"request": <AdmissionRequest>, "settings": ...}`.
//!
//! Only the fields the decision needs are read. The object stays raw JSON text until its size has
//! been checked, and `oldObject` is skipped without being built, so an oversized request costs one
//! scan of the bytes and nothing more.

use kubewarden_policy_sdk::request::GroupVersionKind;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

/// The parts of the payload the policy reads.
#[derive(Debug, Deserialize)]
pub struct Payload<'a> {
    #[serde(borrow)]
    pub request: AdmissionRequest<'a>,
    #[serde(default)]
    pub settings: Value,
}

/// The inner AdmissionRequest (camelCase, as Kubernetes and kwctl send it).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AdmissionRequest<'a> {
    pub kind: GroupVersionKind,
    pub operation: String,
    #[serde(alias = "sub_resource")]
    pub sub_resource: String,
    pub name: String,
    pub namespace: String,
    /// `None` when absent or `null` (DELETE).
    #[serde(borrow)]
    pub object: Option<&'a RawValue>,
}

/// Why a payload could not be read.
#[derive(Debug, PartialEq)]
pub enum PayloadError {
    /// Over [`crate::limits::MAX_PAYLOAD_BYTES`]; not parsed at all.
    TooLarge(usize),
    NotJson(String),
}

/// Parses the payload, refusing oversized ones before looking at them. A field of the wrong type
/// is named in the error (`request.kind: invalid type: ...`).
pub fn parse(payload: &[u8]) -> Result<Payload<'_>, PayloadError> {
    crate::limits::check_payload_size(payload.len()).map_err(PayloadError::TooLarge)?;
    from_json(payload).map_err(|(path, message)| {
        PayloadError::NotJson(if path.is_empty() {
            message
        } else {
            format!("{path}: {message}")
        })
    })
}

/// Reads JSON text as `serde_json::from_slice` does, but on failure also names the field being
/// read: `Err((path, message))`, the path empty when the failure is not inside a field.
///
/// Tracking the path costs about as much as the parse itself, so it is paid only on failure: the
/// text is read once plainly and, only if that fails, once more to find where.
pub fn from_json<'a, T: Deserialize<'a>>(text: &'a [u8]) -> Result<T, (String, String)> {
    serde_json::from_slice(text).or_else(|_| from_json_tracked(text))
}

fn from_json_tracked<'a, T: Deserialize<'a>>(text: &'a [u8]) -> Result<T, (String, String)> {
    let mut deserializer = serde_json::Deserializer::from_slice(text);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let path = if path == "." { String::new() } else { path };
        (path, err.into_inner().to_string())
    })?;
    // Nothing but white space may follow the document.
    deserializer
        .end()
        .map_err(|err| (String::new(), err.to_string()))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_fields_and_keeps_the_object_raw() {
        let payload = br#"{"settings": {"denyHttp": true}, "request": {
            "uid": "1", "kind": {"group": "uds.dev", "version": "v1alpha1", "kind": "Package"},
            "operation": "UPDATE", "name": "app", "namespace": "ns", "subResource": "",
            "object": {"metadata": {"name": "app"}}, "oldObject": {"huge": [1, 2, 3]}}}"#;
        let parsed = parse(payload).unwrap();
        assert_eq!(parsed.request.kind.kind, "Package");
        assert_eq!(parsed.request.operation, "UPDATE");
        assert_eq!(parsed.request.namespace, "ns");
        assert_eq!(
            parsed.request.object.map(RawValue::get),
            Some(r#"{"metadata": {"name": "app"}}"#)
        );
        assert_eq!(parsed.settings["denyHttp"], true);
    }

    #[test]
    fn null_object_and_missing_settings() {
        let parsed = parse(br#"{"request": {"operation": "DELETE", "object": null}}"#).unwrap();
        assert!(parsed.request.object.is_none());
        assert!(parsed.settings.is_null());
    }

    #[test]
    fn refuses_what_is_not_a_request() {
        assert!(matches!(parse(b"not json"), Err(PayloadError::NotJson(_))));
        assert!(matches!(parse(b"[1, 2]"), Err(PayloadError::NotJson(_))));
        assert!(
            matches!(parse(b"{}"), Err(PayloadError::NotJson(m)) if m.contains("missing field `request`"))
        );
        assert!(matches!(
            parse(br#"{"request": {"operation": 5}}"#),
            Err(PayloadError::NotJson(m)) if m.starts_with("request.operation: invalid type")
        ));
        assert!(matches!(
            parse(br#"{"request": {"kind": "Package"}}"#),
            Err(PayloadError::NotJson(m)) if m.starts_with("request.kind: invalid type")
        ));
        assert!(matches!(
            parse(br#"{"request": {}} trailing"#),
            Err(PayloadError::NotJson(m)) if m.contains("trailing characters")
        ));
    }
}
