//! Test fixtures: specs with every field set, so that a round trip through the SDK types
//! proves no field is dropped. Built from small `mk_*` pieces rather than one pasted literal.
//! Test-only; nothing here reaches the operator binary.

use std::collections::BTreeMap;

use aws_sdk_ecs::operation::create_cluster::CreateClusterInput;
use aws_sdk_ecs::operation::create_service::CreateServiceInput;
use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput;
use aws_sdk_ecs::types;

use crate::crd::capacity_provider::CapacityProviderSpec;
use crate::crd::cluster::{
    ClusterConfiguration, ClusterSettings, ContainerInsights, ECSClusterSpec, ExecuteCommandConfiguration,
    ExecuteCommandLogConfiguration, ExecuteCommandLogging, ManagedStorageConfiguration, ServiceConnectDefaults,
};
use crate::crd::common::{LocalObjectRef, Policies, Tags, tags};
use crate::crd::service::{
    AccessLogFormat, EbsTagSpecification, EbsVolumeType, FilesystemType, ManagedEbsVolume, QueryParameters,
    ServiceConnectAccessLogConfiguration, ServiceConnectCertificateAuthority, ServiceConnectClientAlias,
    ServiceConnectConfiguration, ServiceConnectHeaderMatch, ServiceConnectService, ServiceConnectTestTrafficHeader,
    ServiceConnectTestTrafficRules, ServiceConnectTimeout, ServiceConnectTls, ServiceVolumeConfiguration,
    VpcLatticeConfiguration,
};
use crate::crd::service::{
    AdvancedConfiguration, AssignPublicIp, Autoscaling, AvailabilityZoneRebalancing, AwsVpcConfiguration,
    CanaryConfiguration, CapacityProviderStrategyItem, DeploymentAlarms, DeploymentCircuitBreaker,
    DeploymentConfiguration, DeploymentController, DeploymentControllerType, DeploymentStrategy, ECSServiceSpec,
    HookStage, HookTargetType, HookTimeout, HookTimeoutAction, LaunchType, LifecycleHook, LinearConfiguration,
    LoadBalancer, NetworkConfiguration, PlacementConstraint, PlacementConstraintType, PlacementStrategy,
    PlacementStrategyType, PropagateTags, ScalingMetric, SchedulingStrategy, ServiceRegistry, TargetTrackingPolicy,
};
use crate::crd::task_definition::*;

pub(crate) const ACCOUNT: &str = "123456789012";

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

pub(crate) fn ownership_tags() -> Tags {
    map(&[(tags::OWNER, "shop/web"), (tags::OWNER_CLUSTER, "prod-eu"), (tags::SPEC_HASH, "0123abcd")])
}

pub(crate) fn user_tags() -> Tags {
    map(&[("team", "payments"), ("env", "prod")])
}

fn mk_policies() -> Policies {
    Policies {
        deletion_policy: Some(crate::crd::DeletionPolicy::Retain),
        management_policy: Some(crate::crd::ManagementPolicy::Manage),
        drift_policy: Some(crate::crd::DriftPolicy::Report),
        adopt: Some(true),
        aws: None,
    }
}

// ---- TaskDefinition --------------------------------------------------------------------------

fn mk_env(name: &str, value: &str) -> KeyValuePair {
    KeyValuePair { name: name.into(), value: Some(value.into()) }
}

fn mk_secret(name: &str) -> Secret {
    Secret { name: name.into(), value_from: format!("arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:{name}") }
}

fn mk_port(port: i32, name: &str) -> PortMapping {
    PortMapping {
        container_port: Some(port),
        host_port: Some(port),
        protocol: Some(TransportProtocol::Tcp),
        name: Some(name.into()),
        app_protocol: Some(AppProtocol::Http2),
        container_port_range: None,
    }
}

fn mk_port_range() -> PortMapping {
    PortMapping {
        protocol: Some(TransportProtocol::Udp),
        container_port_range: Some("9000-9100".into()),
        ..Default::default()
    }
}

fn mk_linux_parameters() -> LinuxParameters {
    LinuxParameters {
        capabilities: Some(KernelCapabilities { add: Some(strings(&["NET_ADMIN"])), drop: Some(strings(&["MKNOD"])) }),
        devices: Some(vec![Device {
            host_path: "/dev/fuse".into(),
            container_path: Some("/dev/fuse".into()),
            permissions: Some(vec![DeviceCgroupPermission::Read, DeviceCgroupPermission::Mknod]),
        }]),
        init_process_enabled: Some(true),
        shared_memory_size: Some(64),
        tmpfs: Some(vec![Tmpfs {
            container_path: "/scratch".into(),
            size: 128,
            mount_options: Some(strings(&["noexec"])),
        }]),
        max_swap: Some(512),
        swappiness: Some(10),
    }
}

