//! `ecs-operator import` and `ecs-operator diff` as a user runs them: the binaries, ecs-sim and
//! kube-sim as processes, kubectl. Services made by hand in ECS (as Terraform or ecspresso would
//! have made them) are imported, applied with the operator running, and must then be adopted
//! with nothing but the owner tags written; diff previews changes to them with the exit status
//! a pull-request check reads.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use aws_sdk_ecs::types::{
    AssignPublicIp, AutoScalingGroupProvider, AwsVpcConfiguration, CapacityProviderStrategyItem, ClusterSetting,
    ClusterSettingName, Compatibility, ContainerDefinition, DeploymentCircuitBreaker, DeploymentConfiguration,
    KeyValuePair, LaunchType, LogConfiguration, LogDriver, ManagedTerminationProtection, NetworkConfiguration,
    NetworkMode, PortMapping, Secret, Tag,
};
use ecs_operator::aws::autoscaling::{ScalableTarget, TargetTracking};
use serde_json::Value;

use crate::e2e_binary::{E2e, bin};
use crate::kstatus::{KStatus, compute};

const KINDS: &str = "ecscluster,capacityprovider,taskdefinition,ecsservice";

/// Arranges, in ECS only, what a team runs today: cluster `shop` with Container Insights, the
/// Fargate providers and an Auto Scaling group provider; family `Orders_API` at revision 2
/// (environment, a secret, logs) run by service `orders` (autoscaled 2 to 6 on CPU), and
/// family `web` run by service `web` on Fargate Spot.
fn arrange(e: &E2e) {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let ecs = crate::support::sdk_client(&e.ecs_url);
    let scaling = crate::support::aws_clients(&e.ecs_url).autoscaling;
    runtime.block_on(async {
        let fargate = |name: &str, weight| {
            CapacityProviderStrategyItem::builder().capacity_provider(name).weight(weight).build().expect("strategy")
        };
        ecs.create_cluster()
            .cluster_name("shop")
            .settings(ClusterSetting::builder().name(ClusterSettingName::ContainerInsights).value("enabled").build())
            .tags(Tag::builder().key("team").value("shop").build())
            .send()
            .await
            .expect("cluster");
        let asg = AutoScalingGroupProvider::builder()
            .auto_scaling_group_arn(
                "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1a2b:autoScalingGroupName/shop-asg",
            )
            .managed_termination_protection(ManagedTerminationProtection::Disabled)
            .build()
            .expect("asg");
        ecs.create_capacity_provider()
            .name("shop-asg")
            .auto_scaling_group_provider(asg)
            .send()
            .await
            .expect("provider");
        ecs.put_cluster_capacity_providers()
            .cluster("shop")
            .capacity_providers("FARGATE")
            .capacity_providers("FARGATE_SPOT")
            .capacity_providers("shop-asg")
            .default_capacity_provider_strategy(fargate("FARGATE", 1))
            .send()
            .await
            .expect("providers");
        for image in ["orders:1", "orders:2"] {
            let container = ContainerDefinition::builder()
                .name("api")
                .image(image)
                .essential(true)
                .port_mappings(PortMapping::builder().container_port(8080).build())
                .environment(KeyValuePair::builder().name("LOG_LEVEL").value("info").build())
                .secrets(
                    Secret::builder()
                        .name("DB_PASSWORD")
                        .value_from("arn:aws:secretsmanager:us-east-1:123456789012:secret:orders-db")
                        .build()
                        .expect("secret"),
                )
                .log_configuration(
                    LogConfiguration::builder()
                        .log_driver(LogDriver::Awslogs)
                        .options("awslogs-group", "/ecs/orders")
                        .options("awslogs-region", "us-east-1")
                        .options("awslogs-stream-prefix", "api")
                        .build()
                        .expect("logs"),
                )
                .build();
            ecs.register_task_definition()
                .family("Orders_API")
                .requires_compatibilities(Compatibility::Fargate)
                .network_mode(NetworkMode::Awsvpc)
                .cpu("512")
                .memory("1024")
                .execution_role_arn("arn:aws:iam::123456789012:role/ecsTaskExecutionRole")
                .container_definitions(container)
                .send()
                .await
                .expect("register Orders_API");
        }
        let web = ContainerDefinition::builder()
            .name("web")
            .image("nginx:1.27")
            .port_mappings(PortMapping::builder().container_port(80).build())
            .build();
        ecs.register_task_definition()
            .family("web")
            .requires_compatibilities(Compatibility::Fargate)
            .network_mode(NetworkMode::Awsvpc)
            .cpu("256")
            .memory("512")
            .container_definitions(web)
            .send()
            .await
            .expect("register web");
        ecs.create_service()
            .cluster("shop")
            .service_name("orders")
            .task_definition("Orders_API:2")
            .desired_count(2)
            .launch_type(LaunchType::Fargate)
            .network_configuration(network())
            .enable_execute_command(true)
            .deployment_configuration(
                DeploymentConfiguration::builder()
                    .deployment_circuit_breaker(DeploymentCircuitBreaker::builder().enable(true).rollback(true).build())
                    .build(),
            )
            .tags(Tag::builder().key("team").value("shop").build())
            .send()
            .await
            .expect("orders");
        ecs.create_service()
            .cluster("shop")
            .service_name("web")
            .task_definition("web")
            .desired_count(1)
            .capacity_provider_strategy(fargate("FARGATE_SPOT", 1))
            .network_configuration(network())
            .send()
            .await
            .expect("web");
        let id = "service/shop/orders";
        scaling.register_target(id, ScalableTarget { min: 2, max: 6 }).await.expect("scalable target");
        let cpu = TargetTracking {
            name: "cpu".into(),
            metric: "ECSServiceAverageCPUUtilization".into(),
            target_value: 60.0,
            resource_label: None,
            scale_in_cooldown: Some(120),
            scale_out_cooldown: Some(60),
            disable_scale_in: false,
        };
        scaling.put_policy(id, &cpu).await.expect("policy");
    });
}

