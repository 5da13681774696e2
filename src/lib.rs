//! uds-egress Kubewarden policy: validates and mutates UDS `Package` egress rules.
//!
//! This file only registers the waPC entry points; the decision lives in plain functions
//! ([`validate::evaluate`], [`settings::check_settings_payload`]) that unit tests call directly.

// Nothing reachable from `validate` may panic (a trap would turn into an unexplained 500): the
// workspace lints deny unwrap, expect, panic and indexing here.

pub mod cluster;
pub mod context;
#[cfg(test)]
mod fake_cluster;
pub mod json_path;
pub mod limits;
pub mod listed;
pub mod mutate;
pub mod refused_settings;
pub mod request;
pub mod settings;
pub mod shape;
pub mod shared_reach;
pub mod sieve;
pub mod validate;
pub mod value_at;
pub mod verdict;
pub mod warnings;

use kubewarden_policy_sdk::protocol_version_guest;
use kubewarden_policy_sdk::wapc_guest::{CallResult, register_function};

use crate::cluster::HostCluster;

#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    register_function("validate", validate);
    register_function("validate_settings", validate_settings);
    register_function("protocol_version", protocol_version_guest);
}

fn validate(payload: &[u8]) -> CallResult {
    let response = validate::evaluate(payload, &HostCluster).into_response();
    // Serialising a response of strings and JSON values cannot fail; were it to, the host's 500
    // is the right answer for a truly internal error.
    Ok(serde_json::to_vec(&response)?)
}

fn validate_settings(payload: &[u8]) -> CallResult {
    Ok(serde_json::to_vec(&settings::check_settings_payload(
        payload,
    ))?)
}
