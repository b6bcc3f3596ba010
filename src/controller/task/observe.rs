//! What ECS has for an ECSTask's current attempt: the tasks the status recorded, described
//! again (one DescribeTasks); or, for an attempt the status has no tasks for, the tasks started
//! for it (ListTasks by its `startedBy`, running and stopped, then DescribeTasks). The second
//! finds the tasks of a start whose status write never happened (the operator stopped right
//! after RunTask), so they are followed rather than started again.

use std::time::Duration;

use aws_sdk_ecs::types::DesiredStatus;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::aws::convert::task::task_record;
use crate::controller::context::Context;
use crate::controller::error::Error;
use crate::crd::task::{ECSTaskStatus, TaskRecord};

/// How long a task the status recorded may be missing from DescribeTasks before it counts as
/// lost. ECS's reads are eventually consistent just after RunTask, and it keeps stopped tasks
/// visible for about an hour.
pub const MISSING_GRACE: Duration = Duration::from_secs(300);

/// `startedBy` of attempt `attempt` of the object with `uid`: how its tasks are found again.
pub fn started_by(uid: &str, attempt: i32) -> String {
    format!("ecs-operator/{uid}/{attempt}")
}

/// `clientToken` of attempt `attempt`: ECS starts nothing new for a repeated RunTask with it.
pub fn client_token(uid: &str, attempt: i32) -> String {
    format!("{uid}-{attempt}")
}

/// The recorded tasks of the running attempt as ECS describes them now. A recorded task ECS no
/// longer reports keeps its record while it may not be visible yet, and is then reported lost
/// (stopped, with no exit code: a failure).
pub async fn recorded(ctx: &Context, status: &ECSTaskStatus, now: &Time) -> Result<Vec<TaskRecord>, Error> {
    let (Some(cluster), Some(tasks)) = (&status.cluster, &status.tasks) else { return Ok(Vec::new()) };
    let arns: Vec<String> = tasks.iter().map(|t| t.task_arn.clone()).collect();
    let described = ctx.ecs.describe_tasks(cluster, arns).await?;
    let young =
        status.attempt_start_time.as_ref().is_some_and(|at| now.0.duration_since(at.0).unsigned_abs() < MISSING_GRACE);
    Ok(tasks
        .iter()
        .map(|recorded| match described.iter().find(|d| d.task_arn() == Some(recorded.task_arn.as_str())) {
            Some(task) => task_record(task).unwrap_or_else(|| recorded.clone()),
            None if young || recorded.last_status.as_deref() == Some("STOPPED") => recorded.clone(),
            None => lost(recorded),
        })
        .collect())
}

/// The tasks ECS has that were started for `attempt` (none when it has not started).
pub async fn started_for(ctx: &Context, cluster: &str, uid: &str, attempt: i32) -> Result<Vec<TaskRecord>, Error> {
    let tag = started_by(uid, attempt);
    let mut arns = ctx.ecs.list_tasks(cluster, &tag, DesiredStatus::Running).await?;
    arns.extend(ctx.ecs.list_tasks(cluster, &tag, DesiredStatus::Stopped).await?);
    // A task that stopped between the two lists is in both.
    arns.sort();
    arns.dedup();
    if arns.is_empty() {
        return Ok(Vec::new());
    }
    let tasks = ctx.ecs.describe_tasks(cluster, arns).await?;
    Ok(tasks.iter().filter_map(task_record).collect())
}

fn lost(recorded: &TaskRecord) -> TaskRecord {
    TaskRecord {
        last_status: Some("STOPPED".into()),
        desired_status: Some("STOPPED".into()),
        stopped_reason: Some(
            "ECS no longer reports this task (it keeps stopped tasks for about an hour): its outcome is unknown".into(),
        ),
        containers: recorded
            .containers
            .iter()
            .map(|c| crate::crd::task::ContainerRecord { exit_code: None, ..c.clone() })
            .collect(),
        ..recorded.clone()
    }
}
