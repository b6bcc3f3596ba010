//! `Sim`: the shared handle on the simulated account used by the HTTP front end and by
//! `SimHandle`. It applies the cross-cutting steps every call goes through — counting,
//! throttling, fault injection, catching the state up to simulated now, the CloudTrail event
//! of a write — and exposes the admin operations. The lock is never held across an await.
//! SQS queues live beside the state (`sqs`), under their own lock, so a long poll never
//! holds the simulation up.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::config::SimConfig;
use crate::ecs_events::ApiCall;
use crate::error::{ApiError, ApiResult, Error};
use crate::events::{EventFaults, EventStats, Events};
use crate::faults::{FaultDecision, FaultSpec};
use crate::hostile::{Mutation, Mutations};
use crate::services::ServiceKey;
use crate::sqs::{Sqs, SqsError, queue_url};
use crate::state::State;
use crate::stats::Stats;
use crate::task_outcomes::TaskOutcome;
use crate::throttle::ThrottleConfig;

/// Which JSON API a call belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Ecs,
    AutoScaling,
}

/// What the front end must do before running a call.
#[derive(Debug, Default)]
pub struct Admission {
    pub latency: Option<Duration>,
    /// Throttled or injected: answer with this and do not run the call.
    pub error: Option<ApiError>,
}

/// Who signed a request (the SigV4 access key id and credential-scope region), with what,
/// and the request id it is answered under: what CloudTrail records of a call.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub access_key: Option<String>,
    pub region: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

#[derive(Clone)]
pub struct Sim {
    state: Arc<Mutex<State>>,
    config: Arc<SimConfig>,
    /// Edits of answers on the wire; apart from the state, which they never touch.
    mutations: Arc<Mutex<Mutations>>,
    sqs: Arc<Sqs>,
}

impl Sim {
    pub fn new(config: SimConfig) -> Result<Self, Error> {
        let sqs = Arc::new(Sqs::new(&config.region, &config.account, config.seed));
        if let Some(name) = &config.events_queue {
            sqs.ensure_queue(name).map_err(|e| Error::EventsQueue { name: name.clone(), reason: e.message })?;
        }
        let state = fresh_state(&config, &sqs)?;
        Ok(Sim { state: Arc::new(Mutex::new(state)), config: Arc::new(config), mutations: Arc::default(), sqs })
    }

    /// A panic while holding the lock leaves the state as it was at that point; serving
    /// on is more useful to a test than poisoning every later call.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts the call and decides throttling and injected faults.
    pub fn admit(&self, op: &str) -> Admission {
        self.admit_with(op, crate::faults::Faults::decide)
    }

    /// As `admit`, for an SQS call: counted and throttled (only by a throttle override naming
    /// it: ECS's default buckets do not cover SQS), faults only from a rule naming it.
    pub fn admit_sqs(&self, op: &str) -> Admission {
        self.admit_with(op, crate::faults::Faults::decide_named)
    }

    fn admit_with(
        &self,
        op: &str,
        decide: fn(&mut crate::faults::Faults, &str, &mut fastrand::Rng) -> FaultDecision,
    ) -> Admission {
        let mut st = self.lock();
        st.stats.record_call(op);
        if !st.throttler.try_acquire(op, Instant::now()) {
            st.stats.record_throttled(op);
            return Admission { latency: None, error: Some(ApiError::throttled()) };
        }
        let st = &mut *st;
        let decision = decide(&mut st.faults, op, &mut st.rng);
        if decision.error.is_some() {
            st.stats.record_injected(op);
        }
        Admission { latency: decision.latency, error: decision.error }
    }

