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
    printcolumn(name = "Stage", type_ = "string", json_path = ".status.deployment.lifecycleStage", priority = 1),
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
    /// Launch type; or use capacityProviderStrategy (not both, and the strategy for ECS Managed
    /// Instances).
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
    /// Service Connect: the names this service is reached at in a Cloud Map namespace, and
    /// whether its tasks reach the namespace's services. Removing it turns Service Connect off.
    /// A change is a new deployment.
    /// (Boxed: most services have none, and every cached object would carry it inline.)
    pub service_connect_configuration: Option<Box<ServiceConnectConfiguration>>,
    /// The task definition's volumes that are `configuredAtLaunch`, each configured here (an
    /// Amazon EBS volume per task). A change is a new deployment.
    #[schemars(length(max = MAX_VOLUME_CONFIGURATIONS))]
    pub volume_configurations: Option<Vec<ServiceVolumeConfiguration>>,
    /// VPC Lattice target groups the service's tasks register with. A change is a new deployment.
    #[schemars(length(max = MAX_LATTICE_CONFIGURATIONS))]
    pub vpc_lattice_configurations: Option<Vec<VpcLatticeConfiguration>>,
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
    /// The green target group, beside `targetGroupArn` (blue).
    #[schemars(regex(pattern = r"^arn:aws[a-zA-Z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup/.+$"))]
    pub alternate_target_group_arn: String,
    /// The listener rule (ALB) or listener (NLB) that carries production traffic.
    #[schemars(regex(pattern = LISTENER_OR_RULE))]
    pub production_listener_rule: String,
    /// The listener rule or listener for test traffic (TEST_TRAFFIC_SHIFT).
    #[schemars(regex(pattern = LISTENER_OR_RULE))]
    pub test_listener_rule: Option<String>,
    /// The IAM role ECS assumes to change the listeners.
    #[schemars(regex(pattern = r"^arn:aws[a-zA-Z-]*:iam::\d{12}:role/.+$"))]
    pub role_arn: String,
}

/// An Elastic Load Balancing listener or listener rule ARN.
const LISTENER_OR_RULE: &str = r"^arn:aws[a-zA-Z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener(-rule)?/.+$";

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
    /// Lambda functions ECS calls, or pauses for approval (`ecs.operator.dev/approve`), at
    /// stages of a BLUE_GREEN, LINEAR or CANARY deployment.
    #[schemars(length(max = MAX_LIFECYCLE_HOOKS))]
    pub lifecycle_hooks: Option<Vec<LifecycleHook>>,
}

/// At most this many lifecycle hooks. ECS's model sets no bound; admission needs one to price
/// its CEL rules, and one hook per stage and target type is far below it.
const MAX_LIFECYCLE_HOOKS: u32 = 20;

/// One lifecycle hook (ECS `DeploymentLifecycleHook`).
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = lifecycle_hook_rules)]
pub struct LifecycleHook {
    /// AWS_LAMBDA (ECS's default) calls `hookTargetArn`; PAUSE waits for approval.
    pub target_type: Option<HookTargetType>,
    /// The Lambda function (AWS_LAMBDA only).
    #[schemars(regex(
        pattern = r"^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:[a-zA-Z0-9_-]{1,64}(:[a-zA-Z0-9_$-]{1,128})?$"
    ))]
    pub hook_target_arn: Option<String>,
    /// The IAM role ECS assumes to call the function (AWS_LAMBDA only).
    #[schemars(regex(pattern = r"^arn:aws[a-zA-Z-]*:iam::\d{12}:role/.+$"))]
    pub role_arn: Option<String>,
    /// Stages the hook runs at (a PAUSE hook not at TEST_TRAFFIC_SHIFT or
    /// PRODUCTION_TRAFFIC_SHIFT, which only Lambda hooks can take).
    #[schemars(length(min = 1, max = 8), transform = schema::set_list)]
    pub lifecycle_stages: Vec<HookStage>,
    /// Parameters ECS passes to the function on each call, any JSON (AWS_LAMBDA only).
    #[schemars(transform = any_json)]
    pub hook_details: Option<serde_json::Value>,
    pub timeout_configuration: Option<HookTimeout>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HookTargetType {
    AwsLambda,
    Pause,
}

/// A deployment stage a hook can run at (ECS `DeploymentLifecycleHookStage`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HookStage {
    ReconcileService,
    PreScaleUp,
    PostScaleUp,
    TestTrafficShift,
    PostTestTrafficShift,
    PreProductionTrafficShift,
    ProductionTrafficShift,
    PostProductionTrafficShift,
}

