//! The TaskDefinition controller against kube-sim and ecs-sim: register once, never churn,
//! follow spec changes, prune history, honour deletion policies, correct out-of-band
//! deregistration, report bad specs as Terminal, survive throttling and a crash after register.

use crate::support::{Bed, NS};
use aws_sdk_ecs::types::TaskDefinitionStatus as AwsStatus;
use ecs_operator::crd::TaskDefinition;
use ecs_operator::crd::common::tags;
use kube::api::{Api, DeleteParams};

const NGINX: &str = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: TaskDefinition
metadata:
  name: nginx
spec:
  requiresCompatibilities: [FARGATE]
  networkMode: awsvpc
  cpu: "0.25 vCPU"
  memory: "0.5 GB"
  tags: {team: web}
  containerDefinitions:
    - name: nginx
      image: public.ecr.aws/nginx/nginx:1.27
      portMappings: [{containerPort: 80}]
"#;

fn with_image(image: &str) -> String {
    NGINX.replace("public.ecr.aws/nginx/nginx:1.27", image)
}

fn api(bed: &Bed) -> Api<TaskDefinition> {
    Api::namespaced(bed.client.clone(), NS)
}

fn condition(td: &TaskDefinition, type_: &str) -> Option<(String, String, String)> {
    let status = td.status.as_ref()?;
    let c = status.common.conditions.as_ref()?.iter().find(|c| c.type_ == type_)?;
    Some((c.status.clone(), c.reason.clone(), c.message.clone()))
}

/// Waits until the object is Ready at its current generation and returns it.
async fn ready(bed: &Bed, name: &str) -> TaskDefinition {
    let api = api(bed);
    bed.eventually(&format!("{name} Ready"), || {
        let api = api.clone();
        async move {
            let td = api.get(name).await.ok()?;
            let generation_seen = td.status.as_ref()?.common.observed_generation == td.metadata.generation;
            let ready = condition(&td, "Ready").is_some_and(|c| c.0 == "True");
            (generation_seen && ready).then_some(td)
        }
    })
    .await
}

async fn active_revisions(bed: &Bed, family: &str) -> Vec<String> {
    bed.aws
        .list_task_definitions()
        .family_prefix(family)
        .status(AwsStatus::Active)
        .send()
        .await
        .expect("list")
        .task_definition_arns
        .unwrap_or_default()
}

