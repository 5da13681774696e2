//! Runs the benchmark figures and prints the table; exits 1 when a budget is missed (not in the
//! quick mode, `BENCH_QUICK=1`, where timings on a loaded machine are noise).
//!
//! uds-egress-bench --policy policy.wasm --noop noop-policy.wasm --uds-egress PATH
//!                  --criterion-home DIR --work DIR --image-size FILE --api-server FILE
//!                  --policy-engines FILE [--only policy,size,render,writes,api-server,policy-engines]
//!
//! `--image-size`: the generator image's size in bytes, written by `make image`; the quick run
//! reports a missing file as not built (see `image_size`).
//!
//! `--api-server`: the figures `bench/api-server/controller-figures` measured on the real
//! kube-apiserver; required in the full run and wherever `UDS_EGRESS_REQUIRE_ENGINES=1` (see
//! `api_server`). `--policy-engines`: likewise, the figures of `bench/api-server/policy-figures`
//! (kwctl and policy-server; see `policy_engines`).
//!
//! `make bench` builds everything and runs the criterion bench first; use it.

use std::path::PathBuf;
use std::process::ExitCode;

use uds_egress_bench::scale::{QUICK_ENV, Scale};
use uds_egress_bench::table::{self, Row};
use uds_egress_bench::{
    api_server, image_size, module_size, policy_engines, policy_eval, render_figures, writes,
};

const USAGE: &str = "usage: uds-egress-bench --policy policy.wasm --noop noop-policy.wasm \
                     --uds-egress PATH --criterion-home DIR --work DIR --image-size FILE \
                     --api-server FILE --policy-engines FILE [--only FIGURES]";
const FIGURES: [&str; 6] = [
    "policy",
    "size",
    "render",
    "writes",
    "api-server",
    "policy-engines",
];
/// Set by `.ci/run`: the figures measured on the real engines must be there.
const REQUIRE_ENGINES_ENV: &str = "UDS_EGRESS_REQUIRE_ENGINES";

struct Args {
    policy: PathBuf,
    noop: PathBuf,
    uds_egress: PathBuf,
    criterion_home: PathBuf,
    work: PathBuf,
    image_size: PathBuf,
    api_server: PathBuf,
    policy_engines: PathBuf,
    only: Vec<String>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let (mut policy, mut noop, mut uds_egress, mut criterion_home, mut work, mut image_size) =
        (None, None, None, None, None, None);
    let (mut api_server, mut policy_engines) = (None, None);
    let mut only: Vec<String> = FIGURES.map(String::from).to_vec();
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--policy" => policy = Some(PathBuf::from(value()?)),
            "--noop" => noop = Some(PathBuf::from(value()?)),
            "--uds-egress" => uds_egress = Some(PathBuf::from(value()?)),
            "--criterion-home" => criterion_home = Some(PathBuf::from(value()?)),
            "--work" => work = Some(PathBuf::from(value()?)),
            "--image-size" => image_size = Some(PathBuf::from(value()?)),
            "--api-server" => api_server = Some(PathBuf::from(value()?)),
            "--policy-engines" => policy_engines = Some(PathBuf::from(value()?)),
            "--only" => {
                only = value()?.split(',').map(str::to_owned).collect();
                if let Some(unknown) = only.iter().find(|f| !FIGURES.contains(&f.as_str())) {
                    return Err(format!("unknown figure {unknown}; one of {FIGURES:?}"));
                }
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let need = |value: Option<PathBuf>, flag: &str| value.ok_or(format!("{flag} is required"));
    Ok(Args {
        policy: need(policy, "--policy")?,
        noop: need(noop, "--noop")?,
        uds_egress: need(uds_egress, "--uds-egress")?,
        criterion_home: need(criterion_home, "--criterion-home")?,
        work: need(work, "--work")?,
        image_size: need(image_size, "--image-size")?,
        api_server: need(api_server, "--api-server")?,
        policy_engines: need(policy_engines, "--policy-engines")?,
        only,
    })
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(problem) => {
            eprintln!("uds-egress-bench: {problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = std::fs::create_dir_all(&args.work) {
        eprintln!("uds-egress-bench: {}: {e}", args.work.display());
        return ExitCode::FAILURE;
    }
    let scale = Scale::from_env();
    if scale.quick {
        println!(
            "{QUICK_ENV}=1: quick mode (small sizes, few iterations): the figures are not \
             comparable with the budgets, which are reported but not enforced"
        );
    }
    let wants = |figure: &str| args.only.iter().any(|f| f == figure);
    let mut rows: Vec<Row> = Vec::new();
    if wants("policy") {
        match policy_eval::run(&scale, &args.policy, &args.noop) {
            Ok(found) => rows.extend(found),
            Err(problem) => rows.push(Row::error("1 policy evaluation", problem)),
        }
    }
    if wants("size") {
        rows.push(
            module_size::run(&args.policy, &args.noop)
                .unwrap_or_else(|problem| Row::error("2 module size", problem)),
        );
        rows.push(image_size::run(&args.image_size, !scale.quick));
    }
    if wants("render") {
        rows.extend(render_figures::translation(&scale, &args.criterion_home));
        match render_figures::process(&scale, &args.uds_egress, &args.work) {
            Ok(found) => rows.extend(found),
            Err(problem) => rows.push(Row::error("3 render process", problem)),
        }
    }
    if wants("writes") {
        match writes::run(&scale, &args.uds_egress, &args.work) {
            Ok(found) => rows.extend(found),
            Err(problem) => rows.push(Row::error("4 controller writes", problem)),
        }
    }
    let engines_required =
        !scale.quick || std::env::var(REQUIRE_ENGINES_ENV).is_ok_and(|v| v == "1");
    if wants("api-server") {
        rows.extend(api_server::run(&args.api_server, engines_required));
    }
    if wants("policy-engines") {
        rows.extend(policy_engines::run(&args.policy_engines, engines_required));
    }

    println!();
    print!("{}", table::render(&rows));
    let missed: Vec<&str> = rows
        .iter()
        .filter(|r| r.failed())
        .map(|r| r.figure.as_str())
        .collect();
    let budgets = rows.iter().filter(|r| r.check.is_some()).count();
    let broken = rows.iter().filter(|r| r.broken).count();
    println!();
    if broken > 0 {
        println!("bench: {broken} figures could not be measured (see the errors above)");
        ExitCode::FAILURE
    } else if missed.is_empty() {
        println!("bench: every budget kept ({budgets} figures)");
        ExitCode::SUCCESS
    } else if scale.quick {
        println!(
            "bench: quick mode, budgets not enforced ({} of {budgets} figures over budget at \
             these sizes)",
            missed.len()
        );
        ExitCode::SUCCESS
    } else {
        println!(
            "bench: {} of {budgets} budgets missed: {}",
            missed.len(),
            missed.join("; ")
        );
        ExitCode::FAILURE
    }
}
