//! The ECSCluster controller against kube-sim and ecs-sim: FARGATE capacity and a default
//! strategy → Ready with ARN; a setting change is one UpdateCluster and nothing else; drift
//! corrected or reported; deletion waits (with a clear condition and one event) while a
//! service remains; an ECSService with clusterRef waits for its cluster; bad input is named;
//! Observe mode reports and never writes.

use std::time::Duration;

use crate::support::{Bed, NS, WEB_TD as TD};
use aws_sdk_ecs::types::{ClusterField, ClusterSetting, ClusterSettingName};
use ecs_operator::crd::{ECSCluster, ECSService, TaskDefinition};
use k8s_openapi::api::events::v1::Event;
use kube::api::{Api, DeleteParams, ListParams};

const CLUSTER: &str = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: ECSCluster
metadata:
  name: prod
spec:
  capacityProviders: [FARGATE, FARGATE_SPOT]
  defaultCapacityProviderStrategy:
    - {capacityProvider: FARGATE, weight: 1, base: 1}
    - {capacityProvider: FARGATE_SPOT, weight: 4}
  settings: {containerInsights: enabled}
  tags: {team: web}
"#;

/// Every ECS write the cluster controller can make.
const WRITES: &[&str] =
    &["CreateCluster", "UpdateCluster", "PutClusterCapacityProviders", "TagResource", "UntagResource", "DeleteCluster"];

async fn bed() -> Bed {
    let mut config = ecs_sim::SimConfig::for_tests();
    config.clock = ecs_sim::ClockMode::Scaled { speed: 50.0 };
    let mut bed = Bed::start_with(config).await;
    let mut operator = Bed::operator_config();
    operator.rollout_poll_interval = Duration::from_millis(200);
    bed.start_operator_with(operator).await;
    bed
}

fn clusters(bed: &Bed) -> Api<ECSCluster> {
    Api::namespaced(bed.client.clone(), NS)
}

fn condition(c: &ECSCluster, type_: &str) -> Option<(String, String, String)> {
    let c = c.status.as_ref()?.common.conditions.as_ref()?.iter().find(|c| c.type_ == type_)?;
    Some((c.status.clone(), c.reason.clone(), c.message.clone()))
}

fn writes(bed: &Bed) -> Vec<u64> {
    WRITES.iter().map(|op| bed.calls(op)).collect()
}

/// Waits until `name` is Ready at its current generation.
async fn ready(bed: &Bed, name: &str) -> ECSCluster {
    bed.eventually(&format!("{name} Ready"), || async {
        let c = clusters(bed).get(name).await.ok()?;
        let current = c.status.as_ref()?.common.observed_generation == c.metadata.generation;
        (current && condition(&c, "Ready").is_some_and(|r| r.0 == "True")).then_some(c)
    })
    .await
}

/// The cluster's containerInsights value as ECS reports it.
async fn insights(bed: &Bed, name: &str) -> Option<String> {
    let out = bed.aws.describe_clusters().clusters(name).include(ClusterField::Settings).send().await.ok()?;
    let cluster = out.clusters?.into_iter().next()?;
    let setting = cluster.settings?.into_iter().find(|s| s.name == Some(ClusterSettingName::ContainerInsights))?;
    setting.value
}

