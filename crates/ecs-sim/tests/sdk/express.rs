//! Express Mode through aws-sdk-ecs: CreateExpressGatewayService with its defaults, the ECS service
//! underneath rolling out, UpdateExpressGatewayService (new revisions, no-op updates, rollback of a
//! failing image), DescribeServiceRevisions with the managed resources, DeleteExpressGatewayService
//! (DRAINING, INACTIVE, forgotten), validation and tags.

use std::time::Duration;

use aws_sdk_ecs::types::{
    EcsExpressGatewayService, ExpressGatewayContainer, ExpressGatewayScalingTarget, ExpressGatewayServiceConfiguration,
    ExpressGatewayServiceInclude, ExpressGatewayServiceScalingMetric, ExpressGatewayServiceStatusCode, LaunchType,
    ServiceDeployment, ServiceDeploymentStatus, ServiceRevision,
};

use crate::harness::{CLUSTER, Env, code, env, json_call, rollout, tag};

const EXEC: &str = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole";
const INFRA: &str = "arn:aws:iam::123456789012:role/ecsInfrastructureRoleForExpressServices";

fn container(image: &str) -> ExpressGatewayContainer {
    ExpressGatewayContainer::builder().image(image).build().expect("image set")
}

async fn create(env: &Env, name: &str, image: &str) -> EcsExpressGatewayService {
    let out = env
        .ecs
        .create_express_gateway_service()
        .service_name(name)
        .execution_role_arn(EXEC)
        .infrastructure_role_arn(INFRA)
        .primary_container(container(image))
        .send()
        .await
        .expect("create express service");
    out.service().expect("service").clone()
}

async fn describe(env: &Env, arn: &str) -> EcsExpressGatewayService {
    let out = env.ecs.describe_express_gateway_service().service_arn(arn).send().await.expect("describe express");
    out.service().expect("service").clone()
}

fn images(svc: &EcsExpressGatewayService) -> Vec<String> {
    let image = |c: &ExpressGatewayServiceConfiguration| c.primary_container().map(|p| p.image().to_string());
    svc.active_configurations().iter().filter_map(image).collect()
}

fn revision_arn(svc: &EcsExpressGatewayService) -> String {
    svc.active_configurations()[0].service_revision_arn().expect("serviceRevisionArn").to_string()
}

async fn revisions(env: &Env, arns: &[&str]) -> Vec<ServiceRevision> {
    let mut call = env.ecs.describe_service_revisions();
    for arn in arns {
        call = call.service_revision_arns(*arn);
    }
    let out = call.send().await.expect("describe service revisions");
    assert!(out.failures().is_empty(), "{:?}", out.failures());
    out.service_revisions().to_vec()
}

/// The status of the revision's load balancer, target group and scalable target.
fn statuses(rev: &ServiceRevision) -> Vec<String> {
    let managed = rev.ecs_managed_resources().expect("ecsManagedResources");
    let path = &managed.ingress_paths()[0];
    let lb = path.load_balancer().expect("loadBalancer").status().as_str().to_string();
    let tg = path.target_groups()[0].status().as_str().to_string();
    let target = managed.auto_scaling().and_then(|a| a.scalable_target()).expect("scalableTarget");
    vec![lb, tg, target.status().as_str().to_string()]
}

async fn service_deployment(env: &Env, arn: &str) -> ServiceDeployment {
    let out = env.ecs.describe_service_deployments().service_deployment_arns(arn).send().await;
    out.expect("describe service deployments").service_deployments()[0].clone()
}

async fn ecs_service(env: &Env, arn: &str) -> aws_sdk_ecs::types::Service {
    let out = env.ecs.describe_services().cluster("default").services(arn).send().await.expect("describe services");
    out.services().first().expect("service described").clone()
}

