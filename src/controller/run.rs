//! The runtime: checks the CRDs and AWS access, starts one controller per kind for each watched
//! namespace with the watches that wake it, and runs them until shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::{FutureExt, StreamExt};
use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::core::DeserializeGuard;
use kube::runtime::controller;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Resource};

use super::context::{Config, Context, Stores};
use super::policy::{backoff, error_policy};
use super::watches::{SharedWatch, lean_controller};
use super::{caches, capacity_provider, cluster, kind, service, task, watches};
use crate::aws::AwsClients;
use crate::aws::error::ErrorClass;
use crate::crd::ECSExpressService;
use crate::crd::{CapacityProvider, ECSCluster, ECSService, ECSTask, TaskDefinition};
use crate::events::{EventSource, route};
use crate::metrics::Metrics;

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
    #[error(
        "cannot read the events queue given by --events-queue-url (check the URL, its region and the \
         sqs:ReceiveMessage, sqs:DeleteMessage and sqs:GetQueueAttributes permissions): {0}"
    )]
    Events(crate::aws::error::AwsError),
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
        "ecstasks.ecs.operator.dev",
        "ecsexpressservices.ecs.operator.dev",
    ] {
        ensure_crd(&client, crd).await?;
    }
    check_aws_access(&aws, &config).await?;
    if let Some(queue) = &aws.events {
        let arn = crate::events::check_queue(queue.as_ref()).await.map_err(RunError::Events)?;
        tracing::info!(queue = %arn, "reading ECS events; polling is the safety net");
    }
    let mut event_scopes = Vec::new();
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
        let task_definitions: Api<DeserializeGuard<TaskDefinition>> = scoped_api(&client, &scope);
        let services: Api<DeserializeGuard<ECSService>> = scoped_api(&client, &scope);
        let clusters: Api<DeserializeGuard<ECSCluster>> = scoped_api(&client, &scope);
        let providers: Api<DeserializeGuard<CapacityProvider>> = scoped_api(&client, &scope);
        let ecs_tasks: Api<DeserializeGuard<ECSTask>> = scoped_api(&client, &scope);
        let express_services: Api<DeserializeGuard<ECSExpressService>> = scoped_api(&client, &scope);
        let metrics = &config.metrics;
        let controller_config = controller::Config::default().concurrency(concurrency);
        let (service_trigger, service_events) = route::trigger();
        let (task_definition_trigger, task_definition_events) = route::trigger();
        let (cluster_trigger, cluster_events) = route::trigger();
        let (provider_trigger, provider_events) = route::trigger();
        let (task_trigger, task_events) = route::trigger();
        let (express_trigger, express_events) = route::trigger();
        // ECSServices read and follow TaskDefinitions and ECSClusters: their watches are shared.
        let task_definition_watch = SharedWatch::<TaskDefinition>::default();
        let cluster_watch = SharedWatch::<ECSCluster>::default();
        let service_controller =
            lean_controller(services.clone(), watcher_config.clone(), metrics).with_config(controller_config.clone());
        let provider_controller =
            lean_controller(providers.clone(), watcher_config.clone(), metrics).with_config(controller_config.clone());
        let task_controller =
            lean_controller(ecs_tasks, watcher_config.clone(), metrics).with_config(controller_config.clone());
        let express_controller =
            lean_controller(express_services, watcher_config.clone(), metrics).with_config(controller_config.clone());
        let stores = Stores {
            services: service_controller.store(),
            task_definitions: task_definition_watch.store(),
            clusters: cluster_watch.store(),
            providers: provider_controller.store(),
            tasks: task_controller.store(),
        };
        caches.services.push(stores.services.clone());
        caches.task_definitions.push(stores.task_definitions.clone());
        caches.clusters.push(stores.clusters.clone());
        caches.providers.push(stores.providers.clone());
        let ctx = Arc::new(Context::new(client.clone(), aws.clone(), config.clone(), stores.clone()));

        let services_run = service_controller
            .reconcile_on(service_events)
            .watches_shared_stream(
                task_definition_watch.subscribe(),
                service::watch::services_of_task_definition(stores.services.clone()),
            )
            .watches_shared_stream(
                cluster_watch.subscribe(),
                service::watch::services_of_cluster(stores.services.clone()),
            )
            .graceful_shutdown_on(shutdown.clone())
            .run(kind::reconcile, error_policy, ctx.clone())
            .for_each(|_| async {});
        // A service resolves its references from the caches, so it starts once they are
        // complete: an empty cache would read as "not there yet" and regress its status.
        let references_synced = {
            let stores = stores.clone();
            move || caches::is_synced(&stores.task_definitions) && caches::is_synced(&stores.clusters)
        };
        let services_run = after_references(services_run, references_synced.clone(), shutdown.clone());
        let tasks_run = task_controller
            .reconcile_on(task_events)
            .watches_shared_stream(
                task_definition_watch.subscribe(),
                task::watch::tasks_of_task_definition(stores.tasks.clone()),
            )
            .watches_shared_stream(cluster_watch.subscribe(), task::watch::tasks_of_cluster(stores.tasks.clone()))
            .graceful_shutdown_on(shutdown.clone())
            .run(kind::reconcile, error_policy, ctx.clone())
            .for_each(|_| async {});
        let tasks_run = after_references(tasks_run, references_synced.clone(), shutdown.clone());
        let express_store = express_controller.store();
        event_scopes.push(route::Scope {
            ctx: ctx.clone(),
            express: express_store.clone(),
            triggers: route::Triggers {
                services: service_trigger,
                task_definitions: task_definition_trigger,
                clusters: cluster_trigger,
                providers: provider_trigger,
                tasks: task_trigger,
                express: express_trigger,
            },
        });
        let express_run = express_controller
            .reconcile_on(express_events)
            .watches_shared_stream(cluster_watch.subscribe(), move |cluster: Arc<ECSCluster>| {
                watches::referencing(&express_store, cluster.as_ref(), |e| e.spec.cluster_ref.as_ref())
            })
            .graceful_shutdown_on(shutdown.clone())
            .run(kind::reconcile, error_policy, ctx.clone())
            .for_each(|_| async {});
        let express_run = after_references(express_run, references_synced, shutdown.clone());
        let task_definitions_run = task_definition_watch
            .controller()
            .with_config(controller_config.clone())
            .reconcile_on(task_definition_events)
            .graceful_shutdown_on(shutdown.clone())
            .run(kind::reconcile, error_policy, ctx.clone())
            .for_each(|_| async {});
        let deleting_clusters = cluster::watch::deleting_clusters_of_service(cluster_watch.store());
        let waiting_clusters = capacity_provider::watch::clusters_of_provider(cluster_watch.store());
        let clusters_run = cluster_watch
            .controller()
            .with_config(controller_config.clone())
            .reconcile_on(cluster_events)
            .watches_stream(followed(services, metrics), deleting_clusters)
            .watches_stream(followed(providers, metrics), waiting_clusters)
            .graceful_shutdown_on(shutdown.clone())
            .run(kind::reconcile, error_policy, ctx.clone())
            .for_each(|_| async {});
        let deleting_providers = capacity_provider::watch::deleting_providers_of_cluster(provider_controller.store());
        let providers_run = provider_controller
            .reconcile_on(provider_events)
            .watches_shared_stream(cluster_watch.subscribe(), deleting_providers)
            .graceful_shutdown_on(shutdown.clone())
            .run(kind::reconcile, error_policy, ctx)
            .for_each(|_| async {});
        // Subscribed above, so the shared watches start last; they run as long as the
        // controllers that follow them.
        let shared_watches = futures::future::join(
            task_definition_watch.run(task_definitions, watcher_config.clone(), metrics),
            cluster_watch.run(clusters, watcher_config.clone(), metrics),
        );
        tasks.spawn(async move {
            let controllers = futures::future::join(
                futures::future::join3(services_run, task_definitions_run, clusters_run),
                futures::future::join3(providers_run, tasks_run, express_run),
            );
            futures::future::select(Box::pin(controllers), Box::pin(shared_watches)).await;
        });
    }
    if let Some(queue) = aws.events.clone() {
        let source = EventSource { queue, scopes: event_scopes, metrics: config.metrics.clone() };
        tasks.spawn(source.run(shutdown.clone()));
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

/// A controller that reads references from the caches, started once they are complete (an
/// empty cache would read as "not there yet" and regress its objects' status), or not at all
/// when shutdown comes first.
fn after_references(
    run: impl Future<Output = ()> + Send + 'static,
    synced: impl Fn() -> bool + Send + 'static,
    shutdown: impl Future<Output = ()> + Send + Unpin + 'static,
) -> impl Future<Output = ()> + Send + 'static {
    futures::future::select(
        Box::pin(async move {
            watches::until_synced(synced).await;
            run.await;
        }),
        shutdown,
    )
    .map(|_| ())
}

