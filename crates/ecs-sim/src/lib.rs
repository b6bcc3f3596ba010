//! ecs-sim: a local stand-in for Amazon ECS (plus Application Auto Scaling, STS and SQS)
//! that speaks the AWS JSON 1.1, JSON 1.0 and query protocols exactly as the AWS SDKs send
//! them and behaves like ECS over time: deployments roll out on a simulated clock, tasks
//! start and fail, the circuit breaker trips, calls are throttled, and ECS events reach an
//! SQS queue as EventBridge would deliver them. It is a test bed for ecs-operator and never
//! talks to AWS.
//!
//! ```no_run
//! let sim = ecs_sim::start(ecs_sim::SimConfig::for_tests()).expect("start ecs-sim");
//! println!("point the SDK at {}", sim.endpoint());
//! sim.advance(std::time::Duration::from_secs(60));
//! ```

mod admin;
mod autoscaling;
mod capacity_providers;
mod clock;
mod clusters;
mod config;
mod deployment_configs;
mod deployments;
mod ecs_events;
mod error;
mod events;
mod express;
mod express_config;
mod express_request;
mod express_resources;
mod faults;
mod hostile;
mod http;
mod kept_fields;
mod lifecycle_hooks;
mod managed_instances;
mod placement;
mod protocol;
mod run_task;
mod service_deployments;
mod service_revisions;
mod service_settings;
mod services;
mod sim;
mod sqs;
mod sqs_queues;
mod state;
mod stats;
mod sts;
mod tags;
mod task_definitions;
mod task_outcomes;
mod tasks;
mod td_rules;
mod throttle;

use std::time::Duration;

use tokio::sync::watch;

pub use clock::ClockMode;
pub use config::{SimConfig, TaskTimings};
pub use error::{ApiError, Error, Result};
pub use events::{EventFaults, EventStats};
pub use faults::FaultSpec;
pub use hostile::{MAX_GROWN_ITEMS, Mutation};
pub use service_settings::DEFAULT_SECURITY_GROUP;
pub use stats::{DuplicateCreate, OWNER_TAG, OpStats, RunTaskCounts, Stats};
pub use task_outcomes::TaskOutcome;
pub use throttle::{BucketSpec, ThrottleConfig, default_bucket};

use sim::Sim;

/// A running simulator. Dropping it stops the server.
pub struct SimHandle {
    endpoint: String,
    port: u16,
    sim: Sim,
    shutdown: watch::Sender<bool>,
    runtime: Option<tokio::runtime::Runtime>,
}

/// Binds 127.0.0.1 (`config.port`, 0 for any free port) and serves on a runtime of the
/// simulator's own, so it works the same from sync code, `#[tokio::test]` or a binary.
pub fn start(config: SimConfig) -> Result<SimHandle> {
    let port = config.port;
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).map_err(|source| Error::Bind { port, source })?;
    listener.set_nonblocking(true).map_err(|source| Error::Bind { port, source })?;
    let addr = listener.local_addr().map_err(|source| Error::Bind { port, source })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.worker_threads.max(1))
        .thread_name("ecs-sim")
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    let listener = {
        let _guard = runtime.enter();
        tokio::net::TcpListener::from_std(listener).map_err(|source| Error::Bind { port, source })?
    };
    let ticker = config.events_queue.is_some() && matches!(config.clock, ClockMode::Scaled { .. });
    let sim = Sim::new(config)?;
    let (shutdown, rx) = watch::channel(false);
    if ticker {
        runtime.spawn(events::run_ticker(sim.clone(), rx.clone()));
    }
    runtime.spawn(http::serve(listener, sim.clone(), rx));
    Ok(SimHandle { endpoint: format!("http://{addr}"), port: addr.port(), sim, shutdown, runtime: Some(runtime) })
}

