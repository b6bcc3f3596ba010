//! `CapacityProvider`: an ECS Auto Scaling group capacity provider, the EC2 capacity an
//! ECSCluster names in `spec.capacityProviders`.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use super::common::{CommonStatus, Policies, Tags};
use super::schema::{self, CelRule};

/// An Auto Scaling group capacity provider.
#[skip_serializing_none]
// clippy reads the repeated `printcolumn(type_ = …)` arguments of kube's derive attribute as
// duplicated attributes; they are distinct columns.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "ecs.operator.dev",
    version = "v1alpha1",
    kind = "CapacityProvider",
    plural = "capacityproviders",
    shortname = "ecscp",
    category = "ecs",
    namespaced,
    status = "CapacityProviderStatus",
    printcolumn(name = "Provider", type_ = "string", json_path = ".status.name"),
    printcolumn(name = "ASG", type_ = "string", json_path = ".spec.autoScalingGroupProvider.autoScalingGroupArn"),
    printcolumn(name = "Status", type_ = "string", json_path = ".status.status"),
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp"),
    printcolumn(name = "ARN", type_ = "string", json_path = ".status.capacityProviderArn", priority = 1)
)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = provider_rules)]
pub struct CapacityProviderSpec {
    /// Capacity provider name in ECS; defaults to the object name. Letters, digits, `-` and
    /// `_`; may not start with `aws`, `ecs` or `fargate`.
    #[schemars(regex(pattern = r"^[a-zA-Z0-9_-]{1,255}$"))]
    pub name: Option<String>,
    pub auto_scaling_group_provider: AutoScalingGroupProvider,
    #[schemars(transform = schema::tags)]
    pub tags: Option<Tags>,
    #[serde(flatten)]
    pub policies: Policies,
}

/// The Auto Scaling group behind the provider and how ECS manages it.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = asg_rules)]
pub struct AutoScalingGroupProvider {
    /// ARN of the Auto Scaling group. ECS cannot change it on an existing provider.
    #[schemars(regex(
        pattern = r"^arn:aws[a-zA-Z-]*:autoscaling:[a-z0-9-]+:\d{12}:autoScalingGroup:[0-9a-fA-F-]+:autoScalingGroupName/.+$"
    ))]
    pub auto_scaling_group_arn: String,
    /// ECS-managed scale-out and scale-in of the group (ECS default: DISABLED).
    pub managed_scaling: Option<ManagedScaling>,
    /// Protect instances running tasks from scale-in (ECS default: DISABLED). Needs managed
    /// scaling.
    pub managed_termination_protection: Option<Toggle>,
    /// Drain instances before the group terminates them (ECS default: ENABLED).
    pub managed_draining: Option<Toggle>,
}

/// Managed scaling. `status` is required: ECS documents no default for it, so the operator
/// does not guess one.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = managed_scaling_rules)]
pub struct ManagedScaling {
    pub status: Toggle,
    /// Target utilisation in percent (ECS default 100).
    #[schemars(range(min = 1, max = 100))]
    pub target_capacity: Option<i32>,
    /// Fewest instances added at once (ECS default 1).
    #[schemars(range(min = 1, max = 10000))]
    pub minimum_scaling_step_size: Option<i32>,
    /// Most instances added at once (ECS default 10000).
    #[schemars(range(min = 1, max = 10000))]
    pub maximum_scaling_step_size: Option<i32>,
    /// Seconds before a new instance counts in the group's metrics (ECS default 300).
    #[schemars(range(min = 0, max = 10000))]
    pub instance_warmup_period: Option<i32>,
}

/// ECS's ENABLED / DISABLED switches.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Toggle {
    Enabled,
    Disabled,
}

/// What the capacity provider looks like in ECS right now.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CapacityProviderStatus {
    #[serde(flatten)]
    pub common: CommonStatus,
    pub capacity_provider_arn: Option<String>,
    /// The name in ECS (what ECSCluster `capacityProviders` lists).
    pub name: Option<String>,
    /// ACTIVE or INACTIVE.
    pub status: Option<String>,
    /// Progress of the last create, update or delete, e.g. UPDATE_COMPLETE or UPDATE_FAILED.
    pub update_status: Option<String>,
    pub update_status_reason: Option<String>,
    /// Hash of the canonical spec last applied to ECS: a difference from the current spec is a
    /// spec change, a difference from ECS with an equal hash is drift.
    pub spec_hash: Option<String>,
}

fn provider_rules(schema: &mut schemars::Schema) {
    schema::add_rules(
        schema,
        &[CelRule::new(
            "!has(self.name) || !['aws', 'ecs', 'fargate'].exists(p, self.name.lowerAscii().startsWith(p))",
            "name may not start with 'aws', 'ecs' or 'fargate'",
        )
        .at(".name")],
    );
}

fn asg_rules(schema: &mut schemars::Schema) {
    schema::add_rules(
        schema,
        &[CelRule::new(
            "!has(self.managedTerminationProtection) || self.managedTerminationProtection == 'DISABLED' || (has(self.managedScaling) && self.managedScaling.status == 'ENABLED')",
            "managedTerminationProtection ENABLED requires managedScaling.status ENABLED",
        )
        .at(".managedTerminationProtection")],
    );
}

fn managed_scaling_rules(schema: &mut schemars::Schema) {
    schema::add_rules(
        schema,
        &[CelRule::new(
            "!has(self.minimumScalingStepSize) || !has(self.maximumScalingStepSize) || self.minimumScalingStepSize <= self.maximumScalingStepSize",
            "minimumScalingStepSize must not exceed maximumScalingStepSize",
        )
        .at(".minimumScalingStepSize")],
    );
}

impl CapacityProvider {
    /// The ECS capacity provider name: `spec.name`, else the object name.
    pub fn provider_name(&self) -> String {
        self.spec.name.clone().unwrap_or_else(|| kube::ResourceExt::name_any(self))
    }
}
