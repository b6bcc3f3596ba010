//! Ownership: an object never takes over or changes an AWS resource another object owns (in
//! another namespace, with the same ECS identity), and a resource made outside the operator is
//! left untouched unless the object says `adopt: true`.

use crate::support::{Bed, NS};
use ecs_operator::crd::{ECSCluster, ECSService, TaskDefinition};
use kube::api::Api;

const TEAM_B: &str = "team-b";

const TD: &str = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: TaskDefinition
metadata:
  name: web
spec:
  family: shared-web
  requiresCompatibilities: [FARGATE]
  networkMode: awsvpc
  cpu: "256"
  memory: "512"
  containerDefinitions:
    - name: web
      image: nginx:1
"#;

const SVC: &str = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: ECSService
metadata:
  name: web
spec:
  cluster: prod
  serviceName: shared-web
  taskDefinitionRef: {name: web}
  desiredCount: 1
  launchType: FARGATE
  networkConfiguration:
    awsvpcConfiguration:
      subnets: [subnet-0123456789abcdef0]
"#;

const CLUSTER: &str = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: ECSCluster
metadata:
  name: shared
spec:
  clusterName: shared-cluster
"#;

/// (status, reason, message) of a condition.
fn condition<K>(
    status: Option<&ecs_operator::crd::common::CommonStatus>,
    _: &K,
    type_: &str,
) -> Option<(String, String, String)> {
    let c = status?.conditions.as_ref()?.iter().find(|c| c.type_ == type_)?.clone();
    Some((c.status, c.reason, c.message))
}

