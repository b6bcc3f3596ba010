//! Service deployments through aws-sdk-ecs: records and their statuses, BLUE_GREEN / CANARY /
//! LINEAR lifecycle stages and traffic weights over simulated time, PAUSE and AWS_LAMBDA
//! lifecycle hooks, alarm-based failure, rollback, and DescribeServiceDeployments,
//! ListServiceDeployments, ContinueServiceDeployment and StopServiceDeployment.

use aws_sdk_ecs::primitives::DateTime;
use aws_sdk_ecs::types::{
    CanaryConfiguration, CreatedAt, DeploymentAlarms, DeploymentConfiguration, DeploymentLifecycleHook,
    DeploymentLifecycleHookAction, DeploymentLifecycleHookStage, DeploymentLifecycleHookStatus,
    DeploymentLifecycleHookTargetType, DeploymentLifecycleHookTimeoutConfiguration, DeploymentStrategy, LaunchType,
    LinearConfiguration, ServiceDeployment, ServiceDeploymentLifecycleStage, ServiceDeploymentRollbackMonitorsStatus,
    ServiceDeploymentStatus, StopServiceDeploymentStopType,
};

use crate::harness::{CLUSTER, Env, circuit_breaker, code, env, json_call, network, rollout};

const LAMBDA: &str = "arn:aws:lambda:us-east-1:123456789012:function:hook";
const ROLE: &str = "arn:aws:iam::123456789012:role/ecs-hooks";
const TARGET: &str = "AmazonEC2ContainerServiceV20141113.";

fn pause(stage: DeploymentLifecycleHookStage) -> DeploymentLifecycleHook {
    DeploymentLifecycleHook::builder()
        .target_type(DeploymentLifecycleHookTargetType::Pause)
        .lifecycle_stages(stage)
        .build()
}

fn pause_timeout(
    stage: DeploymentLifecycleHookStage,
    minutes: i32,
    action: DeploymentLifecycleHookAction,
) -> DeploymentLifecycleHook {
    DeploymentLifecycleHook::builder()
        .target_type(DeploymentLifecycleHookTargetType::Pause)
        .lifecycle_stages(stage)
        .timeout_configuration(
            DeploymentLifecycleHookTimeoutConfiguration::builder().timeout_in_minutes(minutes).action(action).build(),
        )
        .build()
}

fn lambda(arn: &str, stage: DeploymentLifecycleHookStage) -> DeploymentLifecycleHook {
    DeploymentLifecycleHook::builder().hook_target_arn(arn).role_arn(ROLE).lifecycle_stages(stage).build()
}

fn blue_green(bake: i32, hooks: Vec<DeploymentLifecycleHook>) -> DeploymentConfiguration {
    DeploymentConfiguration::builder()
        .strategy(DeploymentStrategy::BlueGreen)
        .bake_time_in_minutes(bake)
        .set_lifecycle_hooks(Some(hooks))
        .build()
}

/// Creates "web" on v1 with `config` (2 tasks), lets it settle, updates it to v2; returns (v1, v2).
async fn deploy_v2(env: &Env, config: DeploymentConfiguration) -> (String, String) {
    env.cluster().await;
    let v1 = env.fargate_td("web", "nginx:1").await;
    let v2 = env.fargate_td("web", "nginx:2").await;
    env.service_with("web", &v1, 2, config).await;
    assert_eq!(rollout(&env.after(60, "web").await), vec![("PRIMARY".into(), "COMPLETED".into())]);
    env.ecs.update_service().cluster(CLUSTER).service("web").task_definition(&v2).send().await.expect("update");
    (v1, v2)
}

async fn current_arn(env: &Env, name: &str) -> String {
    env.describe(name).await.current_service_deployment().expect("currentServiceDeployment").to_string()
}

async fn sd(env: &Env, arn: &str) -> ServiceDeployment {
    let out = env.ecs.describe_service_deployments().service_deployment_arns(arn).send().await.expect("describe");
    assert!(out.failures().is_empty(), "{:?}", out.failures());
    out.service_deployments()[0].clone()
}

/// The current service deployment of "web", `secs` of simulated time from now.
async fn sd_after(env: &Env, secs: u64, arn: &str) -> ServiceDeployment {
    env.sim.advance(std::time::Duration::from_secs(secs));
    sd(env, arn).await
}

fn status(d: &ServiceDeployment) -> &str {
    d.status().map(|s| s.as_str()).unwrap_or_default()
}

fn stage(d: &ServiceDeployment) -> &str {
    d.lifecycle_stage().map(|s| s.as_str()).unwrap_or_default()
}

/// (target test weight, target production weight, source production weight)
fn weights(d: &ServiceDeployment) -> (f64, f64, f64) {
    let t = d.target_service_revision().expect("target");
    let s = &d.source_service_revisions()[0];
    (
        t.requested_test_traffic_weight().expect("test weight"),
        t.requested_production_traffic_weight().expect("prod weight"),
        s.requested_production_traffic_weight().expect("source prod weight"),
    )
}

