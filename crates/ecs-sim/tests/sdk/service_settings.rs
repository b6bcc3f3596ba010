//! Service settings: what ECS fills in when CreateService leaves a field out, what
//! DescribeServices reports, and what UpdateService does with a field it is not sent (keeps
//! it) or sent empty (clears it).

use aws_sdk_ecs::types::{
    AvailabilityZoneRebalancing, Compatibility, DeploymentConfiguration, LaunchType, PlacementStrategy,
    PlacementStrategyType, SchedulingStrategy,
};

use crate::harness::{CLUSTER, Env, code, env, mk_container};

/// Registers an EC2 task definition (bridge networking, no network configuration needed).
async fn ec2_td(env: &Env, family: &str) -> String {
    let out = env
        .ecs
        .register_task_definition()
        .family(family)
        .requires_compatibilities(Compatibility::Ec2)
        .memory("256")
        .container_definitions(mk_container("app", "nginx:1"))
        .send()
        .await
        .expect("register EC2 task definition");
    out.task_definition().and_then(|t| t.task_definition_arn()).expect("arn").to_string()
}

fn az(svc: &aws_sdk_ecs::types::Service) -> Option<&str> {
    svc.availability_zone_rebalancing().map(|a| a.as_str())
}

#[tokio::test]
async fn az_rebalancing_defaults_to_enabled_on_create_and_is_kept_on_update() {
    let env = env();
    env.cluster().await;
    let td = env.fargate_td("web", "nginx:1").await;
    let created = env.fargate_service("web", &td, 1).await;
    assert_eq!(az(&created), Some("ENABLED"), "CreateService without a value");
    assert_eq!(az(&env.describe("web").await), Some("ENABLED"));

    let out = env
        .ecs
        .update_service()
        .cluster(CLUSTER)
        .service("web")
        .availability_zone_rebalancing(AvailabilityZoneRebalancing::Disabled)
        .send()
        .await
        .unwrap();
    let updated = out.service().unwrap();
    assert_eq!(az(updated), Some("DISABLED"));
    assert_eq!(updated.deployments().len(), 1, "the setting does not start a deployment");

    env.ecs.update_service().cluster(CLUSTER).service("web").desired_count(2).send().await.unwrap();
    assert_eq!(az(&env.describe("web").await), Some("DISABLED"), "an update without a value keeps it");

    env.ecs
        .update_service()
        .cluster(CLUSTER)
        .service("web")
        .availability_zone_rebalancing(AvailabilityZoneRebalancing::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(az(&env.describe("web").await), Some("ENABLED"));

    let err = env
        .ecs
        .update_service()
        .cluster(CLUSTER)
        .service("web")
        .availability_zone_rebalancing(AvailabilityZoneRebalancing::from("SOMETIMES"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"));
}

#[tokio::test]
async fn az_rebalancing_sent_on_create_is_stored() {
    let env = env();
    env.cluster().await;
    let td = env.fargate_td("web", "nginx:1").await;
    let out = env
        .ecs
        .create_service()
        .cluster(CLUSTER)
        .service_name("web")
        .task_definition(&td)
        .desired_count(1)
        .launch_type(LaunchType::Fargate)
        .network_configuration(crate::harness::network())
        .availability_zone_rebalancing(AvailabilityZoneRebalancing::Disabled)
        .send()
        .await
        .unwrap();
    assert_eq!(az(out.service().unwrap()), Some("DISABLED"));
    assert_eq!(az(&env.describe("web").await), Some("DISABLED"));
}

#[tokio::test]
async fn az_rebalancing_defaults_to_disabled_where_ecs_does_not_support_it() {
    let env = env();
    env.cluster().await;
    let td = ec2_td(&env, "worker").await;
    let create = |name: &'static str| {
        env.ecs
            .create_service()
            .cluster(CLUSTER)
            .service_name(name)
            .task_definition(&td)
            .launch_type(LaunchType::Ec2)
    };

    let binpack = PlacementStrategy::builder().r#type(PlacementStrategyType::Binpack).field("memory").build();
    let out = create("binpack").desired_count(1).placement_strategy(binpack).send().await.unwrap();
    assert_eq!(az(out.service().unwrap()), Some("DISABLED"), "binpack first");

    let az_spread = PlacementStrategy::builder()
        .r#type(PlacementStrategyType::Spread)
        .field("attribute:ecs.availability-zone")
        .build();
    let binpack = PlacementStrategy::builder().r#type(PlacementStrategyType::Binpack).field("memory").build();
    let out = create("spread-then-binpack")
        .desired_count(1)
        .placement_strategy(az_spread)
        .placement_strategy(binpack)
        .send()
        .await
        .unwrap();
    assert_eq!(az(out.service().unwrap()), Some("ENABLED"), "Availability Zone spread first");

    let at_most_desired = DeploymentConfiguration::builder().maximum_percent(100).minimum_healthy_percent(0).build();
    let out = create("max-100").desired_count(1).deployment_configuration(at_most_desired).send().await.unwrap();
    assert_eq!(az(out.service().unwrap()), Some("DISABLED"), "maximumPercent 100");

    let out = create("daemon").scheduling_strategy(SchedulingStrategy::Daemon).send().await.unwrap();
    assert_eq!(az(out.service().unwrap()), Some("DISABLED"), "DAEMON");
}