fn mk_log_configuration(driver: LogDriver) -> LogConfiguration {
    LogConfiguration {
        log_driver: driver,
        options: Some(map(&[("awslogs-group", "/ecs/web"), ("awslogs-region", "eu-west-1")])),
        secret_options: Some(vec![mk_secret("splunk-token")]),
    }
}

fn mk_health_check() -> HealthCheck {
    HealthCheck {
        command: strings(&["CMD-SHELL", "curl -f http://localhost/ || exit 1"]),
        interval: Some(10),
        timeout: Some(3),
        retries: Some(4),
        start_period: Some(20),
    }
}

/// A container with every field set.
pub(crate) fn mk_full_container(name: &str) -> ContainerDefinition {
    ContainerDefinition {
        name: name.into(),
        image: "public.ecr.aws/nginx/nginx:1.27".into(),
        repository_credentials: Some(RepositoryCredentials {
            credentials_parameter: format!("arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:reg"),
        }),
        cpu: Some(512),
        memory: Some(1024),
        memory_reservation: Some(512),
        links: Some(strings(&["sidecar:side"])),
        port_mappings: Some(vec![mk_port(8080, "http"), mk_port_range()]),
        essential: Some(true),
        restart_policy: Some(ContainerRestartPolicy {
            enabled: true,
            ignored_exit_codes: Some(vec![0, 143]),
            restart_attempt_period: Some(120),
        }),
        entry_point: Some(strings(&["/docker-entrypoint.sh"])),
        command: Some(strings(&["nginx", "-g", "daemon off;"])),
        environment: Some(vec![mk_env("MODE", "prod"), KeyValuePair { name: "UNSET".into(), value: None }]),
        environment_files: Some(vec![EnvironmentFile {
            value: "arn:aws:s3:::config-bucket/web.env".into(),
            type_: EnvironmentFileType::S3,
        }]),
        mount_points: Some(vec![MountPoint {
            source_volume: "efs-data".into(),
            container_path: "/data".into(),
            read_only: Some(true),
        }]),
        volumes_from: Some(vec![VolumeFrom { source_container: "sidecar".into(), read_only: Some(false) }]),
        linux_parameters: Some(mk_linux_parameters()),
        secrets: Some(vec![mk_secret("db-password")]),
        depends_on: Some(vec![ContainerDependency {
            container_name: "sidecar".into(),
            condition: ContainerCondition::Healthy,
        }]),
        start_timeout: Some(60),
        stop_timeout: Some(30),
        version_consistency: Some(VersionConsistency::Disabled),
        hostname: Some("web".into()),
        user: Some("1000:1000".into()),
        working_directory: Some("/srv".into()),
        disable_networking: Some(false),
        privileged: Some(false),
        readonly_root_filesystem: Some(true),
        dns_servers: Some(strings(&["10.0.0.2"])),
        dns_search_domains: Some(strings(&["svc.local"])),
        extra_hosts: Some(vec![HostEntry { hostname: "db".into(), ip_address: "10.0.1.5".into() }]),
        docker_security_options: Some(strings(&["no-new-privileges"])),
        interactive: Some(false),
        pseudo_terminal: Some(false),
        docker_labels: Some(map(&[("app", "web"), ("tier", "front")])),
        ulimits: Some(vec![Ulimit { name: UlimitName::Nofile, soft_limit: 65536, hard_limit: 65536 }]),
        log_configuration: Some(mk_log_configuration(LogDriver::Awsfirelens)),
        health_check: Some(mk_health_check()),
        system_controls: Some(vec![SystemControl { namespace: "net.core.somaxconn".into(), value: "1024".into() }]),
        resource_requirements: Some(vec![ResourceRequirement { value: "1".into(), type_: ResourceType::Gpu }]),
        firelens_configuration: None,
        credential_specs: Some(strings(&["credentialspec:arn:aws:ssm:eu-west-1:123456789012:parameter/gmsa"])),
    }
}

