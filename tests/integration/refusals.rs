//! Kubernetes refusing the operator's own requests (403: a permission missing from its RBAC;
//! 422: a request the API server finds invalid): the object says which request and why, in a
//! condition when Kubernetes lets the operator write its status and in a Warning event
//! otherwise, and the operator retries slowly instead of hammering the API server.

use std::time::{Duration, Instant};

use crate::support::{Bed, NS, WEB_SVC, WEB_TD};
use ecs_operator::crd::{ECSService, TaskDefinition};
use k8s_openapi::api::events::v1::Event;
use kube::api::{Api, ListParams};

/// ecs-sim at 50x with ECS cluster `prod`; the operator with a 20 s terminal recheck, so a
/// refusal's back-off starts at 1 s while other Kubernetes errors retry from 50 ms.
async fn bed() -> Bed {
    let mut sim = ecs_sim::SimConfig::for_tests();
    sim.clock = ecs_sim::ClockMode::Scaled { speed: 50.0 };
    let mut bed = Bed::start_with(sim).await;
    bed.aws.create_cluster().cluster_name("prod").send().await.expect("cluster");
    let mut config = Bed::operator_config();
    config.terminal_recheck = Duration::from_secs(20);
    config.rollout_poll_interval = Duration::from_millis(200);
    bed.start_operator_with(config).await;
    bed
}

/// Notes of the Warning events about ECSService `web` with `reason`.
async fn warnings(bed: &Bed, reason: &str) -> Vec<String> {
    let events: Api<Event> = Api::namespaced(bed.client.clone(), NS);
    let list = events.list(&ListParams::default()).await.map(|l| l.items).unwrap_or_default();
    list.into_iter()
        .filter(|e| e.type_.as_deref() == Some("Warning") && e.reason.as_deref() == Some(reason))
        .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("web"))
        .filter_map(|e| e.note)
        .collect()
}

fn status_patches(bed: &Bed) -> u64 {
    let key = ("patch".to_owned(), "ecs.operator.dev".to_owned(), "ecsservices".to_owned(), "status".to_owned());
    bed.kube_sim().requests().get(&key).copied().unwrap_or(0)
}

async fn task_definition_ready(bed: &Bed) {
    let tds: Api<TaskDefinition> = Api::namespaced(bed.client.clone(), NS);
    bed.eventually("TaskDefinition registered", || async { tds.get("web").await.ok()?.status?.task_definition_arn })
        .await;
}

/// The status write itself is refused: the status cannot say so, a Warning event does, with
/// the API's message naming the missing permission; retries back off slowly; once the
/// permission is granted the status catches up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_status_write_is_an_event_naming_the_permission_and_is_retried_slowly() {
    let bed = bed().await;
    bed.apply::<TaskDefinition>(WEB_TD).await;
    task_definition_ready(&bed).await;
    bed.kube_sim().refuse("patch", "ecsservices", "status", 403);
    bed.apply::<ECSService>(WEB_SVC).await;
    let note = bed
        .eventually("a KubernetesForbidden event", || async { warnings(&bed, "KubernetesForbidden").await.pop() })
        .await;
    assert!(note.starts_with("writing status: Kubernetes refused the request (403 Forbidden)"), "{note}");
    assert!(note.contains(r#"cannot patch resource "ecsservices/status" in API group "ecs.operator.dev""#), "{note}");

    // Slow: two more attempts take at least one whole back-off after the attempt seen now,
    // 1 s or more from the second attempt on (the fast retry's would be under 0.1 s).
    let (since, seen) = (Instant::now(), status_patches(&bed));
    assert!(seen >= 1);
    bed.eventually("two more attempts", || async { (status_patches(&bed) >= seen + 2).then_some(()) }).await;
    assert!(since.elapsed() >= Duration::from_millis(900), "retried too fast: {:?}", since.elapsed());
    let services: Api<ECSService> = Api::namespaced(bed.client.clone(), NS);
    assert!(services.get("web").await.expect("get").status.is_none(), "nothing could be written");
    assert_eq!(bed.calls("CreateService"), 1, "AWS work is not repeated");

    bed.kube_sim().clear_refusals();
    bed.eventually("status written once allowed", || async {
        let status = services.get("web").await.ok()?.status?;
        status.service_arn.map(|_| ())
    })
    .await;
}

/// Adding the finalizer is refused: nothing is created in ECS, and Synced=False / Terminal
/// carries the API's message (the status write is allowed), with a Warning event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_finalizer_patch_is_a_terminal_condition_and_an_event() {
    let mut bed = bed().await;
    bed.apply::<TaskDefinition>(WEB_TD).await;
    task_definition_ready(&bed).await;
    // The test and the operator share a client: the object goes in before the refusal, while
    // the operator is stopped.
    bed.stop_operator().await;
    bed.apply::<ECSService>(WEB_SVC).await;
    bed.kube_sim().refuse("patch", "ecsservices", "", 403);
    let mut config = Bed::operator_config();
    config.terminal_recheck = Duration::from_secs(20);
    bed.start_operator_with(config).await;
    let services: Api<ECSService> = Api::namespaced(bed.client.clone(), NS);
    let synced = bed
        .eventually("Synced=False naming the refused request", || async {
            let svc = services.get("web").await.ok()?;
            let conditions = svc.status?.common.conditions?;
            conditions.into_iter().find(|c| c.type_ == "Synced" && c.status == "False")
        })
        .await;
    assert_eq!(synced.reason, "Terminal");
    assert!(synced.message.starts_with("KubernetesForbidden: adding the finalizer: Kubernetes refused"), "{synced:?}");
    assert!(synced.message.contains(r#"cannot patch resource "ecsservices" in API group "ecs.operator.dev""#));
    let notes = bed
        .eventually("a KubernetesForbidden event", || async {
            Some(warnings(&bed, "KubernetesForbidden").await).filter(|n| !n.is_empty())
        })
        .await;
    assert!(notes[0].contains("adding the finalizer"), "{notes:?}");
    assert_eq!(bed.calls("CreateService"), 0, "nothing is created without the finalizer");

    bed.kube_sim().clear_refusals();
    bed.eventually("created and Synced once allowed", || async {
        let svc = services.get("web").await.ok()?;
        let conditions = svc.status?.common.conditions?;
        conditions.iter().any(|c| c.type_ == "Synced" && c.status == "True").then_some(())
    })
    .await;
    assert_eq!(bed.calls("CreateService"), 1);
}