#[tokio::test]
async fn blue_green_pause_hook_waits_for_continue() {
    let env = env();
    let config = blue_green(5, vec![pause(DeploymentLifecycleHookStage::PostTestTrafficShift)]);
    let (v1, v2) = deploy_v2(&env, config).await;
    let arn = current_arn(&env, "web").await;
    assert!(arn.starts_with("arn:aws:ecs:us-east-1:123456789012:service-deployment/test/web/"), "{arn}");

    // Green is up 30 s after the update; the test traffic shift is done; the hook pauses.
    let d = sd_after(&env, 60, &arn).await;
    assert_eq!((status(&d), stage(&d)), ("IN_PROGRESS", "POST_TEST_TRAFFIC_SHIFT"));
    assert_eq!(weights(&d), (100.0, 0.0, 100.0));
    let hooks = d.lifecycle_hook_details();
    assert_eq!(hooks.len(), 1);
    let hook = &hooks[0];
    assert_eq!(hook.status(), Some(&DeploymentLifecycleHookStatus::AwaitingAction));
    assert_eq!(hook.target_type(), Some(&DeploymentLifecycleHookTargetType::Pause));
    assert_eq!(hook.target_arn(), None);
    assert_eq!(hook.timeout_action(), Some(&DeploymentLifecycleHookAction::Rollback));
    assert!(hook.hook_id().unwrap().starts_with("ecs-pause-"));
    let paused_at = env.sim.now_ms() / 1000 - 30;
    let expires = hook.expires_at().unwrap().secs();
    assert_eq!(expires, paused_at as i64 + 1440 * 60, "default timeout 1440 minutes");
    let target = d.target_service_revision().unwrap();
    assert_eq!((target.requested_task_count(), target.running_task_count()), (2, 2));
    let source = &d.source_service_revisions()[0];
    assert_eq!((source.requested_task_count(), source.running_task_count()), (2, 2));
    assert_eq!(d.deployment_configuration().unwrap().strategy(), Some(&DeploymentStrategy::BlueGreen));
    assert_eq!(d.alarms().unwrap().status(), Some(&ServiceDeploymentRollbackMonitorsStatus::Disabled));
    let (_, raw) = json_call(
        env.sim.endpoint(),
        &format!("{TARGET}DescribeServiceDeployments"),
        serde_json::json!({"serviceDeploymentArns": [arn]}),
    );
    println!("paused blue/green service deployment:\n{}", serde_json::to_string_pretty(&raw).unwrap());

    // Stays paused for as long as nobody continues (within the timeout).
    let d = sd_after(&env, 3600, &arn).await;
    assert_eq!((status(&d), stage(&d)), ("IN_PROGRESS", "POST_TEST_TRAFFIC_SHIFT"));
    assert_eq!(env.describe("web").await.running_count(), 4);

    let hook_id = hook.hook_id().unwrap().to_string();
    let out =
        env.ecs.continue_service_deployment().service_deployment_arn(&arn).hook_id(&hook_id).send().await.unwrap();
    assert_eq!(out.service_deployment_arn(), Some(arn.as_str()));
    let d = sd(&env, &arn).await;
    assert_eq!((status(&d), stage(&d)), ("IN_PROGRESS", "BAKE_TIME"));
    assert_eq!(weights(&d), (100.0, 100.0, 0.0));
    assert_eq!(d.lifecycle_hook_details()[0].status(), Some(&DeploymentLifecycleHookStatus::Succeeded));
    let again = env.ecs.continue_service_deployment().service_deployment_arn(&arn).hook_id(&hook_id).send().await;
    assert_eq!(code(&again.unwrap_err()).as_deref(), Some("ClientException"), "hook no longer awaiting action");

    let d = sd_after(&env, 299, &arn).await;
    assert_eq!(stage(&d), "BAKE_TIME");
    let d = sd_after(&env, 1, &arn).await;
    assert_eq!((status(&d), stage(&d)), ("IN_PROGRESS", "CLEAN_UP"));
    let svc = env.describe("web").await;
    assert_eq!(svc.deployments()[1].task_definition(), Some(v1.as_str()));
    let d = sd_after(&env, 30, &arn).await;
    assert_eq!((status(&d), stage(&d)), ("SUCCESSFUL", "CLEAN_UP"));
    assert!(d.finished_at().is_some() && d.stopped_at().is_none());
    let svc = env.describe("web").await;
    assert_eq!(rollout(&svc), vec![("PRIMARY".into(), "COMPLETED".into())]);
    assert_eq!((svc.running_count(), svc.task_definition()), (2, Some(v2.as_str())));
}

#[tokio::test]
async fn continue_with_rollback_returns_to_blue() {
    let env = env();
    let (v1, v2) = deploy_v2(&env, blue_green(5, vec![pause(DeploymentLifecycleHookStage::PostScaleUp)])).await;
    let arn = current_arn(&env, "web").await;
    let d = sd_after(&env, 40, &arn).await;
    assert_eq!(stage(&d), "POST_SCALE_UP");
    let source = d.source_service_revisions()[0].arn().unwrap().to_string();
    let hook_id = d.lifecycle_hook_details()[0].hook_id().unwrap().to_string();
    env.ecs
        .continue_service_deployment()
        .service_deployment_arn(&arn)
        .hook_id(&hook_id)
        .action(DeploymentLifecycleHookAction::Rollback)
        .send()
        .await
        .unwrap();
    let d = sd(&env, &arn).await;
    assert_eq!(status(&d), "ROLLBACK_IN_PROGRESS");
    assert_eq!(d.lifecycle_hook_details()[0].status(), Some(&DeploymentLifecycleHookStatus::Failed));
    let rb = d.rollback().expect("rollback");
    assert_eq!(rb.service_revision_arn(), Some(source.as_str()));
    assert!(rb.reason().unwrap().contains(&format!("PAUSE hook {hook_id}")), "{:?}", rb.reason());
    assert_eq!(d.status_reason(), rb.reason());
    assert_eq!(weights(&d), (0.0, 0.0, 100.0));
    let svc = env.describe("web").await;
    assert_eq!(svc.task_definition(), Some(v1.as_str()));
    assert_eq!(rollout(&svc), vec![("PRIMARY".into(), "COMPLETED".into()), ("ACTIVE".into(), "FAILED".into())]);
    assert_eq!(svc.deployments()[0].task_definition(), Some(v1.as_str()));
    assert!(svc.deployments()[0].rollout_state_reason().unwrap().contains("rolling back to deploymentId"));
    assert_eq!(svc.deployments()[1].task_definition(), Some(v2.as_str()));
    assert!(svc.deployments()[1].rollout_state_reason().unwrap().contains(&hook_id));
    let blue_id = svc.deployments()[0].id().unwrap();
    let event = format!("(service web) rolling back to deployment {blue_id}.");
    assert!(svc.events().iter().any(|e| e.message() == Some(event.as_str())));

    let d = sd_after(&env, 30, &arn).await;
    assert_eq!(status(&d), "ROLLBACK_SUCCESSFUL");
    assert!(d.finished_at().is_some());
    let svc = env.describe("web").await;
    assert_eq!(rollout(&svc), vec![("PRIMARY".into(), "COMPLETED".into())]);
    assert_eq!((svc.running_count(), svc.task_definition()), (2, Some(v1.as_str())));

    // A later update deploys normally.
    env.ecs.update_service().cluster(CLUSTER).service("web").task_definition(&v2).send().await.unwrap();
    let next = current_arn(&env, "web").await;
    assert_ne!(next, arn);
    let d = sd_after(&env, 40, &next).await;
    assert_eq!((status(&d), stage(&d)), ("IN_PROGRESS", "POST_SCALE_UP"));
}

