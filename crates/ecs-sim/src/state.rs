//! The simulated account: every resource, the timer queue that moves tasks through
//! their lifecycle, and the dispatch from operation names to handlers. Time is advanced
//! lazily: each call first replays every timer due up to the simulated `now`, in order,
//! so the state a caller sees is exactly what a continuously running ECS would show.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::time::Duration;

use regex::Regex;
use serde_json::Value;

use crate::autoscaling::{ScalableTarget, ScalingPolicy};
use crate::capacity_providers::CapacityProvider;
use crate::clock::SimClock;
use crate::clusters::Cluster;
use crate::config::{SimConfig, TaskTimings};
use crate::error::{ApiError, ApiResult, Error, ErrorKind};
use crate::faults::Faults;
use crate::protocol::Identity;
use crate::services::{Service, ServiceKey};
use crate::stats::Stats;
use crate::task_definitions::Family;
use crate::tasks::Task;
use crate::throttle::Throttler;

/// Something due at a simulated instant.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum TimerKind {
    /// A task's next lifecycle step (stale if the task's `next_at` moved).
    Task(String),
    /// Re-run a service's scheduler (a bake time or step wait ending, a lifecycle hook due
    /// again or expiring, a requested rollback starting).
    Service(ServiceKey),
    /// Remove a DELETE_IN_PROGRESS task definition revision.
    TaskDefinitionDelete(String, u32),
    /// Forget a cluster deleted at this instant (ignored if it was created again since).
    ClusterPurge(String, u64),
    /// Forget a service that went INACTIVE at this instant (ignored if it was created again).
    ServicePurge(ServiceKey, u64),
    /// Forget a RunTask client token (cluster, token) first used at this instant.
    RunTaskTokenExpiry(String, String, u64),
}

/// (due at ms, insertion sequence, what): the sequence keeps equal-time timers in FIFO
/// order so replays are deterministic.
type Timer = Reverse<(u64, u64, TimerKind)>;

/// A client token seen on CreateService: the request it came with and what it created.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub fingerprint: String,
    pub service: ServiceKey,
}

pub struct State {
    pub ident: Identity,
    pub clock: SimClock,
    /// Simulated time the state has been advanced to (ms since epoch).
    pub now: u64,
    pub timings: TaskTimings,
    pub failure_pattern: Regex,
    pub rng: fastrand::Rng,
    pub clusters: BTreeMap<String, Cluster>,
    pub capacity_providers: BTreeMap<String, CapacityProvider>,
    pub families: BTreeMap<String, Family>,
    pub services: BTreeMap<ServiceKey, Service>,
    pub tasks: BTreeMap<String, Task>,
    pub client_tokens: HashMap<String, TokenRecord>,
    /// RunTask client tokens by (cluster, token).
    pub run_tokens: crate::run_task::RunTokens,
    /// Scripted outcomes of standalone tasks, by image.
    pub task_outcomes: crate::task_outcomes::Scripts,
    timers: BinaryHeap<Timer>,
    timer_seq: u64,
    pub throttler: Throttler,
    pub faults: Faults,
    pub stats: Stats,
    pub scalable_targets: BTreeMap<(String, String), ScalableTarget>,
    pub scaling_policies: BTreeMap<(String, String, String), ScalingPolicy>,
    /// Access key ids handed out by STS AssumeRole → the assumed-role ARN.
    pub sts_sessions: HashMap<String, String>,
    /// Service fields UpdateService keeps whatever it is sent (a fault tests ask for).
    pub kept_service_fields: crate::kept_fields::KeptFields,
    /// What each simulated Lambda hook target answers, by function ARN (SUCCEEDED if unset).
    pub lambda_outcomes: HashMap<String, crate::lifecycle_hooks::LambdaOutcome>,
    /// CloudWatch alarm states set by tests (`ALARM`, `OK`, `INSUFFICIENT_DATA`); unset is OK.
    pub alarm_states: HashMap<String, String>,
    /// Where ECS events go (EventBridge to an SQS queue); off unless `SimConfig::events_queue`.
    pub events: crate::events::Events,
}

impl State {
    pub fn new(config: &SimConfig) -> Result<Self, Error> {
        let failure_pattern = Regex::new(&config.failure_pattern)
            .map_err(|source| Error::FailurePattern { pattern: config.failure_pattern.clone(), source })?;
        let clock = SimClock::new(config.clock);
        let now = clock.now_ms();
        Ok(State {
            ident: Identity { region: config.region.clone(), account: config.account.clone() },
            clock,
            now,
            timings: config.timings.clone(),
            failure_pattern,
            rng: fastrand::Rng::with_seed(config.seed),
            clusters: BTreeMap::new(),
            capacity_providers: BTreeMap::new(),
            families: BTreeMap::new(),
            services: BTreeMap::new(),
            tasks: BTreeMap::new(),
            client_tokens: HashMap::new(),
            run_tokens: HashMap::new(),
            task_outcomes: HashMap::new(),
            timers: BinaryHeap::new(),
            timer_seq: 0,
            throttler: Throttler::new(config.throttle.clone()),
            faults: Faults::default(),
            stats: Stats::default(),
            scalable_targets: BTreeMap::new(),
            scaling_policies: BTreeMap::new(),
            sts_sessions: HashMap::new(),
            kept_service_fields: BTreeMap::new(),
            lambda_outcomes: HashMap::new(),
            alarm_states: HashMap::new(),
            events: crate::events::Events::off(),
        })
    }