/// Every object of `api` (whatever the label selector), as a controller that follows another
/// kind's changes takes them.
fn followed<K>(
    api: Api<DeserializeGuard<K>>,
    metrics: &Arc<Metrics>,
) -> impl futures::Stream<Item = Result<K, watcher::Error>> + Send + use<K>
where
    K: Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + Sync + 'static,
{
    watches::decoded(api, watcher::Config::default(), metrics, None).default_backoff().touched_objects()
}

/// Retryable answers (a throttle, a 5xx, a timeout) the start-up AWS check sits out before it
/// gives up: a replica that takes over from a killed leader meets them under load.
const ACCESS_CHECK_ATTEMPTS: u32 = 8;

/// Checks that AWS answers before the controllers start. A terminal answer (credentials,
/// region, permissions) stops the operator with its message at once; a retryable one is tried
/// again with back-off (capped at 30 s a wait), each retry logged.
async fn check_aws_access(aws: &AwsClients, config: &Config) -> Result<(), RunError> {
    let mut attempt = 0;
    loop {
        match aws.ecs.check_access().await {
            Ok(()) => return Ok(()),
            Err(e) if e.class == ErrorClass::Retryable && attempt < ACCESS_CHECK_ATTEMPTS => {
                attempt += 1;
                let cap = config.retry_max.min(Duration::from_secs(30));
                let delay = backoff(config.retry_base, cap, attempt, fastrand::f64());
                tracing::warn!(error = %e, attempt, ?delay, "AWS did not answer the start-up check; trying again");
                tokio::time::sleep(delay).await;
            }
            Err(e) => return Err(RunError::Aws(e)),
        }
    }
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
