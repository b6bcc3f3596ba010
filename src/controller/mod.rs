//! Controller runtime shared by every kind: the [`Context`], status patches, events, the error
//! policy with per-object backoff, and [`run`], which wires watches to reconcilers.

pub mod applied;
pub mod caches;
pub mod capacity_provider;
pub mod cluster;
pub mod conditions;
pub mod deletion;
pub mod drift;
pub mod error;
pub mod refusals;
pub mod service;
pub mod tags;
pub mod task_definition;
pub mod watches;

use std::collections::HashMap;
use std::fmt::Debug;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{FutureExt, StreamExt};
use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Patch, PatchParams};
use kube::runtime::controller::{self, Action};
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::runtime::reflector::{self, Store};
use kube::runtime::watcher;
use kube::{Api, Client, Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;

use self::error::Error;
use self::watches::{SharedWatch, lean_controller};
use crate::aws::AwsClients;
use crate::aws::autoscaling::AutoscalingApi;
use crate::aws::describe::ServiceDescriber;
use crate::aws::ecs::EcsApi;
use crate::aws::error::ErrorClass;
use crate::crd::{CapacityProvider, ECSCluster, ECSService, TaskDefinition};
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
struct Shared {
    recorder: Recorder,
    reporter: Reporter,
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
    shared: Shared,
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

    fn failures(&self) -> std::sync::MutexGuard<'_, HashMap<String, u32>> {
        // A poisoned map only loses backoff counts; keep going.
        self.shared.failures.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts one more consecutive failure of the object `key`; returns the count.
    fn count_failure(&self, key: &str) -> u32 {
        let mut failures = self.failures();
        let n = failures.entry(key.to_owned()).or_insert(0);
        *n = n.saturating_add(1);
        *n
    }
}

fn object_key<K: Resource>(obj: &K) -> String {
    format!("{}/{}", obj.meta().namespace.as_deref().unwrap_or(""), obj.meta().name.as_deref().unwrap_or(""))
}

/// Writes `status` with server-side apply on the status subresource, as the one forced manager.
pub async fn patch_status<K, S>(ctx: &Context, obj: &K, status: &S) -> Result<(), Error>
where
    K: Resource<Scope = NamespaceResourceScope, DynamicType = ()> + Clone + DeserializeOwned + Debug,
    S: Serialize,
{
    let namespace = obj.meta().namespace.clone().ok_or(Error::MissingMetadata("namespace"))?;
    let name = obj.meta().name.clone().ok_or(Error::MissingMetadata("name"))?;
    let api: Api<K> = Api::namespaced(ctx.client.clone(), &namespace);
    let body = serde_json::json!({
        "apiVersion": K::api_version(&()),
        "kind": K::kind(&()),
        "status": status,
    });
    let params = PatchParams::apply(&ctx.config.field_manager).force();
    api.patch_status(&name, &params, &Patch::Apply(&body)).await.map_err(|e| Error::kube(error::WRITING_STATUS, e))?;
    let kind = kind_label(&K::kind(&()));
    ctx.config.metrics.status_writes.get_or_create(&crate::metrics::KindLabels { kind }).inc();
    Ok(())
}

/// Writes `new` when it differs from `previous` in anything but condition timestamps: the one
/// place every kind decides whether a status write is worth making. A write Kubernetes refuses
/// (403: RBAC, 422: a status the schema refuses) cannot report itself in the status: a Warning
/// event carries the API's message instead.
pub async fn write_status<K, S>(ctx: &Context, obj: &K, previous: Option<&S>, new: &S) -> Result<(), Error>
where
    K: Resource<Scope = NamespaceResourceScope, DynamicType = ()> + Clone + DeserializeOwned + Debug,
    S: conditions::HasCommonStatus + Serialize,
{
    if conditions::status_changed(previous, new) {
        if let Err(e) = patch_status(ctx, obj, new).await {
            if e.is_kube_refusal() {
                publish(ctx, obj, EventType::Warning, e.reason(), &e.to_string()).await;
            }
            return Err(e);
        }
        let newly_drifted = newly_drifted(previous.map(|p| p.common()), new.common());
        if newly_drifted > 0 {
            let kind = kind_label(&K::kind(&()));
            ctx.config.metrics.drift_detected.get_or_create(&crate::metrics::KindLabels { kind }).inc_by(newly_drifted);
        }
    }
    Ok(())
}

/// Drifted fields in `new` that `previous` did not list.
fn newly_drifted(previous: Option<&crate::crd::common::CommonStatus>, new: &crate::crd::common::CommonStatus) -> u64 {
    let known: Vec<&str> = previous
        .and_then(|p| p.drift.as_ref())
        .map(|d| d.iter().map(|e| e.field.as_str()).collect())
        .unwrap_or_default();
    let fresh = new.drift.iter().flatten().filter(|e| !known.contains(&e.field.as_str())).count();
    u64::try_from(fresh).unwrap_or(u64::MAX)
}

/// The closed set of kind labels metrics use.
fn kind_label(kind: &str) -> &'static str {
    match kind {
        "TaskDefinition" => "TaskDefinition",
        "ECSService" => "ECSService",
        "ECSCluster" => "ECSCluster",
        "CapacityProvider" => "CapacityProvider",
        _ => "Other",
    }
}

