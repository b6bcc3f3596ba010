//! serviceConnectConfiguration, volumeConfigurations and vpcLatticeConfigurations: stored per
//! deployment (DescribeServices shows them on `deployments[]`, never on the service), a new
//! deployment on each change, unchanged when left out, removed with `[]` or `enabled: false`,
//! and the checks ECS makes against the task definition and the cluster.

use std::time::Duration;

use aws_sdk_ecs::types::{
    ClusterServiceConnectDefaultsRequest, Compatibility, ContainerDefinition, Deployment, LaunchType, NetworkMode,
    PortMapping, ServiceConnectClientAlias, ServiceConnectConfiguration, ServiceConnectService,
    ServiceManagedEbsVolumeConfiguration, ServiceVolumeConfiguration, Volume, VpcLatticeConfiguration,
};
use serde_json::{Value, json};

use crate::harness::{CLUSTER, Env, code, env, json_call, network};

const ROLE: &str = "arn:aws:iam::123456789012:role/ecsInfrastructureRole";
const TG: &str = "arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/tg-0123456789abcdef0";
const NS: &str = "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-abcdefghijklmnop";

/// A Fargate revision whose container has port mapping `http` (80) and, with `volume`, a
/// volume `data` configured at launch.
async fn td(env: &Env, family: &str, volume: bool) -> String {
    let container = ContainerDefinition::builder()
        .name("app")
        .image("nginx:1")
        .port_mappings(PortMapping::builder().container_port(80).name("http").build())
        .build();
    let mut req = env
        .ecs
        .register_task_definition()
        .family(family)
        .requires_compatibilities(Compatibility::Fargate)
        .network_mode(NetworkMode::Awsvpc)
        .cpu("256")
        .memory("512")
        .container_definitions(container);
    if volume {
        req = req.volumes(Volume::builder().name("data").configured_at_launch(true).build());
    }
    let out = req.send().await.expect("register task definition");
    out.task_definition().and_then(|t| t.task_definition_arn()).expect("arn").to_string()
}

fn sc(port_name: &str, alias_port: i32) -> ServiceConnectConfiguration {
    ServiceConnectConfiguration::builder()
        .enabled(true)
        .namespace(NS)
        .services(
            ServiceConnectService::builder()
                .port_name(port_name)
                .discovery_name("web")
                .client_aliases(ServiceConnectClientAlias::builder().port(alias_port).dns_name("web").build().unwrap())
                .build()
                .unwrap(),
        )
        .build()
}

