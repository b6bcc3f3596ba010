//! `ECSTask`: a one-off ECS task run to completion (a database migration, a backfill, an Argo CD
//! hook), with the semantics of a Kubernetes Job: retried up to `backoffLimit`, stopped past
//! `activeDeadlineSeconds`, deleted `ttlSecondsAfterFinished` after it finished. What the task
//! runs is fixed once the object exists: a different run is a new object.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use super::common::{CommonStatus, LocalObjectRef, Policies, Tags};
use super::schema::{self, CelRule};
use super::service::{CapacityProviderStrategyItem, LaunchType, NetworkConfiguration};
use super::task_definition::KeyValuePair;

/// Tasks one RunTask call may start (ECS's limit).
pub const MAX_COUNT: i32 = 10;
/// Retries after failed attempts when `backoffLimit` is unset (a Job's default).
pub const DEFAULT_BACKOFF_LIMIT: i32 = 6;

/// A one-off ECS task: started once per attempt, followed until every task stopped.
#[skip_serializing_none]
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "ecs.operator.dev",
    version = "v1alpha1",
    kind = "ECSTask",
    plural = "ecstasks",
    shortname = "ecstask",
    category = "ecs",
    namespaced,
    status = "ECSTaskStatus",
    printcolumn(name = "Phase", type_ = "string", json_path = ".status.phase"),
    printcolumn(name = "TaskDef", type_ = "string", json_path = ".status.taskDefinition"),
    printcolumn(name = "Attempts", type_ = "integer", json_path = ".status.attempt"),
    printcolumn(name = "Exit", type_ = "string", json_path = ".status.exitCodes"),
    printcolumn(name = "Complete", type_ = "string", json_path = ".status.conditions[?(@.type==\"Complete\")].status"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp"),
    printcolumn(name = "Reason", type_ = "string", json_path = ".status.stoppedReason", priority = 1)
)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = task_rules)]
pub struct ECSTaskSpec {
    /// Cluster name or ARN. Set this or clusterRef.
    #[schemars(length(min = 1, max = 2048))]
    pub cluster: Option<String>,
    /// An ECSCluster object in this namespace. Set this or cluster.
    pub cluster_ref: Option<LocalObjectRef>,
    /// Family, `family:revision` or ARN. Set this or taskDefinitionRef. A family runs its
    /// latest ACTIVE revision when the task starts.
    #[schemars(length(min = 1, max = 2048))]
    pub task_definition: Option<String>,
    /// A TaskDefinition object in this namespace: the task runs the revision it registered for
    /// its current spec when the task starts.
    pub task_definition_ref: Option<LocalObjectRef>,
    /// Launch type; or use capacityProviderStrategy (not both, and the strategy for ECS Managed
    /// Instances).
    pub launch_type: Option<LaunchType>,
    #[schemars(length(max = 20))]
    pub capacity_provider_strategy: Option<Vec<CapacityProviderStrategyItem>>,
    /// Fargate platform version (default `LATEST`).
    #[schemars(regex(pattern = r"^(LATEST|\d+\.\d+\.\d+)$"))]
    pub platform_version: Option<String>,
    /// Subnets, security groups and public IP: required when the task definition uses
    /// `awsvpc` (every Fargate task).
    pub network_configuration: Option<NetworkConfiguration>,
    /// What this run changes from the task definition.
    pub overrides: Option<TaskOverrides>,
    /// Task group (ECS's default is `family:<family>`).
    #[schemars(length(min = 1, max = 255))]
    pub group: Option<String>,
    /// `TASK_DEFINITION` copies the task definition's tags to the task; `NONE` (default) does not.
    pub propagate_tags: Option<TaskPropagateTags>,
    pub enable_ecs_managed_tags: Option<bool>,
    pub enable_execute_command: Option<bool>,
    /// Tasks each attempt starts, 1 (default) to 10. The attempt succeeds when every one of
    /// them succeeds.
    #[schemars(range(min = 1, max = MAX_COUNT))]
    pub count: Option<i32>,
    /// Failed attempts retried before the object is Failed (default 6, as for a Job). Each retry
    /// waits longer: 10 s, 20 s, 40 s and so on, at most 6 minutes.
    #[schemars(range(min = 0, max = 100))]
    pub backoff_limit: Option<i32>,
    /// Seconds from the first start after which running tasks are stopped and the object is
    /// Failed (DeadlineExceeded).
    #[schemars(range(min = 1, max = 31536000))]
    pub active_deadline_seconds: Option<i64>,
    /// Seconds after the object finished (Succeeded or Failed) at which it is deleted.
    #[schemars(range(min = 0, max = 31536000))]
    pub ttl_seconds_after_finished: Option<i32>,
    /// Tags on every task started (the operator adds its ownership tags).
    #[schemars(transform = schema::tags)]
    pub tags: Option<Tags>,
    #[serde(flatten)]
    pub policies: Policies,
}