/// Publishes an event; failures are logged, never fatal.
pub async fn publish<K: Resource<DynamicType = ()>>(
    ctx: &Context,
    obj: &K,
    type_: EventType,
    reason: &str,
    note: &str,
) {
    if reason == "DriftCorrected" {
        // Its detection is counted when status.drift lists the fields (write_status).
        let labels = crate::metrics::KindLabels { kind: kind_label(&K::kind(&())) };
        ctx.config.metrics.drift_corrected.get_or_create(&labels).inc();
    }
    // Events have a 1 KiB note limit; AWS messages can be longer.
    let note: String = note.chars().take(1000).collect();
    let event = Event { type_, reason: reason.into(), note: Some(note), action: "Reconcile".into(), secondary: None };
    // Warnings repeat (a failing object is retried), so they go through the shared recorder,
    // which turns repeats into one Event with a growing series count. Normal events mark one
    // change each; the shared recorder would keep every one of them in memory for six minutes
    // (megabytes at 1,000 objects) for a series that never comes.
    let recorder = match type_ {
        EventType::Warning => ctx.shared.recorder.clone(),
        EventType::Normal => Recorder::new(ctx.client.clone(), ctx.shared.reporter.clone()),
    };
    if let Err(err) = recorder.publish(&event, &obj.object_ref(&())).await {
        tracing::warn!(%err, object = %object_key(obj), "could not publish event");
    }
}

/// Delay before the next attempt (see [`retry_delay`]), counting consecutive failures per
/// object for the back-offs.
pub fn error_policy<K: Resource>(obj: Arc<K>, err: &Error, ctx: Arc<Context>) -> Action {
    let key = object_key(obj.as_ref());
    let mut attempt = None;
    let delay = retry_delay(err, &ctx.config, || *attempt.insert(ctx.count_failure(&key)), fastrand::f64());
    match attempt {
        Some(attempt) => {
            tracing::info!(object = %key, reason = err.reason(), attempt, ?delay, "retrying after back-off")
        }
        None => tracing::debug!(object = %key, reason = err.reason(), ?delay, "looked at again later"),
    }
    Action::requeue(delay)
}

/// How long an object whose reconcile failed with `err` waits. Terminal waits for a change,
/// with a slow recheck; a Kubernetes refusal (403, 422) backs off from a twentieth of that
/// recheck up to it, since only a change to the operator's RBAC or the CRD fixes it and no
/// watch event says when; a deletion waiting for ECS looks again at a steady pace; anything
/// else retryable backs off exponentially from `retry_base`. `attempt` counts this failure
/// and is called only for the back-offs. Pure: the jitter is passed in.
pub fn retry_delay(err: &Error, config: &Config, attempt: impl FnOnce() -> u32, jitter: f64) -> Duration {
    if err.is_kube_refusal() {
        let recheck = config.terminal_recheck;
        return backoff(recheck / 20, recheck, attempt(), jitter);
    }
    match err.class() {
        ErrorClass::Terminal => config.terminal_recheck,
        // Waiting for ECS to finish a deletion is not failing: look again at a steady pace
        // (watch events re-trigger it too), never backing off into minutes.
        ErrorClass::Retryable if matches!(err, Error::Draining(_)) => config.rollout_poll_interval,
        ErrorClass::Retryable => backoff(config.retry_base, config.retry_max, attempt(), jitter),
    }
}

