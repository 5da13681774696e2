//! `reach`: which Package workload can leave the mesh to which host and port, and why. Reads
//! Packages as `render` does and, with `--live`, the cluster's objects as `plan` does; the
//! analysis itself is the core's (`uds_egress_core::reach`, rules in docs/reach.md).

use clap::{Args, ValueEnum};
use uds_egress_core::reach::diff::Change;
use uds_egress_core::reach::{self, Mesh, Reach, ReachDiff, ReachSet, Reason, ReasonKind};
use uds_egress_core::{Package, RuleConfig, desired_state};

use crate::gateway_ports::GatewayPortsArg;
use crate::render::RenderOutcome;
use crate::sources::{read_sources, read_sources_allowing_empty};
use uds_egress_plan::input::{self, Document, PackageInput};
use uds_egress_plan::kinds::managed_documents;
use uds_egress_plan::overlay::overlay;

pub const REACH_HELP: &str = "Show which workload of which Package can reach which external \
host:port/protocol through the egress gateway or waypoint, and why.

Reads Package CRs from FILES as `render` does (`-` is stdin; no FILES means stdin; a later \
Package with the same namespace and name replaces an earlier one). The objects analysed are \
those `render` generates for them, or with --live FILE the cluster's objects of the seven kinds \
uds-egress writes (for example `kubectl get serviceentries,sidecars,virtualservices,\
gateways.networking.istio.io,authorizationpolicies,gateways.gateway.networking.k8s.io,\
networkpolicies -A -o yaml`).

A workload is one (namespace, selector, serviceAccount) of a Package's host rules and \
`remoteGenerated: Anywhere` entries. Each line names the workload, the target, the way out \
(gateway or waypoint) and the reasons: its own rule, a namespace-wide grant (no selector, no \
serviceAccount, or a ServiceEntry the whole namespace sees), or another Package's objects \
(shared entry, the gateway routing by host, Anywhere). Lines starting with `!` are reached only \
through other Packages' objects. The rules applied are in docs/reach.md.

--host H keeps what reaches H. --diff OLD NEW compares FILES with OLD in place against FILES \
with NEW in place (each replaces the Packages of the same namespace and name; an empty file \
stands for no Package) and prints `+` opened, `-` closed and `~` re-explained pairs; exit code 2 \
when anything changed, 0 when nothing did. Invalid Packages refuse the analysis unless \
--skip-invalid (they then contribute nothing). Exit code 1 on bad input.";

#[derive(Args, Debug)]
pub struct ReachCli {
    /// Package files (multi-document YAML or JSON); `-` reads stdin.
    #[arg(value_name = "FILES")]
    pub files: Vec<String>,

    /// Live objects of the cluster to analyse instead of the rendered ones; repeatable.
    #[arg(long = "live", value_name = "FILE", conflicts_with = "diff")]
    pub live: Vec<String>,

    /// Only what reaches this host.
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,

    /// Compare the reach with OLD and with NEW in place of their Packages.
    #[arg(long, num_args = 2, value_names = ["OLD", "NEW"])]
    pub diff: Option<Vec<String>>,

    #[command(flatten)]
    pub gateway_ports: GatewayPortsArg,

    /// Analyse the valid Packages and report the invalid ones on stderr.
    #[arg(long)]
    pub skip_invalid: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ReachFormat::Text)]
    pub output: ReachFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReachFormat {
    Text,
    Json,
}

/// A failure with the lines to print.
struct Failed(Vec<String>);

pub fn run_reach(args: &ReachCli) -> RenderOutcome {
    match analyse(args) {
        Ok(outcome) => outcome,
        Err(Failed(stderr)) => RenderOutcome {
            stdout: String::new(),
            rendered: None,
            stderr,
            exit_code: 1,
        },
    }
}

