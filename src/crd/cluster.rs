//! `ECSCluster`: an ECS cluster, its capacity providers and settings.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use super::common::{CommonStatus, Policies, Tags};
use super::schema::{self, CelRule};
use super::service::CapacityProviderStrategyItem;

/// An ECS cluster.
#[skip_serializing_none]
// clippy reads the repeated `printcolumn(type_ = …)` arguments of kube's derive attribute as
// duplicated attributes; they are distinct columns.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "ecs.operator.dev",
    version = "v1alpha1",
    kind = "ECSCluster",
    plural = "ecsclusters",
    shortname = "ecscl",
    category = "ecs",
    namespaced,
    status = "ECSClusterStatus",
    printcolumn(name = "Cluster", type_ = "string", json_path = ".status.clusterName"),
    printcolumn(name = "Status", type_ = "string", json_path = ".status.status"),
    printcolumn(name = "Services", type_ = "integer", json_path = ".status.activeServicesCount"),
    printcolumn(name = "Running", type_ = "integer", json_path = ".status.runningTasksCount"),
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp"),
    printcolumn(name = "ARN", type_ = "string", json_path = ".status.clusterArn", priority = 1)
)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = cluster_rules)]
pub struct ECSClusterSpec {
    /// Cluster name; defaults to the object name.
    #[schemars(regex(pattern = r"^[a-zA-Z0-9_-]{1,255}$"))]
    pub cluster_name: Option<String>,
    /// `FARGATE`, `FARGATE_SPOT` and Auto Scaling group capacity provider names.
    #[schemars(length(max = 20), transform = schema::set_list)]
    pub capacity_providers: Option<Vec<String>>,
    /// Strategy for services and tasks that name neither a launch type nor a strategy.
    #[schemars(length(max = 20))]
    pub default_capacity_provider_strategy: Option<Vec<CapacityProviderStrategyItem>>,
    pub settings: Option<ClusterSettings>,
    pub configuration: Option<ClusterConfiguration>,
    pub service_connect_defaults: Option<ServiceConnectDefaults>,
    #[schemars(transform = schema::tags)]
    pub tags: Option<Tags>,
    #[serde(flatten)]
    pub policies: Policies,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterSettings {
    /// CloudWatch Container Insights: `enabled`, `enhanced` or `disabled`. Set, it is enforced;
    /// omitted, a new cluster follows the account's default and it is not compared.
    pub container_insights: Option<ContainerInsights>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ContainerInsights {
    Enabled,
    Enhanced,
    Disabled,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterConfiguration {
    pub execute_command_configuration: Option<ExecuteCommandConfiguration>,
    pub managed_storage_configuration: Option<ManagedStorageConfiguration>,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = execute_command_rules)]
pub struct ExecuteCommandConfiguration {
    /// KMS key for the session data.
    #[schemars(length(max = 2048))]
    pub kms_key_id: Option<String>,
    /// `DEFAULT` (ECS default), `NONE` or `OVERRIDE` (then set logConfiguration).
    pub logging: Option<ExecuteCommandLogging>,
    pub log_configuration: Option<ExecuteCommandLogConfiguration>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecuteCommandLogging {
    None,
    Default,
    Override,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExecuteCommandLogConfiguration {
    #[schemars(length(min = 1, max = 512))]
    pub cloud_watch_log_group_name: Option<String>,
    pub cloud_watch_encryption_enabled: Option<bool>,
    #[schemars(length(min = 3, max = 63))]
    pub s3_bucket_name: Option<String>,
    pub s3_encryption_enabled: Option<bool>,
    #[schemars(length(max = 1024))]
    pub s3_key_prefix: Option<String>,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ManagedStorageConfiguration {
    #[schemars(length(max = 2048))]
    pub kms_key_id: Option<String>,
    #[schemars(length(max = 2048))]
    pub fargate_ephemeral_storage_kms_key_id: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectDefaults {
    /// Cloud Map namespace name or ARN.
    #[schemars(length(min = 1, max = 1024))]
    pub namespace: String,
}

/// What the cluster looks like in ECS right now.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ECSClusterStatus {
    #[serde(flatten)]
    pub common: CommonStatus,
    pub cluster_arn: Option<String>,
    pub cluster_name: Option<String>,
    /// ACTIVE, PROVISIONING, DEPROVISIONING, FAILED or INACTIVE.
    pub status: Option<String>,
    pub active_services_count: Option<i32>,
    pub running_tasks_count: Option<i32>,
    pub pending_tasks_count: Option<i32>,
    pub registered_container_instances_count: Option<i32>,
    pub capacity_providers: Option<Vec<String>>,
    /// Hash of the canonical spec last applied to ECS: a difference from the current spec is a
    /// spec change, a difference from ECS with an equal hash is drift.
    pub spec_hash: Option<String>,
}

fn cluster_rules(schema: &mut schemars::Schema) {
    schema::add_rules(
        schema,
        &[
            CelRule::new(
                "!has(self.defaultCapacityProviderStrategy) || self.defaultCapacityProviderStrategy.all(s, has(self.capacityProviders) && s.capacityProvider in self.capacityProviders)",
                "defaultCapacityProviderStrategy[].capacityProvider must be listed in capacityProviders",
            )
            .at(".defaultCapacityProviderStrategy"),
            CelRule::new(
                "!has(self.defaultCapacityProviderStrategy) || self.defaultCapacityProviderStrategy.filter(s, has(s.base) && s.base > 0).size() <= 1",
                "only one defaultCapacityProviderStrategy item may have a base",
            )
            .at(".defaultCapacityProviderStrategy"),
            CelRule::new(
                "!has(self.defaultCapacityProviderStrategy) || self.defaultCapacityProviderStrategy.all(s, self.defaultCapacityProviderStrategy.exists_one(t, t.capacityProvider == s.capacityProvider))",
                "defaultCapacityProviderStrategy[].capacityProvider must be unique",
            )
            .at(".defaultCapacityProviderStrategy"),
        ],
    );
}

fn execute_command_rules(schema: &mut schemars::Schema) {
    schema::add_rules(
        schema,
        &[CelRule::new(
            "has(self.logging) && self.logging == 'OVERRIDE' ? has(self.logConfiguration) : !has(self.logConfiguration)",
            "logConfiguration is required with logging OVERRIDE and not allowed otherwise",
        )
        .at(".logConfiguration")],
    );
}

impl ECSCluster {
    /// The ECS cluster name: `spec.clusterName`, else the object name.
    pub fn cluster_name(&self) -> String {
        self.spec.cluster_name.clone().unwrap_or_else(|| kube::ResourceExt::name_any(self))
    }
}
