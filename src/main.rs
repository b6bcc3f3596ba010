//! Command line: parsing and wiring only.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(name = "ecs-operator", version, about = "Kubernetes operator for Amazon ECS")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the controllers against the current Kubernetes cluster and AWS account.
    Run(Box<RunArgs>),
    /// Write manifests for what already runs in an ECS cluster (adopted, retained on delete).
    ///
    /// Reads the cluster, its capacity providers, the services named (or all of them), the
    /// revisions they run and their Application Auto Scaling set-up, and writes an ECSCluster,
    /// CapacityProviders, one TaskDefinition per family and one ECSService per service, in
    /// canonical form. Applied with the operator running, they adopt what exists: the only
    /// AWS writes are the owner tags.
    Import(ImportArgs),
    /// Show what the operator would do with manifests; exit 0 nothing, 1 changes, 2 error.
    ///
    /// Reads the files (or directories), resolves references from the files and, with
    /// --kubeconfig, from the cluster (whose live status is used too), describes the AWS
    /// resources and runs the controllers' own plans: create, register revision N+1, update
    /// with the fields, replace, or nothing, each with a unified diff of the canonical forms.
    Diff(DiffArgs),
    /// Print every CustomResourceDefinition as one multi-document YAML stream.
    Crdgen,
    /// Run everything locally: kube-sim, ecs-sim, the CRDs, the controllers and the samples.
    ///
    /// An in-process Kubernetes API (kube-sim) and ECS simulator (ecs-sim): no cloud account
    /// or cluster.
    #[cfg(feature = "local")]
    Local(LocalArgs),
}

/// Where the AWS calls of `import` and `diff` go.
#[derive(Args)]
struct AwsArgs {
    /// AWS region; default: AWS_REGION and the SDK's default chain.
    #[arg(long, env = "AWS_REGION")]
    region: Option<String>,
    /// Role to assume for the reads.
    #[arg(long)]
    role_arn: Option<String>,
}

#[derive(Args)]
struct ImportArgs {
    /// The ECS cluster to import.
    #[arg(long)]
    cluster: String,
    /// Services to import (comma-separated or repeated).
    #[arg(long = "service", value_delimiter = ',', conflicts_with = "all_services")]
    services: Vec<String>,
    /// Import every service of the cluster.
    #[arg(long)]
    all_services: bool,
    /// metadata.namespace of the objects; default: none (kubectl's current namespace).
    #[arg(long)]
    namespace: Option<String>,
    /// deletionPolicy of the objects.
    #[arg(long, default_value = "Retain", value_parser = ["Retain", "Delete"])]
    deletion_policy: String,
    /// Leave adopt out: applying then refuses resources ecs-operator did not create.
    #[arg(long)]
    no_adopt: bool,
    /// `-` for stdout, or a directory for one file per object.
    #[arg(short = 'o', long, default_value = "-")]
    output: String,
    #[command(flatten)]
    aws: AwsArgs,
}

#[derive(Args)]
struct DiffArgs {
    /// Manifest files or directories (repeat for several).
    #[arg(short = 'f', long = "filename", required = true)]
    files: Vec<PathBuf>,
    /// Kubeconfig of the cluster the objects live in: references not in the files and the
    /// objects' live status are read from it. Without it, objects are judged as first applied.
    #[arg(long)]
    kubeconfig: Option<PathBuf>,
    /// Namespace of objects that name none; default: the kubeconfig context's, else `default`
    /// (as kubectl apply would place them).
    #[arg(long)]
    namespace: Option<String>,
    /// The operator's --cluster-id (its ownership tags carry it).
    #[arg(long, env = "CLUSTER_ID", default_value = "default")]
    cluster_id: String,
    #[command(flatten)]
    aws: AwsArgs,
}

#[cfg(feature = "local")]
#[derive(Args)]
struct LocalArgs {
    /// Where to write the kubeconfig for kubectl.
    #[arg(long, default_value = ".ecs-operator-local/kubeconfig")]
    kubeconfig_out: PathBuf,
    /// Do not apply config/samples.
    #[arg(long)]
    no_samples: bool,
    /// Exit once every sample is Ready (exit 0) or the timeout passes (exit 1). Not with
    /// --no-samples: there would be nothing to wait for.
    #[arg(long)]
    once: bool,
    /// Seconds --once waits for every sample to become Ready.
    #[arg(long, default_value_t = 120)]
    timeout_seconds: u64,
    /// Simulated ECS seconds per real second.
    #[arg(long, default_value_t = 20.0)]
    speed: f64,
}