async fn bed() -> Bed {
    let mut sim = ecs_sim::SimConfig::for_tests();
    sim.clock = ecs_sim::ClockMode::Scaled { speed: 50.0 };
    let mut bed = Bed::start_with(sim).await;
    bed.aws.create_cluster().cluster_name("prod").send().await.expect("cluster");
    bed.start_operator().await;
    bed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_namespace_cannot_take_over_or_change_what_one_owns() {
    let bed = bed().await;
    bed.apply::<TaskDefinition>(TD).await;
    bed.apply::<ECSService>(SVC).await;
    bed.apply::<ECSCluster>(CLUSTER).await;
    let services: Api<ECSService> = Api::namespaced(bed.client.clone(), NS);
    let clusters: Api<ECSCluster> = Api::namespaced(bed.client.clone(), NS);
    bed.eventually("team A's objects Ready", || async {
        let svc = services.get("web").await.ok()?;
        let cluster = clusters.get("shared").await.ok()?;
        let ready = |s: Option<(String, String, String)>| s.is_some_and(|c| c.0 == "True");
        (ready(condition(svc.status.as_ref().map(|s| &s.common), &svc, "Ready"))
            && ready(condition(cluster.status.as_ref().map(|s| &s.common), &cluster, "Ready")))
        .then_some(())
    })
    .await;
    let before = bed.write_calls();

    // Team B names the same family, service and cluster, with different specs and adopt: true.
    let adopt = |yaml: &str| yaml.replace("spec:\n", "spec:\n  adopt: true\n");
    bed.apply_in::<TaskDefinition>(TEAM_B, &adopt(&TD.replace("nginx:1", "nginx:2"))).await;
    // (Its own TaskDefinition is in conflict, so the service names team A's revision directly.)
    let svc_b = SVC
        .replace("desiredCount: 1", "desiredCount: 4")
        .replace("taskDefinitionRef: {name: web}", "taskDefinition: shared-web:1");
    bed.apply_in::<ECSService>(TEAM_B, &adopt(&svc_b)).await;
    bed.apply_in::<ECSCluster>(TEAM_B, &adopt(CLUSTER)).await;
    let tds_b: Api<TaskDefinition> = Api::namespaced(bed.client.clone(), TEAM_B);
    let services_b: Api<ECSService> = Api::namespaced(bed.client.clone(), TEAM_B);
    let clusters_b: Api<ECSCluster> = Api::namespaced(bed.client.clone(), TEAM_B);
    let conflicts = bed
        .eventually("each of team B's objects reports a conflict", || async {
            let td = tds_b.get("web").await.ok()?;
            let svc = services_b.get("web").await.ok()?;
            let cluster = clusters_b.get("shared").await.ok()?;
            let synced = [
                condition(td.status.as_ref().map(|s| &s.common), &td, "Synced")?,
                condition(svc.status.as_ref().map(|s| &s.common), &svc, "Synced")?,
                condition(cluster.status.as_ref().map(|s| &s.common), &cluster, "Synced")?,
            ];
            synced.iter().all(|c| c.0 == "False" && c.1 == "Terminal").then_some(synced)
        })
        .await;
    for (_, _, message) in &conflicts {
        assert!(message.contains("default/"), "names the owner: {message}");
    }
    assert_eq!(bed.write_calls(), before, "team B changed nothing in AWS");
    let described = bed.aws.describe_services().cluster("prod").services("shared-web").send().await.expect("describe");
    let svc = &described.services()[0];
    assert_eq!(svc.desired_count(), 1, "team A's desiredCount stands");
    assert!(svc.task_definition().is_some_and(|td| td.ends_with("shared-web:1")), "{:?}", svc.task_definition());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_made_outside_is_not_modified_without_adopt() {
    let bed = bed().await;
    bed.apply::<TaskDefinition>(TD).await;
    let tds: Api<TaskDefinition> = Api::namespaced(bed.client.clone(), NS);
    let arn = bed
        .eventually("task definition registered", || async { tds.get("web").await.ok()?.status?.task_definition_arn })
        .await;
    bed.aws
        .create_service()
        .cluster("prod")
        .service_name("shared-web")
        .task_definition(&arn)
        .desired_count(2)
        .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
        .network_configuration(
            aws_sdk_ecs::types::NetworkConfiguration::builder()
                .awsvpc_configuration(
                    aws_sdk_ecs::types::AwsVpcConfiguration::builder()
                        .subnets("subnet-0123456789abcdef0")
                        .build()
                        .expect("awsvpc"),
                )
                .build(),
        )
        .send()
        .await
        .expect("a service made by another tool");
    let before = bed.write_calls();
    bed.apply::<ECSService>(SVC).await;
    let services: Api<ECSService> = Api::namespaced(bed.client.clone(), NS);
    let (_, reason, message) = bed
        .eventually("conflict without adopt", || async {
            let svc = services.get("web").await.ok()?;
            condition(svc.status.as_ref().map(|s| &s.common), &svc, "Synced").filter(|c| c.0 == "False")
        })
        .await;
    assert_eq!(reason, "Terminal");
    assert!(message.contains("spec.adopt"), "{message}");
    assert_eq!(bed.write_calls(), before, "not modified");

    // With adopt: true it is taken over and brought in line.
    bed.apply::<ECSService>(&SVC.replace("spec:\n", "spec:\n  adopt: true\n")).await;
    bed.eventually("adopted and scaled to the spec", || async {
        let out = bed.aws.describe_services().cluster("prod").services("shared-web").send().await.ok()?;
        (out.services()[0].desired_count() == 1).then_some(())
    })
    .await;
}

/// ECS tags of the service `shared-web` in `prod`.
async fn service_tags(bed: &Bed) -> Option<std::collections::BTreeMap<String, String>> {
    let out = bed
        .aws
        .describe_services()
        .cluster("prod")
        .services("shared-web")
        .include(aws_sdk_ecs::types::ServiceField::Tags)
        .send()
        .await
        .ok()?;
    let service = out.services().first()?;
    Some(service.tags().iter().filter_map(|t| Some((t.key.clone()?, t.value.clone().unwrap_or_default()))).collect())
}

/// Adopting a service that already matches the spec only tags it; the owner tag then keeps a
/// second adopter out, and deletion with deletionPolicy Delete removes the adopted service.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adopted_service_is_tagged_as_ours_then_guarded_and_deleted() {
    let bed = bed().await;
    bed.apply::<TaskDefinition>(TD).await;
    let tds: Api<TaskDefinition> = Api::namespaced(bed.client.clone(), NS);
    let arn = bed
        .eventually("task definition registered", || async { tds.get("web").await.ok()?.status?.task_definition_arn })
        .await;
    bed.aws
        .create_service()
        .cluster("prod")
        .service_name("shared-web")
        .task_definition(&arn)
        .desired_count(1)
        .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
        .network_configuration(
            aws_sdk_ecs::types::NetworkConfiguration::builder()
                .awsvpc_configuration(
                    aws_sdk_ecs::types::AwsVpcConfiguration::builder()
                        .subnets("subnet-0123456789abcdef0")
                        .build()
                        .expect("awsvpc"),
                )
                .build(),
        )
        .send()
        .await
        .expect("a service made by another tool, matching the spec");
    let before = bed.writes_made();
    bed.apply::<ECSService>(&SVC.replace("spec:\n", "spec:\n  adopt: true\n")).await;
    let services: Api<ECSService> = Api::namespaced(bed.client.clone(), NS);
    bed.eventually("adopted: Synced and carrying the owner tags", || async {
        let svc = services.get("web").await.ok()?;
        condition(svc.status.as_ref().map(|s| &s.common), &svc, "Synced").filter(|c| c.0 == "True")?;
        let tags = service_tags(&bed).await?;
        (tags.get("ecs.operator.dev/owner").map(String::as_str) == Some("default/web")
            && tags.get("ecs.operator.dev/cluster-id").map(String::as_str) == Some("test-cluster"))
        .then_some(())
    })
    .await;
    let after = bed.writes_made();
    let delta: Vec<(&str, u64)> = after
        .iter()
        .map(|(op, n)| (*op, n - before.iter().find(|(o, _)| o == op).map_or(0, |(_, m)| *m)))
        .filter(|(_, n)| *n > 0)
        .collect();
    assert_eq!(delta, [("TagResource", 1)], "adoption's only write is TagResource");
    assert_eq!(bed.calls("UpdateService"), 0);

    // Another namespace's object with adopt: true finds the owner tag: a conflict, no write.
    let writes = bed.write_calls();
    bed.apply_in::<ECSService>(
        TEAM_B,
        &SVC.replace("spec:\n", "spec:\n  adopt: true\n")
            .replace("taskDefinitionRef: {name: web}", "taskDefinition: shared-web:1"),
    )
    .await;
    let services_b: Api<ECSService> = Api::namespaced(bed.client.clone(), TEAM_B);
    let (_, reason, message) = bed
        .eventually("team B's adopter reports a conflict", || async {
            let svc = services_b.get("web").await.ok()?;
            condition(svc.status.as_ref().map(|s| &s.common), &svc, "Synced").filter(|c| c.0 == "False")
        })
        .await;
    assert_eq!(reason, "Terminal");
    assert!(message.contains("managed by default/web"), "{message}");
    assert_eq!(bed.write_calls(), writes, "team B changed nothing in AWS");

    // Deleting the adopter (deletionPolicy Delete, the default) deletes the ECS service.
    services.delete("web", &kube::api::DeleteParams::default()).await.expect("delete");
    bed.eventually("object gone", || async { services.get_opt("web").await.ok()?.is_none().then_some(()) }).await;
    let out = bed.aws.describe_services().cluster("prod").services("shared-web").send().await.expect("describe");
    let status = out.services().first().and_then(|s| s.status.clone());
    assert_eq!(status.as_deref(), Some("INACTIVE"), "the adopted service was deleted");
    assert_eq!(bed.calls("DeleteService"), 1);
}
