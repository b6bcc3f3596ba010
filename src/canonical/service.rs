//! Canonical form of an ECS service's updatable content: identity (name, cluster), tags,
//! autoscaling and policies are left out, references are replaced by the resolved task
//! definition ARN, order-insensitive lists are sorted, and every ECS default the spec leaves
//! out is written in ([`defaults::SERVICE`]), so an omitted field and its explicit default are
//! the same value and both reach AWS.

use super::defaults::{self, filled};
use super::{clean, sorted};
use crate::crd::common::Policies;
use crate::crd::service::{DeploymentConfiguration, ECSServiceSpec, NamespaceSeen};

/// The platform version ECS resolves to the newest one, and reports as such: the canonical form
/// writes it as absent, and an update that sends an absent platform version sends this.
pub const LATEST_PLATFORM_VERSION: &str = "LATEST";

/// `spec` as ECS would describe it. `task_definition_arn` is the resolved revision (None while
/// a referenced TaskDefinition has none yet). With `scaler_owns_count` the desiredCount is left
/// out: Application Auto Scaling owns it and a difference there is not drift.
pub fn canonical_service(
    spec: &ECSServiceSpec,
    task_definition_arn: Option<&str>,
    scaler_owns_count: bool,
) -> ECSServiceSpec {
    let s = spec.clone();
    let normalised = ECSServiceSpec {
        service_name: None,
        cluster: None,
        cluster_ref: None,
        task_definition: task_definition_arn.map(str::to_owned),
        task_definition_ref: None,
        desired_count: if scaler_owns_count { None } else { s.desired_count },
        launch_type: s.launch_type,
        capacity_provider_strategy: clean(s.capacity_provider_strategy),
        // LATEST is not a version: ECS resolves it (see defaults::SERVICE_NOT_COMPARED).
        platform_version: s.platform_version.filter(|v| v != LATEST_PLATFORM_VERSION),
        scheduling_strategy: s.scheduling_strategy,
        network_configuration: s.network_configuration.map(|mut n| {
            n.awsvpc_configuration.subnets.sort();
            n.awsvpc_configuration.security_groups = sorted(n.awsvpc_configuration.security_groups);
            n
        }),
        load_balancers: sorted(s.load_balancers),
        service_registries: sorted(s.service_registries),
        health_check_grace_period_seconds: s.health_check_grace_period_seconds,
        deployment_configuration: s.deployment_configuration.map(canonical_deployment),
        deployment_controller: s.deployment_controller,
        placement_constraints: sorted(s.placement_constraints),
        placement_strategy: clean(s.placement_strategy),
        propagate_tags: s.propagate_tags,
        enable_ecs_managed_tags: s.enable_ecs_managed_tags,
        enable_execute_command: s.enable_execute_command,
        availability_zone_rebalancing: s.availability_zone_rebalancing,
        service_connect_configuration: s.service_connect_configuration.map(|mut c| {
            // The served ports are a set, keyed by port name.
            if let Some(services) = c.services.as_mut() {
                services.sort_by(|a, b| a.port_name.cmp(&b.port_name));
            }
            c.services = clean(c.services);
            c
        }),
        volume_configurations: clean(s.volume_configurations).map(|mut v| {
            v.sort_by(|a, b| a.name.cmp(&b.name));
            v
        }),
        vpc_lattice_configurations: sorted(s.vpc_lattice_configurations),
        tags: None,
        autoscaling: None,
        policies: Policies::default(),
    };
    let mut canonical = filled(normalised, defaults::SERVICE);
    // Sorted once the items' defaults are in: weight 0 and no weight are one value by then.
    canonical.capacity_provider_strategy = sorted(canonical.capacity_provider_strategy);
    canonical
}

