//! What every reconcile gets: the operator's settings ([`Config`]), the caches it reads
//! ([`Stores`]) and the [`Context`] that holds the clients, one per AWS target.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::runtime::events::{Recorder, Reporter};
use kube::runtime::reflector::Store;
use kube::{Client, Resource};

use super::drift;
use super::error::Error;
use crate::aws::AwsClients;
use crate::aws::autoscaling::AutoscalingApi;
use crate::aws::describe::ServiceDescriber;
use crate::aws::ecs::EcsApi;
use crate::crd::capacity_provider::CapacityProvider;
use crate::crd::{ECSCluster, ECSService, ECSTask, TaskDefinition};
use crate::metrics::Metrics;

/// Settings every controller reads.
#[derive(Debug, Clone)]
pub struct Config {
    /// Written into the ownership tags, so two Kubernetes clusters sharing an AWS account never
    /// mistake each other's resources.
    pub cluster_id: String,
    /// Field manager of status writes.
    pub field_manager: String,
    /// How often a healthy object is checked against AWS.
    pub resync_interval: Duration,
    /// How often a service is checked while its rollout moves (or a reference is awaited).
    pub rollout_poll_interval: Duration,
    /// How often a steady service is checked for drift. DescribeServices calls are shared, so
    /// a poll of N services costs about N/10 calls.
    pub service_poll_interval: Duration,
    /// How often an object whose error retrying cannot fix is looked at again (an IAM role or
    /// a quota can change outside the spec).
    pub terminal_recheck: Duration,
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// Namespaces to watch; empty means all.
    pub namespaces: Vec<String>,
    /// Only objects matching this label selector are reconciled (sharding across releases).
    pub label_selector: Option<String>,
    pub max_concurrent_reconciles: u16,
    /// Where reconciles, failures, durations and status writes are counted; also carries the
    /// readiness `/readyz` reports.
    pub metrics: Arc<Metrics>,
    /// How long a drift correction AWS did not take waits before it is sent again (see
    /// `drift`); the default is the production schedule.
    pub correction_backoff: drift::Backoff,
    /// The wait before an ECSTask's first retry; each later retry waits twice as long as the
    /// one before (capped at six minutes), as a Job's pods do.
    pub task_retry_base: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            cluster_id: "default".into(),
            field_manager: "ecs-operator".into(),
            resync_interval: Duration::from_secs(300),
            rollout_poll_interval: Duration::from_secs(5),
            service_poll_interval: Duration::from_secs(20),
            terminal_recheck: Duration::from_secs(600),
            retry_base: Duration::from_secs(1),
            retry_max: Duration::from_secs(300),
            namespaces: Vec::new(),
            label_selector: None,
            max_concurrent_reconciles: 8,
            metrics: Arc::default(),
            correction_backoff: drift::Backoff::default(),
            task_retry_base: Duration::from_secs(10),
        }
    }
}

/// Per object: the generation last checked against AWS, and when.
type CheckedAt = Arc<Mutex<HashMap<String, (Option<i64>, std::time::Instant)>>>;

/// AWS targets (region, role) an object may name in `spec.aws`; None means the default.
type TargetKey = (Option<String>, Option<String>);

/// What every per-target context of one process shares: events, backoff counts, check times
/// and the targets themselves.
#[derive(Clone)]
pub(super) struct Shared {
    pub(super) recorder: Recorder,
    pub(super) reporter: Reporter,
    /// Consecutive retryable failures per object, for backoff; reset on success.
    failures: Arc<Mutex<HashMap<String, u32>>>,
    /// When each object was last fully checked against AWS, at which generation: a reconcile
    /// woken by the operator's own status write need not ask AWS again.
    checked: CheckedAt,
    /// Contexts for the AWS targets objects have named so far.
    targets: Arc<tokio::sync::Mutex<HashMap<TargetKey, Arc<Context>>>>,
}

/// The caches of one watched scope that reconciles read: the ECSServices, for the revisions
/// they use (never pruned), and what they reference (see [`watches`]).
#[derive(Clone)]
pub struct Stores {
    pub services: Store<ECSService>,
    pub task_definitions: Store<TaskDefinition>,
    pub clusters: Store<ECSCluster>,
    /// The CapacityProviders, for the Managed Instances providers made inside a cluster.
    pub providers: Store<CapacityProvider>,
    pub tasks: Store<ECSTask>,
}

