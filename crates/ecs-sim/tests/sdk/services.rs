//! Services: lifecycle over simulated time, idempotency, limits, updates, deletion.

use std::time::{Duration, Instant};

use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::types::{
    Compatibility, DeploymentConfiguration, LaunchType, PlacementConstraint, PlacementConstraintType,
    PlacementStrategy, PlacementStrategyType, SchedulingStrategy, ServiceField,
};
use ecs_sim::{ClockMode, SimConfig, ThrottleConfig};

use crate::harness::{CLUSTER, admin, code, env, env_with, mk_container, network, rollout, tag};

#[tokio::test]
async fn fargate_service_reaches_completed_over_time() {
    let env = env();
    env.cluster().await;
    let td = env.fargate_td("web", "nginx:1").await;
    let created = env.fargate_service("web", &td, 3).await;
    assert_eq!(created.status(), Some("ACTIVE"));
    assert_eq!(created.pending_count(), 3);
    assert_eq!(rollout(&created), vec![("PRIMARY".into(), "IN_PROGRESS".into())]);
    assert!(created.deployments()[0].id().unwrap().starts_with("ecs-svc/"));
    assert_eq!(created.deployments()[0].id().unwrap().len(), "ecs-svc/".len() + 19);

    let tasks = env.ecs.list_tasks().cluster(CLUSTER).service_name("web").send().await.unwrap();
    let described =
        env.ecs.describe_tasks().cluster(CLUSTER).set_tasks(Some(tasks.task_arns().to_vec())).send().await.unwrap();
    assert!(described.tasks().iter().all(|t| t.last_status() == Some("PROVISIONING")));

    env.sim.advance(Duration::from_secs(10));
    let described =
        env.ecs.describe_tasks().cluster(CLUSTER).set_tasks(Some(tasks.task_arns().to_vec())).send().await.unwrap();
    assert!(described.tasks().iter().all(|t| t.last_status() == Some("PENDING")));

    let svc = env.after(20, "web").await;
    assert_eq!((svc.running_count(), svc.pending_count()), (3, 0));
    assert_eq!(rollout(&svc), vec![("PRIMARY".into(), "IN_PROGRESS".into())], "not steady yet");
    let svc = env.after(10, "web").await;
    assert_eq!(rollout(&svc), vec![("PRIMARY".into(), "COMPLETED".into())]);
    let events: Vec<&str> = svc.events().iter().filter_map(|e| e.message()).collect();
    assert_eq!(events[0], "(service web) has reached a steady state.");
    assert!(events.iter().any(|e| e.contains("deployment completed")));
    assert!(events.iter().any(|e| e.starts_with("(service web) has started 3 tasks:")));
}

