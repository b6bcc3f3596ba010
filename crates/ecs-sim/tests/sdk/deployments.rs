//! Deployments over simulated time: rolling bounds, circuit breaker with and without
//! rollback, forced redeploys and ECS-native blue/green, canary and linear with bake times.

use std::time::Duration;

use aws_sdk_ecs::types::{
    CanaryConfiguration, DeploymentConfiguration, DeploymentRolloutState, DeploymentStrategy, DesiredStatus,
    LinearConfiguration,
};

use crate::harness::{CLUSTER, Env, circuit_breaker, env, rollout};

async fn live_tasks(env: &Env) -> usize {
    let out = env.ecs.list_tasks().cluster(CLUSTER).desired_status(DesiredStatus::Running).send().await.unwrap();
    out.task_arns().len()
}

#[tokio::test]
async fn rolling_update_respects_percentages() {
    let env = env();
    env.cluster().await;
    let v1 = env.fargate_td("web", "nginx:1").await;
    let v2 = env.fargate_td("web", "nginx:2").await;
    let config = DeploymentConfiguration::builder().minimum_healthy_percent(50).maximum_percent(150).build();
    env.service_with("web", &v1, 4, config).await;
    assert_eq!(rollout(&env.after(60, "web").await)[0].1, "COMPLETED");

    let updated = env.ecs.update_service().cluster(CLUSTER).service("web").task_definition(&v2).send().await.unwrap();
    let svc = updated.service().unwrap();
    assert_eq!(rollout(svc), vec![("PRIMARY".into(), "IN_PROGRESS".into()), ("ACTIVE".into(), "COMPLETED".into())]);
    for _ in 0..30 {
        let svc = env.after(5, "web").await;
        assert!(live_tasks(&env).await <= 6, "maximumPercent 150 of 4");
        assert!(svc.running_count() >= 2, "minimumHealthyPercent 50 of 4: {}", svc.running_count());
    }
    let svc = env.describe("web").await;
    assert_eq!(rollout(&svc), vec![("PRIMARY".into(), "COMPLETED".into())]);
    assert_eq!(svc.deployments()[0].task_definition(), Some(v2.as_str()));
    assert_eq!(svc.running_count(), 4);
}

#[tokio::test]
async fn force_new_deployment_replaces_tasks() {
    let env = env();
    env.cluster().await;
    let v1 = env.fargate_td("web", "nginx:1").await;
    env.fargate_service("web", &v1, 2).await;
    let before = env.after(60, "web").await.deployments()[0].id().unwrap().to_string();
    env.ecs.update_service().cluster(CLUSTER).service("web").force_new_deployment(true).send().await.unwrap();
    let svc = env.describe("web").await;
    assert_eq!(svc.deployments().len(), 2);
    assert_ne!(svc.deployments()[0].id(), Some(before.as_str()));
    let svc = env.after(120, "web").await;
    assert_eq!(rollout(&svc), vec![("PRIMARY".into(), "COMPLETED".into())]);
}

#[tokio::test]
async fn circuit_breaker_rolls_back_to_last_completed() {
    let env = env();
    env.cluster().await;
    let good = env.fargate_td("web", "nginx:1").await;
    let bad = env.fargate_td("web", "nginx:fail").await;
    env.service_with("web", &good, 2, circuit_breaker(true)).await;
    env.after(60, "web").await;
    env.ecs.update_service().cluster(CLUSTER).service("web").task_definition(&bad).send().await.unwrap();

    let mut saw_failure = false;
    for _ in 0..200 {
        let svc = env.after(5, "web").await;
        if let Some(failed) =
            svc.deployments().iter().find(|d| d.rollout_state() == Some(&DeploymentRolloutState::Failed))
        {
            assert!(failed.failed_tasks() >= 3);
            assert_eq!(failed.rollout_state_reason(), Some("ECS deployment circuit breaker: task failed to start."));
            let primary = &svc.deployments()[0];
            assert_eq!(primary.task_definition(), Some(good.as_str()));
            assert!(primary.rollout_state_reason().unwrap().contains("rolling back to deploymentId ecs-svc/"));
            saw_failure = true;
            break;
        }
    }
    assert!(saw_failure, "circuit breaker never tripped");
    let svc = env.after(300, "web").await;
    assert_eq!(rollout(&svc), vec![("PRIMARY".into(), "COMPLETED".into())]);
    assert_eq!(svc.task_definition(), Some(good.as_str()));
    assert_eq!(svc.running_count(), 2);
    assert!(svc.events().iter().any(|e| e.message().unwrap().contains("deployment failed: tasks failed to start")));
}

