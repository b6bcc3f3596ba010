//! `CapacityProvider`: an ECS capacity provider an ECSCluster names in
//! `spec.capacityProviders`: an Auto Scaling group's EC2 capacity, or ECS Managed Instances
//! (EC2 instances ECS launches and runs itself, in one cluster).

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use super::common::{CommonStatus, LocalObjectRef, Policies, Tags};
use super::schema::{self, CelRule};

/// An Auto Scaling group or Managed Instances capacity provider.
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
    printcolumn(name = "Type", type_ = "string", json_path = ".status.type"),
    printcolumn(
        name = "ASG",
        type_ = "string",
        json_path = ".spec.autoScalingGroupProvider.autoScalingGroupArn",
        priority = 1
    ),
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
    /// EC2 capacity from an Auto Scaling group. Set this or managedInstancesProvider.
    pub auto_scaling_group_provider: Option<AutoScalingGroupProvider>,
    /// EC2 instances ECS launches and manages in one cluster (`cluster` or `clusterRef`).
    /// Set this or autoScalingGroupProvider.
    pub managed_instances_provider: Option<ManagedInstancesProvider>,
    /// The cluster a Managed Instances provider belongs to, by name. Set this or clusterRef
    /// (Managed Instances only). ECS cannot move a provider to another cluster.
    #[schemars(length(min = 1, max = 255))]
    pub cluster: Option<String>,
    /// An ECSCluster object in this namespace, for a Managed Instances provider.
    pub cluster_ref: Option<LocalObjectRef>,
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

/// ECS Managed Instances (ECS `CreateManagedInstancesProviderConfiguration`).
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ManagedInstancesProvider {
    /// The ECS infrastructure role that launches and manages the instances.
    #[schemars(regex(pattern = r"^arn:aws[a-zA-Z-]*:iam::\d{12}:role/.+$"))]
    pub infrastructure_role_arn: String,
    pub instance_launch_template: InstanceLaunchTemplate,
    /// CAPACITY_PROVIDER copies the provider's tags to its instances; NONE does not.
    pub propagate_tags: Option<ManagedInstancesTags>,
    pub infrastructure_optimization: Option<InfrastructureOptimization>,
}

/// How ECS launches the instances (ECS `InstanceLaunchTemplate`).
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InstanceLaunchTemplate {
    /// The instance profile the instances run with.
    #[schemars(regex(pattern = r"^arn:aws[a-zA-Z-]*:iam::\d{12}:instance-profile/.+$"))]
    pub ec2_instance_profile_arn: String,
    pub network_configuration: ManagedInstancesNetwork,
    pub storage_configuration: Option<ManagedInstancesStorage>,
    /// BASIC (ECS's default) or DETAILED CloudWatch monitoring.
    pub monitoring: Option<Monitoring>,
    /// ON_DEMAND (ECS's default), SPOT or RESERVED. ECS cannot change it on an existing
    /// provider.
    pub capacity_option_type: Option<CapacityOptionType>,
    /// Which instance types ECS may launch.
    pub instance_requirements: Option<InstanceRequirements>,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ManagedInstancesNetwork {
    #[schemars(length(min = 1, max = 16))]
    pub subnets: Vec<String>,
    #[schemars(length(max = 5))]
    pub security_groups: Option<Vec<String>>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ManagedInstancesStorage {
    /// Size of each instance's data volume in GiB.
    #[serde(rename = "storageSizeGiB")]
    #[schemars(range(min = 1, max = 16384))]
    pub storage_size_gib: i32,
}

/// Attribute-based instance type selection (a subset of ECS `InstanceRequirementsRequest`).
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = instance_requirements_rules)]
pub struct InstanceRequirements {
    #[serde(rename = "vCpuCount")]
    pub v_cpu_count: MinMax,
    #[serde(rename = "memoryMiB")]
    pub memory_mib: MinMax,
    #[schemars(transform = schema::set_list)]
    pub cpu_manufacturers: Option<Vec<CpuManufacturer>>,
    #[schemars(transform = schema::set_list)]
    pub instance_generations: Option<Vec<InstanceGeneration>>,
    /// Instance types (wildcards allowed, e.g. `m5.*`); not with excludedInstanceTypes.
    #[schemars(length(max = 400), transform = schema::set_list)]
    pub allowed_instance_types: Option<Vec<String>>,
    #[schemars(length(max = 400), transform = schema::set_list)]
    pub excluded_instance_types: Option<Vec<String>>,
    pub bare_metal: Option<Inclusion>,
    pub burstable_performance: Option<Inclusion>,
    #[schemars(range(min = 0))]
    pub spot_max_price_percentage_over_lowest_price: Option<i32>,
    #[schemars(range(min = 0))]
    pub on_demand_max_price_percentage_over_lowest_price: Option<i32>,
}