#[tokio::test]
async fn pause_timeout_with_continue_proceeds() {
    let env = env();
    let hook = pause_timeout(DeploymentLifecycleHookStage::PreScaleUp, 2, DeploymentLifecycleHookAction::Continue);
    let (_, v2) = deploy_v2(&env, blue_green(0, vec![hook])).await;
    let arn = current_arn(&env, "web").await;
    let d = sd_after(&env, 119, &arn).await;
    assert_eq!(stage(&d), "PRE_SCALE_UP");
    assert_eq!(env.describe("web").await.running_count(), 2, "green not launched before SCALE_UP");
    let d = sd_after(&env, 1, &arn).await;
    assert_eq!(stage(&d), "SCALE_UP");
    assert_eq!(d.lifecycle_hook_details()[0].status(), Some(&DeploymentLifecycleHookStatus::TimedOut));
    let d = sd_after(&env, 60, &arn).await;
    assert_eq!(status(&d), "SUCCESSFUL");
    assert_eq!(env.describe("web").await.task_definition(), Some(v2.as_str()));
}

#[tokio::test]
async fn pause_timeout_with_rollback_rolls_back() {
    let env = env();
    let hook = pause_timeout(
        DeploymentLifecycleHookStage::PostProductionTrafficShift,
        3,
        DeploymentLifecycleHookAction::Rollback,
    );
    let (v1, _) = deploy_v2(&env, blue_green(0, vec![hook])).await;
    let arn = current_arn(&env, "web").await;
    let d = sd_after(&env, 60, &arn).await;
    assert_eq!((stage(&d), weights(&d)), ("POST_PRODUCTION_TRAFFIC_SHIFT", (100.0, 100.0, 0.0)));
    // The hook was entered 30 s after the update and expires 3 min later.
    let d = sd_after(&env, 149, &arn).await;
    assert_eq!((status(&d), stage(&d)), ("IN_PROGRESS", "POST_PRODUCTION_TRAFFIC_SHIFT"));
    let d = sd_after(&env, 1, &arn).await;
    assert_eq!(status(&d), "ROLLBACK_IN_PROGRESS");
    let hook = &d.lifecycle_hook_details()[0];
    assert_eq!(hook.status(), Some(&DeploymentLifecycleHookStatus::TimedOut));
    assert!(d.status_reason().unwrap().contains("timed out"), "{:?}", d.status_reason());
    assert_eq!(weights(&d), (0.0, 0.0, 100.0), "traffic back on blue");
    let d = sd_after(&env, 30, &arn).await;
    assert_eq!(status(&d), "ROLLBACK_SUCCESSFUL");
    assert_eq!(env.describe("web").await.task_definition(), Some(v1.as_str()));
}

#[tokio::test]
async fn canary_with_failing_lambda_rolls_back() {
    let env = env();
    let canary = CanaryConfiguration::builder().canary_percent(10.0).canary_bake_time_in_minutes(5).build();
    let config = DeploymentConfiguration::builder()
        .strategy(DeploymentStrategy::Canary)
        .canary_configuration(canary)
        .bake_time_in_minutes(10)
        .lifecycle_hooks(lambda(LAMBDA, DeploymentLifecycleHookStage::ProductionTrafficShift))
        .build();
    let (v1, v2) = deploy_v2(&env, config).await;
    let arn = current_arn(&env, "web").await;
    // The first step (10 %) passes its hook; the function then starts failing.
    let d = sd_after(&env, 60, &arn).await;
    assert_eq!((status(&d), stage(&d)), ("IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT"));
    assert_eq!(weights(&d), (100.0, 10.0, 90.0));
    let first = &d.lifecycle_hook_details()[0];
    assert_eq!(first.status(), Some(&DeploymentLifecycleHookStatus::Succeeded));
    assert_eq!(first.target_arn(), Some(LAMBDA));
    assert!(first.hook_id().unwrap().starts_with("ecs-lambda-"));
    env.sim.set_lambda_hook_outcome(LAMBDA, "FAILED").unwrap();
    // 5 min canary bake from green up (30 s after the update), then the next step's hook fails.
    let d = sd_after(&env, 269, &arn).await;
    assert_eq!(status(&d), "IN_PROGRESS");
    let d = sd_after(&env, 1, &arn).await;
    assert_eq!(status(&d), "ROLLBACK_IN_PROGRESS");
    assert_eq!(d.lifecycle_hook_details().len(), 2);
    assert_eq!(d.lifecycle_hook_details()[1].status(), Some(&DeploymentLifecycleHookStatus::Failed));
    assert!(d.status_reason().unwrap().contains(LAMBDA), "{:?}", d.status_reason());
    let svc = env.describe("web").await;
    assert_eq!(rollout(&svc), vec![("PRIMARY".into(), "COMPLETED".into()), ("ACTIVE".into(), "FAILED".into())]);
    assert_eq!(svc.deployments()[1].task_definition(), Some(v2.as_str()));
    let d = sd_after(&env, 30, &arn).await;
    assert_eq!(status(&d), "ROLLBACK_SUCCESSFUL");
    let svc = env.describe("web").await;
    assert_eq!(rollout(&svc), vec![("PRIMARY".into(), "COMPLETED".into())]);
    assert_eq!((svc.task_definition(), svc.running_count()), (Some(v1.as_str()), 2));
}

