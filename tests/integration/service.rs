//! The ECSService controller against kube-sim and ecs-sim (simulated time at 50×): rollout-aware
//! Ready, redeploy on a new TaskDefinition revision, circuit-breaker rollback as Degraded,
//! drift corrected or reported, restartedAt, deletion through DRAINING.

use crate::support::{Bed, NS};
use ecs_operator::crd::{ECSService, TaskDefinition};
use kube::api::{Api, DeleteParams, Patch, PatchParams};

const CLUSTER: &str = "prod";

pub(crate) const TD: &str = r#"
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

pub(crate) const SVC: &str = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: ECSService
metadata:
  name: web
spec:
  cluster: prod
  taskDefinitionRef: {name: web}
  desiredCount: 3
  launchType: FARGATE
  networkConfiguration:
    awsvpcConfiguration:
      subnets: [subnet-0123456789abcdef0]
  deploymentConfiguration:
    deploymentCircuitBreaker: {enable: true, rollback: true}
"#;

async fn bed() -> Bed {
    bed_with_selector(None).await
}

/// ecs-sim at 50x with ECS cluster `prod`, and the operator polling rollouts every 200 ms,
/// watching only objects that match `label_selector` when given.
async fn bed_with_selector(label_selector: Option<&str>) -> Bed {
    let mut config = ecs_sim::SimConfig::for_tests();
    config.clock = ecs_sim::ClockMode::Scaled { speed: 50.0 };
    let mut bed = Bed::start_with(config).await;
    bed.aws.create_cluster().cluster_name(CLUSTER).send().await.expect("cluster");
    let mut operator = Bed::operator_config();
    operator.rollout_poll_interval = std::time::Duration::from_millis(200);
    operator.label_selector = label_selector.map(str::to_owned);
    bed.start_operator_with(operator).await;
    bed
}

pub(crate) fn services(bed: &Bed) -> Api<ECSService> {
    Api::namespaced(bed.client.clone(), NS)
}

pub(crate) fn condition(svc: &ECSService, type_: &str) -> Option<(String, String, String)> {
    let c = svc.status.as_ref()?.common.conditions.as_ref()?.iter().find(|c| c.type_ == type_)?;
    Some((c.status.clone(), c.reason.clone(), c.message.clone()))
}