/// RunTask's `overrides`.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskOverrides {
    /// Per container: command, environment and resources for this run.
    #[schemars(length(max = 10), transform = container_override_rules)]
    pub container_overrides: Option<Vec<ContainerOverride>>,
    /// Task CPU: CPU units (`"256"`) or vCPU (`"0.25 vCPU"`).
    #[schemars(regex(pattern = r"^(\d{1,6}|\d{1,3}(\.\d{1,3})?\s*[vV][cC][pP][uU])$"))]
    pub cpu: Option<String>,
    /// Task memory: MiB (`"512"`) or GB (`"1 GB"`).
    #[schemars(regex(pattern = r"^(\d{1,7}(\s*([mM][iI]?[bB]))?|\d{1,4}(\.\d{1,3})?\s*[gG][iI]?[bB])$"))]
    pub memory: Option<String>,
    /// Role the task's containers assume for this run.
    #[schemars(regex(pattern = r"^arn:aws[a-zA-Z-]*:iam::\d{12}:role/.+$"))]
    pub task_role_arn: Option<String>,
    /// Role the ECS agent uses for this run.
    #[schemars(regex(pattern = r"^arn:aws[a-zA-Z-]*:iam::\d{12}:role/.+$"))]
    pub execution_role_arn: Option<String>,
}

/// One container's overrides.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerOverride {
    /// A container of the task definition.
    #[schemars(length(min = 1, max = 255))]
    pub name: String,
    /// Replaces the container's command.
    #[schemars(length(max = 100))]
    pub command: Option<Vec<String>>,
    /// Added to (or replacing, by name) the container's environment; names must be unique.
    #[schemars(length(max = 500), transform = schema::unique_names)]
    pub environment: Option<Vec<KeyValuePair>>,
    /// CPU units for the container.
    #[schemars(range(min = 0, max = 196608))]
    pub cpu: Option<i32>,
    /// Hard memory limit in MiB.
    #[schemars(range(min = 4, max = 2147483647))]
    pub memory: Option<i32>,
    /// Soft memory limit in MiB.
    #[schemars(range(min = 4, max = 2147483647))]
    pub memory_reservation: Option<i32>,
}

/// RunTask's `propagateTags` (a standalone task has no service to take tags from).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskPropagateTags {
    TaskDefinition,
    None,
}

/// Where the run is, as a Job's pods would say it.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum TaskPhase {
    /// Not started yet: waiting for a reference, or for the back-off before a retry.
    #[default]
    Pending,
    /// An attempt's tasks run.
    Running,
    /// An attempt's tasks all stopped with their essential containers exiting 0.
    Succeeded,
    /// Attempts exhausted, or the deadline passed. (A run that cannot start, a Terminal error,
    /// stays Pending with Stalled=True and is looked at again now and then.)
    Failed,
}

/// What the run looks like in ECS.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ECSTaskStatus {
    #[serde(flatten)]
    pub common: CommonStatus,
    pub phase: Option<TaskPhase>,
    /// Cluster the tasks run in (as resolved from the spec).
    pub cluster: Option<String>,
    /// Task definition revision the current attempt runs.
    pub task_definition_arn: Option<String>,
    /// `family:revision` of that ARN, for `kubectl get`.
    pub task_definition: Option<String>,
    /// The essential containers of that revision: the run succeeds when they all exit 0.
    pub essential_containers: Option<Vec<String>>,
    /// The current attempt, from 1; absent before the first start.
    pub attempt: Option<i32>,
    /// Failed attempts so far.
    pub failed: Option<i32>,
    /// When the first attempt started (activeDeadlineSeconds counts from here).
    pub start_time: Option<Time>,
    /// When the current attempt's tasks were started.
    pub attempt_start_time: Option<Time>,
    /// When the last failed attempt's tasks had all stopped (the retry back-off counts from here).
    pub last_failure_time: Option<Time>,
    /// Why the last failed attempt failed.
    pub last_failure: Option<String>,
    /// When the run finished (Succeeded or Failed).
    pub completion_time: Option<Time>,
    /// The current attempt's tasks as ECS last described them.
    pub tasks: Option<Vec<TaskRecord>>,
    /// The essential containers' exit codes of the current attempt, for `kubectl get`.
    pub exit_codes: Option<String>,
    /// Why the current attempt's (first) stopped task stopped.
    pub stopped_reason: Option<String>,
    /// Why the run is where it is: AttemptFailed, BackOff, Succeeded, BackoffLimitExceeded,
    /// DeadlineExceeded, Waiting.
    pub reason: Option<String>,
    pub message: Option<String>,
    /// Hash of the spec the run was started from.
    pub spec_hash: Option<String>,
}