#[tokio::test]
async fn lambda_in_progress_is_invoked_again_until_it_succeeds() {
    let env = env();
    env.sim.set_lambda_hook_outcome(LAMBDA, "IN_PROGRESS").unwrap();
    deploy_v2(&env, blue_green(0, vec![lambda(LAMBDA, DeploymentLifecycleHookStage::PostScaleUp)])).await;
    let arn = current_arn(&env, "web").await;
    // First invocation when green is up (30 s), then every 30 s: 60, 90, 120, 150, 180 ...
    let d = sd_after(&env, 150, &arn).await;
    assert_eq!(stage(&d), "POST_SCALE_UP");
    assert_eq!(d.lifecycle_hook_details()[0].status(), Some(&DeploymentLifecycleHookStatus::InProgress));
    env.sim.set_lambda_hook_outcome(LAMBDA, "SUCCEEDED").unwrap();
    let d = sd_after(&env, 29, &arn).await;
    assert_eq!(d.lifecycle_hook_details()[0].status(), Some(&DeploymentLifecycleHookStatus::InProgress));
    let d = sd_after(&env, 1, &arn).await;
    assert_eq!(d.lifecycle_hook_details()[0].status(), Some(&DeploymentLifecycleHookStatus::Succeeded));
    assert_eq!(stage(&d), "CLEAN_UP", "bake time 0");
    let d = sd_after(&env, 30, &arn).await;
    assert_eq!(status(&d), "SUCCESSFUL");
}

#[tokio::test]
async fn lambda_in_progress_times_out() {
    let env = env();
    env.sim.set_lambda_hook_outcome(LAMBDA, "IN_PROGRESS").unwrap();
    let hook = DeploymentLifecycleHook::builder()
        .hook_target_arn(LAMBDA)
        .role_arn(ROLE)
        .lifecycle_stages(DeploymentLifecycleHookStage::TestTrafficShift)
        .timeout_configuration(DeploymentLifecycleHookTimeoutConfiguration::builder().timeout_in_minutes(1).build())
        .build();
    deploy_v2(&env, blue_green(0, vec![hook])).await;
    let arn = current_arn(&env, "web").await;
    let d = sd_after(&env, 89, &arn).await;
    assert_eq!((status(&d), stage(&d)), ("IN_PROGRESS", "TEST_TRAFFIC_SHIFT"));
    let d = sd_after(&env, 1, &arn).await;
    assert_eq!(status(&d), "ROLLBACK_IN_PROGRESS", "default timeout action ROLLBACK");
    assert_eq!(d.lifecycle_hook_details()[0].status(), Some(&DeploymentLifecycleHookStatus::TimedOut));
}

#[tokio::test]
async fn linear_weights_step_by_step_percent() {
    let env = env();
    let linear = LinearConfiguration::builder().step_percent(25.0).step_bake_time_in_minutes(2).build();
    let config = DeploymentConfiguration::builder()
        .strategy(DeploymentStrategy::Linear)
        .linear_configuration(linear)
        .bake_time_in_minutes(3)
        .lifecycle_hooks(lambda(LAMBDA, DeploymentLifecycleHookStage::PreProductionTrafficShift))
        .build();
    deploy_v2(&env, config).await;
    let arn = current_arn(&env, "web").await;
    // Green up at 30 s: 25 % at 30 s, 50 % at 150 s, 75 % at 270 s, 100 % at 390 s.
    let mut seen = vec![];
    for secs in [60, 120, 120, 120] {
        let d = sd_after(&env, secs, &arn).await;
        seen.push((stage(&d).to_string(), weights(&d).1, weights(&d).2));
    }
    assert_eq!(
        seen,
        vec![
            ("PRODUCTION_TRAFFIC_SHIFT".into(), 25.0, 75.0),
            ("PRODUCTION_TRAFFIC_SHIFT".into(), 50.0, 50.0),
            ("PRODUCTION_TRAFFIC_SHIFT".into(), 75.0, 25.0),
            ("BAKE_TIME".into(), 100.0, 0.0),
        ]
    );
    // PRE_PRODUCTION_TRAFFIC_SHIFT runs before every step.
    let d = sd(&env, &arn).await;
    assert_eq!(d.lifecycle_hook_details().len(), 4);
    let d = sd_after(&env, 149, &arn).await;
    assert_eq!((status(&d), stage(&d)), ("IN_PROGRESS", "BAKE_TIME"), "bake ends 570 s after the update");
    let d = sd_after(&env, 31, &arn).await;
    assert_eq!(status(&d), "SUCCESSFUL");
}

#[tokio::test]
async fn stop_service_deployment_rolls_back_mid_shift() {
    let env = env();
    let linear = LinearConfiguration::builder().step_percent(25.0).step_bake_time_in_minutes(2).build();
    let config =
        DeploymentConfiguration::builder().strategy(DeploymentStrategy::Linear).linear_configuration(linear).build();
    let (v1, _) = deploy_v2(&env, config).await;
    let arn = current_arn(&env, "web").await;
    let d = sd_after(&env, 180, &arn).await;
    assert_eq!(weights(&d).1, 50.0);
    let out = env
        .ecs
        .stop_service_deployment()
        .service_deployment_arn(&arn)
        .stop_type(StopServiceDeploymentStopType::Rollback)
        .send()
        .await
        .unwrap();
    assert_eq!(out.service_deployment_arn(), Some(arn.as_str()));
    assert_eq!(status(&sd(&env, &arn).await), "ROLLBACK_REQUESTED");
    let again = env.ecs.stop_service_deployment().service_deployment_arn(&arn).send().await;
    assert!(again.is_ok(), "ROLLBACK_REQUESTED: the rollback carries on");
    let d = sd_after(&env, 1, &arn).await;
    assert_eq!(status(&d), "ROLLBACK_IN_PROGRESS");
    assert_eq!(weights(&d), (0.0, 0.0, 100.0));
    assert!(d.rollback().unwrap().reason().unwrap().contains("StopServiceDeployment"));
    assert!(d.rollback().unwrap().started_at().is_some());
    let d = sd_after(&env, 30, &arn).await;
    assert_eq!(status(&d), "ROLLBACK_SUCCESSFUL");
    assert_eq!(env.describe("web").await.task_definition(), Some(v1.as_str()));
    let done = env.ecs.stop_service_deployment().service_deployment_arn(&arn).send().await;
    assert_eq!(code(&done.unwrap_err()).as_deref(), Some("ConflictException"));
}