#[tokio::test]
async fn circuit_breaker_without_rollback_stops_launching() {
    let env = env();
    env.cluster().await;
    let bad = env.fargate_td("web", "nginx:fail").await;
    env.service_with("web", &bad, 1, circuit_breaker(false)).await;
    let svc = env.after(600, "web").await;
    assert_eq!(rollout(&svc), vec![("PRIMARY".into(), "FAILED".into())]);
    assert_eq!(svc.deployments()[0].failed_tasks(), 3);
    let later = env.after(600, "web").await;
    assert_eq!(later.deployments()[0].failed_tasks(), 3, "no launches after FAILED");
    assert_eq!(live_tasks(&env).await, 0);
}

#[tokio::test]
async fn without_circuit_breaker_failing_tasks_are_replaced_forever() {
    let env = env();
    env.cluster().await;
    let bad = env.fargate_td("web", "nginx:fail").await;
    env.fargate_service("web", &bad, 1).await;
    let svc = env.after(600, "web").await;
    assert_eq!(rollout(&svc)[0].1, "IN_PROGRESS");
    assert!(svc.deployments()[0].failed_tasks() > 5);
    let stopped = env.ecs.list_tasks().cluster(CLUSTER).desired_status(DesiredStatus::Stopped).send().await.unwrap();
    let described = env.ecs.describe_tasks().cluster(CLUSTER).tasks(&stopped.task_arns()[0]).send().await.unwrap();
    let task = &described.tasks()[0];
    assert_eq!(task.stop_code().map(|c| c.as_str()), Some("EssentialContainerExited"));
    assert_eq!(task.containers()[0].exit_code(), Some(1));
}

#[tokio::test]
async fn failure_pattern_is_configurable() {
    let env = env();
    env.sim.set_task_failure_pattern("broken").unwrap();
    env.cluster().await;
    let td = env.fargate_td("web", "registry/broken:1").await;
    env.service_with("web", &td, 1, circuit_breaker(false)).await;
    let svc = env.after(600, "web").await;
    assert_eq!(rollout(&svc)[0].1, "FAILED");
}

#[tokio::test]
async fn blue_green_waits_for_bake_time() {
    let env = env();
    env.cluster().await;
    let v1 = env.fargate_td("web", "nginx:1").await;
    let v2 = env.fargate_td("web", "nginx:2").await;
    let config =
        DeploymentConfiguration::builder().strategy(DeploymentStrategy::BlueGreen).bake_time_in_minutes(5).build();
    env.service_with("web", &v1, 2, config).await;
    env.after(60, "web").await;
    env.ecs.update_service().cluster(CLUSTER).service("web").task_definition(&v2).send().await.unwrap();
    let svc = env.after(60, "web").await;
    assert_eq!(svc.running_count(), 4, "green runs beside blue");
    assert_eq!(rollout(&svc)[0].1, "IN_PROGRESS");
    let svc = env.after(200, "web").await;
    assert_eq!(svc.running_count(), 4, "still baking");
    let svc = env.after(200, "web").await;
    assert_eq!(rollout(&svc), vec![("PRIMARY".into(), "COMPLETED".into())]);
    assert_eq!(svc.running_count(), 2);
    assert_eq!(svc.task_definition(), Some(v2.as_str()));
}

/// Creates "web" on v1 with `config`, lets it settle, then updates it to v2 and returns v2.
async fn update_with(env: &Env, config: DeploymentConfiguration) -> String {
    env.cluster().await;
    let v1 = env.fargate_td("web", "nginx:1").await;
    let v2 = env.fargate_td("web", "nginx:2").await;
    env.service_with("web", &v1, 2, config).await;
    assert_eq!(rollout(&env.after(60, "web").await), vec![("PRIMARY".into(), "COMPLETED".into())]);
    env.ecs.update_service().cluster(CLUSTER).service("web").task_definition(&v2).send().await.unwrap();
    v2
}