fn analyse(args: &ReachCli) -> Result<RenderOutcome, Failed> {
    let mut stderr = Vec::new();
    let sources = if args.files.is_empty() {
        vec!["-".to_string()]
    } else {
        args.files.clone()
    };
    let base = read_sources(&sources).map_err(|e| Failed(vec![format!("error: {e}")]))?;
    let config = args.gateway_ports.rule_config();
    let narrow = |set: ReachSet| match &args.host {
        Some(host) => set.for_host(host),
        None => set,
    };

    if let Some(pair) = &args.diff {
        let (old, new) = match pair.as_slice() {
            [old, new] => (old, new),
            _ => return Err(Failed(vec!["error: --diff takes OLD and NEW".into()])),
        };
        let before = narrow(rendered_reach(
            &base,
            Some(old),
            &config,
            args.skip_invalid,
            &mut stderr,
        )?);
        let after = narrow(rendered_reach(
            &base,
            Some(new),
            &config,
            args.skip_invalid,
            &mut stderr,
        )?);
        let changes = reach::diff(&before, &after);
        let stdout = match args.output {
            ReachFormat::Text => diff_text(&changes),
            ReachFormat::Json => json(&changes)?,
        };
        return Ok(RenderOutcome {
            stdout,
            rendered: None,
            stderr,
            exit_code: if changes.is_empty() { 0 } else { 2 },
        });
    }

    let set = if args.live.is_empty() {
        rendered_reach(&base, None, &config, args.skip_invalid, &mut stderr)?
    } else {
        let packages = packages_of(base, &mut stderr)?;
        let live = read_sources(&args.live).map_err(|e| Failed(vec![format!("error: {e}")]))?;
        let live = managed_documents(live, &mut stderr);
        reach::reach(&packages, &read_mesh(&live)?)
    };
    let set = narrow(set);
    stderr.extend(set.notes.iter().map(|n| format!("note: not modelled: {n}")));
    let stdout = match args.output {
        ReachFormat::Text => table(&set),
        ReachFormat::Json => json(&set)?,
    };
    Ok(RenderOutcome {
        stdout,
        rendered: None,
        stderr,
        exit_code: 0,
    })
}

/// The Packages of `documents`, later copies replacing earlier ones.
fn packages_of(documents: Vec<Document>, stderr: &mut Vec<String>) -> Result<Vec<Package>, Failed> {
    let mut notes = Vec::new();
    let inputs: Vec<PackageInput> = input::packages(documents, &mut notes);
    stderr.extend(notes.into_iter().map(|n| format!("note: {n}")));
    overlay(inputs).map_err(|problems| {
        let mut lines: Vec<String> = problems
            .into_iter()
            .map(|p| format!("error: {p}"))
            .collect();
        lines.push("error: no reach; fix the Package files above".into());
        Failed(lines)
    })
}

/// The reach of what `render` generates for `base` with `replacement`'s Packages in place.
fn rendered_reach(
    base: &[Document],
    replacement: Option<&String>,
    config: &RuleConfig,
    skip_invalid: bool,
    stderr: &mut Vec<String>,
) -> Result<ReachSet, Failed> {
    let mut documents = base.to_vec();
    if let Some(source) = replacement {
        documents.extend(
            read_sources_allowing_empty(std::slice::from_ref(source))
                .map_err(|e| Failed(vec![format!("error: {e}")]))?,
        );
    }
    let packages = packages_of(documents, stderr)?;
    let state = desired_state(&packages, config);
    let problems: Vec<String> = state
        .refused
        .iter()
        .flat_map(|r| {
            r.violations
                .iter()
                .map(move |v| format!("{}/{}: {v}", r.namespace, r.name))
        })
        .collect();
    if !problems.is_empty() && !skip_invalid {
        let mut lines: Vec<String> = problems
            .into_iter()
            .map(|p| format!("error: {p}"))
            .collect();
        lines.push("error: no reach; fix the Packages above or pass --skip-invalid".into());
        return Err(Failed(lines));
    }
    stderr.extend(problems.into_iter().map(|p| format!("skipped: {p}")));
    reach::reach_of_generated(&packages, &state.objects)
        .map_err(|e| Failed(vec![format!("error: generated {e}")]))
}