fn alarms(rollback: bool) -> DeploymentAlarms {
    DeploymentAlarms::builder()
        .alarm_names("web-5xx")
        .alarm_names("web-latency")
        .enable(true)
        .rollback(rollback)
        .build()
        .unwrap()
}

#[tokio::test]
async fn alarm_in_bake_time_rolls_back() {
    let env = env();
    let config = DeploymentConfiguration::builder()
        .strategy(DeploymentStrategy::BlueGreen)
        .bake_time_in_minutes(10)
        .alarms(alarms(true))
        .build();
    let (v1, _) = deploy_v2(&env, config).await;
    let arn = current_arn(&env, "web").await;
    let d = sd_after(&env, 120, &arn).await;
    assert_eq!(stage(&d), "BAKE_TIME");
    let a = d.alarms().unwrap();
    assert_eq!(a.status(), Some(&ServiceDeploymentRollbackMonitorsStatus::Monitoring));
    assert_eq!(a.alarm_names(), ["web-5xx", "web-latency"]);
    env.sim.set_alarm_state("unrelated", "ALARM").unwrap();
    env.sim.set_alarm_state("web-latency", "ALARM").unwrap();
    let d = sd(&env, &arn).await;
    assert_eq!(status(&d), "ROLLBACK_IN_PROGRESS");
    let a = d.alarms().unwrap();
    assert_eq!(a.status(), Some(&ServiceDeploymentRollbackMonitorsStatus::Triggered));
    assert_eq!(a.triggered_alarm_names(), ["web-latency"]);
    assert!(d.status_reason().unwrap().contains("web-latency"));
    let d = sd_after(&env, 30, &arn).await;
    assert_eq!(status(&d), "ROLLBACK_SUCCESSFUL");
    assert_eq!(env.describe("web").await.task_definition(), Some(v1.as_str()));
}

#[tokio::test]
async fn alarm_without_rollback_stops_a_rolling_deployment() {
    let env = env();
    let config = DeploymentConfiguration::builder().alarms(alarms(false)).build();
    let (_, v2) = deploy_v2(&env, config).await;
    let arn = current_arn(&env, "web").await;
    assert_eq!(status(&sd(&env, &arn).await), "IN_PROGRESS");
    env.sim.set_alarm_state("web-5xx", "ALARM").unwrap();
    let d = sd(&env, &arn).await;
    assert_eq!(status(&d), "STOPPED");
    assert!(d.stopped_at().is_some() && d.rollback().is_none());
    assert_eq!(d.lifecycle_stage(), None, "ROLLING has no lifecycle stages");
    assert_eq!(d.target_service_revision().unwrap().requested_production_traffic_weight(), None);
    let svc = env.describe("web").await;
    assert_eq!(svc.task_definition(), Some(v2.as_str()), "no rollback");
    assert_eq!(svc.deployments()[0].rollout_state().map(|r| r.as_str()), Some("FAILED"));
    // An alarm firing after a deployment finished changes nothing.
    env.sim.set_alarm_state("web-5xx", "OK").unwrap();
    env.ecs.update_service().cluster(CLUSTER).service("web").force_new_deployment(true).send().await.unwrap();
    let next = current_arn(&env, "web").await;
    let d = sd_after(&env, 120, &next).await;
    assert_eq!(status(&d), "SUCCESSFUL");
    assert_eq!(d.alarms().unwrap().status(), Some(&ServiceDeploymentRollbackMonitorsStatus::MonitoringComplete));
    env.sim.set_alarm_state("web-5xx", "ALARM").unwrap();
    assert_eq!(status(&sd(&env, &next).await), "SUCCESSFUL");
}

#[tokio::test]
async fn rolling_records_follow_the_rollout() {
    let env = env();
    env.cluster().await;
    let good = env.fargate_td("web", "nginx:1").await;
    let bad = env.fargate_td("web", "nginx:fail").await;
    env.service_with("web", &good, 2, circuit_breaker(true)).await;
    let first = current_arn(&env, "web").await;
    let d = sd(&env, &first).await;
    assert_eq!(status(&d), "IN_PROGRESS");
    assert!(d.source_service_revisions().is_empty());
    assert!(d.started_at().is_some() && d.finished_at().is_none());
    let target = d.target_service_revision().unwrap().arn().unwrap().to_string();
    assert!(target.starts_with("arn:aws:ecs:us-east-1:123456789012:service-revision/test/web/"), "{target}");
    let d = sd_after(&env, 60, &first).await;
    assert_eq!(status(&d), "SUCCESSFUL");
    assert_eq!(
        d.deployment_circuit_breaker().unwrap().status(),
        Some(&ServiceDeploymentRollbackMonitorsStatus::MonitoringComplete)
    );

    // A deployment replaced before it finished is STOPPED.
    env.ecs.update_service().cluster(CLUSTER).service("web").force_new_deployment(true).send().await.unwrap();
    let replaced = current_arn(&env, "web").await;
    env.ecs.update_service().cluster(CLUSTER).service("web").task_definition(&bad).send().await.unwrap();
    let failing = current_arn(&env, "web").await;
    let d = sd(&env, &replaced).await;
    assert_eq!(status(&d), "STOPPED");
    assert!(d.status_reason().unwrap().contains(&failing));
    assert_eq!(sd(&env, &failing).await.source_service_revisions().len(), 2);

    // The circuit breaker rolls the same record back.
    let mut d = sd(&env, &failing).await;
    for _ in 0..100 {
        if status(&d) != "IN_PROGRESS" {
            break;
        }
        d = sd_after(&env, 5, &failing).await;
    }
    assert_eq!(status(&d), "ROLLBACK_IN_PROGRESS");
    let cb = d.deployment_circuit_breaker().unwrap();
    assert_eq!(cb.status(), Some(&ServiceDeploymentRollbackMonitorsStatus::Triggered));
    assert_eq!((cb.failure_count(), cb.threshold()), (3, 3));
    assert_eq!(d.rollback().unwrap().service_revision_arn(), Some(target.as_str()));
    let svc = env.describe("web").await;
    assert!(
        svc.deployments()[0].rollout_state_reason().unwrap().contains("circuit breaker: rolling back to deploymentId")
    );
    assert_eq!(current_arn(&env, "web").await, failing, "a rollback is not a new service deployment");
    let d = sd_after(&env, 120, &failing).await;
    assert_eq!(status(&d), "ROLLBACK_SUCCESSFUL");
    assert_eq!(env.describe("web").await.task_definition(), Some(good.as_str()));
}