#[derive(Args)]
struct RunArgs {
    /// Kubeconfig file; default: in-cluster config, then KUBECONFIG, then ~/.kube/config.
    #[arg(long, env = "KUBECONFIG")]
    kubeconfig: Option<PathBuf>,
    /// AWS region; default: AWS_REGION and the SDK's default chain.
    #[arg(long, env = "AWS_REGION")]
    region: Option<String>,
    /// Namespace to watch (repeat for several); default: all namespaces.
    #[arg(long = "namespace", env = "WATCH_NAMESPACES", value_delimiter = ',')]
    namespaces: Vec<String>,
    /// Only reconcile objects matching this label selector (for sharding across releases).
    #[arg(long, env = "LABEL_SELECTOR")]
    label_selector: Option<String>,
    /// Seconds between checks of a healthy object against AWS; default 300, or 600 with
    /// --events-queue-url.
    #[arg(long, env = "RESYNC_INTERVAL_SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    resync_interval_seconds: Option<u64>,
    /// Seconds before an object with a terminal error is looked at again.
    #[arg(long, env = "TERMINAL_RECHECK_SECONDS", default_value_t = 600)]
    terminal_recheck_seconds: u64,
    /// Reconciles running at once per kind.
    #[arg(long, env = "MAX_CONCURRENT_RECONCILES", default_value_t = 8)]
    max_concurrent_reconciles: u16,
    /// Id of this Kubernetes cluster, written into ownership tags.
    #[arg(long, env = "CLUSTER_ID", default_value = "default")]
    cluster_id: String,
    /// Log format: text or json.
    #[arg(long, env = "LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    log_format: String,
    /// Address of the HTTP listener: /healthz, /readyz, /metrics.
    #[arg(long, env = "HTTP_ADDR", default_value = "0.0.0.0:8080")]
    http_addr: std::net::SocketAddr,
    /// Seconds between checks of a steady ECS service (DescribeServices is batched, 10 per
    /// call); default 20, or 600 with --events-queue-url (polling is then the safety net).
    #[arg(long, env = "SERVICE_POLL_INTERVAL_SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    service_poll_interval_seconds: Option<u64>,
    /// URL of an SQS queue that an EventBridge rule fills with ECS events (see config/events):
    /// changes show in status within seconds, and polling slows to a safety net.
    #[arg(long, env = "EVENTS_QUEUE_URL", value_parser = events_queue_url)]
    events_queue_url: Option<String>,
    /// Seconds between checks of an ECS service while its rollout moves.
    #[arg(long, env = "ROLLOUT_POLL_INTERVAL_SECONDS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    rollout_poll_interval_seconds: u64,
    /// Percent of ECS's documented request throttles the client-side rate limiter allows, per
    /// API operation (the rest is headroom for other clients in the account).
    #[arg(long, env = "AWS_RATE_LIMIT_PERCENT", default_value_t = 80, value_parser = clap::value_parser!(u8).range(1..=100))]
    aws_rate_limit_percent: u8,
    /// Run only while holding the leader Lease, so several replicas can run safely.
    #[arg(long, env = "LEADER_ELECTION", default_value_t = true, action = clap::ArgAction::Set)]
    leader_election: bool,
    /// Namespace of the leader Lease; default: the pod's namespace, else `default`.
    #[arg(long, env = "POD_NAMESPACE")]
    leader_election_namespace: Option<String>,
    /// Name of the leader Lease (replicas sharing it elect one leader).
    #[arg(long, env = "LEADER_ELECTION_NAME", default_value = "ecs-operator")]
    leader_election_name: String,
    /// Seconds a leader's Lease stays valid without renewal: the longest hand-over after a crash.
    #[arg(long, env = "LEASE_DURATION_SECONDS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(2..=300))]
    lease_duration_seconds: u64,
}

/// An SQS queue URL: `https://sqs.<region>.amazonaws.com/<account>/<name>` (or any http(s) URL
/// with the account and name, as a simulator or VPC endpoint serves it).
fn events_queue_url(value: &str) -> Result<String, String> {
    let rest = value.strip_prefix("https://").or_else(|| value.strip_prefix("http://"));
    let path_parts =
        rest.and_then(|r| r.split_once('/')).map(|(_, path)| path.split('/').filter(|p| !p.is_empty()).count());
    match path_parts {
        Some(2) => Ok(value.to_owned()),
        _ => Err(format!("{value:?} is not an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<queue>)")),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Crdgen => crdgen(),
        Command::Import(args) => block_on(import(args)),
        Command::Diff(args) => block_on(diff(args)),
        Command::Run(args) => {
            ecs_operator::memory::limit_arenas();
            block_on(run(args))
        }
        #[cfg(feature = "local")]
        Command::Local(args) => block_on(local(args)),
    }
}

