//! ecs-operator-chaos: the reliability run (issue #12). N ECSServices over a few shared
//! TaskDefinitions converge twice against in-process kube-sim and ecs-sim: once fault-free, once
//! with ecs-sim throttling 20 % of calls, failing 2 % with 5xx and adding latency, kube-sim
//! dropping every watch twice and forcing a 410 relist, the leader of two operator replicas
//! SIGKILLed three times mid-convergence (and restarted), and a TaskDefinition image change
//! mid-rollout. Then it checks what must hold whatever happens: everything converges, no
//! duplicate services or revisions, no ECS resource without its owning object, and no
//! observedGeneration going backwards. Every sample in config/samples/ is applied beside them
//! (issue 17: the samples exercise far more of each spec than the generated services), and once
//! everything converged a steady window of `--steady-seconds` must see no AWS write and no
//! object with drift. Each run ends by deleting every object at once, clusters first (issue
//! 17), the chaos run under the same faults plus a leader SIGKILL and dropped watches: no object
//! may be left `--delete-minutes` later, and nothing the objects owned may be left in ECS.
//!
//! Writes `bench/results/chaos.json` (the benchmark's layout) and `chaos.md`; exits 1 when an
//! assertion fails, 2 when the run itself could not be made. Bounded by `--deadline-minutes`.

#[path = "../error.rs"]
mod error;
// The benchmark's CRD install, object kinds and server-side apply; its layout goes unused here.
#[allow(dead_code)]
#[path = "../objects.rs"]
mod objects;
// Shared with the benchmark binary; this one uses only part of it.
#[allow(dead_code)]
#[path = "../operator.rs"]
mod operator;
// The benchmark's ECS helpers; this run uses only its rule for what a write is.
#[allow(dead_code)]
#[path = "../ecs.rs"]
mod ecs;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use futures::StreamExt;
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::{Value, json};

use crate::error::{BenchError, Result};
use crate::objects::{Kind, NAMESPACE, apply_all, install_crds};
use crate::operator::http_request;

const GROUP: &str = "ecs.operator.dev";
/// The TaskDefinition whose image changes mid-rollout.
const CHANGED_TASK_DEFINITION: &str = "td-000";

#[derive(Debug, Parser)]
#[command(name = "ecs-operator-chaos", about = "Reliability run for ecs-operator under injected faults")]
struct Args {
    /// ECSServices (each on its own ECS service).
    #[arg(long, default_value_t = 1000)]
    services: usize,
    /// TaskDefinitions the services share (round-robin).
    #[arg(long, default_value_t = 50)]
    task_definitions: usize,
    #[arg(long, default_value_t = 250)]
    services_per_cluster: usize,
    /// The CI-sized run: 24 services, 4 task definitions, the same faults.
    #[arg(long)]
    quick: bool,
    /// ecs-sim clock speed (simulated seconds per real second).
    #[arg(long, default_value_t = 20.0)]
    speed: f64,
    #[arg(long)]
    operator_bin: Option<PathBuf>,
    /// Hard limit for each of the two runs.
    #[arg(long, default_value_t = 30)]
    deadline_minutes: u64,
    /// How long after the whole-app delete every object must be gone; default 5 minutes, or
    /// twice what ECS's documented DeleteService rate (the operator keeps to 80 % of its 5 a
    /// second) takes for every service, whichever is longer: 1,000 deletes alone take 250 s.
    #[arg(long)]
    delete_minutes: Option<u64>,
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Where chaos.json and chaos.md go.
    #[arg(long, default_value = "bench/results")]
    out_dir: PathBuf,
    /// Keep the operators' logs here (default: a temp dir, removed).
    #[arg(long)]
    log_dir: Option<PathBuf>,
    /// The samples applied beside the generated objects (every *.yaml in it).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/samples"))]
    samples_dir: PathBuf,
    /// The replicas' steady service poll (`--service-poll-interval-seconds`).
    #[arg(long, default_value_t = 20)]
    poll_seconds: u64,
    /// The replicas' resync of clusters, capacity providers and task definitions
    /// (`--resync-interval-seconds`).
    #[arg(long, default_value_t = 300)]
    resync_seconds: u64,
    /// The steady window after convergence in which no AWS write may happen.
    #[arg(long, default_value_t = 60)]
    steady_seconds: u64,
}

fn main() -> ExitCode {
    let mut args = Args::parse();
    if args.quick {
        args.services = 24;
        args.task_definitions = 4;
        args.services_per_cluster = 12;
        args.speed = args.speed.max(50.0);
        // Three resyncs of every kind fit in the steady window.
        args.poll_seconds = 5;
        args.resync_seconds = 10;
        args.steady_seconds = 30;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ecs-operator-chaos: starting the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let outcome = runtime.block_on(async {
        tokio::select! {
            r = chaos(&args) => r,
            _ = tokio::signal::ctrl_c() => Err(BenchError::Failed("interrupted".into())),
        }
    });
    runtime.shutdown_timeout(Duration::from_secs(5));
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("ecs-operator-chaos: an assertion failed (see {}/chaos.md)", args.out_dir.display());
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("ecs-operator-chaos: {e}");
            ExitCode::from(2)
        }
    }
}

/// One figure: value, unit, and the ceiling it must stay under (None: reported only).
struct Figure {
    name: &'static str,
    value: f64,
    unit: &'static str,
    goal: Option<f64>,
}

impl Figure {
    fn met(&self) -> bool {
        self.goal.is_none_or(|g| self.value <= g)
    }
}

