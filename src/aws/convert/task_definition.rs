//! `TaskDefinitionSpec` ↔ RegisterTaskDefinition input and the `TaskDefinition` that
//! DescribeTaskDefinition returns.
//!
//! Forward sends every spec field; task cpu/memory go out as plain integer strings (CPU units,
//! MiB), the form ECS describes them back in. Reverse reports AWS values as they are (no
//! default stripping, that is `crate::canonical`'s job); the operator-only fields
//! (`revisionHistoryLimit`, policies) come back empty.

use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput;
use aws_sdk_ecs::operation::register_task_definition::builders::RegisterTaskDefinitionInputBuilder;
use aws_sdk_ecs::types;

use super::{
    ConvertError, SdkEnum, built, child, enum_from_sdk, enum_list_from_sdk, enum_list_to_sdk, list, opt_enum_from_sdk,
    opt_enum_to_sdk, required, tags_to_sdk, to_btree_map, to_hash_map, try_list, try_list_at, user_tags_from_sdk,
};
use crate::canonical::units::{task_cpu_units, task_memory_mib};
use crate::crd::common::Tags;
use crate::crd::task_definition::{
    ContainerDefinition, ContainerDependency, ContainerRestartPolicy, Device, DockerVolumeConfiguration,
    EfsAuthorizationConfig, EfsVolumeConfiguration, EnvironmentFile, EphemeralStorage, FirelensConfiguration,
    FsxWindowsFileServerAuthorizationConfig, FsxWindowsFileServerVolumeConfiguration, HealthCheck, HostEntry,
    HostVolumeProperties, InferenceAccelerator, KernelCapabilities, KeyValuePair, LinuxParameters, LogConfiguration,
    MountPoint, PortMapping, ProxyConfiguration, RepositoryCredentials, ResourceRequirement, RuntimePlatform, Secret,
    SystemControl, TaskDefinitionSpec, TaskPlacementConstraint, Tmpfs, Ulimit, Volume, VolumeFrom,
};

// ---- spec → RegisterTaskDefinition -----------------------------------------------------------

/// The RegisterTaskDefinition request for `spec`, registered under `family` (the resolved
/// family: `spec.family` or the object name) with the user's tags plus `ownership_tags`.
pub fn register_task_definition_input(
    spec: &TaskDefinitionSpec,
    family: &str,
    ownership_tags: &Tags,
) -> Result<RegisterTaskDefinitionInput, ConvertError> {
    let cpu = spec.cpu.as_deref().map(parse_task_cpu).transpose()?;
    let memory = spec.memory.as_deref().map(parse_task_memory).transpose()?;
    let containers = spec.container_definitions.iter().map(container_to_sdk).collect::<Result<Vec<_>, _>>()?;
    let builder = RegisterTaskDefinitionInput::builder()
        .family(family)
        .set_task_role_arn(spec.task_role_arn.clone())
        .set_execution_role_arn(spec.execution_role_arn.clone())
        .set_network_mode(opt_enum_to_sdk(spec.network_mode))
        .set_container_definitions(Some(containers))
        .set_volumes(try_list(spec.volumes.as_deref(), volume_to_sdk)?)
        .set_placement_constraints(list(spec.placement_constraints.as_deref(), placement_constraint_to_sdk))
        .set_requires_compatibilities(enum_list_to_sdk(spec.requires_compatibilities.as_deref()))
        .set_cpu(cpu.map(|units| units.to_string()))
        .set_memory(memory.map(|mib| mib.to_string()))
        .set_tags(tags_to_sdk(spec.tags.as_ref(), ownership_tags))
        .set_pid_mode(opt_enum_to_sdk(spec.pid_mode))
        .set_ipc_mode(opt_enum_to_sdk(spec.ipc_mode))
        .set_proxy_configuration(spec.proxy_configuration.as_ref().map(proxy_to_sdk).transpose()?)
        .set_ephemeral_storage(
            spec.ephemeral_storage
                .as_ref()
                .map(|e| types::EphemeralStorage::builder().size_in_gib(e.size_in_gi_b).build()),
        )
        .set_runtime_platform(spec.runtime_platform.as_ref().map(|p| {
            types::RuntimePlatform::builder()
                .set_cpu_architecture(opt_enum_to_sdk(p.cpu_architecture))
                .set_operating_system_family(opt_enum_to_sdk(p.operating_system_family))
                .build()
        }))
        .set_enable_fault_injection(spec.enable_fault_injection);
    let input = with_inference_accelerators(builder, spec.inference_accelerators.as_deref())?;
    built("RegisterTaskDefinitionInput", input.build())
}

