//! A value is a value (issue 17), end to end against kube-sim and ecs-sim: a field set to ECS's
//! default, written out or left out, reaches ECS, and a change away from it is drift; removing
//! a list or a block from the spec removes it in ECS (fields ECS chooses itself and whole tag
//! blocks too, through `status.lastApplied`); a correction ECS does not take is sent a
//! bounded number of times and then reported as DriftNotCorrectable; and with every sample
//! applied, the steady state writes nothing to AWS.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::time::{Duration, Instant};

use aws_sdk_ecs::types::{ClusterField, ClusterSettingName};
use ecs_operator::controller::drift::{MAX_ATTEMPTS, reasons};
use ecs_operator::crd::common::{AppliedRecord, CommonStatus};
use ecs_operator::crd::{CapacityProvider, ECSCluster, ECSExpressService, ECSService, ECSTask, TaskDefinition};
use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::events::v1::Event;
use kube::api::{Api, ListParams};
use serde::de::DeserializeOwned;

use crate::support::{Bed, CORRECTION_BACKOFF, NS};

const CLUSTER: &str = "prod";

/// Fargate, one container `web` listening on 80 (load balancers need the port).
const TD: &str = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: TaskDefinition
metadata:
  name: web
spec:
  requiresCompatibilities: [FARGATE]
  networkMode: awsvpc
  cpu: "256"
  memory: "512"
  containerDefinitions:
    - name: web
      image: nginx:1
      portMappings: [{containerPort: 80}]
"#;

/// ECSService `web` on Fargate in `prod`, one task; `network` goes under
/// `awsvpcConfiguration` and `extra` under `spec` (both indented, each line ending in \n).
fn svc(network: &str, extra: &str) -> String {
    format!(
        r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: ECSService
metadata:
  name: web
spec:
  cluster: prod
  taskDefinitionRef: {{name: web}}
  desiredCount: 1
  launchType: FARGATE
  networkConfiguration:
    awsvpcConfiguration:
      subnets: [subnet-0123456789abcdef0]
{network}{extra}"#
    )
}

/// An object whose status carries the shared conditions and drift.
trait Managed:
    kube::Resource<Scope = NamespaceResourceScope, DynamicType = ()> + Clone + DeserializeOwned + serde::Serialize + Debug
{
    fn common(&self) -> Option<&CommonStatus>;
}

impl<K> Managed for K
where
    K: ecs_operator::crd::ManagedObject
        + kube::Resource<Scope = NamespaceResourceScope, DynamicType = ()>
        + Clone
        + DeserializeOwned
        + serde::Serialize
        + Debug,
{
    fn common(&self) -> Option<&CommonStatus> {
        use ecs_operator::crd::HasCommonStatus;
        self.current_status().map(|s| s.common())
    }
}

/// (status, reason, message) of condition `type_`.
fn condition<K: Managed>(obj: &K, type_: &str) -> Option<(String, String, String)> {
    let c = obj.common()?.conditions.as_ref()?.iter().find(|c| c.type_ == type_)?;
    Some((c.status.clone(), c.reason.clone(), c.message.clone()))
}

/// Ready and Synced True at the object's current generation, and nothing in status.drift.
fn settled<K: Managed>(obj: &K) -> bool {
    let Some(common) = obj.common() else { return false };
    common.observed_generation == obj.meta().generation
        && condition(obj, "Ready").is_some_and(|c| c.0 == "True")
        && condition(obj, "Synced").is_some_and(|c| c.0 == "True")
        && common.drift.as_ref().is_none_or(Vec::is_empty)
}

/// Records whether each object of kind `K` has [`settled`], as `Kind/name`.
async fn settled_of<K: Managed>(bed: &Bed, all: &mut BTreeMap<String, bool>) {
    let api: Api<K> = Api::namespaced(bed.client.clone(), NS);
    for o in api.list(&ListParams::default()).await.expect("list").items {
        all.insert(format!("{}/{}", K::kind(&()), o.meta().name.clone().unwrap_or_default()), settled(&o));
    }
}