async fn chaos(args: &Args) -> Result<bool> {
    let bin = operator::locate(args.operator_bin.as_deref())?;
    let scratch = match &args.log_dir {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir().join(format!("ecs-operator-chaos-{}", std::process::id())),
    };
    std::fs::create_dir_all(&scratch).map_err(BenchError::io("creating the log directory"))?;
    let deadline = Duration::from_secs(args.deadline_minutes * 60);
    let samples = samples(&args.samples_dir)?;
    eprintln!(
        "[chaos] fault-free run: {} services, {} task definitions, {} samples",
        args.services,
        args.task_definitions,
        samples.len()
    );
    let calm = converge(args, &bin, &scratch.join("calm"), &samples, false, Instant::now() + deadline).await?;
    eprintln!("[chaos] fault-free run converged in {:.1} s; now with faults", calm.seconds);
    let wild = converge(args, &bin, &scratch.join("chaos"), &samples, true, Instant::now() + deadline).await?;
    let mut figures = vec![
        Figure { name: "converge_fault_free_seconds", value: calm.seconds, unit: "s", goal: None },
        Figure { name: "converge_with_faults_seconds", value: wild.seconds, unit: "s", goal: None },
        Figure {
            name: "converge_ratio",
            value: wild.seconds / calm.seconds.max(0.001),
            unit: "× fault-free",
            goal: None,
        },
    ];
    figures.extend(calm.figures);
    figures.extend(wild.figures);
    if args.log_dir.is_none() {
        let _ = std::fs::remove_dir_all(&scratch);
    }
    let ok = figures.iter().all(Figure::met);
    write_results(&args.out_dir, args.services, &figures)?;
    for f in &figures {
        let verdict = f.goal.map_or(String::new(), |g| format!(" (≤ {g}: {})", if f.met() { "ok" } else { "FAILED" }));
        eprintln!("[chaos] {:<40} {:>10.3} {}{verdict}", f.name, f.value, f.unit);
    }
    Ok(ok)
}

struct Converged {
    seconds: f64,
    figures: Vec<Figure>,
}

