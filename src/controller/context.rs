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
use crate::aws::revisions::RevisionList;
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
    /// How old the account's list of ACTIVE task definition revisions may be when a steady
    /// TaskDefinition is checked against it (one ListTaskDefinitions page per 100 revisions,
    /// shared by every TaskDefinition).
    pub task_definition_list_interval: Duration,
    /// How often a steady TaskDefinition's revision is described for its tags; None: only when
    /// something else calls for a full check (an event, a spec change, a restart).
    pub task_definition_tag_interval: Option<Duration>,
    /// Whether ECS events arrive from a queue (`--events-queue-url`): polling is then the
    /// safety net.
    pub events: bool,
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
            task_definition_list_interval: Duration::from_secs(300),
            task_definition_tag_interval: Some(Duration::from_secs(3600)),
            events: false,
        }
    }
}

impl Config {
    /// The polling defaults with events on: every steady check becomes the safety net for an
    /// event that was lost. Rollouts in progress are still followed at the rollout pace. The
    /// listing of ACTIVE revisions (one call per 100) goes hourly: at one revision per
    /// TaskDefinition it alone costs N/100 calls, the whole budget besides the service sweep,
    /// and every deregistration or deletion arrives as an event anyway.
    pub fn with_events(self) -> Self {
        Self {
            events: true,
            resync_interval: Duration::from_secs(600),
            service_poll_interval: Duration::from_secs(600),
            task_definition_list_interval: Duration::from_secs(3600),
            task_definition_tag_interval: None,
            ..self
        }
    }
}

/// Per object: the generation last checked against AWS, and when.
type CheckedAt = Arc<Mutex<HashMap<String, (Option<i64>, std::time::Instant)>>>;

/// Per object (`kind/namespace/name`): the time of the oldest event not yet acted on, and of
/// the one the running reconcile acts on.
#[derive(Default)]
struct EventMarks {
    waiting: HashMap<String, k8s_openapi::jiff::Timestamp>,
    reading: HashMap<String, k8s_openapi::jiff::Timestamp>,
}

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
    /// Objects an ECS event asked to be looked at again (see `crate::events`).
    events: Arc<Mutex<EventMarks>>,
    /// What the last full check of each TaskDefinition saw (see `task_definition::steady`).
    pub(super) task_definition_checks: Arc<Mutex<HashMap<String, super::task_definition::steady::Checked>>>,
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
    /// The account's ACTIVE task definition revisions, listed once for every TaskDefinition.
    pub revisions: RevisionList,
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
        let shared = Shared {
            recorder,
            reporter,
            failures: Arc::default(),
            checked: Arc::default(),
            targets: Arc::default(),
            events: Arc::default(),
            task_definition_checks: Arc::default(),
        };
        Self::with_aws(client, aws, config, stores, shared)
    }

    fn with_aws(client: Client, aws: AwsClients, config: Config, stores: Stores, shared: Shared) -> Self {
        // Steady services are swept once per service poll interval; reconciles that need a
        // fresher description within 250 ms of each other share a call.
        let describer =
            ServiceDescriber::new(aws.ecs.clone(), Duration::from_millis(250), Some(config.service_poll_interval));
        let revisions = RevisionList::new(aws.ecs.clone());
        Self {
            client,
            ecs: aws.ecs.clone(),
            autoscaling: aws.autoscaling.clone(),
            describer,
            revisions,
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

    fn event_marks(&self) -> std::sync::MutexGuard<'_, EventMarks> {
        self.shared.events.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records that an event named `key` (`kind/namespace/name`) at `at`: its next reconcile
    /// reads AWS afresh. The oldest unhandled time is kept, for the lag metric.
    pub fn mark_event(&self, key: String, at: k8s_openapi::jiff::Timestamp) {
        let mut marks = self.event_marks();
        let entry = marks.waiting.entry(key).or_insert(at);
        *entry = (*entry).min(at);
    }

    /// Whether an event asked for `obj` to be read afresh: the running reconcile's, or one that
    /// arrived since.
    pub fn event_pending<K: Resource<DynamicType = ()>>(&self, obj: &K) -> bool {
        let key = event_key(obj);
        let marks = self.event_marks();
        marks.waiting.contains_key(&key) || marks.reading.contains_key(&key)
    }

    /// A reconcile of `obj` starts: the events waiting for it are the ones it acts on (one that
    /// arrives while it runs waits for the next).
    pub(super) fn begin_events<K: Resource<DynamicType = ()>>(&self, obj: &K) {
        let key = event_key(obj);
        let mut marks = self.event_marks();
        if let Some(at) = marks.waiting.remove(&key) {
            marks.reading.insert(key, at);
        }
    }

    /// The reconcile of `obj` ended: the time of the event it acted on, if any. A reconcile that
    /// failed leaves the mark for its retry, which must still read AWS afresh.
    pub(super) fn end_events<K: Resource<DynamicType = ()>>(
        &self,
        obj: &K,
        succeeded: bool,
    ) -> Option<k8s_openapi::jiff::Timestamp> {
        let key = event_key(obj);
        let mut marks = self.event_marks();
        let at = marks.reading.remove(&key)?;
        if succeeded {
            return Some(at);
        }
        let entry = marks.waiting.entry(key).or_insert(at);
        *entry = (*entry).min(at);
        None
    }

    /// Forgets the cached description of a service in every AWS target's describer: an event
    /// said it changed.
    pub async fn invalidate_service(&self, cluster_name: &str, name: &str) {
        self.describer.invalidate_named(cluster_name, name);
        for ctx in self.shared.targets.lock().await.values() {
            ctx.describer.invalidate_named(cluster_name, name);
        }
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

/// The key of an object's event mark: `kind/namespace/name`.
pub fn event_key<K: Resource<DynamicType = ()>>(obj: &K) -> String {
    format!("{}/{}", K::kind(&()), object_key(obj))
}

pub(crate) fn object_key<K: Resource>(obj: &K) -> String {
    format!("{}/{}", obj.meta().namespace.as_deref().unwrap_or(""), obj.meta().name.as_deref().unwrap_or(""))
}