/// Waits until `name` has [`settled`] on the spec last applied.
async fn converged<K: Managed>(bed: &Bed, name: &str) -> K {
    let api: Api<K> = Api::namespaced(bed.client.clone(), NS);
    bed.eventually(&format!("{name} Ready and Synced at its generation, no drift"), || async {
        let obj = api.get(name).await.ok()?;
        settled(&obj).then_some(obj)
    })
    .await
}

/// ecs-sim at 50x with ECS cluster `prod`; the operator with the harness's config (short
/// correction back-off) polling rollouts every 200 ms.
async fn bed() -> Bed {
    bed_at(50.0).await
}

async fn bed_at(speed: f64) -> Bed {
    let mut config = ecs_sim::SimConfig::for_tests();
    config.clock = ecs_sim::ClockMode::Scaled { speed };
    let mut bed = Bed::start_with(config).await;
    bed.aws.create_cluster().cluster_name(CLUSTER).send().await.expect("cluster");
    let mut operator = Bed::operator_config();
    operator.rollout_poll_interval = Duration::from_millis(200);
    bed.start_operator_with(operator).await;
    bed
}

/// The ECS service `name` in `prod`, as DescribeServices reports it.
async fn ecs_service(bed: &Bed, name: &str) -> aws_sdk_ecs::types::Service {
    let out = bed.aws.describe_services().cluster(CLUSTER).services(name).send().await.expect("describe services");
    out.services.unwrap_or_default().into_iter().next().expect("service described")
}

/// The ECS cluster `name`, with its settings and configurations (Service Connect defaults).
async fn ecs_cluster(bed: &Bed, name: &str) -> aws_sdk_ecs::types::Cluster {
    let describe = bed.aws.describe_clusters().clusters(name).include(ClusterField::Settings);
    let out = describe.include(ClusterField::Configurations).send().await.expect("describe");
    out.clusters.unwrap_or_default().into_iter().next().expect("cluster described")
}

async fn insights(bed: &Bed, name: &str) -> Option<String> {
    let cluster = ecs_cluster(bed, name).await;
    let setting = cluster.settings?.into_iter().find(|s| s.name == Some(ClusterSettingName::ContainerInsights))?;
    setting.value
}

/// Lets the operator poll `op` `n` more times, so "nothing else was written" is a real claim.
async fn more_polls(bed: &Bed, op: &str, n: u64) {
    let polls = bed.calls(op);
    bed.eventually(&format!("{n} more {op}"), || async { (bed.calls(op) >= polls + n).then_some(()) }).await;
}

/// Notes of the events with `reason` about object `name`.
async fn event_notes(bed: &Bed, name: &str, reason: &str) -> Vec<String> {
    let events: Api<Event> = Api::namespaced(bed.client.clone(), NS);
    let list = events.list(&ListParams::default()).await.expect("events");
    list.items
        .into_iter()
        .filter(|e| e.reason.as_deref() == Some(reason))
        .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name))
        .filter_map(|e| e.note)
        .collect()
}

const INSIGHTS: &str = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: ECSCluster
metadata:
  name: insights
spec:
  capacityProviders: [FARGATE]
  settings: {containerInsights: enabled}
"#;