#[tokio::test]
async fn create_fills_in_the_defaults_and_rolls_out_like_any_service() {
    let env = env();
    let svc = create(&env, "web", "nginx:1").await;
    let arn = svc.service_arn().expect("arn").to_string();
    assert_eq!(arn, "arn:aws:ecs:us-east-1:123456789012:service/default/web");
    let svc = describe(&env, &arn).await;
    assert_eq!(svc.cluster(), Some("arn:aws:ecs:us-east-1:123456789012:cluster/default"));
    assert_eq!(svc.status().map(|s| s.status_code()), Some(Some(&ExpressGatewayServiceStatusCode::Active)));
    assert_eq!(svc.infrastructure_role_arn(), Some(INFRA));
    assert!(svc.current_deployment().is_some_and(|d| d.contains(":service-deployment/default/web/")));
    assert!(svc.tags().is_empty(), "tags only with include TAGS");
    assert_eq!(svc.active_configurations().len(), 1);
    let c = &svc.active_configurations()[0];
    assert!(revision_arn(&svc).starts_with("arn:aws:ecs:us-east-1:123456789012:service-revision/default/web/"));
    assert_eq!((c.cpu(), c.memory(), c.health_check_path()), (Some("256"), Some("512"), Some("/ping")));
    assert_eq!((c.execution_role_arn(), c.task_role_arn()), (Some(EXEC), None));
    let p = c.primary_container().expect("primaryContainer");
    assert_eq!((p.image(), p.container_port()), ("nginx:1", Some(80)));
    let logs = p.aws_logs_configuration().expect("awsLogsConfiguration");
    assert_eq!((logs.log_group(), logs.log_stream_prefix()), ("/aws/ecs/default/web", "ecs"));
    let s = c.scaling_target().expect("scalingTarget");
    assert_eq!((s.min_task_count(), s.max_task_count(), s.auto_scaling_target_value()), (Some(1), Some(20), Some(60)));
    assert_eq!(s.auto_scaling_metric(), Some(&ExpressGatewayServiceScalingMetric::AverageCpuUtilization));
    let n = c.network_configuration().expect("networkConfiguration");
    assert_eq!(n.subnets().len(), 3);
    assert!(n.security_groups().len() == 1 && n.security_groups()[0].starts_with("sg-"));
    let ingress = &c.ingress_paths()[0];
    let endpoint = ingress.endpoint();
    assert_eq!(ingress.access_type().as_str(), "PUBLIC");
    assert!(endpoint.starts_with("https://web-") && endpoint.ends_with(".ecs.us-east-1.on.aws"), "{endpoint}");

    // Express made the default cluster, with the Fargate capacity providers.
    let cluster = env.ecs.describe_clusters().clusters("default").send().await.expect("describe clusters");
    assert_eq!(cluster.clusters()[0].capacity_providers(), ["FARGATE", "FARGATE_SPOT"]);

    // The ECS service underneath, rolling out as any other does.
    let ecs = ecs_service(&env, &arn).await;
    assert_eq!((ecs.launch_type(), ecs.desired_count()), (Some(&LaunchType::Fargate), 1));
    assert_eq!(ecs.load_balancers()[0].container_port(), Some(80));
    assert_eq!(ecs.current_service_deployment(), svc.current_deployment());
    assert_eq!(rollout(&ecs), vec![("PRIMARY".into(), "IN_PROGRESS".into())]);
    env.sim.advance(Duration::from_secs(60));
    let ecs = ecs_service(&env, &arn).await;
    assert_eq!(rollout(&ecs), vec![("PRIMARY".into(), "COMPLETED".into())]);
    assert_eq!(ecs.running_count(), 1);
    let td = ecs.task_definition().expect("taskDefinition");
    let td = env.ecs.describe_task_definition().task_definition(td).send().await.expect("describe td");
    let td = td.task_definition().expect("task definition");
    assert_eq!((td.family(), td.cpu(), td.memory()), (Some("web"), Some("256"), Some("512")));
    let main = &td.container_definitions()[0];
    assert_eq!((main.name(), main.image()), (Some("Main"), Some("nginx:1")));
    assert_eq!(td.execution_role_arn(), Some(EXEC));
}