fn container_to_sdk(c: &ContainerDefinition) -> Result<types::ContainerDefinition, ConvertError> {
    Ok(types::ContainerDefinition::builder()
        .name(&c.name)
        .image(&c.image)
        .set_repository_credentials(c.repository_credentials.as_ref().map(repository_credentials_to_sdk).transpose()?)
        .set_cpu(c.cpu)
        .set_memory(c.memory)
        .set_memory_reservation(c.memory_reservation)
        .set_links(c.links.clone())
        .set_port_mappings(list(c.port_mappings.as_deref(), port_mapping_to_sdk))
        .set_essential(c.essential)
        .set_restart_policy(c.restart_policy.as_ref().map(restart_policy_to_sdk).transpose()?)
        .set_entry_point(c.entry_point.clone())
        .set_command(c.command.clone())
        .set_environment(list(c.environment.as_deref(), key_value_to_sdk))
        .set_environment_files(try_list(c.environment_files.as_deref(), environment_file_to_sdk)?)
        .set_mount_points(list(c.mount_points.as_deref(), mount_point_to_sdk))
        .set_volumes_from(list(c.volumes_from.as_deref(), volume_from_to_sdk))
        .set_linux_parameters(c.linux_parameters.as_ref().map(linux_parameters_to_sdk).transpose()?)
        .set_secrets(try_list(c.secrets.as_deref(), secret_to_sdk)?)
        .set_depends_on(try_list(c.depends_on.as_deref(), dependency_to_sdk)?)
        .set_start_timeout(c.start_timeout)
        .set_stop_timeout(c.stop_timeout)
        .set_version_consistency(opt_enum_to_sdk(c.version_consistency))
        .set_hostname(c.hostname.clone())
        .set_user(c.user.clone())
        .set_working_directory(c.working_directory.clone())
        .set_disable_networking(c.disable_networking)
        .set_privileged(c.privileged)
        .set_readonly_root_filesystem(c.readonly_root_filesystem)
        .set_dns_servers(c.dns_servers.clone())
        .set_dns_search_domains(c.dns_search_domains.clone())
        .set_extra_hosts(try_list(c.extra_hosts.as_deref(), host_entry_to_sdk)?)
        .set_docker_security_options(c.docker_security_options.clone())
        .set_interactive(c.interactive)
        .set_pseudo_terminal(c.pseudo_terminal)
        .set_docker_labels(to_hash_map(c.docker_labels.as_ref()))
        .set_ulimits(try_list(c.ulimits.as_deref(), ulimit_to_sdk)?)
        .set_log_configuration(c.log_configuration.as_ref().map(log_configuration_to_sdk).transpose()?)
        .set_health_check(c.health_check.as_ref().map(health_check_to_sdk).transpose()?)
        .set_system_controls(list(c.system_controls.as_deref(), system_control_to_sdk))
        .set_resource_requirements(try_list(c.resource_requirements.as_deref(), resource_requirement_to_sdk)?)
        .set_firelens_configuration(c.firelens_configuration.as_ref().map(firelens_to_sdk).transpose()?)
        .set_credential_specs(c.credential_specs.clone())
        .build())
}

fn repository_credentials_to_sdk(r: &RepositoryCredentials) -> Result<types::RepositoryCredentials, ConvertError> {
    built(
        "RepositoryCredentials",
        types::RepositoryCredentials::builder().credentials_parameter(&r.credentials_parameter).build(),
    )
}

fn port_mapping_to_sdk(p: &PortMapping) -> types::PortMapping {
    types::PortMapping::builder()
        .set_container_port(p.container_port)
        .set_host_port(p.host_port)
        .set_protocol(opt_enum_to_sdk(p.protocol))
        .set_name(p.name.clone())
        .set_app_protocol(opt_enum_to_sdk(p.app_protocol))
        .set_container_port_range(p.container_port_range.clone())
        .build()
}

fn restart_policy_to_sdk(r: &ContainerRestartPolicy) -> Result<types::ContainerRestartPolicy, ConvertError> {
    built(
        "ContainerRestartPolicy",
        types::ContainerRestartPolicy::builder()
            .enabled(r.enabled)
            .set_ignored_exit_codes(r.ignored_exit_codes.clone())
            .set_restart_attempt_period(r.restart_attempt_period)
            .build(),
    )
}

pub(crate) fn key_value_to_sdk(kv: &KeyValuePair) -> types::KeyValuePair {
    types::KeyValuePair::builder().name(&kv.name).set_value(kv.value.clone()).build()
}