#[tokio::test]
async fn first_deployment_runs_no_hooks() {
    let env = env();
    env.sim.set_lambda_hook_outcome(LAMBDA, "FAILED").unwrap();
    env.cluster().await;
    let v1 = env.fargate_td("web", "nginx:1").await;
    let hooks = vec![
        pause(DeploymentLifecycleHookStage::PreScaleUp),
        lambda(LAMBDA, DeploymentLifecycleHookStage::PostScaleUp),
    ];
    env.service_with("web", &v1, 2, blue_green(30, hooks)).await;
    let arn = current_arn(&env, "web").await;
    let d = sd(&env, &arn).await;
    assert_eq!((status(&d), stage(&d)), ("IN_PROGRESS", "SCALE_UP"));
    let d = sd_after(&env, 60, &arn).await;
    assert_eq!(status(&d), "SUCCESSFUL", "no hooks, no bake time on the first deployment");
    assert!(d.lifecycle_hook_details().is_empty());
    assert!(d.source_service_revisions().is_empty());
    let t = d.target_service_revision().unwrap();
    assert_eq!((t.requested_production_traffic_weight(), t.running_task_count()), (Some(100.0), 2));
}

#[tokio::test]
async fn describe_services_echoes_hooks_and_current_deployment() {
    let env = env();
    env.cluster().await;
    let v1 = env.fargate_td("web", "nginx:1").await;
    let hooks = vec![
        pause_timeout(DeploymentLifecycleHookStage::PostScaleUp, 30, DeploymentLifecycleHookAction::Continue),
        lambda(LAMBDA, DeploymentLifecycleHookStage::TestTrafficShift),
    ];
    env.service_with("web", &v1, 1, blue_green(1, hooks.clone())).await;
    let svc = env.describe("web").await;
    assert_eq!(svc.deployment_configuration().unwrap().lifecycle_hooks(), hooks.as_slice());
    let arn = svc.current_service_deployment().unwrap();
    assert_eq!(sd(&env, arn).await.deployment_configuration().unwrap().lifecycle_hooks(), hooks.as_slice());
    let (_, raw) = json_call(
        env.sim.endpoint(),
        &format!("{TARGET}DescribeServices"),
        serde_json::json!({"cluster": CLUSTER, "services": ["web"]}),
    );
    assert_eq!(
        raw["services"][0]["deploymentConfiguration"]["lifecycleHooks"][0],
        serde_json::json!({"targetType": "PAUSE", "lifecycleStages": ["POST_SCALE_UP"],
            "timeoutConfiguration": {"timeoutInMinutes": 30, "action": "CONTINUE"}}),
        "echoed as sent, defaults not filled in"
    );
    // UpdateService with [] clears them.
    let cleared = DeploymentConfiguration::builder().set_lifecycle_hooks(Some(vec![])).build();
    env.ecs.update_service().cluster(CLUSTER).service("web").deployment_configuration(cleared).send().await.unwrap();
    assert!(env.describe("web").await.deployment_configuration().unwrap().lifecycle_hooks().is_empty());
}

#[tokio::test]
async fn invalid_hooks_are_refused() {
    let env = env();
    env.cluster().await;
    let v1 = env.fargate_td("web", "nginx:1").await;
    let cases: Vec<(DeploymentLifecycleHook, &str)> = vec![
        (
            DeploymentLifecycleHook::builder()
                .target_type(DeploymentLifecycleHookTargetType::Pause)
                .hook_target_arn(LAMBDA)
                .lifecycle_stages(DeploymentLifecycleHookStage::PostScaleUp)
                .build(),
            "not applicable",
        ),
        (
            DeploymentLifecycleHook::builder()
                .role_arn(ROLE)
                .lifecycle_stages(DeploymentLifecycleHookStage::PostScaleUp)
                .build(),
            "hookTargetArn is required",
        ),
        (
            DeploymentLifecycleHook::builder()
                .hook_target_arn(LAMBDA)
                .lifecycle_stages(DeploymentLifecycleHookStage::PostScaleUp)
                .build(),
            "roleArn is required",
        ),
        (pause(DeploymentLifecycleHookStage::ProductionTrafficShift), "cannot be configured"),
        (pause(DeploymentLifecycleHookStage::TestTrafficShift), "cannot be configured"),
        (
            DeploymentLifecycleHook::builder().target_type(DeploymentLifecycleHookTargetType::Pause).build(),
            "at least one",
        ),
        (
            pause_timeout(DeploymentLifecycleHookStage::PreScaleUp, 20161, DeploymentLifecycleHookAction::Continue),
            "between 1 and 20160",
        ),
        (pause(DeploymentLifecycleHookStage::from("BAKE_TIME")), "Invalid lifecycle stage"),
    ];
    for (hook, message) in cases {
        let err = env
            .ecs
            .create_service()
            .cluster(CLUSTER)
            .service_name("web")
            .task_definition(&v1)
            .desired_count(1)
            .launch_type(LaunchType::Fargate)
            .network_configuration(network())
            .deployment_configuration(blue_green(0, vec![hook]))
            .send()
            .await
            .expect_err(message);
        assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"), "{message}");
        let text = err
            .as_service_error()
            .and_then(|e| aws_sdk_ecs::error::ProvideErrorMetadata::message(e))
            .unwrap_or_default()
            .to_string();
        assert!(text.contains(message), "{text:?} should contain {message:?}");
    }
    // Unknown enum values sent raw.
    let (status, body) = json_call(
        env.sim.endpoint(),
        &format!("{TARGET}CreateService"),
        serde_json::json!({"cluster": CLUSTER, "serviceName": "web", "taskDefinition": v1, "desiredCount": 1,
            "launchType": "FARGATE", "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"]}},
            "deploymentConfiguration": {"lifecycleHooks": [{"targetType": "WEBHOOK", "lifecycleStages": ["PRE_SCALE_UP"]}]}}),
    );
    assert_eq!((status, body["__type"].as_str()), (400, Some("InvalidParameterException")));
}

