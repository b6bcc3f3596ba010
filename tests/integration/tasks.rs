//! ECSTask end to end (kube-sim, ecs-sim at 50×, the controllers): a run that succeeds and is
//! waited for with `kubectl wait`; one that fails twice and then succeeds under
//! `backoffLimit: 2`; one stopped at its deadline; a start whose status write never happened
//! (the operator stopped right after RunTask) followed by a restart, with exactly one task
//! started; a running task stopped by deleting its object; ttlSecondsAfterFinished; and an
//! override naming no container, refused before any RunTask.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::support::{Bed, NS};
use ecs_operator::crd::task::{ECSTask, TaskPhase};
use ecs_operator::crd::{ECSTaskStatus, TaskDefinition};
use ecs_sim::TaskOutcome;
use kube::api::{Api, DeleteParams, Patch, PatchParams};

pub(crate) const IMAGE: &str = "registry.example.com/shop/migrate:v42";

pub(crate) const MIGRATE_TD: &str = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: TaskDefinition
metadata:
  name: migrate
spec:
  requiresCompatibilities: [FARGATE]
  networkMode: awsvpc
  cpu: "256"
  memory: "512"
  containerDefinitions:
    - name: migrate
      image: registry.example.com/shop/migrate:v42
      command: [bin/rails, db:migrate]
"#;

/// An ECSTask `name` running the `migrate` TaskDefinition on cluster `prod`, with `extra`
/// spec lines (indented by two spaces).
pub(crate) fn task(name: &str, extra: &str) -> String {
    format!(
        r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: ECSTask
metadata:
  name: {name}
spec:
  cluster: prod
  taskDefinitionRef: {{name: migrate}}
  launchType: FARGATE
  networkConfiguration:
    awsvpcConfiguration:
      subnets: [subnet-0123456789abcdef0]
{extra}"#
    )
}

async fn bed() -> Bed {
    let mut sim = ecs_sim::SimConfig::for_tests();
    sim.clock = ecs_sim::ClockMode::Scaled { speed: 50.0 };
    let mut bed = Bed::start_with(sim).await;
    bed.aws.create_cluster().cluster_name("prod").send().await.expect("cluster");
    bed.start_operator_with(config()).await;
    bed.apply::<TaskDefinition>(MIGRATE_TD).await;
    bed
}

fn config() -> ecs_operator::controller::Config {
    let mut config = Bed::operator_config();
    config.rollout_poll_interval = Duration::from_millis(200);
    config.task_retry_base = Duration::from_millis(300);
    config
}

fn api(bed: &Bed) -> Api<ECSTask> {
    Api::namespaced(bed.client.clone(), NS)
}

fn condition(status: &ECSTaskStatus, type_: &str) -> Option<(String, String, String)> {
    let c = status.common.conditions.as_ref()?.iter().find(|c| c.type_ == type_)?;
    Some((c.status.clone(), c.reason.clone(), c.message.clone()))
}

/// The status once the run reached `phase`.
async fn phase(bed: &Bed, name: &str, phase: TaskPhase) -> ECSTaskStatus {
    bed.eventually_within(&format!("{name} {phase:?}"), Duration::from_secs(60), || async {
        let status = api(bed).get(name).await.ok()?.status?;
        (status.phase == Some(phase)).then_some(status)
    })
    .await
}

fn script(bed: &Bed, exits: &[(i32, u64)]) {
    let outcomes = exits.iter().map(|(code, secs)| TaskOutcome::exit(*code, *secs)).collect();
    bed.sim.set_task_outcomes(IMAGE, outcomes).expect("script");
}

