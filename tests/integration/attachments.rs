//! What a service attaches to its tasks, end to end (kube-sim, ecs-sim at 50×, the
//! controllers): a Service Connect server and its client; an EBS volume configured at launch,
//! changed, which ECS deploys; a VPC Lattice target group; and the mismatches with the task
//! definition that only the controller can see, refused before any write.

use std::time::Duration;

use crate::service::{condition, services};
use crate::support::Bed;
use ecs_operator::crd::{ECSService, TaskDefinition};
use kube::api::{Patch, PatchParams};

const ROLE: &str = "arn:aws:iam::123456789012:role/ecsInfrastructureRole";
const LATTICE_TG: &str = "arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/tg-0123456789abcdef0";

/// A Fargate task definition `name` whose container serves the named port `http`, with
/// `volumes` (YAML, indented by two spaces) when given.
fn task_definition(name: &str, volumes: &str) -> String {
    format!(
        r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: TaskDefinition
metadata:
  name: {name}
spec:
  requiresCompatibilities: [FARGATE]
  networkMode: awsvpc
  cpu: "256"
  memory: "512"
  containerDefinitions:
    - name: app
      image: nginx:1
      portMappings: [{{containerPort: 80, name: http, appProtocol: http}}]
{volumes}"#
    )
}

/// A Fargate service `name` running TaskDefinition `td`, with `extra` (YAML, indented by two
/// spaces) added to its spec.
fn service(name: &str, td: &str, extra: &str) -> String {
    format!(
        r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: ECSService
metadata:
  name: {name}
spec:
  cluster: prod
  taskDefinitionRef: {{name: {td}}}
  desiredCount: 2
  launchType: FARGATE
  networkConfiguration:
    awsvpcConfiguration:
      subnets: [subnet-0123456789abcdef0]
{extra}"#
    )
}

async fn bed() -> Bed {
    let mut config = ecs_sim::SimConfig::for_tests();
    config.clock = ecs_sim::ClockMode::Scaled { speed: 50.0 };
    let mut bed = Bed::start_with(config).await;
    bed.aws.create_cluster().cluster_name("prod").send().await.expect("cluster");
    let mut operator = Bed::operator_config();
    operator.rollout_poll_interval = Duration::from_millis(200);
    bed.start_operator_with(operator).await;
    bed
}

/// The service once Ready=True at its current generation with no drift.
async fn ready(bed: &Bed, name: &str) -> ECSService {
    let api = services(bed);
    bed.eventually(&format!("{name} Ready"), || {
        let api = api.clone();
        async move {
            let svc = api.get(name).await.ok()?;
            let status = svc.status.as_ref()?;
            let current = status.common.observed_generation == svc.metadata.generation;
            let drift_free = status.common.drift.as_ref().is_none_or(|d| d.is_empty());
            (current && drift_free && condition(&svc, "Ready").is_some_and(|c| c.0 == "True")).then_some(svc)
        }
    })
    .await
}

/// The service's PRIMARY deployment as ECS describes it.
async fn primary(bed: &Bed, name: &str) -> aws_sdk_ecs::types::Deployment {
    let out = bed.aws.describe_services().cluster("prod").services(name).send().await.expect("describe");
    let service = out.services().first().cloned().expect("service");
    service.deployments().iter().find(|d| d.status() == Some("PRIMARY")).cloned().expect("PRIMARY deployment")
}