/// The described service as far as the spec says: its Service Connect namespace named as the
/// spec names it when ECS's ARN is that name's (see [`namespace_seen`]), and an EBS volume's
/// `filesystemType` left out where the spec leaves it out (ECS formats the volume for the
/// task's operating system, xfs on Linux and NTFS on Windows, which the service does not
/// know). Also returns what to remember of the namespace.
pub fn as_specified(
    mut actual: ECSServiceSpec,
    desired: &ECSServiceSpec,
    seen: Option<&NamespaceSeen>,
) -> (ECSServiceSpec, Option<NamespaceSeen>) {
    let want = desired.service_connect_configuration.as_ref().and_then(|c| c.namespace.as_deref());
    let have = actual.service_connect_configuration.as_mut().and_then(|c| c.namespace.as_mut());
    let (same, remembered) = namespace_seen(want, have.as_deref().map(String::as_str), seen);
    if let (true, Some(want), Some(have)) = (same, want, have) {
        *have = want.to_owned();
    }
    for volume in actual.volume_configurations.iter_mut().flatten() {
        let wanted = desired.volume_configurations.iter().flatten().find(|v| v.name == volume.name);
        if wanted.is_some_and(|v| v.managed_ebs_volume.filesystem_type.is_none()) {
            volume.managed_ebs_volume.filesystem_type = None;
        }
    }
    (actual, remembered)
}

/// Whether the namespace ARN ECS reports is the one the spec names by name, and what to
/// remember. ECS reports a Service Connect namespace as its Cloud Map ARN, and the name cannot
/// be read back from the ARN without Cloud Map, so the ARN seen after the write that named the
/// namespace is remembered: the same ARN later is the same namespace, another is drift, and a
/// spec naming another namespace differs until a write names it (the caller then forgets the
/// ARN, [`NamespaceSeen::arn`] None, and the next description fills it in). An ARN in the
/// spec is compared as it is.
pub fn namespace_seen(
    desired: Option<&str>,
    actual: Option<&str>,
    seen: Option<&NamespaceSeen>,
) -> (bool, Option<NamespaceSeen>) {
    let (Some(name), Some(arn)) = (desired.filter(|n| !n.starts_with("arn:")), actual) else {
        return (false, seen.filter(|s| desired == Some(s.name.as_str())).cloned());
    };
    if !arn.starts_with("arn:") {
        return (false, seen.cloned());
    }
    match seen {
        Some(s) if s.name == name => match &s.arn {
            Some(known) => (known == arn, Some(s.clone())),
            None => (true, Some(NamespaceSeen { name: name.to_owned(), arn: Some(arn.to_owned()) })),
        },
        // The spec names another namespace than the one last written: a change to send.
        Some(s) => (false, Some(s.clone())),
        // Nothing remembered (created before this record existed): ECS's answer is taken.
        None => (true, Some(NamespaceSeen { name: name.to_owned(), arn: Some(arn.to_owned()) })),
    }
}