/// The issue's first example: `containerInsights: disabled` is a value. Before, the change to
/// the default was dropped from the desired form, so the object said Ready and Synced at
/// generation 2 while ECS kept `enabled` forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn container_insights_enabled_then_disabled_reaches_ecs_and_a_change_back_is_drift() {
    let bed = bed().await;
    bed.apply::<ECSCluster>(INSIGHTS).await;
    converged::<ECSCluster>(&bed, "insights").await;
    assert_eq!(insights(&bed, "insights").await.as_deref(), Some("enabled"));
    let updates = bed.calls("UpdateCluster");

    bed.apply::<ECSCluster>(&INSIGHTS.replace("containerInsights: enabled", "containerInsights: disabled")).await;
    let c = converged::<ECSCluster>(&bed, "insights").await;
    assert_eq!(c.metadata.generation, Some(2));
    bed.eventually("ECS reports disabled", || async {
        (insights(&bed, "insights").await.as_deref() == Some("disabled")).then_some(())
    })
    .await;
    more_polls(&bed, "DescribeClusters", 5).await;
    assert_eq!(bed.calls("UpdateCluster"), updates + 1, "exactly one UpdateCluster");
    assert_eq!(
        bed.writes_made(),
        [("CreateCluster", 2), ("UpdateCluster", updates + 1)],
        "nothing else written (one CreateCluster is the bed's own prod)"
    );
    assert!(converged::<ECSCluster>(&bed, "insights").await.common().is_some_and(|s| s.drift.is_none()));

    // Someone turns Container Insights back on: away from the default is drift, and corrected.
    let on = aws_sdk_ecs::types::ClusterSetting::builder()
        .name(ClusterSettingName::ContainerInsights)
        .value("enabled")
        .build();
    bed.aws.update_cluster_settings().cluster("insights").settings(on).send().await.expect("out-of-band change");
    bed.eventually("ECS back to disabled", || async {
        (insights(&bed, "insights").await.as_deref() == Some("disabled")).then_some(())
    })
    .await;
    let notes = event_notes(&bed, "insights", "DriftCorrected").await;
    assert!(notes.iter().any(|n| n.contains("settings.containerInsights")), "{notes:?}");
    converged::<ECSCluster>(&bed, "insights").await;
    assert_eq!(bed.calls("UpdateCluster"), updates + 2, "one correction");
}

/// ECS Exec turned off in the spec is off in ECS, whether `false` is written or the field is
/// left out. Before, neither reached ECS: ECS Exec stayed on (a security problem) while the
/// object said Ready.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enable_execute_command_true_then_false_then_omitted_is_off_in_ecs() {
    let bed = bed().await;
    bed.apply::<TaskDefinition>(TD).await;
    let steps = [
        ("  enableExecuteCommand: true\n", true),
        ("  enableExecuteCommand: false\n", false),
        ("  enableExecuteCommand: true\n", true),
        ("", false),
    ];
    for (generation, (extra, on)) in (1..).zip(steps) {
        bed.apply::<ECSService>(&svc("", extra)).await;
        let obj = converged::<ECSService>(&bed, "web").await;
        assert_eq!(obj.metadata.generation, Some(generation));
        bed.eventually(&format!("enableExecuteCommand {on} in ECS at generation {generation}"), || async {
            (ecs_service(&bed, "web").await.enable_execute_command() == on).then_some(())
        })
        .await;
    }
    more_polls(&bed, "DescribeServices", 5).await;
    converged::<ECSService>(&bed, "web").await;
    assert_eq!(bed.calls("UpdateService"), 3, "one UpdateService per change, nothing more");
}

/// `assignPublicIp: DISABLED`, written or left out, is DISABLED in ECS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assign_public_ip_enabled_then_disabled_then_omitted_is_disabled_in_ecs() {
    let bed = bed().await;
    bed.apply::<TaskDefinition>(TD).await;
    let steps = [
        ("      assignPublicIp: ENABLED\n", "ENABLED"),
        ("      assignPublicIp: DISABLED\n", "DISABLED"),
        ("      assignPublicIp: ENABLED\n", "ENABLED"),
        ("", "DISABLED"),
    ];
    for (generation, (network, want)) in (1..).zip(steps) {
        bed.apply::<ECSService>(&svc(network, "")).await;
        let obj = converged::<ECSService>(&bed, "web").await;
        assert_eq!(obj.metadata.generation, Some(generation));
        bed.eventually(&format!("assignPublicIp {want} in ECS at generation {generation}"), || async {
            let service = ecs_service(&bed, "web").await;
            let vpc = service.network_configuration?.awsvpc_configuration?;
            (vpc.assign_public_ip?.as_str() == want).then_some(())
        })
        .await;
    }
    assert_eq!(bed.calls("UpdateService"), 3, "one UpdateService per change");
}

