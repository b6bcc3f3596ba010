//! ECS-native staged deployments end to end (kube-sim, ecs-sim at 50×, the controllers):
//! blue/green paused by a PAUSE hook and approved through `ecs.operator.dev/approve`; canary
//! rolled back by a failing Lambda hook and not pushed again; linear rolled back through
//! `ecs.operator.dev/rollback` mid-shift; an alarm in ALARM rolling back. Ready is checked on
//! every observation never to show before ECS reports the service deployment SUCCESSFUL.

use std::time::Duration;

use crate::service::{TD, condition, services};
use crate::support::Bed;
use ecs_operator::crd::{ECSService, TaskDefinition};
use kube::api::{Patch, PatchParams};

const LAMBDA: &str = "arn:aws:lambda:us-east-1:123456789012:function:web-smoke-test";

/// A service whose `deploymentConfiguration` is `deployment` (indented by four spaces).
fn service(deployment: &str) -> String {
    format!(
        r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: ECSService
metadata:
  name: web
spec:
  cluster: prod
  taskDefinitionRef: {{name: web}}
  desiredCount: 2
  launchType: FARGATE
  networkConfiguration:
    awsvpcConfiguration:
      subnets: [subnet-0123456789abcdef0]
  loadBalancers:
    - targetGroupArn: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/0123456789abcdef
      containerName: web
      containerPort: 80
      advancedConfiguration:
        alternateTargetGroupArn: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/fedcba9876543210
        productionListenerRule: arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/0123456789abcdef/0123456789abcdef/0123456789abcdef
        testListenerRule: arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/0123456789abcdef/fedcba9876543210/fedcba9876543210
        roleArn: arn:aws:iam::123456789012:role/ecsInfrastructureRoleForLoadBalancers
  deploymentConfiguration:
{deployment}"#
    )
}

async fn bed() -> Bed {
    let mut config = ecs_sim::SimConfig::for_tests();
    config.clock = ecs_sim::ClockMode::Scaled { speed: 50.0 };
    let mut bed = Bed::start_with(config).await;
    bed.aws.create_cluster().cluster_name("prod").send().await.expect("cluster");
    bed.start_operator_with(operator_config()).await;
    bed
}

fn operator_config() -> ecs_operator::controller::Config {
    let mut operator = Bed::operator_config();
    operator.rollout_poll_interval = Duration::from_millis(200);
    operator
}

/// The service once `check` holds, failing the test if Ready is ever True while the service
/// deployment ECS reports is not SUCCESSFUL.
async fn until(bed: &Bed, what: &str, check: impl Fn(&ECSService) -> bool) -> ECSService {
    let api = services(bed);
    bed.eventually(what, || {
        let api = api.clone();
        let check = &check;
        async move {
            let svc = api.get("web").await.ok()?;
            if condition(&svc, "Ready").is_some_and(|c| c.0 == "True") {
                let deployment = svc.status.as_ref().and_then(|s| s.deployment.as_ref());
                assert!(
                    deployment.is_none_or(|d| d.status == "SUCCESSFUL"),
                    "Ready=True over an unfinished service deployment: {deployment:?}"
                );
            }
            check(&svc).then_some(svc)
        }
    })
    .await
}

fn ready_on(revision: &'static str) -> impl Fn(&ECSService) -> bool {
    move |svc| {
        let status = svc.status.as_ref();
        condition(svc, "Ready").is_some_and(|c| c.0 == "True")
            && status.is_some_and(|s| s.task_definition.as_deref() == Some(revision))
            && status.is_some_and(|s| s.common.observed_generation == svc.metadata.generation)
    }
}

fn reason_is(type_: &'static str, reason: &'static str) -> impl Fn(&ECSService) -> bool {
    move |svc| condition(svc, type_).is_some_and(|c| c.0 == "True" && c.1 == reason)
}

async fn annotate(bed: &Bed, key: &str, value: &str) {
    let patch = serde_json::json!({"metadata": {"annotations": {key: value}}});
    services(bed).patch("web", &PatchParams::default(), &Patch::Merge(&patch)).await.expect("annotate");
}

/// Runs the operator through `polls` more DescribeServices calls (so it had every chance to act).
async fn let_it_poll(bed: &Bed, polls: u64) {
    let start = bed.calls("DescribeServices");
    bed.eventually("more polls", || async { (bed.calls("DescribeServices") >= start + polls).then_some(()) }).await;
}