/// Brings up the simulators and two operator replicas, applies everything (the samples too),
/// injects the faults (when `faults`) and waits for convergence, then checks the invariants.
/// Past `deadline` it fails, naming what had not converged and what the replicas last logged.
async fn converge(
    args: &Args,
    bin: &Path,
    dir: &Path,
    samples: &[(Kind, Value)],
    faults: bool,
    deadline: Instant,
) -> Result<Converged> {
    std::fs::create_dir_all(dir).map_err(BenchError::io("creating the run directory"))?;
    let kube = kube_sim::start().await?;
    let kubeconfig = dir.join("kubeconfig");
    kube.write_kubeconfig(&kubeconfig)?;
    // Both runs read ECS events; the chaos run's queue loses, duplicates and reorders them.
    let ecs = ecs_sim::start(ecs_sim::SimConfig {
        clock: ecs_sim::ClockMode::Scaled { speed: args.speed },
        seed: args.seed,
        events_queue: Some("ecs-operator-events".into()),
        ..ecs_sim::SimConfig::default()
    })?;
    if faults {
        ecs.set_event_faults(event_faults());
    }
    let events_queue_url = ecs.events_queue_url();
    let client = kube.client().await?;
    install_crds(&client, bin).await?;
    let observer = Observer::start(&client);
    let target = Target {
        bin,
        kubeconfig: &kubeconfig,
        endpoint: ecs.endpoint(),
        events_queue_url: events_queue_url.as_deref(),
        dir,
        polls: (args.poll_seconds, args.resync_seconds),
    };
    let mut replicas = [Replica::start(&target, "replica-a")?, Replica::start(&target, "replica-b")?];
    create_outside_resources(ecs.endpoint()).await?;
    if faults {
        sim_post(ecs.endpoint(), "/_sim/faults", &faults_rule()).await?;
    }
    let started = Instant::now();
    let clusters = args.services.div_ceil(args.services_per_cluster.max(1)).max(1);
    let mut everything = manifests(args, clusters, "public.ecr.aws/nginx/nginx:1.27");
    everything.extend(samples.iter().cloned());
    apply_all(&client, everything).await?;
    let total = clusters + args.task_definitions + args.services + samples.len();
    // Fault schedule, by share of objects Ready: kills at 10 %, 35 % and 60 %, watches dropped at
    // 20 % and 50 %, a 410 relist at 45 %, the image change at 30 %.
    let mut schedule: Vec<(f64, Step)> = if faults {
        vec![
            (0.10, Step::KillLeader),
            (0.20, Step::DropWatches),
            (0.30, Step::ChangeImage),
            (0.35, Step::KillLeader),
            (0.45, Step::Relist),
            (0.50, Step::DropWatches),
            (0.60, Step::KillLeader),
        ]
    } else {
        vec![(0.30, Step::ChangeImage)]
    };
    let mut kills = 0;
    loop {
        let ready = observer.ready();
        let share = ready as f64 / total as f64;
        while schedule.first().is_some_and(|(at, _)| share >= *at) {
            let (_, step) = schedule.remove(0);
            match step {
                Step::KillLeader => {
                    kills += 1;
                    let name = kill_leader(&mut replicas, kills, &target).await?;
                    eprintln!(
                        "[chaos] {:>5.1} s: SIGKILLed the leader; its replacement is {name}",
                        started.elapsed().as_secs_f64()
                    );
                }
                Step::DropWatches => {
                    kube.drop_watches();
                    eprintln!("[chaos] {:>5.1} s: dropped every watch", started.elapsed().as_secs_f64());
                }
                Step::Relist => {
                    kube.expire_watch_history();
                    kube.drop_watches();
                    eprintln!("[chaos] {:>5.1} s: forced a 410 relist", started.elapsed().as_secs_f64());
                }
                Step::ChangeImage => {
                    let td =
                        manifests(args, clusters, "public.ecr.aws/nginx/nginx:1.28").into_iter().find(|(kind, v)| {
                            *kind == Kind::TaskDefinition && v["metadata"]["name"] == CHANGED_TASK_DEFINITION
                        });
                    apply_all(&client, td.into_iter().collect()).await?;
                    eprintln!("[chaos] {:>5.1} s: changed td-000's image", started.elapsed().as_secs_f64());
                }
            }
        }
        if schedule.is_empty() && converged(&observer, args, total) {
            break;
        }
        if Instant::now() > deadline {
            return Err(BenchError::Failed(format!(
                "the {} run passed its deadline without converging ({} of {total} objects Ready, {} services on \
                 td-000's changed revision, faults still scheduled: {}).\nNot converged (as the run's watch saw it):\n{}\nAs a \
                 fresh list reads them now:\n{}\nThe replicas' last warnings:\n{}",
                if faults { "chaos" } else { "fault-free" },
                observer.ready(),
                observer.on_new_revision(),
                schedule.len(),
                observer.stragglers().join("\n"),
                fresh_view(&client).await,
                last_warnings(dir, 30),
            )));
        }
        for replica in &mut replicas {
            replica.check_alive()?;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    if faults {
        sim_post(ecs.endpoint(), "/_sim/faults/clear", "").await?;
    }
    let mut figures = out_of_band(args, &ecs, clusters, faults).await?;
    figures.extend(steady(&client, &ecs, Duration::from_secs(args.steady_seconds), faults).await?);
    // The ECS clusters of the run: its own and the samples'.
    let mut cluster_names: Vec<String> = (0..clusters).map(|c| format!("chaos-{c}")).collect();
    cluster_names.extend(samples.iter().filter(|(kind, _)| *kind == Kind::Cluster).map(|(_, v)| cluster_name(v)));
    // Express services (in ECS's `default` cluster) and the task definition family ECS
    // registers for each under its name.
    let express_names: Vec<String> = samples
        .iter()
        .filter(|(kind, _)| *kind == Kind::Express)
        .map(|(_, v)| {
            v["spec"]["serviceName"].as_str().or_else(|| v["metadata"]["name"].as_str()).unwrap_or_default().to_owned()
        })
        .collect();
    let stats = ecs.stats();
    if faults {
        let leader_kills = f64::from(kills);
        figures.push(Figure { name: "leader_kills", value: leader_kills, unit: "SIGKILLs", goal: None });
        figures.push(Figure {
            name: "leader_kills_missing",
            value: 3.0 - leader_kills,
            unit: "kills",
            goal: Some(0.0),
        });
        figures.push(Figure {
            name: "aws_calls_throttled_by_buckets",
            value: stats.total_throttled as f64,
            unit: "calls (ecs-sim's AWS-like rate limits)",
            goal: None,
        });
        figures.push(Figure {
            name: "aws_calls_failed_by_injection",
            value: stats.total_injected_errors as f64,
            unit: "calls (injected throttles and 5xx)",
            goal: None,
        });
        figures.push(Figure {
            name: "duplicate_services",
            value: stats.duplicate_creates.len() as f64,
            unit: "services",
            goal: Some(0.0),
        });
        let expected = |family: &str| if family == CHANGED_TASK_DEFINITION { 2 } else { 1 };
        let extra_revisions: u32 = stats.revisions_per_family.iter().map(|(f, n)| n.saturating_sub(expected(f))).sum();
        figures.push(Figure {
            name: "duplicate_revisions",
            value: f64::from(extra_revisions),
            unit: "revisions",
            goal: Some(0.0),
        });
        let orphans = orphans(ecs.endpoint(), &observer, &cluster_names, &express_names).await?;
        figures.push(Figure {
            name: "aws_resources_without_owner",
            value: orphans as f64,
            unit: "resources",
            goal: Some(0.0),
        });
        figures.push(Figure {
            name: "observed_generation_regressions",
            value: observer.regressions() as f64,
            unit: "status writes",
            goal: Some(0.0),
        });
        let not_ready = total.saturating_sub(observer.ready());
        figures.push(Figure {
            name: "objects_not_converged",
            value: not_ready as f64,
            unit: "objects",
            goal: Some(0.0),
        });
    }
    // Then the whole app goes at once: under the same faults (with a leader SIGKILL and
    // dropped watches) in the chaos run. The fault-free run matters as much: without added
    // latency, a cluster deleted first looks again before its drained services do, which is
    // the order that left ECSServices behind in issue 17.
    if faults {
        sim_post(ecs.endpoint(), "/_sim/faults", &faults_rule()).await?;
    }
    let limit = delete_limit(args.delete_minutes, args.services);
    let kills_before = kills;
    let injected = faults.then_some(&kube);
    let deleted = delete_everything(&client, injected, &mut replicas, &mut kills, &target, total, limit).await?;
    if faults {
        sim_post(ecs.endpoint(), "/_sim/faults/clear", "").await?;
    }
    let aws_left = left_in_aws(ecs.endpoint(), &cluster_names, !express_names.is_empty()).await?;
    let names = if faults {
        [
            "delete_with_faults_seconds",
            "objects_left_after_delete_with_faults",
            "aws_resources_left_after_delete_with_faults",
        ]
    } else {
        [
            "delete_fault_free_seconds",
            "objects_left_after_delete_fault_free",
            "aws_resources_left_after_delete_fault_free",
        ]
    };
    figures.push(Figure { name: names[0], value: deleted.seconds, unit: "s", goal: None });
    if faults {
        figures.push(Figure {
            name: "delete_leader_kills",
            value: f64::from(kills - kills_before),
            unit: "SIGKILLs during the delete",
            goal: None,
        });
    }
    figures.push(Figure {
        name: names[1],
        value: deleted.left as f64,
        unit: "objects (at the --delete-minutes limit)",
        goal: Some(0.0),
    });
    figures.push(Figure {
        name: names[2],
        value: aws_left as f64,
        unit: "ECS clusters, services and owned ACTIVE revisions",
        goal: Some(0.0),
    });
    for replica in &mut replicas {
        replica.kill();
    }
    Ok(Converged { seconds, figures })
}

/// The fault rule of the chaos run: 20 % throttled, 2 % 5xx, 200 ms added to every call.
fn faults_rule() -> String {
    json!({"operation": "*", "throttleRate": 0.2, "errorRate": 0.02, "status": 500,
           "errorType": "ServerException", "message": "chaos", "latencyMs": 200})
    .to_string()
}

/// Where replicas are started from, and how often they poll: (service poll, resync) seconds.
struct Target<'a> {
    bin: &'a Path,
    kubeconfig: &'a Path,
    endpoint: &'a str,
    events_queue_url: Option<&'a str>,
    dir: &'a Path,
    polls: (u64, u64),
}

/// Every sample manifest in `dir`, applied as shipped except `deletionPolicy`, which becomes
/// Delete: the whole-app delete must leave nothing (`log-agent` ships with Retain).
fn samples(dir: &Path) -> Result<Vec<(Kind, Value)>> {
    let read = |e: std::io::Error| BenchError::Failed(format!("reading the samples in {}: {e}", dir.display()));
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(read)?
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(read)?;
        let bad = |why: String| BenchError::Failed(format!("sample {}: {why}", file.display()));
        let mut value: Value = serde_yaml::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let kind_name = value["kind"].as_str().unwrap_or_default().to_owned();
        let kind = Kind::ALL
            .into_iter()
            .find(|k| k.api_resource().kind == kind_name)
            .ok_or_else(|| bad(format!("unknown kind {kind_name:?}")))?;
        let spec = value.get_mut("spec").and_then(Value::as_object_mut).ok_or_else(|| bad("no spec".into()))?;
        spec.insert("deletionPolicy".into(), json!("Delete"));
        out.push((kind, value));
    }
    if out.is_empty() {
        return Err(BenchError::Failed(format!("no samples in {}", dir.display())));
    }
    Ok(out)
}