#[tokio::test]
async fn update_rolls_out_a_new_revision_and_a_no_op_changes_nothing() {
    let env = env();
    let arn = create(&env, "web", "nginx:1").await.service_arn().expect("arn").to_string();
    env.sim.advance(Duration::from_secs(60));
    let before = describe(&env, &arn).await;
    let first = revision_arn(&before);

    // The same container (defaults filled in on both sides) and nothing else: no new revision.
    let out = env
        .ecs
        .update_express_gateway_service()
        .service_arn(&arn)
        .primary_container(container("nginx:1"))
        .health_check_path("/ping")
        .send()
        .await
        .expect("no-op update");
    let target = out.service().and_then(|s| s.target_configuration()).expect("targetConfiguration");
    assert_eq!(target.service_revision_arn(), Some(first.as_str()));
    let same = describe(&env, &arn).await;
    assert_eq!((same.current_deployment(), same.updated_at()), (before.current_deployment(), before.updated_at()));
    assert_eq!(ecs_service(&env, &arn).await.deployments().len(), 1);

    env.sim.advance(Duration::from_secs(1));
    let scaling = ExpressGatewayScalingTarget::builder().min_task_count(2).max_task_count(4).build();
    let out = env
        .ecs
        .update_express_gateway_service()
        .service_arn(&arn)
        .primary_container(container("nginx:2"))
        .scaling_target(scaling)
        .send()
        .await
        .expect("update");
    let updated = out.service().expect("service");
    let target = updated.target_configuration().expect("targetConfiguration");
    let second = target.service_revision_arn().expect("revision").to_string();
    assert_ne!(second, first);
    assert_eq!(target.primary_container().map(|p| p.image()), Some("nginx:2"));
    let s = target.scaling_target().expect("scalingTarget");
    assert_eq!((s.min_task_count(), s.max_task_count(), s.auto_scaling_target_value()), (Some(2), Some(4), Some(60)));
    assert!(updated.updated_at() > before.updated_at());

    // During the rollout both revisions are active, the new one first.
    let during = describe(&env, &arn).await;
    assert_eq!(images(&during), ["nginx:2", "nginx:1"]);
    assert_ne!(during.current_deployment(), before.current_deployment());
    let ecs = ecs_service(&env, &arn).await;
    assert_eq!(ecs.desired_count(), 2, "the scalable target's new minimum");
    let sd = service_deployment(&env, during.current_deployment().expect("currentDeployment")).await;
    assert_eq!(sd.target_service_revision().and_then(|t| t.arn()), Some(second.as_str()));
    assert_eq!(sd.source_service_revisions()[0].arn(), Some(first.as_str()));

    env.sim.advance(Duration::from_secs(90));
    let after = describe(&env, &arn).await;
    assert_eq!(images(&after), ["nginx:2"]);
    assert_eq!(revision_arn(&after), second);
    assert_eq!(rollout(&ecs_service(&env, &arn).await), vec![("PRIMARY".into(), "COMPLETED".into())]);
}

#[tokio::test]
async fn a_failing_image_rolls_back_to_the_previous_configuration() {
    let env = env();
    let arn = create(&env, "web", "nginx:1").await.service_arn().expect("arn").to_string();
    env.sim.advance(Duration::from_secs(60));
    let first = revision_arn(&describe(&env, &arn).await);
    let update = env.ecs.update_express_gateway_service().service_arn(&arn).primary_container(container("app:fail"));
    update.send().await.expect("update");
    // Three tasks fail (35 s each) before the circuit breaker trips and ECS rolls back.
    env.sim.advance(Duration::from_secs(400));
    let svc = describe(&env, &arn).await;
    assert_eq!(images(&svc), ["nginx:1"]);
    assert_eq!(revision_arn(&svc), first);
    let sd = service_deployment(&env, svc.current_deployment().expect("currentDeployment")).await;
    assert_eq!(sd.status(), Some(&ServiceDeploymentStatus::RollbackSuccessful));
}

