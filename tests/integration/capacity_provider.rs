//! The CapacityProvider controller against kube-sim and ecs-sim: create → Ready with ARN; a
//! targetCapacity change is exactly one UpdateCapacityProvider; a new Auto Scaling group is
//! RequiresReplacement with no write; an ECSCluster naming a provider that does not exist is
//! told so by ECS's refusal, waits while the provider's object is not Ready, and becomes Ready
//! with it; deletion waits while the cluster uses the provider, then removes it from
//! ECS; bad names give a clear condition.

use std::time::Duration;

use crate::support::{Bed, NS};
use ecs_operator::crd::{CapacityProvider, ECSCluster};
use kube::api::{Api, DeleteParams};

const PROVIDER: &str = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: CapacityProvider
metadata:
  name: batch-asg
spec:
  autoScalingGroupProvider:
    autoScalingGroupArn: arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:0000:autoScalingGroupName/batch
    managedScaling: {status: ENABLED, targetCapacity: 90}
  tags: {team: data}
"#;

const CLUSTER: &str = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: ECSCluster
metadata:
  name: batch
spec:
  capacityProviders: [batch-asg]
  defaultCapacityProviderStrategy:
    - {capacityProvider: batch-asg, weight: 1}
"#;

const WRITES: &[&str] =
    &["CreateCapacityProvider", "UpdateCapacityProvider", "TagResource", "UntagResource", "DeleteCapacityProvider"];

async fn bed() -> Bed {
    let mut bed = Bed::start().await;
    let mut operator = Bed::operator_config();
    operator.rollout_poll_interval = Duration::from_millis(200);
    bed.start_operator_with(operator).await;
    bed
}

fn providers(bed: &Bed) -> Api<CapacityProvider> {
    Api::namespaced(bed.client.clone(), NS)
}

fn condition(p: &CapacityProvider, type_: &str) -> Option<(String, String, String)> {
    let c = p.status.as_ref()?.common.conditions.as_ref()?.iter().find(|c| c.type_ == type_)?;
    Some((c.status.clone(), c.reason.clone(), c.message.clone()))
}

fn writes(bed: &Bed) -> Vec<u64> {
    WRITES.iter().map(|op| bed.calls(op)).collect()
}

async fn ready(bed: &Bed, name: &str) -> CapacityProvider {
    bed.eventually(&format!("{name} Ready"), || async {
        let p = providers(bed).get(name).await.ok()?;
        let current = p.status.as_ref()?.common.observed_generation == p.metadata.generation;
        (current && condition(&p, "Ready").is_some_and(|r| r.0 == "True")).then_some(p)
    })
    .await
}

async fn target_capacity(bed: &Bed, name: &str) -> Option<i32> {
    let out = bed.aws.describe_capacity_providers().capacity_providers(name).send().await.ok()?;
    let p = out.capacity_providers?.into_iter().next()?;
    p.auto_scaling_group_provider?.managed_scaling?.target_capacity
}