#[tokio::test]
async fn speed_20_completes_in_seconds_of_real_time() {
    let config = SimConfig {
        clock: ClockMode::Scaled { speed: 20.0 },
        throttle: ThrottleConfig::unlimited(),
        ..SimConfig::default()
    };
    let env = env_with(config);
    env.cluster().await;
    let td = env.fargate_td("fast", "nginx:1").await;
    env.fargate_service("fast", &td, 3).await;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(10);
    loop {
        let svc = env.describe("fast").await;
        if rollout(&svc) == vec![("PRIMARY".to_string(), "COMPLETED".to_string())] {
            assert_eq!(svc.running_count(), 3);
            break;
        }
        assert!(Instant::now() < deadline, "not COMPLETED within 10 s: {svc:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
}

#[tokio::test]
async fn client_token_makes_create_idempotent() {
    let env = env();
    env.cluster().await;
    let td = env.fargate_td("web", "nginx:1").await;
    let create = || {
        env.ecs
            .create_service()
            .cluster(CLUSTER)
            .service_name("web")
            .task_definition(&td)
            .desired_count(2)
            .launch_type(LaunchType::Fargate)
            .network_configuration(network())
            .client_token("uid-1234-hash")
    };
    let a = create().send().await.unwrap();
    let b = create().send().await.unwrap();
    assert_eq!(a.service().unwrap().service_arn(), b.service().unwrap().service_arn());
    assert_eq!(a.service().unwrap().deployments()[0].id(), b.service().unwrap().deployments()[0].id());
    let listed = env.ecs.list_services().cluster(CLUSTER).send().await.unwrap();
    assert_eq!(listed.service_arns().len(), 1);
    let tasks = env.ecs.list_tasks().cluster(CLUSTER).send().await.unwrap();
    assert_eq!(tasks.task_arns().len(), 2, "the replay launched nothing");

    let err = create().desired_count(3).send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"), "same token, different request");
    let err = create().client_token("other").send().await.unwrap_err();
    assert!(err.into_service_error().is_invalid_parameter_exception());
    let err = env
        .ecs
        .create_service()
        .cluster(CLUSTER)
        .service_name("web")
        .task_definition(&td)
        .desired_count(1)
        .launch_type(LaunchType::Fargate)
        .network_configuration(network())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.into_service_error().meta().message(), Some("Creation of service was not idempotent."));
}

#[tokio::test]
async fn duplicate_owner_is_recorded() {
    let env = env();
    env.cluster().await;
    let td = env.fargate_td("web", "nginx:1").await;
    for name in ["web-a", "web-b"] {
        env.ecs
            .create_service()
            .cluster(CLUSTER)
            .service_name(name)
            .task_definition(&td)
            .desired_count(0)
            .launch_type(LaunchType::Fargate)
            .network_configuration(network())
            .tags(tag(ecs_sim::OWNER_TAG, "default/web"))
            .send()
            .await
            .unwrap();
    }
    let dups = env.sim.stats().duplicate_creates;
    assert_eq!(dups.len(), 1);
    assert_eq!(dups[0].owner, "default/web");
    assert!(dups[0].new_service_arn.ends_with("/web-b"));
}

#[tokio::test]
async fn describe_takes_at_most_ten_and_reports_missing() {
    let env = env();
    env.cluster().await;
    let td = env.fargate_td("web", "nginx:1").await;
    for i in 0..11 {
        env.fargate_service(&format!("s{i}"), &td, 0).await;
    }
    let names: Vec<String> = (0..11).map(|i| format!("s{i}")).collect();
    let err = env.ecs.describe_services().cluster(CLUSTER).set_services(Some(names.clone())).send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"));
    let out = env
        .ecs
        .describe_services()
        .cluster(CLUSTER)
        .services("s1")
        .services("ghost")
        .include(ServiceField::Tags)
        .send()
        .await
        .unwrap();
    assert_eq!(out.services().len(), 1);
    assert_eq!(out.failures()[0].reason(), Some("MISSING"));
    assert_eq!(
        out.failures()[0].arn(),
        Some("arn:aws:ecs:us-east-1:123456789012:service/ghost"),
        "no cluster in AWS's ARN"
    );

    let mut seen = 0;
    let mut token = None;
    loop {
        let page = env.ecs.list_services().cluster(CLUSTER).set_next_token(token).send().await.unwrap();
        assert!(page.service_arns().len() <= 10, "default page size is 10");
        seen += page.service_arns().len();
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen, 11);
}

#[tokio::test]
async fn create_validates_like_aws() {
    let env = env();
    let td = env.fargate_td("web", "nginx:1").await;
    let err = env
        .ecs
        .create_service()
        .cluster("nope")
        .service_name("x")
        .task_definition(&td)
        .desired_count(1)
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_cluster_not_found_exception());
    env.cluster().await;
    let err = env
        .ecs
        .create_service()
        .cluster(CLUSTER)
        .service_name("x")
        .task_definition(&td)
        .desired_count(1)
        .launch_type(LaunchType::Fargate)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"), "awsvpc needs a network configuration");
    let err = env
        .ecs
        .create_service()
        .cluster(CLUSTER)
        .service_name("x")
        .task_definition("ghost:1")
        .desired_count(1)
        .launch_type(LaunchType::Fargate)
        .network_configuration(network())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("ClientException"));
    assert_eq!(err.message(), Some("TaskDefinition not found."));
}

