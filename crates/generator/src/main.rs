//! `uds-egress`: the generator sidecar. `render` works offline on files.

mod cli;
mod controller;
mod gateway_ports;
mod offline_plan;
mod reach;
mod render;
mod sources;

use clap::Parser;

use cli::{Cli, Command};

fn main() {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Render(args) => {
            let files = if args.files.is_empty() {
                vec!["-".to_string()]
            } else {
                args.files
            };
            finish(render::render(&render::RenderArgs {
                sources: files,
                config: args.gateway_ports.rule_config(),
                skip_invalid: args.skip_invalid,
            }))
        }
        Command::Plan(args) => finish(offline_plan::run_plan(&args)),
        Command::Reach(args) => finish(reach::run_reach(&args)),
        Command::Run(args) => controller::run(args),
    };
    std::process::exit(code);
}

/// Prints the outcome and returns its exit code. The outcome is deliberately not freed: the
/// process exits right after, and freeing thousands of Packages one by one only costs time.
fn finish(outcome: render::RenderOutcome) -> i32 {
    let code = render::emit(&outcome);
    std::mem::forget(outcome);
    code
}