async fn more_polls(bed: &Bed, n: u64) {
    let polls = bed.calls("DescribeCapacityProviders");
    bed.eventually("more polls", || async { (bed.calls("DescribeCapacityProviders") >= polls + n).then_some(()) })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_ready_updated_once_and_a_new_asg_requires_replacement() {
    let bed = bed().await;
    bed.apply::<CapacityProvider>(PROVIDER).await;
    let p = ready(&bed, "batch-asg").await;
    let status = p.status.unwrap_or_default();
    assert!(status.capacity_provider_arn.as_deref().is_some_and(|a| a.ends_with(":capacity-provider/batch-asg")));
    assert_eq!((status.name.as_deref(), status.status.as_deref()), (Some("batch-asg"), Some("ACTIVE")));
    assert_eq!(target_capacity(&bed, "batch-asg").await, Some(90));
    more_polls(&bed, 3).await;
    assert_eq!(writes(&bed), [1, 0, 0, 0, 0], "created in one call, nothing in steady state");

    bed.apply::<CapacityProvider>(&PROVIDER.replace("targetCapacity: 90", "targetCapacity: 75")).await;
    bed.eventually("target 75", || async { (target_capacity(&bed, "batch-asg").await? == 75).then_some(()) }).await;
    ready(&bed, "batch-asg").await;
    more_polls(&bed, 3).await;
    assert_eq!(writes(&bed), [1, 1, 0, 0, 0], "exactly one UpdateCapacityProvider");

    let moved = PROVIDER.replace("targetCapacity: 90", "targetCapacity: 75").replace("/batch\n", "/other\n");
    bed.apply::<CapacityProvider>(&moved).await;
    let synced = bed
        .eventually("RequiresReplacement", || async {
            let p = providers(&bed).get("batch-asg").await.ok()?;
            condition(&p, "Synced").filter(|s| s.1 == "RequiresReplacement")
        })
        .await;
    assert!(synced.2.contains("spec.autoScalingGroupProvider.autoScalingGroupArn"), "{synced:?}");
    more_polls(&bed, 2).await;
    assert_eq!(writes(&bed), [1, 1, 0, 0, 0], "no write for a field ECS cannot change");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_waits_for_its_provider_and_deletion_waits_for_the_cluster() {
    let bed = bed().await;
    // No provider anywhere: the name is used as-is and ECS's refusal names it.
    bed.apply::<ECSCluster>(CLUSTER).await;
    let clusters: Api<ECSCluster> = Api::namespaced(bed.client.clone(), NS);
    let cluster_condition = |type_: &'static str| {
        let clusters = clusters.clone();
        async move {
            let c = clusters.get("batch").await.ok()?;
            c.status?.common.conditions?.into_iter().find(|c| c.type_ == type_)
        }
    };
    bed.eventually("bad reference named", || async {
        let synced = cluster_condition("Synced").await?;
        (synced.status == "False" && synced.message.contains("batch-asg was not found")).then_some(())
    })
    .await;
    // A CapacityProvider object that is not Ready (Observe mode, nothing in ECS): the cluster
    // waits for it, woken by the object's status.
    bed.apply::<CapacityProvider>(&PROVIDER.replace("  tags:", "  managementPolicy: Observe\n  tags:")).await;
    let waiting = bed
        .eventually("cluster waiting", || async {
            let ready = cluster_condition("Ready").await?;
            (ready.reason == "WaitingForCapacityProvider").then_some(ready.message)
        })
        .await;
    assert!(
        waiting.contains("capacity provider batch-asg (CapacityProvider default/batch-asg) is not Ready"),
        "{waiting}"
    );
    let progressing = cluster_condition("Progressing").await.expect("Progressing");
    assert_eq!((progressing.status.as_str(), progressing.reason.as_str()), ("True", "WaitingForCapacityProvider"));
    let attempts = bed.calls("CreateCluster");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(bed.calls("CreateCluster"), attempts, "no CreateCluster while waiting");
    // Managed: created, Ready, and the cluster follows.
    bed.apply::<CapacityProvider>(PROVIDER).await;
    ready(&bed, "batch-asg").await;
    let cluster = bed
        .eventually("cluster Ready", || async {
            let c = clusters.get("batch").await.ok()?;
            let status = c.status.clone()?;
            let ready = status.common.conditions.as_ref()?.iter().any(|c| c.type_ == "Ready" && c.status == "True");
            ready.then_some(status)
        })
        .await;
    assert_eq!(cluster.capacity_providers, Some(vec!["batch-asg".to_string()]));

    // Deleting the provider waits while the cluster uses it.
    providers(&bed).delete("batch-asg", &DeleteParams::default()).await.expect("delete provider");
    let blocked = bed
        .eventually("deletion blocked", || async {
            let p = providers(&bed).get("batch-asg").await.ok()?;
            condition(&p, "Ready").filter(|r| r.1 == "DeletionBlocked")
        })
        .await;
    assert!(blocked.2.contains("still used by a cluster"), "{blocked:?}");
    // Once the cluster is gone, the provider is deleted in ECS and the object goes away.
    clusters.delete("batch", &DeleteParams::default()).await.expect("delete cluster");
    bed.eventually("provider object gone", || async {
        providers(&bed).get_opt("batch-asg").await.ok()?.is_none().then_some(())
    })
    .await;
    let out = bed.aws.describe_capacity_providers().capacity_providers("batch-asg").send().await.expect("describe");
    let status = out.capacity_providers().first().and_then(|p| p.status().map(|s| s.as_str().to_owned()));
    assert_eq!(status.as_deref(), Some("INACTIVE"), "deleted in ECS");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_names_and_foreign_providers_get_clear_conditions() {
    let bed = bed().await;
    // The object name is the default ECS name, and ECS reserves the `ecs` prefix.
    bed.apply::<CapacityProvider>(&PROVIDER.replace("name: batch-asg", "name: ecs-batch")).await;
    let synced = bed
        .eventually("Terminal", || async {
            let p = providers(&bed).get("ecs-batch").await.ok()?;
            condition(&p, "Synced").filter(|s| s.1 == "Terminal")
        })
        .await;
    assert!(synced.2.contains("metadata.name") && synced.2.contains("may not start with"), "{synced:?}");
    // A provider someone else made is not taken over without spec.adopt.
    let asg = aws_sdk_ecs::types::AutoScalingGroupProvider::builder()
        .auto_scaling_group_arn("arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1:autoScalingGroupName/x")
        .build()
        .expect("asg");
    bed.aws.create_capacity_provider().name("foreign").auto_scaling_group_provider(asg).send().await.expect("create");
    bed.apply::<CapacityProvider>(&PROVIDER.replace("name: batch-asg", "name: foreign")).await;
    let conflict = bed
        .eventually("Conflict", || async {
            let p = providers(&bed).get("foreign").await.ok()?;
            condition(&p, "Ready").filter(|s| s.1 == "Conflict")
        })
        .await;
    assert!(conflict.2.contains("set spec.adopt: true"), "{conflict:?}");
    assert_eq!(bed.calls("UpdateCapacityProvider"), 0);
    assert_eq!(bed.calls("CreateCapacityProvider"), 1, "only the test's own create");
}