#[tokio::test]
async fn desired_count_changes_scale() {
    let env = env();
    env.cluster().await;
    let td = env.fargate_td("web", "nginx:1").await;
    env.fargate_service("web", &td, 2).await;
    env.after(60, "web").await;
    env.ecs.update_service().cluster(CLUSTER).service("web").desired_count(5).send().await.unwrap();
    let svc = env.describe("web").await;
    assert_eq!((svc.running_count(), svc.pending_count()), (2, 3));
    assert_eq!(svc.deployments().len(), 1, "scaling is not a new deployment");
    let svc = env.after(60, "web").await;
    assert_eq!(svc.running_count(), 5);
    env.ecs.update_service().cluster(CLUSTER).service("web").desired_count(1).send().await.unwrap();
    let svc = env.after(60, "web").await;
    assert_eq!((svc.running_count(), svc.pending_count()), (1, 0));
    assert_eq!(svc.events()[0].message(), Some("(service web) has reached a steady state."));
    // Someone else scales the service (console, another tool).
    env.sim.set_desired_count(CLUSTER, "web", 3).unwrap();
    assert_eq!(env.describe("web").await.desired_count(), 3);
}

#[tokio::test]
async fn delete_drains_then_goes_inactive() {
    let env = env();
    env.cluster().await;
    let td = env.fargate_td("web", "nginx:1").await;
    env.fargate_service("web", &td, 2).await;
    env.after(60, "web").await;
    let err = env.ecs.delete_service().cluster(CLUSTER).service("web").send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"));
    let out = env.ecs.delete_service().cluster(CLUSTER).service("web").force(true).send().await.unwrap();
    assert_eq!(out.service().unwrap().status(), Some("DRAINING"));
    let err = env.ecs.update_service().cluster(CLUSTER).service("web").desired_count(1).send().await.unwrap_err();
    assert!(err.into_service_error().is_service_not_active_exception());
    let svc = env.after(60, "web").await;
    assert_eq!(svc.status(), Some("INACTIVE"));
    assert_eq!(svc.running_count(), 0);
    let err = env.ecs.update_service().cluster(CLUSTER).service("web").desired_count(1).send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("ServiceNotActiveException"));
    let listed = env.ecs.list_services().cluster(CLUSTER).send().await.unwrap();
    assert!(listed.service_arns().is_empty());
    // The name is free again once INACTIVE.
    env.fargate_service("web", &td, 1).await;
    let err = env.ecs.update_service().cluster(CLUSTER).service("ghost").desired_count(1).send().await.unwrap_err();
    assert!(err.into_service_error().is_service_not_found_exception());
}

#[tokio::test]
async fn daemon_service_without_desired_count_completes_with_no_tasks() {
    let env = env();
    env.cluster().await;
    let register = |image: &'static str| {
        env.ecs
            .register_task_definition()
            .family("log-agent")
            .requires_compatibilities(Compatibility::Ec2)
            .memory("256")
            .container_definitions(mk_container("agent", image))
            .send()
    };
    let v1 =
        register("fluent-bit:1").await.unwrap().task_definition().unwrap().task_definition_arn().unwrap().to_string();
    let v2 =
        register("fluent-bit:2").await.unwrap().task_definition().unwrap().task_definition_arn().unwrap().to_string();
    let daemon = || {
        env.ecs
            .create_service()
            .cluster(CLUSTER)
            .service_name("log-agent")
            .task_definition(&v1)
            .launch_type(LaunchType::Ec2)
            .scheduling_strategy(SchedulingStrategy::Daemon)
    };
    // AWS refuses a desired count, Fargate and maximumPercent above 100 for DAEMON.
    let err = daemon().desired_count(1).send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"));
    assert!(err.message().unwrap().starts_with("The daemon scheduling strategy does not support a desired count"));
    let err = daemon().launch_type(LaunchType::Fargate).network_configuration(network()).send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"));
    let too_many = DeploymentConfiguration::builder().maximum_percent(200).build();
    let err = daemon().deployment_configuration(too_many).send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"));
    let spread = PlacementStrategy::builder().r#type(PlacementStrategyType::Spread).field("instanceId").build();
    let err = daemon().placement_strategy(spread).send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"));

    let linux = PlacementConstraint::builder()
        .r#type(PlacementConstraintType::MemberOf)
        .expression("attribute:ecs.os-type == linux")
        .build();
    let created = daemon().placement_constraints(linux).send().await.unwrap();
    let svc = created.service().unwrap();
    assert_eq!(svc.status(), Some("ACTIVE"));
    assert_eq!(svc.scheduling_strategy(), Some(&SchedulingStrategy::Daemon));
    assert_eq!(svc.desired_count(), 0, "one task per container instance; the simulator has none");
    let config = svc.deployment_configuration().unwrap();
    assert_eq!((config.minimum_healthy_percent(), config.maximum_percent()), (Some(0), Some(100)), "DAEMON defaults");
    let svc = env.after(30, "log-agent").await;
    assert_eq!(rollout(&svc), vec![("PRIMARY".into(), "COMPLETED".into())]);
    assert_eq!((svc.running_count(), svc.pending_count()), (0, 0));
    let tasks = env.ecs.list_tasks().cluster(CLUSTER).service_name("log-agent").send().await.unwrap();
    assert!(tasks.task_arns().is_empty());

    // A new revision is a new deployment that also completes with 0 tasks.
    env.ecs.update_service().cluster(CLUSTER).service("log-agent").task_definition(&v2).send().await.unwrap();
    let svc = env.after(30, "log-agent").await;
    assert_eq!(rollout(&svc), vec![("PRIMARY".into(), "COMPLETED".into())]);
    assert_eq!(svc.task_definition(), Some(v2.as_str()));
    let err = env.ecs.update_service().cluster(CLUSTER).service("log-agent").desired_count(0).send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"));
    assert!(env.sim.set_desired_count(CLUSTER, "log-agent", 2).is_err());
    let listed = env.ecs.list_services().cluster(CLUSTER).scheduling_strategy(SchedulingStrategy::Daemon).send().await;
    assert_eq!(listed.unwrap().service_arns().len(), 1);
    // No desired count to scale down first: DeleteService without force.
    let out = env.ecs.delete_service().cluster(CLUSTER).service("log-agent").send().await.unwrap();
    assert_ne!(out.service().unwrap().status(), Some("ACTIVE"));
    assert_eq!(env.after(10, "log-agent").await.status(), Some("INACTIVE"));
}