/// Load balancers and service registries removed from the spec are removed in ECS (an
/// UpdateService with empty lists); before, a list left out was "don't care" and stayed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_balancers_and_service_registries_removed_from_the_spec_are_removed_in_ecs() {
    let bed = bed().await;
    bed.apply::<TaskDefinition>(TD).await;
    let lists = r#"  loadBalancers:
    - targetGroupArn: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef
      containerName: web
      containerPort: 80
  serviceRegistries:
    - registryArn: arn:aws:servicediscovery:us-east-1:123456789012:service/srv-0123456789abcdef0
"#;
    bed.apply::<ECSService>(&svc("", lists)).await;
    converged::<ECSService>(&bed, "web").await;
    let service = ecs_service(&bed, "web").await;
    assert_eq!((service.load_balancers().len(), service.service_registries().len()), (1, 1));

    bed.apply::<ECSService>(&svc("", "")).await;
    converged::<ECSService>(&bed, "web").await;
    bed.eventually("both lists empty in ECS", || async {
        let service = ecs_service(&bed, "web").await;
        (service.load_balancers().is_empty() && service.service_registries().is_empty()).then_some(())
    })
    .await;
    more_polls(&bed, "DescribeServices", 5).await;
    assert_eq!(bed.calls("UpdateService"), 1, "one UpdateService for the removal");
}

const BATCH_TD: &str = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: TaskDefinition
metadata:
  name: batch
spec:
  requiresCompatibilities: [EC2]
  networkMode: bridge
  containerDefinitions:
    - {name: batch, image: busybox, memory: 128}
"#;

/// An EC2 service (placement is refused on Fargate at admission).
const BATCH: &str = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: ECSService
metadata:
  name: batch
spec:
  cluster: prod
  taskDefinitionRef: {name: batch}
  desiredCount: 1
  launchType: EC2
  placementConstraints:
    - type: distinctInstance
  placementStrategy:
    - type: spread
      field: attribute:ecs.availability-zone
"#;

/// Placement constraints and strategy removed from the spec are removed in ECS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn placement_removed_from_the_spec_is_removed_in_ecs() {
    let bed = bed().await;
    bed.apply::<TaskDefinition>(BATCH_TD).await;
    bed.apply::<ECSService>(BATCH).await;
    converged::<ECSService>(&bed, "batch").await;
    let service = ecs_service(&bed, "batch").await;
    assert_eq!((service.placement_constraints().len(), service.placement_strategy().len()), (1, 1));

    let without = BATCH.split("  placementConstraints:").next().unwrap_or_default();
    bed.apply::<ECSService>(without).await;
    converged::<ECSService>(&bed, "batch").await;
    bed.eventually("placement empty in ECS", || async {
        let service = ecs_service(&bed, "batch").await;
        (service.placement_constraints().is_empty() && service.placement_strategy().is_empty()).then_some(())
    })
    .await;
    more_polls(&bed, "DescribeServices", 5).await;
    assert_eq!(bed.calls("UpdateService"), 1, "one UpdateService for the removal");
}

const MESH: &str = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: ECSCluster
metadata:
  name: mesh
spec:
  clusterName: mesh
  capacityProviders: [FARGATE, FARGATE_SPOT]
  defaultCapacityProviderStrategy:
    - {capacityProvider: FARGATE, weight: 1}
  serviceConnectDefaults: {namespace: mesh.local}
"#;

/// Capacity providers, the default strategy and Service Connect defaults removed from an
/// ECSCluster's spec are cleared in ECS: PutClusterCapacityProviders with empty lists, and
/// UpdateCluster with the empty namespace (how ECS clears Service Connect defaults).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_capacity_providers_and_service_connect_defaults_removed_are_cleared_in_ecs() {
    let bed = bed().await;
    bed.apply::<ECSCluster>(MESH).await;
    converged::<ECSCluster>(&bed, "mesh").await;
    let cluster = ecs_cluster(&bed, "mesh").await;
    assert_eq!(cluster.capacity_providers().len(), 2);
    assert_eq!(cluster.default_capacity_provider_strategy().len(), 1);
    assert!(cluster.service_connect_defaults().is_some());

    let bare = MESH.split("  capacityProviders:").next().unwrap_or_default();
    bed.apply::<ECSCluster>(bare).await;
    converged::<ECSCluster>(&bed, "mesh").await;
    bed.eventually("providers, strategy and Service Connect defaults gone in ECS", || async {
        let cluster = ecs_cluster(&bed, "mesh").await;
        let cleared = cluster.capacity_providers().is_empty()
            && cluster.default_capacity_provider_strategy().is_empty()
            && cluster.service_connect_defaults().is_none();
        cleared.then_some(())
    })
    .await;
    more_polls(&bed, "DescribeClusters", 5).await;
    assert_eq!(
        (bed.calls("UpdateCluster"), bed.calls("PutClusterCapacityProviders")),
        (1, 1),
        "one call of each for the removal"
    );
}