    /// Runs one call as `caller`: the call is counted under the caller's principal, and ARNs it
    /// creates carry the caller's account (an assumed role's) and signed region, as AWS's would.
    /// State is not partitioned by account or region: names are shared (see the README).
    pub fn run_json_as(&self, api: Api, op: &str, body: &Value, caller: &Caller) -> ApiResult<Value> {
        let mut st = self.lock();
        st.catch_up();
        let principal = caller.access_key.as_deref().and_then(|k| st.sts_sessions.get(k)).cloned();
        let default_ident = st.ident.clone();
        if let Some(account) = principal.as_deref().and_then(|arn| arn.split(':').nth(4)) {
            st.ident.account = account.to_owned();
        }
        if let Some(region) = &caller.region {
            st.ident.region = region.clone();
        }
        let region = st.ident.region.clone();
        st.stats.record_caller(principal.as_deref().unwrap_or("default"), &region, op);
        let result = match api {
            Api::Ecs => st.call_ecs(op, body),
            Api::AutoScaling => st.call_autoscaling(op, body),
        };
        if let (Api::Ecs, Ok(response)) = (api, &result) {
            st.emit_api_call(&ApiCall {
                operation: op,
                request: body,
                response,
                principal: principal.as_deref(),
                access_key: caller.access_key.as_deref(),
                user_agent: caller.user_agent.as_deref(),
                request_id: caller.request_id.as_deref(),
            });
        }
        st.ident = default_ident;
        if result.is_err() {
            st.stats.record_error(op);
        }
        result
    }

    pub fn run_sts(
        &self,
        form: &HashMap<String, String>,
        access_key: Option<&str>,
        request_id: &str,
    ) -> Result<String, ApiError> {
        let mut st = self.lock();
        st.catch_up();
        st.call_sts(form, access_key, request_id)
    }

    /// Replaces `operation`'s answer edits (an empty list removes them).
    pub fn set_response_mutations(&self, operation: &str, mutations: Vec<Mutation>) {
        self.mutations().set(operation, mutations);
    }

    pub fn clear_response_mutations(&self) {
        self.mutations().clear();
    }

    pub fn response_mutations(&self) -> std::collections::BTreeMap<String, Vec<Mutation>> {
        self.mutations().all()
    }

    /// Applies `operation`'s edits to its successful answer.
    pub fn mutate_response(&self, operation: &str, body: &mut Value) {
        self.mutations().apply(operation, body);
    }

    fn mutations(&self) -> MutexGuard<'_, Mutations> {
        self.mutations.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn stats(&self) -> Stats {
        self.lock().stats.clone()
    }

    /// Simulated time now, in milliseconds since the epoch.
    pub fn now_ms(&self) -> u64 {
        let mut st = self.lock();
        st.catch_up();
        st.now
    }

    pub fn advance(&self, by: Duration) {
        self.lock().advance_clock(by);
    }

    pub fn set_fault(&self, spec: FaultSpec) {
        self.lock().faults.set(spec);
    }

    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    pub fn faults(&self) -> Vec<FaultSpec> {
        self.lock().faults.rules()
    }

    pub fn set_throttle(&self, config: ThrottleConfig) {
        self.lock().throttler.configure(config);
    }

    pub fn throttle(&self) -> ThrottleConfig {
        self.lock().throttler.config().clone()
    }

    pub fn set_task_failure_pattern(&self, pattern: &str) -> Result<(), Error> {
        let re = regex::Regex::new(pattern)
            .map_err(|source| Error::FailurePattern { pattern: pattern.to_string(), source })?;
        self.lock().failure_pattern = re;
        Ok(())
    }

    /// Runs one SQS call; failures are counted as the operation's errors.
    pub async fn run_sqs(&self, op: &str, body: &Value, base: &str) -> Result<Value, SqsError> {
        let result = self.sqs.call(op, body, base).await;
        if result.is_err() {
            self.lock().stats.record_error(op);
        }
        result
    }

    /// Replays every timer due (the events ticker's step).
    pub fn catch_up(&self) {
        self.lock().catch_up();
    }

    /// The events queue's URL on endpoint `base`, if events are on.
    pub fn events_queue_url(&self, base: &str) -> Option<String> {
        let name = self.config.events_queue.as_deref()?;
        Some(queue_url(base, &self.config.account, name))
    }

    pub fn set_event_faults(&self, faults: EventFaults) {
        self.lock().events.set_faults(faults);
    }

    pub fn event_faults(&self) -> EventFaults {
        self.lock().events.faults()
    }

    pub fn event_stats(&self) -> EventStats {
        self.lock().events.stats()
    }

    /// Forgets every resource, statistic, fault and throttle setting, every SQS queue but the
    /// events queue (which is emptied, keeping its URL) and the event faults and statistics;
    /// simulated time keeps going forward so timestamps stay monotonic.
    pub fn reset(&self) -> Result<(), Error> {
        let mut fresh = fresh_state(&self.config, &self.sqs)?;
        let mut st = self.lock();
        std::mem::swap(&mut fresh.clock, &mut st.clock);
        fresh.now = st.now;
        *st = fresh;
        // Under the state lock, so no event of the old state lands in the emptied queue.
        self.sqs.reset(self.config.events_queue.as_deref());
        drop(st);
        self.clear_response_mutations();
        Ok(())
    }

