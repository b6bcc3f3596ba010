//! The one list of what ECS assumes for a field the spec leaves out, and of the few fields that
//! are not ours to compare.
//!
//! "A value is a value": a spec that leaves a field out means ECS's documented default, and the
//! canonical form writes that default in, on the desired side and on the described side alike.
//! So an explicit default and an omission are the same value, a change *to* a default is a
//! difference that reaches AWS, and an out-of-band change *away from* one is drift.
//!
//! The exceptions, in [`NOT_COMPARED`], are fields ECS decides itself when they are omitted (a
//! platform version ECS picks for LATEST, the cluster's default capacity provider strategy)
//! and fields handed to another owner (desiredCount under `spec.autoscaling`). Each says why.
//!
//! Defaults are applied to the JSON form of a spec (the CRD's camelCase names), so the same
//! table drives canonicalisation, the request builders (through the filled spec) and the tests
//! that prove every entry reaches AWS.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

/// One field ECS fills in when it is omitted.
///
/// `path` is dot-separated in the CRD's names. A segment ending in `[]` applies to every item of
/// a list; a segment ending in `?` is an optional block: the default is written only inside a
/// block the spec has, and an absent block stays absent. Blocks on the way that are not marked
/// `?` are created, because ECS describes them whether or not they were sent.
pub struct FieldDefault {
    pub path: &'static str,
    /// What ECS uses when the field is omitted.
    pub value: fn() -> Value,
    /// A valid value other than the default, for tests that must see a change reach AWS.
    pub other: fn() -> Value,
    /// The default holds only where this is true of the whole (filled) spec.
    pub when: fn(&Value) -> bool,
    /// Where AWS documents the default.
    pub source: &'static str,
}

/// A field, or a group of fields, compared only when the spec sets one of them.
pub struct NotCompared {
    pub paths: &'static [&'static str],
    pub reason: &'static str,
    /// What taking the group out of the spec does once the operator applied it.
    pub on_removal: OnRemoval,
}

/// What removing a not-compared group from the spec does, when `status.lastApplied` says the
/// operator applied it. Without that record the group would simply stop being compared, and
/// the value it set would stay in ECS unseen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnRemoval {
    /// Nothing is sent: ECS keeps the value it has, as it does for a field an update leaves out.
    Keep,
    /// One update sends the field as left out, which the request builder spells the way ECS
    /// takes it (platformVersion `LATEST`; an awsvpc configuration without security groups).
    Send,
    /// ECS cannot go back to choosing the value itself on an existing resource:
    /// RequiresReplacement, and nothing is written.
    Replace,
}

fn always(_: &Value) -> bool {
    true
}

fn daemon(spec: &Value) -> bool {
    spec.get("schedulingStrategy").and_then(Value::as_str) == Some("DAEMON")
}

fn not_daemon(spec: &Value) -> bool {
    !daemon(spec)
}