/// The ECS tags of `arn`, as ListTagsForResource reports them.
async fn ecs_tags(bed: &Bed, arn: &str) -> BTreeMap<String, String> {
    let out = bed.aws.list_tags_for_resource().resource_arn(arn).send().await.expect("list tags");
    out.tags.unwrap_or_default().into_iter().filter_map(|t| Some((t.key?, t.value.unwrap_or_default()))).collect()
}

/// `status.lastApplied` of the object.
fn last_applied<K: Managed>(obj: &K) -> AppliedRecord {
    obj.common().and_then(|c| c.last_applied.clone()).unwrap_or_default()
}

/// Applies the service `with` a not-compared field (`path`) and then `without` it, and checks
/// the removal was carried out: ECS had `before`, and has `after` by the time the object is
/// Ready at generation 2; `path` is in `status.lastApplied` and then out of it; and exactly
/// one UpdateService made the change, not sent again on the polls that follow (the field is
/// not compared any more).
async fn removal_carried_out_once(
    with: &str,
    without: &str,
    path: &str,
    before: impl Fn(&aws_sdk_ecs::types::Service) -> bool,
    after: impl Fn(&aws_sdk_ecs::types::Service) -> bool,
) {
    let bed = bed().await;
    bed.apply::<TaskDefinition>(TD).await;
    bed.apply::<ECSService>(with).await;
    let obj = converged::<ECSService>(&bed, "web").await;
    assert!(before(&ecs_service(&bed, "web").await));
    assert!(last_applied(&obj).fields.iter().any(|f| f == path), "{path} recorded");
    let updates = bed.calls("UpdateService");

    bed.apply::<ECSService>(without).await;
    let obj = converged::<ECSService>(&bed, "web").await;
    assert_eq!(obj.metadata.generation, Some(2));
    let service = ecs_service(&bed, "web").await;
    assert!(after(&service), "applied before Ready: {service:?}");
    assert!(!last_applied(&obj).fields.iter().any(|f| f == path), "{path} no longer recorded");
    more_polls(&bed, "DescribeServices", 5).await;
    converged::<ECSService>(&bed, "web").await;
    assert_eq!(bed.calls("UpdateService"), updates + 1, "one UpdateService, and not compared again");
}

/// A pinned platform version taken out of the spec goes back to LATEST in ECS. Before, the
/// field was simply no longer compared: ECS stayed on 1.4.0 while the object said Ready.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_version_removed_from_the_spec_goes_back_to_latest_in_ecs() {
    let pinned = svc("", "  platformVersion: \"1.4.0\"\n");
    let version = |want: &'static str| move |s: &aws_sdk_ecs::types::Service| s.platform_version() == Some(want);
    removal_carried_out_once(&pinned, &svc("", ""), "platformVersion", version("1.4.0"), version("LATEST")).await;
}

/// Security groups taken out of the spec: the awsvpc configuration is sent without them and ECS
/// puts the service on the VPC's default group, which is then not drift.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_groups_removed_from_the_spec_leave_the_service_on_the_vpc_default_group() {
    let own = svc("      securityGroups: [sg-0123456789abcdef0]\n", "");
    let groups = |want: &'static str| {
        move |s: &aws_sdk_ecs::types::Service| {
            let vpc = s.network_configuration().and_then(|n| n.awsvpc_configuration());
            vpc.is_some_and(|v| v.security_groups() == [want])
        }
    };
    let path = "networkConfiguration.awsvpcConfiguration.securityGroups";
    removal_carried_out_once(
        &own,
        &svc("", ""),
        path,
        groups("sg-0123456789abcdef0"),
        groups(ecs_sim::DEFAULT_SECURITY_GROUP),
    )
    .await;
}