/// Polls until Ready=True at the current generation on `revision`, checking on every
/// observation that Ready never shows before ECS reports COMPLETED with all tasks running.
async fn ready_on(bed: &Bed, revision: &str) -> ECSService {
    let api = services(bed);
    bed.eventually(&format!("Ready on {revision}"), || {
        let api = api.clone();
        async move {
            let svc = api.get("web").await.ok()?;
            let status = svc.status.clone()?;
            if condition(&svc, "Ready").is_some_and(|c| c.0 == "True") {
                assert_eq!(status.rollout_state.as_deref(), Some("COMPLETED"), "Ready before COMPLETED: {status:?}");
                assert_eq!(status.running_count, status.desired_count, "Ready before all tasks run: {status:?}");
                let current = status.common.observed_generation == svc.metadata.generation;
                return (current && status.task_definition.as_deref() == Some(revision)).then_some(svc);
            }
            None
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_then_redeploy_on_new_revision() {
    let bed = bed().await;
    bed.apply::<TaskDefinition>(TD).await;
    bed.apply::<ECSService>(SVC).await;
    // Progressing is reported while the first rollout runs.
    bed.eventually("Progressing", || async {
        let svc = services(&bed).get("web").await.ok()?;
        condition(&svc, "Progressing").filter(|c| c.0 == "True")
    })
    .await;
    let svc = ready_on(&bed, "web:1").await;
    let status = svc.status.unwrap_or_default();
    assert!(status.service_arn.is_some_and(|a| a.contains(":service/prod/web")));
    assert_eq!(status.cluster_name.as_deref(), Some(CLUSTER));
    assert_eq!((status.desired_count, status.running_count), (Some(3), Some(3)));
    assert_eq!(bed.calls("CreateService"), 1);

    bed.apply::<TaskDefinition>(&TD.replace("nginx:1", "nginx:2")).await;
    ready_on(&bed, "web:2").await;
    assert_eq!(bed.calls("CreateService"), 1, "updated, not recreated");
    let spec = services(&bed).get("web").await.expect("get").spec;
    assert!(spec.task_definition.is_none(), "resolved ARN never written into the spec");
    // Steady state: polls continue, writes do not.
    let (writes, polls) = (bed.calls("UpdateService") + bed.calls("CreateService"), bed.calls("DescribeServices"));
    bed.eventually("more polls", || async { (bed.calls("DescribeServices") >= polls + 5).then_some(()) }).await;
    assert_eq!(bed.calls("UpdateService") + bed.calls("CreateService"), writes, "no writes in steady state");
}

/// With a label selector the operator manages one shard, and references resolve within it: a
/// service whose TaskDefinition is outside the shard waits and says why, and is rolled out as
/// soon as the TaskDefinition joins the shard (its change wakes the service).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn references_resolve_within_the_label_selectors_shard() {
    let bed = bed_with_selector(Some("shard=a")).await;
    let in_shard =
        |yaml: &str| yaml.replacen("metadata:\n  name: web\n", "metadata:\n  name: web\n  labels: {shard: a}\n", 1);
    bed.apply::<TaskDefinition>(TD).await;
    bed.apply::<ECSService>(&in_shard(SVC)).await;
    let (_, _, message) = bed
        .eventually("waiting for the TaskDefinition outside the shard", || async {
            let svc = services(&bed).get("web").await.ok()?;
            condition(&svc, "Progressing").filter(|c| c.0 == "True")
        })
        .await;
    assert!(message.contains(r#"TaskDefinition web to exist with labels matching "shard=a""#), "{message}");
    assert_eq!(bed.calls("RegisterTaskDefinition"), 0, "a TaskDefinition outside the shard is not managed");

    bed.apply::<TaskDefinition>(&in_shard(TD)).await;
    ready_on(&bed, "web:1").await;
    assert_eq!((bed.calls("RegisterTaskDefinition"), bed.calls("CreateService")), (1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_image_is_degraded_naming_the_rolled_back_revision() {
    let bed = bed().await;
    bed.apply::<TaskDefinition>(TD).await;
    bed.apply::<ECSService>(SVC).await;
    ready_on(&bed, "web:1").await;
    bed.sim.set_task_failure_pattern("broken").expect("failure pattern");
    bed.apply::<TaskDefinition>(&TD.replace("nginx:1", "nginx:broken")).await;
    let (_, reason, message) = bed
        .eventually("Degraded", || async {
            let svc = services(&bed).get("web").await.ok()?;
            condition(&svc, "Degraded").filter(|c| c.0 == "True" && c.1 == "RolledBack")
        })
        .await;
    assert_eq!(reason, "RolledBack");
    assert!(message.contains("web:1 is running now") && message.contains("web:2"), "{message}");
    let svc = services(&bed).get("web").await.expect("get");
    assert_eq!(condition(&svc, "Ready").map(|c| c.0), Some("False".into()), "never Ready on a rolled-back spec");
    // The failing revision is not pushed again and again.
    let updates = bed.calls("UpdateService");
    let polls = bed.calls("DescribeServices");
    bed.eventually("more polls", || async { (bed.calls("DescribeServices") >= polls + 5).then_some(()) }).await;
    assert_eq!(bed.calls("UpdateService"), updates);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_band_desired_count_is_corrected_or_reported() {
    let bed = bed().await;
    bed.apply::<TaskDefinition>(TD).await;
    bed.apply::<ECSService>(SVC).await;
    ready_on(&bed, "web:1").await;
    bed.sim.set_desired_count(CLUSTER, "web", 7).expect("out-of-band change");
    bed.eventually("desiredCount corrected", || async {
        let out = bed.aws.describe_services().cluster(CLUSTER).services("web").send().await.ok()?;
        (out.services?.first()?.desired_count() == 3).then_some(())
    })
    .await;

    bed.apply::<ECSService>(&SVC.replace("  desiredCount: 3", "  desiredCount: 3\n  driftPolicy: Report")).await;
    ready_on(&bed, "web:1").await;
    bed.sim.set_desired_count(CLUSTER, "web", 5).expect("out-of-band change");
    let drift = bed
        .eventually("drift reported", || async {
            let svc = services(&bed).get("web").await.ok()?;
            svc.status?.common.drift.filter(|d| !d.is_empty())
        })
        .await;
    assert_eq!(drift[0].field, "desiredCount");
    assert_eq!((drift[0].desired.as_deref(), drift[0].actual.as_deref()), (Some("3"), Some("5")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarted_at_forces_exactly_one_deployment() {
    let bed = bed().await;
    bed.apply::<TaskDefinition>(TD).await;
    bed.apply::<ECSService>(SVC).await;
    ready_on(&bed, "web:1").await;
    let before = bed.calls("UpdateService");
    let annotate =
        serde_json::json!({"metadata": {"annotations": {"ecs.operator.dev/restartedAt": "2026-11-24T12:00:00Z"}}});
    services(&bed).patch("web", &PatchParams::default(), &Patch::Merge(&annotate)).await.expect("annotate");
    bed.eventually("restart recorded", || async {
        let svc = services(&bed).get("web").await.ok()?;
        (svc.status?.restarted_at.as_deref() == Some("2026-11-24T12:00:00Z")).then_some(())
    })
    .await;
    ready_on(&bed, "web:1").await;
    assert_eq!(bed.calls("UpdateService"), before + 1, "one forced deployment per distinct value");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletion_scales_in_and_waits_for_draining() {
    let bed = bed().await;
    bed.apply::<TaskDefinition>(TD).await;
    bed.apply::<ECSService>(SVC).await;
    ready_on(&bed, "web:1").await;
    services(&bed).delete("web", &DeleteParams::default()).await.expect("delete");
    bed.eventually("object gone", || async { services(&bed).get_opt("web").await.ok()?.is_none().then_some(()) }).await;
    let out = bed.aws.describe_services().cluster(CLUSTER).services("web").send().await.expect("describe");
    let status = out.services.unwrap_or_default().first().and_then(|s| s.status.clone());
    assert_eq!(status.as_deref(), Some("INACTIVE"), "finalizer held until ECS finished draining");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_for_a_missing_task_definition_is_progressing_not_an_error() {
    let bed = bed().await;
    bed.apply::<ECSService>(SVC).await;
    let (status, reason, message) = bed
        .eventually("waiting", || async {
            let svc = services(&bed).get("web").await.ok()?;
            condition(&svc, "Progressing").filter(|c| c.0 == "True")
        })
        .await;
    assert_eq!((status.as_str(), reason.as_str()), ("True", "WaitingForReference"));
    assert!(message.contains("TaskDefinition web"), "{message}");
    let svc = services(&bed).get("web").await.expect("get");
    assert_eq!(condition(&svc, "Synced").map(|c| c.0), Some("True".into()));
    bed.apply::<TaskDefinition>(TD).await;
    ready_on(&bed, "web:1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_services_share_describe_calls() {
    let mut config = ecs_sim::SimConfig::for_tests();
    config.clock = ecs_sim::ClockMode::Scaled { speed: 50.0 };
    let mut bed = Bed::start_with(config).await;
    bed.aws.create_cluster().cluster_name(CLUSTER).send().await.expect("cluster");
    let mut operator = Bed::operator_config();
    operator.rollout_poll_interval = std::time::Duration::from_millis(300);
    operator.service_poll_interval = std::time::Duration::from_secs(2);
    operator.max_concurrent_reconciles = 32;
    bed.start_operator_with(operator).await;
    bed.apply::<TaskDefinition>(TD).await;
    const N: usize = 100;
    for i in 0..N {
        let manifest = SVC
            .replace("name: web\nspec:", &format!("name: web-{i:03}\nspec:"))
            .replace("desiredCount: 3", "desiredCount: 1");
        bed.apply::<ECSService>(&manifest).await;
    }
    let api = services(&bed);
    bed.eventually("all Ready", || async {
        let list = api.list(&Default::default()).await.ok()?;
        let ready = list.items.iter().filter(|s| condition(s, "Ready").is_some_and(|c| c.0 == "True")).count();
        (ready == N).then_some(())
    })
    .await;
    // Steady state over three poll cycles: the sweep's N/10 DescribeServices per cycle, no
    // writes. (The exact count is the benchmark's to measure; a loaded machine that stalls the
    // sweep for half a round makes reconciles describe on their own, hence the headroom.)
    let (calls, writes) = (bed.calls("DescribeServices"), bed.calls("UpdateService") + bed.calls("CreateService"));
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    let per_cycle = (bed.calls("DescribeServices") - calls) as f64 / 3.0;
    eprintln!("{per_cycle:.1} DescribeServices per poll cycle for {N} services");
    assert!(per_cycle <= 13.0, "{per_cycle} DescribeServices per poll cycle for {N} services");
    assert_eq!(bed.calls("UpdateService") + bed.calls("CreateService"), writes, "no writes in steady state");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autoscaling_is_registered_and_the_scaler_is_not_fought() {
    let bed = bed().await;
    bed.apply::<TaskDefinition>(TD).await;
    let with_scaling = format!(
        "{SVC}  autoscaling:\n    minCapacity: 2\n    maxCapacity: 8\n    targetTracking:\n      - {{name: cpu, metric: ECSServiceAverageCPUUtilization, targetValue: 60}}\n"
    );
    bed.apply::<ECSService>(&with_scaling).await;
    ready_on(&bed, "web:1").await;
    let scaling = bed.aws_clients().autoscaling;
    let id = "service/prod/web";
    let target = scaling.describe_target(id).await.expect("describe target");
    assert_eq!(target, Some(ecs_operator::aws::autoscaling::ScalableTarget { min: 2, max: 8 }));
    let policies = scaling.describe_policies(id).await.expect("policies");
    assert_eq!(policies.len(), 1);
    assert_eq!((policies[0].metric.as_str(), policies[0].target_value), ("ECSServiceAverageCPUUtilization", 60.0));

    // The scaler moves desiredCount; the operator neither reverts nor reports it.
    let updates = bed.calls("UpdateService");
    bed.sim.autoscale(id, 6).expect("scale out");
    let polls = bed.calls("DescribeServices");
    bed.eventually("more polls", || async { (bed.calls("DescribeServices") >= polls + 8).then_some(()) }).await;
    let out = bed.aws.describe_services().cluster(CLUSTER).services("web").send().await.expect("describe");
    assert_eq!(out.services.unwrap_or_default()[0].desired_count(), 6, "scaler's count kept");
    assert_eq!(bed.calls("UpdateService"), updates, "no fight over desiredCount");
    let svc = services(&bed).get("web").await.expect("get");
    assert!(svc.status.and_then(|s| s.common.drift).is_none(), "scaler changes are not drift");

    // Deleting the service removes the scalable target too.
    services(&bed).delete("web", &DeleteParams::default()).await.expect("delete");
    bed.eventually("object gone", || async { services(&bed).get_opt("web").await.ok()?.is_none().then_some(()) }).await;
    assert_eq!(scaling.describe_target(id).await.expect("describe target"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_band_task_definition_change_is_corrected() {
    let bed = bed().await;
    bed.apply::<TaskDefinition>(TD).await;
    bed.apply::<ECSService>(SVC).await;
    ready_on(&bed, "web:1").await;
    // Someone deploys another revision by hand.
    let other = bed
        .aws
        .register_task_definition()
        .family("hand-made")
        .requires_compatibilities(aws_sdk_ecs::types::Compatibility::Fargate)
        .network_mode(aws_sdk_ecs::types::NetworkMode::Awsvpc)
        .cpu("256")
        .memory("512")
        .container_definitions(aws_sdk_ecs::types::ContainerDefinition::builder().name("x").image("nginx:hand").build())
        .send()
        .await
        .expect("register by hand");
    let arn = other.task_definition.and_then(|t| t.task_definition_arn).expect("arn");
    bed.aws
        .update_service()
        .cluster(CLUSTER)
        .service("web")
        .task_definition(&arn)
        .send()
        .await
        .expect("update by hand");
    // Corrected back to the spec's revision in ECS (right after the hand update ECS showed
    // `hand-made`), then Ready there again.
    bed.eventually("corrected in ECS", || async {
        let out = bed.aws.describe_services().cluster(CLUSTER).services("web").send().await.ok()?;
        out.services?.first()?.task_definition()?.ends_with("web:1").then_some(())
    })
    .await;
    ready_on(&bed, "web:1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn launch_type_change_requires_replacement_and_is_not_applied() {
    let bed = bed().await;
    bed.apply::<TaskDefinition>(TD).await;
    bed.apply::<ECSService>(SVC).await;
    ready_on(&bed, "web:1").await;
    let (updates, creates, deletes) =
        (bed.calls("UpdateService"), bed.calls("CreateService"), bed.calls("DeleteService"));
    bed.apply::<ECSService>(&SVC.replace("launchType: FARGATE", "launchType: EC2")).await;
    let (_, reason, message) = bed
        .eventually("RequiresReplacement", || async {
            let svc = services(&bed).get("web").await.ok()?;
            condition(&svc, "Synced").filter(|c| c.0 == "False")
        })
        .await;
    assert_eq!(reason, "RequiresReplacement");
    assert!(message.contains("spec.launchType"), "{message}");
    assert_eq!(
        (bed.calls("UpdateService"), bed.calls("CreateService"), bed.calls("DeleteService")),
        (updates, creates, deletes),
        "never a silent delete/recreate"
    );
}

/// Deleting the TaskDefinition first must neither break the service nor orphan it: the
/// TaskDefinition's deletion waits while the service runs its revision, and the service's
/// deletion still finds (by its recorded ARN) and removes the ECS service.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_definition_deleted_before_its_service() {
    let bed = bed().await;
    bed.apply::<TaskDefinition>(TD).await;
    bed.apply::<ECSService>(SVC).await;
    ready_on(&bed, "web:1").await;
    let tds: Api<TaskDefinition> = Api::namespaced(bed.client.clone(), NS);
    tds.delete("web", &DeleteParams::default()).await.expect("delete the TaskDefinition");
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(bed.calls("DeregisterTaskDefinition"), 0, "the running revision stays registered");
    assert!(tds.get_opt("web").await.expect("read").is_some(), "its deletion waits for the service");

    services(&bed).delete("web", &DeleteParams::default()).await.expect("delete the service");
    bed.eventually("ECS service gone", || async {
        let out = bed.aws.describe_services().cluster(CLUSTER).services("web").send().await.ok()?;
        out.services().iter().all(|s| s.status() == Some("INACTIVE")).then_some(())
    })
    .await;
    bed.eventually("both objects gone", || async {
        let td = tds.get_opt("web").await.ok()?;
        let svc = services(&bed).get_opt("web").await.ok()?;
        (td.is_none() && svc.is_none()).then_some(())
    })
    .await;
    assert_eq!(bed.calls("DeregisterTaskDefinition"), 1, "deregistered once the service was gone");
}

/// ECS tags of the service `web`.
async fn ecs_tags(bed: &Bed) -> Option<std::collections::BTreeMap<String, String>> {
    let out = bed
        .aws
        .describe_services()
        .cluster(CLUSTER)
        .services("web")
        .include(aws_sdk_ecs::types::ServiceField::Tags)
        .send()
        .await
        .ok()?;
    let service = out.services().first()?;
    Some(service.tags().iter().filter_map(|t| Some((t.key.clone()?, t.value.clone().unwrap_or_default()))).collect())
}

/// `spec.tags` edits reach ECS (set, changed, removed) without an UpdateService, and an
/// out-of-band tag change is corrected; the operator's own tags stay throughout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_edits_reach_ecs_and_out_of_band_tag_changes_are_corrected() {
    let bed = bed().await;
    bed.apply::<TaskDefinition>(TD).await;
    let tagged = |tags: &str| SVC.replace("  desiredCount: 3\n", &format!("  desiredCount: 3\n  tags: {tags}\n"));
    bed.apply::<ECSService>(&tagged("{team: web, tier: front}")).await;
    ready_on(&bed, "web:1").await;
    let user_tags = |t: std::collections::BTreeMap<String, String>| -> Vec<(String, String)> {
        t.into_iter().filter(|(k, _)| !k.starts_with("ecs.operator.dev/")).collect()
    };
    let pairs = |p: &[(&str, &str)]| -> Vec<(String, String)> {
        p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    };
    assert_eq!(user_tags(ecs_tags(&bed).await.expect("tags")), pairs(&[("team", "web"), ("tier", "front")]));

    let updates = bed.calls("UpdateService");
    // Changed, added and removed at once.
    bed.apply::<ECSService>(&tagged("{team: api, cost-center: \"42\"}")).await;
    let want = pairs(&[("cost-center", "42"), ("team", "api")]);
    bed.eventually("tag edits in ECS", || async { (user_tags(ecs_tags(&bed).await?) == want).then_some(()) }).await;
    let tags = ecs_tags(&bed).await.expect("tags");
    assert_eq!(tags.get("ecs.operator.dev/owner").map(String::as_str), Some("default/web"), "ownership kept");
    assert_eq!(bed.calls("UpdateService"), updates, "a tag edit is no UpdateService");
    ready_on(&bed, "web:1").await;

    // Someone removes a tag and adds one: put back, and the event says so.
    let arn = services(&bed).get("web").await.expect("get").status.and_then(|s| s.service_arn).expect("arn");
    bed.aws.untag_resource().resource_arn(&arn).tag_keys("team").send().await.expect("untag");
    bed.aws
        .tag_resource()
        .resource_arn(&arn)
        .tags(aws_sdk_ecs::types::Tag::builder().key("stray").value("x").build())
        .send()
        .await
        .expect("tag");
    bed.eventually("out-of-band tag change corrected", || async {
        (user_tags(ecs_tags(&bed).await?) == want).then_some(())
    })
    .await;
    let events: Api<k8s_openapi::api::events::v1::Event> = Api::namespaced(bed.client.clone(), NS);
    let corrected = bed
        .eventually("DriftCorrected event", || async {
            let list = events.list(&Default::default()).await.ok()?;
            list.items.into_iter().find(|e| e.reason.as_deref() == Some("DriftCorrected")).and_then(|e| e.note)
        })
        .await;
    assert!(corrected.contains("tags.team") && corrected.contains("tags.stray"), "{corrected}");
    assert_eq!(bed.calls("UpdateService"), updates, "a tag correction is no UpdateService");
}
