//! Service settings: what ECS fills in when CreateService leaves a field out, what
//! DescribeServices reports, and what UpdateService does with a field it is not sent (keeps
//! it) or sent empty (clears it).

use aws_sdk_ecs::types::{
    AssignPublicIp, AvailabilityZoneRebalancing, AwsVpcConfiguration, CapacityProviderStrategyItem, ClusterField,
    Compatibility, DeploymentAlarms, DeploymentConfiguration, DeploymentController, DeploymentControllerType,
    LaunchType, LoadBalancer, NetworkConfiguration, PlacementConstraint, PlacementConstraintType, PlacementStrategy,
    PlacementStrategyType, SchedulingStrategy, ServiceRegistry,
};

use crate::harness::{CLUSTER, Env, code, env, mk_container, network};

const SERVICE_LINKED_ROLE: &str =
    "arn:aws:iam::123456789012:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS";

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
        env.ecs.create_service().cluster(CLUSTER).service_name(name).task_definition(&td).launch_type(LaunchType::Ec2)
    };

    let binpack = PlacementStrategy::builder().r#type(PlacementStrategyType::Binpack).field("memory").build();
    let out = create("binpack").desired_count(1).placement_strategy(binpack).send().await.unwrap();
    assert_eq!(az(out.service().unwrap()), Some("DISABLED"), "binpack first");
    assert_eq!(out.service().unwrap().role_arn(), None, "bridge networking, no load balancer: no service-linked role");

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

fn assign_public_ip(n: Option<&NetworkConfiguration>) -> Option<&str> {
    n.and_then(|n| n.awsvpc_configuration()).and_then(|v| v.assign_public_ip()).map(|a| a.as_str())
}

