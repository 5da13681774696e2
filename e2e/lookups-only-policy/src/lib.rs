//! A Kubewarden policy that makes the context-aware list calls named in its settings, discards
//! the replies and accepts every request.
//!
//! The benchmark gives it the list requests of uds-egress-policy (`Listing::request`, printed
//! by `policy-workload lookups`), so it asks the engine for exactly what the real policy asks
//! for. Its time is what the engine costs to deliver the lists (policy-server's or kwctl's
//! cache, serialisation, the copy into the guest) plus the no-op's fixed cost: the floor under
//! the real policy's time, the part no guest-side work can remove.

use kubewarden_policy_sdk::host_capabilities::kubernetes::ListAllResourcesRequest;
use kubewarden_policy_sdk::request::ValidationRequest;
use kubewarden_policy_sdk::settings::Validatable;
use kubewarden_policy_sdk::wapc_guest::{CallResult, host_call, register_function};
use kubewarden_policy_sdk::{accept_request, protocol_version_guest, validate_settings};
use serde::Deserialize;

/// The list requests to make on every validation, in order.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Settings {
    lists: Vec<ListAllResourcesRequest>,
}

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

/// Parses the request, makes each list call and drops its reply; a failed call fails the
/// request, as it would fail the real policy's.
fn validate(payload: &[u8]) -> CallResult {
    let request = ValidationRequest::<Settings>::new(payload)?;
    for list in &request.settings.lists {
        let body = serde_json::to_vec(list)?;
        host_call("kubewarden", "kubernetes", "list_resources_all", &body)?;
    }
    accept_request()
}