/// The services' awsvpc network.
fn network() -> NetworkConfiguration {
    let awsvpc = AwsVpcConfiguration::builder()
        .subnets("subnet-0a1b2c3d4e5f60718")
        .security_groups("sg-0a1b2c3d4e5f60718")
        .assign_public_ip(AssignPublicIp::Disabled)
        .build()
        .expect("awsvpc");
    NetworkConfiguration::builder().awsvpc_configuration(awsvpc).build()
}

/// The operator binary with `args`, aimed at ecs-sim.
fn ecs_operator(e: &E2e, args: &[&str]) -> Output {
    Command::new(bin("ecs-operator"))
        .args(args)
        .env("AWS_ENDPOINT_URL", &e.ecs_url)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "AKIDCLI")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env_remove("KUBECONFIG")
        .output()
        .expect("run ecs-operator")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// `ecs-operator diff -f dir` (with the cluster's kubeconfig when `live`): exit status, output.
fn diff(e: &E2e, dir: &Path, live: bool) -> (i32, String) {
    let dir = dir.to_str().expect("path");
    let kubeconfig = e.kubeconfig.to_str().expect("path").to_owned();
    let mut args = vec!["diff", "-f", dir, "--cluster-id", "e2e"];
    if live {
        args.extend(["--kubeconfig", kubeconfig.as_str()]);
    }
    let out = ecs_operator(e, &args);
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Headlines of a diff: `Kind namespace/name: what`.
fn headlines(output: &str) -> Vec<&str> {
    output.lines().filter(|l| !l.starts_with(' ') && l.contains('/') && l.contains(": ")).collect()
}

/// A copy of `from` in `to` with `edit` applied to the YAML of `file` (its header kept out).
fn edited(from: &Path, to: &Path, file: &str, edit: impl FnOnce(&mut serde_yaml::Value)) -> PathBuf {
    std::fs::create_dir_all(to).expect("dir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
    }
    let path = to.join(file);
    let mut value: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(&path).expect("read")).expect("yaml");
    edit(&mut value);
    std::fs::write(&path, serde_yaml::to_string(&value).expect("yaml")).expect("write");
    to.to_owned()
}

fn at<'a>(value: &'a mut serde_yaml::Value, path: &[&str]) -> &'a mut serde_yaml::Value {
    path.iter().fold(value, |v, key| match key.parse::<usize>() {
        Ok(i) => &mut v[i],
        Err(_) => &mut v[*key],
    })
}

