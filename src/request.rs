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

/// Parses the payload, refusing oversized ones before looking at them.
pub fn parse(payload: &[u8]) -> Result<Payload<'_>, PayloadError> {
    crate::limits::check_payload_size(payload.len()).map_err(PayloadError::TooLarge)?;
    from_json(payload).map_err(PayloadError::NotJson)
}

/// Reads JSON text as `serde_json::from_slice` does; the error gives the position
/// (`... at line 1 column 27`).
///
/// The envelope is written by policy-server or kwctl, not by users, so its errors are not
/// traced to a field: that would take a second, path-tracking copy of its deserialisers in the
/// module. What users write, the Package and the settings, is read with field paths
/// (`uds_egress_core::field_error`).
pub fn from_json<'a, T: Deserialize<'a>>(text: &'a [u8]) -> Result<T, String> {
    serde_json::from_slice(text).map_err(|err| err.to_string())
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
            Err(PayloadError::NotJson(m)) if m.starts_with("invalid type: integer `5`, expected a string at line 1")
        ));
        assert!(matches!(
            parse(br#"{"request": {"kind": "Package"}}"#),
            Err(PayloadError::NotJson(m)) if m.starts_with("invalid type: string \"Package\"")
        ));
        assert!(matches!(
            parse(br#"{"request": {}} trailing"#),
            Err(PayloadError::NotJson(m)) if m.contains("trailing characters")
        ));
    }
}