/// The ECS cluster an ECSCluster manifest names.
fn cluster_name(manifest: &Value) -> String {
    let name = manifest["spec"]["clusterName"].as_str().or_else(|| manifest["metadata"]["name"].as_str());
    name.unwrap_or_default().to_owned()
}

/// Task definition families the run registers itself, as another tool would: no object owns them.
const OUTSIDE_FAMILIES: &[&str] = &[LOG_AGENT];
/// The family `ecsservice-log-agent-daemon.yaml` runs.
const LOG_AGENT: &str = "log-agent";

/// What the samples reference but do not create, as local mode registers it
/// (`ecs_operator::local::create_outside_resources`): the `log-agent` task definition.
async fn create_outside_resources(endpoint: &str) -> Result<()> {
    let agent = json!({"name": "agent", "image": "public.ecr.aws/aws-observability/aws-otel-collector:latest",
                       "memory": 256});
    let body = json!({"family": LOG_AGENT, "requiresCompatibilities": ["EC2"], "containerDefinitions": [agent]});
    ecs_call(endpoint, "RegisterTaskDefinition", body).await.map(|_| ())
}

/// The steady state after convergence (faults cleared): no AWS write and no object with drift
/// over `window`, several polls of every kind at the replicas' intervals.
async fn steady(
    client: &kube::Client,
    sim: &ecs_sim::SimHandle,
    window: Duration,
    faults: bool,
) -> Result<Vec<Figure>> {
    let before = sim.stats();
    tokio::time::sleep(window).await; // a measurement window, not a wait for state
    let after = sim.stats();
    let writes: u64 = after
        .operations
        .iter()
        .filter(|(op, _)| ecs::is_write(op) && !ecs::is_queue(op))
        .map(|(op, s)| s.calls - before.operations.get(op).map_or(0, |b| b.calls))
        .sum();
    let mut drifted = Vec::new();
    for kind in Kind::ALL {
        let list = kind.api(client).list(&kube::api::ListParams::default()).await;
        for obj in list.map_err(BenchError::kube(format!("listing {kind:?}")))?.items {
            let drift = obj.data.pointer("/status/drift").and_then(Value::as_array).is_some_and(|d| !d.is_empty());
            if drift {
                drifted.push(format!("{kind:?}/{}", obj.metadata.name.unwrap_or_default()));
            }
        }
    }
    let written: Vec<&String> = after
        .operations
        .iter()
        .filter(|(op, s)| {
            ecs::is_write(op) && !ecs::is_queue(op) && before.operations.get(*op).map_or(0, |b| b.calls) < s.calls
        })
        .map(|(op, _)| op)
        .collect();
    eprintln!("[chaos] steady {:.0} s: {writes} AWS writes {written:?}, drift in {drifted:?}", window.as_secs_f64());
    let names = if faults {
        ["steady_aws_writes_with_faults", "objects_with_drift_with_faults"]
    } else {
        ["steady_aws_writes_fault_free", "objects_with_drift_fault_free"]
    };
    Ok(vec![
        Figure { name: names[0], value: writes as f64, unit: "calls in the steady window", goal: Some(0.0) },
        Figure {
            name: names[1],
            value: drifted.len() as f64,
            unit: "objects after the steady window",
            goal: Some(0.0),
        },
    ])
}

/// SIGKILLs the leading replica and starts its replacement as a new pod (a new name), as a
/// Deployment would: the standby must take over, not the restarted process resume the old
/// identity. Returns the replacement's name.
async fn kill_leader(replicas: &mut [Replica; 2], kills: u32, target: &Target<'_>) -> Result<String> {
    let leader = leader_of(replicas)
        .await
        .ok_or_else(|| BenchError::Failed("no replica became the leader within 30 s".into()))?;
    let name = format!("replica-{}-{kills}", ["a", "b"][leader]);
    replicas[leader].kill();
    replicas[leader] = Replica::start(target, &name)?;
    Ok(name)
}

struct Deleted {
    seconds: f64,
    /// Objects still there when the limit passed (0: all gone in time).
    left: usize,
}