/// A small container: only what a sidecar needs, plus a FireLens router configuration.
pub(crate) fn mk_log_router(name: &str) -> ContainerDefinition {
    ContainerDefinition {
        name: name.into(),
        image: "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable".into(),
        cpu: Some(128),
        essential: Some(false),
        firelens_configuration: Some(FirelensConfiguration {
            type_: FirelensType::Fluentbit,
            options: Some(map(&[("enable-ecs-log-metadata", "true")])),
        }),
        ..Default::default()
    }
}

fn mk_volume(name: &str) -> Volume {
    Volume { name: name.into(), ..Default::default() }
}

/// One volume of each kind.
pub(crate) fn mk_volumes() -> Vec<Volume> {
    vec![
        Volume { host: Some(HostVolumeProperties { source_path: Some("/var/data".into()) }), ..mk_volume("host-data") },
        Volume {
            docker_volume_configuration: Some(DockerVolumeConfiguration {
                scope: Some(DockerVolumeScope::Shared),
                autoprovision: Some(true),
                driver: Some("local".into()),
                driver_opts: Some(map(&[("type", "tmpfs")])),
                labels: Some(map(&[("owner", "web")])),
            }),
            ..mk_volume("docker-cache")
        },
        Volume {
            efs_volume_configuration: Some(EfsVolumeConfiguration {
                file_system_id: "fs-0123456789abcdef0".into(),
                root_directory: Some("/".into()),
                transit_encryption: Some(EfsFlag::Enabled),
                transit_encryption_port: Some(2049),
                authorization_config: Some(EfsAuthorizationConfig {
                    access_point_id: Some("fsap-0123456789abcdef0".into()),
                    iam: Some(EfsFlag::Enabled),
                }),
            }),
            ..mk_volume("efs-data")
        },
        Volume {
            fsx_windows_file_server_volume_configuration: Some(FsxWindowsFileServerVolumeConfiguration {
                file_system_id: "fs-0123456789abcdef1".into(),
                root_directory: "\\share".into(),
                authorization_config: FsxWindowsFileServerAuthorizationConfig {
                    credentials_parameter: format!("arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:fsx"),
                    domain: "corp.example.com".into(),
                },
            }),
            ..mk_volume("fsx-share")
        },
        Volume { configured_at_launch: Some(true), ..mk_volume("ebs-at-launch") },
    ]
}

/// A task definition with every field of the spec and of every nested type set. Not a
/// combination ECS would accept as a whole (Fargate with GPUs and FSx), and it need not be:
/// it exercises the mapping, not ECS's rules.
pub(crate) fn full_task_definition_spec() -> TaskDefinitionSpec {
    TaskDefinitionSpec {
        family: Some("web".into()),
        task_role_arn: Some(format!("arn:aws:iam::{ACCOUNT}:role/web-task")),
        execution_role_arn: Some(format!("arn:aws:iam::{ACCOUNT}:role/ecsTaskExecution")),
        network_mode: Some(NetworkMode::Awsvpc),
        container_definitions: vec![
            mk_full_container("web"),
            mk_log_router("log_router"),
            ContainerDefinition { cpu: Some(64), ..mk_log_router("sidecar") },
        ],
        volumes: Some(mk_volumes()),
        placement_constraints: Some(vec![TaskPlacementConstraint {
            type_: TaskPlacementConstraintType::MemberOf,
            expression: Some("attribute:ecs.instance-type =~ t3.*".into()),
        }]),
        requires_compatibilities: Some(vec![Compatibility::Fargate, Compatibility::Ec2]),
        cpu: Some("1 vCPU".into()),
        memory: Some("2 GB".into()),
        pid_mode: Some(PidMode::Task),
        ipc_mode: Some(IpcMode::None),
        proxy_configuration: Some(ProxyConfiguration {
            type_: Some(ProxyConfigurationType::AppMesh),
            container_name: "sidecar".into(),
            properties: Some(vec![mk_env("IgnoredUID", "1337"), mk_env("AppPorts", "8080")]),
        }),
        inference_accelerators: Some(vec![InferenceAccelerator {
            device_name: "device1".into(),
            device_type: "eia2.medium".into(),
        }]),
        ephemeral_storage: Some(EphemeralStorage { size_in_gi_b: 50 }),
        runtime_platform: Some(RuntimePlatform {
            cpu_architecture: Some(CpuArchitecture::Arm64),
            operating_system_family: Some(OsFamily::Linux),
        }),
        enable_fault_injection: Some(true),
        tags: Some(user_tags()),
        revision_history_limit: Some(5),
        policies: mk_policies(),
    }
}

// ---- ECSService ------------------------------------------------------------------------------

