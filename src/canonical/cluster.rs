//! Canonical form of an ECS cluster's settings: identity, tags and policies left out, capacity
//! providers sorted, and every ECS default the spec leaves out written in
//! ([`defaults::CLUSTER`]), so turning a setting back to its default is a change that reaches
//! AWS.

use super::defaults::{self, filled};
use super::sorted;
use crate::crd::cluster::{ClusterConfiguration, ECSClusterSpec};
use crate::crd::common::Policies;

/// `spec` as ECS would describe it.
pub fn canonical_cluster(spec: &ECSClusterSpec) -> ECSClusterSpec {
    let s = spec.clone();
    let normalised = ECSClusterSpec {
        cluster_name: None,
        capacity_providers: sorted(s.capacity_providers).map(|mut v| {
            v.dedup();
            v
        }),
        default_capacity_provider_strategy: s.default_capacity_provider_strategy,
        // An empty block says nothing; absent and `{}` are one value.
        settings: s.settings.filter(|st| st.container_insights.is_some()),
        configuration: s.configuration.map(canonical_configuration),
        service_connect_defaults: s.service_connect_defaults,
        tags: None,
        policies: Policies::default(),
    };
    let mut canonical = filled(normalised, defaults::CLUSTER);
    // Sorted once the items' defaults are in: weight 0 and no weight are one value by then.
    if let Some(strategy) = canonical.default_capacity_provider_strategy.as_mut() {
        strategy.sort();
    }
    canonical
}

/// The described cluster with its Service Connect namespace named as `desired` names it (see
/// [`super::namespace_as_named`]).
pub fn named_namespace(mut actual: ECSClusterSpec, desired: &ECSClusterSpec) -> ECSClusterSpec {
    if let (Some(want), Some(have)) = (&desired.service_connect_defaults, actual.service_connect_defaults.as_mut()) {
        super::namespace_as_named(&mut have.namespace, &want.namespace);
    }
    actual
}

/// An empty managed storage block says nothing: it is the same as none.
fn canonical_configuration(mut c: ClusterConfiguration) -> ClusterConfiguration {
    c.managed_storage_configuration = c
        .managed_storage_configuration
        .filter(|m| m.kms_key_id.is_some() || m.fargate_ephemeral_storage_kms_key_id.is_some());
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::cluster::{ClusterSettings, ContainerInsights, ExecuteCommandConfiguration, ExecuteCommandLogging};
    use crate::crd::service::CapacityProviderStrategyItem;

    #[test]
    fn defaults_and_order() {
        let explicit = ECSClusterSpec {
            cluster_name: Some("prod".into()),
            capacity_providers: Some(vec!["FARGATE_SPOT".into(), "FARGATE".into()]),
            configuration: Some(ClusterConfiguration {
                execute_command_configuration: Some(ExecuteCommandConfiguration {
                    logging: Some(ExecuteCommandLogging::Default),
                    ..Default::default()
                }),
                managed_storage_configuration: None,
            }),
            ..Default::default()
        };
        let implicit = ECSClusterSpec {
            capacity_providers: Some(vec!["FARGATE".into(), "FARGATE_SPOT".into()]),
            ..Default::default()
        };
        assert_eq!(canonical_cluster(&explicit), canonical_cluster(&implicit));
        assert_eq!(canonical_cluster(&implicit).default_capacity_provider_strategy, Some(vec![]));
    }

    #[test]
    fn explicit_disabled_insights_differ_from_enabled() {
        let with = |v| ECSClusterSpec {
            settings: Some(ClusterSettings { container_insights: Some(v) }),
            ..Default::default()
        };
        assert_ne!(
            canonical_cluster(&with(ContainerInsights::Disabled)),
            canonical_cluster(&with(ContainerInsights::Enabled))
        );
        assert!(canonical_cluster(&with(ContainerInsights::Enhanced)).settings.is_some());
    }

    #[test]
    fn a_named_namespace_matches_the_arn_ecs_reports() {
        use crate::crd::cluster::ServiceConnectDefaults;
        let with = |namespace: &str| ECSClusterSpec {
            service_connect_defaults: Some(ServiceConnectDefaults { namespace: namespace.into() }),
            ..Default::default()
        };
        let arn = "arn:aws:servicediscovery:eu-west-1:123456789012:namespace/ns-abc";
        assert_eq!(named_namespace(with(arn), &with("apps")), with("apps"));
        assert_eq!(named_namespace(with(arn), &with("arn:aws:servicediscovery:eu-west-1:1:namespace/ns-x")), with(arn));
        assert_eq!(named_namespace(with("other"), &with("apps")), with("other"), "names are compared");
    }

    /// Found by the `canonical` fuzz target: items sorted before their defaults were settled
    /// came out in a different order on a second pass.
    #[test]
    fn strategy_defaults_are_written_in_before_sorting() {
        let item = |weight, base| CapacityProviderStrategyItem { capacity_provider: "FARGATE".into(), weight, base };
        let s = ECSClusterSpec {
            default_capacity_provider_strategy: Some(vec![item(Some(0), Some(1)), item(Some(1), None)]),
            ..Default::default()
        };
        let once = canonical_cluster(&s);
        assert_eq!(canonical_cluster(&once), once);
        let strategy = once.default_capacity_provider_strategy.unwrap_or_default();
        assert_eq!(strategy, [item(Some(0), Some(1)), item(Some(1), Some(0))]);
    }
}
