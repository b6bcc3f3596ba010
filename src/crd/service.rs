//! `ECSService`: an ECS service in Kubernetes casing, its references to a TaskDefinition and
//! an ECSCluster, optional Application Auto Scaling, and a status that reports the rollout.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use super::common::{CommonStatus, LocalObjectRef, Policies, Tags};
use super::schema::{self, CelRule};

/// An ECS service kept at its desired task definition and count.
#[skip_serializing_none]
// clippy reads the repeated `printcolumn(type_ = …)` arguments of kube's derive attribute as
// duplicated attributes; they are distinct columns.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "ecs.operator.dev",
    version = "v1alpha1",
    kind = "ECSService",
    plural = "ecsservices",
    shortname = "ecssvc",
    category = "ecs",
    namespaced,
    status = "ECSServiceStatus",
    printcolumn(name = "Cluster", type_ = "string", json_path = ".status.clusterName"),
    printcolumn(name = "TaskDef", type_ = "string", json_path = ".status.taskDefinition"),
    printcolumn(name = "Desired", type_ = "integer", json_path = ".status.desiredCount"),
    printcolumn(name = "Running", type_ = "integer", json_path = ".status.runningCount"),
    printcolumn(name = "Rollout", type_ = "string", json_path = ".status.rolloutState"),
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp"),
    printcolumn(name = "ARN", type_ = "string", json_path = ".status.serviceArn", priority = 1)
)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = service_rules)]
pub struct ECSServiceSpec {
    /// Service name; defaults to the object name.
    #[schemars(regex(pattern = r"^[a-zA-Z0-9_-]{1,255}$"))]
    pub service_name: Option<String>,
    /// Cluster name or ARN. Set this or clusterRef.
    #[schemars(length(min = 1, max = 2048))]
    pub cluster: Option<String>,
    /// An ECSCluster object in this namespace. Set this or cluster.
    pub cluster_ref: Option<LocalObjectRef>,
    /// Family, `family:revision` or ARN. Set this or taskDefinitionRef.
    #[schemars(length(min = 1, max = 2048))]
    pub task_definition: Option<String>,
    /// A TaskDefinition object in this namespace; the service follows its current revision.
    pub task_definition_ref: Option<LocalObjectRef>,
    /// Tasks to keep running (default 1 for REPLICA). With autoscaling set this is only the
    /// initial count: the scaler owns it afterwards.
    #[schemars(range(min = 0, max = 5000))]
    pub desired_count: Option<i32>,
    /// Launch type; or use capacityProviderStrategy (not both).
    pub launch_type: Option<LaunchType>,
    #[schemars(length(max = 20))]
    pub capacity_provider_strategy: Option<Vec<CapacityProviderStrategyItem>>,
    /// Fargate platform version (default `LATEST`).
    #[schemars(regex(pattern = r"^(LATEST|\d+\.\d+\.\d+)$"))]
    pub platform_version: Option<String>,
    /// REPLICA (default) or DAEMON. Cannot change after creation.
    pub scheduling_strategy: Option<SchedulingStrategy>,
    pub network_configuration: Option<NetworkConfiguration>,
    #[schemars(length(max = 5))]
    pub load_balancers: Option<Vec<LoadBalancer>>,
    #[schemars(length(max = 1))]
    pub service_registries: Option<Vec<ServiceRegistry>>,
    /// Seconds ECS ignores failing load balancer health checks after a task starts.
    #[schemars(range(min = 0, max = 2147483647))]
    pub health_check_grace_period_seconds: Option<i32>,
    pub deployment_configuration: Option<DeploymentConfiguration>,
    pub deployment_controller: Option<DeploymentController>,
    #[schemars(length(max = 10))]
    pub placement_constraints: Option<Vec<PlacementConstraint>>,
    #[schemars(length(max = 5))]
    pub placement_strategy: Option<Vec<PlacementStrategy>>,
    pub propagate_tags: Option<PropagateTags>,
    pub enable_ecs_managed_tags: Option<bool>,
    pub enable_execute_command: Option<bool>,
    pub availability_zone_rebalancing: Option<AvailabilityZoneRebalancing>,
    #[schemars(transform = schema::tags)]
    pub tags: Option<Tags>,
    /// Application Auto Scaling for desiredCount.
    pub autoscaling: Option<Autoscaling>,
    #[serde(flatten)]
    pub policies: Policies,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LaunchType {
    Ec2,
    Fargate,
    External,
    ManagedInstances,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CapacityProviderStrategyItem {
    /// `FARGATE`, `FARGATE_SPOT` or an Auto Scaling group capacity provider name.
    #[schemars(length(min = 1, max = 255))]
    pub capacity_provider: String,
    /// Relative share of tasks, 0 to 1000.
    #[schemars(range(min = 0, max = 1000))]
    pub weight: Option<i32>,
    /// Tasks placed on this provider first, 0 to 100000.
    #[schemars(range(min = 0, max = 100000))]
    pub base: Option<i32>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SchedulingStrategy {
    Replica,
    Daemon,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NetworkConfiguration {
    pub awsvpc_configuration: AwsVpcConfiguration,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AwsVpcConfiguration {
    /// 1 to 16 subnet IDs.
    #[schemars(length(min = 1, max = 16), transform = subnet_list)]
    pub subnets: Vec<String>,
    /// Up to 5 security group IDs.
    #[schemars(length(max = 5), transform = security_group_list)]
    pub security_groups: Option<Vec<String>>,
    /// `DISABLED` (default) or `ENABLED`.
    pub assign_public_ip: Option<AssignPublicIp>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AssignPublicIp {
    Enabled,
    Disabled,
}

/// A target group (ALB/NLB) or Classic Load Balancer the service registers tasks with.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = load_balancer_rules)]
pub struct LoadBalancer {
    #[schemars(regex(pattern = r"^arn:aws[a-zA-Z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup/.+$"))]
    pub target_group_arn: Option<String>,
    /// Classic Load Balancer name.
    #[schemars(length(min = 1, max = 32))]
    pub load_balancer_name: Option<String>,
    #[schemars(length(min = 1, max = 255))]
    pub container_name: String,
    #[schemars(range(min = 1, max = 65535))]
    pub container_port: i32,
    /// Blue/green settings for the ECS-native BLUE_GREEN, LINEAR and CANARY strategies.
    pub advanced_configuration: Option<AdvancedConfiguration>,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdvancedConfiguration {
    pub alternate_target_group_arn: String,
    pub production_listener_rule: String,
    pub test_listener_rule: Option<String>,
    pub role_arn: String,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRegistry {
    /// Cloud Map service ARN.
    #[schemars(regex(pattern = r"^arn:aws[a-zA-Z-]*:servicediscovery:.+$"))]
    pub registry_arn: String,
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<i32>,
    pub container_name: Option<String>,
    #[schemars(range(min = 1, max = 65535))]
    pub container_port: Option<i32>,
}

/// How ECS replaces tasks when the service changes.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = deployment_configuration_rules)]
pub struct DeploymentConfiguration {
    /// Lower bound of running tasks during a deployment, percent of desired (ECS default 100).
    #[schemars(range(min = 0, max = 100))]
    pub minimum_healthy_percent: Option<i32>,
    /// Upper bound of running plus pending tasks, percent of desired (ECS default 200).
    #[schemars(range(min = 100))]
    pub maximum_percent: Option<i32>,
    pub deployment_circuit_breaker: Option<DeploymentCircuitBreaker>,
    pub alarms: Option<DeploymentAlarms>,
    /// ROLLING (default), BLUE_GREEN, LINEAR or CANARY.
    pub strategy: Option<DeploymentStrategy>,
    /// Minutes both revisions run after the production shift (blue/green family), 0 to 1440.
    #[schemars(range(min = 0, max = 1440))]
    pub bake_time_in_minutes: Option<i32>,
    pub linear_configuration: Option<LinearConfiguration>,
    pub canary_configuration: Option<CanaryConfiguration>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentCircuitBreaker {
    pub enable: bool,
    /// Roll back to the last COMPLETED deployment when the breaker trips.
    pub rollback: bool,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentAlarms {
    /// CloudWatch alarm names.
    #[schemars(length(min = 1, max = 10))]
    pub alarm_names: Vec<String>,
    pub enable: bool,
    pub rollback: bool,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeploymentStrategy {
    Rolling,
    BlueGreen,
    Linear,
    Canary,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinearConfiguration {
    /// Traffic shifted per step, 3 to 100 percent.
    #[schemars(range(min = 3.0, max = 100.0))]
    pub step_percent: f64,
    #[schemars(range(min = 0, max = 1440))]
    pub step_bake_time_in_minutes: Option<i32>,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CanaryConfiguration {
    /// Traffic sent to the new revision first, 0.1 to 100 percent.
    #[schemars(range(min = 0.1, max = 100.0))]
    pub canary_percent: f64,
    #[schemars(range(min = 0, max = 1440))]
    pub canary_bake_time_in_minutes: Option<i32>,
}

/// Who deploys the service. Only `ECS` is accepted: ecs-operator deploys through UpdateService,
/// which ECS refuses for CODE_DEPLOY and EXTERNAL. Blue/green is deploymentConfiguration.strategy
/// BLUE_GREEN, LINEAR or CANARY. (The other values are listed so that a service ECS reports
/// with them can still be read.)
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[schemars(transform = deployment_controller_rules)]
pub struct DeploymentController {
    #[serde(rename = "type")]
    pub type_: DeploymentControllerType,
}

/// Why `deploymentController.type` CODE_DEPLOY and EXTERNAL are refused: the operator deploys
/// by sending `taskDefinition` in UpdateService, which ECS refuses for those controllers
/// (they deploy through CodeDeploy or task sets instead).
pub const UNSUPPORTED_DEPLOYMENT_CONTROLLER: &str = "deploymentController.type must be ECS: CODE_DEPLOY and EXTERNAL deployments are not driven by ecs-operator; for blue/green use deploymentConfiguration.strategy BLUE_GREEN, LINEAR or CANARY (ECS-native)";

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeploymentControllerType {
    Ecs,
    CodeDeploy,
    External,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = placement_constraint_rules)]
pub struct PlacementConstraint {
    #[serde(rename = "type")]
    pub type_: PlacementConstraintType,
    #[schemars(length(max = 2000))]
    pub expression: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
pub enum PlacementConstraintType {
    #[serde(rename = "distinctInstance")]
    DistinctInstance,
    #[serde(rename = "memberOf")]
    MemberOf,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlacementStrategy {
    #[serde(rename = "type")]
    pub type_: PlacementStrategyType,
    /// `instanceId`, `host`, `attribute:ecs.availability-zone`, `cpu` or `memory`.
    #[schemars(length(max = 255))]
    pub field: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PlacementStrategyType {
    Random,
    Spread,
    Binpack,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PropagateTags {
    TaskDefinition,
    Service,
    None,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AvailabilityZoneRebalancing {
    Enabled,
    Disabled,
}

/// Application Auto Scaling of desiredCount.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = autoscaling_rules)]
pub struct Autoscaling {
    #[schemars(range(min = 0, max = 5000))]
    pub min_capacity: i32,
    #[schemars(range(min = 0, max = 5000))]
    pub max_capacity: i32,
    /// Target-tracking policies (at most 10, unique names).
    #[schemars(length(max = 10))]
    pub target_tracking: Option<Vec<TargetTrackingPolicy>>,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = target_tracking_rules)]
pub struct TargetTrackingPolicy {
    /// Policy name, unique per service.
    #[schemars(regex(pattern = r"^[a-zA-Z0-9_.-]{1,200}$"))]
    pub name: String,
    pub metric: ScalingMetric,
    /// Target value of the metric (percent for CPU/memory, requests for ALB).
    #[schemars(range(min = 0.0, max = 1000000.0))]
    pub target_value: f64,
    /// `app/<lb>/<id>/targetgroup/<tg>/<id>`; required for ALBRequestCountPerTarget.
    #[schemars(length(max = 1023))]
    pub resource_label: Option<String>,
    #[schemars(range(min = 0, max = 86400))]
    pub scale_in_cooldown: Option<i32>,
    #[schemars(range(min = 0, max = 86400))]
    pub scale_out_cooldown: Option<i32>,
    pub disable_scale_in: Option<bool>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum ScalingMetric {
    #[default]
    #[serde(rename = "ECSServiceAverageCPUUtilization")]
    Cpu,
    #[serde(rename = "ECSServiceAverageMemoryUtilization")]
    Memory,
    #[serde(rename = "ALBRequestCountPerTarget")]
    AlbRequestCountPerTarget,
}

/// What the service looks like in ECS right now.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ECSServiceStatus {
    #[serde(flatten)]
    pub common: CommonStatus,
    pub service_arn: Option<String>,
    pub cluster_arn: Option<String>,
    /// Cluster name, for `kubectl get`.
    pub cluster_name: Option<String>,
    /// Task definition ARN the service is pinned to (resolved from the spec).
    pub task_definition_arn: Option<String>,
    /// `family:revision` of that ARN, for `kubectl get`.
    pub task_definition: Option<String>,
    pub desired_count: Option<i32>,
    pub running_count: Option<i32>,
    pub pending_count: Option<i32>,
    /// Rollout state of the PRIMARY deployment: IN_PROGRESS, COMPLETED or FAILED.
    pub rollout_state: Option<String>,
    pub deployments: Option<Vec<DeploymentStatus>>,
    /// The newest service events, newest first.
    pub events: Option<Vec<ServiceEventRecord>>,
    /// The last `ecs.operator.dev/restartedAt` value that produced a deployment.
    pub restarted_at: Option<String>,
    /// Application Auto Scaling resource id registered for this service (`service/<cluster>/<name>`).
    pub scalable_target: Option<String>,
    /// Hash of the canonical spec (with the resolved task definition) last applied to ECS;
    /// differences at the same hash are drift, a new hash is a spec change.
    pub spec_hash: Option<String>,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentStatus {
    pub id: String,
    /// PRIMARY, ACTIVE or INACTIVE.
    pub status: String,
    pub task_definition: String,
    pub rollout_state: Option<String>,
    pub rollout_state_reason: Option<String>,
    pub desired_count: i32,
    pub running_count: i32,
    pub pending_count: i32,
    pub failed_tasks: i32,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceEventRecord {
    pub created_at: String,
    pub message: String,
}

// ---- CEL rules -------------------------------------------------------------------------------

fn service_rules(schema: &mut schemars::Schema) {
    schema::add_rules(
        schema,
        &[
            CelRule::new(
                "has(self.taskDefinition) != has(self.taskDefinitionRef)",
                "set exactly one of taskDefinition and taskDefinitionRef",
            )
            .at(".taskDefinition")
            .reason("FieldValueRequired"),
            CelRule::new("has(self.cluster) != has(self.clusterRef)", "set exactly one of cluster and clusterRef")
                .at(".cluster")
                .reason("FieldValueRequired"),
            CelRule::new(
                "!(has(self.launchType) && has(self.capacityProviderStrategy))",
                "launchType and capacityProviderStrategy cannot both be set",
            )
            .at(".launchType")
            .reason("FieldValueForbidden"),
            CelRule::new(
                "!has(self.capacityProviderStrategy) || self.capacityProviderStrategy.filter(s, has(s.base) && s.base > 0).size() <= 1",
                "only one capacityProviderStrategy item may have a base",
            )
            .at(".capacityProviderStrategy"),
            CelRule::new(
                "!has(self.capacityProviderStrategy) || self.capacityProviderStrategy.all(s, self.capacityProviderStrategy.exists_one(t, t.capacityProvider == s.capacityProvider))",
                "capacityProviderStrategy[].capacityProvider must be unique",
            )
            .at(".capacityProviderStrategy"),
            CelRule::new(
                "!has(self.schedulingStrategy) || self.schedulingStrategy != 'DAEMON' || !has(self.autoscaling)",
                "autoscaling cannot be used with schedulingStrategy DAEMON",
            )
            .at(".autoscaling")
            .reason("FieldValueForbidden"),
            CelRule::new(
                "!has(self.placementConstraints) || !(has(self.launchType) && self.launchType == 'FARGATE' || has(self.capacityProviderStrategy) && self.capacityProviderStrategy.exists(s, s.capacityProvider.startsWith('FARGATE')))",
                "placementConstraints are not supported on Fargate",
            )
            .at(".placementConstraints")
            .reason("FieldValueForbidden"),
            CelRule::new(
                "!has(self.placementStrategy) || !(has(self.launchType) && self.launchType == 'FARGATE' || has(self.capacityProviderStrategy) && self.capacityProviderStrategy.exists(s, s.capacityProvider.startsWith('FARGATE')))",
                "placementStrategy is not supported on Fargate",
            )
            .at(".placementStrategy")
            .reason("FieldValueForbidden"),
            CelRule::new(
                "!has(self.deploymentConfiguration) || !has(self.deploymentConfiguration.strategy) || self.deploymentConfiguration.strategy == 'ROLLING' || (has(self.loadBalancers) && self.loadBalancers.all(l, has(l.advancedConfiguration)))",
                "deploymentConfiguration.strategy BLUE_GREEN, LINEAR and CANARY need loadBalancers with advancedConfiguration",
            )
            .at(".loadBalancers"),
        ],
    );
}

fn subnet_list(schema: &mut schemars::Schema) {
    schema::set_list(schema);
    schema
        .ensure_object()
        .insert("items".into(), serde_json::json!({ "type": "string", "pattern": "^subnet-[0-9a-f]{8,17}$" }));
}

fn security_group_list(schema: &mut schemars::Schema) {
    schema::set_list(schema);
    schema
        .ensure_object()
        .insert("items".into(), serde_json::json!({ "type": "string", "pattern": "^sg-[0-9a-f]{8,17}$" }));
}

fn load_balancer_rules(schema: &mut schemars::Schema) {
    schema::add_rules(
        schema,
        &[CelRule::new(
            "has(self.targetGroupArn) != has(self.loadBalancerName)",
            "set exactly one of targetGroupArn and loadBalancerName",
        )],
    );
}

fn deployment_configuration_rules(schema: &mut schemars::Schema) {
    schema::add_rules(
        schema,
        &[
            CelRule::new(
                "!has(self.linearConfiguration) || (has(self.strategy) && self.strategy == 'LINEAR')",
                "linearConfiguration requires strategy LINEAR",
            )
            .at(".linearConfiguration"),
            CelRule::new(
                "!has(self.canaryConfiguration) || (has(self.strategy) && self.strategy == 'CANARY')",
                "canaryConfiguration requires strategy CANARY",
            )
            .at(".canaryConfiguration"),
            CelRule::new(
                "!has(self.strategy) || self.strategy != 'LINEAR' || has(self.linearConfiguration)",
                "strategy LINEAR requires linearConfiguration",
            )
            .at(".linearConfiguration")
            .reason("FieldValueRequired"),
            CelRule::new(
                "!has(self.strategy) || self.strategy != 'CANARY' || has(self.canaryConfiguration)",
                "strategy CANARY requires canaryConfiguration",
            )
            .at(".canaryConfiguration")
            .reason("FieldValueRequired"),
            CelRule::new(
                "!has(self.deploymentCircuitBreaker) || !self.deploymentCircuitBreaker.rollback || self.deploymentCircuitBreaker.enable",
                "deploymentCircuitBreaker.rollback requires enable",
            )
            .at(".deploymentCircuitBreaker.rollback"),
        ],
    );
}

fn deployment_controller_rules(schema: &mut schemars::Schema) {
    schema::add_rules(
        schema,
        &[CelRule::new("self.type == 'ECS'", UNSUPPORTED_DEPLOYMENT_CONTROLLER)
            .at(".type")
            .reason("FieldValueForbidden")],
    );
}

fn placement_constraint_rules(schema: &mut schemars::Schema) {
    schema::add_rules(
        schema,
        &[CelRule::new(
            "self.type != 'memberOf' || has(self.expression)",
            "placementConstraints of type memberOf need an expression",
        )
        .at(".expression")
        .reason("FieldValueRequired")],
    );
}

fn autoscaling_rules(schema: &mut schemars::Schema) {
    schema::add_rules(
        schema,
        &[
            CelRule::new("self.minCapacity <= self.maxCapacity", "autoscaling.minCapacity must not exceed maxCapacity")
                .at(".minCapacity"),
            CelRule::new(
                "!has(self.targetTracking) || self.targetTracking.all(p, self.targetTracking.exists_one(q, q.name == p.name))",
                "autoscaling.targetTracking[].name must be unique",
            )
            .at(".targetTracking"),
        ],
    );
}

fn target_tracking_rules(schema: &mut schemars::Schema) {
    schema::add_rules(
        schema,
        &[
            CelRule::new(
                "self.metric != 'ALBRequestCountPerTarget' || has(self.resourceLabel)",
                "resourceLabel is required for metric ALBRequestCountPerTarget",
            )
            .at(".resourceLabel")
            .reason("FieldValueRequired"),
            CelRule::new("self.targetValue > 0.0", "targetValue must be greater than 0").at(".targetValue"),
        ],
    );
}
