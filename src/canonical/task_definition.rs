//! Canonical form of a task definition: what ECS would describe back for the spec, with ECS
//! defaults and empty values removed and order-insensitive lists sorted.
//!
//! Both sides go through [`canonical_task_definition`]: the user's spec, and the spec rebuilt
//! from DescribeTaskDefinition. Equal canonical forms mean "same revision content", whatever
//! defaults ECS filled in, and the spec hash is taken over this form so that re-applying the
//! same YAML with a default spelled out never registers a new revision.

use super::defaults::{self, stripped};
use super::{CanonicalError, clean, clean_map, sorted};
use crate::canonical::units::{task_cpu_units, task_memory_mib};
use crate::crd::common::Policies;
use crate::crd::task_definition::{
    ContainerDefinition, LinuxParameters, NetworkMode, PortMapping, TaskDefinitionSpec, Volume,
};

/// The registration-relevant content of `spec` for `family`, canonicalised. Tags, policies and
/// the history limit are left out: they never require a new revision.
pub fn canonical_task_definition(
    spec: &TaskDefinitionSpec,
    family: &str,
) -> Result<TaskDefinitionSpec, CanonicalError> {
    // Defaults go first, so that a block they leave empty is recognised as empty below.
    let spec = &stripped(spec.clone(), defaults::TASK_DEFINITION);
    let network_mode = spec.network_mode.unwrap_or(NetworkMode::Bridge);
    let mut containers =
        spec.container_definitions.iter().map(|c| canonical_container(c, network_mode)).collect::<Vec<_>>();
    containers.sort_by(|a, b| a.name.cmp(&b.name));

    Ok(TaskDefinitionSpec {
        family: Some(family.to_owned()),
        task_role_arn: clean(spec.task_role_arn.clone()),
        execution_role_arn: clean(spec.execution_role_arn.clone()),
        network_mode: spec.network_mode,
        container_definitions: containers,
        volumes: sorted_by_key(
            spec.volumes.clone().map(|v| v.into_iter().map(canonical_volume).collect()),
            |v: &Volume| v.name.clone(),
        ),
        placement_constraints: sorted(spec.placement_constraints.clone()),
        requires_compatibilities: sorted(spec.requires_compatibilities.clone()).map(|mut v| {
            v.dedup();
            v
        }),
        cpu: spec
            .cpu
            .as_deref()
            .map(|c| task_cpu_units(c).map(|n| n.to_string()))
            .transpose()
            .map_err(|e| CanonicalError::field("spec.cpu", e))?,
        memory: spec
            .memory
            .as_deref()
            .map(|m| task_memory_mib(m).map(|n| n.to_string()))
            .transpose()
            .map_err(|e| CanonicalError::field("spec.memory", e))?,
        pid_mode: spec.pid_mode,
        ipc_mode: spec.ipc_mode,
        proxy_configuration: spec.proxy_configuration.clone().map(|mut p| {
            p.properties = sorted(p.properties);
            p
        }),
        inference_accelerators: sorted(spec.inference_accelerators.clone()),
        ephemeral_storage: spec.ephemeral_storage.clone(),
        runtime_platform: spec
            .runtime_platform
            .clone()
            .filter(|p| p.cpu_architecture.is_some() || p.operating_system_family.is_some()),
        enable_fault_injection: spec.enable_fault_injection,
        tags: None,
        revision_history_limit: None,
        policies: Policies::default(),
    })
}

/// The spec hash of a task definition: changes exactly when a new revision is needed.
pub fn task_definition_hash(spec: &TaskDefinitionSpec, family: &str) -> Result<String, CanonicalError> {
    let canonical = canonical_task_definition(spec, family)?;
    super::spec_hash(&canonical).map_err(|e| CanonicalError::field("spec", e))
}