/// How long ECS waits for a hook, and what it does then.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HookTimeout {
    /// 1 to 20160 minutes (14 days); ECS's default is 1440 (24 hours).
    #[schemars(range(min = 1, max = 20160))]
    pub timeout_in_minutes: Option<i32>,
    /// ROLLBACK (ECS's default) or CONTINUE.
    pub action: Option<HookTimeoutAction>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HookTimeoutAction {
    Rollback,
    Continue,
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
#[schemars(transform = canary_rules)]
pub struct CanaryConfiguration {
    /// Traffic sent to the new revision first, 0.1 to 100 percent.
    #[schemars(range(min = 0.1, max = 100.0))]
    pub canary_percent: f64,
    #[schemars(range(min = 0, max = 1440))]
    pub canary_bake_time_in_minutes: Option<i32>,
}

/// ECS's model sets no bound on these lists; admission needs one to price its CEL rules.
const MAX_VOLUME_CONFIGURATIONS: u32 = 10;
const MAX_LATTICE_CONFIGURATIONS: u32 = 10;
const MAX_SERVICE_CONNECT_SERVICES: u32 = 20;

/// Service Connect (ECS `ServiceConnectConfiguration`).
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = service_connect_rules)]
pub struct ServiceConnectConfiguration {
    pub enabled: bool,
    /// Cloud Map namespace name or ARN; omitted, the cluster's `serviceConnectDefaults`.
    #[schemars(length(min = 1, max = 1024))]
    pub namespace: Option<String>,
    /// The task definition's named ports this service serves. None: a client-only service,
    /// which reaches the namespace's services but is not reachable itself.
    #[schemars(length(max = MAX_SERVICE_CONNECT_SERVICES))]
    pub services: Option<Vec<ServiceConnectService>>,
    /// Logs of the Service Connect proxy container.
    pub log_configuration: Option<super::task_definition::LogConfiguration>,
    /// Access logs of the Service Connect proxy.
    pub access_log_configuration: Option<ServiceConnectAccessLogConfiguration>,
}

/// One named port served through Service Connect (ECS `ServiceConnectService`).
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectService {
    /// A `portMappings[].name` of the task definition.
    #[schemars(length(min = 1, max = 64))]
    pub port_name: String,
    /// The Cloud Map service name; omitted, the port name. Unique in the namespace.
    #[schemars(regex(pattern = r"^[a-z0-9_][a-z0-9_-]{0,63}$"))]
    pub discovery_name: Option<String>,
    /// The endpoint clients use (ECS takes at most one).
    #[schemars(length(max = 1))]
    pub client_aliases: Option<Vec<ServiceConnectClientAlias>>,
    /// The port the proxy listens on, instead of the container port.
    #[schemars(range(min = 0, max = 65535))]
    pub ingress_port_override: Option<i32>,
    pub timeout: Option<ServiceConnectTimeout>,
    pub tls: Option<ServiceConnectTls>,
}

/// A name and port clients connect to (ECS `ServiceConnectClientAlias`).
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectClientAlias {
    #[schemars(range(min = 0, max = 65535))]
    pub port: i32,
    /// Omitted, `discoveryName.namespace`.
    #[schemars(regex(pattern = r"^[a-z0-9_][a-z0-9_.-]{0,126}$"))]
    pub dns_name: Option<String>,
    /// Which requests reach the new revision during a BLUE_GREEN, LINEAR or CANARY
    /// deployment's test traffic shift.
    pub test_traffic_rules: Option<ServiceConnectTestTrafficRules>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectTestTrafficRules {
    pub header: ServiceConnectTestTrafficHeader,
}

/// Requests with this header (and value, when set) are test traffic.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectTestTrafficHeader {
    #[schemars(length(min = 1, max = 256))]
    pub name: String,
    pub value: Option<ServiceConnectHeaderMatch>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectHeaderMatch {
    #[schemars(length(min = 1, max = 1024))]
    pub exact: String,
}

/// Proxy timeouts in seconds; 0 turns a timeout off.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectTimeout {
    #[schemars(range(min = 0, max = 2147483647))]
    pub idle_timeout_seconds: Option<i32>,
    #[schemars(range(min = 0, max = 2147483647))]
    pub per_request_timeout_seconds: Option<i32>,
}