/// Deletes every object of every kind at once, ECSClusters first (the order `kubectl delete -f`
/// of the samples used in issue 17), and waits until none is left or `limit` passes. With
/// `faults` (the API server to drop watches on), SIGKILLs the leader once a third of the
/// objects are gone and drops every watch at two thirds.
async fn delete_everything(
    client: &kube::Client,
    faults: Option<&kube_sim::KubeSim>,
    replicas: &mut [Replica; 2],
    kills: &mut u32,
    target: &Target<'_>,
    total: usize,
    limit: Duration,
) -> Result<Deleted> {
    let started = Instant::now();
    for kind in [Kind::Cluster, Kind::CapacityProvider, Kind::TaskDefinition, Kind::Service, Kind::Task, Kind::Express]
    {
        kind.api(client)
            .delete_collection(&kube::api::DeleteParams::default(), &kube::api::ListParams::default())
            .await
            .map_err(BenchError::kube(format!("deleting every {kind:?}")))?;
    }
    eprintln!("[chaos] deleted all {total} objects at once, clusters first");
    let (mut killed, mut dropped) = (false, false);
    loop {
        let mut left = 0;
        for kind in Kind::ALL {
            let list = kind.api(client).list(&kube::api::ListParams::default()).await;
            left += list.map_err(BenchError::kube(format!("listing {kind:?}")))?.items.len();
        }
        let elapsed = started.elapsed();
        if left == 0 || elapsed >= limit {
            eprintln!("[chaos] {:>5.1} s after the delete: {left} objects left", elapsed.as_secs_f64());
            return Ok(Deleted { seconds: elapsed.as_secs_f64(), left });
        }
        if let Some(kube) = faults {
            if !killed && left * 3 <= total * 2 {
                killed = true;
                *kills += 1;
                let name = kill_leader(replicas, *kills, target).await?;
                eprintln!(
                    "[chaos] {:>5.1} s into the delete: SIGKILLed the leader; replacement {name}",
                    elapsed.as_secs_f64()
                );
            }
            if !dropped && left * 3 <= total {
                dropped = true;
                kube.drop_watches();
                eprintln!("[chaos] {:>5.1} s into the delete: dropped every watch", elapsed.as_secs_f64());
            }
        }
        for replica in replicas.iter_mut() {
            replica.check_alive()?;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// After the delete: `clusters` not INACTIVE, services still in any of them (ACTIVE or
/// DRAINING), and ACTIVE task definition revisions that carry an ownership tag.
async fn left_in_aws(endpoint: &str, clusters: &[String], express: bool) -> Result<usize> {
    let mut left = 0;
    // Express services live in ECS's `default` cluster, which ECS made and keeps: only their
    // services count.
    if express {
        let page = ecs_call(endpoint, "ListServices", json!({"cluster": EXPRESS_CLUSTER, "maxResults": 100})).await?;
        left += page["serviceArns"].as_array().map_or(0, Vec::len);
    }
    for cluster in clusters {
        let out = ecs_call(endpoint, "DescribeClusters", json!({"clusters": [cluster]})).await?;
        let live = out["clusters"].as_array().into_iter().flatten().any(|c| c["status"] != "INACTIVE");
        if live {
            left += 1;
            let page = ecs_call(endpoint, "ListServices", json!({"cluster": cluster, "maxResults": 100})).await?;
            left += page["serviceArns"].as_array().map_or(0, Vec::len);
        }
    }
    let families =
        ecs_call(endpoint, "ListTaskDefinitionFamilies", json!({"status": "ACTIVE", "maxResults": 100})).await?;
    for family in families["families"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        let list =
            ecs_call(endpoint, "ListTaskDefinitions", json!({"familyPrefix": family, "status": "ACTIVE"})).await?;
        for arn in list["taskDefinitionArns"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            let out = ecs_call(endpoint, "DescribeTaskDefinition", json!({"taskDefinition": arn, "include": ["TAGS"]}))
                .await?;
            if owner_tag(out.get("tags")).is_some() {
                left += 1;
            }
        }
    }
    Ok(left)
}

#[derive(Debug, Clone, Copy)]
enum Step {
    KillLeader,
    DropWatches,
    Relist,
    ChangeImage,
}

/// Every one of `total` objects Ready, and every service on td-000 running the revision td-000
/// registered for its changed image.
fn converged(observer: &Observer, args: &Args, total: usize) -> bool {
    observer.ready() == total && observer.on_new_revision() == args.services.div_ceil(args.task_definitions.max(1))
}

fn manifests(args: &Args, clusters: usize, first_image: &str) -> Vec<(Kind, Value)> {
    let api_version = format!("{GROUP}/v1alpha1");
    let meta = |name: &str| json!({"name": name, "namespace": NAMESPACE});
    let mut out = Vec::new();
    for c in 0..clusters {
        let name = format!("chaos-{c}");
        out.push((
            Kind::Cluster,
            json!({"apiVersion": api_version, "kind": "ECSCluster", "metadata": meta(&name),
                                       "spec": {"clusterName": name}}),
        ));
    }
    for t in 0..args.task_definitions {
        let name = format!("td-{t:03}");
        let image = if t == 0 { first_image } else { "public.ecr.aws/nginx/nginx:1.27" };
        out.push((Kind::TaskDefinition, json!({"apiVersion": api_version, "kind": "TaskDefinition", "metadata": meta(&name),
            "spec": {"requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256", "memory": "512",
                     "containerDefinitions": [{"name": "app", "image": image, "portMappings": [{"containerPort": 80}]}]}})));
    }
    for s in 0..args.services {
        let name = format!("svc-{s:05}");
        out.push((
            Kind::Service,
            json!({"apiVersion": api_version, "kind": "ECSService", "metadata": meta(&name),
            "spec": {"clusterRef": {"name": format!("chaos-{}", s % clusters)},
                     "taskDefinitionRef": {"name": format!("td-{:03}", s % args.task_definitions.max(1))},
                     "desiredCount": 1, "launchType": "FARGATE",
                     "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-0123456789abcdef0"]}}}}),
        ));
    }
    out
}

/// The chaos run's event delivery: 5 % of events lost, 5 % delivered twice, all reordered
/// within a second.
fn event_faults() -> ecs_sim::EventFaults {
    ecs_sim::EventFaults { loss: 0.05, duplicate: 0.05, reorder: true, reorder_window_ms: 1000, ..Default::default() }
}

/// Services changed out of band once everything converged.
const OUT_OF_BAND_CHANGES: usize = 10;

