//! Canonical form of an ECS service's updatable content: identity (name, cluster), tags,
//! autoscaling and policies are left out, references are replaced by the resolved task
//! definition ARN, order-insensitive lists are sorted, and every ECS default the spec leaves
//! out is written in ([`defaults::SERVICE`]), so an omitted field and its explicit default are
//! the same value and both reach AWS.

use super::defaults::{self, filled};
use super::{clean, sorted};
use crate::crd::common::Policies;
use crate::crd::service::{DeploymentConfiguration, ECSServiceSpec};

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

/// The described service with its Service Connect namespace named as `desired` names it (see
/// [`super::namespace_as_named`]).
pub fn named_namespace(mut actual: ECSServiceSpec, desired: &ECSServiceSpec) -> ECSServiceSpec {
    let want = desired.service_connect_configuration.as_ref().and_then(|c| c.namespace.as_deref());
    let have = actual.service_connect_configuration.as_mut().and_then(|c| c.namespace.as_mut());
    if let (Some(want), Some(have)) = (want, have) {
        super::namespace_as_named(have, want);
    }
    actual
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
    fn a_namespace_given_by_name_matches_the_arn_ecs_reports() {
        use crate::crd::service::ServiceConnectConfiguration;
        let with = |namespace: &str| ECSServiceSpec {
            service_connect_configuration: Some(ServiceConnectConfiguration {
                enabled: true,
                namespace: Some(namespace.into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let arn = "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-abcdefghijklmnop";
        assert_eq!(named_namespace(with(arn), &with("shop")), with("shop"));
        let other = "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-other";
        assert_eq!(named_namespace(with(other), &with(arn)), with(other), "an ARN in the spec is compared");
    }

    #[test]
    fn scaler_owned_count_is_not_compared() {
        assert_eq!(canonical_service(&base(), Some(ARN), true).desired_count, None);
        assert_eq!(canonical_service(&base(), Some(ARN), false).desired_count, Some(2));
    }
}
