//! Builds an ECSTask's status from where its reconcile got to (pure: the clock is passed in).
//!
//! Conditions, as a Job's and as kstatus reads them:
//! - `Complete` True only when the run succeeded; `Failed` True only when it failed (attempts
//!   exhausted, deadline passed); `Ready` is True exactly when `Complete` is.
//! - `Progressing` and `Reconciling` True while the run is pending or running.
//! - `Degraded` and `Stalled` True when the run failed, or cannot start until something
//!   changes (a Terminal error, rechecked now and then).
//! - `Synced` as every kind reports it.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::controller::conditions::{self, ConditionSpec, DEGRADED, PROGRESSING, READY, RECONCILING, STALLED};
use crate::controller::error::Error;
use crate::controller::references::{Waiting, family_revision};
use crate::crd::task::{ECSTaskStatus, TaskPhase, TaskRecord};

pub const COMPLETE: &str = "Complete";
pub const FAILED: &str = "Failed";

/// The reason of a run that used up its retries.
pub const BACKOFF_LIMIT_EXCEEDED: &str = "BackoffLimitExceeded";
/// The reason of a run stopped at its deadline.
pub const DEADLINE_EXCEEDED: &str = "DeadlineExceeded";

/// Where an attempt was started: what the status records of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Started {
    pub attempt: i32,
    pub cluster: String,
    pub task_definition_arn: String,
    pub essential: Vec<String>,
    pub tasks: Vec<TaskRecord>,
    /// Found by the attempt's `startedBy` rather than started now.
    pub recovered: bool,
}

/// Where the reconcile got to.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    /// Not started: a reference is not there yet.
    Waiting(Waiting),
    /// Attempt `attempt` starts at `until`.
    BackOff {
        attempt: i32,
        until: Time,
    },
    /// An attempt's tasks were started now (or found, started before a restart).
    Started(Started),
    /// The attempt's tasks as ECS describes them now.
    Following(Vec<TaskRecord>),
    Succeeded(Vec<TaskRecord>),
    /// The attempt failed: retried, or the run's last (`last`: BackoffLimitExceeded).
    AttemptFailed {
        tasks: Vec<TaskRecord>,
        why: String,
        last: bool,
    },
    /// The run failed without another failed attempt: `reason` is DeadlineExceeded, or
    /// BackoffLimitExceeded when the limit was lowered below the failures so far.
    RunFailed {
        tasks: Vec<TaskRecord>,
        reason: &'static str,
        why: String,
    },
    /// The run is over and nothing changes.
    Finished,
}

pub fn build(
    previous: Option<&ECSTaskStatus>,
    generation: Option<i64>,
    outcome: Result<&Stage, &Error>,
    spec_hash: &str,
    now: &Time,
) -> ECSTaskStatus {
    let mut status = previous.cloned().unwrap_or_default();
    if let Ok(stage) = outcome {
        apply_stage(&mut status, stage, now);
    }
    if status.phase.is_none() {
        status.phase = Some(TaskPhase::Pending);
    }
    if status.spec_hash.is_none() || status.attempt.is_none() {
        status.spec_hash = Some(spec_hash.to_owned());
    }
    let specs = condition_specs(&status, outcome);
    let old = status.common.conditions.clone().unwrap_or_default();
    status.common.conditions = Some(conditions::build(&old, &specs, generation, now));
    status.common.observed_generation = generation;
    status
}

fn apply_stage(status: &mut ECSTaskStatus, stage: &Stage, now: &Time) {
    match stage {
        Stage::Waiting(w) => set_message(status, TaskPhase::Pending, "Waiting", &w.why),
        Stage::BackOff { attempt, until } => {
            let last = status.last_failure.clone().unwrap_or_else(|| "no reason recorded".into());
            let why = format!("attempt {} failed ({last}); attempt {attempt} starts at {}", attempt - 1, until.0);
            status.phase = Some(TaskPhase::Pending);
            status.reason = Some("BackOff".into());
            status.message = Some(why);
        }
        Stage::Started(started) => {
            status.phase = Some(TaskPhase::Running);
            status.attempt = Some(started.attempt);
            status.cluster = Some(started.cluster.clone());
            status.task_definition_arn = Some(started.task_definition_arn.clone());
            status.task_definition = Some(family_revision(&started.task_definition_arn));
            status.essential_containers = Some(started.essential.clone());
            status.start_time.get_or_insert_with(|| now.clone());
            status.attempt_start_time = Some(now.clone());
            status.reason = None;
            status.message = None;
            set_tasks(status, &started.tasks);
        }
        Stage::Following(tasks) => {
            status.phase = Some(TaskPhase::Running);
            set_tasks(status, tasks);
        }
        Stage::Succeeded(tasks) => {
            set_tasks(status, tasks);
            status.phase = Some(TaskPhase::Succeeded);
            status.completion_time = Some(now.clone());
            status.reason = Some("Succeeded".into());
            status.message = Some(format!("attempt {} succeeded", status.attempt.unwrap_or(1)));
        }
        Stage::AttemptFailed { tasks, why, last } => {
            set_tasks(status, tasks);
            let failed = status.failed.unwrap_or(0) + 1;
            status.failed = Some(failed);
            status.attempt = Some(failed);
            status.start_time.get_or_insert_with(|| now.clone());
            status.last_failure_time = Some(now.clone());
            status.last_failure = Some(why.clone());
            if *last {
                status.completion_time = Some(now.clone());
                let why = format!("attempt {failed} failed and no retries are left (backoffLimit): {why}");
                set_message(status, TaskPhase::Failed, BACKOFF_LIMIT_EXCEEDED, &why);
            } else {
                set_message(status, TaskPhase::Pending, "AttemptFailed", why);
            }
        }
        Stage::RunFailed { tasks, reason, why } => {
            set_tasks(status, tasks);
            status.completion_time = Some(now.clone());
            set_message(status, TaskPhase::Failed, reason, why);
        }
        Stage::Finished => {}
    }
}