/// Lets the operator poll a few more times, so "nothing else was written" is a real claim.
async fn more_polls(bed: &Bed, n: u64) {
    let polls = bed.calls("DescribeClusters");
    bed.eventually("more polls", || async { (bed.calls("DescribeClusters") >= polls + n).then_some(()) }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fargate_cluster_is_ready_and_a_setting_change_is_one_update() {
    let bed = bed().await;
    bed.apply::<ECSCluster>(CLUSTER).await;
    let c = ready(&bed, "prod").await;
    let status = c.status.unwrap_or_default();
    assert!(status.cluster_arn.as_deref().is_some_and(|a| a.ends_with(":cluster/prod")), "{status:?}");
    assert_eq!(status.status.as_deref(), Some("ACTIVE"));
    assert_eq!(status.capacity_providers, Some(vec!["FARGATE".to_string(), "FARGATE_SPOT".to_string()]));
    assert!(status.spec_hash.is_some());
    let out = bed.aws.describe_clusters().clusters("prod").include(ClusterField::Tags).send().await.expect("describe");
    let described = out.clusters.unwrap_or_default().into_iter().next().expect("cluster");
    let tags: Vec<(String, String)> = described
        .tags()
        .iter()
        .map(|t| (t.key().unwrap_or_default().into(), t.value().unwrap_or_default().into()))
        .collect();
    for want in
        [("team", "web"), ("ecs.operator.dev/owner", "default/prod"), ("ecs.operator.dev/cluster-id", "test-cluster")]
    {
        assert!(tags.contains(&(want.0.into(), want.1.into())), "{want:?} in {tags:?}");
    }
    assert_eq!(described.default_capacity_provider_strategy().len(), 2);
    assert_eq!(insights(&bed, "prod").await.as_deref(), Some("enabled"));
    assert_eq!(writes(&bed), [1, 0, 0, 0, 0, 0], "created with everything in one call");

    // Steady state: polls, no writes.
    more_polls(&bed, 5).await;
    assert_eq!(writes(&bed), [1, 0, 0, 0, 0, 0], "no writes in steady state");

    bed.apply::<ECSCluster>(&CLUSTER.replace("containerInsights: enabled", "containerInsights: enhanced")).await;
    bed.eventually("insights enhanced", || async { (insights(&bed, "prod").await? == "enhanced").then_some(()) }).await;
    ready(&bed, "prod").await;
    more_polls(&bed, 5).await;
    assert_eq!(writes(&bed), [1, 1, 0, 0, 0, 0], "exactly one UpdateCluster, nothing else");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_band_setting_change_is_corrected_or_reported() {
    let bed = bed().await;
    bed.apply::<ECSCluster>(CLUSTER).await;
    bed.apply::<ECSCluster>(
        &CLUSTER.replace("name: prod", "name: reported").replace("tags:", "driftPolicy: Report\n  tags:"),
    )
    .await;
    ready(&bed, "prod").await;
    ready(&bed, "reported").await;
    let updates = bed.calls("UpdateCluster");
    // Someone turns Container Insights off on both, outside the operator.
    for name in ["prod", "reported"] {
        let off = ClusterSetting::builder().name(ClusterSettingName::ContainerInsights).value("disabled").build();
        bed.aws.update_cluster_settings().cluster(name).settings(off).send().await.expect("out-of-band change");
    }
    bed.eventually("prod corrected", || async { (insights(&bed, "prod").await? == "enabled").then_some(()) }).await;
    let drifted = bed
        .eventually("drift reported", || async {
            let c = clusters(&bed).get("reported").await.ok()?;
            let drift = c.status.as_ref()?.common.drift.clone()?;
            drift.into_iter().find(|d| d.field == "settings.containerInsights").map(|d| (d, condition(&c, "Ready")))
        })
        .await;
    assert_eq!(drifted.0.desired.as_deref(), Some(r#""enabled""#));
    assert_eq!(drifted.0.actual.as_deref(), Some(r#""disabled""#), "a default is a value");
    let (ready_status, reason, message) = drifted.1.expect("Ready condition");
    assert_eq!((ready_status.as_str(), reason.as_str()), ("False", "Drifted"), "{message}");
    more_polls(&bed, 5).await;
    assert_eq!(insights(&bed, "reported").await.as_deref(), Some("disabled"), "Report never writes");
    assert_eq!(bed.calls("UpdateCluster"), updates + 1, "one correction, for prod only");
    let prod = clusters(&bed).get("prod").await.expect("get");
    assert!(prod.status.and_then(|s| s.common.drift).is_none(), "corrected drift is not left in status");
}

/// Registers a task definition and creates a service in `cluster` directly in ECS, the way
/// another team's tooling would.
async fn foreign_service(bed: &Bed, cluster: &str, name: &str) {
    let container = aws_sdk_ecs::types::ContainerDefinition::builder().name("app").image("busybox").build();
    let td = bed
        .aws
        .register_task_definition()
        .family("foreign")
        .network_mode(aws_sdk_ecs::types::NetworkMode::Awsvpc)
        .requires_compatibilities(aws_sdk_ecs::types::Compatibility::Fargate)
        .cpu("256")
        .memory("512")
        .container_definitions(container)
        .send()
        .await
        .expect("register");
    let arn = td.task_definition.and_then(|t| t.task_definition_arn).expect("arn");
    let network = aws_sdk_ecs::types::NetworkConfiguration::builder()
        .awsvpc_configuration(
            aws_sdk_ecs::types::AwsVpcConfiguration::builder()
                .subnets("subnet-0123456789abcdef0")
                .build()
                .expect("vpc"),
        )
        .build();
    bed.aws
        .create_service()
        .cluster(cluster)
        .service_name(name)
        .task_definition(arn)
        .desired_count(1)
        .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
        .network_configuration(network)
        .send()
        .await
        .expect("create service");
}

async fn blocked_events(bed: &Bed) -> usize {
    let events: Api<Event> = Api::namespaced(bed.client.clone(), NS);
    let list = events.list(&ListParams::default()).await.expect("events");
    list.items
        .iter()
        .filter(|e| e.reason.as_deref() == Some("DeletionBlocked"))
        .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("prod"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletion_waits_while_a_service_remains_then_proceeds() {
    let bed = bed().await;
    bed.apply::<ECSCluster>(CLUSTER).await;
    ready(&bed, "prod").await;
    foreign_service(&bed, "prod", "batch").await;
    clusters(&bed).delete("prod", &DeleteParams::default()).await.expect("delete");
    let (_, _, message) = bed
        .eventually("DeletionBlocked", || async {
            let c = clusters(&bed).get("prod").await.ok()?;
            condition(&c, "Ready").filter(|r| r.0 == "False" && r.1 == "DeletionBlocked")
        })
        .await;
    assert!(message.contains("still has 1 service (batch)"), "{message}");
    // Waiting is cheap: one re-check per rollout poll (200 ms in this test; 5 s by default),
    // never a hot loop; DeleteCluster is never tried while services remain, and the Warning
    // event is published once.
    let list_calls = bed.calls("ListServices");
    tokio::time::sleep(Duration::from_secs(3)).await; // a measurement window, not a wait for state
    let during = bed.calls("ListServices") - list_calls;
    assert!(during <= 20, "{during} ListServices calls in 3 s: a hot loop");
    assert_eq!(bed.calls("DeleteCluster"), 0);
    assert_eq!(blocked_events(&bed).await, 1, "one Warning event for the whole wait");
    assert!(clusters(&bed).get_opt("prod").await.expect("get").is_some(), "the object waits");

    // The other team removes its service; deletion proceeds on its own.
    bed.aws.delete_service().cluster("prod").service("batch").force(true).send().await.expect("delete service");
    bed.eventually("ECSCluster gone", || async { clusters(&bed).get_opt("prod").await.ok()?.is_none().then_some(()) })
        .await;
    let out = bed.aws.describe_clusters().clusters("prod").send().await.expect("describe");
    let status = out.clusters.unwrap_or_default().into_iter().next().and_then(|c| c.status);
    assert_eq!(status.as_deref(), Some("INACTIVE"));
    assert_eq!(bed.calls("DeleteCluster"), 1);
}

const SVC: &str = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: ECSService
metadata:
  name: web
spec:
  clusterRef: {name: prod}
  taskDefinitionRef: {name: web}
  desiredCount: 1
  networkConfiguration:
    awsvpcConfiguration:
      subnets: [subnet-0123456789abcdef0]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_with_cluster_ref_waits_for_the_cluster() {
    let bed = bed().await;
    bed.apply::<TaskDefinition>(TD).await;
    bed.apply::<ECSService>(SVC).await;
    let services: Api<ECSService> = Api::namespaced(bed.client.clone(), NS);
    let (_, _, message) = bed
        .eventually("service waits", || async {
            let svc = services.get("web").await.ok()?;
            let c = svc.status.as_ref()?.common.conditions.as_ref()?.iter().find(|c| c.type_ == "Progressing")?.clone();
            (c.status == "True" && c.reason == "WaitingForReference").then_some((c.status, c.reason, c.message))
        })
        .await;
    assert!(message.contains("ECSCluster prod"), "{message}");
    assert_eq!(bed.calls("CreateService"), 0);

    bed.apply::<ECSCluster>(CLUSTER).await;
    let arn = ready(&bed, "prod").await.status.and_then(|s| s.cluster_arn).expect("clusterArn");
    let svc = bed
        .eventually("service created in the cluster", || async {
            let svc = services.get("web").await.ok()?;
            svc.status.as_ref()?.service_arn.is_some().then_some(svc)
        })
        .await;
    assert_eq!(svc.status.and_then(|s| s.cluster_arn), Some(arn));
    assert_eq!((bed.calls("CreateService"), bed.calls("CreateCluster")), (1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn observe_mode_reports_and_never_writes() {
    let bed = bed().await;
    bed.aws.create_cluster().cluster_name("legacy").send().await.expect("existing cluster");
    let observed = CLUSTER.replace("name: prod", "name: legacy").replace("tags:", "managementPolicy: Observe\n  tags:");
    bed.apply::<ECSCluster>(&observed).await;
    let c = bed
        .eventually("observed with drift", || async {
            let c = clusters(&bed).get("legacy").await.ok()?;
            c.status.as_ref()?.common.drift.is_some().then_some(c)
        })
        .await;
    // Synced is never True over a difference, Observe or not: it says the cluster drifted.
    assert_eq!(condition(&c, "Synced").map(|s| (s.0, s.1)), Some(("False".into(), "Drifted".into())));
    assert!(c.status.and_then(|s| s.cluster_arn).is_some_and(|a| a.ends_with(":cluster/legacy")));
    more_polls(&bed, 5).await;
    clusters(&bed).delete("legacy", &DeleteParams::default()).await.expect("delete");
    bed.eventually("object gone", || async { clusters(&bed).get_opt("legacy").await.ok()?.is_none().then_some(()) })
        .await;
    assert_eq!(writes(&bed), [1, 0, 0, 0, 0, 0], "only the test's own CreateCluster");
    let out = bed.aws.describe_clusters().clusters("legacy").send().await.expect("describe");
    let status = out.clusters.unwrap_or_default().into_iter().next().and_then(|c| c.status);
    assert_eq!(status.as_deref(), Some("ACTIVE"), "Observe leaves AWS alone on deletion");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_and_foreign_clusters_get_clear_conditions() {
    let bed = bed().await;
    // A capacity provider that does not exist: ECS refuses, the condition names it.
    bed.apply::<ECSCluster>(&CLUSTER.replace("[FARGATE, FARGATE_SPOT]", "[FARGATE, FARGATE_SPOT, no-such-asg-cp]"))
        .await;
    let (_, reason, message) = bed
        .eventually("Synced=False", || async {
            let c = clusters(&bed).get("prod").await.ok()?;
            condition(&c, "Synced").filter(|s| s.0 == "False")
        })
        .await;
    assert_eq!(reason, "Terminal");
    assert!(message.contains("no-such-asg-cp"), "{message}");

    // A cluster someone else made is not taken over without adopt.
    bed.aws.create_cluster().cluster_name("theirs").send().await.expect("foreign cluster");
    let theirs = CLUSTER.replace("name: prod", "name: theirs");
    bed.apply::<ECSCluster>(&theirs).await;
    let (_, reason, message) = bed
        .eventually("Conflict", || async {
            let c = clusters(&bed).get("theirs").await.ok()?;
            condition(&c, "Synced").filter(|s| s.0 == "False")
        })
        .await;
    assert!(reason == "Terminal" && message.contains("spec.adopt"), "{reason}: {message}");
    assert_eq!(bed.calls("PutClusterCapacityProviders"), 0, "nothing written to a foreign cluster");
    // With adopt it is brought in line and tagged as ours.
    bed.apply::<ECSCluster>(&theirs.replace("tags:", "adopt: true\n  tags:")).await;
    ready(&bed, "theirs").await;
    assert_eq!(insights(&bed, "theirs").await.as_deref(), Some("enabled"));
    assert_eq!((bed.calls("PutClusterCapacityProviders"), bed.calls("TagResource")), (1, 1));
}