/// Waits for at least `n` more reconciles to reach AWS (each one lists the family).
async fn reconciles(bed: &Bed, n: u64) {
    let start = bed.calls("ListTaskDefinitions");
    bed.eventually("reconciles", || async { (bed.calls("ListTaskDefinitions") >= start + n).then_some(()) }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registers_once_and_never_churns() {
    let mut bed = Bed::start().await;
    bed.start_operator().await;
    bed.apply::<TaskDefinition>(NGINX).await;
    let td = ready(&bed, "nginx").await;
    let status = td.status.clone().unwrap_or_default();
    assert_eq!(status.family.as_deref(), Some("nginx"));
    assert_eq!(status.revision, Some(1));
    let arn = status.task_definition_arn.clone().expect("ARN in status");
    assert!(arn.ends_with(":task-definition/nginx:1"), "{arn}");
    assert_eq!(bed.calls("RegisterTaskDefinition"), 1);

    // The revision carries the ownership tags and the user's tag.
    let described = bed
        .aws
        .describe_task_definition()
        .task_definition(&arn)
        .include(aws_sdk_ecs::types::TaskDefinitionField::Tags)
        .send()
        .await
        .expect("describe");
    let tag_keys: Vec<String> = described.tags.unwrap_or_default().into_iter().filter_map(|t| t.key).collect();
    for key in [tags::OWNER, tags::OWNER_CLUSTER, tags::SPEC_HASH, "team"] {
        assert!(tag_keys.iter().any(|k| k == key), "missing tag {key}: {tag_keys:?}");
    }

    // Re-applying the same YAML, spelling units differently, and restarting: no new revision.
    bed.apply::<TaskDefinition>(&NGINX.replace("\"0.25 vCPU\"", "\"256\"").replace("\"0.5 GB\"", "\"512\"")).await;
    reconciles(&bed, 3).await;
    bed.start_operator().await;
    reconciles(&bed, 3).await;
    assert_eq!(bed.calls("RegisterTaskDefinition"), 1, "no churn");
    let after = api(&bed).get("nginx").await.expect("get");
    assert_eq!(after.status.and_then(|s| s.task_definition_arn), Some(arn));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_change_registers_exactly_one_revision_and_prunes_history() {
    let mut bed = Bed::start().await;
    bed.start_operator().await;
    let limited = |image: &str| {
        with_image(image).replace("  tags: {team: web}", "  tags: {team: web}\n  revisionHistoryLimit: 1")
    };
    bed.apply::<TaskDefinition>(&limited("nginx:1")).await;
    ready(&bed, "nginx").await;
    for (i, image) in ["nginx:2", "nginx:3", "nginx:4"].iter().enumerate() {
        bed.apply::<TaskDefinition>(&limited(image)).await;
        let td = ready(&bed, "nginx").await;
        assert_eq!(td.status.and_then(|s| s.revision), Some(i as i64 + 2));
        assert_eq!(bed.calls("RegisterTaskDefinition"), i as u64 + 2, "one register per change");
    }
    // Current (4) plus one old revision (3) stay ACTIVE; 1 and 2 were deregistered.
    let active = bed
        .eventually("history pruned", || async {
            let active = active_revisions(&bed, "nginx").await;
            (active.len() == 2).then_some(active)
        })
        .await;
    assert!(active.iter().any(|a| a.ends_with(":4")) && active.iter().any(|a| a.ends_with(":3")), "{active:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_band_deregistration_is_corrected() {
    let mut bed = Bed::start().await;
    bed.start_operator().await;
    bed.apply::<TaskDefinition>(NGINX).await;
    let td = ready(&bed, "nginx").await;
    let arn = td.status.and_then(|s| s.task_definition_arn).expect("arn");
    bed.aws.deregister_task_definition().task_definition(&arn).send().await.expect("deregister out of band");
    let corrected = bed
        .eventually("re-registered", || async {
            let td = api(&bed).get("nginx").await.ok()?;
            (td.status.as_ref()?.revision == Some(2) && condition(&td, "Ready")?.0 == "True").then_some(td)
        })
        .await;
    assert!(corrected.status.and_then(|s| s.task_definition_arn).is_some_and(|a| a.ends_with(":2")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_band_deregistration_is_only_reported_under_report() {
    let mut bed = Bed::start().await;
    bed.start_operator().await;
    bed.apply::<TaskDefinition>(&NGINX.replace("  tags: {team: web}", "  tags: {team: web}\n  driftPolicy: Report"))
        .await;
    let td = ready(&bed, "nginx").await;
    let arn = td.status.and_then(|s| s.task_definition_arn).expect("arn");
    bed.aws.deregister_task_definition().task_definition(&arn).send().await.expect("deregister out of band");
    let reported = bed
        .eventually("drift reported", || async {
            let td = api(&bed).get("nginx").await.ok()?;
            td.status.as_ref()?.common.drift.as_ref().filter(|d| !d.is_empty())?;
            Some(td)
        })
        .await;
    assert_eq!(condition(&reported, "Ready").map(|c| c.0), Some("False".into()));
    reconciles(&bed, 3).await;
    assert_eq!(bed.calls("RegisterTaskDefinition"), 1, "Report never writes");
    let still = api(&bed).get("nginx").await.expect("get");
    assert_eq!(
        still.status.and_then(|s| s.task_definition_arn),
        Some(arn),
        "status keeps pointing at the lost revision"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletion_honours_deletion_policy() {
    let mut bed = Bed::start().await;
    bed.start_operator().await;
    bed.apply::<TaskDefinition>(NGINX).await;
    ready(&bed, "nginx").await;
    let retained = NGINX
        .replace("name: nginx", "name: kept")
        .replace("  tags: {team: web}", "  tags: {team: web}\n  deletionPolicy: Retain");
    bed.apply::<TaskDefinition>(&retained).await;
    ready(&bed, "kept").await;

    for name in ["nginx", "kept"] {
        api(&bed).delete(name, &DeleteParams::default()).await.expect("delete");
    }
    for name in ["nginx", "kept"] {
        bed.eventually("object gone", || async { api(&bed).get_opt(name).await.ok()?.is_none().then_some(()) }).await;
    }
    assert!(active_revisions(&bed, "nginx").await.is_empty(), "Delete deregisters");
    assert_eq!(active_revisions(&bed, "kept").await.len(), 1, "Retain leaves AWS alone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_spec_is_terminal_with_no_aws_write() {
    let mut bed = Bed::start().await;
    bed.start_operator().await;
    // Admission accepts 0.1 vCPU outside Fargate, but it is not a whole number of CPU units.
    let bad = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: TaskDefinition
metadata:
  name: odd
spec:
  requiresCompatibilities: [EC2]
  cpu: "0.1 vCPU"
  memory: "512"
  containerDefinitions:
    - name: app
      image: busybox
"#;
    bed.apply::<TaskDefinition>(bad).await;
    let (status, reason, message) = bed
        .eventually("Synced=False", || async {
            let td = api(&bed).get("odd").await.ok()?;
            condition(&td, "Synced").filter(|c| c.0 == "False")
        })
        .await;
    assert_eq!((status.as_str(), reason.as_str()), ("False", "Terminal"));
    assert!(message.contains("spec.cpu"), "{message}");
    assert_eq!(bed.calls("RegisterTaskDefinition"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_delays_but_does_not_fail() {
    let mut bed = Bed::start().await;
    let mut fault = ecs_sim::FaultSpec::error("RegisterTaskDefinition", "ThrottlingException", 400);
    fault.remaining = Some(3);
    bed.sim.set_fault(fault);
    bed.start_operator().await;
    bed.apply::<TaskDefinition>(NGINX).await;
    let td = ready(&bed, "nginx").await;
    assert_eq!(td.status.and_then(|s| s.revision), Some(1), "one revision despite throttling");
    assert!(bed.sim.stats().total_injected_errors >= 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_after_register_does_not_register_twice() {
    let mut bed = Bed::start().await;
    // First run: the object is created and registered, then the operator "dies" before any
    // status write is visible: we wipe the status to recreate that state exactly.
    bed.start_operator().await;
    let created = bed.apply::<TaskDefinition>(NGINX).await;
    ready(&bed, "nginx").await;
    bed.stop_operator().await;
    let status_api: Api<TaskDefinition> = api(&bed);
    let wipe = serde_json::json!({"status": null});
    status_api
        .patch_status("nginx", &kube::api::PatchParams::default(), &kube::api::Patch::Merge(&wipe))
        .await
        .expect("wipe status");
    assert!(status_api.get("nginx").await.expect("get").status.is_none());
    assert_eq!(created.metadata.name.as_deref(), Some("nginx"));
    // Restart: the revision is found by its tags, not registered again.
    bed.start_operator().await;
    let td = ready(&bed, "nginx").await;
    assert_eq!(td.status.and_then(|s| s.revision), Some(1));
    assert_eq!(bed.calls("RegisterTaskDefinition"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn observe_mode_reads_and_never_writes() {
    let mut bed = Bed::start().await;
    bed.start_operator().await;
    let observed = NGINX.replace("  tags: {team: web}", "  tags: {team: web}\n  managementPolicy: Observe");
    bed.apply::<TaskDefinition>(&observed).await;
    let (synced, ready) = bed
        .eventually("observed", || async {
            let td = api(&bed).get("nginx").await.ok()?;
            Some((condition(&td, "Synced")?, condition(&td, "Ready")?))
        })
        .await;
    assert_eq!((synced.0.as_str(), synced.1.as_str()), ("True", "ObserveOnly"));
    assert_eq!((ready.0.as_str(), ready.1.as_str()), ("False", "NotFound"));
    api(&bed).delete("nginx", &DeleteParams::default()).await.expect("delete");
    bed.eventually("object gone", || async { api(&bed).get_opt("nginx").await.ok()?.is_none().then_some(()) }).await;
    let writes: u64 = ["RegisterTaskDefinition", "DeregisterTaskDefinition", "TagResource", "UntagResource"]
        .iter()
        .map(|op| bed.calls(op))
        .sum();
    assert_eq!(writes, 0, "Observe never writes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn family_with_foreign_revisions_needs_adopt() {
    let mut bed = Bed::start().await;
    // Someone registered `nginx` by hand, without our tags.
    bed.aws
        .register_task_definition()
        .family("nginx")
        .container_definitions(
            aws_sdk_ecs::types::ContainerDefinition::builder().name("x").image("busybox").memory(128).build(),
        )
        .send()
        .await
        .expect("foreign revision");
    bed.start_operator().await;
    bed.apply::<TaskDefinition>(NGINX).await;
    let (_, reason, message) = bed
        .eventually("conflict reported", || async {
            let td = api(&bed).get("nginx").await.ok()?;
            condition(&td, "Synced").filter(|c| c.0 == "False")
        })
        .await;
    assert_eq!(reason, "Terminal");
    assert!(message.contains("Conflict") && message.contains("spec.adopt"), "{message}");
    assert_eq!(bed.calls("RegisterTaskDefinition"), 1, "only the foreign one");

    bed.apply::<TaskDefinition>(&NGINX.replace("  tags: {team: web}", "  tags: {team: web}\n  adopt: true")).await;
    let td = ready(&bed, "nginx").await;
    assert_eq!(td.status.and_then(|s| s.revision), Some(2), "registered next to the foreign revision");
    let foreign = bed.aws.describe_task_definition().task_definition("nginx:1").send().await.expect("describe");
    assert_eq!(
        foreign.task_definition.and_then(|t| t.status).map(|s| s.as_str().to_owned()).as_deref(),
        Some("ACTIVE"),
        "never deregistered"
    );
}

/// A new spec ECS refuses: Synced=False/Terminal, and Ready=False (the revision in ECS no
/// longer matches the spec), with the old revision still named in status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_spec_change_is_terminal_and_not_ready() {
    let mut bed = Bed::start().await;
    bed.start_operator().await;
    bed.apply::<TaskDefinition>(NGINX).await;
    ready(&bed, "nginx").await;
    bed.sim.set_fault(ecs_sim::FaultSpec::error("RegisterTaskDefinition", "ClientException", 400));
    bed.apply::<TaskDefinition>(&with_image("public.ecr.aws/nginx/nginx:1.28")).await;
    let td = bed
        .eventually("Synced=False/Terminal", || async {
            let td = api(&bed).get("nginx").await.ok()?;
            condition(&td, "Synced").filter(|c| c.0 == "False" && c.1 == "Terminal").map(|_| td)
        })
        .await;
    let ready = condition(&td, "Ready").expect("Ready");
    assert_eq!(ready.0, "False", "the spec is not what ECS has: {ready:?}");
    assert_eq!(td.status.as_ref().and_then(|s| s.revision), Some(1), "the last registered revision stays named");
}
