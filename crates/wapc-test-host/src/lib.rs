//! A waPC test host for Kubewarden policies, close enough to policy-server to test a built
//! policy module end to end without a cluster.
//!
//! - [`PolicyModule`] compiles a `.wasm` once; [`PolicyHost`] is a cheap instance of it that
//!   speaks the Kubewarden protocol (`protocol_version`, `validate_settings`, `validate`).
//! - [`HostCalls`] answers the policy's Kubernetes host calls from [`KubeFixtures`], can be told
//!   to fail some of them, and records every call.

mod admission;
mod callback;
mod epoch;
mod error;
mod fixtures;
mod host;
mod label_selector;
mod locate;
pub mod protocol;

pub use admission::create_request;
pub use callback::{BINDING, HostCall, HostCallError, HostCalls};
pub use error::{HostError, Result};
pub use fixtures::{KubeFixtures, read_admission_request, read_json};
pub use host::{Limits, PolicyHost, PolicyModule};
pub use locate::{BuiltModule, NOOP_POLICY, POLICY};
pub use protocol::{SettingsVerdict, ValidationResponse};
