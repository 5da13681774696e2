//! The harness's single error type, so tests and the CLI can tell a missing module from a guest
//! failure from a bad fixture.

use std::path::PathBuf;

/// Marker that wasmtime-provider puts in the error text when an epoch deadline interrupts the
/// guest (both in `wapc_init` and in a call); policy-server keys on the same text.
const DEADLINE_MARKER: &str = "execution deadline exceeded";

#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(
        "policy module {path} does not exist: build it first with `make {make_target}` \
         (or `{build_command}`)"
    )]
    ModuleMissing {
        path: PathBuf,
        make_target: String,
        build_command: String,
    },

    #[error("cannot compile {module}: {message}")]
    Compile { module: String, message: String },

    #[error("cannot instantiate the policy: {0}")]
    Instantiate(String),

    #[error("guest `{operation}` was interrupted: execution deadline exceeded")]
    DeadlineExceeded { operation: String },

    #[error("guest `{operation}` failed: {message}")]
    Guest { operation: String, message: String },

    #[error("guest `{operation}` answered something that is not its protocol reply: {source}")]
    Decode {
        operation: String,
        source: serde_json::Error,
    },

    #[error("bad fixture {origin}: {message}")]
    Fixture { origin: String, message: String },

    #[error("cannot start the epoch ticker thread: {0}")]
    Ticker(std::io::Error),
}

impl HostError {
    /// Classifies a failed guest call the way policy-server does: a deadline is its own case
    /// because the caller must rebuild the instance and answer with a timeout, not a verdict.
    pub(crate) fn from_guest(operation: &str, message: String) -> Self {
        if message.contains(DEADLINE_MARKER) {
            Self::DeadlineExceeded {
                operation: operation.to_owned(),
            }
        } else {
            Self::Guest {
                operation: operation.to_owned(),
                message,
            }
        }
    }

    /// Same classification for a failure while running `wapc_init` at instantiation.
    pub(crate) fn from_init(message: String) -> Self {
        if message.contains(DEADLINE_MARKER) {
            Self::DeadlineExceeded {
                operation: "wapc_init".to_owned(),
            }
        } else {
            Self::Instantiate(message)
        }
    }

    pub fn is_deadline_exceeded(&self) -> bool {
        matches!(self, Self::DeadlineExceeded { .. })
    }
}

pub type Result<T, E = HostError> = std::result::Result<T, E>;
