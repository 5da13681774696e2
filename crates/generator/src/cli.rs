//! Command line of the `uds-egress` generator.

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "uds-egress",
    version,
    about = "Generate the Istio egress objects that UDS Packages call for",
    long_about = "Generate the Istio egress objects (ServiceEntry, Sidecar, Gateway, VirtualService, \
the ambient waypoint and AuthorizationPolicies, and the egress NetworkPolicies) that UDS Package \
custom resources (uds.dev/v1alpha1) call for."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Render the objects of a set of Packages as YAML on stdout.
    #[command(long_about = RENDER_HELP)]
    Render(RenderCli),
    /// Show what `run` would write, from Package and live-object files (exit 2: not empty).
    #[command(long_about = crate::offline_plan::PLAN_HELP)]
    Plan(crate::offline_plan::PlanCli),
    /// Show which workload can reach which external host and port, and why.
    #[command(long_about = crate::reach::REACH_HELP)]
    Reach(crate::reach::ReachCli),
    /// Run the controller in a cluster (watch Packages, write the difference).
    #[command(long_about = crate::controller::RUN_HELP)]
    Run(crate::controller::RunCli),
}

const RENDER_HELP: &str = "Render the objects of a set of Packages as YAML on stdout.

Reads Package CRs from FILES in the order given (`-` is stdin; no FILES means stdin), each \
multi-document YAML or JSON (Kubernetes `List`s are expanded). Objects of other kinds are skipped \
with a note on stderr.

Every generated object is printed as its own YAML document, sorted by namespace, then kind, then \
name. The same set of Packages gives byte-identical output in any order. Input order matters only \
to decide which of two conflicting Packages is earlier when neither has a creationTimestamp; the \
earlier one wins and the later one contributes nothing.

By default the whole render is refused when any Package is invalid: every violation is printed on \
stderr as `<namespace>/<name>: <field path>: <message>`, nothing is printed on stdout, and the exit \
code is 1. With --skip-invalid the valid Packages are rendered, the refused ones are reported on \
stderr, and the exit code is 0. A file that cannot be read or parsed always fails the render, with \
the file name and, for YAML syntax errors, the line.";

#[derive(Args, Debug)]
pub struct RenderCli {
    /// Package files (multi-document YAML or JSON); `-` reads stdin.
    #[arg(value_name = "FILES")]
    pub files: Vec<String>,

    #[command(flatten)]
    pub gateway_ports: crate::gateway_ports::GatewayPortsArg,

    /// Render the valid Packages and report the invalid ones on stderr (exit 0).
    #[arg(long)]
    pub skip_invalid: bool,
}