/// `base × 2^(attempt-1)`, capped at `max`, scaled by a jitter factor in [0.5, 1.0) so that
/// objects failing together (an AWS throttle) do not retry together.
pub fn backoff(base: Duration, max: Duration, attempt: u32, jitter: f64) -> Duration {
    let exp = base.saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1).min(20)));
    exp.min(max).mul_f64(0.5 + jitter.clamp(0.0, 1.0) / 2.0)
}

/// Waits until the CRD is served, with a message that says how to fix it.
async fn ensure_crd(client: &Client, name: &str) -> Result<(), RunError> {
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let crd = crds.get_opt(name).await.map_err(|e| RunError::Kubernetes(e.to_string()))?;
    let established = crd
        .and_then(|c| c.status)
        .and_then(|s| s.conditions)
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Established" && c.status == "True"));
    if established { Ok(()) } else { Err(RunError::MissingCrd(name.to_owned())) }
}

/// Why the controllers could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot reach Kubernetes: {0}")]
    Kubernetes(String),
    #[error("CRD {0} is not installed or not established: install it with `kubectl apply --server-side -f crds/`")]
    MissingCrd(String),
    #[error("cannot use AWS ECS (check region, credentials and AWS_ENDPOINT_URL_ECS): {0}")]
    Aws(crate::aws::error::AwsError),
    /// A bug: the controllers' task panicked.
    #[error("a controller stopped unexpectedly: {0}")]
    Crashed(String),
}

