//! What only the task definition can tell about a service's attachments: Service Connect and
//! VPC Lattice name ports of its port mappings, and each volume it marks `configuredAtLaunch`
//! needs a volume configuration in the service (and only those). Admission cannot see the task
//! definition; this refuses the spec before anything is written, naming the field.

use std::collections::BTreeSet;

use crate::crd::ECSServiceSpec;
use crate::crd::task_definition::TaskDefinitionSpec;

/// The parts of a task definition revision the attachments refer to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskDefinitionFacts {
    /// `family:revision` or the object's name, for messages.
    pub name: String,
    /// Every container's `portMappings[].name`.
    pub port_names: BTreeSet<String>,
    /// `volumes[].name` with `configuredAtLaunch: true`.
    pub launch_volumes: BTreeSet<String>,
}

impl TaskDefinitionFacts {
    pub fn of_spec(name: String, spec: &TaskDefinitionSpec) -> Self {
        let containers = spec.container_definitions.iter();
        Self {
            name,
            port_names: containers
                .flat_map(|c| c.port_mappings.iter().flatten().filter_map(|p| p.name.clone()))
                .collect(),
            launch_volumes: spec
                .volumes
                .iter()
                .flatten()
                .filter(|v| v.configured_at_launch == Some(true))
                .map(|v| v.name.clone())
                .collect(),
        }
    }

    pub fn of_sdk(name: String, td: &aws_sdk_ecs::types::TaskDefinition) -> Self {
        Self {
            name,
            port_names: td
                .container_definitions()
                .iter()
                .flat_map(|c| c.port_mappings().iter().filter_map(|p| p.name.clone()))
                .collect(),
            launch_volumes: td
                .volumes()
                .iter()
                .filter(|v| v.configured_at_launch == Some(true))
                .filter_map(|v| v.name.clone())
                .collect(),
        }
    }
}

/// The first mismatch between the spec and the task definition, as `spec.<field>: why`.
pub fn check(spec: &ECSServiceSpec, td: &TaskDefinitionFacts) -> Result<(), String> {
    let known_ports = || td.port_names.iter().map(String::as_str).collect::<Vec<_>>().join(", ");
    let missing_port = |field: String, port: &str| {
        format!(
            "{field}: {port:?} is not a port mapping name in task definition {} (its named ports: [{}])",
            td.name,
            known_ports()
        )
    };
    let services = spec.service_connect_configuration.as_ref().and_then(|c| c.services.as_deref()).unwrap_or_default();
    for (i, s) in services.iter().enumerate() {
        if !td.port_names.contains(&s.port_name) {
            return Err(missing_port(format!("spec.serviceConnectConfiguration.services[{i}].portName"), &s.port_name));
        }
    }
    for (i, l) in spec.vpc_lattice_configurations.iter().flatten().enumerate() {
        if !td.port_names.contains(&l.port_name) {
            return Err(missing_port(format!("spec.vpcLatticeConfigurations[{i}].portName"), &l.port_name));
        }
    }
    let configured: BTreeSet<&str> = spec.volume_configurations.iter().flatten().map(|v| v.name.as_str()).collect();
    for (i, v) in spec.volume_configurations.iter().flatten().enumerate() {
        if !td.launch_volumes.contains(&v.name) {
            return Err(format!(
                "spec.volumeConfigurations[{i}].name: task definition {} has no volume {:?} with configuredAtLaunch: true",
                td.name, v.name
            ));
        }
    }
    if let Some(unconfigured) = td.launch_volumes.iter().find(|v| !configured.contains(v.as_str())) {
        return Err(format!(
            "spec.volumeConfigurations: task definition {} has volume {unconfigured:?} configuredAtLaunch, and the service does not configure it (add a volumeConfigurations entry named {unconfigured:?})",
            td.name
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::service::{
        ManagedEbsVolume, ServiceConnectConfiguration, ServiceConnectService, ServiceVolumeConfiguration,
        VpcLatticeConfiguration,
    };

    fn td() -> TaskDefinitionFacts {
        TaskDefinitionFacts {
            name: "web:3".into(),
            port_names: ["http".to_string(), "admin".to_string()].into(),
            launch_volumes: ["data".to_string()].into(),
        }
    }

    fn volume(name: &str) -> ServiceVolumeConfiguration {
        ServiceVolumeConfiguration { name: name.into(), managed_ebs_volume: ManagedEbsVolume::default() }
    }

    fn spec() -> ECSServiceSpec {
        ECSServiceSpec {
            service_connect_configuration: Some(Box::new(ServiceConnectConfiguration {
                enabled: true,
                services: Some(vec![ServiceConnectService { port_name: "http".into(), ..Default::default() }]),
                ..Default::default()
            })),
            vpc_lattice_configurations: Some(vec![VpcLatticeConfiguration {
                port_name: "admin".into(),
                ..Default::default()
            }]),
            volume_configurations: Some(vec![volume("data")]),
            ..Default::default()
        }
    }

    #[test]
    fn a_spec_matching_its_task_definition_passes() {
        assert_eq!(check(&spec(), &td()), Ok(()));
        let none = TaskDefinitionFacts { launch_volumes: Default::default(), ..td() };
        assert_eq!(check(&ECSServiceSpec::default(), &none), Ok(()), "nothing to match");
    }

    #[test]
    fn an_unknown_service_connect_port_names_the_field_and_the_ports() {
        let mut s = spec();
        if let Some(services) = s.service_connect_configuration.as_mut().and_then(|c| c.services.as_mut()) {
            services[0].port_name = "grpc".into();
        }
        let err = check(&s, &td()).unwrap_err();
        assert!(err.starts_with("spec.serviceConnectConfiguration.services[0].portName: \"grpc\""), "{err}");
        assert!(err.contains("web:3") && err.contains("[admin, http]"), "{err}");
    }

    #[test]
    fn an_unknown_lattice_port_names_the_field() {
        let mut s = spec();
        s.vpc_lattice_configurations =
            Some(vec![VpcLatticeConfiguration { port_name: "metrics".into(), ..Default::default() }]);
        let err = check(&s, &td()).unwrap_err();
        assert!(err.starts_with("spec.vpcLatticeConfigurations[0].portName"), "{err}");
    }

    #[test]
    fn volumes_must_match_in_both_directions() {
        let mut extra = spec();
        extra.volume_configurations = Some(vec![volume("data"), volume("scratch")]);
        let err = check(&extra, &td()).unwrap_err();
        assert!(err.starts_with("spec.volumeConfigurations[1].name") && err.contains("\"scratch\""), "{err}");
        let mut none = spec();
        none.volume_configurations = None;
        let err = check(&none, &td()).unwrap_err();
        assert!(err.starts_with("spec.volumeConfigurations:") && err.contains("\"data\" configuredAtLaunch"), "{err}");
    }
}