/// Changes the desiredCount of a few services with UpdateService, as someone outside the
/// operator would, and checks each is put back (by its event, or by the safety-net poll when the
/// event was lost), and put back once: every change costs exactly one correcting UpdateService.
async fn out_of_band(args: &Args, ecs: &ecs_sim::SimHandle, clusters: usize, faults: bool) -> Result<Vec<Figure>> {
    let changed: Vec<(String, String)> = (0..args.services.min(OUT_OF_BAND_CHANGES))
        .map(|s| (format!("chaos-{}", s % clusters), format!("svc-{s:05}")))
        .collect();
    let updates_before = ecs.stats().calls("UpdateService");
    for (cluster, service) in &changed {
        ecs_call(ecs.endpoint(), "UpdateService", json!({"cluster": cluster, "service": service, "desiredCount": 2}))
            .await?;
    }
    // Bounded: the safety-net poll finds a change whose event was lost within a round or two.
    let limit = Duration::from_secs(args.poll_seconds * 3 + 30);
    let started = Instant::now();
    let mut open: Vec<&(String, String)> = changed.iter().collect();
    while !open.is_empty() && started.elapsed() < limit {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut still = Vec::new();
        for pair in open {
            let (cluster, service) = pair;
            let out = ecs_call(ecs.endpoint(), "DescribeServices", json!({"cluster": cluster, "services": [service]}))
                .await
                .unwrap_or(Value::Null);
            if out.pointer("/services/0/desiredCount").and_then(Value::as_i64) != Some(1) {
                still.push(pair);
            }
        }
        open = still;
    }
    // A correction already sent must not be sent again: wait a moment for late duplicates.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let updates = ecs.stats().calls("UpdateService").saturating_sub(updates_before);
    let extra = updates as f64 - 2.0 * changed.len() as f64;
    let events = ecs.event_stats();
    eprintln!(
        "[chaos] out of band: {} changed, {} not put back after {:.0} s, {updates} UpdateService calls; events {events:?}",
        changed.len(),
        open.len(),
        started.elapsed().as_secs_f64()
    );
    let names = if faults {
        ["out_of_band_not_corrected_with_faults", "out_of_band_extra_updates_with_faults"]
    } else {
        ["out_of_band_not_corrected_fault_free", "out_of_band_extra_updates_fault_free"]
    };
    Ok(vec![
        Figure { name: names[0], value: open.len() as f64, unit: "services", goal: Some(0.0) },
        Figure {
            name: names[1],
            value: extra.max(0.0),
            unit: "UpdateService calls beyond one a change",
            goal: Some(0.0),
        },
    ])
}

/// One `ecs-operator run` replica with leader election (5 s Lease, so hand-overs are quick).
struct Replica {
    child: Option<Child>,
    http_addr: String,
}