#[tokio::test]
async fn a_deployment_made_by_update_service_keeps_the_express_configuration() {
    let env = env();
    let arn = create(&env, "web", "nginx:1").await.service_arn().expect("arn").to_string();
    env.sim.advance(Duration::from_secs(60));
    let first = revision_arn(&describe(&env, &arn).await);
    let force = env.ecs.update_service().cluster("default").service(&arn).force_new_deployment(true);
    force.send().await.expect("force a new deployment");
    env.sim.advance(Duration::from_secs(60));
    let svc = describe(&env, &arn).await;
    assert_ne!(revision_arn(&svc), first);
    assert_eq!(images(&svc), ["nginx:1"]);
    let update = env.ecs.update_express_gateway_service().service_arn(&arn).primary_container(container("nginx:2"));
    update.send().await.expect("update after UpdateService");
    assert_eq!(images(&describe(&env, &arn).await), ["nginx:2", "nginx:1"]);
}

#[tokio::test]
async fn service_revisions_report_managed_resources_provisioning_then_active() {
    let env = env();
    let arn = create(&env, "web", "nginx:1").await.service_arn().expect("arn").to_string();
    let svc = describe(&env, &arn).await;
    let rev_arn = revision_arn(&svc);
    let rev = &revisions(&env, &[&rev_arn]).await[0];
    assert_eq!(statuses(rev), ["PROVISIONING"; 3]);
    assert_eq!((rev.service_arn(), rev.launch_type()), (Some(arn.as_str()), Some(&LaunchType::Fargate)));
    assert_eq!(rev.container_images()[0].image(), Some("nginx:1"));
    let managed = rev.ecs_managed_resources().expect("ecsManagedResources");
    let path = &managed.ingress_paths()[0];
    let endpoint = svc.active_configurations()[0].ingress_paths()[0].endpoint();
    assert_eq!(path.endpoint(), endpoint);
    assert_eq!(path.load_balancer().map(|l| l.scheme()), Some("internet-facing"));
    assert_eq!(path.certificate().map(|c| c.domain_name()), endpoint.strip_prefix("https://"));
    let tg = &path.target_groups()[0];
    assert_eq!((tg.health_check_path(), tg.health_check_port(), tg.port()), ("/ping", 80, 80));
    let scaling = managed.auto_scaling().expect("autoScaling");
    let target = scaling.scalable_target().expect("scalableTarget");
    assert_eq!((target.min_capacity(), target.max_capacity()), (1, 20));
    let policy = &scaling.application_auto_scaling_policies()[0];
    assert_eq!((policy.metric(), policy.target_value()), ("ECSServiceAverageCPUUtilization", 60.0));
    assert_eq!(managed.log_groups()[0].log_group_name(), "/aws/ecs/default/web");
    assert_eq!(managed.service_security_groups().len(), 1);
    assert_eq!(managed.metric_alarms().len(), 3, "the deployment alarm and the policy's two");

    env.sim.advance(Duration::from_secs(5));
    assert_eq!(statuses(&revisions(&env, &[&rev_arn]).await[0]), ["ACTIVE"; 3]);

    // The scalable target is Application Auto Scaling's: the scaler is held to its bounds.
    let (status, targets) = json_call(
        env.sim.endpoint(),
        "AnyScaleFrontendService.DescribeScalableTargets",
        serde_json::json!({"ServiceNamespace": "ecs", "ResourceIds": ["service/default/web"]}),
    );
    assert_eq!((status, &targets["ScalableTargets"][0]["MaxCapacity"]), (200, &serde_json::json!(20)));
    assert_eq!(env.sim.autoscale("service/default/web", 50).expect("autoscale"), 20);

    // Unknown ARNs are failures; too many is an error.
    let missing = rev_arn.rsplit_once('/').map(|(head, _)| format!("{head}/123")).expect("arn");
    let out = env.ecs.describe_service_revisions().service_revision_arns(&missing).send().await.expect("describe");
    assert_eq!(out.failures()[0].reason(), Some("MISSING"));
    let mut call = env.ecs.describe_service_revisions();
    for _ in 0..21 {
        call = call.service_revision_arns(&rev_arn);
    }
    let err = call.send().await.expect_err("21 ARNs");
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"));
}

