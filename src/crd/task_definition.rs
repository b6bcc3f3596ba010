//! `TaskDefinition`: the ECS RegisterTaskDefinition request in Kubernetes casing, plus the
//! lifecycle policies. Admission rules (OpenAPI bounds and CEL) live next to the fields they
//! guard so that `kubectl apply` of a bad object names the field.

use std::collections::BTreeMap;

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use super::common::{CommonStatus, Policies, Tags};
use super::schema::{self, CelRule};

/// An ECS task definition family whose revisions the operator registers.
#[skip_serializing_none]
// clippy reads the repeated `printcolumn(type_ = …)` arguments of kube's derive attribute as
// duplicated attributes; they are distinct columns.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "ecs.operator.dev",
    version = "v1alpha1",
    kind = "TaskDefinition",
    plural = "taskdefinitions",
    shortname = "ecstd",
    shortname = "ecstaskdef",
    category = "ecs",
    namespaced,
    status = "TaskDefinitionStatus",
    printcolumn(name = "Family", type_ = "string", json_path = ".status.family"),
    printcolumn(name = "Revision", type_ = "integer", json_path = ".status.revision"),
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status"),
    printcolumn(name = "Synced", type_ = "string", json_path = ".status.conditions[?(@.type==\"Synced\")].status"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp"),
    printcolumn(name = "ARN", type_ = "string", json_path = ".status.taskDefinitionArn", priority = 1)
)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = task_definition_rules)]
pub struct TaskDefinitionSpec {
    /// Family name; defaults to the object name. Letters, digits, `-` and `_`, up to 255.
    #[schemars(regex(pattern = r"^[a-zA-Z0-9_-]{1,255}$"))]
    pub family: Option<String>,
    /// Role the task's containers assume.
    #[schemars(regex(pattern = r"^arn:aws[a-zA-Z-]*:iam::\d{12}:role/.+$"))]
    pub task_role_arn: Option<String>,
    /// Role the ECS agent uses to pull images and write logs.
    #[schemars(regex(pattern = r"^arn:aws[a-zA-Z-]*:iam::\d{12}:role/.+$"))]
    pub execution_role_arn: Option<String>,
    /// Docker networking mode; Fargate requires `awsvpc`. ECS defaults to `bridge`.
    pub network_mode: Option<NetworkMode>,
    /// One to ten containers with unique names.
    #[schemars(length(min = 1, max = 10))]
    #[schemars(transform = container_list_rules)]
    pub container_definitions: Vec<ContainerDefinition>,
    /// Volumes the containers may mount.
    #[schemars(length(max = 50))]
    pub volumes: Option<Vec<Volume>>,
    /// Placement constraints for EC2 tasks (at most 10).
    #[schemars(length(max = 10))]
    pub placement_constraints: Option<Vec<TaskPlacementConstraint>>,
    /// Launch types the definition is validated against.
    #[schemars(length(max = 4), transform = schema::set_list)]
    pub requires_compatibilities: Option<Vec<Compatibility>>,
    /// Task CPU: CPU units (`"256"`) or vCPU (`"0.25 vCPU"`). Required for Fargate.
    #[schemars(regex(pattern = r"^(\d{1,6}|\d{1,3}(\.\d{1,3})?\s*[vV][cC][pP][uU])$"))]
    pub cpu: Option<String>,
    /// Task memory: MiB (`"512"`, `"512 MiB"`) or GB (`"1 GB"`, `"0.5 GB"`). Required for Fargate.
    #[schemars(regex(pattern = r"^(\d{1,7}(\s*([mM][iI]?[bB]))?|\d{1,4}(\.\d{1,3})?\s*[gG][iI]?[bB])$"))]
    pub memory: Option<String>,
    /// Process namespace: `host` or `task`.
    pub pid_mode: Option<PidMode>,
    /// IPC namespace: `host`, `task` or `none`.
    pub ipc_mode: Option<IpcMode>,
    /// App Mesh proxy configuration.
    pub proxy_configuration: Option<ProxyConfiguration>,
    /// Elastic Inference accelerators (deprecated by AWS; kept for completeness).
    #[schemars(length(max = 10))]
    pub inference_accelerators: Option<Vec<InferenceAccelerator>>,
    /// Fargate ephemeral storage, 21 to 200 GiB.
    pub ephemeral_storage: Option<EphemeralStorage>,
    /// CPU architecture and operating system.
    pub runtime_platform: Option<RuntimePlatform>,
    /// Allow fault injection requests from the task's containers.
    pub enable_fault_injection: Option<bool>,
    /// Tags on every revision; applied without registering a new revision.
    #[schemars(transform = schema::tags)]
    pub tags: Option<Tags>,
    /// How many of our older revisions to keep ACTIVE (default 10). Older ones that no
    /// service uses are deregistered.
    #[schemars(range(min = 0, max = 1000))]
    pub revision_history_limit: Option<i32>,
    #[serde(flatten)]
    pub policies: Policies,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum NetworkMode {
    Bridge,
    Host,
    Awsvpc,
    None,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Compatibility {
    Ec2,
    Fargate,
    External,
    ManagedInstances,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PidMode {
    Host,
    Task,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum IpcMode {
    Host,
    Task,
    None,
}

/// One container of the task.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerDefinition {
    /// Container name, unique in the task: letters, digits, `-` and `_`, up to 255.
    #[schemars(regex(pattern = r"^[a-zA-Z0-9_-]{1,255}$"))]
    pub name: String,
    /// Image reference, e.g. `public.ecr.aws/nginx/nginx:1.27`.
    #[schemars(length(min = 1, max = 1024))]
    pub image: String,
    /// Secrets Manager secret with private registry credentials.
    pub repository_credentials: Option<RepositoryCredentials>,
    /// CPU units reserved for the container (1024 = one vCPU).
    #[schemars(range(min = 0, max = 196608))]
    pub cpu: Option<i32>,
    /// Hard memory limit in MiB.
    #[schemars(range(min = 6))]
    pub memory: Option<i32>,
    /// Soft memory limit in MiB.
    #[schemars(range(min = 4))]
    pub memory_reservation: Option<i32>,
    /// Legacy links to other containers (bridge mode only).
    #[schemars(length(max = 10))]
    pub links: Option<Vec<String>>,
    /// Ports the container exposes.
    #[schemars(length(max = 100))]
    pub port_mappings: Option<Vec<PortMapping>>,
    /// Whether the task stops when this container stops (ECS default: true).
    pub essential: Option<bool>,
    /// Restart the container in place when it exits.
    pub restart_policy: Option<ContainerRestartPolicy>,
    #[schemars(length(max = 100))]
    pub entry_point: Option<Vec<String>>,
    #[schemars(length(max = 100))]
    pub command: Option<Vec<String>>,
    /// Environment variables; names must be unique.
    #[schemars(length(max = 500), transform = schema::unique_names)]
    pub environment: Option<Vec<KeyValuePair>>,
    /// Environment files in S3 (at most 10).
    #[schemars(length(max = 10))]
    pub environment_files: Option<Vec<EnvironmentFile>>,
    #[schemars(length(max = 100))]
    pub mount_points: Option<Vec<MountPoint>>,
    #[schemars(length(max = 10))]
    pub volumes_from: Option<Vec<VolumeFrom>>,
    pub linux_parameters: Option<LinuxParameters>,
    /// Secrets injected as environment variables; names must be unique.
    #[schemars(length(max = 500), transform = schema::unique_names)]
    pub secrets: Option<Vec<Secret>>,
    /// Containers that must reach a condition before this one starts.
    #[schemars(length(max = 10))]
    pub depends_on: Option<Vec<ContainerDependency>>,
    /// Seconds to wait for dependencies before giving up.
    #[schemars(range(min = 0, max = 120))]
    pub start_timeout: Option<i32>,
    /// Seconds before the container is killed after SIGTERM.
    #[schemars(range(min = 0, max = 120))]
    pub stop_timeout: Option<i32>,
    /// Resolve the image tag to a digest once per deployment (`enabled`, the ECS default).
    pub version_consistency: Option<VersionConsistency>,
    #[schemars(length(max = 255))]
    pub hostname: Option<String>,
    #[schemars(length(max = 255))]
    pub user: Option<String>,
    #[schemars(length(max = 4096))]
    pub working_directory: Option<String>,
    pub disable_networking: Option<bool>,
    pub privileged: Option<bool>,
    pub readonly_root_filesystem: Option<bool>,
    #[schemars(length(max = 10))]
    pub dns_servers: Option<Vec<String>>,
    #[schemars(length(max = 10))]
    pub dns_search_domains: Option<Vec<String>>,
    #[schemars(length(max = 50))]
    pub extra_hosts: Option<Vec<HostEntry>>,
    #[schemars(length(max = 20))]
    pub docker_security_options: Option<Vec<String>>,
    pub interactive: Option<bool>,
    pub pseudo_terminal: Option<bool>,
    pub docker_labels: Option<BTreeMap<String, String>>,
    #[schemars(length(max = 20))]
    pub ulimits: Option<Vec<Ulimit>>,
    pub log_configuration: Option<LogConfiguration>,
    pub health_check: Option<HealthCheck>,
    #[schemars(length(max = 50))]
    pub system_controls: Option<Vec<SystemControl>>,
    /// GPUs or inference accelerators for the container.
    #[schemars(length(max = 2))]
    pub resource_requirements: Option<Vec<ResourceRequirement>>,
    /// FireLens log router configuration (for a `fluentbit`/`fluentd` sidecar).
    pub firelens_configuration: Option<FirelensConfiguration>,
    /// Credential specs for Active Directory authentication (Windows / Linux gMSA).
    #[schemars(length(max = 1))]
    pub credential_specs: Option<Vec<String>>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryCredentials {
    /// ARN of the Secrets Manager secret.
    #[schemars(length(min = 1, max = 2048))]
    pub credentials_parameter: String,
}

/// A port the container listens on.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = port_mapping_rules)]
pub struct PortMapping {
    #[schemars(range(min = 1, max = 65535))]
    pub container_port: Option<i32>,
    /// Host port; under `awsvpc` it must equal containerPort (ECS fills it in).
    #[schemars(range(min = 0, max = 65535))]
    pub host_port: Option<i32>,
    /// `tcp` (default) or `udp`.
    pub protocol: Option<TransportProtocol>,
    /// Name used by Service Connect.
    #[schemars(regex(pattern = r"^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$"))]
    pub name: Option<String>,
    /// Application protocol for Service Connect.
    pub app_protocol: Option<AppProtocol>,
    /// A range such as `8000-8100` (awsvpc or host mode).
    #[schemars(regex(pattern = r"^\d{1,5}-\d{1,5}$"))]
    pub container_port_range: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TransportProtocol {
    Tcp,
    Udp,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AppProtocol {
    Http,
    Http2,
    Grpc,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerRestartPolicy {
    pub enabled: bool,
    /// Exit codes that do not trigger a restart (at most 50).
    #[schemars(length(max = 50))]
    pub ignored_exit_codes: Option<Vec<i32>>,
    /// Seconds a container must run before a restart is attempted (60 to 1800).
    #[schemars(range(min = 60, max = 1800))]
    pub restart_attempt_period: Option<i32>,
}

/// A name/value pair (environment variables, proxy properties).
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyValuePair {
    #[schemars(length(min = 1, max = 255))]
    pub name: String,
    pub value: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentFile {
    /// S3 object ARN of the `.env` file.
    #[schemars(regex(pattern = r"^arn:aws[a-zA-Z-]*:s3:::.+$"))]
    pub value: String,
    #[serde(rename = "type")]
    pub type_: EnvironmentFileType,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum EnvironmentFileType {
    S3,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MountPoint {
    /// Name of a volume in `spec.volumes`.
    #[schemars(length(min = 1, max = 255))]
    pub source_volume: String,
    #[schemars(length(min = 1, max = 4096))]
    pub container_path: String,
    pub read_only: Option<bool>,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VolumeFrom {
    #[schemars(length(min = 1, max = 255))]
    pub source_container: String,
    pub read_only: Option<bool>,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinuxParameters {
    pub capabilities: Option<KernelCapabilities>,
    #[schemars(length(max = 50))]
    pub devices: Option<Vec<Device>>,
    /// Run an init process (tini) as PID 1.
    pub init_process_enabled: Option<bool>,
    /// `/dev/shm` size in MiB (EC2 only).
    #[schemars(range(min = 0))]
    pub shared_memory_size: Option<i32>,
    #[schemars(length(max = 50))]
    pub tmpfs: Option<Vec<Tmpfs>>,
    /// Swap in MiB; `0` disables swap (EC2 only).
    #[schemars(range(min = 0))]
    pub max_swap: Option<i32>,
    /// 0 to 100 (EC2 only).
    #[schemars(range(min = 0, max = 100))]
    pub swappiness: Option<i32>,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KernelCapabilities {
    #[schemars(length(max = 40), transform = schema::set_list)]
    pub add: Option<Vec<String>>,
    #[schemars(length(max = 40), transform = schema::set_list)]
    pub drop: Option<Vec<String>>,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    #[schemars(length(min = 1, max = 4096))]
    pub host_path: String,
    pub container_path: Option<String>,
    #[schemars(length(max = 3))]
    pub permissions: Option<Vec<DeviceCgroupPermission>>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeviceCgroupPermission {
    Read,
    Write,
    Mknod,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Tmpfs {
    #[schemars(length(min = 1, max = 4096))]
    pub container_path: String,
    /// Size in MiB.
    #[schemars(range(min = 1))]
    pub size: i32,
    #[schemars(length(max = 30))]
    pub mount_options: Option<Vec<String>>,
}

/// A secret from Secrets Manager or SSM Parameter Store.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Secret {
    /// Environment variable (or log option) name.
    #[schemars(length(min = 1, max = 255))]
    pub name: String,
    /// ARN or name of the secret or parameter.
    #[schemars(length(min = 1, max = 2048))]
    pub value_from: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerDependency {
    /// Name of another container in this task.
    #[schemars(length(min = 1, max = 255))]
    pub container_name: String,
    pub condition: ContainerCondition,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ContainerCondition {
    Start,
    Complete,
    Success,
    Healthy,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum VersionConsistency {
    Enabled,
    Disabled,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HostEntry {
    #[schemars(length(min = 1, max = 255))]
    pub hostname: String,
    #[schemars(length(min = 1, max = 45))]
    pub ip_address: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = ulimit_rules)]
pub struct Ulimit {
    pub name: UlimitName,
    pub soft_limit: i32,
    pub hard_limit: i32,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum UlimitName {
    Core,
    Cpu,
    Data,
    Fsize,
    Locks,
    Memlock,
    Msgqueue,
    Nice,
    Nofile,
    Nproc,
    Rss,
    Rtprio,
    Rttime,
    Sigpending,
    Stack,
}

/// Where the container's stdout/stderr go.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogConfiguration {
    pub log_driver: LogDriver,
    /// Driver options, e.g. `awslogs-group`, `awslogs-region`, `awslogs-stream-prefix`.
    pub options: Option<BTreeMap<String, String>>,
    /// Options whose values come from secrets (e.g. a Splunk token).
    #[schemars(length(max = 50))]
    pub secret_options: Option<Vec<Secret>>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LogDriver {
    #[serde(rename = "json-file")]
    JsonFile,
    Syslog,
    Journald,
    Gelf,
    Fluentd,
    Awslogs,
    Splunk,
    Awsfirelens,
}

/// Docker health check run inside the container.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthCheck {
    /// `["CMD-SHELL", "curl -f http://localhost/ || exit 1"]` or `["CMD", …]`.
    #[schemars(length(min = 1, max = 100))]
    #[schemars(transform = health_check_command_rule)]
    pub command: Vec<String>,
    /// Seconds between checks, 5 to 300 (ECS default 30).
    #[schemars(range(min = 5, max = 300))]
    pub interval: Option<i32>,
    /// Seconds before a check fails, 2 to 120 (ECS default 5).
    #[schemars(range(min = 2, max = 120))]
    pub timeout: Option<i32>,
    /// Failures before unhealthy, 1 to 10 (ECS default 3).
    #[schemars(range(min = 1, max = 10))]
    pub retries: Option<i32>,
    /// Grace period in seconds, 0 to 300 (ECS default 0).
    #[schemars(range(min = 0, max = 300))]
    pub start_period: Option<i32>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SystemControl {
    #[schemars(length(min = 1, max = 255))]
    pub namespace: String,
    #[schemars(length(max = 255))]
    pub value: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRequirement {
    /// Number of GPUs, or the device name of an inference accelerator.
    #[schemars(length(min = 1, max = 255))]
    pub value: String,
    #[serde(rename = "type")]
    pub type_: ResourceType,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
pub enum ResourceType {
    #[serde(rename = "GPU")]
    Gpu,
    InferenceAccelerator,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FirelensConfiguration {
    #[serde(rename = "type")]
    pub type_: FirelensType,
    /// e.g. `enable-ecs-log-metadata`, `config-file-type`, `config-file-value`.
    pub options: Option<BTreeMap<String, String>>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FirelensType {
    Fluentd,
    Fluentbit,
}

/// A task volume. Set at most one of host, dockerVolumeConfiguration,
/// efsVolumeConfiguration and fsxWindowsFileServerVolumeConfiguration.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = volume_rules)]
pub struct Volume {
    #[schemars(regex(pattern = r"^[a-zA-Z0-9_-]{1,255}$"))]
    pub name: String,
    pub host: Option<HostVolumeProperties>,
    pub docker_volume_configuration: Option<DockerVolumeConfiguration>,
    pub efs_volume_configuration: Option<EfsVolumeConfiguration>,
    pub fsx_windows_file_server_volume_configuration: Option<FsxWindowsFileServerVolumeConfiguration>,
    /// The volume is configured when the task or service is launched.
    pub configured_at_launch: Option<bool>,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HostVolumeProperties {
    /// Path on the host; absent means a Docker-managed scratch volume.
    pub source_path: Option<String>,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DockerVolumeConfiguration {
    /// `task` (default) or `shared`.
    pub scope: Option<DockerVolumeScope>,
    /// Create the volume if missing (only with scope `shared`).
    pub autoprovision: Option<bool>,
    pub driver: Option<String>,
    pub driver_opts: Option<BTreeMap<String, String>>,
    pub labels: Option<BTreeMap<String, String>>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DockerVolumeScope {
    Task,
    Shared,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = efs_rules)]
pub struct EfsVolumeConfiguration {
    #[schemars(regex(pattern = r"^fs-[0-9a-f]{8,40}$"))]
    pub file_system_id: String,
    /// Directory in the file system to mount as root (default `/`).
    pub root_directory: Option<String>,
    /// `ENABLED` or `DISABLED` (default); required `ENABLED` with IAM authorization.
    pub transit_encryption: Option<EfsFlag>,
    #[schemars(range(min = 1, max = 65535))]
    pub transit_encryption_port: Option<i32>,
    pub authorization_config: Option<EfsAuthorizationConfig>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EfsFlag {
    Enabled,
    Disabled,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EfsAuthorizationConfig {
    #[schemars(regex(pattern = r"^fsap-[0-9a-f]{8,40}$"))]
    pub access_point_id: Option<String>,
    pub iam: Option<EfsFlag>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FsxWindowsFileServerVolumeConfiguration {
    #[schemars(regex(pattern = r"^fs-[0-9a-f]{8,40}$"))]
    pub file_system_id: String,
    #[schemars(length(min = 1, max = 4096))]
    pub root_directory: String,
    pub authorization_config: FsxWindowsFileServerAuthorizationConfig,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FsxWindowsFileServerAuthorizationConfig {
    /// Secrets Manager or SSM ARN holding the domain credentials.
    #[schemars(length(min = 1, max = 2048))]
    pub credentials_parameter: String,
    #[schemars(length(min = 1, max = 255))]
    pub domain: String,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskPlacementConstraint {
    /// Only `memberOf` is valid for task definitions.
    #[serde(rename = "type")]
    pub type_: TaskPlacementConstraintType,
    /// Cluster query language expression, e.g. `attribute:ecs.instance-type =~ t3.*`.
    #[schemars(length(max = 2000))]
    pub expression: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
pub enum TaskPlacementConstraintType {
    #[default]
    #[serde(rename = "memberOf")]
    MemberOf,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProxyConfiguration {
    /// Only `APPMESH`.
    #[serde(rename = "type")]
    pub type_: Option<ProxyConfigurationType>,
    /// Name of the Envoy container in this task.
    #[schemars(length(min = 1, max = 255))]
    pub container_name: String,
    /// e.g. `IgnoredUID`, `AppPorts`, `ProxyIngressPort`, `ProxyEgressPort`.
    #[schemars(length(max = 20))]
    pub properties: Option<Vec<KeyValuePair>>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum ProxyConfigurationType {
    #[serde(rename = "APPMESH")]
    AppMesh,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InferenceAccelerator {
    #[schemars(length(min = 1, max = 255))]
    pub device_name: String,
    #[schemars(length(min = 1, max = 255))]
    pub device_type: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EphemeralStorage {
    /// Total task storage in GiB, 21 to 200.
    #[schemars(range(min = 21, max = 200))]
    pub size_in_gi_b: i32,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuntimePlatform {
    pub cpu_architecture: Option<CpuArchitecture>,
    pub operating_system_family: Option<OsFamily>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CpuArchitecture {
    #[serde(rename = "X86_64")]
    X86_64,
    #[serde(rename = "ARM64")]
    Arm64,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OsFamily {
    Linux,
    #[serde(rename = "WINDOWS_SERVER_2016_FULL")]
    WindowsServer2016Full,
    #[serde(rename = "WINDOWS_SERVER_2019_FULL")]
    WindowsServer2019Full,
    #[serde(rename = "WINDOWS_SERVER_2019_CORE")]
    WindowsServer2019Core,
    #[serde(rename = "WINDOWS_SERVER_2022_FULL")]
    WindowsServer2022Full,
    #[serde(rename = "WINDOWS_SERVER_2022_CORE")]
    WindowsServer2022Core,
    #[serde(rename = "WINDOWS_SERVER_2025_FULL")]
    WindowsServer2025Full,
    #[serde(rename = "WINDOWS_SERVER_2025_CORE")]
    WindowsServer2025Core,
    #[serde(rename = "WINDOWS_SERVER_20H2_CORE")]
    WindowsServer20H2Core,
    #[serde(rename = "WINDOWS_SERVER_2004_CORE")]
    WindowsServer2004Core,
}

/// What the operator last registered and what it keeps.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskDefinitionStatus {
    #[serde(flatten)]
    pub common: CommonStatus,
    pub family: Option<String>,
    /// Revision the current spec produced.
    pub revision: Option<i64>,
    /// ARN of that revision; ECSServices with a taskDefinitionRef pin to it.
    pub task_definition_arn: Option<String>,
    /// Hash of the canonical spec that produced the revision.
    pub spec_hash: Option<String>,
    /// Recent revisions the operator registered, newest first.
    pub revisions: Option<Vec<RevisionRecord>>,
}

#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RevisionRecord {
    pub revision: i64,
    pub task_definition_arn: String,
    pub spec_hash: Option<String>,
    /// ACTIVE, INACTIVE or DELETE_IN_PROGRESS.
    pub status: Option<String>,
}

// ---- CEL rules -------------------------------------------------------------------------------

/// CEL expression for the task cpu string in CPU units (see `canonical::units::cpu_units`).
pub(crate) const CEL_TASK_CPU_UNITS: &str = "(self.cpu.lowerAscii().endsWith('vcpu') ? \
     int(double(self.cpu.lowerAscii().replace('vcpu', '').trim()) * 1024.0) : int(self.cpu.trim()))";

/// CEL expression for the task memory string in MiB (see `canonical::units::memory_mib`).
pub(crate) const CEL_TASK_MEMORY_MIB: &str = "(self.memory.lowerAscii().endsWith('gb') || \
     self.memory.lowerAscii().endsWith('gib') ? \
     int(double(self.memory.lowerAscii().replace('gib', '').replace('gb', '').trim()) * 1024.0) : \
     int(self.memory.lowerAscii().replace('mib', '').replace('mb', '').trim()))";

/// Memory a Fargate task of a given CPU size accepts, in MiB.
#[derive(Clone, Copy, Debug)]
pub enum FargateMemory {
    /// Exactly these values.
    OneOf(&'static [i64]),
    /// `min..=max` in steps of `step`.
    Range { min: i64, max: i64, step: i64 },
}

impl FargateMemory {
    pub fn allows(self, mib: i64) -> bool {
        match self {
            Self::OneOf(values) => values.contains(&mib),
            Self::Range { min, max, step } => mib >= min && mib <= max && (mib - min) % step == 0,
        }
    }

    fn cel(self, mib: &str) -> String {
        match self {
            Self::OneOf(values) => {
                let list: Vec<String> = values.iter().map(i64::to_string).collect();
                format!("{mib} in [{}]", list.join(", "))
            }
            Self::Range { min, max, step } => {
                format!("{mib} >= {min} && {mib} <= {max} && ({mib} - {min}) % {step} == 0")
            }
        }
    }
}

/// The Fargate task size table (CPU units → memory), as AWS documents it. One table serves the
/// CEL rule, the canonicaliser and the tests.
pub const FARGATE_TASK_SIZES: &[(i64, FargateMemory)] = &[
    (256, FargateMemory::OneOf(&[512, 1024, 2048])),
    (512, FargateMemory::Range { min: 1024, max: 4096, step: 1024 }),
    (1024, FargateMemory::Range { min: 2048, max: 8192, step: 1024 }),
    (2048, FargateMemory::Range { min: 4096, max: 16384, step: 1024 }),
    (4096, FargateMemory::Range { min: 8192, max: 30720, step: 1024 }),
    (8192, FargateMemory::Range { min: 16384, max: 61440, step: 4096 }),
    (16384, FargateMemory::Range { min: 32768, max: 122880, step: 8192 }),
];

/// Whether `cpu` units and `memory` MiB form a valid Fargate task size.
pub fn fargate_size_ok(cpu: i64, memory: i64) -> bool {
    FARGATE_TASK_SIZES.iter().any(|&(c, mem)| c == cpu && mem.allows(memory))
}

/// CEL: on Fargate, cpu is one of the task sizes. Its own rule, so that a wrong cpu is reported
/// at `spec.cpu` and not as a memory that does not fit it.
fn fargate_cpu_rule() -> String {
    format!("!({CEL_FARGATE}) || !has(self.cpu) || [{CEL_TASK_CPU_UNITS}].all(c, c in [{}])", fargate_cpus())
}

/// CEL: on Fargate, memory fits the task's cpu. A cpu that is no Fargate size passes here: the
/// cpu rule reports it.
fn fargate_pair_rule() -> String {
    // CEL has no `let` that kube-cel evaluates (cel.bind); a one-element list comprehension binds
    // the parsed cpu (`c`) and memory (`m`) once instead of repeating the parse in every arm.
    let arms: Vec<String> =
        FARGATE_TASK_SIZES.iter().map(|&(cpu, mem)| format!("(c == {cpu} && {})", mem.cel("m"))).collect();
    format!(
        "!({CEL_FARGATE}) || !has(self.cpu) || !has(self.memory) || \
         [{CEL_TASK_CPU_UNITS}].all(c, !(c in [{}]) || [{CEL_TASK_MEMORY_MIB}].all(m, {}))",
        fargate_cpus(),
        arms.join(" || ")
    )
}

/// The Fargate task cpu sizes in CPU units, as a CEL list's items.
fn fargate_cpus() -> String {
    FARGATE_TASK_SIZES.iter().map(|(cpu, _)| cpu.to_string()).collect::<Vec<_>>().join(", ")
}

fn ulimit_rules(schema: &mut schemars::Schema) {
    schema::add_rules(
        schema,
        &[CelRule::new("self.softLimit <= self.hardLimit", "softLimit must not exceed hardLimit")],
    );
}

/// CEL: the task runs on Fargate.
const CEL_FARGATE: &str = "has(self.requiresCompatibilities) && self.requiresCompatibilities.exists(x, x == 'FARGATE')";

fn task_definition_rules(schema: &mut schemars::Schema) {
    let fargate_cpu = fargate_cpu_rule();
    let fargate_pair = fargate_pair_rule();
    let task_cpu_limit = format!("!has(self.cpu) || [{CEL_TASK_CPU_UNITS}].all(c, c <= 196608)");
    let container_memory_within_task = format!(
        "!has(self.memory) || [{CEL_TASK_MEMORY_MIB}].all(m, self.containerDefinitions.all(c, \
         (!has(c.memory) || c.memory <= m) && (!has(c.memoryReservation) || c.memoryReservation <= m)))"
    );
    let container_cpu_within_task = format!(
        "!has(self.cpu) || [{CEL_TASK_CPU_UNITS}].all(t, self.containerDefinitions.all(c, !has(c.cpu) || c.cpu <= t))"
    );
    let not_on_fargate = |what: &str| format!("!({CEL_FARGATE}) || {what}");
    schema::add_rules(
        schema,
        &[
            CelRule::new(
                "!has(self.requiresCompatibilities) || !self.requiresCompatibilities.exists(x, x == 'FARGATE') || (has(self.cpu) && has(self.memory))",
                "cpu and memory are required when requiresCompatibilities includes FARGATE",
            )
            .at(".cpu")
            .reason("FieldValueRequired"),
            CelRule::new(
                "!has(self.requiresCompatibilities) || !self.requiresCompatibilities.exists(x, x == 'FARGATE') || (has(self.networkMode) && self.networkMode == 'awsvpc')",
                "networkMode must be awsvpc when requiresCompatibilities includes FARGATE",
            )
            .at(".networkMode"),
            CelRule::new(
                &fargate_cpu,
                "cpu must be a Fargate task size when requiresCompatibilities includes FARGATE: 256, 512, \
                 1024, 2048, 4096, 8192 or 16384 CPU units (0.25, 0.5, 1, 2, 4, 8 or 16 vCPU)",
            )
            .at(".cpu"),
            CelRule::new(
                &fargate_pair,
                "cpu and memory must be a Fargate task size: 256 CPU units with 512, 1024 or 2048 MiB; \
                 512 with 1-4 GB; 1024 with 2-8 GB; 2048 with 4-16 GB; 4096 with 8-30 GB (1 GB steps); \
                 8192 with 16-60 GB (4 GB steps); 16384 with 32-120 GB (8 GB steps)",
            )
            .at(".memory"),
            CelRule::new(
                "!has(self.volumes) || self.volumes.all(v, self.volumes.exists_one(w, w.name == v.name))",
                "volume names must be unique",
            )
            .at(".volumes"),
            CelRule::new(
                "self.containerDefinitions.all(c, !has(c.mountPoints) || c.mountPoints.all(m, has(self.volumes) && self.volumes.exists(v, v.name == m.sourceVolume)))",
                "containerDefinitions[].mountPoints[].sourceVolume must name a volume in spec.volumes",
            )
            .at(".containerDefinitions"),
            CelRule::new(
                "!has(self.proxyConfiguration) || self.containerDefinitions.exists(c, c.name == self.proxyConfiguration.containerName)",
                "proxyConfiguration.containerName must name a container in containerDefinitions",
            )
            .at(".proxyConfiguration.containerName"),
            CelRule::new(
                "!has(self.ephemeralStorage) || !has(self.requiresCompatibilities) || self.requiresCompatibilities.exists(x, x == 'FARGATE')",
                "ephemeralStorage is only supported for FARGATE tasks",
            )
            .at(".ephemeralStorage"),
            CelRule::new(&task_cpu_limit, "task cpu must not exceed 192 vCPU (196608 CPU units)").at(".cpu"),
            CelRule::new(
                &container_memory_within_task,
                "a container's memory and memoryReservation must not exceed the task memory",
            )
            .at(".containerDefinitions"),
            CelRule::new(&container_cpu_within_task, "a container's cpu must not exceed the task cpu")
                .at(".containerDefinitions"),
            CelRule::new(
                "!has(self.networkMode) || self.networkMode != 'awsvpc' || self.containerDefinitions.all(c, !has(c.links) && !has(c.hostname) && !has(c.dnsServers))",
                "links, hostname and dnsServers are not supported with networkMode awsvpc",
            )
            .at(".containerDefinitions"),
            CelRule::new(
                &not_on_fargate(
                    "self.containerDefinitions.all(c, !(has(c.privileged) && c.privileged) && !(has(c.linuxParameters) && (has(c.linuxParameters.devices) || has(c.linuxParameters.tmpfs))))",
                ),
                "privileged, linuxParameters.devices and linuxParameters.tmpfs are not supported on FARGATE",
            )
            .at(".containerDefinitions"),
            CelRule::new(&not_on_fargate("!has(self.ipcMode)"), "ipcMode is not supported on FARGATE").at(".ipcMode"),
            CelRule::new(
                &not_on_fargate("!has(self.pidMode) || self.pidMode == 'task'"),
                "pidMode host is not supported on FARGATE",
            )
            .at(".pidMode"),
            CelRule::new(
                &not_on_fargate("!has(self.placementConstraints)"),
                "placementConstraints are not supported on FARGATE",
            )
            .at(".placementConstraints"),
            CelRule::new(
                &not_on_fargate(
                    "!has(self.volumes) || self.volumes.all(v, !has(v.dockerVolumeConfiguration) && !(has(v.host) && has(v.host.sourcePath)))",
                ),
                "docker volumes and host volumes with a sourcePath are not supported on FARGATE",
            )
            .at(".volumes"),
        ],
    );
}

fn container_list_rules(schema: &mut schemars::Schema) {
    schema::add_rules(
        schema,
        &[
            CelRule::new("self.all(c, self.exists_one(d, d.name == c.name))", "container names must be unique"),
            CelRule::new(
                "self.exists(c, !has(c.essential) || c.essential)",
                "at least one container must be essential",
            )
            .reason("FieldValueRequired"),
            CelRule::new(
                "self.all(c, !has(c.dependsOn) || c.dependsOn.all(d, d.containerName != c.name && self.exists(o, o.name == d.containerName)))",
                "dependsOn[].containerName must name another container in containerDefinitions",
            ),
            CelRule::new(
                "self.all(c, !has(c.volumesFrom) || c.volumesFrom.all(v, v.sourceContainer != c.name && self.exists(o, o.name == v.sourceContainer)))",
                "volumesFrom[].sourceContainer must name another container in containerDefinitions",
            ),
            CelRule::new(
                "self.all(c, !has(c.memory) || !has(c.memoryReservation) || c.memoryReservation <= c.memory)",
                "memoryReservation must not exceed memory",
            ),
            CelRule::new(
                "self.filter(c, has(c.firelensConfiguration)).size() <= 1",
                "at most one container may have a firelensConfiguration",
            ),
            CelRule::new(
                "!self.exists(c, has(c.logConfiguration) && c.logConfiguration.logDriver == 'awsfirelens') || self.exists(c, has(c.firelensConfiguration))",
                "logDriver awsfirelens needs a container with firelensConfiguration",
            ),
        ],
    );
}

fn port_mapping_rules(schema: &mut schemars::Schema) {
    schema::add_rules(
        schema,
        &[
            CelRule::new(
                "has(self.containerPort) != has(self.containerPortRange)",
                "set exactly one of containerPort and containerPortRange",
            ),
            CelRule::new(
                "!has(self.containerPortRange) || (int(self.containerPortRange.split('-')[0]) >= 1 && int(self.containerPortRange.split('-')[1]) <= 65535 && int(self.containerPortRange.split('-')[0]) < int(self.containerPortRange.split('-')[1]))",
                "containerPortRange must be LOW-HIGH with 1 <= LOW < HIGH <= 65535",
            )
            .at(".containerPortRange"),
        ],
    );
}

/// Environment variables and secrets are keyed by name: a map list makes the API server
/// reject duplicates without a CEL rule, whose pairwise check would cost O(n²) on 500 items.
fn health_check_command_rule(schema: &mut schemars::Schema) {
    schema::add_rules(
        schema,
        &[CelRule::new(
            "size(self) == 0 || self[0] in ['CMD', 'CMD-SHELL', 'NONE']",
            "healthCheck.command must start with CMD, CMD-SHELL or NONE",
        )],
    );
}

fn volume_rules(schema: &mut schemars::Schema) {
    schema::add_rules(
        schema,
        &[CelRule::new(
            "[has(self.host), has(self.dockerVolumeConfiguration), has(self.efsVolumeConfiguration), has(self.fsxWindowsFileServerVolumeConfiguration)].filter(x, x).size() <= 1",
            "set at most one of host, dockerVolumeConfiguration, efsVolumeConfiguration and fsxWindowsFileServerVolumeConfiguration",
        )],
    );
}

fn efs_rules(schema: &mut schemars::Schema) {
    schema::add_rules(
        schema,
        &[CelRule::new(
            "!has(self.authorizationConfig) || !has(self.authorizationConfig.iam) || self.authorizationConfig.iam != 'ENABLED' || (has(self.transitEncryption) && self.transitEncryption == 'ENABLED')",
            "transitEncryption must be ENABLED when authorizationConfig.iam is ENABLED",
        )
        .at(".transitEncryption")],
    );
}
