//! The ECSTask controller: runs a one-off task to completion with a Job's semantics. Each
//! attempt is one RunTask (`count` tasks) made idempotent by a `clientToken` and a `startedBy`
//! derived from the object's UID and the attempt, and looked for by that `startedBy` before it
//! is started, so a restart between RunTask and the status write never starts a second task.
//! A failed attempt is retried after a growing back-off until `backoffLimit` retries are spent;
//! past `activeDeadlineSeconds` the running tasks are stopped; `ttlSecondsAfterFinished` after
//! the run finished the object is deleted. Deleting the object stops what still runs.
//!
//! Pipeline: [`observe`] (the attempt's tasks) → [`plan`] (pure: the next step) → [`execute`]
//! (RunTask, StopTask) → [`status`] (pure) → status written if it changed; [`cleanup`] on
//! deletion.

pub mod cleanup;
pub mod execute;
pub mod observe;
pub mod plan;
pub mod status;
pub mod watch;

use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{DeleteParams, Preconditions};
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::{Api, Resource, ResourceExt};

use self::execute::Start;
use self::plan::{Limits, Step, next_step, retry_wait};
use self::status::{BACKOFF_LIMIT_EXCEEDED, DEADLINE_EXCEEDED, Stage, Started};
use super::context::Context;
use super::error::Error;
use super::kind::reconciler;
use super::references::{self, RevisionContent, Waiting};
use super::status::{publish, record};
use crate::aws::convert::task::RunTarget;
use crate::canonical::spec_hash;
use crate::crd::task::{ECSTask, TaskPhase, TaskRecord};

reconciler!(ECSTask, apply, cleanup::cleanup);

/// When to look at the object again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Then {
    After(Duration),
    AwaitChange,
    /// ttlSecondsAfterFinished has passed: the object goes.
    Delete,
}

async fn apply(obj: &ECSTask, ctx: &Context) -> Result<Action, Error> {
    let now = ctx.now();
    let hash = spec_hash(&obj.spec).map_err(|e| Error::InvalidSpec(format!("spec: {e}")))?;
    let result = advance(obj, ctx, &now).await;
    let stage = result.as_ref().map(|(stage, _)| stage);
    let new_status = status::build(obj.status.as_ref(), obj.meta().generation, stage, &hash, &now);
    let (stage, then) = record(ctx, obj, &new_status, result).await?;
    announce(ctx, obj, &stage).await;
    match then {
        Then::After(wait) => Ok(Action::requeue(wait.max(Duration::from_millis(100)))),
        Then::AwaitChange => Ok(Action::await_change()),
        Then::Delete => delete_object(ctx, obj).await,
    }
}

/// Observe, plan and execute: where the run got to, and when to look again.
async fn advance(obj: &ECSTask, ctx: &Context, now: &Time) -> Result<(Stage, Then), Error> {
    let status = obj.status.clone().unwrap_or_default();
    let uid = obj.uid().ok_or(Error::MissingMetadata("uid"))?;
    let limits = limits(obj, ctx);
    if let Step::Finished { expires } = next_step(&status, &[], &[], &limits, now) {
        return Ok((Stage::Finished, until(expires.as_ref(), now)));
    }
    let running = status.phase == Some(TaskPhase::Running) && status.tasks.as_ref().is_some_and(|t| !t.is_empty());
    if running {
        let tasks = observe::recorded(ctx, &status, now).await?;
        let essential = status.essential_containers.clone().unwrap_or_default();
        let step = next_step(&status, &tasks, &essential, &limits, now);
        let cluster = status.cluster.clone().unwrap_or_default();
        return settle(ctx, obj, step, tasks, &cluster, &limits, now).await;
    }
    let resolved = match resolve(obj, ctx).await? {
        Ok(resolved) => resolved,
        Err(waiting) => {
            let pace =
                if waiting.woken_by_watch { ctx.config.resync_interval } else { ctx.config.rollout_poll_interval };
            return Ok((Stage::Waiting(waiting), Then::After(pace)));
        }
    };
    let attempt = status.failed.unwrap_or(0) + 1;
    let found = observe::started_for(ctx, &resolved.target.cluster, &uid, attempt).await?;
    if !found.is_empty() {
        // Started before a restart that lost the status write: follow those tasks.
        let started = resolved.started(attempt, found);
        return Ok((Stage::Started(started), Then::After(ctx.config.rollout_poll_interval)));
    }
    match next_step(&status, &[], &resolved.essential, &limits, now) {
        Step::Start { attempt } => start(ctx, obj, resolved, &uid, attempt, &limits).await,
        step => settle(ctx, obj, step, Vec::new(), &resolved.target.cluster, &limits, now).await,
    }
}

