//! kstatus conformance: sigs.k8s.io/cli-utils' kstatus rules (what Flux's `wait: true`, kpt
//! and `kubectl wait`-style tools compute) implemented here as cli-utils documents and codes
//! them, and run over statuses the operator writes in real runs: creating, rolling out, Ready,
//! rolled back, Terminal, deleting, and an ECSTask that succeeds or fails.
//!
//! The rules, in order (pkg/kstatus/status: `Compute` and `checkGenericProperties`):
//! 1. `metadata.deletionTimestamp` set: Terminating.
//! 2. `status.observedGeneration` present and not `metadata.generation`: InProgress.
//! 3. a `Reconciling` condition True: InProgress; a `Stalled` condition True: Failed.
//! 4. a custom resource with neither: Current.

use std::time::Duration;

use ecs_operator::crd::task::TaskPhase;
use ecs_operator::crd::{ECSCluster, ECSService, ECSTask, TaskDefinition};
use kube::api::{Api, DeleteParams};
use serde_json::Value;

use crate::support::{Bed, NS};
use crate::tasks;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KStatus {
    InProgress,
    Current,
    Failed,
    Terminating,
}

/// kstatus's verdict on `object` (any object, as JSON).
pub fn compute(object: &Value) -> KStatus {
    if object.pointer("/metadata/deletionTimestamp").and_then(Value::as_str).is_some_and(|t| !t.is_empty()) {
        return KStatus::Terminating;
    }
    let generation = object.pointer("/metadata/generation").and_then(Value::as_i64);
    let observed = object.pointer("/status/observedGeneration").and_then(Value::as_i64);
    if let (Some(generation), Some(observed)) = (generation, observed)
        && generation != observed
    {
        return KStatus::InProgress;
    }
    let conditions = object.pointer("/status/conditions").and_then(Value::as_array).cloned().unwrap_or_default();
    for condition in &conditions {
        let is = |type_: &str| condition["type"] == type_ && condition["status"] == "True";
        if is("Reconciling") {
            return KStatus::InProgress;
        }
        if is("Stalled") {
            return KStatus::Failed;
        }
    }
    KStatus::Current
}

/// kstatus's verdict on a typed object.
pub fn of<K: serde::Serialize>(object: &K) -> KStatus {
    compute(&serde_json::to_value(object).expect("object as JSON"))
}

#[test]
fn the_rules_in_order() {
    let object = |meta: Value, status: Value| serde_json::json!({"metadata": meta, "status": status});
    let ready = serde_json::json!({"observedGeneration": 2, "conditions": [
        {"type": "Ready", "status": "True"}, {"type": "Reconciling", "status": "False"}, {"type": "Stalled", "status": "False"}]});
    assert_eq!(compute(&object(serde_json::json!({"generation": 2}), ready.clone())), KStatus::Current);
    assert_eq!(compute(&object(serde_json::json!({"generation": 3}), ready.clone())), KStatus::InProgress);
    let deleting = serde_json::json!({"generation": 2, "deletionTimestamp": "2026-01-01T00:00:00Z"});
    assert_eq!(compute(&object(deleting, ready)), KStatus::Terminating);
    let stalled = serde_json::json!({"conditions": [{"type": "Stalled", "status": "True"}]});
    assert_eq!(compute(&object(serde_json::json!({}), stalled)), KStatus::Failed);
    // A custom resource that says nothing is Current: why every kind must say Reconciling.
    let silent = serde_json::json!({"conditions": [{"type": "Ready", "status": "False"}]});
    assert_eq!(compute(&object(serde_json::json!({}), silent)), KStatus::Current);
}

const TD: &str = crate::service::TD;

const SVC: &str = crate::service::SVC;

