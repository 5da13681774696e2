//! Figure 3: render throughput. The in-process translation comes from the criterion bench; the
//! whole `uds-egress render` process (YAML in, YAML out) is run here, with its peak memory.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use uds_egress_core::{DesiredState, RuleConfig, desired_state};
use uds_egress_plan::input::parse_documents;

use crate::child;
use crate::criterion_estimate;
use crate::scale::Scale;
use crate::synth::{self, Workload};
use crate::table::{Check, Row, thousands as count};

const TRANSLATION_BUDGET: Duration = Duration::from_secs(1);
const PROCESS_BUDGET: Duration = Duration::from_secs(2);
/// Peak memory of the `render` process at 10,000 Packages (issue 13; it was 256 MiB before).
const MEMORY_BUDGET_MIB: f64 = 128.0;
/// ... and at 100,000.
const LARGE_MEMORY_BUDGET_MIB: f64 = 1024.0;
/// Ten times the Packages may take at most this many times as long: in process (criterion) ...
const SCALING_BUDGET: f64 = 11.0;
/// ... and as a whole `render` process (issue 13).
const PROCESS_SCALING_BUDGET: f64 = 10.0;

/// The in-process rows, from the criterion estimates under `criterion_home`.
pub fn translation(scale: &Scale, criterion_home: &Path) -> Vec<Row> {
    let n = scale.render_packages;
    let big = scale.scaling_packages;
    let mut rows = Vec::new();
    let small = criterion_estimate::median(criterion_home, n);
    let figure = format!("3 desired_state, {} Packages (criterion median)", count(n));
    rows.push(match &small {
        Ok(median) => Row::checked(
            figure,
            format!("{:.3} s", median.as_secs_f64()),
            Check::at_most(
                median.as_secs_f64(),
                TRANSLATION_BUDGET.as_secs_f64(),
                "≤ 1 s, one core",
            ),
        ),
        Err(problem) => Row::error(figure, problem),
    });
    let figure = format!("3 scaling: {} vs {} Packages", count(big), count(n));
    rows.push(
        match (small, criterion_estimate::median(criterion_home, big)) {
            (Ok(small), Ok(large)) => {
                let factor = large.as_secs_f64() / small.as_secs_f64();
                Row::checked(
                    figure,
                    format!(
                        "{factor:.1}× ({:.3} s / {:.3} s)",
                        large.as_secs_f64(),
                        small.as_secs_f64()
                    ),
                    Check::at_most(factor, SCALING_BUDGET, format!("≤ {SCALING_BUDGET}×")),
                )
            }
            (Err(problem), _) | (_, Err(problem)) => Row::error(figure, problem),
        },
    );
    rows
}

/// The `render` process rows: median wall time of [`Scale::render_runs`] runs and peak memory
/// at [`Scale::render_packages`]; then one run at [`Scale::scaling_packages`] (the same hosts),
/// its time against the smaller run's and its peak memory.
pub fn process(scale: &Scale, uds_egress: &Path, work: &Path) -> Result<Vec<Row>, String> {
    let (n, big) = (scale.render_packages, scale.scaling_packages);
    let small = render_runs(
        uds_egress,
        work,
        n,
        scale.render_hosts,
        scale.render_runs,
        true,
    )?;
    // Read back in full, the large output would cost the bench gigabytes: its documents are counted.
    let large = render_runs(uds_egress, work, big, scale.render_hosts, 1, false)?;
    let factor = large.median.as_secs_f64() / small.median.as_secs_f64();
    Ok(vec![
        Row::checked(
            format!("3 render process, {} Packages", count(n)),
            format!(
                "{:.3} s (median of {})",
                small.median.as_secs_f64(),
                small.runs
            ),
            Check::at_most(
                small.median.as_secs_f64(),
                PROCESS_BUDGET.as_secs_f64(),
                "≤ 2 s",
            ),
        ),
        Row::checked(
            format!("3 render peak memory, {} Packages", count(n)),
            format!("{:.1} MiB max RSS", mib(small.peak_bytes)),
            Check::at_most(
                mib(small.peak_bytes),
                MEMORY_BUDGET_MIB,
                format!("≤ {MEMORY_BUDGET_MIB} MiB"),
            ),
        ),
        Row::checked(
            format!("3 render process, {} vs {} Packages", count(big), count(n)),
            format!(
                "{factor:.1}× ({:.3} s / {:.3} s)",
                large.median.as_secs_f64(),
                small.median.as_secs_f64()
            ),
            Check::at_most(
                factor,
                PROCESS_SCALING_BUDGET,
                format!("≤ {PROCESS_SCALING_BUDGET}×"),
            ),
        ),
        Row::checked(
            format!("3 render peak memory, {} Packages", count(big)),
            format!("{:.1} MiB max RSS", mib(large.peak_bytes)),
            Check::at_most(
                mib(large.peak_bytes),
                LARGE_MEMORY_BUDGET_MIB,
                format!("≤ {LARGE_MEMORY_BUDGET_MIB} MiB"),
            ),
        ),
    ])
}