fn set_message(status: &mut ECSTaskStatus, phase: TaskPhase, reason: &str, message: &str) {
    status.phase = Some(phase);
    status.reason = Some(reason.to_owned());
    status.message = Some(message.to_owned());
}

/// The tasks, and the summary `kubectl get` shows: the essential containers' exit codes and
/// the first stopped task's reason.
fn set_tasks(status: &mut ECSTaskStatus, tasks: &[TaskRecord]) {
    let essential = status.essential_containers.clone().unwrap_or_default();
    let codes: Vec<String> = tasks
        .iter()
        .flat_map(|t| t.containers.iter())
        .filter(|c| essential.is_empty() || essential.contains(&c.name))
        .filter_map(|c| c.exit_code.map(|code| code.to_string()))
        .collect();
    status.exit_codes = (!codes.is_empty()).then(|| codes.join(","));
    status.stopped_reason = tasks.iter().find_map(|t| t.stopped_reason.clone());
    status.tasks = Some(tasks.to_vec());
}

fn condition_specs(status: &ECSTaskStatus, outcome: Result<&Stage, &Error>) -> Vec<ConditionSpec> {
    let error = outcome.err();
    let synced = conditions::synced(error, false);
    let reason = status.reason.clone().unwrap_or_else(|| "Pending".into());
    let message = status.message.clone().unwrap_or_default();
    let phase = status.phase.unwrap_or_default();
    let stuck = error.filter(|e| e.class() == crate::aws::error::ErrorClass::Terminal && phase == TaskPhase::Pending);
    let on = |type_, r: &str, m: &str| ConditionSpec::new(type_, true, r, m);
    let off = |type_, r: &str| ConditionSpec::new(type_, false, r, "");
    match (phase, stuck) {
        (TaskPhase::Succeeded, _) => vec![
            on(READY, "Succeeded", &message),
            synced,
            off(PROGRESSING, "Succeeded"),
            off(DEGRADED, "Healthy"),
            on(COMPLETE, "Succeeded", &message),
            off(FAILED, "Succeeded"),
            off(RECONCILING, "Succeeded"),
            off(STALLED, "Succeeded"),
        ],
        (TaskPhase::Failed, _) => vec![
            ConditionSpec::new(READY, false, reason.clone(), message.clone()),
            synced,
            off(PROGRESSING, &reason),
            on(DEGRADED, &reason, &message),
            off(COMPLETE, &reason),
            on(FAILED, &reason, &message),
            off(RECONCILING, &reason),
            on(STALLED, &reason, &message),
        ],
        (_, Some(err)) => {
            let why = format!("{}: {err}", err.reason());
            vec![
                ConditionSpec::new(READY, false, err.reason(), why.clone()),
                synced,
                off(PROGRESSING, err.reason()),
                on(DEGRADED, err.reason(), &why),
                off(COMPLETE, err.reason()),
                off(FAILED, err.reason()),
                off(RECONCILING, err.reason()),
                on(STALLED, err.reason(), &why),
            ]
        }
        (TaskPhase::Pending | TaskPhase::Running, None) => {
            let (reason, message) = match phase {
                TaskPhase::Running => ("Running".to_owned(), running_message(status)),
                _ => (reason, message),
            };
            vec![
                ConditionSpec::new(READY, false, reason.clone(), message.clone()),
                synced,
                on(PROGRESSING, &reason, &message),
                off(DEGRADED, "Healthy"),
                off(COMPLETE, &reason),
                off(FAILED, &reason),
                on(RECONCILING, &reason, &message),
                off(STALLED, &reason),
            ]
        }
    }
}