fn environment_file_to_sdk(f: &EnvironmentFile) -> Result<types::EnvironmentFile, ConvertError> {
    built("EnvironmentFile", types::EnvironmentFile::builder().value(&f.value).r#type(f.type_.to_sdk()).build())
}

fn mount_point_to_sdk(m: &MountPoint) -> types::MountPoint {
    types::MountPoint::builder()
        .source_volume(&m.source_volume)
        .container_path(&m.container_path)
        .set_read_only(m.read_only)
        .build()
}

fn volume_from_to_sdk(v: &VolumeFrom) -> types::VolumeFrom {
    types::VolumeFrom::builder().source_container(&v.source_container).set_read_only(v.read_only).build()
}

fn linux_parameters_to_sdk(l: &LinuxParameters) -> Result<types::LinuxParameters, ConvertError> {
    Ok(types::LinuxParameters::builder()
        .set_capabilities(
            l.capabilities
                .as_ref()
                .map(|c| types::KernelCapabilities::builder().set_add(c.add.clone()).set_drop(c.drop.clone()).build()),
        )
        .set_devices(try_list(l.devices.as_deref(), device_to_sdk)?)
        .set_init_process_enabled(l.init_process_enabled)
        .set_shared_memory_size(l.shared_memory_size)
        .set_tmpfs(try_list(l.tmpfs.as_deref(), tmpfs_to_sdk)?)
        .set_max_swap(l.max_swap)
        .set_swappiness(l.swappiness)
        .build())
}

fn device_to_sdk(d: &Device) -> Result<types::Device, ConvertError> {
    built(
        "Device",
        types::Device::builder()
            .host_path(&d.host_path)
            .set_container_path(d.container_path.clone())
            .set_permissions(enum_list_to_sdk(d.permissions.as_deref()))
            .build(),
    )
}

fn tmpfs_to_sdk(t: &Tmpfs) -> Result<types::Tmpfs, ConvertError> {
    built(
        "Tmpfs",
        types::Tmpfs::builder()
            .container_path(&t.container_path)
            .size(t.size)
            .set_mount_options(t.mount_options.clone())
            .build(),
    )
}

pub(crate) fn secret_to_sdk(s: &Secret) -> Result<types::Secret, ConvertError> {
    built("Secret", types::Secret::builder().name(&s.name).value_from(&s.value_from).build())
}

fn dependency_to_sdk(d: &ContainerDependency) -> Result<types::ContainerDependency, ConvertError> {
    built(
        "ContainerDependency",
        types::ContainerDependency::builder().container_name(&d.container_name).condition(d.condition.to_sdk()).build(),
    )
}

fn host_entry_to_sdk(h: &HostEntry) -> Result<types::HostEntry, ConvertError> {
    built("HostEntry", types::HostEntry::builder().hostname(&h.hostname).ip_address(&h.ip_address).build())
}

fn ulimit_to_sdk(u: &Ulimit) -> Result<types::Ulimit, ConvertError> {
    built(
        "Ulimit",
        types::Ulimit::builder().name(u.name.to_sdk()).soft_limit(u.soft_limit).hard_limit(u.hard_limit).build(),
    )
}

pub(crate) fn log_configuration_to_sdk(l: &LogConfiguration) -> Result<types::LogConfiguration, ConvertError> {
    built(
        "LogConfiguration",
        types::LogConfiguration::builder()
            .log_driver(l.log_driver.to_sdk())
            .set_options(to_hash_map(l.options.as_ref()))
            .set_secret_options(try_list(l.secret_options.as_deref(), secret_to_sdk)?)
            .build(),
    )
}

fn health_check_to_sdk(h: &HealthCheck) -> Result<types::HealthCheck, ConvertError> {
    built(
        "HealthCheck",
        types::HealthCheck::builder()
            .set_command(Some(h.command.clone()))
            .set_interval(h.interval)
            .set_timeout(h.timeout)
            .set_retries(h.retries)
            .set_start_period(h.start_period)
            .build(),
    )
}

fn system_control_to_sdk(s: &SystemControl) -> types::SystemControl {
    types::SystemControl::builder().namespace(&s.namespace).value(&s.value).build()
}

fn resource_requirement_to_sdk(r: &ResourceRequirement) -> Result<types::ResourceRequirement, ConvertError> {
    built("ResourceRequirement", types::ResourceRequirement::builder().value(&r.value).r#type(r.type_.to_sdk()).build())
}

fn firelens_to_sdk(f: &FirelensConfiguration) -> Result<types::FirelensConfiguration, ConvertError> {
    built(
        "FirelensConfiguration",
        types::FirelensConfiguration::builder()
            .r#type(f.type_.to_sdk())
            .set_options(to_hash_map(f.options.as_ref()))
            .build(),
    )
}

fn volume_to_sdk(v: &Volume) -> Result<types::Volume, ConvertError> {
    Ok(types::Volume::builder()
        .name(&v.name)
        .set_host(
            v.host
                .as_ref()
                .map(|h| types::HostVolumeProperties::builder().set_source_path(h.source_path.clone()).build()),
        )
        .set_docker_volume_configuration(v.docker_volume_configuration.as_ref().map(|d| {
            types::DockerVolumeConfiguration::builder()
                .set_scope(opt_enum_to_sdk(d.scope))
                .set_autoprovision(d.autoprovision)
                .set_driver(d.driver.clone())
                .set_driver_opts(to_hash_map(d.driver_opts.as_ref()))
                .set_labels(to_hash_map(d.labels.as_ref()))
                .build()
        }))
        .set_efs_volume_configuration(v.efs_volume_configuration.as_ref().map(efs_to_sdk).transpose()?)
        .set_fsx_windows_file_server_volume_configuration(
            v.fsx_windows_file_server_volume_configuration.as_ref().map(fsx_to_sdk).transpose()?,
        )
        .set_configured_at_launch(v.configured_at_launch)
        .build())
}

fn efs_to_sdk(e: &EfsVolumeConfiguration) -> Result<types::EfsVolumeConfiguration, ConvertError> {
    built(
        "EfsVolumeConfiguration",
        types::EfsVolumeConfiguration::builder()
            .file_system_id(&e.file_system_id)
            .set_root_directory(e.root_directory.clone())
            .set_transit_encryption(opt_enum_to_sdk(e.transit_encryption))
            .set_transit_encryption_port(e.transit_encryption_port)
            .set_authorization_config(e.authorization_config.as_ref().map(|a| {
                types::EfsAuthorizationConfig::builder()
                    .set_access_point_id(a.access_point_id.clone())
                    .set_iam(opt_enum_to_sdk(a.iam))
                    .build()
            }))
            .build(),
    )
}

fn fsx_to_sdk(
    f: &FsxWindowsFileServerVolumeConfiguration,
) -> Result<types::FSxWindowsFileServerVolumeConfiguration, ConvertError> {
    let auth = &f.authorization_config;
    let auth = built(
        "FSxWindowsFileServerAuthorizationConfig",
        types::FSxWindowsFileServerAuthorizationConfig::builder()
            .credentials_parameter(&auth.credentials_parameter)
            .domain(&auth.domain)
            .build(),
    )?;
    built(
        "FSxWindowsFileServerVolumeConfiguration",
        types::FSxWindowsFileServerVolumeConfiguration::builder()
            .file_system_id(&f.file_system_id)
            .root_directory(&f.root_directory)
            .authorization_config(auth)
            .build(),
    )
}

fn placement_constraint_to_sdk(p: &TaskPlacementConstraint) -> types::TaskDefinitionPlacementConstraint {
    types::TaskDefinitionPlacementConstraint::builder()
        .r#type(p.type_.to_sdk())
        .set_expression(p.expression.clone())
        .build()
}

fn proxy_to_sdk(p: &ProxyConfiguration) -> Result<types::ProxyConfiguration, ConvertError> {
    built(
        "ProxyConfiguration",
        types::ProxyConfiguration::builder()
            .set_type(opt_enum_to_sdk(p.type_))
            .container_name(&p.container_name)
            .set_properties(list(p.properties.as_deref(), key_value_to_sdk))
            .build(),
    )
}

/// Elastic Inference is retired and the SDK marks its types deprecated; the spec keeps the
/// field so that definitions that use it still register, describe and compare. The allow is
/// limited to the two functions that touch it.
#[allow(deprecated)]
fn with_inference_accelerators(
    builder: RegisterTaskDefinitionInputBuilder,
    accelerators: Option<&[InferenceAccelerator]>,
) -> Result<RegisterTaskDefinitionInputBuilder, ConvertError> {
    let accelerators = try_list(accelerators, |a| {
        built(
            "InferenceAccelerator",
            types::InferenceAccelerator::builder().device_name(&a.device_name).device_type(&a.device_type).build(),
        )
    })?;
    Ok(builder.set_inference_accelerators(accelerators))
}

// ---- task cpu and memory ---------------------------------------------------------------------

/// CPU units of a task cpu string, in any form admission accepts.
fn parse_task_cpu(value: &str) -> Result<i64, ConvertError> {
    task_cpu_units(value).map_err(|e| ConvertError::invalid("spec.cpu", e.to_string()))
}

/// MiB of a task memory string, in any form admission accepts.
fn parse_task_memory(value: &str) -> Result<i64, ConvertError> {
    task_memory_mib(value).map_err(|e| ConvertError::invalid("spec.memory", e.to_string()))
}

// ---- TaskDefinition → spec -------------------------------------------------------------------

/// The spec a described task definition stands for. `tags` are the ones DescribeTaskDefinition
/// returns beside the definition (with `include: [TAGS]`); the operator's own tags are left out.
pub fn task_definition_spec_from_sdk(
    td: &types::TaskDefinition,
    tags: &[types::Tag],
) -> Result<TaskDefinitionSpec, ConvertError> {
    let containers = td.container_definitions.as_deref().unwrap_or_default();
    let container_definitions = containers
        .iter()
        .enumerate()
        .map(|(i, c)| {
            // Drift paths name containers (`containerDefinitions[web]`), as users think of them.
            let at = match &c.name {
                Some(name) => format!("spec.containerDefinitions[{name}]"),
                None => format!("spec.containerDefinitions[{i}]"),
            };
            container_from_sdk(c, &at)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(TaskDefinitionSpec {
        family: td.family.clone(),
        task_role_arn: td.task_role_arn.clone(),
        execution_role_arn: td.execution_role_arn.clone(),
        network_mode: opt_enum_from_sdk("spec.networkMode", td.network_mode.as_ref())?,
        container_definitions,
        volumes: try_list_at(td.volumes.as_deref(), "spec.volumes", volume_from_sdk)?,
        placement_constraints: try_list_at(
            td.placement_constraints.as_deref(),
            "spec.placementConstraints",
            placement_constraint_from_sdk,
        )?,
        requires_compatibilities: enum_list_from_sdk(
            "spec.requiresCompatibilities",
            td.requires_compatibilities.as_deref(),
        )?,
        cpu: td.cpu.clone(),
        memory: td.memory.clone(),
        pid_mode: opt_enum_from_sdk("spec.pidMode", td.pid_mode.as_ref())?,
        ipc_mode: opt_enum_from_sdk("spec.ipcMode", td.ipc_mode.as_ref())?,
        proxy_configuration: td
            .proxy_configuration
            .as_ref()
            .map(|p| {
                Ok::<_, ConvertError>(ProxyConfiguration {
                    type_: opt_enum_from_sdk("spec.proxyConfiguration.type", p.r#type.as_ref())?,
                    container_name: p.container_name.clone(),
                    properties: try_list_at(
                        p.properties.as_deref(),
                        "spec.proxyConfiguration.properties",
                        key_value_from_sdk,
                    )?,
                })
            })
            .transpose()?,
        inference_accelerators: inference_accelerators_from_sdk(td),
        ephemeral_storage: td.ephemeral_storage.as_ref().map(|e| EphemeralStorage { size_in_gi_b: e.size_in_gib }),
        runtime_platform: td
            .runtime_platform
            .as_ref()
            .map(|p| {
                Ok::<_, ConvertError>(RuntimePlatform {
                    cpu_architecture: opt_enum_from_sdk(
                        "spec.runtimePlatform.cpuArchitecture",
                        p.cpu_architecture.as_ref(),
                    )?,
                    operating_system_family: opt_enum_from_sdk(
                        "spec.runtimePlatform.operatingSystemFamily",
                        p.operating_system_family.as_ref(),
                    )?,
                })
            })
            .transpose()?,
        enable_fault_injection: td.enable_fault_injection,
        tags: user_tags_from_sdk(tags),
        revision_history_limit: None,
        policies: Default::default(),
    })
}

/// See [`with_inference_accelerators`] for why the deprecated SDK type is still read.
#[allow(deprecated)]
fn inference_accelerators_from_sdk(td: &types::TaskDefinition) -> Option<Vec<InferenceAccelerator>> {
    list(td.inference_accelerators.as_deref(), |a| InferenceAccelerator {
        device_name: a.device_name.clone(),
        device_type: a.device_type.clone(),
    })
}

fn container_from_sdk(c: &types::ContainerDefinition, at: &str) -> Result<ContainerDefinition, ConvertError> {
    Ok(ContainerDefinition {
        name: required(&child(at, "name"), c.name.as_ref())?,
        image: required(&child(at, "image"), c.image.as_ref())?,
        repository_credentials: c
            .repository_credentials
            .as_ref()
            .map(|r| RepositoryCredentials { credentials_parameter: r.credentials_parameter.clone() }),
        // ECS describes an unset container cpu as 0; canonicalisation treats both alike.
        cpu: Some(c.cpu),
        memory: c.memory,
        memory_reservation: c.memory_reservation,
        links: c.links.clone(),
        port_mappings: try_list_at(c.port_mappings.as_deref(), &child(at, "portMappings"), port_mapping_from_sdk)?,
        essential: c.essential,
        restart_policy: c.restart_policy.as_ref().map(|r| ContainerRestartPolicy {
            enabled: r.enabled,
            ignored_exit_codes: r.ignored_exit_codes.clone(),
            restart_attempt_period: r.restart_attempt_period,
        }),
        entry_point: c.entry_point.clone(),
        command: c.command.clone(),
        environment: try_list_at(c.environment.as_deref(), &child(at, "environment"), key_value_from_sdk)?,
        environment_files: try_list_at(c.environment_files.as_deref(), &child(at, "environmentFiles"), |f, at| {
            Ok(EnvironmentFile { value: f.value.clone(), type_: enum_from_sdk(&child(at, "type"), &f.r#type)? })
        })?,
        mount_points: try_list_at(c.mount_points.as_deref(), &child(at, "mountPoints"), |m, at| {
            Ok(MountPoint {
                source_volume: required(&child(at, "sourceVolume"), m.source_volume.as_ref())?,
                container_path: required(&child(at, "containerPath"), m.container_path.as_ref())?,
                read_only: m.read_only,
            })
        })?,
        volumes_from: try_list_at(c.volumes_from.as_deref(), &child(at, "volumesFrom"), |v, at| {
            Ok(VolumeFrom {
                source_container: required(&child(at, "sourceContainer"), v.source_container.as_ref())?,
                read_only: v.read_only,
            })
        })?,
        linux_parameters: c
            .linux_parameters
            .as_ref()
            .map(|l| linux_parameters_from_sdk(l, &child(at, "linuxParameters")))
            .transpose()?,
        secrets: list(c.secrets.as_deref(), secret_from_sdk),
        depends_on: try_list_at(c.depends_on.as_deref(), &child(at, "dependsOn"), |d, at| {
            Ok(ContainerDependency {
                container_name: d.container_name.clone(),
                condition: enum_from_sdk(&child(at, "condition"), &d.condition)?,
            })
        })?,
        start_timeout: c.start_timeout,
        stop_timeout: c.stop_timeout,
        version_consistency: opt_enum_from_sdk(&child(at, "versionConsistency"), c.version_consistency.as_ref())?,
        hostname: c.hostname.clone(),
        user: c.user.clone(),
        working_directory: c.working_directory.clone(),
        disable_networking: c.disable_networking,
        privileged: c.privileged,
        readonly_root_filesystem: c.readonly_root_filesystem,
        dns_servers: c.dns_servers.clone(),
        dns_search_domains: c.dns_search_domains.clone(),
        extra_hosts: list(c.extra_hosts.as_deref(), |h| HostEntry {
            hostname: h.hostname.clone(),
            ip_address: h.ip_address.clone(),
        }),
        docker_security_options: c.docker_security_options.clone(),
        interactive: c.interactive,
        pseudo_terminal: c.pseudo_terminal,
        docker_labels: to_btree_map(c.docker_labels.as_ref()),
        ulimits: try_list_at(c.ulimits.as_deref(), &child(at, "ulimits"), |u, at| {
            Ok(Ulimit {
                name: enum_from_sdk(&child(at, "name"), &u.name)?,
                soft_limit: u.soft_limit,
                hard_limit: u.hard_limit,
            })
        })?,
        log_configuration: c
            .log_configuration
            .as_ref()
            .map(|l| log_configuration_from_sdk(l, &child(at, "logConfiguration")))
            .transpose()?,
        health_check: c.health_check.as_ref().map(|h| HealthCheck {
            command: h.command.clone(),
            interval: h.interval,
            timeout: h.timeout,
            retries: h.retries,
            start_period: h.start_period,
        }),
        system_controls: try_list_at(c.system_controls.as_deref(), &child(at, "systemControls"), |s, at| {
            Ok(SystemControl {
                namespace: required(&child(at, "namespace"), s.namespace.as_ref())?,
                value: s.value.clone().unwrap_or_default(),
            })
        })?,
        resource_requirements: try_list_at(
            c.resource_requirements.as_deref(),
            &child(at, "resourceRequirements"),
            |r, at| {
                Ok(ResourceRequirement { value: r.value.clone(), type_: enum_from_sdk(&child(at, "type"), &r.r#type)? })
            },
        )?,
        firelens_configuration: c
            .firelens_configuration
            .as_ref()
            .map(|f| {
                Ok::<_, ConvertError>(FirelensConfiguration {
                    type_: enum_from_sdk(&child(at, "firelensConfiguration.type"), &f.r#type)?,
                    options: to_btree_map(f.options.as_ref()),
                })
            })
            .transpose()?,
        credential_specs: c.credential_specs.clone(),
    })
}

fn port_mapping_from_sdk(p: &types::PortMapping, at: &str) -> Result<PortMapping, ConvertError> {
    Ok(PortMapping {
        container_port: p.container_port,
        host_port: p.host_port,
        protocol: opt_enum_from_sdk(&child(at, "protocol"), p.protocol.as_ref())?,
        name: p.name.clone(),
        app_protocol: opt_enum_from_sdk(&child(at, "appProtocol"), p.app_protocol.as_ref())?,
        container_port_range: p.container_port_range.clone(),
    })
}

pub(crate) fn key_value_from_sdk(kv: &types::KeyValuePair, at: &str) -> Result<KeyValuePair, ConvertError> {
    Ok(KeyValuePair { name: required(&child(at, "name"), kv.name.as_ref())?, value: kv.value.clone() })
}

/// Shared with Service Connect's proxy log configuration.
pub(crate) fn log_configuration_from_sdk(
    l: &types::LogConfiguration,
    at: &str,
) -> Result<LogConfiguration, ConvertError> {
    Ok(LogConfiguration {
        log_driver: enum_from_sdk(&child(at, "logDriver"), &l.log_driver)?,
        options: to_btree_map(l.options.as_ref()),
        secret_options: list(l.secret_options.as_deref(), secret_from_sdk),
    })
}

pub(crate) fn secret_from_sdk(s: &types::Secret) -> Secret {
    Secret { name: s.name.clone(), value_from: s.value_from.clone() }
}

fn linux_parameters_from_sdk(l: &types::LinuxParameters, at: &str) -> Result<LinuxParameters, ConvertError> {
    Ok(LinuxParameters {
        capabilities: l.capabilities.as_ref().map(|c| KernelCapabilities { add: c.add.clone(), drop: c.drop.clone() }),
        devices: try_list_at(l.devices.as_deref(), &child(at, "devices"), |d, at| {
            Ok(Device {
                host_path: d.host_path.clone(),
                container_path: d.container_path.clone(),
                permissions: enum_list_from_sdk(&child(at, "permissions"), d.permissions.as_deref())?,
            })
        })?,
        init_process_enabled: l.init_process_enabled,
        shared_memory_size: l.shared_memory_size,
        tmpfs: list(l.tmpfs.as_deref(), |t| Tmpfs {
            container_path: t.container_path.clone(),
            size: t.size,
            mount_options: t.mount_options.clone(),
        }),
        max_swap: l.max_swap,
        swappiness: l.swappiness,
    })
}

fn volume_from_sdk(v: &types::Volume, at: &str) -> Result<Volume, ConvertError> {
    Ok(Volume {
        name: required(&child(at, "name"), v.name.as_ref())?,
        host: v.host.as_ref().map(|h| HostVolumeProperties { source_path: h.source_path.clone() }),
        docker_volume_configuration: v
            .docker_volume_configuration
            .as_ref()
            .map(|d| {
                Ok::<_, ConvertError>(DockerVolumeConfiguration {
                    scope: opt_enum_from_sdk(&child(at, "dockerVolumeConfiguration.scope"), d.scope.as_ref())?,
                    autoprovision: d.autoprovision,
                    driver: d.driver.clone(),
                    driver_opts: to_btree_map(d.driver_opts.as_ref()),
                    labels: to_btree_map(d.labels.as_ref()),
                })
            })
            .transpose()?,
        efs_volume_configuration: v
            .efs_volume_configuration
            .as_ref()
            .map(|e| efs_from_sdk(e, &child(at, "efsVolumeConfiguration")))
            .transpose()?,
        fsx_windows_file_server_volume_configuration: v
            .fsx_windows_file_server_volume_configuration
            .as_ref()
            .map(|f| {
                let at = child(at, "fsxWindowsFileServerVolumeConfiguration.authorizationConfig");
                let auth = required(&at, f.authorization_config.as_ref())?;
                Ok::<_, ConvertError>(FsxWindowsFileServerVolumeConfiguration {
                    file_system_id: f.file_system_id.clone(),
                    root_directory: f.root_directory.clone(),
                    authorization_config: FsxWindowsFileServerAuthorizationConfig {
                        credentials_parameter: auth.credentials_parameter,
                        domain: auth.domain,
                    },
                })
            })
            .transpose()?,
        configured_at_launch: v.configured_at_launch,
    })
}

fn efs_from_sdk(e: &types::EfsVolumeConfiguration, at: &str) -> Result<EfsVolumeConfiguration, ConvertError> {
    Ok(EfsVolumeConfiguration {
        file_system_id: e.file_system_id.clone(),
        root_directory: e.root_directory.clone(),
        transit_encryption: opt_enum_from_sdk(&child(at, "transitEncryption"), e.transit_encryption.as_ref())?,
        transit_encryption_port: e.transit_encryption_port,
        authorization_config: e
            .authorization_config
            .as_ref()
            .map(|a| {
                Ok::<_, ConvertError>(EfsAuthorizationConfig {
                    access_point_id: a.access_point_id.clone(),
                    iam: opt_enum_from_sdk(&child(at, "authorizationConfig.iam"), a.iam.as_ref())?,
                })
            })
            .transpose()?,
    })
}

fn placement_constraint_from_sdk(
    p: &types::TaskDefinitionPlacementConstraint,
    at: &str,
) -> Result<TaskPlacementConstraint, ConvertError> {
    let field = child(at, "type");
    Ok(TaskPlacementConstraint {
        type_: enum_from_sdk(&field, &required(&field, p.r#type.as_ref())?)?,
        expression: p.expression.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::convert::fixtures::{
        described_task_definition as described, full_task_definition_spec, ownership_tags,
    };

    #[test]
    fn full_spec_round_trips() {
        let spec = full_task_definition_spec();
        let input = register_task_definition_input(&spec, "web", &ownership_tags()).unwrap();
        assert_eq!(input.family(), Some("web"));
        assert_eq!(input.cpu(), Some("1024"));
        assert_eq!(input.memory(), Some("2048"));

        let back = task_definition_spec_from_sdk(&described(&input), input.tags()).unwrap();

        let mut expected = spec;
        expected.cpu = Some("1024".into());
        expected.memory = Some("2048".into());
        expected.revision_history_limit = None;
        expected.policies = Default::default();
        assert_eq!(back, expected);
    }

    #[test]
    fn resolved_family_wins_and_ownership_tags_are_sent() {
        let mut spec = full_task_definition_spec();
        spec.family = Some("ignored-by-convert".into());
        let input = register_task_definition_input(&spec, "resolved", &ownership_tags()).unwrap();
        assert_eq!(input.family(), Some("resolved"));
        let sent = super::super::tag_map(input.tags());
        for (k, v) in ownership_tags() {
            assert_eq!(sent.get(&k), Some(&v));
        }
    }

    #[test]
    fn minimal_spec_sends_only_what_is_set() {
        let spec = TaskDefinitionSpec {
            container_definitions: vec![ContainerDefinition {
                name: "app".into(),
                image: "nginx".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let input = register_task_definition_input(&spec, "app", &Tags::new()).unwrap();
        assert_eq!(input.cpu(), None);
        assert_eq!(input.tags, None);
        assert_eq!(input.volumes, None);
        let container = &input.container_definitions()[0];
        assert_eq!(container.port_mappings, None);
        assert_eq!(container.memory, None);
    }

    #[test]
    fn cpu_and_memory_forms() {
        let cpu = [("256", 256), (" 0.25 vCPU ", 256), ("1 vcpu", 1024), ("2vCPU", 2048), ("0.5 VCPU", 512)];
        for (text, units) in cpu {
            assert_eq!(parse_task_cpu(text), Ok(units), "{text}");
        }
        let memory = [
            ("512", 512),
            ("512 MiB", 512),
            ("512 MB", 512),
            ("512mb", 512),
            ("1 GB", 1024),
            ("0.5 GB", 512),
            ("2 GiB", 2048),
            ("30GB", 30720),
        ];
        for (text, mib) in memory {
            assert_eq!(parse_task_memory(text), Ok(mib), "{text}");
        }
    }

    #[test]
    fn bad_cpu_and_memory_name_the_field() {
        for bad in ["", "abc", "-256", "0", "0.1 vCPU", "1.2345 vCPU", "256 units", "99999999999999999999"] {
            let err = parse_task_cpu(bad).unwrap_err();
            assert_eq!(err.field(), "spec.cpu", "{bad}");
        }
        for bad in ["", "1 TB", "0.0001 GB", "1.5 MiB", ".5 GB", "GB"] {
            let err = parse_task_memory(bad).unwrap_err();
            assert_eq!(err.field(), "spec.memory", "{bad}");
        }

        let mut spec = full_task_definition_spec();
        spec.cpu = Some("a lot".into());
        let err = register_task_definition_input(&spec, "web", &Tags::new()).unwrap_err();
        assert!(matches!(&err, ConvertError::InvalidField { field, .. } if field == "spec.cpu"), "{err}");
        assert!(err.to_string().contains("\"a lot\""), "{err}");
    }

    #[test]
    fn unknown_enum_from_aws_names_the_field() {
        let spec = full_task_definition_spec();
        let input = register_task_definition_input(&spec, "web", &Tags::new()).unwrap();
        let mut td = described(&input);
        let containers = td.container_definitions.as_mut().unwrap();
        let web = containers.iter_mut().find(|c| c.name.as_deref() == Some("web")).unwrap();
        web.log_configuration.as_mut().unwrap().log_driver = types::LogDriver::from("brandnew");

        let err = task_definition_spec_from_sdk(&td, &[]).unwrap_err();
        assert_eq!(
            err,
            ConvertError::UnsupportedValue {
                field: "spec.containerDefinitions[web].logConfiguration.logDriver".into(),
                value: "brandnew".into(),
            }
        );

        let mut td = described(&input);
        td.network_mode = Some(types::NetworkMode::from("quantum"));
        let err = task_definition_spec_from_sdk(&td, &[]).unwrap_err();
        assert_eq!(err.field(), "spec.networkMode");
    }

    #[test]
    fn sdk_values_the_spec_does_not_model_are_errors_not_guesses() {
        let input = register_task_definition_input(&full_task_definition_spec(), "web", &Tags::new()).unwrap();
        let mut td = described(&input);
        let requirement =
            types::ResourceRequirement::builder().value("1").r#type(types::ResourceType::NeuronDevice).build().unwrap();
        td.container_definitions.as_mut().unwrap()[0].resource_requirements = Some(vec![requirement]);
        let err = task_definition_spec_from_sdk(&td, &[]).unwrap_err();
        assert_eq!(err.field(), "spec.containerDefinitions[web].resourceRequirements[0].type");
    }

    #[test]
    fn missing_required_values_name_the_field() {
        let input = register_task_definition_input(&full_task_definition_spec(), "web", &Tags::new()).unwrap();
        let mut td = described(&input);
        td.volumes.as_mut().unwrap()[1].name = None;
        let err = task_definition_spec_from_sdk(&td, &[]).unwrap_err();
        assert_eq!(err, ConvertError::MissingField { field: "spec.volumes[1].name".into() });
    }
}