/// TLS between Service Connect proxies, with certificates from AWS Private CA.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectTls {
    pub issuer_certificate_authority: ServiceConnectCertificateAuthority,
    /// KMS key (ARN or ID) ECS encrypts the private key with.
    #[schemars(length(min = 1, max = 2048))]
    pub kms_key: Option<String>,
    /// The role ECS uses for the certificate authority.
    #[schemars(regex(pattern = r"^arn:aws[a-zA-Z-]*:iam::\d{12}:role/.+$"))]
    pub role_arn: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectCertificateAuthority {
    #[schemars(regex(pattern = r"^arn:aws[a-zA-Z-]*:acm-pca:[a-z0-9-]+:\d{12}:certificate-authority/.+$"))]
    pub aws_pca_authority_arn: String,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectAccessLogConfiguration {
    pub format: AccessLogFormat,
    /// ECS's default: DISABLED.
    pub include_query_parameters: Option<QueryParameters>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccessLogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum QueryParameters {
    Enabled,
    Disabled,
}

/// A `configuredAtLaunch` volume of the task definition (ECS `ServiceVolumeConfiguration`).
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceVolumeConfiguration {
    /// The task definition volume's name.
    #[schemars(regex(pattern = r"^[a-zA-Z0-9_-]{1,255}$"))]
    pub name: String,
    /// An Amazon EBS volume created for each task.
    #[serde(rename = "managedEBSVolume")]
    pub managed_ebs_volume: ManagedEbsVolume,
}

/// ECS `ServiceManagedEBSVolumeConfiguration`.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = ebs_rules)]
pub struct ManagedEbsVolume {
    /// The ECS infrastructure role that creates and attaches the volumes.
    #[schemars(regex(pattern = r"^arn:aws[a-zA-Z-]*:iam::\d{12}:role/.+$"))]
    pub role_arn: String,
    /// gp2, gp3, io1, io2, st1, sc1 or standard.
    pub volume_type: Option<EbsVolumeType>,
    /// Size in GiB (gp2/gp3 1-16384, io1/io2 4-16384, st1/sc1 125-16384, standard 1-1024).
    /// Set this, snapshotId, or both.
    #[serde(rename = "sizeInGiB")]
    #[schemars(range(min = 1, max = 16384))]
    pub size_in_gib: Option<i32>,
    #[schemars(regex(pattern = r"^snap-[0-9a-f]{8,17}$"))]
    pub snapshot_id: Option<String>,
    /// MiB/s at which a volume from `snapshotId` is initialised.
    #[schemars(range(min = 100, max = 300))]
    pub volume_initialization_rate: Option<i32>,
    /// Provisioned IOPS (required for io1 and io2; gp3 3000-16000).
    #[schemars(range(min = 100, max = 256000))]
    pub iops: Option<i32>,
    /// MiB/s, gp3 only.
    #[schemars(range(min = 125, max = 1000))]
    pub throughput: Option<i32>,
    pub encrypted: Option<bool>,
    #[schemars(length(min = 1, max = 2048))]
    pub kms_key_id: Option<String>,
    /// ext3, ext4 or xfs on Linux, ntfs on Windows. Omitted, ECS picks the task's operating
    /// system's default (xfs on Linux) and the field is not compared.
    pub filesystem_type: Option<FilesystemType>,
    #[schemars(length(max = 1))]
    pub tag_specifications: Option<Vec<EbsTagSpecification>>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum EbsVolumeType {
    Gp2,
    Gp3,
    Io1,
    Io2,
    St1,
    Sc1,
    Standard,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FilesystemType {
    Ext3,
    Ext4,
    Xfs,
    Ntfs,
}

/// Tags for the volumes ECS creates (ECS `EBSTagSpecification`, resourceType `volume`).
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EbsTagSpecification {
    #[schemars(transform = schema::tags)]
    pub tags: Option<Tags>,
    /// Copy the task definition's or the service's tags to the volumes (NONE by default).
    pub propagate_tags: Option<PropagateTags>,
}

/// A VPC Lattice target group for the service's tasks (ECS `VpcLatticeConfiguration`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VpcLatticeConfiguration {
    /// The ECS infrastructure role that registers the tasks.
    #[schemars(regex(pattern = r"^arn:aws[a-zA-Z-]*:iam::\d{12}:role/.+$"))]
    pub role_arn: String,
    #[schemars(regex(pattern = r"^arn:aws[a-zA-Z-]*:vpc-lattice:[a-z0-9-]+:\d{12}:targetgroup/tg-[0-9a-z]{17}$"))]
    pub target_group_arn: String,
    /// A `portMappings[].name` of the task definition.
    #[schemars(length(min = 1, max = 64))]
    pub port_name: String,
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
    /// The Cloud Map namespace ARN ECS reported for the Service Connect namespace the spec
    /// names (ECS reports ARNs, and a name cannot be read back from one). Boxed: most services
    /// have none.
    pub service_connect_namespace: Option<Box<NamespaceSeen>>,
    // Boxed, like `actions`: most services have neither, and every cached object would
    // otherwise carry their full size.
    /// The service deployment ECS runs or ran last (DescribeServiceDeployments), read while it
    /// moves: its status, stage, traffic and hooks.
    pub deployment: Option<Box<ServiceDeploymentStatus>>,
    /// The last `ecs.operator.dev/approve` and `ecs.operator.dev/rollback` values, each acted
    /// on once, with what came of them.
    pub actions: Option<Box<DeploymentActions>>,
}

/// One ECS service deployment, as DescribeServiceDeployments reports it.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceDeploymentStatus {
    pub arn: String,
    /// PENDING, IN_PROGRESS, SUCCESSFUL, STOPPED, STOP_REQUESTED, ROLLBACK_REQUESTED,
    /// ROLLBACK_IN_PROGRESS, ROLLBACK_SUCCESSFUL or ROLLBACK_FAILED.
    pub status: String,
    pub status_reason: Option<String>,
    /// RECONCILE_SERVICE, PRE_SCALE_UP, SCALE_UP, POST_SCALE_UP, TEST_TRAFFIC_SHIFT,
    /// POST_TEST_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT, POST_PRODUCTION_TRAFFIC_SHIFT,
    /// BAKE_TIME or CLEAN_UP (blue/green, linear and canary).
    pub lifecycle_stage: Option<String>,
    /// The service revision being deployed.
    pub target_revision: Option<String>,
    /// Percent of production traffic the new revision takes, where ECS reports it.
    pub production_traffic_percent: Option<f64>,
    /// Percent of test traffic the new revision takes, where ECS reports it.
    pub test_traffic_percent: Option<f64>,
    /// The lifecycle hooks of this deployment seen so far, each with the stage it ran at.
    pub hooks: Option<Vec<HookStatus>>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub stopped_at: Option<String>,
    /// The service revision a rollback went back to, and why.
    pub rolled_back_to: Option<String>,
    pub rollback_reason: Option<String>,
    /// CloudWatch alarms that fired during the deployment.
    pub triggered_alarms: Option<Vec<String>>,
}

/// A Service Connect namespace name and the ARN ECS reported for it after the last write that
/// named it (none yet: the next description tells).
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceSeen {
    pub name: String,
    pub arn: Option<String>,
}

/// One lifecycle hook run of a service deployment.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HookStatus {
    /// What `ecs.operator.dev/approve` continues (ContinueServiceDeployment's hookId).
    pub hook_id: String,
    /// AWS_LAMBDA or PAUSE.
    pub target_type: Option<String>,
    /// The Lambda function (AWS_LAMBDA hooks).
    pub target_arn: Option<String>,
    /// The deployment's lifecycle stage when the hook was seen.
    pub stage: Option<String>,
    /// AWAITING_ACTION, IN_PROGRESS, SUCCEEDED, FAILED or TIMED_OUT.
    pub status: String,
    pub expires_at: Option<String>,
    /// ROLLBACK or CONTINUE, at `expiresAt`.
    pub timeout_action: Option<String>,
}

/// The deployment actions asked for through annotations.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentActions {
    /// `ecs.operator.dev/approve`: continue the hook awaiting action.
    pub approve: Option<ActionRecord>,
    /// `ecs.operator.dev/rollback`: roll the deployment in progress back.
    pub rollback: Option<ActionRecord>,
}

