//! ECSTask ↔ SDK: the RunTask request an attempt sends, and the record of a task as
//! DescribeTasks reports it (pure).

use aws_sdk_ecs::operation::run_task::RunTaskInput;
use aws_sdk_ecs::types;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::service::{capacity_provider_strategy_to_sdk, network_to_sdk};
use super::task_definition::key_value_to_sdk;
use super::{ConvertError, SdkEnum, built, list, opt_enum_to_sdk, tags_to_sdk};
use crate::canonical::units::{task_cpu_units, task_memory_mib};
use crate::crd::common::Tags;
use crate::crd::task::{ContainerOverride, ContainerRecord, ECSTaskSpec, TaskOverrides, TaskPropagateTags, TaskRecord};

/// What an attempt's RunTask names besides the spec: where, which revision, and the
/// identities that make the start idempotent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunTarget {
    pub cluster: String,
    pub task_definition_arn: String,
    /// `startedBy`: the object and attempt, to find the attempt's tasks by.
    pub started_by: String,
    /// `clientToken`: a repeated start of the same attempt starts nothing new.
    pub client_token: String,
    pub count: i32,
}

pub fn run_task_input(spec: &ECSTaskSpec, target: &RunTarget, ownership: &Tags) -> Result<RunTaskInput, ConvertError> {
    let input = RunTaskInput::builder()
        .cluster(&target.cluster)
        .task_definition(&target.task_definition_arn)
        .count(target.count)
        .started_by(&target.started_by)
        .client_token(&target.client_token)
        .set_launch_type(opt_enum_to_sdk(spec.launch_type))
        .set_capacity_provider_strategy(capacity_provider_strategy_to_sdk(spec.capacity_provider_strategy.as_deref())?)
        .set_platform_version(spec.platform_version.clone())
        .set_network_configuration(spec.network_configuration.as_ref().map(network_to_sdk).transpose()?)
        .set_overrides(spec.overrides.as_ref().map(overrides_to_sdk).transpose()?)
        .set_group(spec.group.clone())
        .set_propagate_tags(spec.propagate_tags.map(propagate_tags_to_sdk))
        .set_enable_ecs_managed_tags(spec.enable_ecs_managed_tags)
        .set_enable_execute_command(spec.enable_execute_command)
        .set_tags(tags_to_sdk(spec.tags.as_ref(), ownership))
        .build();
    built("RunTaskInput", input)
}

fn propagate_tags_to_sdk(p: TaskPropagateTags) -> types::PropagateTags {
    match p {
        TaskPropagateTags::TaskDefinition => types::PropagateTags::TaskDefinition,
        TaskPropagateTags::None => types::PropagateTags::None,
    }
}

/// Task cpu and memory go to ECS as the plain numbers it reports ("1024", "2048").
fn overrides_to_sdk(o: &TaskOverrides) -> Result<types::TaskOverride, ConvertError> {
    let invalid = |field: &str, e: crate::canonical::units::UnitError| ConvertError::invalid(field, e.to_string());
    let cpu = o.cpu.as_deref().map(task_cpu_units).transpose().map_err(|e| invalid("spec.overrides.cpu", e))?;
    let memory =
        o.memory.as_deref().map(task_memory_mib).transpose().map_err(|e| invalid("spec.overrides.memory", e))?;
    Ok(types::TaskOverride::builder()
        .set_container_overrides(list(o.container_overrides.as_deref(), container_override_to_sdk))
        .set_cpu(cpu.map(|c| c.to_string()))
        .set_memory(memory.map(|m| m.to_string()))
        .set_task_role_arn(o.task_role_arn.clone())
        .set_execution_role_arn(o.execution_role_arn.clone())
        .build())
}

fn container_override_to_sdk(c: &ContainerOverride) -> types::ContainerOverride {
    types::ContainerOverride::builder()
        .name(&c.name)
        .set_command(c.command.clone())
        .set_environment(list(c.environment.as_deref(), key_value_to_sdk))
        .set_cpu(c.cpu)
        .set_memory(c.memory)
        .set_memory_reservation(c.memory_reservation)
        .build()
}

