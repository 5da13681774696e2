//! A Kubewarden policy that accepts every request.
//!
//! It links the same SDK and Kubernetes types as the real policy and still parses each
//! request, so its module size and `validate` time are the fixed cost any policy pays:
//! the baseline the real policy's benchmark is compared against.

use kubewarden_policy_sdk::request::ValidationRequest;
use kubewarden_policy_sdk::settings::Validatable;
use kubewarden_policy_sdk::wapc_guest::{CallResult, register_function};
use kubewarden_policy_sdk::{accept_request, protocol_version_guest, validate_settings};
use serde::Deserialize;

/// The noop policy takes no settings; unknown keys are ignored like in most policies.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Settings {}

impl Validatable for Settings {
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    register_function("validate", validate);
    register_function("validate_settings", validate_settings::<Settings>);
    register_function("protocol_version", protocol_version_guest);
}

/// Parses the request (so malformed input is still refused) and accepts it.
fn validate(payload: &[u8]) -> CallResult {
    ValidationRequest::<Settings>::new(payload)?;
    accept_request()
}
