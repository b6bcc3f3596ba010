//! `kube-sim --port P --kubeconfig-out FILE [--insecure-http]`: serves on 127.0.0.1 until
//! SIGINT/SIGTERM.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

#[derive(Parser)]
#[command(name = "kube-sim", version, about = "A local Kubernetes API server stand-in for tests")]
struct Args {
    /// Port on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Where to write the kubeconfig for kubectl, helm and kube-rs.
    #[arg(long)]
    kubeconfig_out: Option<PathBuf>,
    /// Serve plain HTTP instead of TLS.
    #[arg(long)]
    insecure_http: bool,
    /// Watch history kept for resume; older resourceVersions get 410 Gone.
    #[arg(long, default_value_t = 10_000)]
    history_limit: usize,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let args = Args::parse();
    let options = kube_sim::ServerOptions {
        port: args.port,
        tls: !args.insecure_http,
        history_limit: args.history_limit,
        ..Default::default()
    };
    let sim = match kube_sim::start_with(options).await {
        Ok(sim) => sim,
        Err(err) => {
            eprintln!("kube-sim: {err}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(path) = &args.kubeconfig_out
        && let Err(err) = sim.write_kubeconfig(path)
    {
        eprintln!("kube-sim: {err}");
        return ExitCode::FAILURE;
    }
    println!("kube-sim ready on {}", sim.url());
    wait_for_signal().await;
    ExitCode::SUCCESS
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
