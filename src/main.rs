//! Command line: parsing and wiring only.

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "ecs-operator", version, about = "Kubernetes operator for Amazon ECS")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print every CustomResourceDefinition as one multi-document YAML stream.
    Crdgen,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Crdgen => match ecs_operator::crd::to_yaml() {
            Ok(yaml) => {
                let mut stdout = std::io::stdout().lock();
                if let Err(err) = stdout.write_all(yaml.as_bytes()) {
                    eprintln!("error: writing CRDs: {err}");
                    return ExitCode::FAILURE;
                }
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("error: serialising CRDs: {err}");
                ExitCode::FAILURE
            }
        },
    }
}
