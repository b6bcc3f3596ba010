//! `ecs-sim`: runs the simulator on 127.0.0.1 until SIGINT or SIGTERM.

use clap::Parser;
use ecs_sim::{ClockMode, SimConfig, ThrottleConfig};

#[derive(Parser)]
#[command(name = "ecs-sim", about = "Local Amazon ECS simulator")]
struct Args {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Simulated time runs at this multiple of real time.
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Simulated time only moves through POST /_sim/clock/advance.
    #[arg(long)]
    manual_clock: bool,
    #[arg(long, default_value = "us-east-1")]
    region: String,
    #[arg(long, default_value = "123456789012")]
    account: String,
    /// Turn API throttling off.
    #[arg(long)]
    no_throttle: bool,
    /// Regex on container images that makes tasks fail after starting.
    #[arg(long, default_value = ":fail")]
    failure_pattern: String,
    /// Create this SQS queue and deliver ECS events to it as EventBridge would
    /// (its URL is http://127.0.0.1:<port>/<account>/<name>).
    #[arg(long, value_name = "NAME")]
    events_queue: Option<String>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if !(args.speed.is_finite() && args.speed > 0.0) {
        return Err("--speed must be a positive number".into());
    }
    let config = SimConfig {
        port: args.port,
        region: args.region,
        account: args.account,
        clock: if args.manual_clock { ClockMode::Manual } else { ClockMode::Scaled { speed: args.speed } },
        failure_pattern: args.failure_pattern,
        throttle: if args.no_throttle { ThrottleConfig::unlimited() } else { ThrottleConfig::default() },
        events_queue: args.events_queue,
        ..SimConfig::default()
    };
    let handle = ecs_sim::start(config)?;
    println!("ecs-sim ready on {}", handle.endpoint());
    if let Some(url) = handle.events_queue_url() {
        println!("ECS events to SQS queue {url}");
    }
    wait_for_signal().await?;
    drop(handle);
    Ok(())
}

async fn wait_for_signal() -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r,
        _ = term.recv() => Ok(()),
    }
}