#[tokio::test]
async fn service_deployment_errors() {
    let env = env();
    let (_, _) = deploy_v2(&env, blue_green(0, vec![lambda(LAMBDA, DeploymentLifecycleHookStage::PostScaleUp)])).await;
    let arn = current_arn(&env, "web").await;
    let missing = "arn:aws:ecs:us-east-1:123456789012:service-deployment/test/web/nope";
    let out = env
        .ecs
        .describe_service_deployments()
        .service_deployment_arns(&arn)
        .service_deployment_arns(missing)
        .send()
        .await
        .unwrap();
    assert_eq!(out.service_deployments().len(), 1);
    assert_eq!(out.failures()[0].arn(), Some(missing));
    assert_eq!(out.failures()[0].reason(), Some("MISSING"));
    let too_many =
        env.ecs.describe_service_deployments().set_service_deployment_arns(Some(vec![arn.clone(); 21])).send().await;
    assert_eq!(code(&too_many.unwrap_err()).as_deref(), Some("InvalidParameterException"));

    let err = env.ecs.continue_service_deployment().service_deployment_arn(missing).hook_id("ecs-pause-x").send().await;
    assert_eq!(code(&err.unwrap_err()).as_deref(), Some("ServiceDeploymentNotFoundException"));
    let err = env.ecs.stop_service_deployment().service_deployment_arn(missing).send().await;
    assert_eq!(code(&err.unwrap_err()).as_deref(), Some("ServiceDeploymentNotFoundException"));
    let err = env.ecs.continue_service_deployment().service_deployment_arn(&arn).hook_id("ecs-pause-x").send().await;
    assert_eq!(code(&err.unwrap_err()).as_deref(), Some("InvalidParameterException"), "unknown hook");
    let err = env
        .ecs
        .stop_service_deployment()
        .service_deployment_arn(&arn)
        .stop_type(StopServiceDeploymentStopType::Abort)
        .send()
        .await;
    assert_eq!(code(&err.unwrap_err()).as_deref(), Some("InvalidParameterException"), "ABORT is undocumented");

    // A Lambda hook cannot be continued.
    let d = sd_after(&env, 40, &arn).await;
    let lambda_hook = d.lifecycle_hook_details()[0].hook_id().unwrap().to_string();
    let err = env.ecs.continue_service_deployment().service_deployment_arn(&arn).hook_id(&lambda_hook).send().await;
    assert_eq!(code(&err.unwrap_err()).as_deref(), Some("InvalidParameterException"));
    // A finished deployment cannot be stopped.
    let d = sd_after(&env, 60, &arn).await;
    assert_eq!(status(&d), "SUCCESSFUL");
    let err = env.ecs.stop_service_deployment().service_deployment_arn(&arn).send().await;
    assert_eq!(code(&err.unwrap_err()).as_deref(), Some("ConflictException"));
    // The first deployment has nothing to roll back to.
    env.cluster().await;
    let v1 = env.fargate_td("api", "nginx:fail").await;
    env.fargate_service("api", &v1, 1).await;
    let first = current_arn(&env, "api").await;
    let err = env.ecs.stop_service_deployment().service_deployment_arn(&first).send().await;
    assert_eq!(code(&err.unwrap_err()).as_deref(), Some("ConflictException"));
}

