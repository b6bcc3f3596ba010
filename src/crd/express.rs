//! `ECSExpressService`: an ECS Express Mode service (CreateExpressGatewayService). ECS makes the
//! service together with its Application Load Balancer, target group, certificate, security
//! groups, auto scaling and log group from one container image; the status reports the URL it
//! serves at, those resources and the rollout.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use super::common::{CommonStatus, LocalObjectRef, Policies, Tags};
use super::schema::{self, CelRule};
use super::task_definition::{KeyValuePair, Secret};

/// An Express Mode service: a container image served over HTTPS behind a load balancer ECS
/// manages, scaled on a metric.
#[skip_serializing_none]
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "ecs.operator.dev",
    version = "v1alpha1",
    kind = "ECSExpressService",
    plural = "ecsexpressservices",
    shortname = "ecsexpress",
    category = "ecs",
    namespaced,
    status = "ECSExpressServiceStatus",
    printcolumn(name = "Endpoint", type_ = "string", json_path = ".status.endpoint"),
    printcolumn(name = "Desired", type_ = "integer", json_path = ".status.desiredCount"),
    printcolumn(name = "Running", type_ = "integer", json_path = ".status.runningCount"),
    printcolumn(name = "Rollout", type_ = "string", json_path = ".status.rolloutState"),
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp"),
    printcolumn(name = "ARN", type_ = "string", json_path = ".status.serviceArn", priority = 1)
)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = express_rules)]
pub struct ECSExpressServiceSpec {
    /// Service name; defaults to the object name. Fixed once created.
    #[schemars(regex(pattern = r"^[a-zA-Z0-9_-]{1,255}$"))]
    pub service_name: Option<String>,
    /// Cluster name or ARN (default: the `default` cluster, which ECS creates when missing).
    /// Fixed once created.
    #[schemars(length(min = 1, max = 2048))]
    pub cluster: Option<String>,
    /// An ECSCluster object in this namespace, instead of cluster.
    pub cluster_ref: Option<LocalObjectRef>,
    /// Role the ECS agent uses to pull the image and write logs.
    #[schemars(regex(pattern = r"^arn:aws[a-zA-Z-]*:iam::\d{12}:role/.+$"))]
    pub execution_role_arn: String,
    /// Role ECS uses to create and manage the load balancer, target groups, security groups and
    /// scaling. Fixed once created.
    #[schemars(regex(pattern = r"^arn:aws[a-zA-Z-]*:iam::\d{12}:role/.+$"))]
    pub infrastructure_role_arn: String,
    /// Role the container assumes. Once set it can be changed but not removed.
    #[schemars(regex(pattern = r"^arn:aws[a-zA-Z-]*:iam::\d{12}:role/.+$"))]
    pub task_role_arn: Option<String>,
    /// The container that serves traffic.
    pub primary_container: ExpressContainer,
    /// Task CPU: CPU units (`"256"`, ECS's default) or vCPU (`"0.25 vCPU"`).
    #[schemars(regex(pattern = r"^(\d{1,6}|\d{1,3}(\.\d{1,3})?\s*[vV][cC][pP][uU])$"))]
    pub cpu: Option<String>,
    /// Task memory: MiB (`"512"`, ECS's default) or GB (`"1 GB"`).
    #[schemars(regex(pattern = r"^(\d{1,7}(\s*([mM][iI]?[bB]))?|\d{1,4}(\.\d{1,3})?\s*[gG][iI]?[bB])$"))]
    pub memory: Option<String>,
    /// Path the load balancer checks (ECS's default `/ping`).
    #[schemars(regex(pattern = r"^/[^\s]{0,1023}$"))]
    pub health_check_path: Option<String>,
    /// Task counts and the metric scaling follows.
    pub scaling_target: Option<ExpressScalingTarget>,
    /// Subnets and security groups; omitted, ECS uses the default VPC. Once set it can be
    /// changed but not removed.
    pub network_configuration: Option<ExpressNetworkConfiguration>,
    #[schemars(transform = schema::tags)]
    pub tags: Option<Tags>,
    #[serde(flatten)]
    pub policies: Policies,
}

