//! ECS Managed Instances end to end (kube-sim, ecs-sim at 50×, the controllers), everything
//! applied at once as GitOps would: a Managed Instances CapacityProvider made inside its
//! ECSCluster (found through clusterRef), the cluster listing it, a service placing tasks on it
//! through its capacity provider strategy; a settings change as one update, a fixed field as
//! RequiresReplacement with no write; then the whole app deleted at once, leaving nothing.

use std::time::Duration;

use crate::support::{Bed, NS};
use ecs_operator::crd::{CapacityProvider, ECSCluster, ECSService, TaskDefinition};
use kube::api::{Api, DeleteParams, Patch, PatchParams};

const APP: &str = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: ECSCluster
metadata:
  name: batch
spec:
  capacityProviders: [batch-mi]
  defaultCapacityProviderStrategy:
    - {capacityProvider: batch-mi, weight: 1}
---
apiVersion: ecs.operator.dev/v1alpha1
kind: CapacityProvider
metadata:
  name: batch-mi
spec:
  clusterRef: {name: batch}
  managedInstancesProvider:
    infrastructureRoleArn: arn:aws:iam::123456789012:role/ecsInfrastructureRole
    instanceLaunchTemplate:
      ec2InstanceProfileArn: arn:aws:iam::123456789012:instance-profile/ecsInstanceRole
      networkConfiguration:
        subnets: [subnet-0123456789abcdef0]
        securityGroups: [sg-0123456789abcdef0]
      instanceRequirements:
        vCpuCount: {min: 1, max: 4}
        memoryMiB: {min: 2048}
    propagateTags: CAPACITY_PROVIDER
---
apiVersion: ecs.operator.dev/v1alpha1
kind: TaskDefinition
metadata:
  name: worker
spec:
  requiresCompatibilities: [MANAGED_INSTANCES]
  networkMode: awsvpc
  cpu: "512"
  memory: "1024"
  containerDefinitions:
    - name: worker
      image: public.ecr.aws/docker/library/busybox:1.36
      command: [sh, -c, "while true; do sleep 30; done"]
---
apiVersion: ecs.operator.dev/v1alpha1
kind: ECSService
metadata:
  name: worker
spec:
  clusterRef: {name: batch}
  taskDefinitionRef: {name: worker}
  desiredCount: 2
  capacityProviderStrategy:
    - {capacityProvider: batch-mi, weight: 1}
  networkConfiguration:
    awsvpcConfiguration:
      subnets: [subnet-0123456789abcdef0]
"#;

async fn bed() -> Bed {
    let mut config = ecs_sim::SimConfig::for_tests();
    config.clock = ecs_sim::ClockMode::Scaled { speed: 50.0 };
    let mut bed = Bed::start_with(config).await;
    let mut operator = Bed::operator_config();
    operator.rollout_poll_interval = Duration::from_millis(200);
    bed.start_operator_with(operator).await;
    bed
}

