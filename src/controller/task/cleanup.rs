//! Deleting an ECSTask stops what it still runs (StopTask; ECS finishes stopping on its own),
//! found in its status and, for a start whose status write never happened, by the current
//! attempt's `startedBy`. `deletionPolicy: Retain` leaves the tasks running (cleanup does not
//! run at all).

use kube::ResourceExt;
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;

use super::execute::stop;
use super::observe::started_for;
use super::plan::stopping;
use crate::controller::context::Context;
use crate::controller::deletion::{self, Progress};
use crate::controller::error::Error;
use crate::controller::references;
use crate::controller::status::publish;
use crate::crd::task::{ECSTask, TaskPhase};

pub async fn cleanup(obj: &ECSTask, ctx: &Context) -> Result<Action, Error> {
    deletion::finish(ctx, obj, stop_running(obj, ctx).await).await
}

async fn stop_running(obj: &ECSTask, ctx: &Context) -> Result<Progress, Error> {
    let status = obj.status.clone().unwrap_or_default();
    let cluster = match &status.cluster {
        Some(cluster) => cluster.clone(),
        None => {
            let namespace = obj.namespace().unwrap_or_default();
            let spec = &obj.spec;
            match references::cluster(&namespace, spec.cluster.as_ref(), spec.cluster_ref.as_ref(), ctx) {
                Ok(Ok(cluster)) => cluster,
                // No cluster to look in: nothing was ever started.
                Ok(Err(_)) | Err(_) => return Ok(Progress::Done),
            }
        }
    };
    let mut running: Vec<String> =
        status.tasks.iter().flatten().filter(|t| !stopping(t)).map(|t| t.task_arn.clone()).collect();
    let over = matches!(status.phase, Some(TaskPhase::Succeeded | TaskPhase::Failed));
    // A start whose status write never happened: its tasks are found by the attempt's
    // startedBy. Best effort: a cluster that is gone has nothing running, and a lookup that
    // fails must not hold the object forever (the recorded tasks are still stopped).
    if !over && let Some(uid) = obj.uid() {
        let attempt = status.failed.unwrap_or(0) + 1;
        match started_for(ctx, &cluster, &uid, attempt).await {
            Ok(found) => running.extend(found.iter().filter(|t| !stopping(t)).map(|t| t.task_arn.clone())),
            Err(Error::Aws(e)) if e.is_gone() => {}
            Err(e) => {
                tracing::warn!(error = %e, object = %obj.name_any(), "could not look for unrecorded tasks to stop")
            }
        }
    }
    running.sort();
    running.dedup();
    if running.is_empty() {
        return Ok(Progress::Done);
    }
    match stop(ctx, &cluster, &running, "ecs-operator: the ECSTask was deleted").await {
        Ok(()) => {}
        // The cluster is gone, and its tasks with it.
        Err(Error::Aws(e)) if e.is_gone() => return Ok(Progress::Done),
        Err(e) => return Err(e.in_cleanup()),
    }
    let note = format!("stopped {} running task(s): {}", running.len(), running.join(", "));
    publish(ctx, obj, EventType::Normal, "Stopped", &note).await;
    Ok(Progress::Done)
}
