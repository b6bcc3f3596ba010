//! One benchmark run at N services: start the simulators and the operator, apply everything,
//! then measure convergence, a steady state of a few poll cycles, drift latency and memory.
//! Every phase is bounded by the run's deadline; what did not finish is reported as missed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use ecs_sim::{ClockMode, SimConfig, Stats, TaskTimings};

use crate::ecs;
use crate::error::{BenchError, Result};
use crate::figures::RunReport;
use crate::objects::{self, Kind, Layout};
use crate::operator::{self, Operator, Target};
use crate::procfs;
use crate::tracker::Tracker;

/// How a run is shaped; from the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    pub operator_bin: PathBuf,
    pub speed: f64,
    pub throttle_scale: f64,
    pub services_per_cluster: usize,
    pub deadline: Duration,
    pub settle: Duration,
    pub steady: Duration,
    /// The operator's service poll interval (its default); only used to count cycles.
    pub poll_interval: Duration,
    pub drift_services: usize,
    pub drift_timeout: Duration,
    pub seed: u64,
    /// Keep the operator's log here (else it goes with the temp dir).
    pub log_dir: Option<PathBuf>,
    /// ecs-sim delivers ECS events to a queue the operator reads (`--events-queue-url`).
    pub events: bool,
    /// TaskDefinitions the services share; None: one per service.
    pub task_definitions: Option<usize>,
}

/// The queue ecs-sim fills with events when the run has them.
const EVENTS_QUEUE: &str = "ecs-operator-events";

/// The goals the issue sets at N = 1,000 (and below); larger runs show growth, not a promise.
const GOAL_N: usize = 1000;
const RSS_GOAL_MIB: f64 = 32.0;
/// With events, one replica up to N = 10,000: memory and steady CPU.
const EVENTS_LARGE_N: usize = 10_000;
const EVENTS_LARGE_RSS_GOAL_MIB: f64 = 150.0;
const EVENTS_CPU_GOAL_PERCENT: f64 = 5.0;
const DRIFT_GOAL_SECONDS: f64 = 30.0;
/// With events: drift in status and its correction within seconds.
const EVENTS_DRIFT_GOAL_SECONDS: f64 = 5.0;
const EVENTS_DRIFT_MEDIAN_GOAL_SECONDS: f64 = 2.0;

/// The memory goal at N: 32 MiB up to N = 1,000; with events, 150 MiB up to N = 10,000.
fn rss_goal(services: usize, events: bool) -> Option<f64> {
    if services <= GOAL_N {
        Some(RSS_GOAL_MIB)
    } else if events && services <= EVENTS_LARGE_N {
        Some(EVENTS_LARGE_RSS_GOAL_MIB)
    } else {
        None
    }
}