/// Runs every controller until `shutdown` completes; in-flight reconciles finish first.
pub async fn run(
    client: Client,
    aws: AwsClients,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + Sync + 'static,
) -> Result<(), RunError> {
    for crd in [
        "taskdefinitions.ecs.operator.dev",
        "ecsservices.ecs.operator.dev",
        "ecsclusters.ecs.operator.dev",
        "capacityproviders.ecs.operator.dev",
    ] {
        ensure_crd(&client, crd).await?;
    }
    aws.ecs.check_access().await.map_err(RunError::Aws)?;
    let mut caches = caches::Caches::default();
    let scopes: Vec<Option<String>> =
        if config.namespaces.is_empty() { vec![None] } else { config.namespaces.iter().cloned().map(Some).collect() };
    let watcher_config = match &config.label_selector {
        Some(selector) => watcher::Config::default().labels(selector),
        None => watcher::Config::default(),
    };
    let concurrency = config.max_concurrent_reconciles;
    let shutdown = futures::future::FutureExt::shared(Box::pin(shutdown));
    let mut tasks = tokio::task::JoinSet::new();
    for scope in scopes {
        let task_definitions: Api<TaskDefinition> = scoped_api(&client, &scope);
        let services: Api<ECSService> = scoped_api(&client, &scope);
        let clusters: Api<ECSCluster> = scoped_api(&client, &scope);
        let providers: Api<CapacityProvider> = scoped_api(&client, &scope);
        let controller_config = controller::Config::default().concurrency(concurrency);
        // ECSServices read and follow TaskDefinitions and ECSClusters: their watches are shared.
        let task_definition_watch = SharedWatch::<TaskDefinition>::default();
        let cluster_watch = SharedWatch::<ECSCluster>::default();
        let service_controller =
            lean_controller(services.clone(), watcher_config.clone()).with_config(controller_config.clone());
        let provider_controller =
            lean_controller(providers.clone(), watcher_config.clone()).with_config(controller_config.clone());
        let stores = Stores {
            services: service_controller.store(),
            task_definitions: task_definition_watch.store(),
            clusters: cluster_watch.store(),
        };
        caches.services.push(stores.services.clone());
        caches.task_definitions.push(stores.task_definitions.clone());
        caches.clusters.push(stores.clusters.clone());
        caches.providers.push(provider_controller.store());
        let ctx = Arc::new(Context::new(client.clone(), aws.clone(), config.clone(), stores.clone()));

        let services_run = service_controller
            .watches_shared_stream(
                task_definition_watch.subscribe(),
                services_of_task_definition(stores.services.clone()),
            )
            .watches_shared_stream(cluster_watch.subscribe(), services_of_cluster(stores.services.clone()))
            .graceful_shutdown_on(shutdown.clone())
            .run(reconcile_service, error_policy, ctx.clone())
            .for_each(|_| async {});
        // A service resolves its references from the caches, so it starts once they are
        // complete: an empty cache would read as "not there yet" and regress its status.
        let references_synced =
            move || caches::is_synced(&stores.task_definitions) && caches::is_synced(&stores.clusters);
        let services_run = futures::future::select(
            Box::pin(async move {
                watches::until_synced(references_synced).await;
                services_run.await;
            }),
            shutdown.clone(),
        )
        .map(|_| ());
        let task_definitions_run = task_definition_watch
            .controller()
            .with_config(controller_config.clone())
            .graceful_shutdown_on(shutdown.clone())
            .run(reconcile_task_definition, error_policy, ctx.clone())
            .for_each(|_| async {});
        let deleting_clusters = deleting_clusters_of_service(cluster_watch.store());
        let waiting_clusters = capacity_provider::watch::clusters_of_provider(cluster_watch.store());
        let clusters_run = cluster_watch
            .controller()
            .with_config(controller_config.clone())
            .watches(services, watcher::Config::default(), deleting_clusters)
            .watches(providers, watcher::Config::default(), waiting_clusters)
            .graceful_shutdown_on(shutdown.clone())
            .run(reconcile_cluster, error_policy, ctx.clone())
            .for_each(|_| async {});
        let deleting_providers = capacity_provider::watch::deleting_providers_of_cluster(provider_controller.store());
        let providers_run = provider_controller
            .watches_shared_stream(cluster_watch.subscribe(), deleting_providers)
            .graceful_shutdown_on(shutdown.clone())
            .run(reconcile_capacity_provider, error_policy, ctx)
            .for_each(|_| async {});
        // Subscribed above, so the shared watches start last; they run as long as the
        // controllers that follow them.
        let shared_watches = futures::future::join(
            task_definition_watch.run(task_definitions, watcher_config.clone()),
            cluster_watch.run(clusters, watcher_config.clone()),
        );
        tasks.spawn(async move {
            let controllers = futures::future::join4(services_run, task_definitions_run, clusters_run, providers_run);
            futures::future::select(Box::pin(controllers), Box::pin(shared_watches)).await;
        });
    }
    // Ready once the caches are complete; gauges from the caches every 5 s.
    let reporter = tokio::spawn(caches.serve_metrics(config.metrics.clone(), Duration::from_secs(5)));
    // A panic in a reconcile ends its namespace's controllers: stop everything and say so,
    // rather than carry on half-blind or exit as if shut down (the pod restarts).
    let mut ended = Ok(());
    while let Some(result) = tasks.join_next().await {
        if let Err(e) = result {
            ended = Err(RunError::Crashed(e.to_string()));
            break;
        }
    }
    reporter.abort();
    config.metrics.set_ready(false);
    ended
}

async fn reconcile_service(svc: Arc<ECSService>, ctx: Arc<Context>) -> Result<Action, Error> {
    let (key, generation) = (object_key(svc.as_ref()), svc.meta().generation);
    let work = async {
        let scoped = ctx.for_target(&svc.spec.policies).await?;
        service::reconcile(svc, scoped).await
    };
    traced("ECSService", key, generation, &ctx, work).await
}