async fn patch_spec(bed: &Bed, name: &str, spec: serde_json::Value) {
    services(bed)
        .patch(name, &PatchParams::default(), &Patch::Merge(serde_json::json!({"spec": spec})))
        .await
        .expect("patch");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_connect_server_and_client_then_turned_off() {
    let bed = bed().await;
    bed.apply::<TaskDefinition>(&task_definition("api", "")).await;
    let server = r#"  serviceConnectConfiguration:
    enabled: true
    namespace: shop
    services:
      - portName: http
        discoveryName: api
        clientAliases: [{port: 80, dnsName: api.shop}]
"#;
    bed.apply::<ECSService>(&service("api", "api", server)).await;
    bed.apply::<ECSService>(&service(
        "web",
        "api",
        "  serviceConnectConfiguration: {enabled: true, namespace: shop}\n",
    ))
    .await;
    ready(&bed, "api").await;
    ready(&bed, "web").await;
    let served = primary(&bed, "api").await.service_connect_configuration.expect("server configuration");
    assert!(served.enabled);
    let shop = served.namespace().unwrap_or_default().to_owned();
    assert!(shop.starts_with("arn:aws:servicediscovery:"), "ECS reports the namespace's ARN: {shop}");
    let port = &served.services()[0];
    assert_eq!((port.port_name(), port.discovery_name()), ("http", Some("api")));
    assert_eq!(port.client_aliases()[0].dns_name(), Some("api.shop"));
    let client = primary(&bed, "web").await.service_connect_configuration.expect("client configuration");
    assert!(client.enabled && client.services().is_empty(), "a client-only service: {client:?}");

    // The server moved to another namespace by name: the change reaches ECS (a new ARN), once.
    let updates = bed.calls("UpdateService");
    patch_spec(&bed, "api", serde_json::json!({"serviceConnectConfiguration": {"namespace": "payments"}})).await;
    let moved = bed
        .eventually("the server in the payments namespace", || async {
            let c = primary(&bed, "api").await.service_connect_configuration?;
            c.namespace().filter(|n| *n != shop).map(str::to_owned)
        })
        .await;
    ready(&bed, "api").await;
    let svc = services(&bed).get("api").await.expect("get");
    let seen = svc.status.and_then(|s| s.service_connect_namespace).expect("namespace remembered");
    assert_eq!((seen.name.as_str(), seen.arn.as_deref()), ("payments", Some(moved.as_str())));
    assert_eq!(bed.calls("UpdateService") - updates, 1, "one update, no loop");

    // Taken out of the spec, Service Connect is turned off in ECS (not left on, Ready).
    let before = bed.calls("UpdateService");
    patch_spec(&bed, "web", serde_json::json!({"serviceConnectConfiguration": null})).await;
    bed.eventually("Service Connect off in ECS", || async {
        let c = primary(&bed, "web").await.service_connect_configuration;
        c.is_none_or(|c| !c.enabled).then_some(())
    })
    .await;
    ready(&bed, "web").await;
    assert_eq!(bed.calls("UpdateService") - before, 1, "one update turns it off");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ebs_volume_change_is_a_new_deployment() {
    let bed = bed().await;
    let volumes = "  volumes:\n    - name: data\n      configuredAtLaunch: true\n";
    bed.apply::<TaskDefinition>(&task_definition("db", volumes)).await;
    let volume = |size: i32| {
        format!(
            "  volumeConfigurations:\n    - name: data\n      managedEBSVolume: {{roleArn: \"{ROLE}\", volumeType: gp3, sizeInGiB: {size}}}\n"
        )
    };
    bed.apply::<ECSService>(&service("db", "db", &volume(20))).await;
    ready(&bed, "db").await;
    let first = primary(&bed, "db").await;
    let ebs = first.volume_configurations()[0].managed_ebs_volume.clone().expect("EBS volume");
    assert_eq!((ebs.size_in_gib, ebs.volume_type.as_deref()), (Some(20), Some("gp3")));

    patch_spec(
        &bed,
        "db",
        serde_json::json!({"volumeConfigurations": [{"name": "data", "managedEBSVolume": {
        "roleArn": ROLE, "volumeType": "gp3", "sizeInGiB": 40}}]}),
    )
    .await;
    let svc = ready(&bed, "db").await;
    let second = primary(&bed, "db").await;
    assert_ne!(second.id(), first.id(), "ECS made a new deployment for the volume change");
    let ebs = second.volume_configurations()[0].managed_ebs_volume.clone().expect("EBS volume");
    assert_eq!(ebs.size_in_gib, Some(40));
    assert_eq!(svc.status.and_then(|s| s.rollout_state).as_deref(), Some("COMPLETED"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vpc_lattice_target_group_reaches_ecs() {
    let bed = bed().await;
    bed.apply::<TaskDefinition>(&task_definition("api", "")).await;
    let lattice = format!(
        "  vpcLatticeConfigurations:\n    - {{roleArn: \"{ROLE}\", targetGroupArn: \"{LATTICE_TG}\", portName: http}}\n"
    );
    bed.apply::<ECSService>(&service("api", "api", &lattice)).await;
    ready(&bed, "api").await;
    let lattice = primary(&bed, "api").await.vpc_lattice_configurations().to_vec();
    assert_eq!(lattice.len(), 1);
    assert_eq!((lattice[0].target_group_arn(), lattice[0].port_name()), (LATTICE_TG, "http"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mismatches_with_the_task_definition_are_terminal_naming_the_field_with_no_service_write() {
    let bed = bed().await;
    let volumes = "  volumes:\n    - name: data\n      configuredAtLaunch: true\n";
    bed.apply::<TaskDefinition>(&task_definition("db", volumes)).await;
    bed.apply::<TaskDefinition>(&task_definition("api", "")).await;
    let cases = [
        (
            "sc-port",
            "api",
            "  serviceConnectConfiguration:\n    enabled: true\n    namespace: shop\n    services: [{portName: grpc}]\n".to_string(),
            "spec.serviceConnectConfiguration.services[0].portName: \"grpc\" is not a port mapping name",
        ),
        (
            "lattice-port",
            "api",
            format!("  vpcLatticeConfigurations:\n    - {{roleArn: \"{ROLE}\", targetGroupArn: \"{LATTICE_TG}\", portName: admin}}\n"),
            "spec.vpcLatticeConfigurations[0].portName: \"admin\" is not a port mapping name",
        ),
        ("unconfigured-volume", "db", String::new(), "spec.volumeConfigurations: task definition db"),
        (
            "unknown-volume",
            "api",
            format!("  volumeConfigurations:\n    - name: data\n      managedEBSVolume: {{roleArn: \"{ROLE}\", sizeInGiB: 20}}\n"),
            "spec.volumeConfigurations[0].name: task definition api",
        ),
    ];
    for (name, td, extra, _) in &cases {
        bed.apply::<ECSService>(&service(name, td, extra)).await;
    }
    let api = services(&bed);
    for (name, _, _, expected) in &cases {
        let (reason, message) = bed
            .eventually(&format!("{name} Synced=False"), || {
                let api = api.clone();
                async move {
                    let svc = api.get(name).await.ok()?;
                    condition(&svc, "Synced").filter(|c| c.0 == "False").map(|c| (c.1, c.2))
                }
            })
            .await;
        assert_eq!(reason, "Terminal", "{name}: {message}");
        assert!(message.contains(expected), "{name}: {expected:?} not in {message:?}");
    }
    assert_eq!(bed.calls("CreateService"), 0, "a mismatched spec reached ECS");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_of_a_new_revision_with_new_attachments_is_held_and_other_drift_corrected_on_the_running_one() {
    let bed = bed().await;
    bed.apply::<TaskDefinition>(&task_definition("api", "")).await;
    let breaker = "  deploymentConfiguration:\n    deploymentCircuitBreaker: {enable: true, rollback: true}\n";
    bed.apply::<ECSService>(&service("api", "api", breaker)).await;
    ready(&bed, "api").await;
    // A failing image and a Lattice target group in one change: ECS rolls both back.
    bed.sim.set_task_failure_pattern("broken").expect("failure pattern");
    bed.apply::<TaskDefinition>(&task_definition("api", "").replace("nginx:1", "nginx:broken")).await;
    patch_spec(
        &bed,
        "api",
        serde_json::json!({"vpcLatticeConfigurations": [
        {"roleArn": ROLE, "targetGroupArn": LATTICE_TG, "portName": "http"}]}),
    )
    .await;
    bed.eventually("Degraded RolledBack", || async {
        let svc = services(&bed).get("api").await.ok()?;
        condition(&svc, "Degraded").filter(|c| c.0 == "True" && c.1 == "RolledBack")
    })
    .await;
    assert!(primary(&bed, "api").await.vpc_lattice_configurations().is_empty(), "ECS rolled the Lattice change back");
    let running = primary(&bed, "api").await.task_definition().unwrap_or_default().to_owned();
    // Neither the revision nor the attachment is pushed again.
    let updates = bed.calls("UpdateService");
    let polls = bed.calls("DescribeServices");
    bed.eventually("more polls", || async { (bed.calls("DescribeServices") >= polls + 5).then_some(()) }).await;
    assert_eq!(bed.calls("UpdateService"), updates, "the rolled-back change is held");
    // Other drift is still corrected, on the revision that runs.
    bed.aws.update_service().cluster("prod").service("api").desired_count(5).send().await.expect("out of band");
    bed.eventually("desiredCount corrected", || async {
        let out = bed.aws.describe_services().cluster("prod").services("api").send().await.ok()?;
        (out.services().first()?.desired_count() == 2).then_some(())
    })
    .await;
    assert_eq!(primary(&bed, "api").await.task_definition(), Some(running.as_str()), "the failing revision stays out");
}