fn ebs(size: i32) -> ServiceVolumeConfiguration {
    ServiceVolumeConfiguration::builder()
        .name("data")
        .managed_ebs_volume(
            ServiceManagedEbsVolumeConfiguration::builder()
                .role_arn(ROLE)
                .size_in_gib(size)
                .volume_type("gp3")
                .throughput(125)
                .filesystem_type(aws_sdk_ecs::types::TaskFilesystemType::Ext4)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

fn lattice(tg: &str) -> VpcLatticeConfiguration {
    VpcLatticeConfiguration::builder().role_arn(ROLE).target_group_arn(tg).port_name("http").build().unwrap()
}

/// (serviceConnect port alias, EBS size, lattice target group) of a deployment.
fn carried(d: &Deployment) -> (Option<i32>, Option<i32>, Option<String>) {
    let alias = d
        .service_connect_configuration()
        .and_then(|s| s.services().first())
        .and_then(|s| s.client_aliases().first())
        .map(|a| a.port());
    let size = d.volume_configurations().first().and_then(|v| v.managed_ebs_volume()).and_then(|e| e.size_in_gib());
    let tg = d.vpc_lattice_configurations().first().map(|l| l.target_group_arn().to_string());
    (alias, size, tg)
}

async fn create(env: &Env, name: &str, td: &str) -> aws_sdk_ecs::types::Service {
    env.ecs
        .create_service()
        .cluster(CLUSTER)
        .service_name(name)
        .task_definition(td)
        .desired_count(1)
        .launch_type(LaunchType::Fargate)
        .network_configuration(network())
        .service_connect_configuration(sc("http", 8080))
        .volume_configurations(ebs(20))
        .vpc_lattice_configurations(lattice(TG))
        .send()
        .await
        .expect("create service")
        .service()
        .expect("service")
        .clone()
}

fn ecs_json(env: &Env, op: &str, body: Value) -> (u16, Value) {
    json_call(env.sim.endpoint(), &format!("AmazonEC2ContainerServiceV20141113.{op}"), body)
}

#[tokio::test]
async fn the_three_configurations_ride_on_the_deployment() {
    let env = env();
    env.cluster().await;
    let td = td(&env, "web", true).await;
    let created = create(&env, "web", &td).await;
    let d = &created.deployments()[0];
    assert_eq!(carried(d), (Some(8080), Some(20), Some(TG.to_string())));
    let sc = d.service_connect_configuration().unwrap();
    assert!(sc.enabled());
    assert_eq!(sc.namespace(), Some(NS));
    assert_eq!(sc.services()[0].discovery_name(), Some("web"));
    let ebs = d.volume_configurations()[0].managed_ebs_volume().unwrap();
    assert_eq!((ebs.role_arn(), ebs.volume_type(), ebs.throughput()), (ROLE, Some("gp3"), Some(125)));
    assert_eq!(ebs.filesystem_type().map(|f| f.as_str()), Some("ext4"));
    assert_eq!(ebs.encrypted(), None, "nothing AWS does not document filling in");

    let described = env.after(60, "web").await;
    assert_eq!(described.deployments().len(), 1);
    assert_eq!(carried(&described.deployments()[0]), (Some(8080), Some(20), Some(TG.to_string())));
    assert_eq!(described.running_count(), 1, "tasks run as usual");

    // The raw answer: the three appear on the deployment only.
    let (status, raw) = ecs_json(&env, "DescribeServices", json!({"cluster": CLUSTER, "services": ["web"]}));
    assert_eq!(status, 200);
    let svc = &raw["services"][0];
    for key in ["serviceConnectConfiguration", "volumeConfigurations", "vpcLatticeConfigurations"] {
        assert!(svc.get(key).is_none(), "{key} is not a Service member");
    }
    println!("{}", serde_json::to_string_pretty(&svc["deployments"][0]).unwrap());
    assert_eq!(
        svc["deployments"][0]["volumeConfigurations"],
        json!([{"name": "data", "managedEBSVolume": {"roleArn": ROLE, "sizeInGiB": 20, "volumeType": "gp3", "throughput": 125, "filesystemType": "ext4"}}])
    );
}

#[tokio::test]
async fn each_change_makes_a_new_deployment_and_left_out_is_unchanged() {
    let env = env();
    env.cluster().await;
    let td = td(&env, "web", true).await;
    create(&env, "web", &td).await;
    env.sim.advance(Duration::from_secs(60));
    let update = || env.ecs.update_service().cluster(CLUSTER).service("web");

    // The same values again: no new deployment.
    let same = update()
        .service_connect_configuration(sc("http", 8080))
        .volume_configurations(ebs(20))
        .vpc_lattice_configurations(lattice(TG))
        .send()
        .await
        .unwrap();
    assert_eq!(same.service().unwrap().deployments().len(), 1, "unchanged configurations make no deployment");

    // desiredCount only: no new deployment, the configurations stay.
    let scaled = update().desired_count(2).send().await.unwrap();
    assert_eq!(scaled.service().unwrap().deployments().len(), 1);
    env.sim.advance(Duration::from_secs(60));

    let out = update().service_connect_configuration(sc("http", 9090)).send().await.unwrap();
    let deps = out.service().unwrap().deployments().to_vec();
    assert_eq!(deps.len(), 2, "a Service Connect change makes a new deployment");
    assert_eq!(carried(&deps[0]), (Some(9090), Some(20), Some(TG.to_string())), "the others carried over");
    assert_eq!(carried(&deps[1]), (Some(8080), Some(20), Some(TG.to_string())), "the old one keeps its own");
    env.sim.advance(Duration::from_secs(120));

    let out = update().volume_configurations(ebs(40)).send().await.unwrap();
    let deps = out.service().unwrap().deployments().to_vec();
    assert_eq!(deps.len(), 2, "a volume change makes a new deployment");
    assert_eq!(carried(&deps[0]), (Some(9090), Some(40), Some(TG.to_string())));
    env.sim.advance(Duration::from_secs(120));

    let other_tg = format!("{TG}-2");
    let out = update().vpc_lattice_configurations(lattice(&other_tg)).send().await.unwrap();
    let deps = out.service().unwrap().deployments().to_vec();
    assert_eq!(deps.len(), 2, "a VPC Lattice change makes a new deployment");
    assert_eq!(carried(&deps[0]), (Some(9090), Some(40), Some(other_tg.clone())));
    env.sim.advance(Duration::from_secs(120));

    // forceNewDeployment alone: the new deployment carries all three unchanged.
    let out = update().force_new_deployment(true).send().await.unwrap();
    let deps = out.service().unwrap().deployments().to_vec();
    assert_eq!(deps.len(), 2);
    assert_eq!(carried(&deps[0]), (Some(9090), Some(40), Some(other_tg)));
}

#[tokio::test]
async fn empty_lists_and_enabled_false_remove_them() {
    let env = env();
    env.cluster().await;
    let with_volume = td(&env, "web", true).await;
    let without_volume = td(&env, "web", false).await;
    create(&env, "web", &with_volume).await;
    env.sim.advance(Duration::from_secs(60));

    // volumeConfigurations [] on a revision that still has a configuredAtLaunch volume: refused.
    let err = env
        .ecs
        .update_service()
        .cluster(CLUSTER)
        .service("web")
        .set_volume_configurations(Some(vec![]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"));

    let out = env
        .ecs
        .update_service()
        .cluster(CLUSTER)
        .service("web")
        .task_definition(&without_volume)
        .set_volume_configurations(Some(vec![]))
        .set_vpc_lattice_configurations(Some(vec![]))
        .service_connect_configuration(ServiceConnectConfiguration::builder().enabled(false).build())
        .send()
        .await
        .unwrap();
    let primary = out.service().unwrap().deployments()[0].clone();
    assert!(primary.volume_configurations().is_empty());
    assert!(primary.vpc_lattice_configurations().is_empty());
    let sc = primary.service_connect_configuration().expect("kept as sent");
    assert!(!sc.enabled() && sc.services().is_empty());

    let (_, raw) = ecs_json(&env, "DescribeServices", json!({"cluster": CLUSTER, "services": ["web"]}));
    let d = &raw["services"][0]["deployments"][0];
    assert_eq!(d["serviceConnectConfiguration"], json!({"enabled": false}));
    assert!(d.get("volumeConfigurations").is_none() && d.get("vpcLatticeConfigurations").is_none());
}

#[tokio::test]
async fn service_connect_is_checked() {
    let env = env();
    env.cluster().await;
    let td = td(&env, "web", false).await;
    let create = |name: &str, sc: ServiceConnectConfiguration| {
        env.ecs
            .create_service()
            .cluster(CLUSTER)
            .service_name(name)
            .task_definition(&td)
            .desired_count(1)
            .launch_type(LaunchType::Fargate)
            .network_configuration(network())
            .service_connect_configuration(sc)
            .send()
    };
    let err = create("a", sc("grpc", 80)).await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"), "portName must name a port mapping");
    assert!(err.as_service_error().unwrap().meta().message().unwrap().contains("portName grpc"));

    let no_ns = ServiceConnectConfiguration::builder()
        .enabled(true)
        .services(ServiceConnectService::builder().port_name("http").build().unwrap())
        .build();
    let err = create("b", no_ns.clone()).await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"), "no namespace and no cluster default");

    let alias = |p| ServiceConnectClientAlias::builder().port(p).build().unwrap();
    let two_aliases = ServiceConnectConfiguration::builder()
        .enabled(true)
        .namespace(NS)
        .services(
            ServiceConnectService::builder()
                .port_name("http")
                .client_aliases(alias(80))
                .client_aliases(alias(81))
                .build()
                .unwrap(),
        )
        .build();
    let err = create("c", two_aliases).await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"), "at most 1 client alias");

    let bad_port = ServiceConnectConfiguration::builder()
        .enabled(true)
        .namespace(NS)
        .services(ServiceConnectService::builder().port_name("http").client_aliases(alias(70000)).build().unwrap())
        .build();
    let err = create("d", bad_port).await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"), "port 0-65535");

    let dup = ServiceConnectConfiguration::builder()
        .enabled(true)
        .namespace(NS)
        .services(ServiceConnectService::builder().port_name("http").build().unwrap())
        .services(ServiceConnectService::builder().port_name("http").build().unwrap())
        .build();
    let err = create("e", dup).await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"), "duplicate portName");

    let (status, body) = ecs_json(
        &env,
        "CreateService",
        json!({"cluster": CLUSTER, "serviceName": "f", "taskDefinition": td, "desiredCount": 1, "launchType": "FARGATE",
               "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"]}},
               "serviceConnectConfiguration": {"namespace": NS}}),
    );
    assert_eq!((status, body["__type"].as_str()), (400, Some("InvalidParameterException")), "enabled is required");

    // The cluster's default namespace serves, and the deployment reports it (an ARN, as is).
    env.ecs
        .update_cluster()
        .cluster(CLUSTER)
        .service_connect_defaults(ClusterServiceConnectDefaultsRequest::builder().namespace(NS).build().unwrap())
        .send()
        .await
        .unwrap();
    let svc = create("g", no_ns).await.expect("the cluster default namespace").service.unwrap();
    assert_eq!(svc.deployments()[0].service_connect_configuration().unwrap().namespace(), Some(NS));
}

/// The namespace of a deployment's Service Connect configuration, as DescribeServices reports it.
fn deployment_namespace(env: &Env, service: &str) -> Value {
    let (_, raw) = ecs_json(env, "DescribeServices", json!({"cluster": CLUSTER, "services": [service]}));
    raw["services"][0]["deployments"][0]["serviceConnectConfiguration"]["namespace"].clone()
}

/// ServiceConnectConfiguration.namespace: "The namespace name or full Amazon Resource Name
/// (ARN) of the Cloud Map namespace"; ECS reports the namespace of a deployment by ARN, the
/// cluster's serviceConnectDefaults one when the service names none.
#[tokio::test]
async fn a_namespace_name_is_reported_as_its_arn() {
    let env = env();
    env.cluster().await;
    let td = td(&env, "web", false).await;
    env.ecs
        .update_cluster()
        .cluster(CLUSTER)
        .service_connect_defaults(ClusterServiceConnectDefaultsRequest::builder().namespace("shop").build().unwrap())
        .send()
        .await
        .unwrap();
    let create = |name: &str, namespace: Option<&str>| {
        env.ecs
            .create_service()
            .cluster(CLUSTER)
            .service_name(name)
            .task_definition(&td)
            .desired_count(1)
            .launch_type(LaunchType::Fargate)
            .network_configuration(network())
            .service_connect_configuration(
                ServiceConnectConfiguration::builder()
                    .enabled(true)
                    .set_namespace(namespace.map(str::to_string))
                    .services(ServiceConnectService::builder().port_name("http").build().unwrap())
                    .build(),
            )
            .send()
    };

    let by_default = create("by-default", None).await.expect("the cluster default namespace").service.unwrap();
    let arn = by_default.deployments()[0].service_connect_configuration().unwrap().namespace().unwrap().to_string();
    assert!(arn.starts_with("arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-"), "{arn}");
    assert_eq!(deployment_namespace(&env, "by-default"), json!(arn));

    let by_name = create("by-name", Some("shop")).await.expect("named").service.unwrap();
    let named = by_name.deployments()[0].service_connect_configuration().unwrap().namespace();
    assert_eq!(named, Some(arn.as_str()), "the same name sent gives the cluster default's ARN");
    assert_eq!(deployment_namespace(&env, "by-name"), json!(arn));

    create("by-arn", Some(NS)).await.expect("by ARN");
    assert_eq!(deployment_namespace(&env, "by-arn"), json!(NS), "an ARN is reported as is");

    // UpdateService naming another namespace: the new deployment reports its ARN.
    env.ecs
        .update_service()
        .cluster(CLUSTER)
        .service("by-name")
        .service_connect_configuration(
            ServiceConnectConfiguration::builder()
                .enabled(true)
                .namespace("orders")
                .services(ServiceConnectService::builder().port_name("http").build().unwrap())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let orders = deployment_namespace(&env, "by-name");
    let orders = orders.as_str().expect("a namespace");
    assert!(orders.starts_with("arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-"), "{orders}");
    assert_ne!(orders, arn, "another name, another namespace");
}

#[tokio::test]
async fn volumes_are_checked() {
    let env = env();
    env.cluster().await;
    let with_volume = td(&env, "web", true).await;
    let without_volume = td(&env, "plain", false).await;
    let create = |name: &str, td: &str, vol: Option<ServiceVolumeConfiguration>| {
        env.ecs
            .create_service()
            .cluster(CLUSTER)
            .service_name(name)
            .task_definition(td)
            .desired_count(1)
            .launch_type(LaunchType::Fargate)
            .network_configuration(network())
            .set_volume_configurations(vol.map(|v| vec![v]))
            .send()
    };
    let invalid = |err: &aws_sdk_ecs::error::SdkError<_, _>, why: &str| {
        assert_eq!(code(err).as_deref(), Some("InvalidParameterException"), "{why}");
    };
    invalid(&create("a", &without_volume, Some(ebs(20))).await.unwrap_err(), "no configuredAtLaunch volume");
    invalid(&create("b", &with_volume, None).await.unwrap_err(), "the launch volume is not configured");
    let custom = |f: fn(
        aws_sdk_ecs::types::builders::ServiceManagedEbsVolumeConfigurationBuilder,
    ) -> aws_sdk_ecs::types::builders::ServiceManagedEbsVolumeConfigurationBuilder| {
        ServiceVolumeConfiguration::builder()
            .name("data")
            .managed_ebs_volume(f(ServiceManagedEbsVolumeConfiguration::builder().role_arn(ROLE)).build().unwrap())
            .build()
            .unwrap()
    };
    let cases = [
        (custom(|b| b.volume_type("io2").size_in_gib(10)), "iops is required for io2"),
        (custom(|b| b.volume_type("st1").size_in_gib(10)), "st1 starts at 125 GiB"),
        (custom(|b| b.volume_type("gp2").size_in_gib(10).throughput(200)), "throughput is gp3 only"),
        (custom(|b| b.volume_type("sc1").size_in_gib(200).iops(500)), "no iops for sc1"),
        (custom(|b| b.volume_type("gp3")), "size or snapshot"),
        (custom(|b| b.size_in_gib(10).volume_initialization_rate(100)), "initialization rate needs a snapshot"),
        (custom(|b| b.volume_type("standard").size_in_gib(10)), "magnetic is not supported on Fargate"),
        (custom(|b| b.volume_type("gp5").size_in_gib(10)), "unknown volume type"),
    ];
    for (i, (vol, why)) in cases.into_iter().enumerate() {
        invalid(&create(&format!("c{i}"), &with_volume, Some(vol)).await.unwrap_err(), why);
    }
    let ok = custom(|b| b.volume_type("io2").size_in_gib(10).iops(1000).snapshot_id("snap-1"));
    create("ok", &with_volume, Some(ok)).await.expect("io2 with iops");

    let (status, body) = ecs_json(
        &env,
        "CreateService",
        json!({"cluster": CLUSTER, "serviceName": "d", "taskDefinition": with_volume, "desiredCount": 1, "launchType": "FARGATE",
               "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"]}},
               "volumeConfigurations": [{"name": "data", "managedEBSVolume": {"sizeInGiB": 10}}]}),
    );
    assert_eq!((status, body["__type"].as_str()), (400, Some("InvalidParameterException")), "roleArn is required");
    assert!(body["message"].as_str().unwrap().contains("roleArn"));
    let (status, body) = ecs_json(
        &env,
        "CreateService",
        json!({"cluster": CLUSTER, "serviceName": "e", "taskDefinition": with_volume, "desiredCount": 1, "launchType": "FARGATE",
               "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"]}},
               "volumeConfigurations": [
                   {"name": "data", "managedEBSVolume": {"roleArn": ROLE, "sizeInGiB": 10}},
                   {"name": "data", "managedEBSVolume": {"roleArn": ROLE, "sizeInGiB": 20}}]}),
    );
    assert_eq!((status, body["__type"].as_str()), (400, Some("InvalidParameterException")), "duplicate names");
}