/// One ECS task of an attempt.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskRecord {
    pub task_arn: String,
    /// PROVISIONING, PENDING, ACTIVATING, RUNNING, DEACTIVATING, STOPPING, DEPROVISIONING or
    /// STOPPED.
    pub last_status: Option<String>,
    pub desired_status: Option<String>,
    /// TaskFailedToStart, EssentialContainerExited, UserInitiated, ...
    pub stop_code: Option<String>,
    pub stopped_reason: Option<String>,
    pub started_at: Option<Time>,
    pub stopped_at: Option<Time>,
    #[serde(default)]
    pub containers: Vec<ContainerRecord>,
}

/// One container of a task.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerRecord {
    pub name: String,
    pub last_status: Option<String>,
    pub exit_code: Option<i32>,
    pub reason: Option<String>,
}

impl ECSTask {
    /// The most tasks an attempt starts.
    pub fn count(&self) -> i32 {
        self.spec.count.unwrap_or(1)
    }

    pub fn backoff_limit(&self) -> i32 {
        self.spec.backoff_limit.unwrap_or(DEFAULT_BACKOFF_LIMIT)
    }
}

/// Every field but the run's lifecycle limits and deletion policy is fixed once the object
/// exists (a Job's template is too): a different run is a new object.
pub const IMMUTABLE_FIELDS: &[&str] = &[
    "cluster",
    "clusterRef",
    "taskDefinition",
    "taskDefinitionRef",
    "launchType",
    "capacityProviderStrategy",
    "platformVersion",
    "networkConfiguration",
    "overrides",
    "group",
    "propagateTags",
    "enableEcsManagedTags",
    "enableExecuteCommand",
    "count",
    "tags",
    "aws",
];

/// The CEL rule that keeps `IMMUTABLE_FIELDS` as they were: each is set in both versions with
/// the same value, or in neither.
fn immutable_rule() -> String {
    IMMUTABLE_FIELDS
        .iter()
        .map(|f| format!("(has(self.{f}) == has(oldSelf.{f}) && (!has(self.{f}) || self.{f} == oldSelf.{f}))"))
        .collect::<Vec<_>>()
        .join(" && ")
}

fn task_rules(schema: &mut schemars::Schema) {
    let immutable = immutable_rule();
    schema::add_rules(
        schema,
        &[
            CelRule::new(
                &immutable,
                "an ECSTask's run is fixed once it exists (only backoffLimit, activeDeadlineSeconds, ttlSecondsAfterFinished and deletionPolicy may change): create a new ECSTask for a different run, as with a Job",
            ),
            CelRule::new(
                "!has(self.managementPolicy) || self.managementPolicy == 'Manage'",
                "an ECSTask starts tasks: managementPolicy Observe has nothing to observe",
            )
            .at(".managementPolicy")
            .reason("FieldValueForbidden"),
            CelRule::new("!has(self.driftPolicy)", "an ECSTask's tasks are not corrected: driftPolicy does not apply")
                .at(".driftPolicy")
                .reason("FieldValueForbidden"),
            CelRule::new("!has(self.adopt)", "an ECSTask starts its own tasks: adopt does not apply")
                .at(".adopt")
                .reason("FieldValueForbidden"),
            CelRule::new(
                "!has(self.launchType) || self.launchType != 'MANAGED_INSTANCES'",
                "ECS Managed Instances run through capacityProviderStrategy naming a Managed Instances CapacityProvider; RunTask takes no launchType MANAGED_INSTANCES",
            )
            .at(".launchType")
            .reason("FieldValueForbidden"),
        ],
    );
    schema::reference_rules(schema);
    schema::capacity_rules(schema);
}

fn container_override_rules(schema: &mut schemars::Schema) {
    schema::add_rules(
        schema,
        &[CelRule::new(
            "self.all(c, self.exists_one(d, d.name == c.name))",
            "overrides.containerOverrides[].name must be unique",
        )],
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_immutability_rule_names_every_fixed_field_and_leaves_the_limits_free() {
        let rule = immutable_rule();
        for field in IMMUTABLE_FIELDS {
            assert!(rule.contains(&format!("self.{field} == oldSelf.{field}")), "{field}");
        }
        for free in ["backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished", "deletionPolicy"] {
            assert!(!rule.contains(free), "{free}");
        }
    }
}
