//! ecs-operator-bench: the scale benchmark (issue #11). Starts kube-sim and ecs-sim in this
//! process, runs the real `ecs-operator` binary against them as a child process, applies N
//! TaskDefinitions and N ECSServices over a few ECSClusters, and measures convergence time
//! and its simulator-imposed lower bound, AWS calls against the minimum, steady-state reads,
//! writes and CPU, drift latency, memory and Kubernetes API requests.
//!
//! Writes `bench/results/latest.json`, `latest.md` and appends to `history.jsonl`; exits 1
//! when a goal is missed (after writing), 2 when the bench itself could not run. Not a test:
//! timings belong here, never in assertions.

mod ecs;
mod error;
mod figures;
mod objects;
mod operator;
mod procfs;
mod scenario;
mod tracker;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use crate::error::{BenchError, Result};
use crate::figures::{Machine, RunReport};
use crate::scenario::Settings;

#[derive(Debug, Parser)]
#[command(name = "ecs-operator-bench", about = "Scale benchmark for ecs-operator against kube-sim and ecs-sim")]
struct Args {
    /// Service counts to run, in order (repeat the flag or give a list: 100,1000,5000).
    #[arg(long = "services", value_delimiter = ',', default_value = "1000")]
    services: Vec<usize>,
    /// The operator binary; default: `ecs-operator` next to this executable.
    #[arg(long)]
    operator_bin: Option<PathBuf>,
    /// ecs-sim clock speed (simulated seconds per real second): a 40 s Fargate rollout takes 2 s.
    #[arg(long, default_value_t = 20.0)]
    speed: f64,
    /// Multiplies ecs-sim's AWS-like throttle rates and bursts (1 = realistic). A list pairs
    /// with --services in order, the last value repeating (1,1,20: N = 5,000 in minutes, not
    /// the 80 the realistic one-registration-per-second limit takes).
    #[arg(long, value_delimiter = ',', default_value = "1")]
    throttle_scale: Vec<f64>,
    #[arg(long, default_value_t = 250)]
    services_per_cluster: usize,
    /// Hard limit per N, startup to last measurement.
    #[arg(long, default_value_t = 20)]
    deadline_minutes: u64,
    /// Pause between all Ready and the steady-state window.
    #[arg(long, default_value_t = 10)]
    settle_seconds: u64,
    /// Length of the steady-state window; default 300 s (a TaskDefinition resync), or 600 s
    /// with --events (one safety-net sweep).
    #[arg(long)]
    steady_seconds: Option<u64>,
    /// The operator's service poll interval, to count cycles; default its own: 20 s, or 600 s
    /// with --events.
    #[arg(long)]
    poll_interval_seconds: Option<u64>,
    /// ecs-sim delivers ECS events to an SQS queue and the operator reads it
    /// (`--events-queue-url`): polling becomes the safety net.
    #[arg(long)]
    events: bool,
    /// TaskDefinitions the services share round-robin; default one per service.
    #[arg(long)]
    task_definitions: Option<usize>,
    #[arg(long, default_value_t = 20)]
    drift_services: usize,
    #[arg(long, default_value_t = 90)]
    drift_timeout_seconds: u64,
    #[arg(long, default_value_t = 11)]
    seed: u64,
    /// Where latest.json, latest.md and history.jsonl go.
    #[arg(long, default_value = "bench/results")]
    out_dir: PathBuf,
    /// What changed since the last run, recorded in history.jsonl.
    #[arg(long, default_value = "")]
    note: String,
    /// Keep the operator's logs in this directory (default: a temp dir, removed).
    #[arg(long)]
    log_dir: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ecs-operator-bench: starting the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    // Ctrl-C or SIGTERM drops the running bench: its guards kill the operator and remove the
    // temp dir before we exit.
    let outcome = runtime.block_on(async {
        tokio::select! {
            r = bench(&args) => r,
            () = interrupted() => Err(BenchError::Failed("interrupted".into())),
        }
    });
    runtime.shutdown_timeout(Duration::from_secs(5));
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("ecs-operator-bench: some goals were missed (see {}/latest.md)", args.out_dir.display());
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("ecs-operator-bench: {e}");
            ExitCode::from(2)
        }
    }
}

async fn interrupted() {
    let ctrl_c = tokio::signal::ctrl_c();
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = ctrl_c.await;
        }
    }
}

/// Runs every N; true when every goal was met.
async fn bench(args: &Args) -> Result<bool> {
    let mut settings = Settings {
        operator_bin: operator::locate(args.operator_bin.as_deref())?,
        speed: args.speed,
        throttle_scale: 1.0,
        services_per_cluster: args.services_per_cluster,
        deadline: Duration::from_secs(args.deadline_minutes * 60),
        settle: Duration::from_secs(args.settle_seconds),
        steady: Duration::from_secs(args.steady_seconds.unwrap_or(if args.events { 600 } else { 300 })),
        poll_interval: Duration::from_secs(
            args.poll_interval_seconds.unwrap_or(if args.events { 600 } else { 20 }).max(1),
        ),
        events: args.events,
        task_definitions: args.task_definitions,
        drift_services: args.drift_services,
        drift_timeout: Duration::from_secs(args.drift_timeout_seconds),
        seed: args.seed,
        log_dir: args.log_dir.clone(),
    };
    let machine =
        Machine { cores: std::thread::available_parallelism().map_or(1, std::num::NonZero::get), commit: commit() };
    let mut runs: Vec<RunReport> = Vec::new();
    for (i, &n) in args.services.iter().enumerate() {
        settings.throttle_scale = args.throttle_scale.get(i).or(args.throttle_scale.last()).copied().unwrap_or(1.0);
        let mode = if settings.events { "events" } else { "polling" };
        eprintln!("[N={n}] starting, {mode} (operator {})", settings.operator_bin.display());
        let run = scenario::run(&settings, n).await?;
        for f in &run.figures {
            let goal = f
                .goal
                .map_or_else(String::new, |g| format!(" (goal ≤ {g}: {})", if f.met() { "met" } else { "MISSED" }));
            eprintln!("[N={n}] {:<44} {:>12.3} {}{goal}", f.name, f.value, f.unit);
        }
        runs.push(run);
        // Written after every N, so an interrupted series keeps what it measured.
        figures::write_latest(&args.out_dir, &machine, &runs)?;
    }
    let date = k8s_openapi::jiff::Timestamp::now().to_string();
    figures::append_history(&args.out_dir, &machine, &date, &args.note, &runs)?;
    Ok(runs.iter().all(RunReport::all_met))
}

/// `git describe --always --dirty` of the working directory, or "unknown".
fn commit() -> String {
    std::process::Command::new("git")
        .args(["describe", "--always", "--dirty", "--abbrev=12"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".into())
}