    pub fn schedule(&mut self, at: u64, kind: TimerKind) {
        self.timer_seq += 1;
        self.timers.push(Reverse((at, self.timer_seq, kind)));
    }

    /// Replays every timer due up to the clock's current time.
    pub fn catch_up(&mut self) {
        let now = self.clock.now_ms().max(self.now);
        self.advance_to(now);
    }

    pub fn advance_clock(&mut self, by: Duration) {
        self.clock.advance(by);
        self.catch_up();
    }

    fn advance_to(&mut self, now: u64) {
        while let Some(Reverse((at, _, _))) = self.timers.peek() {
            if *at > now {
                break;
            }
            let Some(Reverse((at, _, kind))) = self.timers.pop() else { break };
            self.now = at;
            self.fire(at, kind);
        }
        self.now = now;
    }

    fn fire(&mut self, at: u64, kind: TimerKind) {
        match kind {
            TimerKind::Task(id) => {
                if let Some(key) = self.on_task_timer(&id, at) {
                    self.reconcile_service(&key, at);
                }
            }
            TimerKind::Service(key) => self.reconcile_service(&key, at),
            TimerKind::TaskDefinitionDelete(family, revision) => {
                self.finish_task_definition_delete(&family, revision, at)
            }
            TimerKind::ClusterPurge(name, deleted_at) => self.purge_cluster(&name, deleted_at),
            TimerKind::ServicePurge(key, inactive_at) => self.purge_service(&key, inactive_at),
            TimerKind::RunTaskTokenExpiry(cluster, token, used_at) => self.expire_run_token(cluster, token, used_at),
        }
    }

    pub fn random_hex(&mut self, len: usize) -> String {
        (0..len).map(|_| char::from_digit(self.rng.u32(0..16), 16).unwrap_or('0')).collect()
    }

    /// An id shaped like a UUID, for events and request ids.
    pub fn random_uuid(&mut self) -> String {
        let h = self.random_hex(32);
        format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
    }

    /// ECS deployment ids: `ecs-svc/` and 19 digits.
    pub fn deployment_id(&mut self) -> String {
        format!("ecs-svc/{}", self.rng.u64(1_000_000_000_000_000_000..10_000_000_000_000_000_000))
    }

    /// Runs one ECS operation against the state (already caught up to now).
    pub fn call_ecs(&mut self, op: &str, body: &Value) -> ApiResult<Value> {
        match op {
            "CreateCluster" => self.create_cluster(body),
            "DescribeClusters" => self.describe_clusters(body),
            "UpdateCluster" => self.update_cluster(body),
            "UpdateClusterSettings" => self.update_cluster_settings(body),
            "PutClusterCapacityProviders" => self.put_cluster_capacity_providers(body),
            "DeleteCluster" => self.delete_cluster(body),
            "ListClusters" => self.list_clusters(body),
            "CreateCapacityProvider" => self.create_capacity_provider(body),
            "DescribeCapacityProviders" => self.describe_capacity_providers(body),
            "UpdateCapacityProvider" => self.update_capacity_provider(body),
            "DeleteCapacityProvider" => self.delete_capacity_provider(body),
            "RegisterTaskDefinition" => self.register_task_definition(body),
            "DescribeTaskDefinition" => self.describe_task_definition(body),
            "DeregisterTaskDefinition" => self.deregister_task_definition(body),
            "DeleteTaskDefinitions" => self.delete_task_definitions(body),
            "ListTaskDefinitions" => self.list_task_definitions(body),
            "ListTaskDefinitionFamilies" => self.list_task_definition_families(body),
            "CreateService" => self.create_service(body),
            "DescribeServices" => self.describe_services(body),
            "UpdateService" => self.update_service(body),
            "DeleteService" => self.delete_service(body),
            "ListServices" => self.list_services(body),
            "ListTasks" => self.list_tasks(body),
            "DescribeTasks" => self.describe_tasks(body),
            "StopTask" => self.stop_task_api(body),
            "RunTask" => self.run_task(body),
            "TagResource" => self.tag_resource(body),
            "UntagResource" => self.untag_resource(body),
            "ListTagsForResource" => self.list_tags_for_resource(body),
            "DescribeServiceDeployments" => self.describe_service_deployments(body),
            "ListServiceDeployments" => self.list_service_deployments(body),
            "ContinueServiceDeployment" => self.continue_service_deployment(body),
            "StopServiceDeployment" => self.stop_service_deployment(body),
            "DescribeServiceRevisions" => self.describe_service_revisions(body),
            "CreateExpressGatewayService" => self.create_express_gateway_service(body),
            "UpdateExpressGatewayService" => self.update_express_gateway_service(body),
            "DescribeExpressGatewayService" => self.describe_express_gateway_service(body),
            "DeleteExpressGatewayService" => self.delete_express_gateway_service(body),
            _ => Err(ApiError::new(ErrorKind::UnknownOperation, format!("Unknown operation {op}"))),
        }
    }

    /// Looks up an ACTIVE cluster by name or ARN (default: `default`). An INACTIVE one is
    /// ClusterNotFoundException "The referenced cluster was inactive.", as CreateService and
    /// UpdateService answer in AWS.
    pub fn active_cluster(&self, ident: Option<&str>) -> ApiResult<&Cluster> {
        let name = crate::protocol::cluster_name(ident.unwrap_or("default"));
        match self.clusters.get(&name) {
            Some(c) if c.is_active() => Ok(c),
            Some(_) => Err(ApiError::cluster_inactive()),
            None => Err(ApiError::cluster_not_found()),
        }
    }
}
