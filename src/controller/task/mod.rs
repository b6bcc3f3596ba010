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
use self::plan::{Limits, MAX_RETRY_WAIT, Step, next_step};
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
    let limits = limits(obj, ctx);
    let running = status.phase == Some(TaskPhase::Running) && status.tasks.as_ref().is_some_and(|t| !t.is_empty());
    let tasks = if running { observe::recorded(ctx, &status, now).await? } else { Vec::new() };
    let essential = status.essential_containers.clone().unwrap_or_default();
    let step = next_step(&status, &tasks, &essential, &limits, now);
    let cluster = status.cluster.clone().unwrap_or_default();
    let poll = ctx.config.rollout_poll_interval;
    Ok(match step {
        Step::Finished { expires } => (Stage::Finished, expiry(expires.as_ref(), now)),
        Step::Start { attempt } => return start(ctx, obj, attempt, &limits).await,
        Step::BackOff { attempt, until } => {
            let wait = wait_until(&until, now);
            (Stage::BackOff { attempt, until }, Then::After(wait))
        }
        Step::Follow { deadline } => {
            // Fast while ECS moves the tasks (placing, starting, stopping); a running task is
            // checked at the steady pace.
            let moving = tasks.iter().any(|t| t.last_status.as_deref() != Some("RUNNING"));
            let pace = if moving { poll } else { ctx.config.service_poll_interval };
            let wait = deadline.as_ref().map_or(pace, |d| wait_until(d, now).min(pace));
            (Stage::Following(tasks), Then::After(wait))
        }
        Step::Succeeded => (Stage::Succeeded(tasks), finished_then(&limits)),
        Step::AttemptFailed { why, exhausted } => attempt_failed(tasks, why, exhausted, ctx, &limits),
        Step::OutOfRetries => {
            let failed = status.failed.unwrap_or(0);
            let why = format!("{failed} attempt(s) failed, more than backoffLimit ({}) allows", limits.backoff_limit);
            (Stage::RunFailed { tasks, reason: BACKOFF_LIMIT_EXCEEDED, why }, finished_then(&limits))
        }
        Step::DeadlineExceeded { stop } => {
            execute::stop(ctx, &cluster, &stop, "ecs-operator: activeDeadlineSeconds passed").await?;
            let seconds = obj.spec.active_deadline_seconds.unwrap_or_default();
            let why = if stop.is_empty() {
                format!("activeDeadlineSeconds ({seconds} s) passed before the run succeeded")
            } else {
                format!("activeDeadlineSeconds ({seconds} s) passed: {} running task(s) stopped", stop.len())
            };
            (Stage::RunFailed { tasks, reason: DEADLINE_EXCEEDED, why }, finished_then(&limits))
        }
    })
}

/// Starts attempt `attempt`, unless ECS already has its tasks (started before a restart that
/// lost the status write, found by the attempt's `startedBy`): those are followed.
async fn start(ctx: &Context, obj: &ECSTask, attempt: i32, limits: &Limits) -> Result<(Stage, Then), Error> {
    let uid = obj.uid().ok_or(Error::MissingMetadata("uid"))?;
    let resolved = match resolve(obj, ctx).await? {
        Ok(resolved) => resolved,
        Err(waiting) => {
            let pace =
                if waiting.woken_by_watch { ctx.config.resync_interval } else { ctx.config.service_poll_interval };
            return Ok((Stage::Waiting(waiting), Then::After(pace)));
        }
    };
    let target = RunTarget {
        started_by: observe::started_by(&uid, attempt),
        client_token: observe::client_token(&uid, attempt),
        ..resolved.target.clone()
    };
    let poll = Then::After(ctx.config.rollout_poll_interval);
    let input = execute::request(ctx, obj, &target)?;
    let found = observe::started_for(ctx, &target.cluster, &uid, attempt).await?;
    // All of them: ListTasks may not show every task of a start just made, and the same token
    // hands back the whole set.
    if usize::try_from(target.count).is_ok_and(|count| found.len() >= count) {
        return Ok((Stage::Started(resolved.started(attempt, found, true)), poll));
    }
    match execute::start(ctx, input, &target, &uid, attempt).await? {
        Start::Running(tasks) => Ok((Stage::Started(resolved.started(attempt, tasks, false)), poll)),
        Start::NotPlaced(why) => {
            let exhausted =
                plan::exhausted(obj.status.as_ref().and_then(|s| s.failed).unwrap_or(0) + 1, limits.backoff_limit);
            Ok(attempt_failed(Vec::new(), why, exhausted, ctx, limits))
        }
    }
}

fn attempt_failed(tasks: Vec<TaskRecord>, why: String, last: bool, ctx: &Context, limits: &Limits) -> (Stage, Then) {
    let then = if last { finished_then(limits) } else { Then::After(ctx.config.task_retry_base.min(MAX_RETRY_WAIT)) };
    (Stage::AttemptFailed { tasks, why, last }, then)
}

/// After the run finished: look again to delete it at its ttl, if it has one (the next
/// reconcile computes when it expires).
fn finished_then(limits: &Limits) -> Then {
    if limits.ttl_after_finished.is_some() { Then::After(Duration::ZERO) } else { Then::AwaitChange }
}

/// What ttlSecondsAfterFinished asks: delete at `expires` (now, once it passed), or never.
fn expiry(expires: Option<&Time>, now: &Time) -> Then {
    match expires {
        None => Then::AwaitChange,
        Some(at) if at.0 <= now.0 => Then::Delete,
        Some(at) => Then::After(wait_until(at, now)),
    }
}

/// How long until `at` (nothing once it passed).
fn wait_until(at: &Time, now: &Time) -> Duration {
    if at.0 <= now.0 { Duration::ZERO } else { now.0.duration_until(at.0).unsigned_abs() }
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
    fn started(&self, attempt: i32, tasks: Vec<TaskRecord>, recovered: bool) -> Started {
        Started {
            attempt,
            cluster: self.target.cluster.clone(),
            task_definition_arn: self.target.task_definition_arn.clone(),
            essential: self.essential.clone(),
            tasks,
            recovered,
        }
    }
}

/// The cluster and revision the next attempt runs, and the revision's essential containers;
/// container overrides are checked against the revision's containers.
async fn resolve(obj: &ECSTask, ctx: &Context) -> Result<Result<Resolved, Waiting>, Error> {
    // A retry runs what the first attempt ran: the revision is fixed at the first start, as a
    // Job's pod template is.
    if let Some(s) = &obj.status
        && let (Some(cluster), Some(arn), Some(essential)) =
            (&s.cluster, &s.task_definition_arn, &s.essential_containers)
    {
        let target = RunTarget {
            cluster: cluster.clone(),
            task_definition_arn: arn.clone(),
            started_by: String::new(),
            client_token: String::new(),
            count: obj.count(),
        };
        return Ok(Ok(Resolved { target, essential: essential.clone() }));
    }
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
            let (reason, verb) =
                if s.recovered { ("Following", "found, started before a restart,") } else { ("Started", "started") };
            let note = format!("attempt {} {verb} {} task(s): {}", s.attempt, arns.len(), arns.join(", "));
            (EventType::Normal, reason, note)
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