#[tokio::test]
async fn deleted_service_is_described_inactive_for_an_hour_then_missing() {
    let env = env();
    env.cluster().await;
    let td = env.fargate_td("web", "nginx:1").await;
    env.fargate_service("web", &td, 1).await;
    env.fargate_service("kept", &td, 1).await;
    env.ecs.delete_service().cluster(CLUSTER).service("web").force(true).send().await.unwrap();
    assert_eq!(env.after(60, "web").await.status(), Some("INACTIVE"));
    let again = env.ecs.delete_service().cluster(CLUSTER).service("web").send().await.unwrap();
    assert_eq!(again.service().unwrap().status(), Some("INACTIVE"), "deleting an INACTIVE service answers with it");

    assert_eq!(env.after(3500, "web").await.status(), Some("INACTIVE"), "still describable");
    env.sim.advance(Duration::from_secs(100));
    let out = env.ecs.describe_services().cluster(CLUSTER).services("web").services("kept").send().await.unwrap();
    assert_eq!(out.services().len(), 1, "purged; the live service stays");
    assert_eq!(out.services()[0].service_name(), Some("kept"));
    assert_eq!(out.failures()[0].reason(), Some("MISSING"));
    assert_eq!(out.failures()[0].arn(), Some("arn:aws:ecs:us-east-1:123456789012:service/web"));
    let err = env.ecs.update_service().cluster(CLUSTER).service("web").desired_count(1).send().await.unwrap_err();
    assert!(err.into_service_error().is_service_not_found_exception());
    let err = env.ecs.delete_service().cluster(CLUSTER).service("web").send().await.unwrap_err();
    assert!(err.into_service_error().is_service_not_found_exception());
}

#[tokio::test]
async fn a_service_created_again_is_not_purged_by_the_old_ones_timer() {
    let env = env();
    env.cluster().await;
    let td = env.fargate_td("web", "nginx:1").await;
    env.fargate_service("web", &td, 1).await;
    env.ecs.delete_service().cluster(CLUSTER).service("web").force(true).send().await.unwrap();
    assert_eq!(env.after(60, "web").await.status(), Some("INACTIVE"));
    env.fargate_service("web", &td, 1).await;
    assert_eq!(env.after(3600, "web").await.status(), Some("ACTIVE"));
}