fn canonical_container(c: &ContainerDefinition, network_mode: NetworkMode) -> ContainerDefinition {
    let mut c = c.clone();
    c.links = sorted(c.links);
    c.port_mappings = c.port_mappings.map(|ports| {
        let mut ports: Vec<PortMapping> = ports.into_iter().map(|p| canonical_port(p, network_mode)).collect();
        ports.sort_by(|a, b| {
            (a.container_port, &a.container_port_range, a.protocol).cmp(&(
                b.container_port,
                &b.container_port_range,
                b.protocol,
            ))
        });
        ports
    });
    c.port_mappings = clean(c.port_mappings);
    c.restart_policy = c.restart_policy.map(|mut r| {
        r.ignored_exit_codes = sorted(r.ignored_exit_codes);
        r
    });
    c.entry_point = clean(c.entry_point);
    c.command = clean(c.command);
    c.environment = sorted(c.environment);
    c.environment_files = clean(c.environment_files);
    c.mount_points = sorted(c.mount_points);
    c.volumes_from = sorted(c.volumes_from);
    c.linux_parameters = c.linux_parameters.and_then(canonical_linux_parameters);
    c.secrets = sorted(c.secrets);
    c.depends_on = sorted(c.depends_on);
    c.hostname = clean(c.hostname);
    c.user = clean(c.user);
    c.working_directory = clean(c.working_directory);
    c.dns_servers = clean(c.dns_servers);
    c.dns_search_domains = clean(c.dns_search_domains);
    c.extra_hosts = sorted(c.extra_hosts);
    c.docker_security_options = sorted(c.docker_security_options);
    c.docker_labels = clean_map(c.docker_labels);
    c.ulimits = sorted(c.ulimits);
    c.log_configuration = c.log_configuration.map(|mut l| {
        l.options = clean_map(l.options);
        l.secret_options = sorted(l.secret_options);
        l
    });
    c.system_controls = sorted(c.system_controls);
    c.resource_requirements = sorted(c.resource_requirements);
    c.firelens_configuration = c.firelens_configuration.map(|mut f| {
        f.options = clean_map(f.options);
        f
    });
    c.credential_specs = clean(c.credential_specs);
    c
}

/// Under awsvpc/host ECS fills in a hostPort equal to the containerPort; in bridge mode a
/// missing hostPort and 0 both mean "dynamic".
fn canonical_port(mut p: PortMapping, network_mode: NetworkMode) -> PortMapping {
    p.host_port = match network_mode {
        NetworkMode::Awsvpc | NetworkMode::Host => p.host_port.filter(|h| Some(*h) != p.container_port),
        NetworkMode::Bridge | NetworkMode::None => p.host_port.filter(|h| *h != 0),
    };
    p.name = clean(p.name);
    p
}

fn canonical_linux_parameters(mut l: LinuxParameters) -> Option<LinuxParameters> {
    l.capabilities = l.capabilities.and_then(|mut caps| {
        caps.add = sorted(caps.add);
        caps.drop = sorted(caps.drop);
        (caps.add.is_some() || caps.drop.is_some()).then_some(caps)
    });
    l.devices = clean(l.devices).map(|mut devices| {
        for d in &mut devices {
            d.permissions = sorted(d.permissions.take());
        }
        devices.sort_by(|a, b| a.host_path.cmp(&b.host_path));
        devices
    });
    l.tmpfs = clean(l.tmpfs).map(|mut t| {
        t.sort_by(|a, b| a.container_path.cmp(&b.container_path));
        t
    });
    let empty = LinuxParameters::default();
    (l != empty).then_some(l)
}

fn canonical_volume(mut v: Volume) -> Volume {
    v.host = v.host.filter(|h| h.source_path.is_some());
    v.docker_volume_configuration = v.docker_volume_configuration.map(|mut d| {
        d.driver_opts = clean_map(d.driver_opts);
        d.labels = clean_map(d.labels);
        d
    });
    v.efs_volume_configuration = v.efs_volume_configuration.map(|mut e| {
        e.root_directory = e.root_directory.filter(|r| r != "/" && !r.is_empty());
        e
    });
    v
}

