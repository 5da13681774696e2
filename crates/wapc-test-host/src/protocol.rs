//! The Kubewarden waPC protocol messages, decoded on the host side.
//!
//! These are written from the protocol, not taken from the SDK, so a change on the SDK side
//! shows up as a decoding failure here instead of agreeing with itself.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Guest operation names.
pub mod op {
    pub const PROTOCOL_VERSION: &str = "protocol_version";
    pub const VALIDATE_SETTINGS: &str = "validate_settings";
    pub const VALIDATE: &str = "validate";
}

/// Reply of `validate_settings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsVerdict {
    pub valid: bool,
    #[serde(default)]
    pub message: Option<String>,
}

/// Reply of `validate` (snake_case on the wire).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationResponse {
    pub accepted: bool,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub code: Option<u16>,
    /// The whole new object when the policy mutates; the host turns it into a JSON Patch.
    #[serde(default)]
    pub mutated_object: Option<Value>,
    #[serde(default)]
    pub warnings: Option<Vec<String>>,
    #[serde(default)]
    pub audit_annotations: Option<BTreeMap<String, String>>,
}

impl ValidationResponse {
    pub fn warnings(&self) -> &[String] {
        self.warnings.as_deref().unwrap_or_default()
    }
}

/// The `validate` payload: the inner AdmissionRequest (camelCase) next to the settings.
pub fn validate_payload(request: &Value, settings: &Value) -> Vec<u8> {
    json!({ "request": request, "settings": settings })
        .to_string()
        .into_bytes()
}