#[tokio::test]
async fn create_fills_in_what_ecs_defaults() {
    let env = env();
    env.cluster().await;
    let td = env.fargate_td("web", "nginx:1").await;
    let created = env.fargate_service("web", &td, 1).await;
    for svc in [&created, &env.describe("web").await] {
        assert_eq!(svc.health_check_grace_period_seconds(), Some(0));
        assert_eq!(svc.role_arn(), Some(SERVICE_LINKED_ROLE));
        assert_eq!(assign_public_ip(svc.network_configuration()), Some("DISABLED"));
        assert_eq!(assign_public_ip(svc.deployments()[0].network_configuration()), Some("DISABLED"));
        let dc = svc.deployment_configuration().unwrap();
        assert_eq!((dc.minimum_healthy_percent(), dc.maximum_percent()), (Some(100), Some(200)));
        let cb = dc.deployment_circuit_breaker().unwrap();
        assert_eq!((cb.enable(), cb.rollback()), (false, false));
        assert!(dc.alarms().is_none(), "no alarms until they are sent");
        assert_eq!(dc.strategy().map(|s| s.as_str()), Some("ROLLING"));
        assert_eq!(dc.bake_time_in_minutes(), Some(0));
        assert_eq!(svc.deployment_controller().map(|d| d.r#type().as_str()), Some("ECS"));
        assert_eq!(svc.scheduling_strategy().map(|s| s.as_str()), Some("REPLICA"));
        assert_eq!(svc.launch_type().map(|l| l.as_str()), Some("FARGATE"));
        assert_eq!(svc.platform_version(), Some("LATEST"));
        assert_eq!(svc.propagate_tags().map(|p| p.as_str()), Some("NONE"));
        assert!(!svc.enable_ecs_managed_tags() && !svc.enable_execute_command());
        assert!(svc.load_balancers().is_empty() && svc.service_registries().is_empty());
        assert!(svc.placement_constraints().is_empty() && svc.placement_strategy().is_empty());
        assert!(svc.capacity_provider_strategy().is_empty());
    }

    let public = NetworkConfiguration::builder()
        .awsvpc_configuration(
            AwsVpcConfiguration::builder()
                .subnets("subnet-2")
                .assign_public_ip(AssignPublicIp::Enabled)
                .build()
                .unwrap(),
        )
        .build();
    let out = env
        .ecs
        .update_service()
        .cluster(CLUSTER)
        .service("web")
        .network_configuration(public)
        .health_check_grace_period_seconds(30)
        .send()
        .await
        .unwrap();
    assert_eq!(assign_public_ip(out.service().unwrap().network_configuration()), Some("ENABLED"));
    env.ecs.update_service().cluster(CLUSTER).service("web").network_configuration(network()).send().await.unwrap();
    env.ecs.update_service().cluster(CLUSTER).service("web").desired_count(2).send().await.unwrap();
    let svc = env.describe("web").await;
    assert_eq!(assign_public_ip(svc.network_configuration()), Some("DISABLED"), "UpdateService fills it in too");
    assert_eq!(svc.health_check_grace_period_seconds(), Some(30), "kept when not sent");

    let err = env
        .ecs
        .update_service()
        .cluster(CLUSTER)
        .service("web")
        .health_check_grace_period_seconds(-1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"));
}

fn security_groups(n: Option<&NetworkConfiguration>) -> Vec<String> {
    n.and_then(|n| n.awsvpc_configuration()).map(|v| v.security_groups().to_vec()).unwrap_or_default()
}

/// A networkConfiguration without security groups puts the service on the VPC's default group,
/// on create and on update; a pinned platform version is taken out by sending LATEST, which is
/// what DescribeServices then says.
#[tokio::test]
async fn security_groups_left_out_are_the_vpc_default_and_platform_version_latest_is_stored() {
    let env = env();
    env.cluster().await;
    let td = env.fargate_td("web", "nginx:1").await;
    let created = env.fargate_service("web", &td, 1).await;
    assert_eq!(security_groups(created.network_configuration()), [ecs_sim::DEFAULT_SECURITY_GROUP]);

    let own = NetworkConfiguration::builder()
        .awsvpc_configuration(
            AwsVpcConfiguration::builder().subnets("subnet-1").security_groups("sg-1").build().unwrap(),
        )
        .build();
    let update = env.ecs.update_service().cluster(CLUSTER).service("web");
    update.network_configuration(own).platform_version("1.4.0").send().await.unwrap();
    let svc = env.describe("web").await;
    assert_eq!(
        (security_groups(svc.network_configuration()), svc.platform_version()),
        (vec!["sg-1".into()], Some("1.4.0"))
    );

    let update = env.ecs.update_service().cluster(CLUSTER).service("web");
    update.network_configuration(network()).platform_version("LATEST").send().await.unwrap();
    let svc = env.describe("web").await;
    assert_eq!(security_groups(svc.network_configuration()), [ecs_sim::DEFAULT_SECURITY_GROUP]);
    assert_eq!(svc.platform_version(), Some("LATEST"));
    assert_eq!(security_groups(svc.deployments()[0].network_configuration()), [ecs_sim::DEFAULT_SECURITY_GROUP]);
}

#[tokio::test]
async fn deployment_alarms_are_stored_and_enable_false_keeps_the_names() {
    let env = env();
    env.cluster().await;
    let td = env.fargate_td("web", "nginx:1").await;
    env.fargate_service("web", &td, 1).await;
    let alarms = |enable: bool| {
        DeploymentAlarms::builder()
            .alarm_names("high-5xx")
            .alarm_names("p99")
            .enable(enable)
            .rollback(enable)
            .build()
            .expect("alarms")
    };
    let with = |a| DeploymentConfiguration::builder().alarms(a).build();
    env.ecs
        .update_service()
        .cluster(CLUSTER)
        .service("web")
        .deployment_configuration(with(alarms(true)))
        .send()
        .await
        .unwrap();
    let names = |svc: &aws_sdk_ecs::types::Service| {
        let a = svc.deployment_configuration().and_then(|d| d.alarms()).unwrap();
        (a.alarm_names().to_vec(), a.enable(), a.rollback())
    };
    assert_eq!(names(&env.describe("web").await), (vec!["high-5xx".to_string(), "p99".to_string()], true, true));

    env.ecs
        .update_service()
        .cluster(CLUSTER)
        .service("web")
        .deployment_configuration(with(alarms(false)))
        .send()
        .await
        .unwrap();
    assert_eq!(names(&env.describe("web").await), (vec!["high-5xx".to_string(), "p99".to_string()], false, false));

    let min_only = DeploymentConfiguration::builder().minimum_healthy_percent(50).build();
    env.ecs.update_service().cluster(CLUSTER).service("web").deployment_configuration(min_only).send().await.unwrap();
    let svc = env.describe("web").await;
    assert_eq!(names(&svc).0.len(), 2, "a deploymentConfiguration without alarms leaves them");
    assert_eq!(svc.deployment_configuration().unwrap().minimum_healthy_percent(), Some(50));
}

#[tokio::test]
async fn role_is_reported_as_an_arn_and_refused_for_awsvpc() {
    let env = env();
    env.cluster().await;
    let td = ec2_td(&env, "classic").await;
    let clb = LoadBalancer::builder().load_balancer_name("classic-lb").container_name("app").container_port(80).build();
    let out = env
        .ecs
        .create_service()
        .cluster(CLUSTER)
        .service_name("classic")
        .task_definition(&td)
        .desired_count(1)
        .launch_type(LaunchType::Ec2)
        .load_balancers(clb)
        .role("ecsServiceRole")
        .send()
        .await
        .unwrap();
    let svc = out.service().unwrap();
    assert_eq!(svc.role_arn(), Some("arn:aws:iam::123456789012:role/ecsServiceRole"));
    assert_eq!(az(svc), Some("DISABLED"), "a Classic Load Balancer rules out rebalancing");

    let fargate = env.fargate_td("web", "nginx:1").await;
    let err = env
        .ecs
        .create_service()
        .cluster(CLUSTER)
        .service_name("web")
        .task_definition(&fargate)
        .desired_count(1)
        .launch_type(LaunchType::Fargate)
        .network_configuration(network())
        .role("ecsServiceRole")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"));
    assert_eq!(
        err.into_service_error().meta().message(),
        Some("You cannot specify an IAM role for services that require a service linked role.")
    );
}

fn item(provider: &str, weight: i32, base: i32) -> CapacityProviderStrategyItem {
    CapacityProviderStrategyItem::builder().capacity_provider(provider).weight(weight).base(base).build().unwrap()
}

fn strategy_of(items: &[CapacityProviderStrategyItem]) -> Vec<(String, i32, i32)> {
    items.iter().map(|i| (i.capacity_provider().to_string(), i.weight(), i.base())).collect()
}

#[tokio::test]
async fn capacity_provider_strategies_get_ecs_defaults_and_limits() {
    let env = env();
    env.cluster().await;
    let raw_default = aws_sdk_ecs::types::CapacityProviderStrategyItem::builder()
        .capacity_provider("FARGATE")
        .weight(1)
        .build()
        .unwrap();
    env.ecs
        .put_cluster_capacity_providers()
        .cluster(CLUSTER)
        .capacity_providers("FARGATE")
        .capacity_providers("FARGATE_SPOT")
        .default_capacity_provider_strategy(raw_default)
        .send()
        .await
        .unwrap();
    let described = env.ecs.describe_clusters().clusters(CLUSTER).include(ClusterField::Settings).send().await.unwrap();
    let expected = vec![("FARGATE".to_string(), 1, 0)];
    assert_eq!(strategy_of(described.clusters()[0].default_capacity_provider_strategy()), expected);

    let td = env.fargate_td("web", "nginx:1").await;
    let create = |name: &'static str| {
        env.ecs
            .create_service()
            .cluster(CLUSTER)
            .service_name(name)
            .task_definition(&td)
            .desired_count(1)
            .network_configuration(network())
    };
    let out = create("by-default").send().await.unwrap();
    assert_eq!(strategy_of(out.service().unwrap().capacity_provider_strategy()), expected, "the cluster's default");
    assert_eq!(out.service().unwrap().launch_type(), None);

    let out = create("mixed")
        .capacity_provider_strategy(item("FARGATE_SPOT", 3, 0))
        .capacity_provider_strategy(item("FARGATE", 1, 2))
        .send()
        .await
        .unwrap();
    let got = strategy_of(out.service().unwrap().capacity_provider_strategy());
    assert_eq!(got, vec![("FARGATE_SPOT".to_string(), 3, 0), ("FARGATE".to_string(), 1, 2)]);

    for (what, items) in [
        ("weight above 1000", vec![item("FARGATE", 1001, 0)]),
        ("two bases", vec![item("FARGATE", 1, 1), item("FARGATE_SPOT", 1, 1)]),
        ("only zero weights", vec![item("FARGATE", 0, 0), item("FARGATE_SPOT", 0, 0)]),
    ] {
        let err = create("bad").set_capacity_provider_strategy(Some(items)).send().await.unwrap_err();
        assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"), "{what}");
    }
}

#[tokio::test]
async fn update_keeps_lists_it_is_not_sent_and_clears_empty_ones() {
    let env = env();
    env.cluster().await;
    let td = ec2_td(&env, "api").await;
    let alb = LoadBalancer::builder()
        .target_group_arn("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/0123456789abcdef")
        .container_name("app")
        .container_port(80)
        .build();
    let registry = ServiceRegistry::builder()
        .registry_arn("arn:aws:servicediscovery:us-east-1:123456789012:service/srv-0123456789abcdef")
        .build();
    let distinct = PlacementConstraint::builder().r#type(PlacementConstraintType::DistinctInstance).build();
    let spread = PlacementStrategy::builder()
        .r#type(PlacementStrategyType::Spread)
        .field("attribute:ecs.availability-zone")
        .build();
    env.ecs
        .create_service()
        .cluster(CLUSTER)
        .service_name("api")
        .task_definition(&td)
        .desired_count(1)
        .launch_type(LaunchType::Ec2)
        .load_balancers(alb)
        .service_registries(registry)
        .placement_constraints(distinct)
        .placement_strategy(spread)
        .send()
        .await
        .unwrap();
    let counts = |svc: &aws_sdk_ecs::types::Service| {
        (
            svc.load_balancers().len(),
            svc.service_registries().len(),
            svc.placement_constraints().len(),
            svc.placement_strategy().len(),
            svc.deployments().len(),
        )
    };
    let update = || env.ecs.update_service().cluster(CLUSTER).service("api");

    update().desired_count(2).send().await.unwrap();
    assert_eq!(counts(&env.describe("api").await), (1, 1, 1, 1, 1), "lists not sent are kept");

    update().set_placement_constraints(Some(vec![])).set_placement_strategy(Some(vec![])).send().await.unwrap();
    assert_eq!(counts(&env.describe("api").await), (1, 1, 0, 0, 1), "placement cleared without a deployment");

    update().set_load_balancers(Some(vec![])).send().await.unwrap();
    assert_eq!(counts(&env.describe("api").await), (0, 1, 0, 0, 2), "load balancers cleared by a new deployment");

    update().set_service_registries(Some(vec![])).send().await.unwrap();
    assert_eq!(counts(&env.describe("api").await).1, 0, "service registries cleared");
}

#[tokio::test]
async fn capacity_provider_strategy_changes_need_force_new_deployment() {
    let env = env();
    env.cluster().await;
    env.ecs
        .put_cluster_capacity_providers()
        .cluster(CLUSTER)
        .capacity_providers("FARGATE")
        .capacity_providers("FARGATE_SPOT")
        .set_default_capacity_provider_strategy(Some(vec![]))
        .send()
        .await
        .unwrap();
    let td = env.fargate_td("web", "nginx:1").await;
    env.fargate_service("web", &td, 1).await;
    let update = |items: Vec<CapacityProviderStrategyItem>| {
        env.ecs.update_service().cluster(CLUSTER).service("web").set_capacity_provider_strategy(Some(items))
    };

    let err = update(vec![item("FARGATE_SPOT", 1, 0)]).send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"), "launch type to strategy");
    assert!(err.into_service_error().meta().message().unwrap().ends_with("you must force a new deployment."));
    assert_eq!(update(vec![]).send().await.unwrap().service().unwrap().deployments().len(), 1, "[] on a launch type");

    let out = update(vec![item("FARGATE_SPOT", 1, 0)]).force_new_deployment(true).send().await.unwrap();
    let svc = out.service().unwrap();
    assert_eq!(svc.launch_type(), None);
    assert_eq!(strategy_of(svc.capacity_provider_strategy()), vec![("FARGATE_SPOT".to_string(), 1, 0)]);
    assert_eq!(svc.deployments().len(), 2, "forced: a new deployment");

    let unchanged =
        CapacityProviderStrategyItem::builder().capacity_provider("FARGATE_SPOT").weight(1).build().unwrap();
    update(vec![unchanged]).send().await.expect("the same strategy (base 0 implied) needs no force");
    let err = update(vec![item("FARGATE", 1, 0)]).send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"), "strategy to strategy");
    let err = update(vec![]).send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"), "strategy back to a launch type");

    let out = update(vec![]).force_new_deployment(true).send().await.unwrap();
    let svc = out.service().unwrap();
    assert_eq!(svc.launch_type().map(|l| l.as_str()), Some("FARGATE"), "back to the launch type it ran on");
    assert!(svc.capacity_provider_strategy().is_empty());
}

#[tokio::test]
async fn deployment_controller_defaults_to_ecs_and_update_sets_it_only_when_sent() {
    let env = env();
    env.cluster().await;
    let td = env.fargate_td("web", "nginx:1").await;
    env.fargate_service("web", &td, 1).await;
    let controller =
        |svc: &aws_sdk_ecs::types::Service| svc.deployment_controller().map(|d| d.r#type().as_str().to_string());
    assert_eq!(controller(&env.describe("web").await).as_deref(), Some("ECS"));
    let code_deploy = DeploymentController::builder().r#type(DeploymentControllerType::CodeDeploy).build().unwrap();
    env.ecs.update_service().cluster(CLUSTER).service("web").deployment_controller(code_deploy).send().await.unwrap();
    assert_eq!(controller(&env.describe("web").await).as_deref(), Some("CODE_DEPLOY"));
    env.ecs.update_service().cluster(CLUSTER).service("web").desired_count(2).send().await.unwrap();
    assert_eq!(controller(&env.describe("web").await).as_deref(), Some("CODE_DEPLOY"), "kept when not sent");
    let bogus = DeploymentController::builder().r#type(DeploymentControllerType::from("KUBERNETES")).build().unwrap();
    let err =
        env.ecs.update_service().cluster(CLUSTER).service("web").deployment_controller(bogus).send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"));
}

#[tokio::test]
async fn describe_leaves_out_the_launch_type_or_the_strategy_the_service_does_not_use() {
    let env = env();
    env.ecs
        .create_cluster()
        .cluster_name(CLUSTER)
        .capacity_providers("FARGATE")
        .default_capacity_provider_strategy(item("FARGATE", 1, 0))
        .send()
        .await
        .unwrap();
    let td = env.fargate_td("web", "nginx:1").await;
    env.fargate_service("on-launch-type", &td, 0).await;
    env.ecs
        .create_service()
        .cluster(CLUSTER)
        .service_name("on-strategy")
        .task_definition(&td)
        .desired_count(0)
        .network_configuration(network())
        .send()
        .await
        .unwrap();
    let body = serde_json::json!({"cluster": CLUSTER, "services": ["on-launch-type", "on-strategy"]});
    let (status, out) =
        crate::harness::json_call(env.sim.endpoint(), "AmazonEC2ContainerServiceV20141113.DescribeServices", body);
    assert_eq!(status, 200, "{out}");
    let services = out["services"].as_array().expect("services");
    let by_name = |n: &str| services.iter().find(|s| s["serviceName"] == n).expect("described");
    let launch_type = by_name("on-launch-type");
    assert_eq!(launch_type["launchType"], "FARGATE");
    assert!(launch_type.get("capacityProviderStrategy").is_none(), "omitted for a launch type: {launch_type}");
    let strategy = by_name("on-strategy");
    assert!(strategy.get("launchType").is_none(), "omitted for a strategy: {strategy}");
    assert_eq!(strategy["capacityProviderStrategy"][0]["base"], 0);
}