/// A scratch directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(services: usize) -> Result<Self> {
        let path = std::env::temp_dir().join(format!("ecs-operator-bench-{}-{services}", std::process::id()));
        std::fs::create_dir_all(&path).map_err(BenchError::io(format!("creating {}", path.display())))?;
        Ok(Self(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub async fn run(settings: &Settings, services: usize) -> Result<RunReport> {
    let deadline = Instant::now() + settings.deadline;
    let mut layout = Layout::new(services, settings.services_per_cluster, settings.task_definitions);
    // The services whose desiredCount will be changed out of band, chosen up front: half of
    // them report drift (driftPolicy Report: it must show in status.drift), half correct it
    // (the default: it is put back in the same reconcile and only an event records it).
    let drifted = pick(settings.seed, settings.drift_services.min(services), services);
    layout.report_drift = drifted.iter().step_by(2).copied().collect();
    let mut report = RunReport::new(services);
    let temp = TempDir::new(services)?;
    let kubeconfig = temp.0.join("kubeconfig");
    let log = match &settings.log_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(BenchError::io(format!("creating {}", dir.display())))?;
            dir.join(format!("operator-{services}.log"))
        }
        None => temp.0.join("operator.log"),
    };

    let kube = kube_sim::start().await?;
    kube.write_kubeconfig(&kubeconfig)?;
    let client = kube.client().await.map_err(BenchError::KubeSim)?;
    objects::install_crds(&client, &settings.operator_bin).await?;
    let throttle = ecs::throttle(settings.throttle_scale);
    let timings = TaskTimings::default();
    let sim = ecs_sim::start(SimConfig {
        clock: ClockMode::Scaled { speed: settings.speed },
        throttle: throttle.clone(),
        timings: timings.clone(),
        seed: settings.seed,
        worker_threads: 1,
        events_queue: settings.events.then(|| EVENTS_QUEUE.to_owned()),
        ..SimConfig::default()
    })?;
    let events_queue_url = sim.events_queue_url();
    let mut op = Operator::start(&Target {
        bin: &settings.operator_bin,
        kubeconfig: &kubeconfig,
        ecs_endpoint: sim.endpoint(),
        log: &log,
        events_queue_url: events_queue_url.as_deref(),
    })?;
    op.wait_ready(Duration::from_secs(60)).await?;
    let pid = op.pid();
    let tracker = Tracker::start(&client);
    report.add("sim_speed", settings.speed, "simulated s per real s", None);
    report.add("sim_throttle_scale", settings.throttle_scale, "× ecs-sim default rates", None);
    report.add(
        "events",
        f64::from(u8::from(settings.events)),
        "1: ECS events through a queue, polling as safety net",
        None,
    );
    report.add("clusters", layout.clusters as f64, "ECSClusters", None);
    report.add(
        "task_definitions",
        layout.task_definitions as f64,
        "TaskDefinitions (services share them round-robin)",
        None,
    );

    // 1 + 2: apply → all Ready, and the calls it took.
    let before = sim.stats();
    let kube_before = kube_total(&kube);
    let t0 = Instant::now();
    let applied = objects::apply_all(&client, layout.manifests()).await?;
    eprintln!("[N={services}] applied {applied} objects in {:.1}s", t0.elapsed().as_secs_f64());
    let reserve = settings.settle + settings.steady + settings.drift_timeout + Duration::from_secs(10);
    let converge_by = deadline.checked_sub(reserve).unwrap_or(deadline);
    let converged = wait_converged(&tracker, &layout, &sim, &mut op, t0, converge_by).await?;
    let elapsed = t0.elapsed().as_secs_f64();
    let after = sim.stats();
    let rollout = timings.provisioning + timings.pending + timings.steady_after;
    let bound = ecs::lower_bound(&layout, &throttle, rollout, settings.speed).as_secs_f64();
    let not_ready = layout.object_count().saturating_sub(ready_total(&tracker));
    report.add("objects_not_ready", not_ready as f64, "objects", Some(0.0));
    report.add("apply_to_ready_seconds", elapsed, "s", None);
    report.add("apply_to_ready_lower_bound_seconds", bound, "s", None);
    report.add("apply_to_ready_ratio", elapsed / bound.max(f64::EPSILON), "× lower bound", None);
    let minimum = ecs::minimum_calls(&layout);
    let delta = stats_delta(&before, &after);
    let total: u64 = delta.values().map(|d| d.0).sum();
    let minimum_total: u64 = minimum.values().sum();
    report.add("convergence_calls_total", total as f64, &format!("calls; minimum {minimum_total}"), None);
    report.add("convergence_call_ratio", total as f64 / minimum_total.max(1) as f64, "× minimum", None);
    let throttled: u64 = delta.values().map(|d| d.1).sum();
    report.add("convergence_throttled_calls", throttled as f64, "calls", None);
    for (op_name, (calls, _)) in &delta {
        let unit = minimum.get(op_name.as_str()).map_or_else(|| "calls".to_owned(), |m| format!("calls; minimum {m}"));
        report.add(&format!("convergence_calls_{op_name}"), *calls as f64, &unit, None);
    }
    let kube_during = kube_total(&kube).saturating_sub(kube_before).saturating_sub(applied);
    report.add("convergence_kube_requests", kube_during as f64, "requests (bench's applies excluded)", None);
    report.add("convergence_operator_peak_rss_mib", procfs::status_mib(pid, "VmHWM:").unwrap_or(f64::NAN), "MiB", None);
    if !converged {
        report.notes.push(format!(
            "not every object was Ready before the deadline; steady state and drift were not measured (log: {})",
            log.display()
        ));
        operator_counters(&mut report, &op).await;
        return Ok(report);
    }

    // 3: steady state over a few poll cycles.
    tokio::time::sleep(settings.settle).await;
    op.check_alive()?;
    let (s0, k0, cpu0, w0) = (sim.stats(), kube.requests(), procfs::cpu_seconds(pid), Instant::now());
    tokio::time::sleep(settings.steady).await;
    op.check_alive()?;
    let (s1, k1, cpu1, wall) = (sim.stats(), kube.requests(), procfs::cpu_seconds(pid), w0.elapsed().as_secs_f64());
    let cycles = wall / settings.poll_interval.as_secs_f64();
    let mut steady = stats_delta(&s0, &s1);
    // The events queue's own calls (a long poll every 20 s) are not ECS reads.
    let queue_calls: u64 = steady.iter().filter(|(o, _)| ecs::is_queue(o)).map(|(_, d)| d.0).sum();
    steady.retain(|o, _| !ecs::is_queue(o));
    let per_cycle = |op_name: &str| steady.get(op_name).map_or(0, |d| d.0) as f64 / cycles;
    let writes: u64 = steady.iter().filter(|(o, _)| ecs::is_write(o)).map(|(_, d)| d.0).sum();
    let reads: u64 = steady.iter().filter(|(o, _)| !ecs::is_write(o)).map(|(_, d)| d.0).sum();
    let other_reads: u64 = steady
        .iter()
        .filter(|(o, _)| !ecs::is_write(o) && !matches!(o.as_str(), "DescribeServices" | "DescribeClusters"))
        .map(|(_, d)| d.0)
        .sum();
    let n = services as f64;
    let cycle_name =
        format!("poll cycles of {} s (the operator's steady service poll)", settings.poll_interval.as_secs());
    report.add("steady_cycles", cycles, &cycle_name, None);
    report.add("steady_aws_writes", writes as f64, "calls", Some(0.0));
    // Every ECS read, all operations: ceil(N/10) + ceil(N/100) a cycle (a 20 s cycle polling, a
    // 10-minute one with events).
    let reads_goal = (n / 10.0).ceil() + (n / 100.0).ceil();
    report.add("steady_reads_per_cycle", reads as f64 / cycles, "calls, all ECS read operations", Some(reads_goal));
    report.add("steady_queue_calls_per_cycle", queue_calls as f64 / cycles, "SQS calls (long polls)", None);
    for (op_name, (calls, _)) in steady.iter().filter(|(o, _)| !ecs::is_write(o)) {
        report.add(&format!("steady_reads_{op_name}"), *calls as f64, "calls in the window", None);
    }
    report.add("steady_describe_services_per_cycle", per_cycle("DescribeServices"), "calls", Some((n / 10.0).ceil()));
    report.add("steady_describe_clusters_per_cycle", per_cycle("DescribeClusters"), "calls", Some((n / 100.0).ceil()));
    report.add("steady_other_reads_per_cycle", other_reads as f64 / cycles, "calls", None);
    report.add("steady_throttled_per_cycle", steady.values().map(|d| d.1).sum::<u64>() as f64 / cycles, "calls", None);
    if let (Some(a), Some(b)) = (cpu0, cpu1) {
        let cpu_goal = settings.events.then_some(EVENTS_CPU_GOAL_PERCENT);
        report.add("steady_operator_cpu_percent", (b - a) / wall * 100.0, "% of one core", cpu_goal);
    }
    let kube_steady = request_delta(&k0, &k1);
    let status_writes: u64 = kube_steady.iter().filter(|((_, _, _, sub), _)| sub == "status").map(|(_, c)| c).sum();
    let kube_steady_total: u64 = kube_steady.values().sum();
    report.add("steady_kube_requests_per_cycle", kube_steady_total as f64 / cycles, "requests", None);
    report.add("steady_status_writes_per_cycle", status_writes as f64 / cycles, "requests", None);
    let memory_goal = rss_goal(services, settings.events);
    report.add("steady_rss_mib", procfs::status_mib(pid, "VmRSS:").unwrap_or(f64::NAN), "MiB", memory_goal);
    // RSS = anonymous memory (heap, stacks) + file-backed pages (mostly the binary's code).
    let anon = procfs::status_mib(pid, "RssAnon:").unwrap_or(f64::NAN);
    report.add("steady_rss_anon_mib", anon, "MiB (heap and stacks)", None);
    let file = procfs::status_mib(pid, "RssFile:").unwrap_or(f64::NAN);
    report.add("steady_rss_file_mib", file, "MiB (mapped binary and libraries)", None);
    eprintln!(
        "[N={services}] steady: {:.1} DescribeServices/cycle, {writes} writes, {kube_steady_total} kube requests",
        per_cycle("DescribeServices")
    );

    // 4: drift latency.
    let remaining = deadline.saturating_duration_since(Instant::now()).min(settings.drift_timeout);
    drift(&layout, &drifted, &sim, &tracker, remaining, settings.events, &mut report).await?;
    op.check_alive()?;

    // 5: memory and the operator's own counters.
    let memory_goal = rss_goal(services, settings.events);
    report.add("peak_rss_mib", procfs::status_mib(pid, "VmHWM:").unwrap_or(f64::NAN), "MiB", memory_goal);
    report.add("kube_requests_total", kube_total(&kube) as f64, "requests (bench's included)", None);
    operator_counters(&mut report, &op).await;
    Ok(report)
}