#[tokio::test]
async fn service_calls_on_a_missing_or_deleted_cluster_are_cluster_not_found() {
    let env = env();
    let td = env.fargate_td("web", "nginx:1").await;
    env.ecs.create_cluster().cluster_name("gone").send().await.unwrap();
    env.ecs.delete_cluster().cluster("gone").send().await.unwrap();
    for cluster in ["gone", "never"] {
        let err = env.ecs.describe_services().cluster(cluster).services("web").send().await.unwrap_err();
        assert!(err.into_service_error().is_cluster_not_found_exception(), "DescribeServices in {cluster}");
        let err = env.ecs.update_service().cluster(cluster).service("web").desired_count(1).send().await.unwrap_err();
        let expected = if cluster == "gone" { "The referenced cluster was inactive." } else { "Cluster not found." };
        assert_eq!(err.message(), Some(expected), "AWS's message for {cluster}");
        assert!(err.into_service_error().is_cluster_not_found_exception(), "UpdateService in {cluster}");
        let err = env.ecs.delete_service().cluster(cluster).service("web").force(true).send().await.unwrap_err();
        assert!(err.into_service_error().is_cluster_not_found_exception(), "DeleteService in {cluster}");
        let err = env
            .ecs
            .create_service()
            .cluster(cluster)
            .service_name("web")
            .task_definition(&td)
            .desired_count(1)
            .launch_type(LaunchType::Fargate)
            .network_configuration(network())
            .send()
            .await
            .unwrap_err();
        assert!(err.into_service_error().is_cluster_not_found_exception(), "CreateService in {cluster}");
    }
}

/// The fault hook for "AWS keeps its own value": the field is set at once, every UpdateService
/// that sends it succeeds without changing it (other members still apply), and after a release
/// the field is applied again. The admin route does the same.
#[tokio::test]
async fn a_kept_field_survives_update_service_until_released() {
    let env = env();
    env.cluster().await;
    let td = env.fargate_td("web", "nginx:1").await;
    env.fargate_service("web", &td, 1).await;
    assert!(!env.describe("web").await.enable_execute_command());
    env.sim.keep_service_field(CLUSTER, "web", "enableExecuteCommand", serde_json::json!(true)).unwrap();
    assert!(env.describe("web").await.enable_execute_command(), "set at once");
    let calls = env.sim.stats().calls("UpdateService");
    assert_eq!(calls, 0, "the hook's own change is not an API call");

    let update = env.ecs.update_service().cluster(CLUSTER).service("web");
    update.enable_execute_command(false).desired_count(2).send().await.expect("answered with success");
    let svc = env.describe("web").await;
    assert!(svc.enable_execute_command(), "kept");
    assert_eq!(svc.desired_count(), 2, "the rest of the request applies");

    let refused = env.sim.keep_service_field(CLUSTER, "web", "serviceName", serde_json::json!("x"));
    assert!(refused.is_err(), "only UpdateService members can be kept");

    env.sim.release_service_field(CLUSTER, "web", "enableExecuteCommand");
    env.ecs.update_service().cluster(CLUSTER).service("web").enable_execute_command(false).send().await.unwrap();
    assert!(!env.describe("web").await.enable_execute_command(), "applied again");

    let ep = env.sim.endpoint().to_string();
    let keep = serde_json::json!({"cluster": CLUSTER, "service": "web", "field": "propagateTags", "value": "SERVICE"});
    assert_eq!(admin(&ep, "POST", "/_sim/services/keep-field", &keep.to_string()).0, 200);
    env.ecs
        .update_service()
        .cluster(CLUSTER)
        .service("web")
        .propagate_tags(aws_sdk_ecs::types::PropagateTags::None)
        .send()
        .await
        .unwrap();
    assert_eq!(env.describe("web").await.propagate_tags().map(|p| p.as_str()), Some("SERVICE"));
    let release = serde_json::json!({"cluster": CLUSTER, "service": "web", "field": "propagateTags"});
    assert_eq!(admin(&ep, "POST", "/_sim/services/release-field", &release.to_string()).0, 200);
    let unknown = serde_json::json!({"cluster": CLUSTER, "service": "web", "field": "nope", "value": 1});
    assert_eq!(admin(&ep, "POST", "/_sim/services/keep-field", &unknown.to_string()).0, 400);
}
