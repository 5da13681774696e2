//! Figure 2: the size of `policy.wasm` next to the no-op policy's, both built by the Makefile with
//! the `policy` profile and `wasm-opt`.

use std::path::Path;

use crate::table::{Check, Row};

/// The size budget: at most this many times the no-op module.
pub const FACTOR: f64 = 1.5;

pub fn run(policy: &Path, noop: &Path) -> Result<Row, String> {
    let size = |path: &Path| {
        std::fs::metadata(path)
            .map(|m| m.len() as f64 / 1024.0)
            .map_err(|e| format!("{}: {e} (run `make {}`)", path.display(), file_name(path)))
    };
    let (policy_kb, noop_kb) = (size(policy)?, size(noop)?);
    let limit = noop_kb * FACTOR;
    Ok(Row::checked(
        "2 module size",
        format!("policy.wasm {policy_kb:.1} KB (no-op {noop_kb:.1} KB)"),
        Check::at_most(
            policy_kb,
            limit,
            format!("≤ {FACTOR}× no-op = {limit:.1} KB"),
        ),
    ))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
