//! ECSExpressService end to end (kube-sim, ecs-sim at 50×, the controllers): created with ECS's
//! defaults and Ready once its rollout completed and its resources are ACTIVE, with the endpoint
//! and the resources ECS made in status; an image change is one UpdateExpressGatewayService and a
//! rolling deployment, Ready again after it; an out-of-band change is drift, corrected; a field
//! the update cannot change is RequiresReplacement with no write; Observe only reports; deletion
//! drains the service and leaves nothing.

use std::time::Duration;

use crate::support::{Bed, NS};
use ecs_operator::crd::ECSExpressServiceStatus;
use ecs_operator::crd::express::ECSExpressService;
use kube::api::{Api, DeleteParams, Patch, PatchParams};

const WEB: &str = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: ECSExpressService
metadata:
  name: shop
spec:
  executionRoleArn: arn:aws:iam::123456789012:role/ecsTaskExecutionRole
  infrastructureRoleArn: arn:aws:iam::123456789012:role/ecsInfrastructureRoleForExpressServices
  primaryContainer:
    image: public.ecr.aws/nginx/nginx:1.27
    containerPort: 8080
    environment:
      - {name: MODE, value: production}
  healthCheckPath: /healthz
  scalingTarget: {minTaskCount: 2, maxTaskCount: 6}
  tags: {team: shop}
"#;

async fn bed() -> Bed {
    let mut sim = ecs_sim::SimConfig::for_tests();
    sim.clock = ecs_sim::ClockMode::Scaled { speed: 50.0 };
    let mut bed = Bed::start_with(sim).await;
    let mut config = Bed::operator_config();
    config.rollout_poll_interval = Duration::from_millis(200);
    bed.start_operator_with(config).await;
    bed
}

fn api(bed: &Bed) -> Api<ECSExpressService> {
    Api::namespaced(bed.client.clone(), NS)
}

fn condition(status: &ECSExpressServiceStatus, type_: &str) -> Option<(String, String, String)> {
    let c = status.common.conditions.as_ref()?.iter().find(|c| c.type_ == type_)?;
    Some((c.status.clone(), c.reason.clone(), c.message.clone()))
}

/// The status once Ready is True at the object's current generation.
async fn ready(bed: &Bed, name: &str) -> ECSExpressServiceStatus {
    bed.eventually_within(&format!("{name} Ready"), Duration::from_secs(60), || async {
        let obj = api(bed).get(name).await.ok()?;
        let status = obj.status?;
        let current = status.common.observed_generation == obj.metadata.generation;
        (current && condition(&status, "Ready")?.0 == "True").then_some(status)
    })
    .await
}

async fn described(bed: &Bed, arn: &str) -> aws_sdk_ecs::types::EcsExpressGatewayService {
    let tags = aws_sdk_ecs::types::ExpressGatewayServiceInclude::Tags;
    let out = bed.aws.describe_express_gateway_service().service_arn(arn).include(tags).send().await.expect("describe");
    out.service().cloned().expect("service")
}