/// Every status the service goes through until `done` says it is there, with kstatus's verdict
/// on each (one entry per change).
async fn follow(bed: &Bed, what: &str, done: impl Fn(&ECSService) -> bool) -> Vec<(KStatus, String)> {
    let api: Api<ECSService> = Api::namespaced(bed.client.clone(), NS);
    let mut seen: Vec<(KStatus, String)> = Vec::new();
    let deadline = tokio::time::Instant::now() + crate::support::WAIT;
    loop {
        if let Ok(svc) = api.get("web").await {
            let ready = ready_reason(&svc).map(|(status, reason)| format!("{status}/{reason}"));
            let entry = (of(&svc), ready.unwrap_or_else(|| "no status".into()));
            if seen.last() != Some(&entry) {
                seen.push(entry);
            }
            if done(&svc) {
                return seen;
            }
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}: {seen:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn ready_reason(svc: &ECSService) -> Option<(String, String)> {
    let conditions = svc.status.as_ref()?.common.conditions.as_ref()?;
    conditions.iter().find(|c| c.type_ == "Ready").map(|c| (c.status.clone(), c.reason.clone()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuses_from_a_service_s_life_read_as_kstatus_expects() {
    let bed = Bed::with_prod_cluster(Default::default()).await;
    bed.apply::<TaskDefinition>(TD).await;
    bed.apply::<ECSService>(SVC).await;
    // Creating and rolling out: InProgress until Ready, then Current.
    let life = follow(&bed, "web Ready", |svc| ready_reason(svc).is_some_and(|r| r.0 == "True")).await;
    let (last, earlier) = life.split_last().expect("statuses seen");
    assert_eq!(last.0, KStatus::Current, "{life:?}");
    let written: Vec<_> = earlier.iter().filter(|(_, ready)| ready != "no status").collect();
    assert!(!written.is_empty(), "a status before Ready: {life:?}");
    assert!(written.iter().all(|(k, _)| *k == KStatus::InProgress), "creating and rolling out: {life:?}");
    let td: TaskDefinition = Api::namespaced(bed.client.clone(), NS).get("web").await.expect("td");
    assert_eq!(of(&td), KStatus::Current);

    // Rolled back by the circuit breaker: Failed (it cannot get there without a change).
    bed.sim.set_task_failure_pattern("broken").expect("failure pattern");
    bed.apply::<TaskDefinition>(&TD.replace("nginx:1", "nginx:broken")).await;
    let life = follow(&bed, "web rolled back", |svc| {
        ready_reason(svc).is_some_and(|r| r.1 == "RolledBack") && of(svc) == KStatus::Failed
    })
    .await;
    assert!(life.iter().any(|(k, _)| *k == KStatus::InProgress), "the rollout before the rollback: {life:?}");

    // Deleting: Terminating while the service drains.
    let api: Api<ECSService> = Api::namespaced(bed.client.clone(), NS);
    api.delete("web", &DeleteParams::default()).await.expect("delete");
    let deleting = api.get("web").await.expect("still there while it drains");
    assert_eq!(of(&deleting), KStatus::Terminating);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminal_errors_and_observe_mode_read_as_kstatus_expects() {
    let bed = Bed::with_prod_cluster(Default::default()).await;
    // Terminal: an ECS cluster someone else made, not to be taken over without adopt.
    bed.aws.create_cluster().cluster_name("theirs").send().await.expect("cluster");
    let cluster = "apiVersion: ecs.operator.dev/v1alpha1\nkind: ECSCluster\nmetadata: {name: theirs}\nspec: {}\n";
    bed.apply::<ECSCluster>(cluster).await;
    let api: Api<ECSCluster> = Api::namespaced(bed.client.clone(), NS);
    let refused = bed
        .eventually("Conflict", || async { api.get("theirs").await.ok().filter(|c| of(c) == KStatus::Failed) })
        .await;
    let stalled = refused.status.as_ref().and_then(|s| s.common.conditions.clone()).unwrap_or_default();
    let stalled = stalled.iter().find(|c| c.type_ == "Stalled").expect("Stalled");
    assert_eq!(stalled.reason, "Terminal", "{stalled:?}");
    // Observe mode over what exists: Current; adopting it: Current once tagged.
    let observed = "apiVersion: ecs.operator.dev/v1alpha1\nkind: ECSCluster\nmetadata: {name: theirs}\n\
                    spec: {managementPolicy: Observe}\n";
    bed.apply::<ECSCluster>(observed).await;
    bed.eventually("Observe is Current", || async {
        api.get("theirs").await.ok().filter(|c| of(c) == KStatus::Current)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_that_succeeds_is_current_and_one_that_fails_is_failed() {
    let bed = Bed::with_prod_cluster(Default::default()).await;
    let api: Api<ECSTask> = Api::namespaced(bed.client.clone(), NS);
    for (image, exit, name, want) in [("job:ok", 0, "ok", KStatus::Current), ("job:bad", 3, "bad", KStatus::Failed)] {
        bed.sim.set_task_outcomes(image, vec![ecs_sim::TaskOutcome::exit(exit, 1)]).expect("outcome");
        bed.apply::<TaskDefinition>(&tasks::MIGRATE_TD.replace(tasks::IMAGE, image)).await;
        bed.eventually("job registered", || async {
            let td: TaskDefinition = Api::namespaced(bed.client.clone(), NS).get("migrate").await.ok()?;
            (of(&td) == KStatus::Current && td.status.as_ref()?.revision.is_some()).then_some(())
        })
        .await;
        bed.apply::<ECSTask>(&tasks::task(name, "  backoffLimit: 0\n")).await;
        let mut seen = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            // Before the first status, kstatus reads a custom resource as Current (it has
            // nothing else to go by); the operator's first reconcile writes one at once.
            if let Ok(task) = api.get(name).await
                && task.status.is_some()
            {
                let verdict = of(&task);
                if seen.last() != Some(&verdict) {
                    seen.push(verdict);
                }
                let phase = task.status.as_ref().and_then(|s| s.phase);
                if matches!(phase, Some(TaskPhase::Succeeded | TaskPhase::Failed)) {
                    break;
                }
            }
            assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {name}: {seen:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(seen.last(), Some(&want), "{name}: {seen:?}");
        assert!(seen[..seen.len() - 1].iter().all(|k| *k == KStatus::InProgress), "{name}: {seen:?}");
    }
}