/// One annotation value and what came of it. A value is acted on once: the same value again
/// (a restart, a re-sync) does nothing, and only a new value acts.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActionRecord {
    /// The annotation's value.
    pub value: String,
    /// Done, NothingInFlight or Failed.
    pub result: String,
    pub message: String,
    /// The service deployment acted on (or looked at).
    pub service_deployment: Option<String>,
    /// The hook continued (approve).
    pub hook_id: Option<String>,
    pub at: String,
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
                "!has(self.launchType) || self.launchType != 'MANAGED_INSTANCES'",
                "ECS Managed Instances run through capacityProviderStrategy naming a Managed Instances CapacityProvider; ECS refuses launchType MANAGED_INSTANCES on a service",
            )
            .at(".launchType")
            .reason("FieldValueForbidden"),
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
            CelRule::new(
                "!has(self.serviceConnectConfiguration) || !has(self.serviceConnectConfiguration.services) || !self.serviceConnectConfiguration.services.exists(s, has(s.clientAliases) && s.clientAliases.exists(a, has(a.testTrafficRules))) || (has(self.deploymentConfiguration) && has(self.deploymentConfiguration.strategy) && self.deploymentConfiguration.strategy != 'ROLLING')",
                "serviceConnectConfiguration test traffic rules apply only to BLUE_GREEN, LINEAR and CANARY deployments: set deploymentConfiguration.strategy",
            )
            .at(".serviceConnectConfiguration.services"),
            CelRule::new(
                "!has(self.volumeConfigurations) || self.volumeConfigurations.all(v, self.volumeConfigurations.exists_one(w, w.name == v.name))",
                "volumeConfigurations[].name must be unique",
            )
            .at(".volumeConfigurations"),
            CelRule::new(
                "!has(self.vpcLatticeConfigurations) || self.vpcLatticeConfigurations.all(v, self.vpcLatticeConfigurations.exists_one(w, w.targetGroupArn == v.targetGroupArn))",
                "vpcLatticeConfigurations[].targetGroupArn must be unique",
            )
            .at(".vpcLatticeConfigurations"),
        ],
    );
    schema::reference_rules(schema);
    schema::capacity_rules(schema);
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
        &[
            CelRule::new(
                "has(self.targetGroupArn) != has(self.loadBalancerName)",
                "set exactly one of targetGroupArn and loadBalancerName",
            ),
            CelRule::new(
                "!has(self.advancedConfiguration) || has(self.targetGroupArn)",
                "advancedConfiguration needs a targetGroupArn (blue/green shifts traffic between target groups, not Classic Load Balancers)",
            )
            .at(".advancedConfiguration"),
            CelRule::new(
                "!has(self.advancedConfiguration) || !has(self.targetGroupArn) || self.advancedConfiguration.alternateTargetGroupArn != self.targetGroupArn",
                "advancedConfiguration.alternateTargetGroupArn must differ from targetGroupArn: green needs a target group of its own",
            )
            .at(".advancedConfiguration.alternateTargetGroupArn"),
            CelRule::new(
                "!has(self.advancedConfiguration) || !has(self.advancedConfiguration.testListenerRule) || self.advancedConfiguration.testListenerRule != self.advancedConfiguration.productionListenerRule",
                "advancedConfiguration.testListenerRule must differ from productionListenerRule",
            )
            .at(".advancedConfiguration.testListenerRule"),
        ],
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
            CelRule::new(
                "!has(self.lifecycleHooks) || size(self.lifecycleHooks) == 0 || (has(self.strategy) && self.strategy != 'ROLLING')",
                "lifecycleHooks run only in BLUE_GREEN, LINEAR and CANARY deployments: set strategy",
            )
            .at(".lifecycleHooks"),
        ],
    );
}