pub(crate) const CLUSTER_ARN: &str = "arn:aws:ecs:eu-west-1:123456789012:cluster/prod";
pub(crate) const TASK_DEFINITION_ARN: &str = "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7";

pub(crate) fn mk_strategy_item(provider: &str, weight: i32, base: i32) -> CapacityProviderStrategyItem {
    CapacityProviderStrategyItem { capacity_provider: provider.into(), weight: Some(weight), base: Some(base) }
}

fn mk_target_group(name: &str) -> String {
    format!("arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT}:targetgroup/{name}/0123456789abcdef")
}

fn mk_load_balancers() -> Vec<LoadBalancer> {
    vec![
        LoadBalancer {
            target_group_arn: Some(mk_target_group("blue")),
            load_balancer_name: None,
            container_name: "web".into(),
            container_port: 8080,
            advanced_configuration: Some(AdvancedConfiguration {
                alternate_target_group_arn: mk_target_group("green"),
                production_listener_rule: format!(
                    "arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT}:listener-rule/app/lb/1/2/3"
                ),
                test_listener_rule: Some(format!(
                    "arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT}:listener-rule/app/lb/1/2/4"
                )),
                role_arn: format!("arn:aws:iam::{ACCOUNT}:role/ecs-blue-green"),
            }),
        },
        LoadBalancer {
            target_group_arn: None,
            load_balancer_name: Some("classic-web".into()),
            container_name: "web".into(),
            container_port: 80,
            advanced_configuration: None,
        },
    ]
}