impl SimHandle {
    /// `http://127.0.0.1:<port>`, for `endpoint_url` / `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn stats(&self) -> Stats {
        self.sim.stats()
    }

    /// Moves simulated time forward and replays everything due meanwhile.
    pub fn advance(&self, by: Duration) {
        self.sim.advance(by);
    }

    /// Simulated time, milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> u64 {
        self.sim.now_ms()
    }

    /// Adds or replaces the fault rule for `spec.operation` (`*` for every operation).
    pub fn set_fault(&self, spec: FaultSpec) {
        self.sim.set_fault(spec);
    }

    pub fn clear_faults(&self) {
        self.sim.clear_faults();
    }

    pub fn set_throttle(&self, config: ThrottleConfig) {
        self.sim.set_throttle(config);
    }

    /// Tasks whose essential container image matches `pattern` exit with code 1.
    pub fn set_task_failure_pattern(&self, pattern: &str) -> Result<()> {
        self.sim.set_task_failure_pattern(pattern)
    }

    /// Edits every successful answer to `operation` on the wire with `mutations`, in order
    /// (replacing earlier ones; an empty list removes them): missing members, unknown enum
    /// values, huge lists, wrong types. The simulated state is unaffected. Cleared by `reset`.
    pub fn set_response_mutations(&self, operation: &str, mutations: Vec<Mutation>) -> Result<(), ApiError> {
        for m in &mutations {
            m.validate().map_err(ApiError::invalid)?;
        }
        self.sim.set_response_mutations(operation, mutations);
        Ok(())
    }

    /// One edit for `operation` (see [`Self::set_response_mutations`]).
    pub fn set_response_mutation(&self, operation: &str, mutation: Mutation) -> Result<(), ApiError> {
        self.set_response_mutations(operation, vec![mutation])
    }

    pub fn clear_response_mutations(&self) {
        self.sim.clear_response_mutations();
    }

    pub fn reset(&self) -> Result<()> {
        self.sim.reset()
    }

    /// Scripts how standalone (RunTask) tasks running `image` (matched exactly) end: the i-th
    /// container started with that image gets `outcomes[i]`, the last outcome repeats. Replaces
    /// an earlier script for the image and starts counting again. Cleared by `reset`.
    pub fn set_task_outcomes(&self, image: &str, outcomes: Vec<TaskOutcome>) -> Result<(), String> {
        self.sim.set_task_outcomes(image, outcomes)
    }

    /// Forgets every scripted outcome: standalone tasks exit 0 after
    /// `TaskTimings::standalone_run` again (or 1, for an image matching the failure pattern).
    pub fn clear_task_outcomes(&self) {
        self.sim.clear_task_outcomes();
    }

    /// Tasks RunTask started: in all, by `startedBy` and by `clientToken`.
    pub fn run_task_counts(&self) -> RunTaskCounts {
        self.sim.stats().run_tasks
    }

    /// Someone else changes desiredCount (console, another tool).
    pub fn set_desired_count(&self, cluster: &str, service: &str, desired: u32) -> Result<(), ApiError> {
        self.sim.set_desired_count(cluster, service, desired)
    }

    /// AWS keeps its own value of one field of a service: sets `field` (a top-level
    /// UpdateServiceRequest member such as `enableExecuteCommand`) to `value` now, as someone
    /// outside the operator would, and from then on answers every UpdateService that sends the
    /// field with success while keeping `value`, as AWS does when it normalises a value or
    /// ignores it in some combinations. Until [`Self::release_service_field`] or `reset`.
    pub fn keep_service_field(
        &self,
        cluster: &str,
        service: &str,
        field: &str,
        value: serde_json::Value,
    ) -> Result<(), ApiError> {
        self.sim.keep_service_field(cluster, service, field, value)
    }

    /// UpdateService applies `field` of the service again (see [`Self::keep_service_field`]).
    pub fn release_service_field(&self, cluster: &str, service: &str, field: &str) {
        self.sim.release_service_field(cluster, service, field);
    }

    /// What the simulated Lambda function `arn` answers when a deployment lifecycle hook
    /// invokes it: `SUCCEEDED` (the default for a function nobody scripted), `FAILED` (the hook
    /// fails and the deployment rolls back) or `IN_PROGRESS` (invoked again every 30 simulated
    /// seconds until it answers otherwise or the hook times out). Cleared by `reset`.
    pub fn set_lambda_hook_outcome(&self, arn: &str, outcome: &str) -> Result<(), String> {
        self.sim.set_lambda_hook_outcome(arn, outcome)
    }

    /// Forgets every scripted Lambda outcome.
    pub fn clear_lambda_hook_outcomes(&self) {
        self.sim.clear_lambda_hook_outcomes();
    }

    /// Sets a CloudWatch alarm's state: `ALARM`, `OK` or `INSUFFICIENT_DATA` (an alarm never
    /// set is OK). A deployment in progress whose `deploymentConfiguration.alarms` is enabled
    /// and names an alarm in ALARM fails at once. Cleared by `reset`.
    pub fn set_alarm_state(&self, name: &str, state: &str) -> Result<(), String> {
        self.sim.set_alarm_state(name, state)
    }

    /// Every alarm is OK again.
    pub fn clear_alarms(&self) {
        self.sim.clear_alarms();
    }

    /// Application Auto Scaling moves desiredCount of `service/<cluster>/<service>`,
    /// clamped to the registered bounds; returns the count applied.
    pub fn autoscale(&self, resource_id: &str, desired: u32) -> Result<u32, ApiError> {
        self.sim.scale(resource_id, desired)
    }

    /// `<endpoint>/<account>/<name>` of `SimConfig::events_queue`, for the SQS client; None
    /// when events are off.
    pub fn events_queue_url(&self) -> Option<String> {
        self.sim.events_queue_url(&self.endpoint)
    }

    /// Replaces the event delivery faults (probabilities outside 0..=1 are clamped into it).
    /// Cleared by `reset`.
    pub fn set_event_faults(&self, faults: EventFaults) {
        self.sim.set_event_faults(faults);
    }

    /// Events published, delivered, lost and duplicated since start or reset.
    pub fn event_stats(&self) -> EventStats {
        self.sim.event_stats()
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        // shutdown_background never blocks, so dropping inside an async test is safe.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}