fn kubeconfig(bed: &Bed, name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("ecs-operator-tasks-{}-{name}.kubeconfig", std::process::id()));
    bed.kube_sim().write_kubeconfig(&path).expect("kubeconfig");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_succeeds_is_complete_and_kubectl_wait_sees_it() {
    let bed = bed().await;
    script(&bed, &[(0, 20)]);
    bed.apply::<ECSTask>(&task("migrate-1", "")).await;
    let running = phase(&bed, "migrate-1", TaskPhase::Running).await;
    assert_eq!(condition(&running, "Complete").map(|c| c.0).as_deref(), Some("False"));
    assert_eq!(condition(&running, "Ready").map(|c| c.0).as_deref(), Some("False"));
    let config = kubeconfig(&bed, "wait");
    let wait = tokio::task::spawn_blocking(move || {
        Command::new("kubectl")
            .args(["--kubeconfig", config.to_str().unwrap_or_default(), "-n", NS])
            .args(["wait", "--for=condition=Complete", "ecstask/migrate-1", "--timeout=60s"])
            .output()
            .expect("kubectl")
    });
    let out = wait.await.expect("kubectl wait");
    assert!(out.status.success(), "kubectl wait: {}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("condition met"));
    let done = phase(&bed, "migrate-1", TaskPhase::Succeeded).await;
    assert_eq!(done.exit_codes.as_deref(), Some("0"));
    assert_eq!(done.attempt, Some(1));
    assert_eq!(done.task_definition.as_deref(), Some("migrate:1"));
    let tasks = done.tasks.expect("tasks");
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].containers[0].exit_code, Some(0));
    assert!(tasks[0].started_at.is_some() && tasks[0].stopped_at.is_some() && done.completion_time.is_some());
    for (type_, want) in [("Ready", "True"), ("Complete", "True"), ("Failed", "False"), ("Stalled", "False")] {
        assert_eq!(condition(&done_status(&bed, "migrate-1").await, type_).map(|c| c.0).as_deref(), Some(want));
    }
    let counts = bed.sim.run_task_counts();
    assert_eq!(counts.tasks_started, 1);
    // Done: nothing more is started, and the object stays (no ttl).
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(bed.sim.run_task_counts().tasks_started, 1);
    assert!(api(&bed).get_opt("migrate-1").await.expect("get").is_some());

    // What runs is fixed, as a Job's template is: a changed run is refused with what to do.
    let patch = |spec: serde_json::Value| {
        let api = api(&bed);
        async move {
            api.patch("migrate-1", &PatchParams::default(), &Patch::Merge(serde_json::json!({"spec": spec}))).await
        }
    };
    let refused = patch(serde_json::json!({"count": 2})).await.expect_err("a changed run is refused");
    let kube::Error::Api(refusal) = refused else { panic!("{refused:?}") };
    assert_eq!(refusal.code, 422);
    assert!(refusal.message.contains("create a new ECSTask"), "{}", refusal.message);
    patch(serde_json::json!({"ttlSecondsAfterFinished": 3600, "backoffLimit": 1})).await.expect("limits may change");
}