fn mk_deployment_configuration() -> DeploymentConfiguration {
    DeploymentConfiguration {
        minimum_healthy_percent: Some(50),
        maximum_percent: Some(200),
        deployment_circuit_breaker: Some(DeploymentCircuitBreaker { enable: true, rollback: true }),
        alarms: Some(DeploymentAlarms {
            alarm_names: strings(&["web-5xx", "web-latency"]),
            enable: true,
            rollback: false,
        }),
        strategy: Some(DeploymentStrategy::Canary),
        bake_time_in_minutes: Some(15),
        // Both set so that both mappings are exercised; admission would allow only the one
        // that matches the strategy.
        linear_configuration: Some(LinearConfiguration { step_percent: 12.5, step_bake_time_in_minutes: Some(3) }),
        canary_configuration: Some(CanaryConfiguration { canary_percent: 0.5, canary_bake_time_in_minutes: Some(10) }),
        lifecycle_hooks: Some(vec![
            LifecycleHook {
                target_type: Some(HookTargetType::AwsLambda),
                hook_target_arn: Some(format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:smoke-test")),
                role_arn: Some(format!("arn:aws:iam::{ACCOUNT}:role/ecs-hooks")),
                lifecycle_stages: vec![HookStage::PostScaleUp, HookStage::ProductionTrafficShift],
                hook_details: Some(serde_json::json!({"suite": "smoke", "retries": 2, "ratio": 0.5, "tags": ["a"]})),
                timeout_configuration: Some(HookTimeout {
                    timeout_in_minutes: Some(30),
                    action: Some(HookTimeoutAction::Continue),
                }),
            },
            LifecycleHook {
                target_type: Some(HookTargetType::Pause),
                lifecycle_stages: vec![HookStage::PostTestTrafficShift],
                ..Default::default()
            },
        ]),
    }
}

/// A service with every field set. References (`clusterRef`, `taskDefinitionRef`) are set
/// alongside the direct values; conversion uses the resolved values passed beside the spec.
pub(crate) fn full_service_spec() -> ECSServiceSpec {
    ECSServiceSpec {
        service_name: Some("web".into()),
        cluster: Some("prod".into()),
        cluster_ref: Some(LocalObjectRef { name: "prod".into() }),
        task_definition: Some("web".into()),
        task_definition_ref: Some(LocalObjectRef { name: "web".into() }),
        desired_count: Some(3),
        launch_type: Some(LaunchType::Fargate),
        capacity_provider_strategy: Some(vec![
            mk_strategy_item("FARGATE", 1, 2),
            mk_strategy_item("FARGATE_SPOT", 3, 0),
        ]),
        platform_version: Some("1.4.0".into()),
        scheduling_strategy: Some(SchedulingStrategy::Replica),
        network_configuration: Some(NetworkConfiguration {
            awsvpc_configuration: AwsVpcConfiguration {
                subnets: strings(&["subnet-0a", "subnet-0b"]),
                security_groups: Some(strings(&["sg-0a"])),
                assign_public_ip: Some(AssignPublicIp::Disabled),
            },
        }),
        load_balancers: Some(mk_load_balancers()),
        service_registries: Some(vec![ServiceRegistry {
            registry_arn: format!("arn:aws:servicediscovery:eu-west-1:{ACCOUNT}:service/srv-1"),
            port: Some(8080),
            container_name: Some("web".into()),
            container_port: Some(8080),
        }]),
        health_check_grace_period_seconds: Some(45),
        deployment_configuration: Some(mk_deployment_configuration()),
        deployment_controller: Some(DeploymentController { type_: DeploymentControllerType::Ecs }),
        placement_constraints: Some(vec![
            PlacementConstraint {
                type_: PlacementConstraintType::MemberOf,
                expression: Some("attribute:ecs.availability-zone in [eu-west-1a]".into()),
            },
            PlacementConstraint { type_: PlacementConstraintType::DistinctInstance, expression: None },
        ]),
        placement_strategy: Some(vec![
            PlacementStrategy {
                type_: PlacementStrategyType::Spread,
                field: Some("attribute:ecs.availability-zone".into()),
            },
            PlacementStrategy { type_: PlacementStrategyType::Binpack, field: Some("memory".into()) },
        ]),
        propagate_tags: Some(PropagateTags::Service),
        enable_ecs_managed_tags: Some(true),
        enable_execute_command: Some(true),
        availability_zone_rebalancing: Some(AvailabilityZoneRebalancing::Enabled),
        service_connect_configuration: Some(Box::new(mk_service_connect())),
        volume_configurations: Some(vec![mk_volume_configuration()]),
        vpc_lattice_configurations: Some(vec![VpcLatticeConfiguration {
            role_arn: format!("arn:aws:iam::{ACCOUNT}:role/ecsInfrastructureRole"),
            target_group_arn: format!("arn:aws:vpc-lattice:eu-west-1:{ACCOUNT}:targetgroup/tg-0123456789abcdef0"),
            port_name: "http".into(),
        }]),
        tags: Some(user_tags()),
        autoscaling: None,
        policies: mk_policies(),
    }
}

fn mk_service_connect() -> ServiceConnectConfiguration {
    ServiceConnectConfiguration {
        enabled: true,
        namespace: Some("shop".into()),
        services: Some(vec![ServiceConnectService {
            port_name: "http".into(),
            discovery_name: Some("web".into()),
            client_aliases: Some(vec![ServiceConnectClientAlias {
                port: 80,
                dns_name: Some("web.shop".into()),
                test_traffic_rules: Some(ServiceConnectTestTrafficRules {
                    header: ServiceConnectTestTrafficHeader {
                        name: "x-canary".into(),
                        value: Some(ServiceConnectHeaderMatch { exact: "1".into() }),
                    },
                }),
            }]),
            ingress_port_override: Some(15000),
            timeout: Some(ServiceConnectTimeout {
                idle_timeout_seconds: Some(300),
                per_request_timeout_seconds: Some(30),
            }),
            tls: Some(ServiceConnectTls {
                issuer_certificate_authority: ServiceConnectCertificateAuthority {
                    aws_pca_authority_arn: format!("arn:aws:acm-pca:eu-west-1:{ACCOUNT}:certificate-authority/ca-1"),
                },
                kms_key: Some("alias/sc".into()),
                role_arn: Some(format!("arn:aws:iam::{ACCOUNT}:role/ecsInfrastructureRole")),
            }),
        }]),
        log_configuration: Some(mk_log_configuration(LogDriver::Awslogs)),
        access_log_configuration: Some(ServiceConnectAccessLogConfiguration {
            format: AccessLogFormat::Json,
            include_query_parameters: Some(QueryParameters::Enabled),
        }),
    }
}

fn mk_volume_configuration() -> ServiceVolumeConfiguration {
    ServiceVolumeConfiguration {
        name: "data".into(),
        managed_ebs_volume: ManagedEbsVolume {
            role_arn: format!("arn:aws:iam::{ACCOUNT}:role/ecsInfrastructureRole"),
            volume_type: Some(EbsVolumeType::Gp3),
            size_in_gib: Some(50),
            snapshot_id: Some("snap-0123456789abcdef0".into()),
            volume_initialization_rate: Some(200),
            iops: Some(4000),
            throughput: Some(250),
            encrypted: Some(true),
            kms_key_id: Some("alias/ebs".into()),
            filesystem_type: Some(FilesystemType::Ext4),
            tag_specifications: Some(vec![EbsTagSpecification {
                tags: Some(map(&[("team", "shop")])),
                propagate_tags: Some(PropagateTags::Service),
            }]),
        },
    }
}

pub(crate) fn full_capacity_provider_spec() -> CapacityProviderSpec {
    use crate::crd::capacity_provider::*;
    CapacityProviderSpec {
        name: Some("batch".into()),
        auto_scaling_group_provider: Some(AutoScalingGroupProvider {
            auto_scaling_group_arn: format!(
                "arn:aws:autoscaling:eu-west-1:{ACCOUNT}:autoScalingGroup:1-2:autoScalingGroupName/batch"
            ),
            managed_scaling: Some(ManagedScaling {
                status: Toggle::Enabled,
                target_capacity: Some(90),
                minimum_scaling_step_size: Some(2),
                maximum_scaling_step_size: Some(20),
                instance_warmup_period: Some(60),
            }),
            managed_termination_protection: Some(Toggle::Enabled),
            managed_draining: Some(Toggle::Disabled),
        }),
        managed_instances_provider: Some(ManagedInstancesProvider {
            infrastructure_role_arn: format!("arn:aws:iam::{ACCOUNT}:role/ecsInfrastructureRole"),
            instance_launch_template: InstanceLaunchTemplate {
                ec2_instance_profile_arn: format!("arn:aws:iam::{ACCOUNT}:instance-profile/ecsInstanceRole"),
                network_configuration: ManagedInstancesNetwork {
                    subnets: strings(&["subnet-0a", "subnet-0b"]),
                    security_groups: Some(strings(&["sg-0a"])),
                },
                storage_configuration: Some(ManagedInstancesStorage { storage_size_gib: 80 }),
                monitoring: Some(Monitoring::Detailed),
                capacity_option_type: Some(CapacityOptionType::Spot),
                instance_requirements: Some(InstanceRequirements {
                    v_cpu_count: MinMax { min: 2, max: Some(8) },
                    memory_mib: MinMax { min: 4096, max: Some(32768) },
                    cpu_manufacturers: Some(vec![CpuManufacturer::AmazonWebServices, CpuManufacturer::Intel]),
                    instance_generations: Some(vec![InstanceGeneration::Current]),
                    allowed_instance_types: Some(strings(&["m7g.*", "c7g.*"])),
                    excluded_instance_types: Some(strings(&["m7g.metal"])),
                    bare_metal: Some(Inclusion::Excluded),
                    burstable_performance: Some(Inclusion::Included),
                    spot_max_price_percentage_over_lowest_price: Some(50),
                    on_demand_max_price_percentage_over_lowest_price: Some(20),
                }),
            },
            propagate_tags: Some(ManagedInstancesTags::CapacityProvider),
            infrastructure_optimization: Some(InfrastructureOptimization { scale_in_after: Some(600) }),
        }),
        cluster: Some("prod".into()),
        cluster_ref: Some(LocalObjectRef { name: "prod".into() }),
        tags: Some(user_tags()),
        policies: mk_policies(),
    }
}

pub(crate) fn mk_autoscaling() -> Autoscaling {
    Autoscaling {
        min_capacity: 2,
        max_capacity: 10,
        target_tracking: Some(vec![TargetTrackingPolicy {
            name: "cpu".into(),
            metric: ScalingMetric::Cpu,
            target_value: 60.0,
            ..Default::default()
        }]),
    }
}

// ---- ECSCluster ------------------------------------------------------------------------------

/// A cluster with every field set.
pub(crate) fn full_cluster_spec() -> ECSClusterSpec {
    ECSClusterSpec {
        cluster_name: Some("prod".into()),
        capacity_providers: Some(strings(&["FARGATE", "FARGATE_SPOT"])),
        default_capacity_provider_strategy: Some(vec![
            mk_strategy_item("FARGATE", 1, 1),
            mk_strategy_item("FARGATE_SPOT", 4, 0),
        ]),
        settings: Some(ClusterSettings { container_insights: Some(ContainerInsights::Enhanced) }),
        configuration: Some(ClusterConfiguration {
            execute_command_configuration: Some(ExecuteCommandConfiguration {
                kms_key_id: Some("alias/exec".into()),
                logging: Some(ExecuteCommandLogging::Override),
                log_configuration: Some(ExecuteCommandLogConfiguration {
                    cloud_watch_log_group_name: Some("/ecs/exec".into()),
                    cloud_watch_encryption_enabled: Some(true),
                    s3_bucket_name: Some("exec-logs".into()),
                    s3_encryption_enabled: Some(true),
                    s3_key_prefix: Some("prod/".into()),
                }),
            }),
            managed_storage_configuration: Some(ManagedStorageConfiguration {
                kms_key_id: Some("alias/storage".into()),
                fargate_ephemeral_storage_kms_key_id: Some("alias/ephemeral".into()),
            }),
        }),
        service_connect_defaults: Some(ServiceConnectDefaults {
            namespace: format!("arn:aws:servicediscovery:eu-west-1:{ACCOUNT}:namespace/ns-1"),
        }),
        tags: Some(user_tags()),
        policies: mk_policies(),
    }
}

/// What DescribeServices would return after `input` created the service.
pub(crate) fn described_service(input: &CreateServiceInput) -> types::Service {
    types::Service::builder()
        .service_arn("arn:aws:ecs:eu-west-1:123456789012:service/prod/web")
        .set_service_name(input.service_name.clone())
        .cluster_arn(CLUSTER_ARN)
        .set_load_balancers(input.load_balancers.clone())
        .set_service_registries(input.service_registries.clone())
        .status("ACTIVE")
        .set_desired_count(input.desired_count)
        .running_count(1)
        .set_launch_type(input.launch_type.clone())
        .set_capacity_provider_strategy(input.capacity_provider_strategy.clone())
        .set_platform_version(input.platform_version.clone())
        .platform_family("Linux")
        .set_task_definition(input.task_definition.clone())
        .set_deployment_configuration(input.deployment_configuration.clone())
        .set_placement_constraints(input.placement_constraints.clone())
        .set_placement_strategy(input.placement_strategy.clone())
        .set_network_configuration(input.network_configuration.clone())
        .set_health_check_grace_period_seconds(input.health_check_grace_period_seconds)
        .set_scheduling_strategy(input.scheduling_strategy.clone())
        .set_deployment_controller(input.deployment_controller.clone())
        .set_tags(input.tags.clone())
        .set_enable_ecs_managed_tags(input.enable_ecs_managed_tags)
        .set_propagate_tags(input.propagate_tags.clone())
        .set_enable_execute_command(input.enable_execute_command)
        .set_availability_zone_rebalancing(input.availability_zone_rebalancing.clone())
        .deployments(
            types::Deployment::builder()
                .id("ecs-svc/1")
                .status("PRIMARY")
                .set_service_connect_configuration(input.service_connect_configuration.clone())
                .set_volume_configurations(input.volume_configurations.clone())
                .set_vpc_lattice_configurations(input.vpc_lattice_configurations.clone())
                .build(),
        )
        .build()
}

/// What DescribeCapacityProviders would return after `input` created the provider.
pub(crate) fn described_capacity_provider(
    input: &aws_sdk_ecs::operation::create_capacity_provider::CreateCapacityProviderInput,
) -> types::CapacityProvider {
    types::CapacityProvider::builder()
        .capacity_provider_arn("arn:aws:ecs:us-east-1:123456789012:capacity-provider/batch")
        .set_name(input.name.clone())
        .status(types::CapacityProviderStatus::Active)
        .set_auto_scaling_group_provider(input.auto_scaling_group_provider.clone())
        .set_managed_instances_provider(input.managed_instances_provider.as_ref().map(|m| {
            types::ManagedInstancesProvider::builder()
                .infrastructure_role_arn(&m.infrastructure_role_arn)
                .set_instance_launch_template(m.instance_launch_template.clone())
                .set_propagate_tags(m.propagate_tags.clone())
                .set_infrastructure_optimization(m.infrastructure_optimization.clone())
                .build()
        }))
        .set_cluster(input.cluster.clone())
        .set_tags(input.tags.clone())
        .build()
}

/// What DescribeClusters would return after `input` created the cluster.
pub(crate) fn described_cluster(input: &CreateClusterInput) -> types::Cluster {
    let service_connect = input
        .service_connect_defaults()
        .map(|d| types::ClusterServiceConnectDefaults::builder().namespace(d.namespace()).build());
    types::Cluster::builder()
        .cluster_arn(CLUSTER_ARN)
        .set_cluster_name(input.cluster_name.clone())
        .status("ACTIVE")
        .set_configuration(input.configuration.clone())
        .set_tags(input.tags.clone())
        .set_settings(input.settings.clone())
        .set_capacity_providers(input.capacity_providers.clone())
        .set_default_capacity_provider_strategy(input.default_capacity_provider_strategy.clone())
        .set_service_connect_defaults(service_connect)
        .build()
}

/// What DescribeTaskDefinition would return for `input`: the same SDK parts, plus the
/// fields only AWS fills in. (Deprecated: inference accelerators, see the mapping.)
#[allow(deprecated)]
pub(crate) fn described_task_definition(input: &RegisterTaskDefinitionInput) -> types::TaskDefinition {
    types::TaskDefinition::builder()
        .task_definition_arn("arn:aws:ecs:eu-west-1:123456789012:task-definition/web:3")
        .revision(3)
        .status(types::TaskDefinitionStatus::Active)
        .set_family(input.family.clone())
        .set_task_role_arn(input.task_role_arn.clone())
        .set_execution_role_arn(input.execution_role_arn.clone())
        .set_network_mode(input.network_mode.clone())
        .set_container_definitions(input.container_definitions.clone())
        .set_volumes(input.volumes.clone())
        .set_placement_constraints(input.placement_constraints.clone())
        .set_requires_compatibilities(input.requires_compatibilities.clone())
        .set_compatibilities(input.requires_compatibilities.clone())
        .set_cpu(input.cpu.clone())
        .set_memory(input.memory.clone())
        .set_pid_mode(input.pid_mode.clone())
        .set_ipc_mode(input.ipc_mode.clone())
        .set_proxy_configuration(input.proxy_configuration.clone())
        .set_inference_accelerators(input.inference_accelerators.clone())
        .set_ephemeral_storage(input.ephemeral_storage.clone())
        .set_runtime_platform(input.runtime_platform.clone())
        .set_enable_fault_injection(input.enable_fault_injection)
        .build()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use kube::CustomResourceExt;
    use serde_json::Value;

    use super::*;
    use crate::crd::{CapacityProvider, ECSCluster, ECSService, TaskDefinition};

    /// Spec fields the AWS conversions never carry: lifecycle policies, operator-only
    /// settings, and references resolved before conversion.
    const NOT_CONVERTED: &[&str] =
        &["deletionPolicy", "managementPolicy", "driftPolicy", "adopt", "aws", "revisionHistoryLimit", "autoscaling"];

    /// Every property path of an OpenAPI schema, lists written `[]`.
    fn schema_paths(schema: &Value, at: &str, out: &mut BTreeSet<String>) {
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            for (name, child) in properties {
                let path = if at.is_empty() { name.clone() } else { format!("{at}.{name}") };
                out.insert(path.clone());
                schema_paths(child, &path, out);
            }
        }
        if let Some(items) = schema.get("items") {
            schema_paths(items, &format!("{at}[]"), out);
        }
    }

    /// Every key path present in a value (map keys under free-form maps included, which is
    /// harmless: the schema has no paths under them to compare with).
    fn value_paths(value: &Value, at: &str, out: &mut BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                for (name, child) in map {
                    let path = if at.is_empty() { name.clone() } else { format!("{at}.{name}") };
                    out.insert(path.clone());
                    value_paths(child, &path, out);
                }
            }
            Value::Array(items) => {
                for item in items {
                    value_paths(item, &format!("{at}[]"), out);
                }
            }
            _ => {}
        }
    }

    /// The round-trip tests prove no field is lost only if the fixture sets every field:
    /// compare the fixture's JSON with the CRD schema, so a field added to a CRD type fails
    /// here until the fixture (and with it the conversion) covers it.
    fn assert_sets_every_field(crd: impl serde::Serialize, spec: impl serde::Serialize) {
        let crd = serde_json::to_value(crd).unwrap();
        let schema = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"];
        let mut wanted = BTreeSet::new();
        schema_paths(schema, "", &mut wanted);
        let mut present = BTreeSet::new();
        value_paths(&serde_json::to_value(spec).unwrap(), "", &mut present);
        let missing: Vec<_> = wanted
            .difference(&present)
            .filter(|p| !NOT_CONVERTED.iter().any(|n| p.split('.').next() == Some(*n)))
            .collect();
        assert!(missing.is_empty(), "fixture leaves unset: {missing:?}");
    }

    #[test]
    fn fixtures_set_every_converted_field() {
        assert_sets_every_field(TaskDefinition::crd(), full_task_definition_spec());
        assert_sets_every_field(ECSService::crd(), full_service_spec());
        assert_sets_every_field(ECSCluster::crd(), full_cluster_spec());
        assert_sets_every_field(CapacityProvider::crd(), full_capacity_provider_spec());
    }
}