/// The operator's own counters, for explaining the numbers.
async fn operator_counters(report: &mut RunReport, op: &Operator) {
    if let Ok((200, metrics)) = op.get("/metrics").await {
        let reconciles = operator::metric_sum(&metrics, "ecs_operator_reconciles_total");
        let writes = operator::metric_sum(&metrics, "ecs_operator_status_writes_total");
        let failures = operator::metric_sum(&metrics, "ecs_operator_reconcile_failures_total");
        report.add("operator_reconciles_total", reconciles, "reconciles", None);
        report.add("operator_status_writes_total", writes, "patches", None);
        report.add("operator_reconcile_failures_total", failures, "failures", None);
    }
}

fn ready_total(tracker: &Tracker) -> usize {
    tracker.ready_counts().values().sum()
}

async fn wait_converged(
    tracker: &Tracker,
    layout: &Layout,
    sim: &ecs_sim::SimHandle,
    op: &mut Operator,
    t0: Instant,
    by: Instant,
) -> Result<bool> {
    let mut last_print = Instant::now();
    loop {
        let ready = ready_total(tracker);
        if ready >= layout.object_count() {
            return Ok(true);
        }
        if Instant::now() >= by {
            return Ok(false);
        }
        op.check_alive()?;
        if last_print.elapsed() >= Duration::from_secs(15) {
            let counts = tracker.ready_counts();
            let stats = sim.stats();
            eprintln!(
                "[N={}] {:>5.0}s ready: clusters {}/{} taskdefs {}/{} services {}/{}; ECS calls {} (throttled {})",
                layout.services,
                t0.elapsed().as_secs_f64(),
                counts.get(&Kind::Cluster).unwrap_or(&0),
                layout.clusters,
                counts.get(&Kind::TaskDefinition).unwrap_or(&0),
                layout.task_definitions,
                counts.get(&Kind::Service).unwrap_or(&0),
                layout.services,
                stats.total_calls,
                stats.total_throttled
            );
            last_print = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `count` distinct service indices out of `services`, the same for the same seed.
fn pick(seed: u64, count: usize, services: usize) -> Vec<usize> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut picked = BTreeSet::new();
    while picked.len() < count {
        picked.insert(rng.usize(0..services));
    }
    let mut picked: Vec<usize> = picked.into_iter().collect();
    rng.shuffle(&mut picked);
    picked
}

/// Scales the chosen services out of band to 2 tasks (the spec says 1) and times how long
/// until `status.drift` names desiredCount (driftPolicy Report), and until ECS runs the
/// spec's count again (driftPolicy Correct).
async fn drift(
    layout: &Layout,
    drifted: &[usize],
    sim: &ecs_sim::SimHandle,
    tracker: &Tracker,
    timeout: Duration,
    events: bool,
    report: &mut RunReport,
) -> Result<()> {
    let start = Instant::now();
    // Correcting services by cluster, for batched checks of the count ECS runs.
    let mut correcting: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut reporting: Vec<String> = Vec::new();
    for &i in drifted {
        let (cluster, name) = (layout.cluster_of(i), Layout::service_name(i));
        if !ecs::update_desired_count(sim.endpoint(), &cluster, &name, 2).await? {
            return Err(BenchError::Failed(format!("ECS refused the out-of-band UpdateService of {name}")));
        }
        if layout.report_drift.contains(&i) {
            reporting.push(name);
        } else {
            correcting.entry(cluster).or_default().push(name);
        }
    }
    let correcting_total: usize = correcting.values().map(Vec::len).sum();
    let mut reported: BTreeMap<String, f64> = BTreeMap::new();
    let mut corrected: BTreeMap<String, f64> = BTreeMap::new();
    let mut last_check = Instant::now() - Duration::from_secs(1);
    while (reported.len() < reporting.len() || corrected.len() < correcting_total) && start.elapsed() < timeout {
        for name in &reporting {
            let listed =
                tracker.get(Kind::Service, name).is_some_and(|o| o.drift.iter().any(|f| f.contains("desiredCount")));
            if listed {
                reported.entry(name.clone()).or_insert_with(|| start.elapsed().as_secs_f64());
            }
        }
        // ECS's view once a second: one batched call per cluster for the ones not yet back.
        if last_check.elapsed() >= Duration::from_secs(1) {
            last_check = Instant::now();
            for (cluster, names) in &correcting {
                let open: Vec<String> = names.iter().filter(|n| !corrected.contains_key(*n)).cloned().collect();
                for chunk in open.chunks(10) {
                    for (name, count) in ecs::desired_counts(sim.endpoint(), cluster, chunk).await? {
                        if count == 1 {
                            corrected.entry(name).or_insert_with(|| start.elapsed().as_secs_f64());
                        }
                    }
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let within = if events { EVENTS_DRIFT_GOAL_SECONDS } else { DRIFT_GOAL_SECONDS };
    let goal = (layout.services <= GOAL_N || events).then_some(within);
    let median_goal = events.then_some(EVENTS_DRIFT_MEDIAN_GOAL_SECONDS);
    let worst = |m: &BTreeMap<String, f64>, wanted: usize| {
        if m.len() < wanted { timeout.as_secs_f64() } else { m.values().copied().fold(0.0, f64::max) }
    };
    report.add("drift_report_services", reporting.len() as f64, "services (driftPolicy Report)", None);
    report.add("drift_reported", reported.len() as f64, "services", None);
    report.add("drift_to_status_median_seconds", median(reported.values().copied()), "s", median_goal);
    report.add("drift_to_status_max_seconds", worst(&reported, reporting.len()), "s", goal);
    report.add("drift_correct_services", correcting_total as f64, "services (driftPolicy Correct)", None);
    report.add("drift_corrected", corrected.len() as f64, "services", None);
    report.add("drift_to_corrected_median_seconds", median(corrected.values().copied()), "s", None);
    report.add("drift_to_corrected_max_seconds", worst(&corrected, correcting_total), "s", goal);
    if reported.len() < reporting.len() || corrected.len() < correcting_total {
        report.notes.push(format!(
            "drift: {}/{} listed in status.drift and {}/{correcting_total} corrected within {:.0}s (the max is \
             reported as the timeout)",
            reported.len(),
            reporting.len(),
            corrected.len(),
            timeout.as_secs_f64()
        ));
    }
    Ok(())
}

fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// (calls, throttled) per operation between two snapshots.
fn stats_delta(before: &Stats, after: &Stats) -> BTreeMap<String, (u64, u64)> {
    after
        .operations
        .iter()
        .filter_map(|(op, a)| {
            let b = before.operations.get(op);
            let calls = a.calls.saturating_sub(b.map_or(0, |b| b.calls));
            let throttled = a.throttled.saturating_sub(b.map_or(0, |b| b.throttled));
            (calls > 0 || throttled > 0).then(|| (op.clone(), (calls, throttled)))
        })
        .collect()
}

type RequestKey = (String, String, String, String);

fn request_delta(before: &BTreeMap<RequestKey, u64>, after: &BTreeMap<RequestKey, u64>) -> BTreeMap<RequestKey, u64> {
    after
        .iter()
        .map(|(k, a)| (k.clone(), a.saturating_sub(before.get(k).copied().unwrap_or(0))))
        .filter(|(_, c)| *c > 0)
        .collect()
}

fn kube_total(kube: &kube_sim::KubeSim) -> u64 {
    kube.requests().values().sum()
}