/// A TaskDefinition's change (a new revision, above all) wakes every ECSService whose
/// taskDefinitionRef names it: the service must roll to the new revision.
fn services_of_task_definition(
    services: Store<ECSService>,
) -> impl Fn(Arc<TaskDefinition>) -> Vec<reflector::ObjectRef<ECSService>> + Send + Sync + Clone + 'static {
    move |td: Arc<TaskDefinition>| services_referencing(&services, td.as_ref(), |s| s.task_definition_ref.as_ref())
}

/// An ECSCluster's change (its clusterArn appearing, above all) wakes the ECSServices whose
/// clusterRef names it, so a service waiting for its cluster starts as soon as it can.
fn services_of_cluster(
    services: Store<ECSService>,
) -> impl Fn(Arc<ECSCluster>) -> Vec<reflector::ObjectRef<ECSService>> + Send + Sync + Clone + 'static {
    move |cluster: Arc<ECSCluster>| services_referencing(&services, cluster.as_ref(), |s| s.cluster_ref.as_ref())
}

/// The ECSServices in `target`'s namespace whose reference (picked by `reference`) names it.
fn services_referencing<K: Resource>(
    services: &Store<ECSService>,
    target: &K,
    reference: impl Fn(&crate::crd::service::ECSServiceSpec) -> Option<&crate::crd::common::LocalObjectRef>,
) -> Vec<reflector::ObjectRef<ECSService>> {
    let (ns, name) = (target.namespace(), target.name_any());
    services
        .state()
        .iter()
        .filter(|s| s.namespace() == ns && reference(&s.spec).is_some_and(|r| r.name == name))
        .map(|s| reflector::ObjectRef::from_obj(s.as_ref()))
        .collect()
}

/// An ECSService's change wakes the ECSCluster it runs in, but only while that cluster is being
/// deleted: its deletion waits for the services to go, and a service's routine status writes
/// must not cost a DescribeClusters each otherwise.
fn deleting_clusters_of_service(
    clusters: Store<ECSCluster>,
) -> impl Fn(ECSService) -> Vec<reflector::ObjectRef<ECSCluster>> + Send + Sync + Clone + 'static {
    move |svc: ECSService| {
        let ns = svc.namespace();
        clusters
            .state()
            .iter()
            .filter(|c| c.meta().deletion_timestamp.is_some() && c.namespace() == ns)
            .filter(|c| {
                let by_ref = svc.spec.cluster_ref.as_ref().is_some_and(|r| r.name == c.name_any());
                let ecs_name = cluster::cluster_name_of(c);
                let by_name = svc
                    .spec
                    .cluster
                    .as_deref()
                    .is_some_and(|n| n == ecs_name || n.ends_with(&format!(":cluster/{ecs_name}")));
                by_ref || by_name
            })
            .map(|c| reflector::ObjectRef::from_obj(c.as_ref()))
            .collect()
    }
}

async fn reconcile_cluster(obj: Arc<ECSCluster>, ctx: Arc<Context>) -> Result<Action, Error> {
    let (key, generation) = (object_key(obj.as_ref()), obj.meta().generation);
    let work = async {
        let scoped = ctx.for_target(&obj.spec.policies).await?;
        cluster::reconcile(obj, scoped).await
    };
    traced("ECSCluster", key, generation, &ctx, work).await
}

async fn reconcile_capacity_provider(obj: Arc<CapacityProvider>, ctx: Arc<Context>) -> Result<Action, Error> {
    let (key, generation) = (object_key(obj.as_ref()), obj.meta().generation);
    let work = async {
        let scoped = ctx.for_target(&obj.spec.policies).await?;
        capacity_provider::reconcile(obj, scoped).await
    };
    traced("CapacityProvider", key, generation, &ctx, work).await
}