fn ready_of(conditions: Option<&Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition>>) -> bool {
    conditions.is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

async fn all_ready(bed: &Bed) {
    bed.eventually("cluster, provider, task definition and service Ready", || async {
        let c = Api::<ECSCluster>::namespaced(bed.client.clone(), NS).get("batch").await.ok()?;
        let p = Api::<CapacityProvider>::namespaced(bed.client.clone(), NS).get("batch-mi").await.ok()?;
        let s = Api::<ECSService>::namespaced(bed.client.clone(), NS).get("worker").await.ok()?;
        let current = p.status.as_ref()?.common.observed_generation == p.metadata.generation;
        let ready = ready_of(c.status.as_ref()?.common.conditions.as_ref())
            && ready_of(p.status.as_ref()?.common.conditions.as_ref())
            && ready_of(s.status.as_ref()?.common.conditions.as_ref());
        (ready && current).then_some(())
    })
    .await;
}

async fn described(bed: &Bed) -> aws_sdk_ecs::types::CapacityProvider {
    let out = bed.aws.describe_capacity_providers().capacity_providers("batch-mi").cluster("batch").send().await;
    out.expect("describe").capacity_providers().first().cloned().expect("provider")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_managed_instances_provider_runs_a_service_and_the_app_deletes_cleanly() {
    let bed = bed().await;
    for doc in APP.split("\n---\n") {
        match doc.lines().find_map(|l| l.strip_prefix("kind: ")) {
            Some("ECSCluster") => drop(bed.apply::<ECSCluster>(doc).await),
            Some("CapacityProvider") => drop(bed.apply::<CapacityProvider>(doc).await),
            Some("TaskDefinition") => drop(bed.apply::<TaskDefinition>(doc).await),
            Some("ECSService") => drop(bed.apply::<ECSService>(doc).await),
            other => panic!("unexpected document {other:?}"),
        }
    }
    all_ready(&bed).await;

    let provider = described(&bed).await;
    assert_eq!(provider.r#type().map(|t| t.as_str()), Some("MANAGED_INSTANCES"));
    assert_eq!(provider.cluster(), Some("batch"));
    let template = provider.managed_instances_provider().and_then(|m| m.instance_launch_template()).expect("template");
    assert_eq!(template.monitoring().map(|m| m.as_str()), Some("BASIC"));
    let cluster = bed.aws.describe_clusters().clusters("batch").send().await.expect("describe clusters");
    assert_eq!(cluster.clusters()[0].capacity_providers(), ["batch-mi"]);
    let tasks = bed.aws.list_tasks().cluster("batch").service_name("worker").send().await.expect("list tasks");
    let tasks = bed.aws.describe_tasks().cluster("batch").set_tasks(Some(tasks.task_arns().to_vec())).send().await;
    let tasks = tasks.expect("describe tasks");
    assert_eq!(tasks.tasks().len(), 2);
    assert!(tasks.tasks().iter().all(|t| t.launch_type().map(|l| l.as_str()) == Some("MANAGED_INSTANCES")));

    // A setting ECS can change: one UpdateCapacityProvider, sent within the cluster.
    let api = Api::<CapacityProvider>::namespaced(bed.client.clone(), NS);
    let updates = bed.calls("UpdateCapacityProvider");
    let detailed = serde_json::json!({"spec": {"managedInstancesProvider": {"instanceLaunchTemplate": {"monitoring": "DETAILED"}}}});
    api.patch("batch-mi", &PatchParams::default(), &Patch::Merge(&detailed)).await.expect("patch");
    all_ready(&bed).await;
    let monitoring =
        described(&bed).await.managed_instances_provider().and_then(|m| m.instance_launch_template().cloned());
    assert_eq!(
        monitoring.and_then(|t| t.monitoring().cloned()).map(|m| m.as_str().to_owned()).as_deref(),
        Some("DETAILED")
    );
    assert_eq!(bed.calls("UpdateCapacityProvider") - updates, 1);

    // One ECS fixes at create: RequiresReplacement, nothing written.
    let writes = bed.write_calls();
    let spot = serde_json::json!({"spec": {"managedInstancesProvider": {"instanceLaunchTemplate": {"capacityOptionType": "SPOT"}}}});
    api.patch("batch-mi", &PatchParams::default(), &Patch::Merge(&spot)).await.expect("patch");
    let message = bed
        .eventually("RequiresReplacement", || async {
            let p = api.get("batch-mi").await.ok()?;
            let c = p.status?.common.conditions?.into_iter().find(|c| c.type_ == "Synced")?;
            (c.reason == "RequiresReplacement").then_some(c.message)
        })
        .await;
    assert!(message.contains("spec.managedInstancesProvider.instanceLaunchTemplate.capacityOptionType"), "{message}");
    assert_eq!(bed.write_calls(), writes, "a fixed field is never written");

    // The whole app deleted at once: every object goes, and ECS keeps nothing of it.
    let dp = DeleteParams::default();
    Api::<ECSService>::namespaced(bed.client.clone(), NS).delete("worker", &dp).await.expect("delete");
    api.delete("batch-mi", &dp).await.expect("delete");
    Api::<ECSCluster>::namespaced(bed.client.clone(), NS).delete("batch", &dp).await.expect("delete");
    Api::<TaskDefinition>::namespaced(bed.client.clone(), NS).delete("worker", &dp).await.expect("delete");
    bed.eventually_within("every object gone", Duration::from_secs(60), || async {
        let left = Api::<ECSService>::namespaced(bed.client.clone(), NS).get_opt("worker").await.ok()?.is_some()
            || api.get_opt("batch-mi").await.ok()?.is_some()
            || Api::<ECSCluster>::namespaced(bed.client.clone(), NS).get_opt("batch").await.ok()?.is_some();
        (!left).then_some(())
    })
    .await;
    // Its cluster is gone: described by name alone.
    let out = bed.aws.describe_capacity_providers().capacity_providers("batch-mi").send().await.expect("describe");
    assert!(out.capacity_providers().iter().all(|p| p.status().map(|s| s.as_str()) == Some("INACTIVE")), "{out:?}");
    let cluster = bed.aws.describe_clusters().clusters("batch").send().await.expect("describe clusters");
    assert_eq!(cluster.clusters()[0].status(), Some("INACTIVE"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_deleted_first_waits_for_the_managed_instances_provider_inside_it() {
    let bed = bed().await;
    for doc in APP.split("\n---\n").take(2) {
        match doc.lines().find_map(|l| l.strip_prefix("kind: ")) {
            Some("ECSCluster") => drop(bed.apply::<ECSCluster>(doc).await),
            Some("CapacityProvider") => drop(bed.apply::<CapacityProvider>(doc).await),
            other => panic!("unexpected document {other:?}"),
        }
    }
    let clusters = Api::<ECSCluster>::namespaced(bed.client.clone(), NS);
    let providers = Api::<CapacityProvider>::namespaced(bed.client.clone(), NS);
    bed.eventually("provider Ready", || async {
        let p = providers.get("batch-mi").await.ok()?;
        ready_of(p.status.as_ref()?.common.conditions.as_ref()).then_some(())
    })
    .await;
    clusters.delete("batch", &DeleteParams::default()).await.expect("delete");
    let message = bed
        .eventually("cluster DeletionBlocked", || async {
            let c = clusters.get("batch").await.ok()?;
            let ready = c.status?.common.conditions?.into_iter().find(|c| c.type_ == "Ready")?;
            (ready.reason == "DeletionBlocked").then_some(ready.message)
        })
        .await;
    assert!(message.contains("CapacityProvider batch-mi"), "names the object to delete: {message}");
    assert_eq!(bed.calls("DeleteCluster"), 0, "no DeleteCluster ECS would refuse");
    providers.delete("batch-mi", &DeleteParams::default()).await.expect("delete");
    bed.eventually_within("both gone", Duration::from_secs(30), || async {
        let left =
            clusters.get_opt("batch").await.ok()?.is_some() || providers.get_opt("batch-mi").await.ok()?.is_some();
        (!left).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_that_does_not_list_its_managed_instances_provider_keeps_it() {
    let bed = bed().await;
    let cluster = "apiVersion: ecs.operator.dev/v1alpha1\nkind: ECSCluster\nmetadata:\n  name: batch\nspec:\n  capacityProviders: [FARGATE]\n";
    bed.apply::<ECSCluster>(cluster).await;
    let provider = APP.split("\n---\n").nth(1).expect("provider document");
    bed.apply::<CapacityProvider>(provider).await;
    let clusters = Api::<ECSCluster>::namespaced(bed.client.clone(), NS);
    let providers = Api::<CapacityProvider>::namespaced(bed.client.clone(), NS);
    let both_ready = || async {
        let c = clusters.get("batch").await.ok()?;
        let p = providers.get("batch-mi").await.ok()?;
        (ready_of(c.status.as_ref()?.common.conditions.as_ref())
            && ready_of(p.status.as_ref()?.common.conditions.as_ref()))
        .then_some(())
    };
    bed.eventually("cluster and provider Ready", both_ready).await;
    let polls = bed.calls("DescribeClusters");
    bed.eventually("more polls", || async { (bed.calls("DescribeClusters") >= polls + 3).then_some(()) }).await;
    let described = bed.aws.describe_clusters().clusters("batch").send().await.expect("describe clusters");
    let mut listed = described.clusters()[0].capacity_providers().to_vec();
    listed.sort();
    assert_eq!(listed, ["FARGATE", "batch-mi"], "ECS's own association is kept, not put away");
    assert_eq!(bed.calls("PutClusterCapacityProviders"), 0);
    bed.eventually("still both Ready", both_ready).await;
}
