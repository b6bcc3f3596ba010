//! Deleting a whole app (issue 17, part 3): a CapacityProvider, an ECSCluster using it, a
//! TaskDefinition and an ECSService (with autoscaling) in the cluster, all Ready, then every
//! object deleted — clusters first, services first, task definitions first, capacity
//! providers first, all at once, and by deleting the namespace. Whatever the order, every
//! object is gone within a bounded time and AWS is clean (service and scalable target gone,
//! cluster and provider INACTIVE, no ACTIVE revision left); the service shows Ready=False /
//! Deleting while ECS drains it. Also the race behind the bug: the ECS cluster deleted before
//! the ECSService's cleanup looks (ClusterNotFoundException), which used to hold the
//! finalizer forever.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::{Bed, WEB_TD};
use ecs_operator::crd::{CapacityProvider, ECSCluster, ECSService, TaskDefinition};
use futures::StreamExt;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject};
use kube::runtime::{WatchStreamExt, watcher};

/// How long a whole-app deletion may take. ecs-sim runs at 50×: draining two tasks is about
/// 10 simulated seconds (0.2 s), and the operator looks again every 200 ms while it waits.
const DELETE_BOUND: Duration = Duration::from_secs(30);

const PROVIDER: &str = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: CapacityProvider
metadata:
  name: app-asg
spec:
  autoScalingGroupProvider:
    autoScalingGroupArn: arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:0000:autoScalingGroupName/app
    managedScaling: {status: ENABLED, targetCapacity: 90}
"#;

const CLUSTER: &str = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: ECSCluster
metadata:
  name: app
spec:
  capacityProviders: [FARGATE, app-asg]
"#;

const SVC: &str = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: ECSService
metadata:
  name: web
spec:
  clusterRef: {name: app}
  taskDefinitionRef: {name: web}
  desiredCount: 2
  launchType: FARGATE
  networkConfiguration:
    awsvpcConfiguration:
      subnets: [subnet-0123456789abcdef0]
  autoscaling:
    minCapacity: 2
    maxCapacity: 4
"#;

/// The ECS cluster, service and Application Auto Scaling resource id the app makes.
const ECS_CLUSTER: &str = "app";
const ECS_SERVICE: &str = "web";
const SCALABLE_TARGET: &str = "service/app/web";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Provider,
    Cluster,
    TaskDefinition,
    Service,
}

impl Kind {
    const ALL: [Kind; 4] = [Kind::Provider, Kind::Cluster, Kind::TaskDefinition, Kind::Service];

    fn name(self) -> &'static str {
        match self {
            Kind::Provider => "app-asg",
            Kind::Cluster => "app",
            Kind::TaskDefinition | Kind::Service => "web",
        }
    }

    fn api(self, bed: &Bed, ns: &str) -> Api<DynamicObject> {
        let resource = match self {
            Kind::Provider => ApiResource::erase::<CapacityProvider>(&()),
            Kind::Cluster => ApiResource::erase::<ECSCluster>(&()),
            Kind::TaskDefinition => ApiResource::erase::<TaskDefinition>(&()),
            Kind::Service => ApiResource::erase::<ECSService>(&()),
        };
        Api::namespaced_with(bed.client.clone(), ns, &resource)
    }
}

/// (status, reason, message) of a Ready condition.
type Ready = (String, String, String);

/// The Ready condition of `obj`.
fn ready(obj: &DynamicObject) -> Option<Ready> {
    let conditions = obj.data.pointer("/status/conditions")?.as_array()?;
    let c = conditions.iter().find(|c| c["type"] == "Ready")?;
    let field = |k: &str| c[k].as_str().unwrap_or_default().to_owned();
    Some((field("status"), field("reason"), field("message")))
}

async fn bed() -> Bed {
    let mut sim = ecs_sim::SimConfig::for_tests();
    sim.clock = ecs_sim::ClockMode::Scaled { speed: 50.0 };
    let mut bed = Bed::start_with(sim).await;
    let mut config = Bed::operator_config();
    config.rollout_poll_interval = Duration::from_millis(200);
    bed.start_operator_with(config).await;
    bed
}

/// Applies the whole app into `ns` and waits until every object is Ready at its generation.
async fn create_app(bed: &Bed, ns: &str) {
    bed.apply_in::<CapacityProvider>(ns, PROVIDER).await;
    bed.apply_in::<ECSCluster>(ns, CLUSTER).await;
    bed.apply_in::<TaskDefinition>(ns, WEB_TD).await;
    bed.apply_in::<ECSService>(ns, SVC).await;
    for kind in Kind::ALL {
        let api = kind.api(bed, ns);
        bed.eventually(&format!("{kind:?} Ready"), || async {
            let obj = api.get(kind.name()).await.ok()?;
            let current =
                obj.data.pointer("/status/observedGeneration").and_then(|g| g.as_i64()) == obj.metadata.generation;
            (current && ready(&obj)?.0 == "True").then_some(())
        })
        .await;
    }
    let target = bed.aws_clients().autoscaling.describe_target(SCALABLE_TARGET).await.expect("describe target");
    assert!(target.is_some(), "the service's scalable target is registered");
}