/// Starts attempt `attempt`.
async fn start(
    ctx: &Context,
    obj: &ECSTask,
    resolved: Resolved,
    uid: &str,
    attempt: i32,
    limits: &Limits,
) -> Result<(Stage, Then), Error> {
    let target = RunTarget {
        started_by: observe::started_by(uid, attempt),
        client_token: observe::client_token(uid, attempt),
        ..resolved.target.clone()
    };
    match execute::start(ctx, obj, &target, uid, attempt).await? {
        Start::Running(tasks) => {
            Ok((Stage::Started(resolved.started(attempt, tasks)), Then::After(ctx.config.rollout_poll_interval)))
        }
        Start::NotPlaced(why) => Ok(attempt_failed(Vec::new(), why, attempt > limits.backoff_limit, ctx, attempt)),
    }
}

/// The stage a planned step (other than a start) leads to, after its AWS calls.
async fn settle(
    ctx: &Context,
    obj: &ECSTask,
    step: Step,
    tasks: Vec<TaskRecord>,
    cluster: &str,
    limits: &Limits,
    now: &Time,
) -> Result<(Stage, Then), Error> {
    let poll = ctx.config.rollout_poll_interval;
    Ok(match step {
        Step::Finished { expires } => (Stage::Finished, until(expires.as_ref(), now)),
        Step::BackOff { attempt, until: at } => {
            let wait = until(Some(&at), now);
            (Stage::BackOff { attempt, until: at }, wait)
        }
        Step::Follow { deadline } => {
            let wait = match until(deadline.as_ref(), now) {
                Then::After(d) => Then::After(d.min(poll)),
                _ => Then::After(poll),
            };
            (Stage::Following(tasks), wait)
        }
        Step::Succeeded => (Stage::Succeeded(tasks), finished_then(limits)),
        Step::AttemptFailed { why, exhausted } => {
            let attempt = obj.status.as_ref().and_then(|s| s.attempt).unwrap_or(1);
            attempt_failed(tasks, why, exhausted, ctx, attempt)
        }
        Step::DeadlineExceeded { stop } => {
            execute::stop(ctx, cluster, &stop, "ecs-operator: activeDeadlineSeconds passed").await?;
            let seconds = obj.spec.active_deadline_seconds.unwrap_or_default();
            let why = if stop.is_empty() {
                format!("activeDeadlineSeconds ({seconds} s) passed before the run succeeded")
            } else {
                format!("activeDeadlineSeconds ({seconds} s) passed: {} running task(s) stopped", stop.len())
            };
            (Stage::RunFailed { tasks, reason: DEADLINE_EXCEEDED, why }, finished_then(limits))
        }
        // A start is only planned where references are resolved (see `advance`).
        Step::Start { attempt } => {
            return Err(Error::Waiting(format!("attempt {attempt} starts once its references are resolved")));
        }
    })
}

fn attempt_failed(tasks: Vec<TaskRecord>, why: String, exhausted: bool, ctx: &Context, attempt: i32) -> (Stage, Then) {
    if exhausted {
        let why = format!("attempt {attempt} failed and no retries are left (backoffLimit): {why}");
        return (Stage::RunFailed { tasks, reason: BACKOFF_LIMIT_EXCEEDED, why }, Then::After(Duration::ZERO));
    }
    (Stage::AttemptFailed { tasks, why }, Then::After(retry_wait(ctx.config.task_retry_base, attempt)))
}

/// After the run finished: look again at its ttl, if it has one (the next reconcile computes
/// when it expires).
fn finished_then(limits: &Limits) -> Then {
    if limits.ttl_after_finished.is_some() { Then::After(Duration::ZERO) } else { Then::AwaitChange }
}

/// Wait until `at` (now or past: delete/act now); no time: wait for a change.
fn until(at: Option<&Time>, now: &Time) -> Then {
    match at {
        None => Then::AwaitChange,
        Some(at) if at.0 <= now.0 => Then::Delete,
        Some(at) => Then::After(now.0.duration_until(at.0).unsigned_abs()),
    }
}

fn limits(obj: &ECSTask, ctx: &Context) -> Limits {
    let seconds = |s: i64| Duration::from_secs(u64::try_from(s).unwrap_or(0));
    Limits {
        backoff_limit: obj.backoff_limit(),
        active_deadline: obj.spec.active_deadline_seconds.map(seconds),
        ttl_after_finished: obj.spec.ttl_seconds_after_finished.map(|s| seconds(i64::from(s))),
        retry_base: ctx.config.task_retry_base,
    }
}

