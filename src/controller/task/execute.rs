//! Carries out an ECSTask's step: RunTask for an attempt (idempotent: its `clientToken` and
//! `startedBy` name the object and the attempt), StopTask for what runs past the deadline.

use aws_sdk_ecs::operation::run_task::RunTaskInput;

use crate::aws::convert::task::{RunTarget, run_task_input, task_record};
use crate::controller::context::Context;
use crate::controller::error::Error;
use crate::controller::ownership::{owner_of, ownership_tags};
use crate::crd::task::{ECSTask, TaskRecord};

use super::observe::started_for;

/// What starting an attempt gave.
#[derive(Debug)]
pub enum Start {
    /// ECS started the attempt's tasks.
    Running(Vec<TaskRecord>),
    /// ECS could not place them all (capacity, quotas): its reasons. Any it did start were
    /// asked to stop, so an attempt never half-runs.
    NotPlaced(String),
}

/// The RunTask request of an attempt: built before anything is read or written, so a spec ECS
/// would refuse is reported first.
pub fn request(ctx: &Context, obj: &ECSTask, target: &RunTarget) -> Result<RunTaskInput, Error> {
    let owner = ownership_tags(&owner_of(obj), &ctx.config.cluster_id);
    run_task_input(&obj.spec, target, &owner).map_err(|e| Error::InvalidSpec(e.to_string()))
}

pub async fn start(
    ctx: &Context,
    input: RunTaskInput,
    target: &RunTarget,
    uid: &str,
    attempt: i32,
) -> Result<Start, Error> {
    let started = match ctx.ecs.run_task(input).await {
        Ok(started) => started,
        // The token was used for this attempt with other parameters (a family that moved to a
        // newer revision since): the attempt's tasks exist, follow them.
        Err(e) if e.code == "ConflictException" => {
            let found = started_for(ctx, &target.cluster, uid, attempt).await?;
            if found.is_empty() {
                // ECS's lists are behind its token: look again shortly.
                return Err(Error::Waiting(format!(
                    "RunTask says attempt {attempt} started already ({}); waiting for ECS to list its tasks",
                    e.message
                )));
            }
            return Ok(Start::Running(found));
        }
        Err(e) => return Err(e.into()),
    };
    let tasks: Vec<TaskRecord> = started.tasks.iter().filter_map(task_record).collect();
    if started.failures.is_empty() && !tasks.is_empty() {
        return Ok(Start::Running(tasks));
    }
    let arns: Vec<String> = tasks.iter().map(|t| t.task_arn.clone()).collect();
    stop(ctx, &target.cluster, &arns, "ecs-operator: the attempt could not start all its tasks").await?;
    let reasons =
        if started.failures.is_empty() { "ECS started no task".to_owned() } else { started.failures.join("; ") };
    Ok(Start::NotPlaced(format!("ECS could not place {} task(s): {reasons}", target.count)))
}

/// Asks each task to stop; one ECS no longer has is already stopped.
pub async fn stop(ctx: &Context, cluster: &str, arns: &[String], reason: &str) -> Result<(), Error> {
    for arn in arns {
        match ctx.ecs.stop_task(cluster, arn, reason).await {
            Ok(_) => {}
            Err(e) if e.is_gone() || e.message.to_ascii_lowercase().contains("not found") => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