/// A range with a required lower bound.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = min_max_rules)]
pub struct MinMax {
    #[schemars(range(min = 0))]
    pub min: i32,
    #[schemars(range(min = 0))]
    pub max: Option<i32>,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InfrastructureOptimization {
    /// Seconds an idle or underused instance waits before ECS optimises it away; -1 turns
    /// optimisation off; omitted, ECS's default behaviour.
    #[schemars(range(min = -1, max = 3600))]
    pub scale_in_after: Option<i32>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ManagedInstancesTags {
    CapacityProvider,
    None,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Monitoring {
    Basic,
    Detailed,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CapacityOptionType {
    OnDemand,
    Spot,
    Reserved,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CpuManufacturer {
    Intel,
    Amd,
    AmazonWebServices,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum InstanceGeneration {
    Current,
    Previous,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Inclusion {
    Included,
    Required,
    Excluded,
}

fn instance_requirements_rules(schema: &mut schemars::Schema) {
    schema::add_rules(
        schema,
        &[CelRule::new(
            "!(has(self.allowedInstanceTypes) && has(self.excludedInstanceTypes))",
            "allowedInstanceTypes and excludedInstanceTypes cannot both be set",
        )
        .at(".allowedInstanceTypes")
        .reason("FieldValueForbidden")],
    );
}

fn min_max_rules(schema: &mut schemars::Schema) {
    schema::add_rules(
        schema,
        &[CelRule::new("!has(self.max) || self.min <= self.max", "min must not exceed max").at(".min")],
    );
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
    /// EC2_AUTOSCALING or MANAGED_INSTANCES.
    #[serde(rename = "type")]
    pub type_: Option<String>,
    /// The cluster a Managed Instances provider belongs to.
    pub cluster: Option<String>,
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
        &[
            CelRule::new(
                "!has(self.name) || !['aws', 'ecs', 'fargate'].exists(p, self.name.lowerAscii().startsWith(p))",
                "name may not start with 'aws', 'ecs' or 'fargate'",
            )
            .at(".name"),
            CelRule::new(
                "has(self.autoScalingGroupProvider) != has(self.managedInstancesProvider)",
                "set exactly one of autoScalingGroupProvider and managedInstancesProvider",
            )
            .at(".autoScalingGroupProvider")
            .reason("FieldValueRequired"),
            CelRule::new(
                "!has(self.managedInstancesProvider) || has(self.cluster) != has(self.clusterRef)",
                "a managedInstancesProvider belongs to one cluster: set exactly one of cluster and clusterRef",
            )
            .at(".cluster")
            .reason("FieldValueRequired"),
            CelRule::new(
                "has(self.managedInstancesProvider) || !(has(self.cluster) || has(self.clusterRef))",
                "cluster and clusterRef are for a managedInstancesProvider: an Auto Scaling group provider is not tied to a cluster",
            )
            .at(".cluster")
            .reason("FieldValueForbidden"),
        ],
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

impl CapacityProviderSpec {
    /// The cluster name a Managed Instances provider belongs to, when the spec names it
    /// directly (`clusterRef` is resolved by the controller).
    pub fn cluster_name(&self) -> Option<String> {
        self.cluster.as_deref().map(|c| c.rsplit_once(":cluster/").map_or(c, |(_, name)| name).to_owned())
    }
}