fn service_connect_rules(schema: &mut schemars::Schema) {
    schema::add_rules(
        schema,
        &[
            CelRule::new(
                "self.enabled || !(has(self.services) || has(self.logConfiguration) || has(self.accessLogConfiguration))",
                "a disabled Service Connect takes no services, logConfiguration or accessLogConfiguration: set enabled: true or remove them",
            )
            .at(".enabled"),
            CelRule::new(
                "!has(self.services) || self.services.all(s, self.services.exists_one(t, t.portName == s.portName))",
                "serviceConnectConfiguration.services[].portName must be unique",
            )
            .at(".services"),
            CelRule::new(
                "!has(self.services) || self.services.all(s, !has(s.discoveryName) || self.services.exists_one(t, has(t.discoveryName) && t.discoveryName == s.discoveryName))",
                "serviceConnectConfiguration.services[].discoveryName must be unique",
            )
            .at(".services"),
        ],
    );
}

/// ECS's per-volume-type rules (ServiceManagedEBSVolumeConfiguration in botocore's model).
fn ebs_rules(schema: &mut schemars::Schema) {
    let typed = |types: &str| format!("has(self.volumeType) && self.volumeType in [{types}]");
    schema::add_rules(
        schema,
        &[
            CelRule::new(
                "has(self.sizeInGiB) || has(self.snapshotId)",
                "managedEBSVolume needs sizeInGiB or snapshotId",
            )
            .at(".sizeInGiB")
            .reason("FieldValueRequired"),
            CelRule::new(
                &format!("!({}) || has(self.iops)", typed("'io1', 'io2'")),
                "managedEBSVolume.iops is required for volumeType io1 and io2",
            )
            .at(".iops")
            .reason("FieldValueRequired"),
            CelRule::new(
                &format!("!({}) || !has(self.iops)", typed("'st1', 'sc1', 'standard'")),
                "managedEBSVolume.iops is not supported for volumeType st1, sc1 or standard",
            )
            .at(".iops")
            .reason("FieldValueForbidden"),
            CelRule::new(
                "!has(self.throughput) || (has(self.volumeType) && self.volumeType == 'gp3')",
                "managedEBSVolume.throughput is supported only for volumeType gp3",
            )
            .at(".throughput")
            .reason("FieldValueForbidden"),
            CelRule::new(
                "!has(self.volumeInitializationRate) || has(self.snapshotId)",
                "managedEBSVolume.volumeInitializationRate needs a snapshotId",
            )
            .at(".volumeInitializationRate")
            .reason("FieldValueForbidden"),
            CelRule::new(
                &format!("!has(self.sizeInGiB) || !({}) || self.sizeInGiB >= 4", typed("'io1', 'io2'")),
                "managedEBSVolume.sizeInGiB must be 4 to 16384 for io1 and io2",
            )
            .at(".sizeInGiB"),
            CelRule::new(
                &format!("!has(self.sizeInGiB) || !({}) || self.sizeInGiB >= 125", typed("'st1', 'sc1'")),
                "managedEBSVolume.sizeInGiB must be 125 to 16384 for st1 and sc1",
            )
            .at(".sizeInGiB"),
            CelRule::new(
                &format!("!has(self.sizeInGiB) || !({}) || self.sizeInGiB <= 1024", typed("'standard'")),
                "managedEBSVolume.sizeInGiB must be 1 to 1024 for standard",
            )
            .at(".sizeInGiB"),
        ],
    );
}

