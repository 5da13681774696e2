//! `render`: Packages in, every generated object out, all or nothing unless `--skip-invalid`.

use std::io::{BufWriter, Write};

use uds_egress_core::{GeneratedObject, Package, RuleConfig, desired_state};

use crate::sources::read_sources;
use uds_egress_plan::input::{self, PackageInput};
use uds_egress_plan::output;

pub struct RenderArgs {
    pub sources: Vec<String>,
    pub config: RuleConfig,
    pub skip_invalid: bool,
}

/// What a render produced: text and objects for stdout, lines for stderr, and the exit code.
pub struct RenderOutcome {
    pub stdout: String,
    /// Printed after `stdout` as YAML documents. Kept as objects rather than text so that the
    /// YAML is written as it is made instead of being held whole (50 MB at 10,000 Packages).
    pub objects: Vec<GeneratedObject>,
    pub stderr: Vec<String>,
    pub exit_code: i32,
}

pub fn render(args: &RenderArgs) -> RenderOutcome {
    let mut stderr = Vec::new();
    let documents = match read_sources(&args.sources) {
        Ok(documents) => documents,
        Err(err) => return failure(vec![format!("error: {err}")]),
    };
    let inputs = input::packages(documents, &mut stderr);
    stderr
        .iter_mut()
        .for_each(|line| line.insert_str(0, "note: "));

    let (packages, unreadable) = split_unreadable(inputs);
    let state = desired_state(&packages, &args.config);

    let mut problems = unreadable;
    for refusal in &state.refused {
        for violation in &refusal.violations {
            problems.push(format!(
                "{}/{}: {}",
                refusal.namespace, refusal.name, violation
            ));
        }
    }
    if !problems.is_empty() && !args.skip_invalid {
        stderr.extend(problems.into_iter().map(|p| format!("error: {p}")));
        stderr
            .push("error: nothing rendered; fix the Packages above or pass --skip-invalid".into());
        return failure(stderr);
    }
    stderr.extend(problems.into_iter().map(|p| format!("skipped: {p}")));
    RenderOutcome {
        stdout: String::new(),
        objects: state.objects,
        stderr,
        exit_code: 0,
    }
}

/// Packages that parsed (in input order), and a message per Package that did not.
fn split_unreadable(inputs: Vec<PackageInput>) -> (Vec<Package>, Vec<String>) {
    let mut packages = Vec::new();
    let mut problems = Vec::new();
    for input in inputs {
        match input.package {
            Ok(package) => packages.push(package),
            Err(violation) => {
                problems.push(format!("{} ({}): {}", input.label, input.origin, violation))
            }
        }
    }
    (packages, problems)
}

fn failure(stderr: Vec<String>) -> RenderOutcome {
    RenderOutcome {
        stdout: String::new(),
        objects: Vec::new(),
        stderr,
        exit_code: 1,
    }
}

/// Writes the outcome and returns the exit code.
pub fn emit(outcome: &RenderOutcome) -> i32 {
    let mut err = std::io::stderr().lock();
    for line in &outcome.stderr {
        let _ = writeln!(err, "{line}");
    }
    let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let written = out
        .write_all(outcome.stdout.as_bytes())
        .and_then(|_| output::write_yaml(&mut out, &outcome.objects))
        .and_then(|_| out.flush());
    if written.is_err() {
        let _ = writeln!(err, "error: cannot write to stdout");
        return 1;
    }
    outcome.exit_code
}