#[tokio::test]
async fn revisions_of_an_ordinary_service_have_no_managed_resources() {
    let env = env();
    env.cluster().await;
    let td = env.fargate_td("plain", "nginx:1").await;
    let svc = env.fargate_service("plain", &td, 1).await;
    let sd = service_deployment(&env, svc.current_service_deployment().expect("current")).await;
    let arn = sd.target_service_revision().and_then(|t| t.arn()).expect("target");
    let rev = &revisions(&env, &[arn]).await[0];
    assert!(rev.ecs_managed_resources().is_none());
    assert_eq!(rev.task_definition(), Some(td.as_str()));
    assert_eq!(rev.cluster_arn(), Some(format!("arn:aws:ecs:us-east-1:123456789012:cluster/{CLUSTER}").as_str()));
    assert!(rev.network_configuration().is_some() && rev.created_at().is_some());
    let err = env.ecs.describe_express_gateway_service().service_arn(svc.service_arn().expect("arn")).send().await;
    assert_eq!(code(&err.expect_err("not an Express service")).as_deref(), Some("InvalidParameterException"));
}

#[tokio::test]
async fn delete_drains_then_goes_inactive_then_is_forgotten() {
    let env = env();
    let arn = create(&env, "web", "nginx:1").await.service_arn().expect("arn").to_string();
    env.sim.advance(Duration::from_secs(60));
    let rev_arn = revision_arn(&describe(&env, &arn).await);
    let out = env.ecs.delete_express_gateway_service().service_arn(&arn).send().await.expect("delete");
    let status = |s: &EcsExpressGatewayService| s.status().and_then(|s| s.status_code()).cloned();
    assert_eq!(status(out.service().expect("service")), Some(ExpressGatewayServiceStatusCode::Draining));
    assert_eq!(statuses(&revisions(&env, &[&rev_arn]).await[0]), ["DEPROVISIONING"; 3]);
    let update = env.ecs.update_express_gateway_service().service_arn(&arn).health_check_path("/health");
    assert_eq!(code(&update.clone().send().await.expect_err("draining")).as_deref(), Some("ServiceNotActiveException"));

    env.sim.advance(Duration::from_secs(5));
    assert_eq!(statuses(&revisions(&env, &[&rev_arn]).await[0]), ["DELETED"; 3]);
    assert_eq!(status(&describe(&env, &arn).await), Some(ExpressGatewayServiceStatusCode::Draining));

    // The task stops in 15 s; then the service is INACTIVE, still described for an hour.
    env.sim.advance(Duration::from_secs(10));
    let gone = describe(&env, &arn).await;
    assert_eq!(status(&gone), Some(ExpressGatewayServiceStatusCode::Inactive));
    assert!(gone.active_configurations().is_empty());
    assert_eq!(ecs_service(&env, &arn).await.status(), Some("INACTIVE"));
    let err = env.ecs.describe_service_revisions().service_revision_arns(&rev_arn).send().await;
    assert_eq!(code(&err.expect_err("inactive")).as_deref(), Some("InvalidParameterException"));
    assert_eq!(code(&update.send().await.expect_err("inactive")).as_deref(), Some("ServiceNotActiveException"));
    let delete = env.ecs.delete_express_gateway_service().service_arn(&arn).send().await;
    assert_eq!(code(&delete.expect_err("inactive")).as_deref(), Some("ServiceNotActiveException"));

    env.sim.advance(Duration::from_secs(3600));
    let err = env.ecs.describe_express_gateway_service().service_arn(&arn).send().await;
    assert_eq!(code(&err.expect_err("forgotten")).as_deref(), Some("ResourceNotFoundException"));
}