fn read_mesh(live: &[Document]) -> Result<Mesh, Failed> {
    Mesh::read(live.iter().map(|d| &d.value)).map_err(|e| {
        let origin = live
            .get(e.index)
            .map(|d| d.origin.to_string())
            .unwrap_or_default();
        Failed(vec![format!("error: {origin}: {e}")])
    })
}

fn json(value: &impl serde::Serialize) -> Result<String, Failed> {
    serde_json::to_string_pretty(value)
        .map(|text| text + "\n")
        .map_err(|e| Failed(vec![format!("error: cannot write JSON: {e}")]))
}

/// One reason in words.
fn reason_text(reason: &Reason) -> String {
    let mut text = reason.kind.as_str().to_string();
    if let Some(entry) = &reason.entry {
        text.push(' ');
        text.push_str(&entry.to_string());
    }
    if !reason.packages.is_empty() {
        let names: Vec<String> = reason.packages.iter().map(ToString::to_string).collect();
        let lead = match reason.kind {
            ReasonKind::Anywhere => ", host of ",
            _ => " of ",
        };
        text.push_str(lead);
        text.push_str(&names.join(", "));
    }
    text
}

fn reasons_text(reach: &Reach) -> String {
    reach
        .reasons
        .iter()
        .map(reason_text)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Rows as aligned columns; the last column is not padded.
fn columns(rows: &[Vec<String>]) -> String {
    let count = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..count)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                let width = widths.get(i).copied().unwrap_or(0);
                line.push_str(&format!("{cell:<width$}  "));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn mark(reach: &Reach) -> String {
    if reach.is_cross_package() { "!" } else { " " }.to_string()
}

fn table(set: &ReachSet) -> String {
    let mut rows = vec![vec![
        " ".to_string(),
        "WORKLOAD".into(),
        "TARGET".into(),
        "VIA".into(),
        "REASON".into(),
    ]];
    let mut total = 0;
    let mut cross = 0;
    for w in &set.workloads {
        for reach in &w.reaches {
            total += 1;
            cross += usize::from(reach.is_cross_package());
            rows.push(vec![
                mark(reach),
                w.workload.to_string(),
                reach.target(),
                reach.via.as_str().into(),
                reasons_text(reach),
            ]);
        }
    }
    let mut out = columns(&rows);
    out.push_str(&format!(
        "\n{total} pairs for {} workloads; {cross} reached only through other Packages' objects (!)\n",
        set.workloads.len()
    ));
    out
}

fn diff_text(changes: &ReachDiff) -> String {
    let mut rows = Vec::new();
    let row = |sign: &str, change: &Change, text: String| {
        let target = format!(
            "{}:{}/{}",
            change.pair.host, change.pair.port, change.pair.protocol
        );
        vec![
            sign.to_string(),
            change.pair.workload.to_string(),
            target,
            change.pair.via.as_str().to_string(),
            text,
        ]
    };
    for change in &changes.opened {
        let text = change.after.as_ref().map(reasons_text).unwrap_or_default();
        rows.push(row("+", change, text));
    }
    for change in &changes.closed {
        let text = change.before.as_ref().map(reasons_text).unwrap_or_default();
        rows.push(row("-", change, text));
    }
    for change in &changes.changed {
        let before = change.before.as_ref().map(reasons_text).unwrap_or_default();
        let after = change.after.as_ref().map(reasons_text).unwrap_or_default();
        rows.push(row("~", change, format!("{after} (was: {before})")));
    }
    let mut out = columns(&rows);
    out.push_str(&format!(
        "{} opened, {} closed, {} re-explained\n",
        changes.opened.len(),
        changes.closed.len(),
        changes.changed.len()
    ));
    out
}