async fn deploy_image(bed: &Bed, image: &str) {
    bed.apply::<TaskDefinition>(&TD.replace("nginx:1", image)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blue_green_paused_by_a_hook_waits_for_approval_and_is_ready_only_after_bake_and_clean_up() {
    let mut bed = bed().await;
    deploy_image(&bed, "nginx:1").await;
    let hooks = "    strategy: BLUE_GREEN\n    bakeTimeInMinutes: 1\n    lifecycleHooks:\n      - targetType: PAUSE\n        lifecycleStages: [POST_TEST_TRAFFIC_SHIFT]\n";
    bed.apply::<ECSService>(&service(hooks)).await;
    // The first deployment has nothing to shift from: no hook runs.
    until(&bed, "Ready on web:1", ready_on("web:1")).await;

    deploy_image(&bed, "nginx:2").await;
    let paused = until(&bed, "AwaitingApproval", reason_is("Progressing", "AwaitingApproval")).await;
    let (ready, reason, message) = condition(&paused, "Ready").expect("Ready");
    assert_eq!((ready.as_str(), reason.as_str()), ("False", "AwaitingApproval"));
    assert!(message.contains("ecs.operator.dev/approve"), "{message}");
    let deployment = paused.status.as_ref().and_then(|s| s.deployment.clone()).expect("status.deployment");
    assert_eq!(
        (deployment.status.as_str(), deployment.lifecycle_stage.as_deref()),
        ("IN_PROGRESS", Some("POST_TEST_TRAFFIC_SHIFT"))
    );
    let hook = deployment.hooks.as_ref().and_then(|h| h.first()).expect("the PAUSE hook");
    assert_eq!((hook.target_type.as_deref(), hook.status.as_str()), (Some("PAUSE"), "AWAITING_ACTION"));
    assert_eq!(deployment.test_traffic_percent, Some(100.0));
    assert_eq!(deployment.production_traffic_percent, Some(0.0));
    // Paused means paused: nothing moves on its own, and nothing is continued unasked.
    let_it_poll(&bed, 10).await;
    let still = until(&bed, "still paused", reason_is("Progressing", "AwaitingApproval")).await;
    assert_eq!(condition(&still, "Ready").map(|c| c.0), Some("False".into()));
    assert_eq!(bed.calls("ContinueServiceDeployment"), 0);

    annotate(&bed, "ecs.operator.dev/approve", "release-42").await;
    let approved = until(&bed, "approval recorded", |svc| {
        svc.status.as_ref().and_then(|s| s.actions.as_ref()).and_then(|a| a.approve.as_ref()).is_some()
    })
    .await;
    let record = approved.status.and_then(|s| s.actions).and_then(|a| a.approve).expect("record");
    assert_eq!((record.value.as_str(), record.result.as_str()), ("release-42", "Done"), "{record:?}");
    assert_eq!(record.hook_id.as_deref(), Some(hook.hook_id.as_str()));
    until(&bed, "BakeTime", reason_is("Progressing", "BakeTime")).await;
    let ready = until(&bed, "Ready on web:2", ready_on("web:2")).await;
    let deployment = ready.status.and_then(|s| s.deployment).expect("status.deployment");
    assert_eq!(deployment.status, "SUCCESSFUL");
    assert!(deployment.hooks.iter().flatten().any(|h| h.hook_id == hook.hook_id && h.status == "SUCCEEDED"));
    assert_eq!(bed.calls("ContinueServiceDeployment"), 1);

    // Steady: the finished deployment is not read again, and the approval is not repeated,
    // across an operator restart either.
    let reads = bed.calls("DescribeServiceDeployments");
    let_it_poll(&bed, 10).await;
    bed.start_operator_with(operator_config()).await;
    let_it_poll(&bed, 10).await;
    assert_eq!(bed.calls("ContinueServiceDeployment"), 1, "one value, one action");
    assert_eq!(bed.calls("DescribeServiceDeployments"), reads, "no reads for a finished deployment");
    until(&bed, "Ready after restart", ready_on("web:2")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canary_with_a_failing_lambda_hook_rolls_back_names_the_hook_and_is_not_pushed_again() {
    let bed = bed().await;
    bed.sim.set_lambda_hook_outcome(LAMBDA, "FAILED").expect("script the hook");
    deploy_image(&bed, "nginx:1").await;
    let canary = format!(
        "    strategy: CANARY\n    bakeTimeInMinutes: 1\n    canaryConfiguration: {{canaryPercent: 10, canaryBakeTimeInMinutes: 1}}\n    lifecycleHooks:\n      - hookTargetArn: {LAMBDA}\n        roleArn: arn:aws:iam::123456789012:role/ecs-hooks\n        lifecycleStages: [PRODUCTION_TRAFFIC_SHIFT]\n"
    );
    bed.apply::<ECSService>(&service(&canary)).await;
    until(&bed, "Ready on web:1", ready_on("web:1")).await;

    deploy_image(&bed, "nginx:2").await;
    let rolled_back = until(&bed, "rolled back to web:1", |svc| {
        reason_is("Degraded", "RolledBack")(svc)
            && svc.status.as_ref().is_some_and(|s| s.task_definition.as_deref() == Some("web:1"))
    })
    .await;
    let (_, _, message) = condition(&rolled_back, "Degraded").expect("Degraded");
    assert!(message.contains(LAMBDA) && message.contains("FAILED"), "Degraded names the hook: {message}");
    assert_eq!(condition(&rolled_back, "Ready").map(|c| c.0), Some("False".into()));
    // The failed revision is not pushed again while the spec stays the same.
    let updates = bed.calls("UpdateService");
    let_it_poll(&bed, 20).await;
    assert_eq!(bed.calls("UpdateService"), updates, "the rolled-back revision was pushed again");
    let still = services(&bed).get("web").await.expect("get");
    assert!(reason_is("Degraded", "RolledBack")(&still), "{:?}", still.status);

    // A new spec deploys again, and with the hook passing it goes through.
    bed.sim.set_lambda_hook_outcome(LAMBDA, "SUCCEEDED").expect("script the hook");
    deploy_image(&bed, "nginx:3").await;
    until(&bed, "Ready on web:3", ready_on("web:3")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linear_rolled_back_through_the_annotation_mid_shift() {
    let bed = bed().await;
    deploy_image(&bed, "nginx:1").await;
    let linear = "    strategy: LINEAR\n    bakeTimeInMinutes: 1\n    linearConfiguration: {stepPercent: 10, stepBakeTimeInMinutes: 2}\n";
    bed.apply::<ECSService>(&service(linear)).await;
    until(&bed, "Ready on web:1", ready_on("web:1")).await;
    // A value given while nothing is in flight matches nothing and is never acted on later.
    annotate(&bed, "ecs.operator.dev/rollback", "too-early").await;
    let early = until(&bed, "early rollback recorded", |svc| {
        svc.status.as_ref().and_then(|s| s.actions.as_ref()).and_then(|a| a.rollback.as_ref()).is_some()
    })
    .await;
    let record = early.status.and_then(|s| s.actions).and_then(|a| a.rollback).expect("record");
    assert_eq!(record.result, "NothingInFlight", "{record:?}");

    deploy_image(&bed, "nginx:2").await;
    until(&bed, "shifting production traffic", |svc| {
        let d = svc.status.as_ref().and_then(|s| s.deployment.as_ref());
        d.is_some_and(|d| {
            d.lifecycle_stage.as_deref() == Some("PRODUCTION_TRAFFIC_SHIFT")
                && d.production_traffic_percent.is_some_and(|p| p > 0.0 && p < 100.0)
        })
    })
    .await;
    assert_eq!(bed.calls("StopServiceDeployment"), 0, "the early value was not kept for later");
    annotate(&bed, "ecs.operator.dev/rollback", "abort-2").await;
    let rolled_back = until(&bed, "rolled back to web:1", |svc| {
        reason_is("Degraded", "RolledBack")(svc)
            && svc.status.as_ref().is_some_and(|s| s.task_definition.as_deref() == Some("web:1"))
    })
    .await;
    let record = rolled_back.status.and_then(|s| s.actions).and_then(|a| a.rollback).expect("record");
    assert_eq!((record.value.as_str(), record.result.as_str()), ("abort-2", "Done"), "{record:?}");
    let_it_poll(&bed, 10).await;
    assert_eq!(bed.calls("StopServiceDeployment"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alarm_in_alarm_rolls_the_deployment_back() {
    let bed = bed().await;
    deploy_image(&bed, "nginx:1").await;
    let alarmed = "    strategy: BLUE_GREEN\n    bakeTimeInMinutes: 10\n    alarms: {alarmNames: [web-5xx], enable: true, rollback: true}\n";
    bed.apply::<ECSService>(&service(alarmed)).await;
    until(&bed, "Ready on web:1", ready_on("web:1")).await;
    deploy_image(&bed, "nginx:2").await;
    until(&bed, "BakeTime", reason_is("Progressing", "BakeTime")).await;
    bed.sim.set_alarm_state("web-5xx", "ALARM").expect("alarm");
    let rolled_back = until(&bed, "rolled back", reason_is("Degraded", "RolledBack")).await;
    let (_, _, message) = condition(&rolled_back, "Degraded").expect("Degraded");
    assert!(message.contains("web-5xx"), "Degraded names the alarm: {message}");
}