/// A task as the status records it; None for one ECS reports without an ARN.
pub fn task_record(task: &types::Task) -> Option<TaskRecord> {
    Some(TaskRecord {
        task_arn: task.task_arn()?.to_owned(),
        last_status: task.last_status().map(str::to_owned),
        desired_status: task.desired_status().map(str::to_owned),
        stop_code: task.stop_code().map(|c| c.as_str().to_owned()),
        stopped_reason: task.stopped_reason().map(str::to_owned),
        started_at: task.started_at().and_then(time),
        stopped_at: task.stopped_at().and_then(time),
        containers: task
            .containers()
            .iter()
            .map(|c| ContainerRecord {
                name: c.name().unwrap_or_default().to_owned(),
                last_status: c.last_status().map(str::to_owned),
                exit_code: c.exit_code(),
                reason: c.reason().map(str::to_owned),
            })
            .collect(),
    })
}

fn time(t: &aws_smithy_types::DateTime) -> Option<Time> {
    let nanos = t.as_nanos();
    let at = k8s_openapi::jiff::Timestamp::from_nanosecond(nanos).ok()?;
    Some(Time(at))
}

impl SdkEnum<types::PropagateTags> for TaskPropagateTags {
    fn to_sdk(self) -> types::PropagateTags {
        propagate_tags_to_sdk(self)
    }
    fn try_from_sdk(value: &types::PropagateTags) -> Option<Self> {
        match value {
            types::PropagateTags::TaskDefinition => Some(Self::TaskDefinition),
            types::PropagateTags::None => Some(Self::None),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: serde_json::Value) -> ECSTaskSpec {
        serde_json::from_value(json).unwrap_or_else(|e| panic!("spec: {e}"))
    }

    fn target() -> RunTarget {
        RunTarget {
            cluster: "apps".into(),
            task_definition_arn: "arn:aws:ecs:us-east-1:123456789012:task-definition/migrate:3".into(),
            started_by: "ecs-operator/uid/1".into(),
            client_token: "uid-1".into(),
            count: 1,
        }
    }

    #[test]
    fn run_task_carries_the_spec_and_the_attempt_identity() {
        let spec = spec(serde_json::json!({
            "cluster": "apps",
            "taskDefinition": "migrate",
            "launchType": "FARGATE",
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-0123456789abcdef0"]}},
            "overrides": {
                "cpu": "0.5 vCPU",
                "memory": "1 GB",
                "containerOverrides": [{"name": "migrate", "command": ["rake", "db:migrate"],
                    "environment": [{"name": "RAILS_ENV", "value": "production"}]}]
            },
            "tags": {"team": "payments"}
        }));
        let owner: Tags = [("ecs.operator.dev/owner".to_owned(), "ns/m".to_owned())].into();
        let input = run_task_input(&spec, &target(), &owner).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(input.started_by(), Some("ecs-operator/uid/1"));
        assert_eq!(input.client_token(), Some("uid-1"));
        assert_eq!(input.launch_type(), Some(&types::LaunchType::Fargate));
        let overrides = input.overrides().unwrap_or_else(|| panic!("overrides"));
        assert_eq!((overrides.cpu(), overrides.memory()), (Some("512"), Some("1024")));
        assert_eq!(overrides.container_overrides()[0].command(), ["rake", "db:migrate"]);
        let keys: Vec<&str> = input.tags().iter().map(|t| t.key().unwrap_or_default()).collect();
        assert_eq!(keys, ["ecs.operator.dev/owner", "team"]);
    }

    #[test]
    fn a_task_record_keeps_exit_codes_reasons_and_times() {
        let task = types::Task::builder()
            .task_arn("arn:aws:ecs:us-east-1:123456789012:task/apps/abc")
            .last_status("STOPPED")
            .desired_status("STOPPED")
            .stop_code(types::TaskStopCode::EssentialContainerExited)
            .stopped_reason("Essential container in task exited")
            .stopped_at(aws_smithy_types::DateTime::from_secs(1_767_225_600))
            .containers(types::Container::builder().name("migrate").exit_code(3).reason("boom").build())
            .build();
        let record = task_record(&task).unwrap_or_else(|| panic!("an ARN"));
        assert_eq!(record.stop_code.as_deref(), Some("EssentialContainerExited"));
        assert_eq!(record.containers[0].exit_code, Some(3));
        assert_eq!(record.containers[0].reason.as_deref(), Some("boom"));
        assert_eq!(record.stopped_at.map(|t| t.0.to_string()).as_deref(), Some("2026-01-01T00:00:00Z"));
    }
}