fn writes(stats: &Value) -> Vec<(String, u64)> {
    const READS: &[&str] = &["Describe", "List", "Get"];
    let ops = stats["operations"].as_object().cloned().unwrap_or_default();
    ops.into_iter()
        .filter(|(op, _)| !READS.iter().any(|r| op.starts_with(r)))
        .map(|(op, v)| (op, v["calls"].as_u64().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

#[test]
fn import_round_trip_then_diff_in_ci() {
    let e = E2e::start();
    arrange(&e);
    let imported = e.dir.join("imported");
    let out = ecs_operator(
        &e,
        &[
            "import",
            "--cluster",
            "shop",
            "--all-services",
            "--namespace",
            "default",
            "-o",
            imported.to_str().expect("path"),
        ],
    );
    assert!(out.status.success(), "import: {}", text(&out));
    let mut files: Vec<String> = std::fs::read_dir(&imported)
        .expect("output")
        .flatten()
        .map(|f| f.file_name().to_string_lossy().into())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "capacityprovider-shop-asg.yaml",
            "ecscluster-shop.yaml",
            "ecsservice-orders.yaml",
            "ecsservice-web.yaml",
            "taskdefinition-orders-api.yaml",
            "taskdefinition-web.yaml",
        ]
    );
    let orders_td = std::fs::read_to_string(imported.join("taskdefinition-orders-api.yaml")).expect("td");
    assert!(
        orders_td.starts_with("# Imported by `ecs-operator import` from ECS cluster shop in us-east-1"),
        "{orders_td}"
    );
    assert!(orders_td.contains("environment values are copied as ECS holds them and are now in Git"), "{orders_td}");
    assert!(orders_td.contains("family: Orders_API") && orders_td.contains("image: orders:2"), "{orders_td}");
    assert!(orders_td.contains("valueFrom: arn:aws:secretsmanager:us-east-1:123456789012:secret:orders-db"));
    let orders = std::fs::read_to_string(imported.join("ecsservice-orders.yaml")).expect("service");
    for want in [
        "clusterRef:\n    name: shop",
        "taskDefinitionRef:\n    name: orders-api",
        "adopt: true",
        "deletionPolicy: Retain",
        "minCapacity: 2",
    ] {
        assert!(orders.contains(want), "{want:?} in\n{orders}");
    }
    assert!(!orders.contains("desiredCount"), "autoscaling owns the count:\n{orders}");
    assert!(!orders.contains("schedulingStrategy"), "ECS defaults are left out:\n{orders}");

    // Before applying, diff says the only writes are the owner tags.
    let (code, output) = diff(&e, &imported, false);
    assert_eq!(code, 1, "{output}");
    let heads = headlines(&output);
    assert_eq!(heads.len(), 6, "{output}");
    assert!(heads.iter().all(|h| h.split(": ").nth(1).is_some_and(|a| a.starts_with("tag "))), "{output}");

    // Applied with the operator running: adopted with one TagResource each, nothing else.
    let _operator = e.operator();
    let before = writes(&e.sim_stats());
    e.kubectl_ok(&["apply", "-f", imported.to_str().expect("path")]);
    e.kubectl_ok(&["wait", "--for=condition=Ready", KINDS, "--all", "--timeout=60s"]);
    // A few resyncs later, still nothing else.
    std::thread::sleep(Duration::from_secs(3));
    let after = writes(&e.sim_stats());
    let made: Vec<(String, u64)> = after
        .iter()
        .map(|(op, n)| (op.clone(), n - before.iter().find(|(o, _)| o == op).map_or(0, |(_, b)| *b)))
        .filter(|(_, n)| *n > 0)
        .collect();
    assert_eq!(made, [("TagResource".to_owned(), 6u64)], "before {before:?}, after {after:?}");
    let live: Value = serde_json::from_str(&e.kubectl_ok(&["get", KINDS, "-o", "json"])).expect("objects");
    let items = live["items"].as_array().expect("items");
    assert_eq!(items.len(), 6);
    for item in items {
        let name = format!("{} {}", item["kind"], item["metadata"]["name"]);
        assert!(item["status"]["drift"].is_null(), "{name}: {}", item["status"]["drift"]);
        assert_eq!(compute(item), KStatus::Current, "{name}: {}", item["status"]["conditions"]);
    }
    let td = items.iter().find(|i| i["metadata"]["name"] == "orders-api").expect("orders-api");
    assert_eq!(td["status"]["revision"], 2, "the revision that runs, adopted: {}", td["status"]);

    // Identical specs: nothing to do.
    let (code, output) = diff(&e, &imported, true);
    assert_eq!(code, 0, "{output}");
    assert_eq!(headlines(&output).iter().filter(|h| h.ends_with(": no changes")).count(), 6, "{output}");

    // An image change: one registration and one update.
    let image = edited(&imported, &e.dir.join("image"), "taskdefinition-orders-api.yaml", |v| {
        *at(v, &["spec", "containerDefinitions", "0", "image"]) = "orders:3".into();
    });
    let (code, output) = diff(&e, &image, true);
    assert_eq!(code, 1, "{output}");
    let changes: Vec<&str> = headlines(&output).into_iter().filter(|h| !h.ends_with(": no changes")).collect();
    assert_eq!(
        changes,
        [
            "TaskDefinition default/orders-api: register revision Orders_API:3",
            "ECSService default/orders: UpdateService (taskDefinition)"
        ],
        "{output}"
    );
    assert!(output.contains("\n  -  image: orders:2\n  +  image: orders:3\n"), "{output}");

    // Defaults spelled out, units spelled otherwise: nothing to do.
    let spelled = edited(&imported, &e.dir.join("spelled"), "taskdefinition-orders-api.yaml", |v| {
        *at(v, &["spec", "cpu"]) = "0.5 vCPU".into();
        *at(v, &["spec", "memory"]) = "1 GB".into();
    });
    let spelled = edited(&spelled, &e.dir.join("spelled2"), "ecsservice-web.yaml", |v| {
        *at(v, &["spec", "healthCheckGracePeriodSeconds"]) = serde_yaml::Value::Number(0.into());
        *at(v, &["spec", "schedulingStrategy"]) = "REPLICA".into();
    });
    let (code, output) = diff(&e, &spelled, true);
    assert_eq!(code, 0, "{output}");

    // A removed block shows as a removal.
    let removed = edited(&imported, &e.dir.join("removed"), "taskdefinition-orders-api.yaml", |v| {
        if let Some(container) = at(v, &["spec", "containerDefinitions", "0"]).as_mapping_mut() {
            container.remove("secrets");
        }
    });
    let (code, output) = diff(&e, &removed, true);
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("\n  -  secrets:\n"), "{output}");
    assert!(!output.lines().any(|l| l.starts_with("  +") && l.contains("secrets")), "{output}");

    // A restart asked for by annotation: one forced deployment. Observe mode: never a write.
    let restart = edited(&imported, &e.dir.join("restart"), "ecsservice-orders.yaml", |v| {
        *at(v, &["metadata", "annotations", "ecs.operator.dev/restartedAt"]) = "2026-12-07T00:00:00Z".into();
    });
    let restart = edited(&restart, &e.dir.join("observe"), "ecsservice-web.yaml", |v| {
        *at(v, &["spec", "managementPolicy"]) = "Observe".into();
        *at(v, &["spec", "desiredCount"]) = serde_yaml::Value::Number(5.into());
    });
    let (code, output) = diff(&e, &restart, true);
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("ECSService default/orders: UpdateService (forceNewDeployment)\n"), "{output}");
    assert!(
        output.contains("ECSService default/web: no changes (managementPolicy Observe; AWS differs in desiredCount)"),
        "{output}"
    );

    // Nothing above wrote anything: diff only reads.
    assert_eq!(writes(&e.sim_stats()), after);

    // An unreadable manifest is an error (exit 2), naming the file.
    let broken = e.dir.join("broken");
    std::fs::create_dir_all(&broken).expect("dir");
    std::fs::write(
        broken.join("svc.yaml"),
        "apiVersion: ecs.operator.dev/v1alpha1\nkind: ECSService\nmetadata: {name: x}\nspec: {desiredCount: lots}\n",
    )
    .expect("write");
    let out = ecs_operator(&e, &["diff", "-f", broken.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("svc.yaml: document 1: ECSService"), "{}", text(&out));
    // A reference that is nowhere: an error for that object, exit 2, the others still judged.
    let dangling = edited(&imported, &e.dir.join("dangling"), "ecsservice-web.yaml", |v| {
        *at(v, &["spec", "clusterRef", "name"]) = "nowhere".into();
    });
    let (code, output) = diff(&e, &dangling, false);
    assert_eq!(code, 2, "{output}");
    assert!(
        output.contains(
            "ECSService default/web: error: invalid spec: spec.clusterRef: ECSCluster default/nowhere is neither in the files nor in \
             the cluster (pass --kubeconfig to read it from the cluster)"
        ),
        "{output}"
    );
    assert!(output.contains("ECSService default/orders: no changes"), "{output}");
}