/// A capacity provider strategy taken out of a spec with no launch type asks ECS to go back to
/// the cluster's default strategy, which UpdateService cannot do: RequiresReplacement naming
/// the field, Ready False, and nothing written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capacity_provider_strategy_removed_without_a_launch_type_requires_replacement() {
    let bed = bed().await;
    let providers = bed.aws.put_cluster_capacity_providers().cluster(CLUSTER).capacity_providers("FARGATE");
    providers
        .capacity_providers("FARGATE_SPOT")
        .set_default_capacity_provider_strategy(Some(vec![]))
        .send()
        .await
        .expect("providers");
    bed.apply::<TaskDefinition>(TD).await;
    let without_launch_type = |extra: &str| svc("", extra).replace("  launchType: FARGATE\n", "");
    let strategy = "  capacityProviderStrategy:\n    - {capacityProvider: FARGATE_SPOT, weight: 1}\n";
    bed.apply::<ECSService>(&without_launch_type(strategy)).await;
    let obj = converged::<ECSService>(&bed, "web").await;
    assert_eq!(last_applied(&obj).fields, ["capacityProviderStrategy", "desiredCount"]);
    let writes = bed.write_calls();

    bed.apply::<ECSService>(&without_launch_type("")).await;
    let api: Api<ECSService> = Api::namespaced(bed.client.clone(), NS);
    let obj = bed
        .eventually("RequiresReplacement at generation 2", || async {
            let obj = api.get("web").await.ok()?;
            let current = obj.common()?.observed_generation == Some(2);
            (current && condition(&obj, "Synced").is_some_and(|c| c.1 == "RequiresReplacement")).then_some(obj)
        })
        .await;
    let (_, _, message) = condition(&obj, "Synced").expect("Synced");
    assert!(message.contains("spec.capacityProviderStrategy"), "{message}");
    assert_eq!(condition(&obj, "Ready").map(|c| c.0).as_deref(), Some("False"));
    assert_eq!(last_applied(&obj).fields, ["capacityProviderStrategy", "desiredCount"], "the removal stays pending");
    more_polls(&bed, "DescribeServices", 5).await;
    assert_eq!(bed.write_calls(), writes, "no AWS write");
    let strategy = ecs_service(&bed, "web").await.capacity_provider_strategy().to_vec();
    assert_eq!(strategy.iter().map(|i| i.capacity_provider()).collect::<Vec<_>>(), ["FARGATE_SPOT"]);
}

const TAGGED_CLUSTER: &str = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: ECSCluster
metadata:
  name: tagged
spec:
  driftPolicy: Report
  tags: {team: web, tier: "1"}
"#;

