//! Simulator configuration: identity (region, account), clock, how long task lifecycle
//! steps take, which images fail, throttling, and the events queue. Plain data; `start()`
//! consumes it.

use std::time::Duration;

use crate::clock::ClockMode;
use crate::events::EventFaults;
use crate::throttle::ThrottleConfig;

/// How long each task lifecycle step takes in simulated time. The defaults are what a
/// small Fargate task shows in practice: ~10 s to attach an ENI, ~20 s to pull and start.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskTimings {
    pub provisioning: Duration,
    pub pending: Duration,
    /// How long a task whose image matches the failure pattern runs before its essential
    /// container exits with code 1.
    pub fail_after: Duration,
    /// How long the essential containers of a standalone task (RunTask) with no scripted
    /// outcome and no image matching the failure pattern run before they exit with code 0.
    pub standalone_run: Duration,
    /// How long every task of a deployment must have been RUNNING before ECS calls the
    /// deployment COMPLETED (its steady-state check). Longer than `fail_after`, so a
    /// crash-looping deployment never completes.
    pub steady_after: Duration,
    pub deactivating: Duration,
    pub stopping: Duration,
    pub deprovisioning: Duration,
    /// How long a STOPPED task stays visible to DescribeTasks/ListTasks (AWS: ≥ 1 hour).
    pub stopped_retention: Duration,
    /// How long a task definition stays DELETE_IN_PROGRESS before it disappears.
    pub delete_in_progress: Duration,
}

impl Default for TaskTimings {
    fn default() -> Self {
        TaskTimings {
            provisioning: Duration::from_secs(10),
            pending: Duration::from_secs(20),
            fail_after: Duration::from_secs(5),
            standalone_run: Duration::from_secs(10),
            steady_after: Duration::from_secs(10),
            deactivating: Duration::from_secs(5),
            stopping: Duration::from_secs(5),
            deprovisioning: Duration::from_secs(5),
            stopped_retention: Duration::from_secs(3600),
            delete_in_progress: Duration::from_secs(60),
        }
    }
}

/// Everything `start()` needs.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// 0 picks a free port.
    pub port: u16,
    pub region: String,
    pub account: String,
    pub clock: ClockMode,
    pub timings: TaskTimings,
    /// Regex matched against container images; a match makes the task exit with code 1
    /// shortly after it starts.
    pub failure_pattern: String,
    pub throttle: ThrottleConfig,
    /// Seed for ids and fault injection, so a test run is reproducible.
    pub seed: u64,
    /// Worker threads of the simulator's own runtime.
    pub worker_threads: usize,
    /// An SQS queue (by name, created at start) that ECS events are delivered to as EventBridge
    /// would; None: no events.
    pub events_queue: Option<String>,
    /// Delivery faults of those events from the start.
    pub event_faults: EventFaults,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            port: 0,
            region: "us-east-1".to_string(),
            account: "123456789012".to_string(),
            clock: ClockMode::Scaled { speed: 1.0 },
            timings: TaskTimings::default(),
            failure_pattern: ":fail".to_string(),
            throttle: ThrottleConfig::default(),
            seed: 0x5eed_ec55,
            worker_threads: 2,
            events_queue: None,
            event_faults: EventFaults::default(),
        }
    }
}

impl SimConfig {
    /// A configuration for tests: manual clock, no throttling, free port.
    pub fn for_tests() -> Self {
        SimConfig { clock: ClockMode::Manual, throttle: ThrottleConfig::unlimited(), ..SimConfig::default() }
    }
}