#[tokio::test]
async fn vpc_lattice_is_checked() {
    let env = env();
    env.cluster().await;
    let td = td(&env, "web", false).await;
    let bad = VpcLatticeConfiguration::builder().role_arn(ROLE).target_group_arn(TG).port_name("grpc").build().unwrap();
    let err = env
        .ecs
        .create_service()
        .cluster(CLUSTER)
        .service_name("a")
        .task_definition(&td)
        .desired_count(1)
        .launch_type(LaunchType::Fargate)
        .network_configuration(network())
        .vpc_lattice_configurations(bad.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"), "portName must name a port mapping");
    env.fargate_service("b", &td, 1).await;
    let err = env
        .ecs
        .update_service()
        .cluster(CLUSTER)
        .service("b")
        .vpc_lattice_configurations(bad)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"), "checked by UpdateService too");
    let (status, body) = ecs_json(
        &env,
        "UpdateService",
        json!({"cluster": CLUSTER, "service": "b", "vpcLatticeConfigurations": [{"roleArn": ROLE, "portName": "http"}]}),
    );
    assert_eq!((status, body["__type"].as_str()), (400, Some("InvalidParameterException")), "targetGroupArn required");
    assert!(body["message"].as_str().unwrap().contains("targetGroupArn"));
    assert_eq!(env.describe("b").await.deployments().len(), 1, "a refused update changes nothing");
}
