//! `render`: Packages in, every generated object out, all or nothing unless `--skip-invalid`.

use std::io::{BufWriter, Write};

use uds_egress_core::{Admission, Package, RuleConfig, admission, desired_objects};

use crate::sources::read_package_inputs;
use uds_egress_plan::input::PackageInput;
use uds_egress_plan::output;

pub struct RenderArgs {
    pub sources: Vec<String>,
    pub config: RuleConfig,
    pub skip_invalid: bool,
}

/// What a render produced: text and objects for stdout, lines for stderr, and the exit code.
pub struct RenderOutcome {
    pub stdout: String,
    /// Printed after `stdout` as YAML documents. Kept as the admitted Packages rather than
    /// objects or text, so that each object is made, written and dropped in turn (at 10,000
    /// Packages the objects took most of the peak memory, and the text is 50 MB).
    pub rendered: Option<Rendered>,
    pub stderr: Vec<String>,
    pub exit_code: i32,
}

/// Packages that passed admission, with the verdicts, ready to be printed.
pub struct Rendered {
    packages: Vec<Package>,
    admission: Admission,
}

pub fn render(args: &RenderArgs) -> RenderOutcome {
    let mut stderr = Vec::new();
    let inputs = match read_package_inputs(&args.sources, &mut stderr) {
        Ok(inputs) => inputs,
        Err(err) => return failure(vec![format!("error: {err}")]),
    };
    stderr
        .iter_mut()
        .for_each(|line| line.insert_str(0, "note: "));

    let (packages, unreadable) = split_unreadable(inputs);
    let admission = admission(&packages, &args.config);

    let mut problems = unreadable;
    for refusal in &admission.refused {
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
        rendered: Some(Rendered {
            packages,
            admission,
        }),
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
        rendered: None,
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
        .and_then(|_| match &outcome.rendered {
            Some(rendered) => output::write_yaml(
                &mut out,
                desired_objects(&rendered.packages, &rendered.admission),
            ),
            None => Ok(()),
        })
        .and_then(|_| out.flush());
    if written.is_err() {
        let _ = writeln!(err, "error: cannot write to stdout");
        return 1;
    }
    outcome.exit_code
}