fn image(service: &aws_sdk_ecs::types::EcsExpressGatewayService) -> String {
    let newest = service.active_configurations().iter().max_by_key(|c| c.created_at().map(|t| t.as_nanos()));
    newest.and_then(|c| c.primary_container()).map(|c| c.image().to_owned()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_express_service_is_created_updated_corrected_and_deleted() {
    let bed = bed().await;
    bed.apply::<ECSExpressService>(WEB).await;
    let status = ready(&bed, "shop").await;
    let arn = status.service_arn.clone().expect("serviceArn");
    assert!(status.endpoint.as_deref().is_some_and(|e| e.starts_with("https://shop-")), "{status:?}");
    assert_eq!((status.desired_count, status.running_count), (Some(2), Some(2)));
    assert_eq!(status.rollout_state.as_deref(), Some("COMPLETED"));
    assert_eq!(status.active_configurations, Some(1));
    let kinds: Vec<&str> = status.managed_resources.iter().flatten().map(|r| r.kind.as_str()).collect();
    for kind in ["LoadBalancer", "Certificate", "TargetGroup", "ScalableTarget", "ScalingPolicy"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    assert!(status.managed_resources.iter().flatten().all(|r| r.status == "ACTIVE"));
    let mut arns: Vec<&str> = status.managed_resources.iter().flatten().filter_map(|r| r.arn.as_deref()).collect();
    let listed = arns.len();
    arns.sort();
    arns.dedup();
    assert_eq!(arns.len(), listed, "each resource once: {arns:?}");
    let service = described(&bed, &arn).await;
    let config = &service.active_configurations()[0];
    assert_eq!(config.health_check_path(), Some("/healthz"));
    assert_eq!(config.primary_container().and_then(|c| c.container_port()), Some(8080));
    assert_eq!(config.scaling_target().and_then(|s| s.max_task_count()), Some(6));
    let tags: Vec<(&str, &str)> =
        service.tags().iter().map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default())).collect();
    assert!(tags.contains(&("team", "shop")) && tags.iter().any(|(k, _)| *k == "ecs.operator.dev/owner"), "{tags:?}");
    assert_eq!(bed.calls("CreateExpressGatewayService"), 1);

    // Steady: nothing is written.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let writes = bed.write_calls();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(bed.write_calls(), writes, "a steady Express service is not written: {:?}", bed.writes_made());

    // A new image: one update, a rolling deployment, Ready on it.
    let image_patch = serde_json::json!({"spec": {"primaryContainer": {"image": "public.ecr.aws/nginx/nginx:1.28"}}});
    api(&bed).patch("shop", &PatchParams::default(), &Patch::Merge(&image_patch)).await.expect("patch");
    let updated = bed
        .eventually_within("the rollout seen", Duration::from_secs(60), || async {
            let status = api(&bed).get("shop").await.ok()?.status?;
            (condition(&status, "Ready")?.0 == "False" && status.common.observed_generation == Some(2))
                .then_some(status)
        })
        .await;
    assert_eq!(condition(&updated, "Progressing").map(|c| c.0).as_deref(), Some("True"), "{updated:?}");
    let after = ready(&bed, "shop").await;
    assert_ne!(after.service_revision_arn, status.service_revision_arn);
    assert_eq!(image(&described(&bed, &arn).await), "public.ecr.aws/nginx/nginx:1.28");
    assert_eq!(bed.calls("UpdateExpressGatewayService"), 1);

    // Out of band: the health check path changed in ECS is drift, put back.
    bed.aws.update_express_gateway_service().service_arn(&arn).health_check_path("/other").send().await.expect("oob");
    bed.eventually_within("drift corrected", Duration::from_secs(60), || async {
        let service = described(&bed, &arn).await;
        let newest = service.active_configurations().iter().max_by_key(|c| c.created_at().map(|t| t.as_nanos()))?;
        (newest.health_check_path() == Some("/healthz")).then_some(())
    })
    .await;
    assert_eq!(bed.calls("UpdateExpressGatewayService"), 3, "the operator's correction is one update");
    ready(&bed, "shop").await;

    // The name is fixed at admission.
    let rename = serde_json::json!({"spec": {"serviceName": "shop-2"}});
    let refused = api(&bed).patch("shop", &PatchParams::default(), &Patch::Merge(&rename)).await;
    let Err(kube::Error::Api(refusal)) = refused else { panic!("a rename is refused: {refused:?}") };
    assert!(refusal.message.contains("serviceName is fixed"), "{}", refusal.message);

    // The cluster cannot change: RequiresReplacement, nothing written.
    let writes = bed.write_calls();
    let move_cluster = serde_json::json!({"spec": {"cluster": "elsewhere"}});
    api(&bed).patch("shop", &PatchParams::default(), &Patch::Merge(&move_cluster)).await.expect("patch");
    let message = bed
        .eventually("RequiresReplacement", || async {
            let status = api(&bed).get("shop").await.ok()?.status?;
            let (_, reason, message) = condition(&status, "Synced")?;
            (reason == "RequiresReplacement").then_some(message)
        })
        .await;
    assert!(message.contains("spec.cluster"), "{message}");
    assert_eq!(bed.write_calls(), writes);
    let back = serde_json::json!({"spec": {"cluster": null}});
    api(&bed).patch("shop", &PatchParams::default(), &Patch::Merge(&back)).await.expect("patch");
    ready(&bed, "shop").await;

    // Deleted: ECS drains it, and the object goes once it is INACTIVE.
    api(&bed).delete("shop", &DeleteParams::default()).await.expect("delete");
    bed.eventually_within("object gone", Duration::from_secs(60), || async {
        api(&bed).get_opt("shop").await.ok()?.is_none().then_some(())
    })
    .await;
    let service = described(&bed, &arn).await;
    assert_eq!(service.status().and_then(|s| s.status_code()).map(|c| c.as_str()), Some("INACTIVE"));
    assert_eq!(bed.calls("DeleteExpressGatewayService"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_observed_express_service_is_reported_never_written() {
    let bed = bed().await;
    let primary = aws_sdk_ecs::types::ExpressGatewayContainer::builder().image("nginx:1").build().expect("container");
    let created = bed
        .aws
        .create_express_gateway_service()
        .service_name("legacy")
        .execution_role_arn("arn:aws:iam::123456789012:role/ecsTaskExecutionRole")
        .infrastructure_role_arn("arn:aws:iam::123456789012:role/infra")
        .primary_container(primary)
        .send()
        .await
        .expect("create");
    let arn = created.service().and_then(|s| s.service_arn()).expect("arn").to_owned();
    let observed = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: ECSExpressService
metadata:
  name: legacy
spec:
  managementPolicy: Observe
  executionRoleArn: arn:aws:iam::123456789012:role/ecsTaskExecutionRole
  infrastructureRoleArn: arn:aws:iam::123456789012:role/infra
  primaryContainer: {image: "nginx:2"}
"#;
    let writes = bed.write_calls();
    bed.apply::<ECSExpressService>(observed).await;
    let status = bed
        .eventually_within("drift reported", Duration::from_secs(60), || async {
            let status = api(&bed).get("legacy").await.ok()?.status?;
            status.common.drift.as_ref()?.iter().any(|d| d.field == "primaryContainer.image").then_some(status)
        })
        .await;
    assert_eq!(status.service_arn.as_deref(), Some(arn.as_str()));
    assert_eq!(condition(&status, "Ready").map(|c| (c.0, c.1)), Some(("False".into(), "Drifted".into())));
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(bed.write_calls(), writes, "Observe writes nothing: {:?}", bed.writes_made());
    api(&bed).delete("legacy", &DeleteParams::default()).await.expect("delete");
    bed.eventually("object gone", || async { api(&bed).get_opt("legacy").await.ok()?.is_none().then_some(()) }).await;
    let service = described(&bed, &arn).await;
    assert_eq!(service.status().and_then(|s| s.status_code()).map(|c| c.as_str()), Some("ACTIVE"), "left in place");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolled_back_image_is_degraded_and_not_pushed_again() {
    let bed = bed().await;
    bed.sim.set_task_failure_pattern("broken").expect("pattern");
    bed.apply::<ECSExpressService>(WEB).await;
    ready(&bed, "shop").await;
    let broken = serde_json::json!({"spec": {"primaryContainer": {"image": "public.ecr.aws/nginx/nginx:broken"}}});
    api(&bed).patch("shop", &PatchParams::default(), &Patch::Merge(&broken)).await.expect("patch");
    let status = bed
        .eventually_within("RolledBack", Duration::from_secs(90), || async {
            let status = api(&bed).get("shop").await.ok()?.status?;
            (condition(&status, "Degraded")?.1 == "RolledBack").then_some(status)
        })
        .await;
    assert_eq!(condition(&status, "Ready").map(|c| c.0).as_deref(), Some("False"));
    let updates = bed.calls("UpdateExpressGatewayService");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(bed.calls("UpdateExpressGatewayService"), updates, "the rolled-back image is not sent again");
    let status = api(&bed).get("shop").await.expect("get").status.expect("status");
    assert_eq!(condition(&status, "Degraded").map(|c| c.1).as_deref(), Some("RolledBack"), "{status:?}");
    // A new spec is applied.
    let fixed = serde_json::json!({"spec": {"primaryContainer": {"image": "public.ecr.aws/nginx/nginx:1.29"}}});
    api(&bed).patch("shop", &PatchParams::default(), &Patch::Merge(&fixed)).await.expect("patch");
    ready(&bed, "shop").await;
}