#[tokio::test]
async fn canary_waits_for_canary_bake_then_bake_time() {
    let env = env();
    let canary = CanaryConfiguration::builder().canary_percent(10.0).canary_bake_time_in_minutes(5).build();
    let config = DeploymentConfiguration::builder()
        .strategy(DeploymentStrategy::Canary)
        .canary_configuration(canary)
        .bake_time_in_minutes(10)
        .build();
    let v2 = update_with(&env, config).await;
    // Green is up 30 s after the update; then 5 min canary + 10 min bake before blue stops.
    let svc = env.after(60, "web").await;
    assert_eq!(svc.running_count(), 4, "green runs beside blue");
    assert_eq!(rollout(&svc)[0].1, "IN_PROGRESS");
    let echoed = svc.deployment_configuration().unwrap();
    assert_eq!(echoed.strategy(), Some(&DeploymentStrategy::Canary));
    assert_eq!(echoed.bake_time_in_minutes(), Some(10));
    let echoed = echoed.canary_configuration().unwrap();
    assert_eq!((echoed.canary_percent(), echoed.canary_bake_time_in_minutes()), (Some(10.0), Some(5)));
    let svc = env.after(660, "web").await;
    assert_eq!((svc.running_count(), rollout(&svc)[0].1.as_str()), (4, "IN_PROGRESS"), "10 min: bake alone is over");
    let svc = env.after(180, "web").await;
    assert_eq!((svc.running_count(), rollout(&svc)[0].1.as_str()), (4, "IN_PROGRESS"), "15 min after the update");
    let svc = env.after(60, "web").await;
    assert_eq!(rollout(&svc), vec![("PRIMARY".into(), "COMPLETED".into())]);
    assert_eq!(svc.running_count(), 2);
    assert_eq!(svc.task_definition(), Some(v2.as_str()));
}

#[tokio::test]
async fn linear_waits_between_steps_then_bake_time() {
    let env = env();
    let linear = LinearConfiguration::builder().step_percent(25.0).step_bake_time_in_minutes(2).build();
    let config = DeploymentConfiguration::builder()
        .strategy(DeploymentStrategy::Linear)
        .linear_configuration(linear)
        .bake_time_in_minutes(3)
        .build();
    let v2 = update_with(&env, config).await;
    // 25/50/75/100 %: three 2 min waits (none after 100 %), then 3 min bake = 9 min after
    // green is up (30 s after the update); blue takes 15 s to stop.
    let svc = env.after(60, "web").await;
    assert_eq!(svc.running_count(), 4);
    let echoed = svc.deployment_configuration().unwrap().linear_configuration().unwrap();
    assert_eq!((echoed.step_percent(), echoed.step_bake_time_in_minutes()), (Some(25.0), Some(2)));
    let svc = env.after(480, "web").await;
    assert_eq!((svc.running_count(), rollout(&svc)[0].1.as_str()), (4, "IN_PROGRESS"), "9 min after the update");
    let svc = env.after(60, "web").await;
    assert_eq!(rollout(&svc), vec![("PRIMARY".into(), "COMPLETED".into())]);
    assert_eq!(svc.running_count(), 2);
    assert_eq!(svc.task_definition(), Some(v2.as_str()));
}

#[tokio::test]
async fn bounded_advance_keeps_timestamps_consistent() {
    let env = env();
    env.cluster().await;
    let td = env.fargate_td("web", "nginx:1").await;
    env.fargate_service("web", &td, 1).await;
    let t0 = env.sim.now_ms();
    env.sim.advance(Duration::from_secs(45));
    assert_eq!(env.sim.now_ms(), t0 + 45_000);
    let tasks = env.ecs.list_tasks().cluster(CLUSTER).send().await.unwrap();
    let described =
        env.ecs.describe_tasks().cluster(CLUSTER).set_tasks(Some(tasks.task_arns().to_vec())).send().await.unwrap();
    let task = &described.tasks()[0];
    let created = task.created_at().unwrap().as_secs_f64();
    let started = task.started_at().unwrap().as_secs_f64();
    assert!((started - created - 30.0).abs() < 0.01, "PROVISIONING 10 s + PENDING 20 s");
}