#[test]
fn import_refuses_what_it_cannot_find_and_writes_to_stdout() {
    let e = E2e::start();
    arrange(&e);
    // A service another deployment controller deploys, and a revision no service runs yet.
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let ecs = crate::support::sdk_client(&e.ecs_url);
    runtime.block_on(async {
        ecs.create_service()
            .cluster("shop")
            .service_name("legacy")
            .task_definition("web:1")
            .desired_count(1)
            .launch_type(LaunchType::Fargate)
            .network_configuration(network())
            .deployment_controller(
                aws_sdk_ecs::types::DeploymentController::builder()
                    .r#type(aws_sdk_ecs::types::DeploymentControllerType::CodeDeploy)
                    .build()
                    .expect("controller"),
            )
            .send()
            .await
            .expect("legacy");
        let primary =
            aws_sdk_ecs::types::ExpressGatewayContainer::builder().image("store:1").build().expect("container");
        ecs.create_express_gateway_service()
            .cluster("shop")
            .service_name("store")
            .execution_role_arn("arn:aws:iam::123456789012:role/ecsTaskExecutionRole")
            .infrastructure_role_arn("arn:aws:iam::123456789012:role/infra")
            .primary_container(primary)
            .send()
            .await
            .expect("express");
        let container = ContainerDefinition::builder().name("api").image("orders:3").memory(512).build();
        ecs.register_task_definition().family("Orders_API").container_definitions(container).send().await.expect("v3");
    });
    let out = ecs_operator(&e, &["import", "--cluster", "shop", "--all-services", "-o", "-"]);
    assert!(out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "skipped: service \"legacy\" uses the CODE_DEPLOY deployment controller, which ecs-operator does not manage"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("skipped: service \"store\" is an ECS Express Mode service"), "{stderr}");
    let stream = String::from_utf8_lossy(&out.stdout);
    assert!(!stream.contains("name: legacy") && !stream.contains("name: store"), "{stream}");
    assert!(
        stream.contains(
            "family Orders_API has ACTIVE revisions newer than Orders_API:2 that no service runs (Orders_API:3)"
        ),
        "{stream}"
    );
    let out = ecs_operator(&e, &["import", "--cluster", "shop", "--service", "legacy"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("--service: service \"legacy\" uses the CODE_DEPLOY deployment controller"),
        "{}",
        text(&out)
    );

    let out = ecs_operator(&e, &["import", "--cluster", "nope", "--all-services"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("--cluster: ECS has no ACTIVE cluster \"nope\""), "{}", text(&out));
    let out = ecs_operator(&e, &["import", "--cluster", "shop", "--service", "missing"]);
    assert!(text(&out).contains("--service: cluster shop has no ACTIVE service \"missing\""), "{}", text(&out));
    let out = ecs_operator(&e, &["import", "--cluster", "shop"]);
    assert!(text(&out).contains("--service a,b or pass --all-services"), "{}", text(&out));
    let out = ecs_operator(&e, &["import", "--cluster", "shop", "--service", "web", "--deletion-policy", "Delete"]);
    assert!(out.status.success(), "{}", text(&out));
    let stream = String::from_utf8_lossy(&out.stdout);
    let kinds: Vec<&str> = stream.lines().filter_map(|l| l.strip_prefix("kind: ")).collect();
    assert_eq!(kinds, ["CapacityProvider", "ECSCluster", "TaskDefinition", "ECSService"], "{stream}");
    assert!(stream.contains("deletionPolicy: Delete") && !stream.contains("Orders_API"), "{stream}");
    // The stream is what kubectl reads.
    let parsed: Vec<Value> = serde_yaml::Deserializer::from_str(&stream)
        .map(|d| serde::Deserialize::deserialize(d).expect("document"))
        .collect();
    assert_eq!(parsed.len(), 4);
}