#[tokio::test]
async fn invalid_requests_are_refused() {
    let env = env();
    create(&env, "web", "nginx:1").await;
    let base = || {
        env.ecs
            .create_express_gateway_service()
            .service_name("api")
            .execution_role_arn(EXEC)
            .infrastructure_role_arn(INFRA)
            .primary_container(container("nginx:1"))
    };
    let refused = [
        ("cpu/memory pair", base().cpu("1024").memory("512")),
        ("health check path", base().health_check_path("health")),
        (
            "min > max",
            base().scaling_target(ExpressGatewayScalingTarget::builder().min_task_count(5).max_task_count(2).build()),
        ),
        ("duplicate name", base().service_name("web")),
        ("missing infrastructure role", base().set_infrastructure_role_arn(None)),
        ("not a role ARN", base().execution_role_arn("ecsTaskExecutionRole")),
    ];
    for (what, call) in refused {
        let err = call.send().await.expect_err(what);
        assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"), "{what}: {err:?}");
    }
    let err = base().cluster("nowhere").send().await.expect_err("missing cluster");
    assert_eq!(code(&err).as_deref(), Some("ClusterNotFoundException"));
    let nobody = "arn:aws:ecs:us-east-1:123456789012:service/default/nobody";
    let err = env.ecs.update_express_gateway_service().service_arn(nobody).cpu("512").send().await;
    assert_eq!(code(&err.expect_err("unknown")).as_deref(), Some("ServiceNotFoundException"));
    let err = env.ecs.describe_express_gateway_service().service_arn(nobody).send().await;
    assert_eq!(code(&err.expect_err("unknown")).as_deref(), Some("ResourceNotFoundException"));
    // Nothing refused made anything.
    let listed = env.ecs.list_services().cluster("default").send().await.expect("list services");
    assert_eq!(listed.service_arns().len(), 1);
}

#[tokio::test]
async fn tags_are_described_only_when_asked_for() {
    let env = env();
    let out = env
        .ecs
        .create_express_gateway_service()
        .execution_role_arn(EXEC)
        .infrastructure_role_arn(INFRA)
        .primary_container(container("public.ecr.aws/nginx/nginx:1.28"))
        .tags(tag("team", "web"))
        .send()
        .await
        .expect("create");
    let svc = out.service().expect("service");
    let name = svc.service_name().expect("generated name");
    assert!(name.starts_with("nginx-") && name.len() == "nginx-".len() + 8, "{name}");
    let arn = svc.service_arn().expect("arn").to_string();
    assert!(describe(&env, &arn).await.tags().is_empty());
    let with_tags = |env: &Env| {
        env.ecs.describe_express_gateway_service().service_arn(&arn).include(ExpressGatewayServiceInclude::Tags).send()
    };
    let keys = |s: &EcsExpressGatewayService| s.tags().iter().filter_map(|t| t.key().map(str::to_string)).collect();
    let tagged = with_tags(&env).await.expect("describe").service().map(keys);
    assert_eq!(tagged, Some(vec!["team".to_string()]));
    env.ecs.tag_resource().resource_arn(&arn).tags(tag("env", "dev")).send().await.expect("tag");
    env.ecs.untag_resource().resource_arn(&arn).tag_keys("team").send().await.expect("untag");
    let listed = env.ecs.list_tags_for_resource().resource_arn(&arn).send().await.expect("list tags");
    assert_eq!(listed.tags().len(), 1);
    let tagged = with_tags(&env).await.expect("describe").service().map(keys);
    assert_eq!(tagged, Some(vec!["env".to_string()]));
}