/// ECSService fields (CreateService / UpdateService / DescribeServices).
pub const SERVICE: &[FieldDefault] = &[
    FieldDefault {
        path: "schedulingStrategy",
        value: || json!("REPLICA"),
        other: || json!("DAEMON"),
        when: always,
        source: "CreateServiceRequest.schedulingStrategy: \"REPLICA\" is used when none is specified",
    },
    FieldDefault {
        path: "networkConfiguration?.awsvpcConfiguration.assignPublicIp",
        value: || json!("DISABLED"),
        other: || json!("ENABLED"),
        when: always,
        source: "AwsVpcConfiguration.assignPublicIp: \"The default value is DISABLED\"",
    },
    FieldDefault {
        path: "loadBalancers",
        value: || json!([]),
        other: || json!([{"targetGroupArn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef", "containerName": "web", "containerPort": 80}]),
        when: always,
        source: "UpdateServiceRequest.loadBalancers: \"To remove all load balancers, pass an empty list\"",
    },
    FieldDefault {
        path: "serviceRegistries",
        value: || json!([]),
        other: || json!([{"registryArn": "arn:aws:servicediscovery:eu-west-1:123456789012:service/srv-0123456789"}]),
        when: always,
        source: "UpdateServiceRequest.serviceRegistries: \"To remove... pass an empty list\"",
    },
    FieldDefault {
        path: "healthCheckGracePeriodSeconds",
        value: || json!(0),
        other: || json!(60),
        when: always,
        source: "CreateServiceRequest.healthCheckGracePeriodSeconds: \"If you don't specify a health check grace period value, the default value of 0 is used\"",
    },
    FieldDefault {
        path: "deploymentConfiguration.minimumHealthyPercent",
        value: || json!(100),
        other: || json!(50),
        when: not_daemon,
        source: "DeploymentConfiguration.minimumHealthyPercent: \"the default value for a replica service ... is 100%\"",
    },
    FieldDefault {
        path: "deploymentConfiguration.minimumHealthyPercent",
        value: || json!(0),
        other: || json!(50),
        when: daemon,
        source: "DeploymentConfiguration.minimumHealthyPercent: \"The default value for a daemon service is 0%\"",
    },
    FieldDefault {
        path: "deploymentConfiguration.maximumPercent",
        value: || json!(200),
        other: || json!(150),
        when: not_daemon,
        source: "DeploymentConfiguration.maximumPercent: \"the default value for a replica service ... is 200%\"",
    },
    FieldDefault {
        path: "deploymentConfiguration.maximumPercent",
        value: || json!(100),
        other: || json!(150),
        when: daemon,
        source: "DeploymentConfiguration.maximumPercent: \"The default value for a daemon service is 100%\"",
    },
    FieldDefault {
        path: "deploymentConfiguration.deploymentCircuitBreaker.enable",
        value: || json!(false),
        other: || json!(true),
        when: always,
        source: "DeploymentCircuitBreaker: off unless enabled; DescribeServices reports enable=false",
    },
    FieldDefault {
        path: "deploymentConfiguration.deploymentCircuitBreaker.rollback",
        value: || json!(false),
        other: || json!(true),
        when: always,
        source: "DeploymentCircuitBreaker.rollback: off unless enabled; DescribeServices reports rollback=false",
    },
    FieldDefault {
        path: "deploymentConfiguration.alarms.alarmNames",
        value: || json!([]),
        other: || json!(["web-5xx"]),
        when: always,
        source: "DeploymentAlarms: no alarms unless configured; DescribeServices reports an empty list",
    },
    FieldDefault {
        path: "deploymentConfiguration.alarms.enable",
        value: || json!(false),
        other: || json!(true),
        when: always,
        source: "DeploymentAlarms.enable: off unless enabled",
    },
    FieldDefault {
        path: "deploymentConfiguration.alarms.rollback",
        value: || json!(false),
        other: || json!(true),
        when: always,
        source: "DeploymentAlarms.rollback: off unless enabled",
    },
    FieldDefault {
        path: "deploymentConfiguration.strategy",
        value: || json!("ROLLING"),
        other: || json!("BLUE_GREEN"),
        when: always,
        source: "DeploymentConfiguration.strategy: \"ROLLING ... This is the default\"",
    },
    FieldDefault {
        path: "deploymentConfiguration.lifecycleHooks",
        value: || json!([]),
        other: || json!([{"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}]),
        when: always,
        source: "DeploymentConfiguration.lifecycleHooks: no hooks unless configured; UpdateService replaces the list it is sent",
    },
    FieldDefault {
        path: "deploymentConfiguration.lifecycleHooks?[].targetType",
        value: || json!("AWS_LAMBDA"),
        other: || json!("PAUSE"),
        when: always,
        source: "DeploymentLifecycleHook.targetType: \"If not specified, the default value is AWS_LAMBDA\"",
    },
    FieldDefault {
        path: "deploymentConfiguration.lifecycleHooks?[].timeoutConfiguration.timeoutInMinutes",
        value: || json!(1440),
        other: || json!(30),
        when: always,
        source: "DeploymentLifecycleHookTimeoutConfiguration.timeoutInMinutes: \"Default: 1440 (24 hours)\"",
    },
    FieldDefault {
        path: "deploymentConfiguration.lifecycleHooks?[].timeoutConfiguration.action",
        value: || json!("ROLLBACK"),
        other: || json!("CONTINUE"),
        when: always,
        source: "DeploymentLifecycleHookTimeoutConfiguration.action: \"Default: ROLLBACK\"",
    },
    FieldDefault {
        path: "deploymentController.type",
        value: || json!("ECS"),
        other: || json!("ECS"),
        when: always,
        source: "DeploymentController.type: the ECS rolling update controller is the default",
    },
    FieldDefault {
        path: "placementConstraints",
        value: || json!([]),
        other: || json!([{"type": "distinctInstance"}]),
        when: always,
        source: "UpdateServiceRequest.placementConstraints: \"To remove all existing placement constraints, specify an empty array\"",
    },
    FieldDefault {
        path: "placementStrategy",
        value: || json!([]),
        other: || json!([{"type": "spread", "field": "attribute:ecs.availability-zone"}]),
        when: always,
        source: "UpdateServiceRequest.placementStrategy: \"To remove an existing placement strategy, specify an empty object\"",
    },
    FieldDefault {
        path: "propagateTags",
        value: || json!("NONE"),
        other: || json!("SERVICE"),
        when: always,
        source: "CreateServiceRequest.propagateTags: \"If no value is specified, the tags aren't propagated\" (NONE)",
    },
    FieldDefault {
        path: "enableEcsManagedTags",
        value: || json!(false),
        other: || json!(true),
        when: always,
        source: "CreateServiceRequest.enableECSManagedTags: \"When you use Amazon ECS managed tags, you must set the propagateTags\"; default false",
    },
    FieldDefault {
        path: "enableExecuteCommand",
        value: || json!(false),
        other: || json!(true),
        when: always,
        source: "CreateServiceRequest.enableExecuteCommand: \"Determines whether the execute command functionality is turned on\"; default false",
    },
    FieldDefault {
        path: "serviceConnectConfiguration",
        value: || json!({"enabled": false}),
        other: || json!({"enabled": true, "namespace": "shop"}),
        when: always,
        source: "UpdateServiceRequest.serviceConnectConfiguration: omitted leaves Service Connect as it is; ServiceConnectConfiguration.enabled false turns it off",
    },
    FieldDefault {
        path: "volumeConfigurations",
        value: || json!([]),
        other: || json!([{"name": "data", "managedEBSVolume": {"roleArn": "arn:aws:iam::123456789012:role/ecsInfrastructureRole", "sizeInGiB": 20}}]),
        when: always,
        source: "UpdateServiceRequest.volumeConfigurations: \"If set to null, no new deployment is triggered\"; an empty list removes them",
    },
    FieldDefault {
        path: "volumeConfigurations?[].managedEBSVolume.tagSpecifications?[].propagateTags",
        value: || json!("NONE"),
        other: || json!("SERVICE"),
        when: always,
        source: "EBSTagSpecification.propagateTags: \"If no value is specified, the tags aren't propagated\"",
    },
    FieldDefault {
        path: "serviceConnectConfiguration?.accessLogConfiguration?.includeQueryParameters",
        value: || json!("DISABLED"),
        other: || json!("ENABLED"),
        when: always,
        source: "ServiceConnectAccessLogConfiguration.includeQueryParameters: \"By default, this parameter is DISABLED\"",
    },
    FieldDefault {
        path: "vpcLatticeConfigurations",
        value: || json!([]),
        other: || json!([{"roleArn": "arn:aws:iam::123456789012:role/ecsInfrastructureRole", "targetGroupArn": "arn:aws:vpc-lattice:eu-west-1:123456789012:targetgroup/tg-0123456789abcdef0", "portName": "http"}]),
        when: always,
        source: "UpdateServiceRequest.vpcLatticeConfigurations: omitted leaves them as they are; an empty list removes them",
    },
    FieldDefault {
        path: "capacityProviderStrategy?[].weight",
        value: || json!(0),
        other: || json!(2),
        when: always,
        source: "CapacityProviderStrategyItem.weight: \"If no weight value is specified, the default value of 0 is used\"",
    },
    FieldDefault {
        path: "capacityProviderStrategy?[].base",
        value: || json!(0),
        other: || json!(1),
        when: always,
        source: "CapacityProviderStrategyItem.base: \"If no value is specified, the default value of 0 is used\"",
    },
];

/// ECSCluster fields (CreateCluster / UpdateCluster / PutClusterCapacityProviders).
pub const CLUSTER: &[FieldDefault] = &[
    FieldDefault {
        path: "configuration.executeCommandConfiguration.logging",
        value: || json!("DEFAULT"),
        other: || json!("NONE"),
        when: always,
        source: "ExecuteCommandConfiguration.logging: \"DEFAULT ... If no value is specified, DEFAULT is used\"",
    },
    FieldDefault {
        path: "configuration.executeCommandConfiguration.logConfiguration?.cloudWatchEncryptionEnabled",
        value: || json!(false),
        other: || json!(true),
        when: always,
        source: "ExecuteCommandLogConfiguration.cloudWatchEncryptionEnabled: a boolean ECS reports false unless turned on",
    },
    FieldDefault {
        path: "configuration.executeCommandConfiguration.logConfiguration?.s3EncryptionEnabled",
        value: || json!(false),
        other: || json!(true),
        when: always,
        source: "ExecuteCommandLogConfiguration.s3EncryptionEnabled: a boolean ECS reports false unless turned on",
    },
    FieldDefault {
        path: "capacityProviders",
        value: || json!([]),
        other: || json!(["FARGATE"]),
        when: always,
        source: "PutClusterCapacityProvidersRequest.capacityProviders: an empty list removes every provider",
    },
    FieldDefault {
        path: "defaultCapacityProviderStrategy",
        value: || json!([]),
        other: || json!([{"capacityProvider": "FARGATE", "weight": 1}]),
        when: always,
        source: "PutClusterCapacityProvidersRequest.defaultCapacityProviderStrategy: an empty list removes the default strategy",
    },
    FieldDefault {
        path: "defaultCapacityProviderStrategy[].weight",
        value: || json!(0),
        other: || json!(2),
        when: always,
        source: "CapacityProviderStrategyItem.weight: \"If no weight value is specified, the default value of 0 is used\"",
    },
    FieldDefault {
        path: "defaultCapacityProviderStrategy[].base",
        value: || json!(0),
        other: || json!(1),
        when: always,
        source: "CapacityProviderStrategyItem.base: \"If no value is specified, the default value of 0 is used\"",
    },
];

/// CapacityProvider fields (CreateCapacityProvider / UpdateCapacityProvider).
pub const CAPACITY_PROVIDER: &[FieldDefault] = &[
    FieldDefault {
        path: "autoScalingGroupProvider?.managedScaling.status",
        value: || json!("DISABLED"),
        other: || json!("ENABLED"),
        when: always,
        source: "ManagedScaling.status: a provider created without managedScaling reports DISABLED",
    },
    FieldDefault {
        path: "autoScalingGroupProvider?.managedScaling.targetCapacity",
        value: || json!(100),
        other: || json!(80),
        when: always,
        source: "ManagedScaling.targetCapacity: \"If you don't specify a value, the default value of 100 is used\"",
    },
    FieldDefault {
        path: "autoScalingGroupProvider?.managedScaling.minimumScalingStepSize",
        value: || json!(1),
        other: || json!(2),
        when: always,
        source: "ManagedScaling.minimumScalingStepSize: \"If this parameter is omitted, the default value of 1 is used\"",
    },
    FieldDefault {
        path: "autoScalingGroupProvider?.managedScaling.maximumScalingStepSize",
        value: || json!(10000),
        other: || json!(100),
        when: always,
        source: "ManagedScaling.maximumScalingStepSize: \"If this parameter is omitted, the default value of 10000 is used\"",
    },
    FieldDefault {
        path: "autoScalingGroupProvider?.managedScaling.instanceWarmupPeriod",
        value: || json!(300),
        other: || json!(120),
        when: always,
        source: "ManagedScaling.instanceWarmupPeriod: \"If this parameter is omitted, the default value of 300 seconds is used\"",
    },
    FieldDefault {
        path: "autoScalingGroupProvider?.managedTerminationProtection",
        value: || json!("DISABLED"),
        other: || json!("ENABLED"),
        when: always,
        source: "AutoScalingGroupProvider.managedTerminationProtection: \"When managed termination protection is off ...\"; reported DISABLED when omitted",
    },
    FieldDefault {
        path: "autoScalingGroupProvider?.managedDraining",
        value: || json!("ENABLED"),
        other: || json!("DISABLED"),
        when: always,
        source: "AutoScalingGroupProvider.managedDraining: \"The managed draining option for the Auto Scaling group capacity provider. When you enable this, Amazon ECS manages and gracefully drains\"; ENABLED when omitted",
    },
    FieldDefault {
        path: "managedInstancesProvider?.instanceLaunchTemplate.monitoring",
        value: || json!("BASIC"),
        other: || json!("DETAILED"),
        when: always,
        source: "InstanceLaunchTemplate.monitoring: \"By default, your managed instance is configured for basic monitoring\"",
    },
    FieldDefault {
        path: "managedInstancesProvider?.instanceLaunchTemplate.capacityOptionType",
        value: || json!("ON_DEMAND"),
        other: || json!("SPOT"),
        when: always,
        source: "InstanceLaunchTemplate.capacityOptionType: \"The default is On-Demand\"",
    },
];

/// TaskDefinition fields (RegisterTaskDefinition / DescribeTaskDefinition). A revision is
/// registered whole and never diffed field by field, so these are *removed* where equal
/// ([`strip`]): the spec hash is taken over that form and is stored in AWS tags, so it stays what
/// it has always been. (`hostPort` is not here: its default is the containerPort under awsvpc and
/// host networking, which `canonical::task_definition` handles.)
pub const TASK_DEFINITION: &[FieldDefault] = &[
    FieldDefault {
        path: "networkMode",
        value: || json!("bridge"),
        other: || json!("awsvpc"),
        when: always,
        source: "RegisterTaskDefinitionRequest.networkMode: \"If no network mode is specified, the default is bridge\"",
    },
    FieldDefault {
        path: "enableFaultInjection",
        value: || json!(false),
        other: || json!(true),
        when: always,
        source: "RegisterTaskDefinitionRequest.enableFaultInjection: \"The default value is false\"",
    },
    FieldDefault {
        path: "containerDefinitions[].cpu",
        value: || json!(0),
        other: || json!(128),
        when: always,
        source: "ContainerDefinition.cpu: no reservation when omitted; DescribeTaskDefinition reports 0",
    },
    FieldDefault {
        path: "containerDefinitions[].essential",
        value: || json!(true),
        other: || json!(false),
        when: always,
        source: "ContainerDefinition.essential: \"If the essential parameter of a container is marked as true... All tasks must have at least one essential container\"; default true",
    },
    FieldDefault {
        path: "containerDefinitions[].versionConsistency",
        value: || json!("enabled"),
        other: || json!("disabled"),
        when: always,
        source: "ContainerDefinition.versionConsistency: \"the default value is enabled\"",
    },
    FieldDefault {
        path: "containerDefinitions[].disableNetworking",
        value: || json!(false),
        other: || json!(true),
        when: always,
        source: "ContainerDefinition.disableNetworking: networking is on unless disabled",
    },
    FieldDefault {
        path: "containerDefinitions[].privileged",
        value: || json!(false),
        other: || json!(true),
        when: always,
        source: "ContainerDefinition.privileged: not privileged unless set",
    },
    FieldDefault {
        path: "containerDefinitions[].readonlyRootFilesystem",
        value: || json!(false),
        other: || json!(true),
        when: always,
        source: "ContainerDefinition.readonlyRootFilesystem: writable unless set",
    },
    FieldDefault {
        path: "containerDefinitions[].interactive",
        value: || json!(false),
        other: || json!(true),
        when: always,
        source: "ContainerDefinition.interactive: off unless set",
    },
    FieldDefault {
        path: "containerDefinitions[].pseudoTerminal",
        value: || json!(false),
        other: || json!(true),
        when: always,
        source: "ContainerDefinition.pseudoTerminal: off unless set",
    },
    FieldDefault {
        path: "containerDefinitions[].portMappings?[].protocol",
        value: || json!("tcp"),
        other: || json!("udp"),
        when: always,
        source: "PortMapping.protocol: \"The default is tcp\"",
    },
    FieldDefault {
        path: "containerDefinitions[].mountPoints?[].readOnly",
        value: || json!(false),
        other: || json!(true),
        when: always,
        source: "MountPoint.readOnly: \"The default value is false\"",
    },
    FieldDefault {
        path: "containerDefinitions[].volumesFrom?[].readOnly",
        value: || json!(false),
        other: || json!(true),
        when: always,
        source: "VolumeFrom.readOnly: \"The default value is false\"",
    },
    FieldDefault {
        path: "containerDefinitions[].linuxParameters?.initProcessEnabled",
        value: || json!(false),
        other: || json!(true),
        when: always,
        source: "LinuxParameters.initProcessEnabled: off unless set",
    },
    FieldDefault {
        path: "containerDefinitions[].healthCheck?.interval",
        value: || json!(30),
        other: || json!(10),
        when: always,
        source: "HealthCheck.interval: \"The default value is 30 seconds\"",
    },
    FieldDefault {
        path: "containerDefinitions[].healthCheck?.timeout",
        value: || json!(5),
        other: || json!(10),
        when: always,
        source: "HealthCheck.timeout: \"The default value is 5\"",
    },
    FieldDefault {
        path: "containerDefinitions[].healthCheck?.retries",
        value: || json!(3),
        other: || json!(5),
        when: always,
        source: "HealthCheck.retries: \"The default value is 3\"",
    },
    FieldDefault {
        path: "containerDefinitions[].healthCheck?.startPeriod",
        value: || json!(0),
        other: || json!(60),
        when: always,
        source: "HealthCheck.startPeriod: off (0) unless set",
    },
    FieldDefault {
        path: "volumes?[].configuredAtLaunch",
        value: || json!(false),
        other: || json!(true),
        when: always,
        source: "Volume.configuredAtLaunch: false unless the volume is configured at launch",
    },
];

/// ECSService fields ECS decides itself when the spec leaves them out, or that another owner
/// holds. A group is compared only when the spec sets at least one of its paths.
pub const SERVICE_NOT_COMPARED: &[NotCompared] = &[
    // Removed: UpdateService with `LATEST`, which DescribeServices then echoes.
    NotCompared {
        paths: &["platformVersion"],
        reason: "omitted or LATEST, ECS runs the newest platform version (DescribeServices says LATEST; the deployments name the number)",
        on_removal: OnRemoval::Send,
    },
    // Removed: UpdateServiceRequest.capacityProviderStrategy lists no way back to the cluster's
    // default strategy (an empty list goes back to a launch type the spec no longer names), and
    // a launch type cannot change on an existing service.
    NotCompared {
        paths: &["launchType", "capacityProviderStrategy"],
        reason: "with neither set, ECS uses the cluster's default capacity provider strategy (or EC2) and reports what it chose",
        on_removal: OnRemoval::Replace,
    },
    // Removed: the awsvpc configuration is sent without them, and ECS puts the VPC's default
    // group in their place.
    NotCompared {
        paths: &["networkConfiguration.awsvpcConfiguration.securityGroups"],
        reason: "omitted, ECS uses the VPC's default security group",
        on_removal: OnRemoval::Send,
    },
    // From here on, a removed field is left to ECS (or to the scaler): nothing is sent for it.
    NotCompared {
        paths: &["availabilityZoneRebalancing"],
        reason: "omitted, ECS turns rebalancing on only where the service allows it (not for DAEMON, maximumPercent <= 100, binpack or AZ memberOf placement, Classic Load Balancers) and keeps the last value on update",
        on_removal: OnRemoval::Keep,
    },
    NotCompared {
        paths: &["deploymentConfiguration.bakeTimeInMinutes"],
        reason: "omitted, ECS picks the bake time of the chosen strategy",
        on_removal: OnRemoval::Keep,
    },
    NotCompared {
        paths: &["deploymentConfiguration.linearConfiguration"],
        reason: "only LINEAR deployments read it; omitted, ECS uses its own step sizes",
        on_removal: OnRemoval::Keep,
    },
    NotCompared {
        paths: &["deploymentConfiguration.canaryConfiguration"],
        reason: "only CANARY deployments read it; omitted, ECS uses its own canary size",
        on_removal: OnRemoval::Keep,
    },
    NotCompared {
        paths: &["serviceConnectConfiguration.namespace"],
        reason: "omitted, ECS uses the cluster's Service Connect default namespace and reports its ARN",
        on_removal: OnRemoval::Send,
    },
    NotCompared {
        paths: &["desiredCount"],
        reason: "with spec.autoscaling set, Application Auto Scaling owns the count (canonical_service leaves it out on both sides); omitted without autoscaling, the count ECS has is kept",
        on_removal: OnRemoval::Keep,
    },
];

/// ECSCluster fields not compared unless the spec sets them.
pub const CLUSTER_NOT_COMPARED: &[NotCompared] = &[
    // Removed, both are left as ECS has them: the account default is not looked up, and managed
    // storage cannot be taken off.
    NotCompared {
        paths: &["settings.containerInsights"],
        reason: "omitted, a new cluster follows the account's containerInsights default (PutAccountSettingDefault); set it to enabled, enhanced or disabled to have it enforced",
        on_removal: OnRemoval::Keep,
    },
    NotCompared {
        paths: &["configuration.managedStorageConfiguration"],
        reason: "ECS documents no way to remove managed storage encryption keys from a cluster once set",
        on_removal: OnRemoval::Keep,
    },
];

/// CapacityProvider fields not compared unless the spec sets them (none today).
pub const CAPACITY_PROVIDER_NOT_COMPARED: &[NotCompared] = &[
    NotCompared {
        paths: &["managedInstancesProvider.propagateTags"],
        reason: "ECS documents no default to send back: omitted, the provider keeps what it has",
        on_removal: OnRemoval::Keep,
    },
    NotCompared {
        paths: &["managedInstancesProvider.infrastructureOptimization"],
        reason: "omitted, ECS uses its default optimisation behaviour, which it does not describe as a value",
        on_removal: OnRemoval::Keep,
    },
    NotCompared {
        paths: &["managedInstancesProvider.instanceLaunchTemplate.storageConfiguration"],
        reason: "omitted, ECS picks the instances' data volume size",
        on_removal: OnRemoval::Keep,
    },
    NotCompared {
        paths: &["managedInstancesProvider.instanceLaunchTemplate.instanceRequirements"],
        reason: "omitted, ECS chooses instance types for the tasks' needs",
        on_removal: OnRemoval::Keep,
    },
    NotCompared {
        paths: &["managedInstancesProvider.instanceLaunchTemplate.networkConfiguration.securityGroups"],
        reason: "omitted, ECS uses the VPC's default security group",
        on_removal: OnRemoval::Keep,
    },
];

/// What ECS fills into an Express service (botocore's CreateExpressGatewayServiceRequest and
/// ExpressGatewayContainer documentation; the task counts from AWS's Express Mode guide).
pub const EXPRESS: &[FieldDefault] = &[
    FieldDefault {
        path: "cpu",
        value: || json!("256"),
        other: || json!("512"),
        when: always,
        source: "CreateExpressGatewayServiceRequest.cpu: \"The default value for an Express service is 256 (.25 vCPU)\"",
    },
    FieldDefault {
        path: "memory",
        value: || json!("512"),
        other: || json!("1024"),
        when: always,
        source: "CreateExpressGatewayServiceRequest.memory: \"The default value for an express service is 512 MiB\"",
    },
    FieldDefault {
        path: "healthCheckPath",
        value: || json!("/ping"),
        other: || json!("/healthz"),
        when: always,
        source: "CreateExpressGatewayServiceRequest.healthCheckPath: \"If not specified, the default health check path is /ping\"",
    },
    FieldDefault {
        path: "primaryContainer.containerPort",
        value: || json!(80),
        other: || json!(8080),
        when: always,
        source: "ExpressGatewayContainer.containerPort: \"Default is 80\"",
    },
    FieldDefault {
        path: "scalingTarget.minTaskCount",
        value: || json!(1),
        other: || json!(2),
        when: always,
        source: "Express Mode guide: a service scales between 1 and 20 tasks unless told otherwise",
    },
    FieldDefault {
        path: "scalingTarget.maxTaskCount",
        value: || json!(20),
        other: || json!(10),
        when: always,
        source: "Express Mode guide: a service scales between 1 and 20 tasks unless told otherwise",
    },
    FieldDefault {
        path: "scalingTarget.autoScalingMetric",
        value: || json!("AVERAGE_CPU"),
        other: || json!("AVERAGE_MEMORY"),
        when: always,
        source: "ExpressGatewayScalingTarget.autoScalingMetric: \"The default metric used for an Express service is CPUUtilization\"",
    },
    FieldDefault {
        path: "scalingTarget.autoScalingTargetValue",
        value: || json!(60),
        other: || json!(70),
        when: always,
        source: "ExpressGatewayScalingTarget.autoScalingTargetValue: \"The default value for an Express service is 60\"",
    },
];

/// What ECS chooses for an Express service when the spec leaves it out.
pub const EXPRESS_NOT_COMPARED: &[NotCompared] = &[
    // Removed: UpdateExpressGatewayService takes a network configuration, never "the default
    // VPC again"; the service would keep the subnets it has.
    NotCompared {
        paths: &["networkConfiguration"],
        reason: "omitted, ECS runs the service in the default VPC's subnets",
        on_removal: OnRemoval::Replace,
    },
    // Removed: the next update sends the subnets without groups, and ECS makes its own again.
    NotCompared {
        paths: &["networkConfiguration.securityGroups"],
        reason: "omitted, ECS makes a security group for the service",
        on_removal: OnRemoval::Send,
    },
    // Removed: the update sends the container without it, and ECS logs to its own group again.
    NotCompared {
        paths: &["primaryContainer.awsLogsConfiguration"],
        reason: "omitted, ECS makes a log group for the service (/aws/ecs/<cluster>/<service>)",
        on_removal: OnRemoval::Send,
    },
];

/// A typed spec with every default of `table` written in. The table's values are valid for the
/// types (a test round-trips each); should one not be, the spec is returned as it was.
pub fn filled<T: Serialize + DeserializeOwned>(spec: T, table: &[FieldDefault]) -> T {
    let Ok(json) = serde_json::to_value(&spec) else { return spec };
    serde_json::from_value(fill(json, table)).unwrap_or(spec)
}

/// `spec` (JSON) with every default of `table` written in where the spec leaves it out.
pub fn fill(mut spec: Value, table: &[FieldDefault]) -> Value {
    for entry in table {
        // Conditions read the spec as the user wrote it plus earlier defaults: `schedulingStrategy`
        // comes first in the table for that reason.
        if (entry.when)(&spec) {
            let segments: Vec<&str> = entry.path.split('.').collect();
            fill_at(&mut spec, &segments, &(entry.value)());
        }
    }
    spec
}

fn fill_at(node: &mut Value, segments: &[&str], value: &Value) {
    let Some((first, rest)) = segments.split_first() else { return };
    let Value::Object(map) = node else { return };
    let (key, each, optional) = parse_segment(first);
    if rest.is_empty() {
        if matches!(map.get(key), None | Some(Value::Null)) {
            map.insert(key.to_owned(), value.clone());
        }
        return;
    }
    if matches!(map.get(key), None | Some(Value::Null)) {
        if optional || each {
            return;
        }
        map.insert(key.to_owned(), Value::Object(Map::new()));
    }
    match map.get_mut(key) {
        Some(Value::Array(items)) if each => items.iter_mut().for_each(|item| fill_at(item, rest, value)),
        Some(child) if !each => fill_at(child, rest, value),
        _ => {}
    }
}

/// `capacityProviderStrategy?[]` → ("capacityProviderStrategy", each item, optional).
fn parse_segment(segment: &str) -> (&str, bool, bool) {
    let (segment, each) = match segment.strip_suffix("[]") {
        Some(s) => (s, true),
        None => (segment, false),
    };
    match segment.strip_suffix('?') {
        Some(s) => (s, each, true),
        None => (segment, each, false),
    }
}

/// `spec` (JSON) with every value equal to its default in `table` removed: the form task
/// definitions hash.
pub fn strip(mut spec: Value, table: &[FieldDefault]) -> Value {
    for entry in table {
        if (entry.when)(&spec) {
            let segments: Vec<&str> = entry.path.split('.').collect();
            strip_at(&mut spec, &segments, &(entry.value)());
        }
    }
    spec
}

fn strip_at(node: &mut Value, segments: &[&str], default: &Value) {
    let Some((first, rest)) = segments.split_first() else { return };
    let Value::Object(map) = node else { return };
    let (key, each, _) = parse_segment(first);
    if rest.is_empty() {
        if map.get(key) == Some(default) {
            map.remove(key);
        }
        return;
    }
    match map.get_mut(key) {
        Some(Value::Array(items)) if each => items.iter_mut().for_each(|item| strip_at(item, rest, default)),
        Some(child) if !each => strip_at(child, rest, default),
        _ => {}
    }
}

/// A typed spec with its defaults removed (see [`strip`]); returned as it was should the
/// round trip fail.
pub fn stripped<T: Serialize + DeserializeOwned>(spec: T, table: &[FieldDefault]) -> T {
    let Ok(json) = serde_json::to_value(&spec) else { return spec };
    serde_json::from_value(strip(json, table)).unwrap_or(spec)
}

/// Removes from `actual` the not-compared groups the `desired` spec sets no path of, so what
/// ECS chose there is not drift.
pub fn drop_not_compared(desired: &Value, actual: &mut Value, groups: &[NotCompared]) {
    for group in groups {
        if group.paths.iter().all(|p| lookup(desired, p).is_none()) {
            for path in group.paths {
                remove(actual, path);
            }
        }
    }
}

/// The value at a plain dot path (no list segments), if set.
pub fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(value, |node, key| node.get(key)).filter(|v| !v.is_null())
}

/// Removes the value at a plain dot path, and the blocks on the way that it leaves empty (an
/// empty `settings` says nothing the spec could differ in).
fn remove(value: &mut Value, path: &str) {
    let segments: Vec<&str> = path.split('.').collect();
    remove_at(value, &segments);
}

fn remove_at(node: &mut Value, segments: &[&str]) {
    let Value::Object(map) = node else { return };
    match segments {
        [] => {}
        [last] => {
            map.remove(*last);
        }
        [first, rest @ ..] => {
            if let Some(child) = map.get_mut(*first) {
                remove_at(child, rest);
                if child.as_object().is_some_and(Map::is_empty) {
                    map.remove(*first);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_creates_blocks_but_not_optional_ones() {
        let filled = fill(json!({"desiredCount": 2}), SERVICE);
        assert_eq!(filled["deploymentConfiguration"]["minimumHealthyPercent"], json!(100));
        assert_eq!(filled["deploymentConfiguration"]["alarms"]["enable"], json!(false));
        assert_eq!(filled["enableExecuteCommand"], json!(false));
        assert!(filled.get("networkConfiguration").is_none(), "an optional block stays absent");
        let vpc = fill(json!({"networkConfiguration": {"awsvpcConfiguration": {"subnets": ["a"]}}}), SERVICE);
        assert_eq!(vpc["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"], json!("DISABLED"));
    }

    #[test]
    fn explicit_values_are_kept_and_list_items_filled() {
        let spec = json!({"enableExecuteCommand": true, "capacityProviderStrategy": [{"capacityProvider": "FARGATE"}]});
        let filled = fill(spec, SERVICE);
        assert_eq!(filled["enableExecuteCommand"], json!(true));
        assert_eq!(
            filled["capacityProviderStrategy"][0],
            json!({"capacityProvider": "FARGATE", "weight": 0, "base": 0})
        );
    }

    #[test]
    fn conditional_defaults_follow_the_scheduling_strategy() {
        let filled = fill(json!({"schedulingStrategy": "DAEMON"}), SERVICE);
        assert_eq!(filled["deploymentConfiguration"]["minimumHealthyPercent"], json!(0));
        assert_eq!(filled["deploymentConfiguration"]["maximumPercent"], json!(100));
    }

    #[test]
    fn filling_is_idempotent() {
        for table in [SERVICE, CLUSTER, CAPACITY_PROVIDER, EXPRESS] {
            let once = fill(json!({}), table);
            assert_eq!(fill(once.clone(), table), once);
        }
    }

    #[test]
    fn not_compared_groups_drop_only_when_the_spec_sets_none_of_them() {
        let mut actual = json!({"launchType": "FARGATE", "platformVersion": "1.4.0"});
        drop_not_compared(&json!({}), &mut actual, SERVICE_NOT_COMPARED);
        assert_eq!(actual, json!({}));
        let mut actual = json!({"launchType": "FARGATE", "platformVersion": "1.4.0"});
        drop_not_compared(&json!({"launchType": "EC2"}), &mut actual, SERVICE_NOT_COMPARED);
        assert_eq!(actual, json!({"launchType": "FARGATE"}));
        let mut cluster = json!({"settings": {"containerInsights": "enabled"}, "capacityProviders": []});
        drop_not_compared(&json!({"capacityProviders": []}), &mut cluster, CLUSTER_NOT_COMPARED);
        assert_eq!(cluster, json!({"capacityProviders": []}), "a block left empty goes too");
    }

    #[test]
    fn every_entry_has_a_distinct_non_default_example_and_a_source() {
        for table in [SERVICE, CLUSTER, CAPACITY_PROVIDER, TASK_DEFINITION, EXPRESS] {
            for entry in table {
                assert!(!entry.source.is_empty(), "{}", entry.path);
                // deploymentController.type has one value ECS-native controllers use.
                if entry.path != "deploymentController.type" {
                    assert_ne!((entry.value)(), (entry.other)(), "{}", entry.path);
                }
            }
        }
    }
}