#[tokio::test]
async fn list_service_deployments_filters_and_pages() {
    let env = env();
    env.cluster().await;
    let v1 = env.fargate_td("web", "nginx:1").await;
    env.fargate_service("web", &v1, 1).await;
    let t0 = env.sim.now_ms();
    let mut arns = vec![current_arn(&env, "web").await];
    env.sim.advance(std::time::Duration::from_secs(60));
    for _ in 0..4 {
        env.ecs.update_service().cluster(CLUSTER).service("web").force_new_deployment(true).send().await.unwrap();
        arns.push(current_arn(&env, "web").await);
        env.sim.advance(std::time::Duration::from_secs(10));
    }
    arns.reverse();
    let list = |env: &Env| env.ecs.list_service_deployments().cluster(CLUSTER).service("web");
    let out = list(&env).send().await.unwrap();
    let listed: Vec<&str> = out.service_deployments().iter().filter_map(|b| b.service_deployment_arn()).collect();
    assert_eq!(listed, arns.iter().map(String::as_str).collect::<Vec<_>>(), "newest first");
    assert_eq!(out.next_token(), None);
    let brief = &out.service_deployments()[4];
    assert_eq!(brief.status(), Some(&ServiceDeploymentStatus::Successful));
    assert!(brief.target_service_revision_arn().unwrap().contains(":service-revision/test/web/"));
    assert_eq!(out.service_deployments()[1].status(), Some(&ServiceDeploymentStatus::Stopped));

    let stopped = list(&env).status(ServiceDeploymentStatus::Stopped).send().await.unwrap();
    assert_eq!(stopped.service_deployments().len(), 3);
    let either = list(&env)
        .status(ServiceDeploymentStatus::Successful)
        .status(ServiceDeploymentStatus::InProgress)
        .send()
        .await
        .unwrap();
    assert_eq!(either.service_deployments().len(), 2);
    let after = CreatedAt::builder().after(DateTime::from_millis((t0 + 30_000) as i64)).build();
    assert_eq!(list(&env).created_at(after).send().await.unwrap().service_deployments().len(), 4);
    let before = CreatedAt::builder().before(DateTime::from_millis((t0 + 30_000) as i64)).build();
    assert_eq!(list(&env).created_at(before).send().await.unwrap().service_deployments().len(), 1);

    let mut token = None;
    let mut paged = vec![];
    loop {
        let out = list(&env).max_results(2).set_next_token(token).send().await.unwrap();
        assert!(out.service_deployments().len() <= 2);
        paged.extend(out.service_deployments().iter().filter_map(|b| b.service_deployment_arn().map(str::to_string)));
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(paged, arns);
    let err = list(&env).max_results(101).send().await;
    assert_eq!(code(&err.unwrap_err()).as_deref(), Some("InvalidParameterException"));
    let err = env.ecs.list_service_deployments().cluster(CLUSTER).service("nope").send().await;
    assert_eq!(code(&err.unwrap_err()).as_deref(), Some("ServiceNotFoundException"));
    let err = env.ecs.list_service_deployments().cluster("nope").service("web").send().await;
    assert_eq!(code(&err.unwrap_err()).as_deref(), Some("ClusterNotFoundException"));
    let stats = env.sim.stats();
    assert!(stats.calls("ListServiceDeployments") >= 8);
}

#[tokio::test]
async fn admin_api_scripts_lambdas_and_alarms() {
    let env = env();
    let ep = env.sim.endpoint();
    let body = serde_json::json!({"hookTargetArn": LAMBDA, "outcome": "FAILED"}).to_string();
    assert_eq!(crate::harness::admin(ep, "POST", "/_sim/lambda-hooks", &body).0, 200);
    let bad = serde_json::json!({"hookTargetArn": LAMBDA, "outcome": "MAYBE"}).to_string();
    assert_eq!(crate::harness::admin(ep, "POST", "/_sim/lambda-hooks", &bad).0, 400);
    let alarm = serde_json::json!({"alarmName": "a", "state": "ALARM"}).to_string();
    assert_eq!(crate::harness::admin(ep, "POST", "/_sim/alarms", &alarm).0, 200);
    let bad = serde_json::json!({"alarmName": "a", "state": "RED"}).to_string();
    assert_eq!(crate::harness::admin(ep, "POST", "/_sim/alarms", &bad).0, 400);
    assert_eq!(crate::harness::admin(ep, "DELETE", "/_sim/lambda-hooks", "").0, 200);
    assert_eq!(crate::harness::admin(ep, "DELETE", "/_sim/alarms", "").0, 200);
    // reset forgets scripted outcomes too: the function answers SUCCEEDED again.
    assert_eq!(crate::harness::admin(ep, "POST", "/_sim/lambda-hooks", &body).0, 200);
    assert_eq!(crate::harness::admin(ep, "POST", "/_sim/reset", "").0, 200);
    let (_, _) = deploy_v2(&env, blue_green(0, vec![lambda(LAMBDA, DeploymentLifecycleHookStage::PostScaleUp)])).await;
    let arn = current_arn(&env, "web").await;
    let d = sd_after(&env, 70, &arn).await;
    assert_eq!(status(&d), "SUCCESSFUL");
    assert_eq!(d.lifecycle_stage(), Some(&ServiceDeploymentLifecycleStage::CleanUp));
}

#[tokio::test]
async fn superseding_a_blue_green_deployment_reconciles_first() {
    let env = env();
    let hooks =
        vec![pause(DeploymentLifecycleHookStage::ReconcileService), pause(DeploymentLifecycleHookStage::PostScaleUp)];
    let (v1, v2) = deploy_v2(&env, blue_green(0, hooks)).await;
    let v3 = env.fargate_td("web", "nginx:3").await;
    let second = current_arn(&env, "web").await;
    // One source revision: no RECONCILE_SERVICE; paused after scale-up.
    let d = sd_after(&env, 40, &second).await;
    assert_eq!(stage(&d), "POST_SCALE_UP");
    assert_eq!(d.lifecycle_hook_details().len(), 1);
    let stale_hook = d.lifecycle_hook_details()[0].hook_id().unwrap().to_string();

    env.ecs.update_service().cluster(CLUSTER).service("web").task_definition(&v3).send().await.unwrap();
    let third = current_arn(&env, "web").await;
    assert_eq!(status(&sd(&env, &second).await), "STOPPED");
    let d = sd(&env, &third).await;
    assert_eq!((status(&d), stage(&d)), ("IN_PROGRESS", "RECONCILE_SERVICE"), "two ACTIVE revisions");
    let sources: Vec<&str> = d.source_service_revisions().iter().filter_map(|s| s.arn()).collect();
    assert_eq!(sources.len(), 2);
    let err = env.ecs.continue_service_deployment().service_deployment_arn(&second).hook_id(&stale_hook).send().await;
    assert_eq!(code(&err.unwrap_err()).as_deref(), Some("ClientException"), "a STOPPED deployment cannot be continued");
    let hook = d.lifecycle_hook_details()[0].hook_id().unwrap().to_string();
    env.ecs.continue_service_deployment().service_deployment_arn(&third).hook_id(&hook).send().await.unwrap();
    let d = sd_after(&env, 40, &third).await;
    assert_eq!(stage(&d), "POST_SCALE_UP");
    let svc = env.describe("web").await;
    let tds: Vec<&str> = svc.deployments().iter().filter_map(|d| d.task_definition()).collect();
    assert_eq!(tds, [v3.as_str(), v2.as_str(), v1.as_str()]);
    assert_eq!(svc.running_count(), 6, "blue and both greens run until CLEAN_UP");
    let hook = d.lifecycle_hook_details()[1].hook_id().unwrap().to_string();
    env.ecs.continue_service_deployment().service_deployment_arn(&third).hook_id(&hook).send().await.unwrap();
    let d = sd_after(&env, 30, &third).await;
    assert_eq!(status(&d), "SUCCESSFUL");
    let svc = env.describe("web").await;
    assert_eq!(rollout(&svc), vec![("PRIMARY".into(), "COMPLETED".into())]);
    assert_eq!((svc.running_count(), svc.task_definition()), (2, Some(v3.as_str())));
}
