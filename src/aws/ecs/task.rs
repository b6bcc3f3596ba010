//! The standalone task calls of [`SdkEcs`]: RunTask, DescribeTasks, ListTasks and StopTask, for
//! the one-off tasks an ECSTask starts.

use aws_sdk_ecs::operation::run_task::RunTaskInput;
use aws_sdk_ecs::types::{DesiredStatus, Task, TaskField};

use super::{AwsResult, SdkEcs, malformed};
use crate::aws::error::AwsError;

/// What RunTask answered: the tasks it started, and why any it could not start did not.
#[derive(Debug, Clone, Default)]
pub struct Started {
    pub tasks: Vec<Task>,
    /// `reason` (and `detail`) of each task ECS could not place.
    pub failures: Vec<String>,
}

/// ECS caps DescribeTasks at 100 tasks per call.
pub const DESCRIBE_TASKS_LIMIT: usize = 100;

impl SdkEcs {
    pub(super) async fn run_task_call(&self, input: RunTaskInput) -> AwsResult<Started> {
        let out = self
            .client
            .run_task()
            .set_cluster(input.cluster)
            .set_task_definition(input.task_definition)
            .set_count(input.count)
            .set_launch_type(input.launch_type)
            .set_capacity_provider_strategy(input.capacity_provider_strategy)
            .set_platform_version(input.platform_version)
            .set_network_configuration(input.network_configuration)
            .set_overrides(input.overrides)
            .set_group(input.group)
            .set_started_by(input.started_by)
            .set_client_token(input.client_token)
            .set_tags(input.tags)
            .set_propagate_tags(input.propagate_tags)
            .set_enable_ecs_managed_tags(input.enable_ecs_managed_tags)
            .set_enable_execute_command(input.enable_execute_command)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("RunTask", e))?;
        let failures = out
            .failures
            .unwrap_or_default()
            .into_iter()
            .map(|f| match (f.reason, f.detail) {
                (Some(reason), Some(detail)) => format!("{reason} ({detail})"),
                (reason, detail) => reason.or(detail).unwrap_or_else(|| "no reason given".into()),
            })
            .collect();
        Ok(Started { tasks: out.tasks.unwrap_or_default(), failures })
    }

    pub(super) async fn describe_tasks_call(&self, cluster: &str, arns: Vec<String>) -> AwsResult<Vec<Task>> {
        let mut found = Vec::with_capacity(arns.len());
        for chunk in arns.chunks(DESCRIBE_TASKS_LIMIT) {
            let out = self
                .client
                .describe_tasks()
                .cluster(cluster)
                .set_tasks(Some(chunk.to_vec()))
                .include(TaskField::Tags)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("DescribeTasks", e))?;
            // Unknown tasks come back in `failures` (reason MISSING), not as an error.
            found.extend(out.tasks.unwrap_or_default());
        }
        Ok(found)
    }

    pub(super) async fn list_tasks_call(
        &self,
        cluster: &str,
        started_by: &str,
        desired: DesiredStatus,
    ) -> AwsResult<Vec<String>> {
        let mut arns = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .client
                .list_tasks()
                .cluster(cluster)
                .started_by(started_by)
                .desired_status(desired.clone())
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("ListTasks", e))?;
            arns.extend(out.task_arns.unwrap_or_default());
            match out.next_token {
                Some(next) if !next.is_empty() => token = Some(next),
                _ => return Ok(arns),
            }
        }
    }

    pub(super) async fn stop_task_call(&self, cluster: &str, arn: &str, reason: &str) -> AwsResult<Task> {
        let out = self
            .client
            .stop_task()
            .cluster(cluster)
            .task(arn)
            .reason(reason)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("StopTask", e))?;
        out.task.ok_or_else(|| malformed("StopTask", "task"))
    }
}