/// The references resolved for a start.
struct Resolved {
    target: RunTarget,
    essential: Vec<String>,
}

impl Resolved {
    fn started(&self, attempt: i32, tasks: Vec<TaskRecord>) -> Started {
        Started {
            attempt,
            cluster: self.target.cluster.clone(),
            task_definition_arn: self.target.task_definition_arn.clone(),
            essential: self.essential.clone(),
            tasks,
        }
    }
}

/// The cluster and revision the next attempt runs, and the revision's essential containers;
/// container overrides are checked against the revision's containers.
async fn resolve(obj: &ECSTask, ctx: &Context) -> Result<Result<Resolved, Waiting>, Error> {
    let namespace = obj.namespace().ok_or(Error::MissingMetadata("namespace"))?;
    let spec = &obj.spec;
    let cluster = match references::cluster(&namespace, spec.cluster.as_ref(), spec.cluster_ref.as_ref(), ctx)? {
        Ok(cluster) => cluster,
        Err(waiting) => return Ok(Err(waiting)),
    };
    let (td, td_ref) = (spec.task_definition.as_ref(), spec.task_definition_ref.as_ref());
    let (arn, content) = match references::task_definition(&namespace, td, td_ref, |_| None, ctx).await? {
        Ok(found) => found,
        Err(waiting) => return Ok(Err(waiting)),
    };
    let content = match content {
        Some(content) => content,
        // An ARN: its containers are needed to judge the run.
        None => match ctx.ecs.describe_task_definition(&arn).await? {
            Some(d) => RevisionContent::Described(Box::new(d.task_definition)),
            None => return Ok(Err(Waiting::for_ecs(format!("waiting for task definition {arn} to exist in ECS")))),
        },
    };
    check_overrides(obj, &content, &arn)?;
    let target = RunTarget {
        cluster,
        task_definition_arn: arn,
        started_by: String::new(),
        client_token: String::new(),
        count: obj.count(),
    };
    Ok(Ok(Resolved { target, essential: content.essential_containers() }))
}

/// A container override must name a container of the revision (ECS refuses the run otherwise;
/// saying so here names the field and lists the containers).
fn check_overrides(obj: &ECSTask, content: &RevisionContent, arn: &str) -> Result<(), Error> {
    let names = content.container_names();
    let overrides = obj.spec.overrides.as_ref().and_then(|o| o.container_overrides.as_ref());
    for (i, o) in overrides.into_iter().flatten().enumerate() {
        if !names.contains(&o.name) {
            return Err(Error::InvalidSpec(format!(
                "spec.overrides.containerOverrides[{i}].name: {:?} is not a container of {} (its containers: {})",
                o.name,
                references::family_revision(arn),
                names.join(", ")
            )));
        }
    }
    Ok(())
}

/// One event per step worth telling: a start, a failed attempt, the end of the run.
async fn announce(ctx: &Context, obj: &ECSTask, stage: &Stage) {
    let (kind, reason, note) = match stage {
        Stage::Started(s) => {
            let arns: Vec<&str> = s.tasks.iter().map(|t| t.task_arn.as_str()).collect();
            let note = format!("attempt {} started {} task(s): {}", s.attempt, arns.len(), arns.join(", "));
            (EventType::Normal, "Started", note)
        }
        Stage::Succeeded(_) => (EventType::Normal, "Succeeded", "every essential container exited 0".to_owned()),
        Stage::AttemptFailed { why, .. } => (EventType::Warning, "AttemptFailed", why.clone()),
        Stage::RunFailed { reason, why, .. } => (EventType::Warning, *reason, why.clone()),
        Stage::Waiting(_) | Stage::BackOff { .. } | Stage::Following(_) | Stage::Finished => return,
    };
    publish(ctx, obj, kind, reason, &note).await;
}

/// Deletes the object whose ttlSecondsAfterFinished passed (this object: a newer one of the
/// same name is left alone).
async fn delete_object(ctx: &Context, obj: &ECSTask) -> Result<Action, Error> {
    let namespace = obj.namespace().ok_or(Error::MissingMetadata("namespace"))?;
    let api: Api<ECSTask> = Api::namespaced(ctx.client.clone(), &namespace);
    let preconditions = Preconditions { uid: obj.uid(), resource_version: None };
    let params = DeleteParams { preconditions: Some(preconditions), ..Default::default() };
    match api.delete(&obj.name_any(), &params).await {
        Ok(_) => Ok(Action::await_change()),
        Err(kube::Error::Api(e)) if e.code == 404 || e.code == 409 => Ok(Action::await_change()),
        Err(e) => Err(Error::kube("deleting the finished ECSTask (ttlSecondsAfterFinished)", e)),
    }
}