/// What `runs` runs of `render` on `packages` Packages measured.
struct RenderRuns {
    runs: usize,
    median: Duration,
    peak_bytes: u64,
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Writes the workload of `packages` Packages as one YAML file, renders it `runs` times (output
/// to a file) and checks the last output against the in-process translation: object for object
/// when `compare`, else the number of documents.
fn render_runs(
    uds_egress: &Path,
    work: &Path,
    packages: usize,
    hosts: usize,
    runs: usize,
    compare: bool,
) -> Result<RenderRuns, String> {
    let objects = Workload::new(packages, hosts).generate();
    let state = desired_state(&synth::parse(&objects)?, &RuleConfig::default());
    if !state.refused.is_empty() {
        return Err(format!(
            "{} synthetic Packages refused",
            state.refused.len()
        ));
    }
    let input = work.join(format!("render-{packages}.yaml"));
    let yaml = synth::to_yaml(&objects)?;
    drop(objects);
    std::fs::write(&input, &yaml).map_err(|e| format!("{}: {e}", input.display()))?;
    let output = work.join(format!("render-{packages}.out.yaml"));

    let mut walls = Vec::new();
    let mut peak_bytes = 0u64;
    for _ in 0..runs.max(1) {
        let mut command = Command::new(uds_egress);
        command.arg("render").arg(&input);
        let measured = child::run(command, &output)?;
        if measured.exit_code != Some(0) {
            return Err(format!(
                "uds-egress render failed ({:?}): {}",
                measured.exit_code, measured.stderr
            ));
        }
        walls.push(measured.wall);
        peak_bytes = peak_bytes.max(measured.max_rss_bytes);
    }
    walls.sort_unstable();
    if compare {
        check_output(&output, &state)?;
    } else {
        check_document_count(&output, state.objects.len())?;
    }
    let out_bytes = std::fs::metadata(&output).map(|m| m.len()).unwrap_or(0);
    println!(
        "render: {} Packages, {} rules over {} hosts -> {} objects; {:.1} MiB of YAML in, {:.1} MiB out",
        count(packages),
        count(packages * synth::RULES_PER_PACKAGE),
        count(hosts),
        count(state.objects.len()),
        mib(yaml.len() as u64),
        mib(out_bytes),
    );
    // The outputs of the large run are hundreds of MB: not kept.
    let _ = std::fs::remove_file(&output);
    Ok(RenderRuns {
        runs: walls.len(),
        median: walls.get(walls.len() / 2).copied().unwrap_or_default(),
        peak_bytes,
    })
}

/// The measured process printed `expected` YAML documents (each starts with a `---` line).
fn check_document_count(output: &Path, expected: usize) -> Result<(), String> {
    let text = std::fs::read_to_string(output).map_err(|e| format!("{}: {e}", output.display()))?;
    let documents = text.lines().filter(|line| *line == "---").count();
    if documents == expected {
        Ok(())
    } else {
        Err(format!(
            "uds-egress render printed {documents} documents, the translation has {expected} objects"
        ))
    }
}

/// What the measured process printed is the in-process translation, object for object, read back
/// with the plan library's reader (the one `plan` reads a cluster's objects with): a fast render
/// of the wrong objects must not pass.
fn check_output(output: &Path, state: &DesiredState) -> Result<(), String> {
    let shown = output.display().to_string();
    let text = std::fs::read_to_string(output).map_err(|e| format!("{shown}: {e}"))?;
    let documents = parse_documents(&shown, &text).map_err(|e| e.to_string())?;
    if documents.len() != state.objects.len() {
        return Err(format!(
            "uds-egress render printed {} objects, the translation has {}",
            documents.len(),
            state.objects.len()
        ));
    }
    for (document, object) in documents.iter().zip(&state.objects) {
        if !object.manifest.with_value(|value| *value == document.value) {
            return Err(format!(
                "uds-egress render printed {} ({}) unlike the translation",
                object.key, document.origin
            ));
        }
    }
    Ok(())
}