/// The whole `spec.tags` block taken out: the user tag keys the operator applied are untagged,
/// on a service and on a cluster, while a tag someone else put there stays (without
/// `spec.tags` the operator does not own the tag set) and so do the ownership tags. Before, a
/// removed block left every user tag in place. driftPolicy Report keeps the foreign tag from
/// being taken off as drift while `spec.tags` is still set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tags_block_removed_from_the_spec_untags_the_keys_the_operator_applied() {
    let bed = bed().await;
    bed.apply::<TaskDefinition>(TD).await;
    bed.apply::<ECSService>(&svc("", "  driftPolicy: Report\n  tags: {team: web, tier: \"1\"}\n")).await;
    bed.apply::<ECSCluster>(TAGGED_CLUSTER).await;
    let service = converged::<ECSService>(&bed, "web").await;
    let cluster = converged::<ECSCluster>(&bed, "tagged").await;
    assert_eq!(last_applied(&service).tag_keys, ["team", "tier"]);
    assert_eq!(last_applied(&cluster).tag_keys, ["team", "tier"]);
    let service_arn = ecs_service(&bed, "web").await.service_arn.expect("service ARN");
    let cluster_arn = ecs_cluster(&bed, "tagged").await.cluster_arn.expect("cluster ARN");
    for arn in [&service_arn, &cluster_arn] {
        let foreign = aws_sdk_ecs::types::Tag::builder().key("cost-center").value("42").build();
        bed.aws.tag_resource().resource_arn(arn).tags(foreign).send().await.expect("someone else's tag");
    }

    bed.apply::<ECSService>(&svc("", "  driftPolicy: Report\n")).await;
    bed.apply::<ECSCluster>(&TAGGED_CLUSTER.replace("  tags: {team: web, tier: \"1\"}\n", "")).await;
    let service = converged::<ECSService>(&bed, "web").await;
    let cluster = converged::<ECSCluster>(&bed, "tagged").await;
    for (arn, obj_tags) in [(&service_arn, last_applied(&service)), (&cluster_arn, last_applied(&cluster))] {
        let tags = ecs_tags(&bed, arn).await;
        assert!(!tags.contains_key("team") && !tags.contains_key("tier"), "untagged before Ready: {tags:?}");
        assert_eq!(tags.get("cost-center").map(String::as_str), Some("42"), "someone else's tag stays");
        assert!(tags.contains_key("ecs.operator.dev/owner"), "ownership tags stay: {tags:?}");
        assert!(obj_tags.tag_keys.is_empty());
    }
    let untags = bed.calls("UntagResource");
    more_polls(&bed, "DescribeServices", 5).await;
    more_polls(&bed, "DescribeClusters", 3).await;
    assert_eq!(bed.calls("UntagResource"), untags, "untagged once");
}

/// ECS silently keeping its own value (ecs-sim's `keep_service_field`): the correction is sent
/// MAX_ATTEMPTS times on the back-off schedule, never again on the following polls; the field is
/// in status.drift; Ready and Synced say DriftNotCorrectable naming it; a spec change writes
/// again. Before, the same UpdateService went out on every poll with an empty status.drift
/// (issue 17's web-alb sample, about every 21 s forever).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_correction_ecs_does_not_take_is_sent_a_bounded_number_of_times_then_reported() {
    let bed = bed().await;
    bed.apply::<TaskDefinition>(TD).await;
    bed.apply::<ECSService>(&svc("", "")).await;
    converged::<ECSService>(&bed, "web").await;
    let before = bed.calls("UpdateService");
    let started = Instant::now();
    bed.sim.keep_service_field(CLUSTER, "web", "enableExecuteCommand", serde_json::json!(true)).expect("keep");

    let api: Api<ECSService> = Api::namespaced(bed.client.clone(), NS);
    let svc_obj = bed
        .eventually("DriftNotCorrectable", || async {
            let obj = api.get("web").await.ok()?;
            condition(&obj, "Synced").is_some_and(|c| c.1 == reasons::NOT_CORRECTABLE).then_some(obj)
        })
        .await;
    let drift = svc_obj.common().and_then(|s| s.drift.clone()).unwrap_or_default();
    let entry = drift.iter().find(|d| d.field == "enableExecuteCommand").expect("the field in status.drift");
    assert_eq!((entry.desired.as_deref(), entry.actual.as_deref()), (Some("false"), Some("true")));
    for type_ in ["Ready", "Synced"] {
        let (status, reason, message) = condition(&svc_obj, type_).expect("condition");
        assert_eq!((status.as_str(), reason.as_str()), ("False", reasons::NOT_CORRECTABLE), "{type_}: {message}");
        assert!(message.contains("enableExecuteCommand"), "{type_}: {message}");
    }

    // A window twice as long as the whole schedule (1 s, then 2 s), and some polls after it.
    let schedule = CORRECTION_BACKOFF.first_retry * 3;
    while started.elapsed() < schedule * 2 {
        more_polls(&bed, "DescribeServices", 2).await;
    }
    more_polls(&bed, "DescribeServices", 5).await;
    let sent = bed.calls("UpdateService") - before;
    assert_eq!(sent, u64::from(MAX_ATTEMPTS), "the correction is sent MAX_ATTEMPTS times, then waits");
    assert!(ecs_service(&bed, "web").await.enable_execute_command(), "ECS kept its value");
    let obj = api.get("web").await.expect("get");
    assert!(
        obj.common()
            .and_then(|s| s.drift.as_ref())
            .is_some_and(|d| d.iter().any(|e| e.field == "enableExecuteCommand"))
    );

    // A spec change is written at once (and, AWS still keeping its value, tried again up to
    // MAX_ATTEMPTS times).
    bed.apply::<ECSService>(&svc("", "").replace("desiredCount: 1", "desiredCount: 2")).await;
    bed.eventually("desiredCount 2 in ECS", || async {
        (ecs_service(&bed, "web").await.desired_count() == 2).then_some(())
    })
    .await;
    assert!(bed.calls("UpdateService") > before + sent, "the spec change was sent");
    bed.eventually("DriftNotCorrectable again", || async {
        let obj = api.get("web").await.ok()?;
        let current = obj.common()?.observed_generation == obj.metadata.generation;
        (current && condition(&obj, "Synced").is_some_and(|c| c.1 == reasons::NOT_CORRECTABLE)).then_some(())
    })
    .await;
    more_polls(&bed, "DescribeServices", 5).await;
    let total = bed.calls("UpdateService") - before;
    assert!(total <= 1 + 2 * u64::from(MAX_ATTEMPTS), "{total} UpdateService calls");

    // Once ECS takes the value again, the next spec change converges.
    bed.sim.release_service_field(CLUSTER, "web", "enableExecuteCommand");
    bed.apply::<ECSService>(&svc("", "")).await;
    converged::<ECSService>(&bed, "web").await;
    assert!(!ecs_service(&bed, "web").await.enable_execute_command());
}