async fn done_status(bed: &Bed, name: &str) -> ECSTaskStatus {
    api(bed).get(name).await.expect("get").status.expect("status")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_attempts_are_retried_up_to_the_backoff_limit() {
    let bed = bed().await;
    script(&bed, &[(1, 5), (1, 5), (0, 5)]);
    bed.apply::<ECSTask>(&task("migrate-2", "  backoffLimit: 2\n")).await;
    let done = phase(&bed, "migrate-2", TaskPhase::Succeeded).await;
    assert_eq!((done.attempt, done.failed), (Some(3), Some(2)));
    assert_eq!(bed.sim.run_task_counts().tasks_started, 3);
    let uid = api(&bed).get("migrate-2").await.expect("get").metadata.uid.expect("uid");
    let by = bed.sim.run_task_counts().by_started_by;
    for attempt in 1..=3 {
        assert_eq!(by.get(&format!("ecs-operator/{uid}/{attempt}")), Some(&1), "attempt {attempt}: {by:?}");
    }

    // The same script with one retry fewer: the run fails, for good.
    script(&bed, &[(1, 5), (1, 5), (0, 5)]);
    bed.apply::<ECSTask>(&task("migrate-3", "  backoffLimit: 1\n")).await;
    let failed = phase(&bed, "migrate-3", TaskPhase::Failed).await;
    assert_eq!((failed.attempt, failed.failed), (Some(2), Some(2)));
    assert_eq!(failed.exit_codes.as_deref(), Some("1"));
    let (status, reason, message) = condition(&failed, "Failed").expect("Failed");
    assert_eq!((status.as_str(), reason.as_str()), ("True", "BackoffLimitExceeded"));
    assert!(message.contains("\"migrate\" exited with code 1"), "{message}");
    assert_eq!(condition(&failed, "Complete").map(|c| c.0).as_deref(), Some("False"));
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(bed.sim.run_task_counts().tasks_started, 5, "a failed run starts nothing more");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_past_its_deadline_is_stopped_and_failed() {
    let bed = bed().await;
    script(&bed, &[(0, 3600)]);
    bed.apply::<ECSTask>(&task("migrate-4", "  activeDeadlineSeconds: 3\n  backoffLimit: 0\n")).await;
    let failed = phase(&bed, "migrate-4", TaskPhase::Failed).await;
    let (status, reason, _) = condition(&failed, "Failed").expect("Failed");
    assert_eq!((status.as_str(), reason.as_str()), ("True", "DeadlineExceeded"));
    let arn = failed.tasks.as_ref().and_then(|t| t.first()).map(|t| t.task_arn.clone()).expect("task");
    let described = bed.aws.describe_tasks().cluster("prod").tasks(&arn).send().await.expect("describe");
    let task = &described.tasks()[0];
    assert_eq!(task.desired_status(), Some("STOPPED"));
    assert_eq!(task.stop_code().map(|c| c.as_str()), Some("UserInitiated"));
    assert_eq!(task.stopped_reason(), Some("ecs-operator: activeDeadlineSeconds passed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_whose_status_write_was_lost_is_followed_not_repeated() {
    let mut bed = bed().await;
    script(&bed, &[(0, 30)]);
    // The status write after RunTask fails, as if the operator stopped right after the call.
    bed.kube_sim().refuse("patch", "ecstasks", "status", 503);
    bed.apply::<ECSTask>(&task("migrate-5", "")).await;
    bed.eventually("RunTask made", || async { (bed.sim.run_task_counts().tasks_started > 0).then_some(()) }).await;
    bed.stop_operator().await;
    bed.kube_sim().clear_refusals();
    assert!(api(&bed).get("migrate-5").await.expect("get").status.and_then(|s| s.tasks).is_none());
    bed.start_operator_with(config()).await;
    let done = phase(&bed, "migrate-5", TaskPhase::Succeeded).await;
    assert_eq!(done.attempt, Some(1));
    let counts = bed.sim.run_task_counts();
    assert_eq!(counts.tasks_started, 1, "exactly one task was started: {counts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_running_task_stops_it_and_a_finished_one_goes_after_its_ttl() {
    let bed = bed().await;
    script(&bed, &[(0, 3600)]);
    bed.apply::<ECSTask>(&task("migrate-6", "")).await;
    let running = bed
        .eventually("the task RUNNING", || async {
            let status = api(&bed).get("migrate-6").await.ok()?.status?;
            let task = status.tasks?.into_iter().next()?;
            (task.last_status.as_deref() == Some("RUNNING")).then_some(task.task_arn)
        })
        .await;
    api(&bed).delete("migrate-6", &DeleteParams::default()).await.expect("delete");
    bed.eventually("object gone", || async { api(&bed).get_opt("migrate-6").await.ok()?.is_none().then_some(()) })
        .await;
    let described = bed.aws.describe_tasks().cluster("prod").tasks(&running).send().await.expect("describe");
    assert_eq!(described.tasks()[0].desired_status(), Some("STOPPED"));
    assert_eq!(described.tasks()[0].stopped_reason(), Some("ecs-operator: the ECSTask was deleted"));

    script(&bed, &[(0, 5)]);
    bed.apply::<ECSTask>(&task("migrate-7", "  ttlSecondsAfterFinished: 1\n")).await;
    phase(&bed, "migrate-7", TaskPhase::Succeeded).await;
    bed.eventually("deleted after its ttl", || async {
        api(&bed).get_opt("migrate-7").await.ok()?.is_none().then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_override_naming_no_container_is_refused_before_any_run() {
    let bed = bed().await;
    let extra = "  overrides:\n    containerOverrides:\n      - {name: web, command: [\"true\"]}\n";
    bed.apply::<ECSTask>(&task("migrate-8", extra)).await;
    let status = bed
        .eventually("Synced=False Terminal", || async {
            let status = api(&bed).get("migrate-8").await.ok()?.status?;
            (condition(&status, "Synced")?.1 == "Terminal").then_some(status)
        })
        .await;
    let (_, _, message) = condition(&status, "Synced").expect("Synced");
    assert!(
        message.contains("spec.overrides.containerOverrides[0].name") && message.contains("its containers: migrate"),
        "{message}"
    );
    assert_eq!(status.phase, Some(TaskPhase::Pending));
    assert_eq!(condition(&status, "Stalled").map(|c| c.0).as_deref(), Some("True"));
    assert_eq!(bed.calls("RunTask"), 0);
}
