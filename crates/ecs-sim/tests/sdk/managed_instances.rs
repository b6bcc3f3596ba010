//! Amazon ECS Managed Instances: capacity providers that belong to one cluster, their defaults
//! and checks, update and delete within the cluster, the cluster rules, and services whose
//! tasks run on them.

use std::time::Duration;

use aws_sdk_ecs::types::{
    AutoScalingGroupProvider, CapacityProviderStrategyItem, CapacityProviderType, Compatibility, ContainerDefinition,
    CreateManagedInstancesProviderConfiguration, InfrastructureOptimization, InstanceLaunchTemplate,
    InstanceLaunchTemplateUpdate, InstanceRequirementsRequest, LaunchType, ManagedInstancesMonitoringOptions,
    ManagedInstancesNetworkConfiguration, MemoryMiBRequest, NetworkMode, UpdateManagedInstancesProviderConfiguration,
    VCpuCountRangeRequest,
};
use serde_json::{Value, json};

use crate::harness::{CLUSTER, Env, code, env, json_call, mk_container, network};

const INFRA: &str = "arn:aws:iam::123456789012:role/ecsInfrastructureRole";
const PROFILE: &str = "arn:aws:iam::123456789012:instance-profile/ecsInstanceRole";

fn mi_config(vcpu_min: i32, vcpu_max: i32) -> CreateManagedInstancesProviderConfiguration {
    let requirements = InstanceRequirementsRequest::builder()
        .v_cpu_count(VCpuCountRangeRequest::builder().min(vcpu_min).max(vcpu_max).build().unwrap())
        .memory_mib(MemoryMiBRequest::builder().min(2048).build().unwrap())
        .build();
    CreateManagedInstancesProviderConfiguration::builder()
        .infrastructure_role_arn(INFRA)
        .instance_launch_template(
            InstanceLaunchTemplate::builder()
                .ec2_instance_profile_arn(PROFILE)
                .network_configuration(
                    ManagedInstancesNetworkConfiguration::builder().subnets("subnet-1").security_groups("sg-1").build(),
                )
                .instance_requirements(requirements)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

async fn create_mi(env: &Env, name: &str, cluster: &str) -> aws_sdk_ecs::types::CapacityProvider {
    env.ecs
        .create_capacity_provider()
        .name(name)
        .cluster(cluster)
        .managed_instances_provider(mi_config(1, 4))
        .send()
        .await
        .expect("create Managed Instances provider")
        .capacity_provider
        .expect("provider")
}

fn ecs_json(env: &Env, op: &str, body: Value) -> (u16, Value) {
    json_call(env.sim.endpoint(), &format!("AmazonEC2ContainerServiceV20141113.{op}"), body)
}

/// A revision for Managed Instances (awsvpc).
async fn mi_td(env: &Env) -> String {
    let out = env
        .ecs
        .register_task_definition()
        .family("mi")
        .requires_compatibilities(Compatibility::ManagedInstances)
        .network_mode(NetworkMode::Awsvpc)
        .cpu("256")
        .memory("512")
        .container_definitions(mk_container("app", "nginx:1"))
        .send()
        .await
        .expect("register a MANAGED_INSTANCES task definition");
    let td = out.task_definition().unwrap();
    let compat: Vec<&str> = td.compatibilities().iter().map(|c| c.as_str()).collect();
    assert!(compat.contains(&"MANAGED_INSTANCES"), "{compat:?}");
    td.task_definition_arn().unwrap().to_string()
}

#[tokio::test]
async fn created_in_a_cluster_with_documented_defaults() {
    let env = env();
    env.cluster().await;
    let p = create_mi(&env, "mi", CLUSTER).await;
    assert_eq!(p.r#type(), Some(&CapacityProviderType::ManagedInstances));
    assert_eq!(p.cluster(), Some(CLUSTER));
    assert!(p.auto_scaling_group_provider().is_none());
    let lt = p.managed_instances_provider().unwrap().instance_launch_template().unwrap();
    assert_eq!(lt.capacity_option_type().map(|c| c.as_str()), Some("ON_DEMAND"));
    assert_eq!(lt.monitoring().map(|m| m.as_str()), Some("BASIC"));
    assert_eq!(lt.instance_metadata_tags_propagation(), Some(true));
    assert_eq!(lt.fips_enabled(), None, "no default the model gives");
    assert_eq!(lt.instance_requirements().unwrap().v_cpu_count().unwrap().max(), Some(4));

    // Associated with its cluster at once.
    let c = env.ecs.describe_clusters().clusters(CLUSTER).send().await.unwrap();
    assert_eq!(c.clusters()[0].capacity_providers(), ["mi"]);

    // With the cluster filter: the cluster's providers, the Managed Instances one included.
    let scoped = env.ecs.describe_capacity_providers().cluster(CLUSTER).send().await.unwrap();
    let names: Vec<&str> = scoped.capacity_providers().iter().filter_map(|p| p.name()).collect();
    assert_eq!(names, ["mi"]);
    // Without it: the account-level providers only; by name it is described.
    let all = env.ecs.describe_capacity_providers().send().await.unwrap();
    let listed: Vec<(&str, Option<&str>)> =
        all.capacity_providers().iter().map(|p| (p.name().unwrap(), p.r#type().map(|t| t.as_str()))).collect();
    assert_eq!(listed, [("FARGATE", Some("FARGATE")), ("FARGATE_SPOT", Some("FARGATE_SPOT"))]);
    let named = env.ecs.describe_capacity_providers().capacity_providers("mi").send().await.unwrap();
    assert_eq!(named.capacity_providers()[0].cluster(), Some(CLUSTER));

    let (status, raw) = ecs_json(&env, "DescribeCapacityProviders", json!({"cluster": CLUSTER, "include": ["TAGS"]}));
    assert_eq!(status, 200);
    println!("{}", serde_json::to_string_pretty(&raw["capacityProviders"][0]).unwrap());
    assert_eq!(raw["capacityProviders"][0]["type"], "MANAGED_INSTANCES");
}

#[tokio::test]
async fn creation_is_checked() {
    let env = env();
    env.cluster().await;
    let create = || env.ecs.create_capacity_provider().managed_instances_provider(mi_config(1, 4));
    let err = create().name("a").send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"), "cluster is required");
    let err = create().name("b").cluster("nowhere").send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("ClusterNotFoundException"));
    let asg = AutoScalingGroupProvider::builder().auto_scaling_group_arn("arn:aws:autoscaling:asg").build().unwrap();
    let err = create().name("c").cluster(CLUSTER).auto_scaling_group_provider(asg).send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"), "one kind only");
    let err = env
        .ecs
        .create_capacity_provider()
        .name("d")
        .cluster(CLUSTER)
        .managed_instances_provider(mi_config(8, 2))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"), "vCpuCount min above max");
    let mut bad = mi_config(1, 4);
    bad.infrastructure_optimization = Some(InfrastructureOptimization::builder().scale_in_after(5000).build());
    let err =
        env.ecs.create_capacity_provider().name("e").cluster(CLUSTER).managed_instances_provider(bad).send().await;
    assert_eq!(code(&err.unwrap_err()).as_deref(), Some("InvalidParameterException"), "scaleInAfter -1 or 0-3600");

    let raw = |provider: Value| {
        ecs_json(
            &env,
            "CreateCapacityProvider",
            json!({"name": "f", "cluster": CLUSTER, "managedInstancesProvider": provider}),
        )
    };
    let (status, body) =
        raw(json!({"infrastructureRoleArn": INFRA, "instanceLaunchTemplate": {"networkConfiguration": {}}}));
    assert_eq!((status, body["__type"].as_str()), (400, Some("InvalidParameterException")));
    assert!(body["message"].as_str().unwrap().contains("ec2InstanceProfileArn"));
    let (status, body) = raw(json!({"infrastructureRoleArn": INFRA, "instanceLaunchTemplate": {
        "ec2InstanceProfileArn": PROFILE, "networkConfiguration": {}, "monitoring": "VERBOSE"}}));
    assert_eq!((status, body["__type"].as_str()), (400, Some("InvalidParameterException")), "monitoring enum");
    let (status, body) = raw(json!({"infrastructureRoleArn": INFRA, "instanceLaunchTemplate": {
        "ec2InstanceProfileArn": PROFILE, "networkConfiguration": {}, "storageConfiguration": {"storageSizeGiB": 0}}}));
    assert_eq!((status, body["__type"].as_str()), (400, Some("InvalidParameterException")), "storageSizeGiB >= 1");
}

#[tokio::test]
async fn updated_and_deleted_within_the_cluster() {
    let env = env();
    env.cluster().await;
    env.ecs.create_cluster().cluster_name("other").send().await.unwrap();
    create_mi(&env, "mi", CLUSTER).await;
    let update = |role: &str| {
        UpdateManagedInstancesProviderConfiguration::builder()
            .infrastructure_role_arn(role)
            .instance_launch_template(
                InstanceLaunchTemplateUpdate::builder().monitoring(ManagedInstancesMonitoringOptions::Detailed).build(),
            )
            .build()
            .unwrap()
    };
    let err = env.ecs.update_capacity_provider().name("mi").managed_instances_provider(update(INFRA)).send().await;
    assert_eq!(code(&err.unwrap_err()).as_deref(), Some("InvalidParameterException"), "cluster is required");
    let err = env
        .ecs
        .update_capacity_provider()
        .name("mi")
        .cluster("other")
        .managed_instances_provider(update(INFRA))
        .send()
        .await;
    assert_eq!(code(&err.unwrap_err()).as_deref(), Some("InvalidParameterException"), "only within its cluster");
    let role2 = format!("{INFRA}2");
    let out = env
        .ecs
        .update_capacity_provider()
        .name("mi")
        .cluster(CLUSTER)
        .managed_instances_provider(update(&role2))
        .send()
        .await
        .unwrap();
    let mi = out.capacity_provider().unwrap().managed_instances_provider().unwrap();
    assert_eq!(mi.infrastructure_role_arn(), Some(role2.as_str()));
    let lt = mi.instance_launch_template().unwrap();
    assert_eq!(lt.monitoring().map(|m| m.as_str()), Some("DETAILED"));
    assert_eq!(lt.capacity_option_type().map(|c| c.as_str()), Some("ON_DEMAND"), "kept");
    assert_eq!(lt.ec2_instance_profile_arn(), PROFILE, "kept");
    let (status, body) = ecs_json(
        &env,
        "UpdateCapacityProvider",
        json!({"name": "mi", "cluster": CLUSTER, "managedInstancesProvider": {"infrastructureRoleArn": INFRA,
               "instanceLaunchTemplate": {"capacityOptionType": "SPOT"}}}),
    );
    assert_eq!((status, body["__type"].as_str()), (400, Some("InvalidParameterException")), "capacityOptionType");

    // Only its own cluster can have it.
    let err = env
        .ecs
        .put_cluster_capacity_providers()
        .cluster("other")
        .capacity_providers("mi")
        .set_default_capacity_provider_strategy(Some(vec![]))
        .send()
        .await;
    assert_eq!(code(&err.unwrap_err()).as_deref(), Some("InvalidParameterException"));
    let err = env.ecs.delete_cluster().cluster(CLUSTER).send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("ClusterContainsCapacityProviderException"));

    let err = env.ecs.delete_capacity_provider().capacity_provider("mi").send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"), "cluster is required to delete");
    let out = env.ecs.delete_capacity_provider().capacity_provider("mi").cluster(CLUSTER).send().await.unwrap();
    let p = out.capacity_provider().unwrap();
    assert_eq!(
        (p.status().map(|s| s.as_str()), p.update_status().map(|s| s.as_str())),
        (Some("INACTIVE"), Some("DELETE_COMPLETE"))
    );
    let c = env.ecs.describe_clusters().clusters(CLUSTER).send().await.unwrap();
    assert!(c.clusters()[0].capacity_providers().is_empty());
    env.ecs.delete_cluster().cluster(CLUSTER).send().await.expect("no Managed Instances provider left");
}

#[tokio::test]
async fn services_run_on_managed_instances_through_a_strategy() {
    let env = env();
    env.cluster().await;
    create_mi(&env, "mi", CLUSTER).await;
    let td = mi_td(&env).await;
    let strategy = CapacityProviderStrategyItem::builder().capacity_provider("mi").weight(1).build().unwrap();
    let create = |name: &str, td: &str| {
        env.ecs
            .create_service()
            .cluster(CLUSTER)
            .service_name(name)
            .task_definition(td)
            .desired_count(2)
            .network_configuration(network())
    };
    let svc = create("web", &td).capacity_provider_strategy(strategy.clone()).send().await.unwrap().service.unwrap();
    assert_eq!(svc.launch_type(), None);
    assert_eq!(svc.platform_version(), None, "platform versions are Fargate's");
    let svc = env.after(60, "web").await;
    assert_eq!((svc.running_count(), rollout_state(&svc)), (2, "COMPLETED".to_string()));
    let tasks = env.ecs.list_tasks().cluster(CLUSTER).service_name("web").send().await.unwrap();
    let described = env.ecs.describe_tasks().cluster(CLUSTER).set_tasks(Some(tasks.task_arns().to_vec())).send().await;
    let launch: Vec<&str> =
        described.as_ref().unwrap().tasks().iter().filter_map(|t| t.launch_type()).map(|l| l.as_str()).collect();
    assert_eq!(launch, ["MANAGED_INSTANCES", "MANAGED_INSTANCES"]);
    let listed = env.ecs.list_services().cluster(CLUSTER).launch_type(LaunchType::ManagedInstances).send().await;
    assert_eq!(listed.unwrap().service_arns().len(), 1);

    // launchType MANAGED_INSTANCES: AWS wants the strategy instead.
    let err = create("lt", &td).launch_type(LaunchType::ManagedInstances).send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"));
    // A Fargate-only revision on a Managed Instances strategy.
    let fargate = env.fargate_td("fg", "nginx:1").await;
    let err = create("fg", &fargate).capacity_provider_strategy(strategy.clone()).send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"), "requiresCompatibilities");

    // DeleteCapacityProvider while a service uses it: DELETE_FAILED, still ACTIVE.
    let out = env.ecs.delete_capacity_provider().capacity_provider("mi").cluster(CLUSTER).send().await.unwrap();
    let p = out.capacity_provider().unwrap();
    assert_eq!(p.update_status().map(|s| s.as_str()), Some("DELETE_FAILED"));
    assert!(p.update_status_reason().unwrap().contains("web"));
    env.sim.advance(Duration::from_secs(1));
}

fn rollout_state(svc: &aws_sdk_ecs::types::Service) -> String {
    svc.deployments()[0].rollout_state().map(|r| r.as_str().to_string()).unwrap_or_default()
}

#[tokio::test]
async fn task_definitions_for_managed_instances_need_a_supported_network_mode() {
    let env = env();
    let register = |mode: Option<NetworkMode>| {
        env.ecs
            .register_task_definition()
            .family("mi")
            .requires_compatibilities(Compatibility::ManagedInstances)
            .set_network_mode(mode)
            .cpu("256")
            .memory("512")
            .container_definitions(ContainerDefinition::builder().name("app").image("nginx:1").build())
            .send()
    };
    let err = register(None).await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("ClientException"), "a network mode is required");
    let err = register(Some(NetworkMode::Bridge)).await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("ClientException"), "bridge is not listed for Managed Instances");
    register(Some(NetworkMode::Host)).await.expect("host");
    register(Some(NetworkMode::Awsvpc)).await.expect("awsvpc");
}
