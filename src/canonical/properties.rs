//! Property tests over generated task definitions and services: canonicalisation is
//! idempotent, the hash ignores order and unit spelling, and nothing panics on any input.

use proptest::prelude::*;

use super::service::canonical_service;
use super::task_definition::{canonical_task_definition, task_definition_hash};
use crate::crd::service::{AwsVpcConfiguration, ECSServiceSpec, NetworkConfiguration};
use crate::crd::task_definition::{
    Compatibility, ContainerDefinition, HealthCheck, KeyValuePair, NetworkMode, PortMapping, Secret,
    TaskDefinitionSpec, TransportProtocol,
};

/// Equivalent spellings of one Fargate size: (cpu forms, memory forms).
const SIZES: &[(&[&str], &[&str])] = &[
    (&["256", "0.25 vCPU", "0.25vcpu"], &["512", "0.5 GB", "512 MiB"]),
    (&["1024", "1 vCPU", "1vcpu"], &["2048", "2 GB", "2GiB", "2048 MB"]),
    (&["16384", "16 vCPU"], &["122880", "120 GB"]),
];

fn env_var() -> impl Strategy<Value = KeyValuePair> {
    ("[A-Z]{1,6}", proptest::option::of("[a-z0-9]{0,6}")).prop_map(|(name, value)| KeyValuePair { name, value })
}

fn port() -> impl Strategy<Value = PortMapping> {
    (1..65535i32, proptest::option::of(Just(TransportProtocol::Tcp)), any::<bool>()).prop_map(
        |(p, protocol, explicit_host)| PortMapping {
            container_port: Some(p),
            host_port: explicit_host.then_some(p),
            protocol,
            ..Default::default()
        },
    )
}

fn container(name: String) -> impl Strategy<Value = ContainerDefinition> {
    (
        "[a-z0-9./:-]{1,20}",
        proptest::collection::vec(env_var(), 0..6),
        proptest::collection::vec(port(), 0..3),
        proptest::option::of(any::<bool>()),
        proptest::option::of(proptest::collection::vec("[a-z]{1,5}", 0..4)),
        any::<bool>(),
    )
        .prop_map(move |(image, env, ports, essential, command, health)| {
            // Unique names within a list, as admission guarantees.
            let mut env = env;
            env.sort_by(|a, b| a.name.cmp(&b.name));
            env.dedup_by(|a, b| a.name == b.name);
            let mut ports = ports;
            ports.sort_by_key(|p| p.container_port);
            ports.dedup_by_key(|p| p.container_port);
            ContainerDefinition {
                name: name.clone(),
                image,
                environment: Some(env),
                port_mappings: Some(ports),
                essential,
                command,
                secrets: Some(vec![Secret { name: "DB".into(), value_from: "arn:aws:ssm:x".into() }]),
                health_check: health
                    .then(|| HealthCheck { command: vec!["CMD".into(), "true".into()], ..Default::default() }),
                ..Default::default()
            }
        })
}

prop_compose! {
    fn task_definition()(
        size in 0..SIZES.len(),
        cpu_form in 0usize..4,
        mem_form in 0usize..4,
        names in proptest::collection::btree_set("[a-z]{1,8}", 1..4),
    )(
        containers in names.into_iter().map(container).collect::<Vec<_>>(),
        size in Just(size), cpu_form in Just(cpu_form), mem_form in Just(mem_form),
    ) -> TaskDefinitionSpec {
        let (cpus, mems) = SIZES[size];
        TaskDefinitionSpec {
            network_mode: Some(NetworkMode::Awsvpc),
            requires_compatibilities: Some(vec![Compatibility::Fargate]),
            cpu: Some(cpus[cpu_form % cpus.len()].to_string()),
            memory: Some(mems[mem_form % mems.len()].to_string()),
            container_definitions: containers,
            ..Default::default()
        }
    }
}

/// The same spec with every order-insensitive list reversed and units spelled the other way.
fn respelled(spec: &TaskDefinitionSpec) -> TaskDefinitionSpec {
    let mut s = spec.clone();
    s.container_definitions.reverse();
    for c in &mut s.container_definitions {
        if let Some(env) = c.environment.as_mut() {
            env.reverse();
        }
        if let Some(ports) = c.port_mappings.as_mut() {
            ports.reverse();
        }
    }
    for (cpus, mems) in SIZES {
        if let Some(i) = cpus.iter().position(|c| Some(*c) == s.cpu.as_deref()) {
            s.cpu = Some(cpus[(i + 1) % cpus.len()].to_string());
        }
        if let Some(i) = mems.iter().position(|m| Some(*m) == s.memory.as_deref()) {
            s.memory = Some(mems[(i + 1) % mems.len()].to_string());
        }
    }
    s
}

proptest! {
    #[test]
    fn canonicalisation_is_idempotent(spec in task_definition()) {
        let once = canonical_task_definition(&spec, "f").unwrap();
        let twice = canonical_task_definition(&once, "f").unwrap();
        prop_assert_eq!(once, twice);
    }

    #[test]
    fn hash_ignores_order_and_units(spec in task_definition()) {
        prop_assert_eq!(task_definition_hash(&spec, "f").unwrap(), task_definition_hash(&respelled(&spec), "f").unwrap());
    }

    #[test]
    fn hash_changes_with_image(spec in task_definition()) {
        let mut other = spec.clone();
        other.container_definitions[0].image.push_str("-next");
        prop_assert_ne!(task_definition_hash(&spec, "f").unwrap(), task_definition_hash(&other, "f").unwrap());
    }

    #[test]
    fn arbitrary_unit_strings_never_panic(cpu in ".{0,12}", memory in ".{0,12}") {
        let spec = TaskDefinitionSpec { cpu: Some(cpu), memory: Some(memory), ..Default::default() };
        let _ = canonical_task_definition(&spec, "f");
    }

    #[test]
    fn service_canonicalisation_is_idempotent(
        subnets in proptest::collection::vec("subnet-[0-9a-f]{8}", 1..5),
        count in proptest::option::of(0..100i32),
    ) {
        let spec = ECSServiceSpec {
            desired_count: count,
            network_configuration: Some(NetworkConfiguration {
                awsvpc_configuration: AwsVpcConfiguration { subnets, security_groups: Some(vec![]), assign_public_ip: None },
            }),
            ..Default::default()
        };
        let once = canonical_service(&spec, Some("arn"), false);
        prop_assert_eq!(canonical_service(&once, Some("arn"), false), once);
    }
}