/// Every sample in config/samples/, applied as local mode applies them (with what they reference
/// but do not create), converges; then over several poll rounds nothing is written to AWS and
/// no object reports drift. Issue 17 found the web-alb sample sending UpdateService forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sample_converges_and_the_steady_state_writes_nothing() {
    let mut config = ecs_sim::SimConfig::for_tests();
    config.clock = ecs_sim::ClockMode::Scaled { speed: 100.0 };
    let mut bed = Bed::start_with(config).await;
    let mut operator = Bed::operator_config();
    operator.rollout_poll_interval = Duration::from_millis(200);
    bed.start_operator_with(operator).await;
    ecs_operator::local::create_outside_resources(&bed.aws).await.expect("what the samples reference");
    ecs_operator::local::apply_samples(&bed.client).await.expect("apply the samples");

    // kind/name → whether it has settled, for every sample object.
    let snapshot = || async {
        let mut all = std::collections::BTreeMap::new();
        settled_of::<ECSService>(&bed, &mut all).await;
        settled_of::<ECSCluster>(&bed, &mut all).await;
        settled_of::<TaskDefinition>(&bed, &mut all).await;
        settled_of::<CapacityProvider>(&bed, &mut all).await;
        settled_of::<ECSTask>(&bed, &mut all).await;
        settled_of::<ECSExpressService>(&bed, &mut all).await;
        all
    };
    let samples = ecs_operator::local::SAMPLES.len();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let all = snapshot().await;
        if all.len() == samples && all.values().all(|s| *s) {
            break;
        }
        assert!(Instant::now() < deadline, "not every sample settled: {all:#?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    let writes = bed.writes_made();
    // Several poll rounds of every kind (two clusters, five services in two sweeps).
    more_polls(&bed, "DescribeServices", 10).await;
    more_polls(&bed, "DescribeClusters", 10).await;
    more_polls(&bed, "DescribeCapacityProviders", 5).await;
    more_polls(&bed, "DescribeExpressGatewayService", 3).await;
    assert_eq!(bed.writes_made(), writes, "no AWS writes in the steady state");
    let all = snapshot().await;
    assert!(all.values().all(|s| *s), "every sample still Ready, Synced, with no drift: {all:#?}");
}