fn sorted_by_key<T, K: Ord>(list: Option<Vec<T>>, key: impl Fn(&T) -> K) -> Option<Vec<T>> {
    clean(list).map(|mut v| {
        v.sort_by_key(|item| key(item));
        v
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::task_definition::{Compatibility, HealthCheck, KeyValuePair, TransportProtocol};

    fn container(name: &str) -> ContainerDefinition {
        ContainerDefinition { name: name.into(), image: "nginx:1.27".into(), ..Default::default() }
    }

    fn fargate(cpu: &str, memory: &str) -> TaskDefinitionSpec {
        TaskDefinitionSpec {
            network_mode: Some(NetworkMode::Awsvpc),
            requires_compatibilities: Some(vec![Compatibility::Fargate]),
            cpu: Some(cpu.into()),
            memory: Some(memory.into()),
            container_definitions: vec![container("web")],
            ..Default::default()
        }
    }

    #[test]
    fn units_are_normalised() {
        let a = canonical_task_definition(&fargate("0.25 vCPU", "0.5 GB"), "web").unwrap();
        let b = canonical_task_definition(&fargate("256", "512"), "web").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.cpu.as_deref(), Some("256"));
        assert_eq!(a.memory.as_deref(), Some("512"));
    }

    #[test]
    fn bad_units_name_the_field() {
        let err = canonical_task_definition(&fargate("0.1 vCPU", "512"), "web").unwrap_err();
        assert!(err.to_string().starts_with("spec.cpu: "), "{err}");
    }

    #[test]
    fn ecs_defaults_equal_absent() {
        let mut explicit = fargate("256", "512");
        let c = &mut explicit.container_definitions[0];
        c.essential = Some(true);
        c.cpu = Some(0);
        c.privileged = Some(false);
        c.environment = Some(vec![]);
        c.port_mappings = Some(vec![PortMapping {
            container_port: Some(80),
            host_port: Some(80),
            protocol: Some(TransportProtocol::Tcp),
            ..Default::default()
        }]);
        c.health_check = Some(HealthCheck {
            command: vec!["CMD".into(), "true".into()],
            interval: Some(30),
            timeout: Some(5),
            retries: Some(3),
            start_period: Some(0),
        });
        let mut implicit = fargate("256", "512");
        let c = &mut implicit.container_definitions[0];
        c.port_mappings = Some(vec![PortMapping { container_port: Some(80), ..Default::default() }]);
        c.health_check = Some(HealthCheck { command: vec!["CMD".into(), "true".into()], ..Default::default() });
        assert_eq!(
            canonical_task_definition(&explicit, "web").unwrap(),
            canonical_task_definition(&implicit, "web").unwrap()
        );
    }

    #[test]
    fn bridge_host_port_zero_is_dynamic_but_awsvpc_keeps_explicit_mismatch() {
        let mut bridge = fargate("256", "512");
        bridge.network_mode = Some(NetworkMode::Bridge);
        bridge.container_definitions[0].port_mappings =
            Some(vec![PortMapping { container_port: Some(80), host_port: Some(0), ..Default::default() }]);
        let c = canonical_task_definition(&bridge, "web").unwrap();
        let ports = c.container_definitions[0].port_mappings.as_ref().unwrap();
        assert_eq!(ports[0].host_port, None);
        assert_eq!(c.network_mode, None, "bridge is the ECS default");
    }

    #[test]
    fn order_insensitive_lists_are_sorted() {
        let mut a = fargate("256", "512");
        a.container_definitions = vec![container("b"), container("a")];
        a.container_definitions[0].environment = Some(vec![
            KeyValuePair { name: "Z".into(), value: Some("1".into()) },
            KeyValuePair { name: "A".into(), value: Some("2".into()) },
        ]);
        let c = canonical_task_definition(&a, "web").unwrap();
        assert_eq!(c.container_definitions[0].name, "a");
        let env = c.container_definitions[1].environment.as_ref().unwrap();
        assert_eq!(env[0].name, "A");
    }

    #[test]
    fn command_order_is_kept() {
        let mut a = fargate("256", "512");
        a.container_definitions[0].command = Some(vec!["b".into(), "a".into()]);
        let c = canonical_task_definition(&a, "web").unwrap();
        assert_eq!(c.container_definitions[0].command, Some(vec!["b".to_string(), "a".to_string()]));
    }

    #[test]
    fn policies_tags_and_history_are_not_content() {
        let mut a = fargate("256", "512");
        a.tags = Some([("team".to_string(), "x".to_string())].into());
        a.revision_history_limit = Some(3);
        a.policies.adopt = Some(true);
        assert_eq!(
            canonical_task_definition(&a, "web").unwrap(),
            canonical_task_definition(&fargate("256", "512"), "web").unwrap()
        );
    }
}

/// The spec hash is stored in AWS tags: a change to canonicalisation that moved it would
/// register a new revision of every user's task definitions on upgrade. These were computed
/// before the defaults moved into `canonical::defaults` and must never change.
#[cfg(test)]
mod pinned_hashes {
    use super::task_definition_hash;
    use crate::crd::task_definition::TaskDefinitionSpec;

    fn sample(file: &str) -> TaskDefinitionSpec {
        let path = format!("{}/config/samples/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).expect("sample");
        let object: serde_yaml::Value = serde_yaml::from_str(&text).expect("yaml");
        serde_yaml::from_value(object["spec"].clone()).expect("spec")
    }

    #[test]
    fn hashes_stay_what_they_were() {
        let expected = [
            ("taskdefinition-api-firelens-arm64.yaml", "2674e8a9330659bd025c"),
            ("taskdefinition-nginx-fargate.yaml", "d172908fcea7c7c954d0"),
            ("taskdefinition-worker-ec2-bridge.yaml", "ae57302f719808c3f97a"),
        ];
        for (file, hash) in expected {
            assert_eq!(task_definition_hash(&sample(file), "fam").expect("hash"), hash, "{file}");
        }
        let full = crate::aws::convert::fixtures::full_task_definition_spec();
        assert_eq!(task_definition_hash(&full, "fam").expect("hash"), "8d828e863c9bc72d88be");
    }
}