/// The primary container (botocore ExpressGatewayContainer).
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExpressContainer {
    #[schemars(length(min = 1, max = 2048))]
    pub image: String,
    /// Port the load balancer sends traffic to (ECS's default 80).
    #[schemars(range(min = 1, max = 65535))]
    pub container_port: Option<i32>,
    /// CloudWatch Logs; omitted, ECS makes a log group for the service.
    pub aws_logs_configuration: Option<ExpressLogs>,
    /// Credentials for a private registry.
    pub repository_credentials: Option<ExpressRepositoryCredentials>,
    #[schemars(length(max = 100))]
    pub command: Option<Vec<String>>,
    /// Environment variables; names must be unique.
    #[schemars(length(max = 500), transform = schema::unique_names)]
    pub environment: Option<Vec<KeyValuePair>>,
    /// Secrets from Secrets Manager or SSM Parameter Store, by ARN; names must be unique.
    #[schemars(length(max = 500), transform = schema::unique_names)]
    pub secrets: Option<Vec<Secret>>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExpressLogs {
    #[schemars(length(min = 1, max = 512))]
    pub log_group: String,
    #[schemars(length(min = 1, max = 512))]
    pub log_stream_prefix: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExpressRepositoryCredentials {
    /// ARN of the Secrets Manager secret with the registry credentials.
    #[schemars(regex(pattern = r"^arn:aws[a-zA-Z-]*:secretsmanager:.+$"))]
    pub credentials_parameter: String,
}

/// Scaling (botocore ExpressGatewayScalingTarget).
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExpressScalingTarget {
    /// Fewest tasks (1 by default).
    #[schemars(range(min = 1, max = 5000))]
    pub min_task_count: Option<i32>,
    /// Most tasks (20 by default).
    #[schemars(range(min = 1, max = 5000))]
    pub max_task_count: Option<i32>,
    /// AVERAGE_CPU (default), AVERAGE_MEMORY or REQUEST_COUNT_PER_TARGET.
    pub auto_scaling_metric: Option<ExpressScalingMetric>,
    /// Target value of the metric (60 by default; a percentage for CPU and memory).
    #[schemars(range(min = 1, max = 1000000))]
    pub auto_scaling_target_value: Option<i32>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExpressScalingMetric {
    AverageCpu,
    AverageMemory,
    RequestCountPerTarget,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExpressNetworkConfiguration {
    /// Subnet IDs.
    #[schemars(length(min = 1, max = 16), transform = schema::set_list)]
    pub subnets: Vec<String>,
    /// Security group IDs; omitted, ECS makes one.
    #[schemars(length(max = 5), transform = schema::set_list)]
    pub security_groups: Option<Vec<String>>,
}

/// What the Express service looks like in ECS.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ECSExpressServiceStatus {
    #[serde(flatten)]
    pub common: CommonStatus,
    pub service_arn: Option<String>,
    pub cluster_arn: Option<String>,
    pub service_name: Option<String>,
    /// ACTIVE, DRAINING or INACTIVE.
    pub status_code: Option<String>,
    pub status_reason: Option<String>,
    /// The URL ECS serves the service at.
    pub endpoint: Option<String>,
    /// Every entry point ECS reports (access type and endpoint).
    pub ingress_paths: Option<Vec<IngressPathStatus>>,
    /// The service revision of the newest active configuration.
    pub service_revision_arn: Option<String>,
    /// Configurations still active: two while a change rolls out.
    pub active_configurations: Option<i32>,
    /// The service deployment ECS runs now.
    pub current_deployment: Option<String>,
    pub desired_count: Option<i32>,
    pub running_count: Option<i32>,
    pub pending_count: Option<i32>,
    /// Rollout state of the PRIMARY deployment: IN_PROGRESS, COMPLETED or FAILED.
    pub rollout_state: Option<String>,
    /// The resources ECS made for the service revision `managedResourcesRevision`.
    pub managed_resources: Option<Vec<ManagedResourceStatus>>,
    pub managed_resources_revision: Option<String>,
    pub spec_hash: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IngressPathStatus {
    /// PUBLIC or PRIVATE.
    pub access_type: String,
    pub endpoint: String,
}

/// One resource ECS made and manages for the service.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ManagedResourceStatus {
    /// LoadBalancer, LoadBalancerSecurityGroup, Certificate, Listener, ListenerRule, TargetGroup,
    /// ScalableTarget, ScalingPolicy, MetricAlarm, ServiceSecurityGroup or LogGroup.
    pub kind: String,
    pub arn: Option<String>,
    /// PROVISIONING, ACTIVE, DEPROVISIONING, DELETED or FAILED.
    pub status: String,
    pub status_reason: Option<String>,
}

impl ECSExpressService {
    /// The ECS service name: `spec.serviceName`, else the object name.
    pub fn service_name(&self) -> String {
        self.spec.service_name.clone().unwrap_or_else(|| kube::ResourceExt::name_any(self))
    }
}

fn express_rules(schema: &mut schemars::Schema) {
    schema::add_rules(
        schema,
        &[
            CelRule::new(
                "has(self.serviceName) == has(oldSelf.serviceName) && (!has(self.serviceName) || self.serviceName == oldSelf.serviceName)",
                "serviceName is fixed once the object exists (ECS cannot rename a service): create a new ECSExpressService for another name",
            )
            .at(".serviceName"),
            CelRule::new("!(has(self.cluster) && has(self.clusterRef))", "set at most one of cluster and clusterRef")
                .at(".cluster")
                .reason("FieldValueForbidden"),
            CelRule::new(
                "!has(self.scalingTarget) || !has(self.scalingTarget.minTaskCount) || !has(self.scalingTarget.maxTaskCount) || self.scalingTarget.minTaskCount <= self.scalingTarget.maxTaskCount",
                "scalingTarget.minTaskCount must not exceed maxTaskCount",
            )
            .at(".scalingTarget"),
            CelRule::new(
                "!has(self.scalingTarget) || !has(self.scalingTarget.autoScalingTargetValue) || (has(self.scalingTarget.autoScalingMetric) && self.scalingTarget.autoScalingMetric == 'REQUEST_COUNT_PER_TARGET') || self.scalingTarget.autoScalingTargetValue <= 100",
                "scalingTarget.autoScalingTargetValue is a percentage (1 to 100) for AVERAGE_CPU and AVERAGE_MEMORY",
            )
            .at(".scalingTarget.autoScalingTargetValue"),
        ],
    );
}