impl Replica {
    fn start(target: &Target<'_>, name: &str) -> Result<Self> {
        let Target { bin, kubeconfig, endpoint, events_queue_url, dir, polls: (poll, resync) } = *target;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(BenchError::io("finding a free port"))?
            .port();
        let http_addr = format!("127.0.0.1:{port}");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(format!("{name}.log")))
            .map_err(BenchError::io("opening a replica log"))?;
        let mut command = Command::new(bin);
        if let Some(url) = events_queue_url {
            command.env("EVENTS_QUEUE_URL", url);
        }
        let child = command
            .args(["run", "--cluster-id", "chaos", "--http-addr", &http_addr, "--lease-duration-seconds", "5"])
            .args([
                "--service-poll-interval-seconds",
                &poll.to_string(),
                "--resync-interval-seconds",
                &resync.to_string(),
            ])
            .env("POD_NAME", name)
            // Plain text in the log files, so the report of a failed run can quote them.
            .env("NO_COLOR", "1")
            .env("KUBECONFIG", kubeconfig)
            .env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "AKIDCHAOS")
            .env("AWS_SECRET_ACCESS_KEY", "secret")
            .env_remove("AWS_PROFILE")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(BenchError::io(format!("starting {}", bin.display())))?;
        Ok(Self { child: Some(child), http_addr })
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// A replica that exits on its own has crashed (a lost Lease exits 1 too: also a failure here,
    /// since nothing but the bench kills replicas).
    fn check_alive(&mut self) -> Result<()> {
        match self.child.as_mut().map(Child::try_wait) {
            Some(Ok(Some(status))) => Err(BenchError::Failed(format!("a replica exited on its own ({status})"))),
            _ => Ok(()),
        }
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Index of the replica whose /metrics says it leads, waiting (up to 30 s) through a hand-over
/// in progress; None when no replica leads by then.
async fn leader_of(replicas: &[Replica; 2]) -> Option<usize> {
    for _ in 0..150 {
        for (i, r) in replicas.iter().enumerate() {
            if let Ok((200, body)) = http_request(&r.http_addr, "GET", "/metrics", &[], "").await
                && body.lines().any(|l| l == "ecs_operator_leader 1")
            {
                return Some(i);
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    None
}

async fn sim_post(endpoint: &str, path: &str, body: &str) -> Result<()> {
    let addr = endpoint.trim_start_matches("http://");
    match http_request(addr, "POST", path, &[("Content-Type", "application/json")], body).await? {
        (200, _) => Ok(()),
        (code, text) => Err(BenchError::Failed(format!("ecs-sim {path}: {code} {text}"))),
    }
}

/// The whole-app delete's limit: `minutes` if given, else 5 minutes or twice the time the
/// operator's DeleteService pace (4 a second) needs for `services`, whichever is longer.
fn delete_limit(minutes: Option<u64>, services: usize) -> Duration {
    const DELETES_PER_SECOND: f64 = 4.0;
    let paced = Duration::from_secs_f64(2.0 * services as f64 / DELETES_PER_SECOND);
    minutes.map_or(paced.max(Duration::from_secs(300)), |m| Duration::from_secs(m * 60))
}

/// One ECS JSON call as an outside auditor (faults are cleared by then). ecs-sim's AWS-like
/// rate limits still apply, shared with the operator's own calls: a throttled call is tried
/// again after a back-off, as the AWS CLI would, a bounded number of times.
async fn ecs_call(endpoint: &str, operation: &str, body: Value) -> Result<Value> {
    let target = format!("AmazonEC2ContainerServiceV20141113.{operation}");
    let headers = [
        ("X-Amz-Target", target.as_str()),
        ("Content-Type", "application/x-amz-json-1.1"),
        ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDAUDIT/20260101/us-east-1/ecs/aws4_request"),
    ];
    let addr = endpoint.trim_start_matches("http://");
    let mut delay = Duration::from_millis(200);
    for _ in 0..AUDIT_ATTEMPTS {
        let (code, text) = http_request(addr, "POST", "/", &headers, &body.to_string()).await?;
        if code == 400 && text.contains("ThrottlingException") {
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(5));
            continue;
        }
        if code != 200 {
            return Err(BenchError::Failed(format!("{operation}: {code} {text}")));
        }
        return serde_json::from_str(&text).map_err(|e| BenchError::Failed(format!("{operation}: {e}")));
    }
    Err(BenchError::Failed(format!("{operation}: still throttled after {AUDIT_ATTEMPTS} attempts")))
}

/// How many times the auditor tries a throttled call (about a minute of back-off in all).
const AUDIT_ATTEMPTS: u32 = 16;

fn owner_tag(tags: Option<&Value>) -> Option<String> {
    tags?.as_array()?.iter().find_map(|t| {
        (t.get("key")?.as_str()? == "ecs.operator.dev/owner").then(|| t.get("value")?.as_str().map(str::to_owned))?
    })
}

/// The cluster Express services run in when their spec names none.
const EXPRESS_CLUSTER: &str = "default";

/// ECS services in `clusters` (and the Express services in ECS's `default` cluster) and ACTIVE
/// task definition revisions whose owner object does not exist (the run's own
/// [`OUTSIDE_FAMILIES`] aside, and the families ECS registers for the Express services named
/// `express`).
async fn orphans(endpoint: &str, observer: &Observer, clusters: &[String], express: &[String]) -> Result<usize> {
    let mut orphans = 0;
    let express_cluster = (!express.is_empty()).then(|| EXPRESS_CLUSTER.to_owned());
    for cluster in clusters.iter().chain(express_cluster.iter()) {
        let mut arns = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut body = json!({"cluster": cluster, "maxResults": 100});
            if let Some(t) = &token {
                body["nextToken"] = json!(t);
            }
            let page = ecs_call(endpoint, "ListServices", body).await?;
            arns.extend(
                page["serviceArns"].as_array().into_iter().flatten().filter_map(|a| a.as_str().map(str::to_owned)),
            );
            token = page["nextToken"].as_str().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        for batch in arns.chunks(10) {
            let out = ecs_call(
                endpoint,
                "DescribeServices",
                json!({"cluster": cluster, "services": batch, "include": ["TAGS"]}),
            )
            .await?;
            for svc in out["services"].as_array().into_iter().flatten() {
                let owned = owner_tag(svc.get("tags")).and_then(|o| o.strip_prefix("default/").map(str::to_owned));
                let owner_exists =
                    |name: &str| observer.exists(Kind::Service, name) || observer.exists(Kind::Express, name);
                if !owned.is_some_and(|name| owner_exists(&name)) {
                    orphans += 1;
                }
            }
        }
    }
    let families =
        ecs_call(endpoint, "ListTaskDefinitionFamilies", json!({"status": "ACTIVE", "maxResults": 100})).await?;
    let families = families["families"].as_array().into_iter().flatten().filter_map(Value::as_str);
    for family in families.filter(|f| !OUTSIDE_FAMILIES.contains(f) && !express.iter().any(|e| e == f)) {
        let list =
            ecs_call(endpoint, "ListTaskDefinitions", json!({"familyPrefix": family, "status": "ACTIVE"})).await?;
        for arn in list["taskDefinitionArns"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            let out = ecs_call(endpoint, "DescribeTaskDefinition", json!({"taskDefinition": arn, "include": ["TAGS"]}))
                .await?;
            let owned = owner_tag(out.get("tags")).and_then(|o| o.strip_prefix("default/").map(str::to_owned));
            if !owned.is_some_and(|name| observer.exists(Kind::TaskDefinition, &name)) {
                orphans += 1;
            }
        }
    }
    Ok(orphans)
}

/// What the run watches: Ready per object, the revision each service runs, and every
/// observedGeneration ever seen (a write that lowers it is a regression).
#[derive(Default)]
struct Seen {
    ready: HashMap<(Kind, String), bool>,
    /// The Ready condition's reason and message, for the report of what did not converge.
    ready_reason: HashMap<(Kind, String), String>,
    service_revision: HashMap<String, String>,
    /// td-000's status: (metadata.generation, observedGeneration, `td-000:<revision>`).
    changed_task_definition: Option<(Option<i64>, Option<i64>, String)>,
    generations: HashMap<(Kind, String), i64>,
    regressions: usize,
}

struct Observer {
    seen: Arc<Mutex<Seen>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Observer {
    fn start(client: &kube::Client) -> Self {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let tasks = Kind::ALL
            .into_iter()
            .map(|kind| {
                let (api, seen) = (kind.api(client), seen.clone());
                tokio::spawn(async move {
                    let mut events = watcher(api, watcher::Config::default()).default_backoff().boxed();
                    while let Some(event) = events.next().await {
                        let Ok(watcher::Event::Apply(obj) | watcher::Event::InitApply(obj)) = event else { continue };
                        let name = obj.metadata.name.clone().unwrap_or_default();
                        let status = obj.data.get("status");
                        let ready = status
                            .and_then(|s| s.get("conditions"))
                            .and_then(Value::as_array)
                            .is_some_and(|cs| cs.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"));
                        let reason = status
                            .and_then(|s| s.get("conditions"))
                            .and_then(Value::as_array)
                            .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready"))
                            .map_or("no Ready condition".to_owned(), |c| {
                                format!("{} {}: {}", c["status"], c["reason"], c["message"])
                            });
                        let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
                        seen.ready.insert((kind, name.clone()), ready);
                        seen.ready_reason.insert((kind, name.clone()), reason);
                        if let Some(generation) =
                            status.and_then(|s| s.get("observedGeneration")).and_then(Value::as_i64)
                        {
                            let seen = &mut *seen;
                            let last = seen.generations.entry((kind, name.clone())).or_insert(generation);
                            if generation < *last {
                                seen.regressions += 1;
                            }
                            *last = (*last).max(generation);
                        }
                        if kind == Kind::Service
                            && let Some(td) = status.and_then(|s| s.get("taskDefinition")).and_then(Value::as_str)
                        {
                            seen.service_revision.insert(name, td.to_owned());
                        } else if kind == Kind::TaskDefinition
                            && name == CHANGED_TASK_DEFINITION
                            && let Some(arn) = status.and_then(|s| s.get("taskDefinitionArn")).and_then(Value::as_str)
                        {
                            let observed = status.and_then(|s| s.get("observedGeneration")).and_then(Value::as_i64);
                            let revision = arn.rsplit_once("task-definition/").map_or(arn, |(_, r)| r).to_owned();
                            seen.changed_task_definition = Some((obj.metadata.generation, observed, revision));
                        }
                    }
                })
            })
            .collect();
        Self { seen, tasks }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn ready(&self) -> usize {
        self.lock().ready.values().filter(|r| **r).count()
    }

    /// The revision td-000 registered for its changed image, once its status says so:
    /// `td-000:2` as a rule, `td-000:1` when the image changed before the first spec was
    /// registered (faults and leader hand-overs can delay that past the change).
    fn changed_revision(seen: &Seen) -> Option<&str> {
        let (generation, observed, revision) = seen.changed_task_definition.as_ref()?;
        (generation.is_some_and(|g| g >= 2) && observed == generation).then_some(revision.as_str())
    }

    /// Services Ready on the revision td-000 registered for its changed image.
    fn on_new_revision(&self) -> usize {
        let seen = self.lock();
        let Some(revision) = Self::changed_revision(&seen) else { return 0 };
        seen.service_revision
            .iter()
            .filter(|(name, td)| {
                td.as_str() == revision && seen.ready.get(&(Kind::Service, (*name).clone())) == Some(&true)
            })
            .count()
    }

    /// Every object not Ready, and every Ready service on td-000 not yet on its second revision,
    /// with what its status says.
    fn stragglers(&self) -> Vec<String> {
        let seen = self.lock();
        let mut out: Vec<String> = seen
            .ready
            .iter()
            .filter(|(_, ready)| !**ready)
            .map(|((kind, name), _)| {
                let reason = seen.ready_reason.get(&(*kind, name.clone())).map_or("", String::as_str);
                format!("  {kind:?}/{name}: Ready {reason}")
            })
            .collect();
        let changed = Self::changed_revision(&seen);
        out.push(format!("  TaskDefinition/{CHANGED_TASK_DEFINITION}: {:?}", seen.changed_task_definition));
        out.extend(
            seen.service_revision
                .iter()
                .filter(|(name, td)| {
                    td.contains("td-000:")
                        && Some(td.as_str()) != changed
                        && seen.ready.get(&(Kind::Service, (*name).clone())) == Some(&true)
                })
                .map(|(name, td)| format!("  Service/{name}: Ready on {td}")),
        );
        out.sort();
        out
    }

    fn exists(&self, kind: Kind, name: &str) -> bool {
        self.lock().ready.contains_key(&(kind, name.to_owned()))
    }

    fn regressions(&self) -> usize {
        self.lock().regressions
    }
}

impl Drop for Observer {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// td-000 and the services on it as a fresh LIST reads them (the run's own watch may lag).
async fn fresh_view(client: &kube::Client) -> String {
    let mut lines = Vec::new();
    for kind in [Kind::TaskDefinition, Kind::Service] {
        let Ok(list) = kind.api(client).list(&kube::api::ListParams::default()).await else {
            lines.push(format!("  (listing {kind:?} failed)"));
            continue;
        };
        for obj in list.items {
            let name = obj.metadata.name.clone().unwrap_or_default();
            let status = obj.data.get("status");
            let td = status
                .and_then(|s| s.get("taskDefinition").or_else(|| s.get("taskDefinitionArn")))
                .and_then(Value::as_str)
                .unwrap_or("-");
            if !td.contains("td-000") && name != "td-000" {
                continue;
            }
            let observed = status.and_then(|s| s.get("observedGeneration")).and_then(Value::as_i64);
            let ready = status
                .and_then(|s| s.get("conditions"))
                .and_then(Value::as_array)
                .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready"))
                .map_or("-".to_owned(), |c| format!("{} {}", c["status"], c["reason"]));
            lines.push(format!(
                "  {kind:?}/{name}: generation {:?}, observed {observed:?}, revision {td}, Ready {ready}",
                obj.metadata.generation
            ));
        }
    }
    lines.join("\n")
}

/// The last `n` WARN and ERROR lines of the replica logs in `dir`, each prefixed with its file.
fn last_warnings(dir: &Path, n: usize) -> String {
    let mut lines = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    files.sort();
    for file in files {
        let name = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let warnings: Vec<&str> = text.lines().filter(|l| l.contains("WARN") || l.contains("ERROR")).collect();
        let start = warnings.len().saturating_sub(n);
        lines.extend(warnings[start..].iter().map(|l| format!("  {name}: {l}")));
    }
    if lines.is_empty() { "  (none)".to_owned() } else { lines.join("\n") }
}

/// `chaos.json` in the benchmark's layout, and `chaos.md` for people.
fn write_results(dir: &Path, services: usize, figures: &[Figure]) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(BenchError::io(format!("creating {}", dir.display())))?;
    let commit = Command::new("git")
        .args(["describe", "--always", "--dirty", "--abbrev=12"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let by_name: BTreeMap<&str, Value> = figures
        .iter()
        .map(|f| {
            (
                f.name,
                json!({"value": (f.value * 1000.0).round() / 1000.0, "unit": f.unit, "goal": f.goal, "met": f.met()}),
            )
        })
        .collect();
    let doc =
        json!({"machine": {"cores": cores, "commit": commit}, "runs": [{"services": services, "figures": by_name}]});
    let text = serde_json::to_string_pretty(&doc).map_err(|e| BenchError::Failed(e.to_string()))? + "\n";
    std::fs::write(dir.join("chaos.json"), text).map_err(BenchError::io("writing chaos.json"))?;
    let mut md = format!(
        "# ecs-operator chaos run\n\nMachine: {cores} cores, commit `{commit}`. Written by `ecs-operator-chaos`.\n\n\
         ## N = {services} services\n\n| Figure | Value | Unit | Goal | Met |\n| --- | ---: | --- | ---: | :---: |\n"
    );
    let names: BTreeSet<&str> = figures.iter().map(|f| f.name).collect();
    for f in figures.iter().filter(|f| names.contains(f.name)) {
        let goal = f.goal.map_or("—".to_owned(), |g| format!("≤ {g}"));
        let met = if f.goal.is_none() {
            ""
        } else if f.met() {
            "yes"
        } else {
            "**no**"
        };
        md.push_str(&format!("| {} | {:.3} | {} | {goal} | {met} |\n", f.name, f.value, f.unit));
    }
    std::fs::write(dir.join("chaos.md"), md).map_err(BenchError::io("writing chaos.md"))
}