/// Everything a reconcile needs. One per operator process, plus one per AWS target that objects
/// name in `spec.aws` (see [`Context::for_target`]); they share everything but the AWS clients.
pub struct Context {
    pub client: Client,
    pub ecs: Arc<dyn EcsApi>,
    pub autoscaling: Arc<dyn AutoscalingApi>,
    /// Shared, batched DescribeServices.
    pub describer: ServiceDescriber,
    pub config: Config,
    /// The caches of the watched scope this context serves.
    pub stores: Stores,
    pub(super) shared: Shared,
    /// The clients the others are derived from.
    aws: AwsClients,
}

impl Context {
    pub fn new(client: Client, aws: AwsClients, config: Config, stores: Stores) -> Self {
        let reporter = Reporter { controller: "ecs-operator".into(), instance: std::env::var("POD_NAME").ok() };
        let recorder = Recorder::new(client.clone(), reporter.clone());
        let shared =
            Shared { recorder, reporter, failures: Arc::default(), checked: Arc::default(), targets: Arc::default() };
        Self::with_aws(client, aws, config, stores, shared)
    }

    fn with_aws(client: Client, aws: AwsClients, config: Config, stores: Stores, shared: Shared) -> Self {
        // Steady services are swept once per service poll interval; reconciles that need a
        // fresher description within 250 ms of each other share a call.
        let describer =
            ServiceDescriber::new(aws.ecs.clone(), Duration::from_millis(250), Some(config.service_poll_interval));
        Self {
            client,
            ecs: aws.ecs.clone(),
            autoscaling: aws.autoscaling.clone(),
            describer,
            config,
            stores,
            shared,
            aws,
        }
    }

    /// The context whose AWS clients act in the object's `spec.aws.region` with its
    /// `spec.aws.roleArn` assumed, or this one when the object names neither. Clients are built
    /// once per target and shared; assumed-role credentials are cached and refreshed by the SDK.
    pub async fn for_target(self: &Arc<Self>, policies: &crate::crd::Policies) -> Result<Arc<Self>, Error> {
        let key: TargetKey = match &policies.aws {
            Some(aws) if aws.region.is_some() || aws.role_arn.is_some() => (aws.region.clone(), aws.role_arn.clone()),
            _ => return Ok(self.clone()),
        };
        let mut targets = self.shared.targets.lock().await;
        if let Some(ctx) = targets.get(&key) {
            return Ok(ctx.clone());
        }
        let aws = self.aws.for_target(key.0.as_deref(), key.1.as_deref()).await.ok_or_else(|| {
            Error::InvalidSpec("spec.aws: this operator's AWS clients cannot switch region or role".into())
        })?;
        tracing::info!(region = ?key.0, role = ?key.1, "new AWS target");
        let ctx = Arc::new(Self::with_aws(
            self.client.clone(),
            aws,
            self.config.clone(),
            self.stores.clone(),
            self.shared.clone(),
        ));
        targets.insert(key, ctx.clone());
        Ok(ctx)
    }

    pub fn now(&self) -> Time {
        Time(k8s_openapi::jiff::Timestamp::now())
    }

    /// Records that `obj` at its current generation was just checked against AWS.
    pub fn mark_checked<K: Resource>(&self, obj: &K) {
        let mut checked = self.shared.checked.lock().unwrap_or_else(|e| e.into_inner());
        checked.insert(object_key(obj), (obj.meta().generation, std::time::Instant::now()));
    }

    /// How long until `obj` is due for its next check, when it was checked at this generation
    /// less than `interval` ago; None when it is due now.
    pub fn checked_recently<K: Resource>(&self, obj: &K, interval: Duration) -> Option<Duration> {
        let checked = self.shared.checked.lock().unwrap_or_else(|e| e.into_inner());
        let (generation, at) = checked.get(&object_key(obj))?;
        (*generation == obj.meta().generation).then(|| interval.checked_sub(at.elapsed())).flatten()
    }

    pub(super) fn failures(&self) -> std::sync::MutexGuard<'_, HashMap<String, u32>> {
        // A poisoned map only loses backoff counts; keep going.
        self.shared.failures.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts one more consecutive failure of the object `key`; returns the count.
    pub(super) fn count_failure(&self, key: &str) -> u32 {
        let mut failures = self.failures();
        let n = failures.entry(key.to_owned()).or_insert(0);
        *n = n.saturating_add(1);
        *n
    }
}

pub(crate) fn object_key<K: Resource>(obj: &K) -> String {
    format!("{}/{}", obj.meta().namespace.as_deref().unwrap_or(""), obj.meta().name.as_deref().unwrap_or(""))
}