    /// Scripts the outcomes of standalone tasks running `image` (see `task_outcomes`).
    pub fn set_task_outcomes(&self, image: &str, outcomes: Vec<TaskOutcome>) -> Result<(), String> {
        crate::task_outcomes::validate(image, &outcomes)?;
        let mut st = self.lock();
        st.catch_up();
        st.set_task_outcomes(image, outcomes);
        Ok(())
    }

    pub fn clear_task_outcomes(&self) {
        let mut st = self.lock();
        st.catch_up();
        st.task_outcomes.clear();
    }

    /// Changes a service's desiredCount out of band, as someone using the console would.
    pub fn set_desired_count(&self, cluster: &str, service: &str, desired: u32) -> ApiResult<()> {
        let mut st = self.lock();
        st.catch_up();
        let key = ServiceKey { cluster: cluster.to_string(), name: service.to_string() };
        st.set_desired_count(&key, desired, crate::ecs_events::Actor::Console)
    }

    /// Makes UpdateService keep the service's `field` at `value` (see `kept_fields`).
    pub fn keep_service_field(&self, cluster: &str, service: &str, field: &str, value: Value) -> ApiResult<()> {
        let mut st = self.lock();
        st.catch_up();
        let key = ServiceKey { cluster: cluster.to_string(), name: service.to_string() };
        st.keep_service_field(&key, field, value)
    }

    pub fn release_service_field(&self, cluster: &str, service: &str, field: &str) {
        let key = ServiceKey { cluster: cluster.to_string(), name: service.to_string() };
        self.lock().release_service_field(&key, field);
    }

    /// What the simulated Lambda function `arn` answers from now on when a lifecycle hook
    /// invokes it: SUCCEEDED, FAILED or IN_PROGRESS (a hook already IN_PROGRESS picks it up at
    /// its next re-invocation).
    pub fn set_lambda_hook_outcome(&self, arn: &str, outcome: &str) -> Result<(), String> {
        let outcome = crate::lifecycle_hooks::LambdaOutcome::parse(outcome)?;
        if arn.is_empty() {
            return Err("hookTargetArn must not be empty".to_string());
        }
        let mut st = self.lock();
        st.catch_up();
        st.lambda_outcomes.insert(arn.to_string(), outcome);
        Ok(())
    }

    /// Every Lambda hook target answers SUCCEEDED again.
    pub fn clear_lambda_hook_outcomes(&self) {
        let mut st = self.lock();
        st.catch_up();
        st.lambda_outcomes.clear();
    }

    /// Sets a CloudWatch alarm's state (ALARM, OK or INSUFFICIENT_DATA); deployments in
    /// progress that watch it react at once.
    pub fn set_alarm_state(&self, name: &str, state: &str) -> Result<(), String> {
        if !matches!(state, "ALARM" | "OK" | "INSUFFICIENT_DATA") {
            return Err(format!("state must be ALARM, OK or INSUFFICIENT_DATA, got {state:?}"));
        }
        if name.is_empty() {
            return Err("alarmName must not be empty".to_string());
        }
        let mut st = self.lock();
        st.catch_up();
        st.alarm_states.insert(name.to_string(), state.to_string());
        st.alarms_changed();
        Ok(())
    }

    /// Every alarm is OK again.
    pub fn clear_alarms(&self) {
        let mut st = self.lock();
        st.catch_up();
        st.alarm_states.clear();
    }

    /// Acts as Application Auto Scaling acting on a registered target.
    pub fn scale(&self, resource_id: &str, desired: u32) -> ApiResult<u32> {
        let mut st = self.lock();
        st.catch_up();
        st.scale_service(resource_id, desired)
    }
}

/// A state with events wired to `sqs` as `config` says.
fn fresh_state(config: &SimConfig, sqs: &Arc<Sqs>) -> Result<State, Error> {
    let mut st = State::new(config)?;
    st.events = Events::new(config.events_queue.clone(), sqs.clone(), config.seed);
    st.events.set_faults(config.event_faults.clone());
    Ok(st)
}
