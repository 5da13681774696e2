//! `uds-egress`: the generator sidecar. `render` works offline on files.

mod cli;
mod controller;
mod gateway_ports;
mod input;
mod offline_plan;
mod output;
mod plan;
mod render;
#[cfg(test)]
mod test_support;

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
            render::emit(&render::render(&render::RenderArgs {
                sources: files,
                config: args.gateway_ports.rule_config(),
                skip_invalid: args.skip_invalid,
            }))
        }
        Command::Plan(args) => render::emit(&offline_plan::run_plan(&args)),
        Command::Run(args) => controller::run(args),
    };
    std::process::exit(code);
}