fn canonical_deployment(mut d: DeploymentConfiguration) -> DeploymentConfiguration {
    d.alarms = d.alarms.map(|mut a| {
        a.alarm_names.sort();
        a
    });
    // A hook's stages are a set: ECS may list them in its own order.
    for hook in d.lifecycle_hooks.iter_mut().flatten() {
        hook.lifecycle_stages.sort();
        hook.lifecycle_stages.dedup();
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::service::{
        AssignPublicIp, AwsVpcConfiguration, CapacityProviderStrategyItem, DeploymentCircuitBreaker,
        DeploymentStrategy, LaunchType, NetworkConfiguration, PropagateTags, SchedulingStrategy,
    };

    fn base() -> ECSServiceSpec {
        ECSServiceSpec {
            cluster: Some("prod".into()),
            task_definition: Some("web".into()),
            desired_count: Some(2),
            launch_type: Some(LaunchType::Fargate),
            network_configuration: Some(NetworkConfiguration {
                awsvpc_configuration: AwsVpcConfiguration {
                    subnets: vec!["subnet-b".into(), "subnet-a".into()],
                    security_groups: Some(vec!["sg-2".into(), "sg-1".into()]),
                    assign_public_ip: None,
                },
            }),
            ..Default::default()
        }
    }

    const ARN: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3";

    #[test]
    fn resolved_arn_replaces_references() {
        let c = canonical_service(&base(), Some(ARN), false);
        assert_eq!(c.task_definition.as_deref(), Some(ARN));
        assert_eq!(c.cluster, None);
    }

    #[test]
    fn defaults_are_written_in() {
        let c = canonical_service(&base(), Some(ARN), false);
        assert_eq!(c.enable_execute_command, Some(false));
        assert_eq!(c.propagate_tags, Some(PropagateTags::None));
        assert_eq!(c.load_balancers, Some(vec![]));
        let vpc = c.network_configuration.unwrap().awsvpc_configuration;
        assert_eq!(vpc.assign_public_ip, Some(AssignPublicIp::Disabled));
        let d = c.deployment_configuration.unwrap();
        assert_eq!((d.minimum_healthy_percent, d.maximum_percent), (Some(100), Some(200)));
        assert_eq!(
            canonical_service(&canonical_service(&base(), Some(ARN), false), Some(ARN), false).enable_execute_command,
            Some(false)
        );
    }

    #[test]
    fn ecs_defaults_equal_absent() {
        let mut explicit = base();
        explicit.platform_version = Some("LATEST".into());
        explicit.scheduling_strategy = Some(SchedulingStrategy::Replica);
        explicit.deployment_configuration = Some(DeploymentConfiguration {
            minimum_healthy_percent: Some(100),
            maximum_percent: Some(200),
            deployment_circuit_breaker: Some(DeploymentCircuitBreaker { enable: false, rollback: false }),
            strategy: Some(DeploymentStrategy::Rolling),
            ..Default::default()
        });
        explicit.propagate_tags = Some(PropagateTags::None);
        explicit.enable_execute_command = Some(false);
        explicit.network_configuration.as_mut().unwrap().awsvpc_configuration.assign_public_ip =
            Some(AssignPublicIp::Disabled);
        assert_eq!(canonical_service(&explicit, Some(ARN), false), canonical_service(&base(), Some(ARN), false));
    }

    #[test]
    fn sets_are_sorted_and_item_defaults_written_in() {
        let mut s = base();
        s.launch_type = None;
        s.capacity_provider_strategy = Some(vec![
            CapacityProviderStrategyItem { capacity_provider: "FARGATE_SPOT".into(), weight: Some(4), base: Some(0) },
            CapacityProviderStrategyItem { capacity_provider: "FARGATE".into(), weight: Some(1), base: Some(1) },
        ]);
        let c = canonical_service(&s, Some(ARN), false);
        let strategy = c.capacity_provider_strategy.unwrap();
        assert_eq!(strategy[0].capacity_provider, "FARGATE");
        assert_eq!(strategy[1].base, Some(0), "the default is written in");
        let vpc = c.network_configuration.unwrap().awsvpc_configuration;
        assert_eq!(vpc.subnets, ["subnet-a", "subnet-b"]);
        assert_eq!(vpc.security_groups.unwrap(), ["sg-1", "sg-2"]);
    }

    #[test]
    fn a_namespace_given_by_name_matches_the_arn_seen_after_the_write_naming_it() {
        use crate::crd::service::ServiceConnectConfiguration;
        let with = |namespace: &str| ECSServiceSpec {
            service_connect_configuration: Some(Box::new(ServiceConnectConfiguration {
                enabled: true,
                namespace: Some(namespace.into()),
                ..Default::default()
            })),
            ..Default::default()
        };
        let shop = "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-shop";
        let payments = "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-payments";
        let seen = |name: &str, arn: Option<&str>| NamespaceSeen { name: name.into(), arn: arn.map(Into::into) };
        // Just written (or never recorded): ECS's ARN is taken for the name, and remembered.
        let (actual, remembered) = as_specified(with(shop), &with("shop"), Some(&seen("shop", None)));
        assert_eq!((actual, remembered.as_ref()), (with("shop"), Some(&seen("shop", Some(shop)))));
        assert_eq!(as_specified(with(shop), &with("shop"), None).0, with("shop"));
        // The same ARN later is the same namespace; another ARN is drift.
        assert_eq!(as_specified(with(shop), &with("shop"), Some(&seen("shop", Some(shop)))).0, with("shop"));
        assert_eq!(as_specified(with(payments), &with("shop"), Some(&seen("shop", Some(shop)))).0, with(payments));
        // The spec now names another namespace: a difference until a write names it.
        let (actual, remembered) = as_specified(with(shop), &with("payments"), Some(&seen("shop", Some(shop))));
        assert_eq!(actual, with(shop));
        assert_eq!(remembered, Some(seen("shop", Some(shop))));
        // An ARN in the spec is compared as it is.
        assert_eq!(as_specified(with(payments), &with(shop), None).0, with(payments));
    }

    #[test]
    fn scaler_owned_count_is_not_compared() {
        assert_eq!(canonical_service(&base(), Some(ARN), true).desired_count, None);
        assert_eq!(canonical_service(&base(), Some(ARN), false).desired_count, Some(2));
    }
}