fn block_on(main: impl std::future::Future<Output = ExitCode>) -> ExitCode {
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(main),
        Err(err) => {
            eprintln!("error: starting the async runtime: {err}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(feature = "local")]
async fn local(args: LocalArgs) -> ExitCode {
    if args.once && args.no_samples {
        eprintln!(
            "error: --once waits until every sample is Ready, and --no-samples applies none: there is nothing \
             to wait for.\n  Drop --once to keep local mode running for the objects you apply, then wait for \
             them with `kubectl wait --for=condition=Ready <kind>/<name>`."
        );
        return ExitCode::from(2);
    }
    // Operator logs go to a file: the terminal shows the live view.
    let log_dir = args.kubeconfig_out.parent().map(PathBuf::from).unwrap_or_default();
    let _ = std::fs::create_dir_all(&log_dir);
    let log_path = std::path::absolute(log_dir.join("operator.log")).unwrap_or_else(|_| log_dir.join("operator.log"));
    let mut log = None;
    if let Ok(file) = std::fs::File::create(&log_path) {
        log = Some(log_path);
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,kube=warn,aws=warn,hyper=warn"));
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(false)
            .with_writer(std::sync::Mutex::new(file))
            .init();
    }
    let options = ecs_operator::local::LocalOptions {
        kubeconfig_out: args.kubeconfig_out,
        apply_samples: !args.no_samples,
        once: args.once,
        timeout: Duration::from_secs(args.timeout_seconds),
        speed: args.speed,
        log,
    };
    match ecs_operator::local::run(options, shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

/// AWS clients for the one-shot commands: the SDK's default chain, the region and role given.
async fn aws_clients(args: &AwsArgs) -> Result<ecs_operator::aws::AwsClients, String> {
    let metrics = std::sync::Arc::new(ecs_operator::metrics::Metrics::default());
    let traffic = ecs_operator::aws::traffic::Traffic::new(80, metrics);
    let sdk = ecs_operator::aws::load_config(args.region.clone(), &traffic).await;
    if sdk.region().is_none() {
        return Err("no AWS region: pass --region or set AWS_REGION".into());
    }
    let clients = ecs_operator::aws::AwsClients::from_config(&sdk);
    match &args.role_arn {
        None => Ok(clients),
        Some(role) => clients.for_target(None, Some(role)).await.ok_or_else(|| format!("assuming {role}")),
    }
}

async fn import(args: ImportArgs) -> ExitCode {
    use ecs_operator::import::{self, build::Choices};
    let aws = match aws_clients(&args.aws).await {
        Ok(aws) => aws,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    let selection = import::Selection {
        cluster: args.cluster.clone(),
        services: args.services.clone(),
        all_services: args.all_services,
    };
    let deletion_policy = if args.deletion_policy == "Delete" {
        ecs_operator::crd::DeletionPolicy::Delete
    } else {
        ecs_operator::crd::DeletionPolicy::Retain
    };
    let choices = Choices { namespace: args.namespace.clone(), deletion_policy, adopt: !args.no_adopt };
    let region = args.aws.region.clone().or_else(|| std::env::var("AWS_REGION").ok()).unwrap_or_default();
    let now = k8s_openapi::jiff::Timestamp::now().round(k8s_openapi::jiff::Unit::Second).unwrap_or_default();
    let source = format!("ECS cluster {} in {region} at {now}", args.cluster);
    match import::run(&aws, &selection, &choices, &source, &args.output).await {
        Ok(written) => {
            for line in written {
                eprintln!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn diff(args: DiffArgs) -> ExitCode {
    let fail = |err: String| {
        eprintln!("error: {err}");
        ExitCode::from(2)
    };
    let aws = match aws_clients(&args.aws).await {
        Ok(aws) => aws,
        Err(err) => return fail(err),
    };
    let kube = match args.kubeconfig {
        Some(path) => match kube_client(Some(path)).await {
            Ok(client) => Some(client),
            Err(err) => return fail(err),
        },
        None => None,
    };
    let context_namespace = kube.as_ref().map(|k| k.default_namespace().to_owned());
    let namespace = args.namespace.or(context_namespace).unwrap_or_else(|| "default".into());
    let files = match ecs_operator::manifests::read(&args.files, &namespace) {
        Ok(files) => files,
        Err(err) => return fail(err.to_string()),
    };
    for skipped in &files.skipped {
        eprintln!("skipped (not an ecs.operator.dev kind): {skipped}");
    }
    let sources = ecs_operator::diff::Sources { aws: &aws, kube, cluster_id: &args.cluster_id };
    let reports = ecs_operator::diff::diff(&sources, &files).await;
    print!("{}", ecs_operator::diff::report::render(&reports));
    ExitCode::from(ecs_operator::diff::report::exit_code(&reports))
}

fn crdgen() -> ExitCode {
    match ecs_operator::crd::to_yaml() {
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
    }
}

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,kube=warn,aws=warn,hyper=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn kube_client(kubeconfig: Option<PathBuf>) -> Result<kube::Client, String> {
    let config = match kubeconfig {
        Some(path) => {
            let file = kube::config::Kubeconfig::read_from(&path)
                .map_err(|e| format!("reading kubeconfig {}: {e}", path.display()))?;
            kube::Config::from_custom_kubeconfig(file, &Default::default())
                .await
                .map_err(|e| format!("loading kubeconfig {}: {e}", path.display()))?
        }
        None => kube::Config::infer().await.map_err(|e| format!("finding Kubernetes credentials: {e}"))?,
    };
    kube::Client::try_from(config).map_err(|e| format!("building the Kubernetes client: {e}"))
}

async fn run(args: Box<RunArgs>) -> ExitCode {
    init_logging(&args.log_format);
    let client = match kube_client(args.kubeconfig).await {
        Ok(c) => c,
        Err(err) => {
            tracing::error!("{err}");
            return ExitCode::FAILURE;
        }
    };
    tokio::spawn(ecs_operator::memory::return_free_pages(ecs_operator::memory::TRIM_INTERVAL));
    let metrics = std::sync::Arc::new(ecs_operator::metrics::Metrics::default());
    let traffic = ecs_operator::aws::traffic::Traffic::new(args.aws_rate_limit_percent, metrics.clone());
    let sdk = ecs_operator::aws::load_config(args.region, &traffic).await;
    if sdk.region().is_none() {
        tracing::error!("no AWS region: pass --region or set AWS_REGION");
        return ExitCode::FAILURE;
    }
    let http = match ecs_operator::http::serve(args.http_addr, metrics.clone()).await {
        Ok((bound, handle)) => {
            tracing::info!(%bound, "serving /healthz, /readyz and /metrics");
            handle
        }
        Err(err) => {
            tracing::error!("cannot listen on {}: {err}", args.http_addr);
            return ExitCode::FAILURE;
        }
    };
    let defaults = ecs_operator::controller::Config::default();
    let defaults = if args.events_queue_url.is_some() { defaults.with_events() } else { defaults };
    let seconds_or = |value: Option<u64>, default: Duration| value.map_or(default, Duration::from_secs);
    let config = ecs_operator::controller::Config {
        cluster_id: args.cluster_id,
        metrics,
        resync_interval: seconds_or(args.resync_interval_seconds, defaults.resync_interval),
        terminal_recheck: Duration::from_secs(args.terminal_recheck_seconds),
        namespaces: args.namespaces,
        label_selector: args.label_selector,
        max_concurrent_reconciles: args.max_concurrent_reconciles,
        service_poll_interval: seconds_or(args.service_poll_interval_seconds, defaults.service_poll_interval),
        rollout_poll_interval: Duration::from_secs(args.rollout_poll_interval_seconds),
        ..defaults
    };
    tracing::info!(region = ?sdk.region(), namespaces = ?config.namespaces, events = config.events, "starting controllers");
    let aws = ecs_operator::aws::AwsClients::from_config(&sdk);
    let aws = match &args.events_queue_url {
        Some(url) => aws.with_events_queue(url),
        None => aws,
    };
    let result = if args.leader_election {
        use ecs_operator::leader;
        let namespace = args.leader_election_namespace.unwrap_or_else(leader::default_namespace);
        let timing = leader::LeaseTiming::from_duration(Duration::from_secs(args.lease_duration_seconds));
        let identity = leader::default_identity();
        tracing::info!(%identity, lease = %args.leader_election_name, %namespace, "leader election");
        let elector =
            leader::LeaderElector::new(client.clone(), &namespace, &args.leader_election_name, &identity, timing);
        leader::run_elected(elector, client, aws, config, shutdown_signal()).await
    } else {
        config.metrics.leader.set(1);
        ecs_operator::controller::run(client, aws, config, shutdown_signal())
            .await
            .map(|()| ecs_operator::leader::Ended::Shutdown)
    };
    http.abort();
    match result {
        Ok(ecs_operator::leader::Ended::Shutdown) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Ok(ecs_operator::leader::Ended::LostLease) => {
            tracing::error!("stopped: lost the leader Lease; exiting so that this replica restarts as a candidate");
            ExitCode::FAILURE
        }
        Err(err) => {
            tracing::error!("{err}");
            ExitCode::FAILURE
        }
    }
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
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
