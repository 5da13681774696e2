//! Finding built policy modules, so tests fail with a build instruction instead of a bare
//! "file not found".

use std::path::PathBuf;

use crate::error::{HostError, Result};

/// Target and profile the Makefile builds policies with.
const WASM_TARGET: &str = "wasm32-wasip1";
const WASM_PROFILE: &str = "policy";

/// A policy module built by this workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltModule {
    /// Cargo package that builds it.
    pub package: &'static str,
    /// Make target that builds it.
    pub make_target: &'static str,
}

/// The real policy, root package `uds-egress-policy`.
pub const POLICY: BuiltModule = BuiltModule {
    package: "uds-egress-policy",
    make_target: "policy.wasm",
};

/// The no-op baseline.
pub const NOOP_POLICY: BuiltModule = BuiltModule {
    package: "noop-policy",
    make_target: "noop-policy.wasm",
};

impl BuiltModule {
    /// Cargo names a cdylib after its package, `-` turned into `_`.
    pub fn file_name(&self) -> String {
        format!("{}.wasm", self.package.replace('-', "_"))
    }

    /// Path of the module built with `--target wasm32-wasip1 --profile policy`, under
    /// `$CARGO_TARGET_DIR` when set, else the workspace's `target/`. Missing is an error that
    /// says how to build it: tests must not pass by skipping.
    pub fn path(&self) -> Result<PathBuf> {
        let path = target_dir()
            .join(WASM_TARGET)
            .join(WASM_PROFILE)
            .join(self.file_name());
        if path.is_file() {
            Ok(path)
        } else {
            Err(HostError::ModuleMissing {
                path,
                make_target: self.make_target.to_owned(),
                build_command: format!(
                    "cargo build --target {WASM_TARGET} --profile {WASM_PROFILE} -p {}",
                    self.package
                ),
            })
        }
    }
}

fn target_dir() -> PathBuf {
    // This crate lives two levels below the workspace root (crates/wapc-test-host).
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    match std::env::var_os("CARGO_TARGET_DIR") {
        // A relative setting is taken from the workspace root, where make and CI run cargo.
        Some(dir) if !dir.is_empty() => workspace.join(dir),
        _ => workspace.join("target"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_follow_cargo() {
        assert_eq!(POLICY.file_name(), "uds_egress_policy.wasm");
        assert_eq!(NOOP_POLICY.file_name(), "noop_policy.wasm");
    }

    #[test]
    fn a_missing_module_says_how_to_build_it() {
        let missing = BuiltModule {
            package: "no-such-policy",
            make_target: "no-such-policy.wasm",
        };
        let err = missing.path().unwrap_err().to_string();
        assert!(err.contains("make no-such-policy.wasm"), "{err}");
        assert!(
            err.contains("cargo build --target wasm32-wasip1 --profile policy -p no-such-policy"),
            "{err}"
        );
        assert!(
            err.contains("wasm32-wasip1/policy/no_such_policy.wasm"),
            "{err}"
        );
    }
}
