//! Figure 5: the controller against the real kube-apiserver, as
//! `bench/api-server/controller-figures` measured it through the server's audit log and wrote it
//! to a JSON file. This module only turns those figures into rows with their budgets.
//!
//! Budgets (issue 12): the initial sync of 1,000 Packages in 20 s (pro rata for another size: the
//! quick run syncs fewer); a reaction to a Package update within 2 s at p99; a restart on a
//! converged cluster writes nothing; every write is an object that changes.
//!
//! A missing file: see [`engine_figures::read`].

use std::path::Path;

use serde::Deserialize;

use crate::engine_figures;
use crate::table::{Check, Row, thousands};

const FIGURE: &str = "5 controller on kube-apiserver";
pub const SYNC_SECONDS_PER_1000: f64 = 20.0;
pub const REACTION_P99_SECONDS: f64 = 2.0;

/// What the script measured (its JSON keys).
#[derive(Debug, Deserialize)]
pub struct Figures {
    pub packages: usize,
    pub objects: usize,
    pub sync_seconds: f64,
    pub sync_writes: usize,
    pub restart_writes: usize,
    pub updates: usize,
    pub update_writes: usize,
    pub update_changes: usize,
    pub updates_with_other_writes: usize,
    pub reaction_p50_seconds: f64,
    pub reaction_p99_seconds: f64,
}

/// `required`: the figures must be there (full run, or engines required).
pub fn run(file: &Path, required: bool) -> Vec<Row> {
    match engine_figures::read::<Figures>(
        file,
        required,
        FIGURE,
        "kube-apiserver, etcd, kubectl or jq",
    ) {
        Ok(figures) => rows(&figures),
        Err(row) => vec![row],
    }
}

pub fn rows(f: &Figures) -> Vec<Row> {
    let sync_limit = SYNC_SECONDS_PER_1000 * f.packages as f64 / 1000.0;
    let mut rows = vec![
        Row::checked(
            format!("{FIGURE}: initial sync"),
            format!(
                "{:.2} s for {} Packages ({} objects)",
                f.sync_seconds,
                thousands(f.packages),
                thousands(f.objects)
            ),
            Check::at_most(
                f.sync_seconds,
                sync_limit,
                format!("≤ {sync_limit:.1} s ({SYNC_SECONDS_PER_1000} s per 1,000)"),
            ),
        ),
        Row::checked(
            format!("{FIGURE}: sync writes"),
            thousands(f.sync_writes),
            Check::exactly(
                f.sync_writes,
                f.objects,
                format!("= {} objects", thousands(f.objects)),
            ),
        ),
        Row::checked(
            format!("{FIGURE}: restart writes"),
            thousands(f.restart_writes),
            Check::exactly(f.restart_writes, 0, "= 0"),
        ),
        Row::info(
            format!("{FIGURE}: reaction p50"),
            format!("{:.3} s over {} updates", f.reaction_p50_seconds, f.updates),
        ),
        Row::checked(
            format!("{FIGURE}: reaction p99"),
            format!("{:.3} s over {} updates", f.reaction_p99_seconds, f.updates),
            Check::at_most(
                f.reaction_p99_seconds,
                REACTION_P99_SECONDS,
                format!("≤ {REACTION_P99_SECONDS} s"),
            ),
        ),
        Row::checked(
            format!("{FIGURE}: update writes"),
            thousands(f.update_writes),
            Check::exactly(
                f.update_writes,
                f.update_changes,
                format!("= {} changed objects", thousands(f.update_changes)),
            ),
        ),
    ];
    if f.updates_with_other_writes > 0 {
        rows.push(Row::checked(
            format!("{FIGURE}: updates writing other objects"),
            thousands(f.updates_with_other_writes),
            Check::exactly(f.updates_with_other_writes, 0, "= 0"),
        ));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures() -> Figures {
        Figures {
            packages: 1000,
            objects: 16000,
            sync_seconds: 12.5,
            sync_writes: 16000,
            restart_writes: 0,
            updates: 50,
            update_writes: 150,
            update_changes: 150,
            updates_with_other_writes: 0,
            reaction_p50_seconds: 0.6,
            reaction_p99_seconds: 1.1,
        }
    }

    #[test]
    fn figures_within_budget_pass() {
        let rows = rows(&figures());
        assert_eq!(rows.len(), 6);
        assert!(rows.iter().all(|r| !r.failed() && !r.broken), "{rows:?}");
    }

    #[test]
    fn each_budget_can_fail() {
        let slow = Figures {
            sync_seconds: 20.5,
            ..figures()
        };
        let extra = Figures {
            sync_writes: 16001,
            ..figures()
        };
        let restart = Figures {
            restart_writes: 3,
            ..figures()
        };
        let late = Figures {
            reaction_p99_seconds: 2.5,
            ..figures()
        };
        let stray = Figures {
            updates_with_other_writes: 1,
            ..figures()
        };
        for (f, row) in [
            (slow, "initial sync"),
            (extra, "sync writes"),
            (restart, "restart writes"),
            (late, "reaction p99"),
            (stray, "updates writing other objects"),
        ] {
            let failed: Vec<String> = rows(&f)
                .into_iter()
                .filter(Row::failed)
                .map(|r| r.figure)
                .collect();
            assert_eq!(failed, vec![format!("{FIGURE}: {row}")]);
        }
    }

    #[test]
    fn the_sync_budget_is_pro_rata() {
        let small = Figures {
            packages: 100,
            sync_seconds: 2.5,
            ..figures()
        };
        assert!(rows(&small)[0].failed());
    }

    #[test]
    fn a_missing_file_is_never_a_pass() {
        let missing = Path::new("/nonexistent/api-server.json");
        let quick = run(missing, false);
        assert!(quick.iter().all(|r| r.check.is_none() && !r.broken));
        assert!(run(missing, true).iter().all(|r| r.broken && r.failed()));
    }
}