/// The API of a namespaced kind in one watched namespace, or in all of them.
fn scoped_api<K>(client: &Client, scope: &Option<String>) -> Api<K>
where
    K: Resource<Scope = NamespaceResourceScope, DynamicType = ()>,
{
    match scope {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

async fn reconcile_task_definition(td: Arc<TaskDefinition>, ctx: Arc<Context>) -> Result<Action, Error> {
    let (key, generation) = (object_key(td.as_ref()), td.meta().generation);
    let work = async {
        let scoped = ctx.for_target(&td.spec.policies).await?;
        task_definition::reconcile(td, scoped).await
    };
    traced("TaskDefinition", key, generation, &ctx, work).await
}

/// Runs one reconcile in a span naming the object, and resets its backoff on success.
async fn traced(
    kind: &'static str,
    key: String,
    generation: Option<i64>,
    ctx: &Context,
    reconcile: impl Future<Output = Result<Action, Error>>,
) -> Result<Action, Error> {
    // A trace id per reconcile ties together every log line (and AWS call) it caused.
    let trace_id = format!("{:016x}", fastrand::u64(..));
    let span = tracing::info_span!("reconcile", kind, object = %key, generation, trace_id);
    let timer = ctx.config.metrics.reconcile(kind);
    let result = tracing::Instrument::instrument(reconcile, span.clone()).await;
    match &result {
        Ok(_) => {
            ctx.failures().remove(&key);
        }
        Err(err) => {
            timer.failed(err.reason());
            // Logged inside the span, so the line carries the object and its trace id.
            let _entered = span.enter();
            match (err.class(), err) {
                (_, Error::Draining(_)) => tracing::info!(reason = err.reason(), error = %err, "waiting for ECS"),
                _ if err.is_kube_refusal() => {
                    tracing::warn!(reason = err.reason(), error = %err, "Kubernetes refused the operator's request")
                }
                (ErrorClass::Terminal, _) => {
                    tracing::warn!(reason = err.reason(), error = %err, "terminal error; waiting for a change")
                }
                (ErrorClass::Retryable, _) => tracing::warn!(reason = err.reason(), error = %err, "retryable error"),
            }
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(code: u16) -> Error {
        let status = kube::core::Status {
            code,
            reason: if code == 403 { "Forbidden" } else { "Invalid" }.into(),
            message: "no".into(),
            ..kube::core::Status::failure("no", "")
        };
        Error::kube(error::WRITING_STATUS, kube::Error::Api(Box::new(status)))
    }

    #[test]
    fn refusals_back_off_slowly_and_other_errors_as_before() {
        let config = Config {
            terminal_recheck: Duration::from_secs(600),
            retry_base: Duration::from_secs(1),
            retry_max: Duration::from_secs(300),
            rollout_poll_interval: Duration::from_secs(5),
            ..Default::default()
        };
        for code in [403, 422] {
            let err = refused(code);
            assert_eq!(retry_delay(&err, &config, || 1, 1.0), Duration::from_secs(30), "{code}: slow from the start");
            assert_eq!(retry_delay(&err, &config, || 3, 1.0), Duration::from_secs(120));
            assert_eq!(retry_delay(&err, &config, || 10, 1.0), Duration::from_secs(600), "capped at the recheck");
        }
        let flaky = Error::kube("writing status", kube::Error::Api(Box::new(kube::core::Status::failure("x", "y"))));
        assert!(!flaky.is_kube_refusal());
        assert_eq!(retry_delay(&flaky, &config, || 1, 1.0), Duration::from_secs(1), "fast retry");
        let terminal = Error::InvalidSpec("spec.cpu".into());
        assert_eq!(retry_delay(&terminal, &config, || panic!("no count"), 1.0), Duration::from_secs(600));
        let draining = Error::Draining("DRAINING".into());
        assert_eq!(retry_delay(&draining, &config, || panic!("no count"), 1.0), Duration::from_secs(5));
    }

    #[test]
    fn backoff_grows_caps_and_jitters() {
        let (base, max) = (Duration::from_secs(1), Duration::from_secs(60));
        assert_eq!(backoff(base, max, 1, 1.0), Duration::from_secs(1));
        assert_eq!(backoff(base, max, 3, 1.0), Duration::from_secs(4));
        assert_eq!(backoff(base, max, 30, 1.0), max);
        assert_eq!(backoff(base, max, 3, 0.0), Duration::from_secs(2));
    }
}