async fn delete(bed: &Bed, ns: &str, kind: Kind) {
    kind.api(bed, ns).delete(kind.name(), &DeleteParams::default()).await.expect("delete");
}

/// Waits until the operator has acted on `kind`'s deletion: the object is gone, or its status
/// says it is being deleted (or what blocks it).
async fn reacted(bed: &Bed, ns: &str, kind: Kind) {
    let api = kind.api(bed, ns);
    bed.eventually(&format!("the operator to act on {kind:?}'s deletion"), || async {
        match api.get_opt(kind.name()).await.ok()? {
            None => Some(()),
            Some(obj) => {
                let (status, reason, _) = ready(&obj)?;
                (status == "False" && (reason == "Deleting" || reason == "DeletionBlocked")).then_some(())
            }
        }
    })
    .await;
}

/// Waits (at most [`DELETE_BOUND`] from `since`) until no object of the app is left in `ns`.
async fn all_gone(bed: &Bed, ns: &str, since: Instant) -> Duration {
    loop {
        let mut left = Vec::new();
        for kind in Kind::ALL {
            if let Some(obj) = kind.api(bed, ns).get_opt(kind.name()).await.expect("read") {
                left.push(format!("{kind:?} (Ready: {:?})", ready(&obj)));
            }
        }
        if left.is_empty() {
            return since.elapsed();
        }
        assert!(since.elapsed() < DELETE_BOUND, "left {DELETE_BOUND:?} after the delete: {left:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Nothing of the app is left in AWS: the ECS service gone (its cluster too, so ECS answers
/// ClusterNotFound, or INACTIVE / MISSING), the cluster and provider INACTIVE, no ACTIVE
/// revision in the family, no scalable target.
async fn aws_is_clean(bed: &Bed) {
    match bed.aws.describe_services().cluster(ECS_CLUSTER).services(ECS_SERVICE).send().await {
        Ok(out) => {
            let live: Vec<_> = out.services().iter().filter(|s| s.status() != Some("INACTIVE")).collect();
            assert!(live.is_empty(), "ECS service left: {live:?}");
        }
        Err(e) => {
            let code = aws_sdk_ecs::error::ProvideErrorMetadata::code(&e).map(str::to_owned);
            assert_eq!(code.as_deref(), Some("ClusterNotFoundException"), "{e:?}");
        }
    }
    let out = bed.aws.describe_clusters().clusters(ECS_CLUSTER).send().await.expect("describe clusters");
    let status = out.clusters().first().and_then(|c| c.status()).map(str::to_owned);
    assert_eq!(status.as_deref(), Some("INACTIVE"), "cluster deleted");
    let out =
        bed.aws.describe_capacity_providers().capacity_providers("app-asg").send().await.expect("describe providers");
    let live: Vec<_> =
        out.capacity_providers().iter().filter(|p| p.status().is_some_and(|s| s.as_str() != "INACTIVE")).collect();
    assert!(live.is_empty(), "capacity provider left: {live:?}");
    let out = bed
        .aws
        .list_task_definitions()
        .family_prefix("web")
        .status(aws_sdk_ecs::types::TaskDefinitionStatus::Active)
        .send()
        .await
        .expect("list revisions");
    assert!(out.task_definition_arns().is_empty(), "ACTIVE revisions left: {:?}", out.task_definition_arns());
    let target = bed.aws_clients().autoscaling.describe_target(SCALABLE_TARGET).await.expect("describe target");
    assert_eq!(target, None, "scalable target deregistered");
}

/// One version of an object, as the watch saw it.
struct Seen {
    kind: Kind,
    deleting: bool,
    ready: Option<Ready>,
}

/// Every Ready condition each object of the app showed, as the watch saw it, with whether the
/// object was being deleted then.
struct History {
    seen: Arc<Mutex<Vec<Seen>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl History {
    fn start(bed: &Bed, ns: &str) -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let tasks = Kind::ALL
            .into_iter()
            .map(|kind| {
                let (api, seen) = (kind.api(bed, ns), seen.clone());
                tokio::spawn(async move {
                    let mut events = watcher(api, watcher::Config::default()).applied_objects().boxed();
                    while let Some(Ok(obj)) = events.next().await {
                        let deleting = obj.metadata.deletion_timestamp.is_some();
                        let version = Seen { kind, deleting, ready: ready(&obj) };
                        seen.lock().unwrap_or_else(|e| e.into_inner()).push(version);
                    }
                })
            })
            .collect();
        Self { seen, tasks }
    }

    /// The Ready conditions `kind` showed while it was being deleted.
    fn while_deleting(&self, kind: Kind) -> Vec<Ready> {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.iter().filter(|s| s.kind == kind && s.deleting).filter_map(|s| s.ready.clone()).collect()
    }

    /// The service showed Ready=False / Deleting, waiting for ECS to drain it, and that is the
    /// last thing it showed.
    fn assert_service_showed_draining(&self) {
        let shown = self.while_deleting(Kind::Service);
        let draining =
            ("False".to_owned(), "Deleting".to_owned(), "waiting for ECS service web to finish DRAINING".into());
        assert!(shown.contains(&draining), "the service never showed that it drains: {shown:?}");
        assert_eq!(shown.last(), Some(&draining), "a later status replaced it: {shown:?}");
    }
}

impl Drop for History {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// The app deleted one kind after another, each deletion seen by the operator before the next.
async fn delete_in_order(order: [Kind; 4]) {
    let bed = bed().await;
    let ns = "app";
    create_app(&bed, ns).await;
    let history = History::start(&bed, ns);
    let started = Instant::now();
    for kind in order {
        delete(&bed, ns, kind).await;
        reacted(&bed, ns, kind).await;
    }
    let took = all_gone(&bed, ns, started).await;
    eprintln!("{order:?}: every object gone {took:?} after the first delete");
    aws_is_clean(&bed).await;
    history.assert_service_showed_draining();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clusters_first() {
    delete_in_order([Kind::Cluster, Kind::Provider, Kind::TaskDefinition, Kind::Service]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_first() {
    delete_in_order([Kind::Service, Kind::TaskDefinition, Kind::Cluster, Kind::Provider]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_definitions_first() {
    delete_in_order([Kind::TaskDefinition, Kind::Cluster, Kind::Service, Kind::Provider]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capacity_providers_first() {
    delete_in_order([Kind::Provider, Kind::TaskDefinition, Kind::Service, Kind::Cluster]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_in_one_go() {
    let bed = bed().await;
    let ns = "app";
    create_app(&bed, ns).await;
    let history = History::start(&bed, ns);
    let started = Instant::now();
    futures::future::join_all(Kind::ALL.map(|kind| delete(&bed, ns, kind))).await;
    let took = all_gone(&bed, ns, started).await;
    eprintln!("all at once: every object gone {took:?} after the deletes");
    aws_is_clean(&bed).await;
    history.assert_service_showed_draining();
}

/// kube-sim deletes a namespace the way the API server does: everything in it is marked for
/// deletion at once, and the namespace goes when it is empty (finalizers honoured).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespace_deletion() {
    let bed = bed().await;
    let ns = "team-a";
    create_app(&bed, ns).await;
    let history = History::start(&bed, ns);
    let namespaces: Api<Namespace> = Api::all(bed.client.clone());
    let started = Instant::now();
    namespaces.delete(ns, &DeleteParams::default()).await.expect("delete namespace");
    let took = all_gone(&bed, ns, started).await;
    eprintln!("namespace deletion: every object gone {took:?} after the delete");
    bed.eventually("namespace gone", || async { namespaces.get_opt(ns).await.ok()?.is_none().then_some(()) }).await;
    aws_is_clean(&bed).await;
    history.assert_service_showed_draining();
}

/// The race behind the bug: the ECS service drains and its cluster is deleted before the
/// ECSService's cleanup looks again. DescribeServices then answers ClusterNotFoundException,
/// which used to be "terminal; waiting for a change" with the finalizer held forever and
/// Ready=True. The operator is stopped while it happens so the order is certain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_gone_before_the_service_cleanup_looks() {
    let mut bed = bed().await;
    bed.aws.create_cluster().cluster_name("outside").send().await.expect("cluster");
    bed.apply::<TaskDefinition>(WEB_TD).await;
    let svc = SVC
        .replace("clusterRef: {name: app}", "cluster: outside")
        .replace("  autoscaling:\n    minCapacity: 2\n    maxCapacity: 4\n", "");
    bed.apply::<ECSService>(&svc).await;
    let services: Api<ECSService> = Api::namespaced(bed.client.clone(), crate::support::NS);
    bed.eventually("service Ready", || async {
        let s = services.get("web").await.ok()?;
        let c = s.status?.common.conditions?.into_iter().find(|c| c.type_ == "Ready")?;
        (c.status == "True").then_some(())
    })
    .await;
    bed.stop_operator().await;
    // Another actor (or the ECSCluster's own cleanup, racing) removes service and cluster.
    bed.aws.delete_service().cluster("outside").service("web").force(true).send().await.expect("delete service");
    bed.eventually("service INACTIVE", || async {
        let out = bed.aws.describe_services().cluster("outside").services("web").send().await.ok()?;
        (out.services().first()?.status() == Some("INACTIVE")).then_some(())
    })
    .await;
    bed.aws.delete_cluster().cluster("outside").send().await.expect("delete cluster");
    services.delete("web", &DeleteParams::default()).await.expect("delete");
    let started = Instant::now();
    bed.start_operator().await;
    bed.eventually("ECSService gone", || async { services.get_opt("web").await.ok()?.is_none().then_some(()) }).await;
    eprintln!("ECSService whose cluster was gone: released {:?} after the operator started", started.elapsed());
    let tds: Api<TaskDefinition> = Api::namespaced(bed.client.clone(), crate::support::NS);
    tds.delete("web", &DeleteParams::default()).await.expect("delete the TaskDefinition");
    bed.eventually("TaskDefinition gone", || async { tds.get_opt("web").await.ok()?.is_none().then_some(()) }).await;
}
