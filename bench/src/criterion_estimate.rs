//! Reading a result of the criterion bench (`benches/desired_state.rs`) back for the table.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

/// The criterion group of the in-process translation; its benchmarks are named by Package count.
pub const GROUP: &str = "desired_state";

/// Where criterion writes the estimates of `desired_state/<packages>` under `criterion_home`.
pub fn estimates_path(criterion_home: &Path, packages: usize) -> PathBuf {
    criterion_home
        .join(GROUP)
        .join(packages.to_string())
        .join("new")
        .join("estimates.json")
}

/// The median time of one iteration.
pub fn median(criterion_home: &Path, packages: usize) -> Result<Duration, String> {
    let path = estimates_path(criterion_home, packages);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "{}: {e} (the criterion bench writes it: `cargo bench -p uds-egress-bench`)",
            path.display()
        )
    })?;
    let estimates: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    estimates["median"]["point_estimate"]
        .as_f64()
        .filter(|ns| ns.is_finite() && *ns > 0.0)
        .map(|ns| Duration::from_secs_f64(ns / 1e9))
        .ok_or_else(|| format!("{}: no median point estimate", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_median_point_estimate_in_nanoseconds() {
        let home =
            std::env::temp_dir().join(format!("uds-egress-bench-crit-{}", std::process::id()));
        let path = estimates_path(&home, 10);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            &path,
            r#"{"mean": {"point_estimate": 1.0}, "median": {"point_estimate": 2500000.0}}"#,
        )
        .unwrap();
        assert_eq!(median(&home, 10).unwrap(), Duration::from_micros(2500));
        assert!(median(&home, 11).unwrap_err().contains("cargo bench"));
        std::fs::remove_dir_all(&home).unwrap();
    }
}