fn running_message(status: &ECSTaskStatus) -> String {
    let tasks = status.tasks.as_deref().unwrap_or_default();
    let states: Vec<&str> = tasks.iter().map(|t| t.last_status.as_deref().unwrap_or("UNKNOWN")).collect();
    format!(
        "attempt {}: {} task(s) of {} ({})",
        status.attempt.unwrap_or(1),
        tasks.len(),
        status.task_definition.as_deref().unwrap_or("the task definition"),
        states.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controller::outcome::condition;
    use crate::crd::task::ContainerRecord;

    fn t(s: &str) -> Time {
        Time(s.parse().unwrap_or_else(|e| panic!("time {s}: {e}")))
    }

    fn task(last: &str, exit: Option<i32>) -> TaskRecord {
        TaskRecord {
            task_arn: "arn:aws:ecs:us-east-1:1:task/apps/abc".into(),
            last_status: Some(last.into()),
            containers: vec![ContainerRecord { name: "migrate".into(), exit_code: exit, ..Default::default() }],
            ..Default::default()
        }
    }

    fn started() -> Stage {
        Stage::Started(Started {
            attempt: 1,
            cluster: "apps".into(),
            task_definition_arn: "arn:aws:ecs:us-east-1:1:task-definition/migrate:3".into(),
            essential: vec!["migrate".into()],
            tasks: vec![task("PROVISIONING", None)],
            recovered: false,
        })
    }

    #[test]
    fn a_run_is_complete_and_ready_only_when_it_succeeded() {
        let now = t("2026-01-01T00:00:00Z");
        let s = build(None, Some(1), Ok(&started()), "h", &now);
        assert_eq!(s.phase, Some(TaskPhase::Running));
        assert_eq!(s.task_definition.as_deref(), Some("migrate:3"));
        assert_eq!(s.start_time, Some(now.clone()));
        assert_eq!(condition(&s, READY), ("False", "Running"));
        assert_eq!(condition(&s, COMPLETE), ("False", "Running"));
        assert_eq!((condition(&s, RECONCILING).0, condition(&s, STALLED).0), ("True", "False"));
        let later = t("2026-01-01T00:01:00Z");
        let s = build(Some(&s), Some(1), Ok(&Stage::Succeeded(vec![task("STOPPED", Some(0))])), "h", &later);
        assert_eq!((s.phase, s.exit_codes.as_deref()), (Some(TaskPhase::Succeeded), Some("0")));
        assert_eq!(s.completion_time, Some(later.clone()));
        assert_eq!(s.start_time, Some(now), "the first start is kept");
        for (type_, want) in [(READY, "True"), (COMPLETE, "True"), (FAILED, "False"), (RECONCILING, "False")] {
            assert_eq!(condition(&s, type_).0, want, "{type_}");
        }
    }

    #[test]
    fn failures_count_and_a_spent_run_is_failed_and_stalled() {
        let now = t("2026-01-01T00:00:00Z");
        let s = build(None, Some(1), Ok(&started()), "h", &now);
        let failed = Stage::AttemptFailed { tasks: vec![task("STOPPED", Some(1))], why: "exit 1".into(), last: false };
        let s = build(Some(&s), Some(1), Ok(&failed), "h", &now);
        assert_eq!((s.phase, s.failed, s.exit_codes.as_deref()), (Some(TaskPhase::Pending), Some(1), Some("1")));
        assert_eq!(condition(&s, FAILED), ("False", "AttemptFailed"));
        assert_eq!(condition(&s, PROGRESSING), ("True", "AttemptFailed"));
        let backoff = Stage::BackOff { attempt: 2, until: t("2026-01-01T00:00:10Z") };
        let waiting = build(Some(&s), Some(1), Ok(&backoff), "h", &now);
        let again = build(Some(&waiting), Some(1), Ok(&backoff), "h", &now);
        assert_eq!(
            again.message.as_deref(),
            Some("attempt 1 failed (exit 1); attempt 2 starts at 2026-01-01T00:00:10Z"),
            "the wait names the last failure once"
        );
        assert!(!conditions::status_changed(Some(&waiting), &again));
        let spent = Stage::AttemptFailed { tasks: vec![task("STOPPED", Some(1))], why: "x".into(), last: true };
        let s = build(Some(&s), Some(1), Ok(&spent), "h", &now);
        assert_eq!((s.phase, s.failed), (Some(TaskPhase::Failed), Some(2)));
        for type_ in [FAILED, DEGRADED, STALLED] {
            assert_eq!(condition(&s, type_), ("True", BACKOFF_LIMIT_EXCEEDED), "{type_}");
        }
        assert_eq!(condition(&s, READY), ("False", BACKOFF_LIMIT_EXCEEDED));
        // A finished run keeps its verdict through later errors.
        let err = Error::Waiting("x".into());
        let again = build(Some(&s), Some(1), Err(&err), "h", &now);
        assert_eq!(condition(&again, FAILED), ("True", BACKOFF_LIMIT_EXCEEDED));
    }

    #[test]
    fn a_run_that_cannot_start_is_stalled_but_not_failed() {
        let err = Error::InvalidSpec("spec.overrides.containerOverrides[x]: no such container".into());
        let s = build(None, Some(1), Err(&err), "h", &t("2026-01-01T00:00:00Z"));
        assert_eq!(s.phase, Some(TaskPhase::Pending));
        assert_eq!(condition(&s, STALLED), ("True", "InvalidSpec"));
        assert_eq!(condition(&s, FAILED).0, "False");
        assert_eq!(condition(&s, "Synced"), ("False", "Terminal"));
    }
}