fn lifecycle_hook_rules(schema: &mut schemars::Schema) {
    schema::add_rules(
        schema,
        &[
            CelRule::new(
                "!(has(self.targetType) && self.targetType == 'PAUSE') || !has(self.hookTargetArn)",
                "a PAUSE hook has no hookTargetArn: it waits for ecs.operator.dev/approve (ContinueServiceDeployment) instead of calling a function",
            )
            .at(".hookTargetArn")
            .reason("FieldValueForbidden"),
            CelRule::new(
                "!(has(self.targetType) && self.targetType == 'PAUSE') || !has(self.hookDetails)",
                "a PAUSE hook has no hookDetails: only Lambda hooks are passed parameters",
            )
            .at(".hookDetails")
            .reason("FieldValueForbidden"),
            CelRule::new(
                "(has(self.targetType) && self.targetType == 'PAUSE') || has(self.hookTargetArn)",
                "an AWS_LAMBDA hook (the default targetType) needs hookTargetArn, the function's ARN",
            )
            .at(".hookTargetArn")
            .reason("FieldValueRequired"),
            CelRule::new(
                "(has(self.targetType) && self.targetType == 'PAUSE') || has(self.roleArn)",
                "an AWS_LAMBDA hook (the default targetType) needs roleArn, the role ECS calls the function with",
            )
            .at(".roleArn")
            .reason("FieldValueRequired"),
            CelRule::new(
                "!(has(self.targetType) && self.targetType == 'PAUSE') || !self.lifecycleStages.exists(s, s == 'TEST_TRAFFIC_SHIFT' || s == 'PRODUCTION_TRAFFIC_SHIFT')",
                "a PAUSE hook cannot run at TEST_TRAFFIC_SHIFT or PRODUCTION_TRAFFIC_SHIFT (only Lambda hooks can); pause at POST_TEST_TRAFFIC_SHIFT or PRE_PRODUCTION_TRAFFIC_SHIFT",
            )
            .at(".lifecycleStages"),
        ],
    );
}

/// Any JSON value, kept as written.
fn any_json(schema: &mut schemars::Schema) {
    *schema = schemars::json_schema!({ "x-kubernetes-preserve-unknown-fields": true });
}

/// The API server checks an integer against a fractional `minimum` truncated (0 passes
/// `minimum: 0.1`, as kube-openapi does it), so the bound is also a rule.
fn canary_rules(schema: &mut schemars::Schema) {
    schema::add_rules(
        schema,
        &[CelRule::new("self.canaryPercent >= 0.1", "canaryPercent must be 0.1 to 100 percent").at(".canaryPercent")],
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
