//! Canonical form of an ECS cluster's settings: identity, tags and policies left out, ECS
//! defaults removed, capacity providers sorted.

use super::{default_none, sorted, sorted_items};
use crate::crd::cluster::{ClusterConfiguration, ContainerInsights, ECSClusterSpec, ExecuteCommandLogging};
use crate::crd::common::Policies;

/// `spec` as ECS would describe it.
pub fn canonical_cluster(spec: &ECSClusterSpec) -> ECSClusterSpec {
    let s = spec.clone();
    ECSClusterSpec {
        cluster_name: None,
        capacity_providers: sorted(s.capacity_providers).map(|mut v| {
            v.dedup();
            v
        }),
        default_capacity_provider_strategy: sorted_items(
            s.default_capacity_provider_strategy,
            super::service::canonical_strategy_item,
        ),
        settings: s.settings.and_then(|mut st| {
            st.container_insights = default_none(st.container_insights, ContainerInsights::Disabled);
            st.container_insights.is_some().then_some(st)
        }),
        configuration: s.configuration.and_then(canonical_configuration),
        service_connect_defaults: s.service_connect_defaults,
        tags: None,
        policies: Policies::default(),
    }
}

fn canonical_configuration(mut c: ClusterConfiguration) -> Option<ClusterConfiguration> {
    c.execute_command_configuration = c.execute_command_configuration.and_then(|mut e| {
        e.logging = default_none(e.logging, ExecuteCommandLogging::Default);
        (e.logging.is_some() || e.kms_key_id.is_some() || e.log_configuration.is_some()).then_some(e)
    });
    c.managed_storage_configuration = c
        .managed_storage_configuration
        .filter(|m| m.kms_key_id.is_some() || m.fargate_ephemeral_storage_kms_key_id.is_some());
    (c != ClusterConfiguration::default()).then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::cluster::{ClusterSettings, ExecuteCommandConfiguration};
    use crate::crd::service::CapacityProviderStrategyItem;

    #[test]
    fn defaults_and_order() {
        let explicit = ECSClusterSpec {
            cluster_name: Some("prod".into()),
            capacity_providers: Some(vec!["FARGATE_SPOT".into(), "FARGATE".into()]),
            settings: Some(ClusterSettings { container_insights: Some(ContainerInsights::Disabled) }),
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
    }

    #[test]
    fn insights_enabled_is_kept() {
        let s = ECSClusterSpec {
            settings: Some(ClusterSettings { container_insights: Some(ContainerInsights::Enhanced) }),
            ..Default::default()
        };
        assert!(canonical_cluster(&s).settings.is_some());
    }

    /// Found by the `canonical` fuzz target: items sorted before their defaults were removed
    /// came out in a different order on a second pass.
    #[test]
    fn strategy_defaults_are_removed_before_sorting() {
        let item = |weight, base| CapacityProviderStrategyItem { capacity_provider: "FARGATE".into(), weight, base };
        let s = ECSClusterSpec {
            default_capacity_provider_strategy: Some(vec![item(Some(0), Some(1)), item(Some(1), None)]),
            ..Default::default()
        };
        let once = canonical_cluster(&s);
        assert_eq!(canonical_cluster(&once), once);
        let strategy = once.default_capacity_provider_strategy.unwrap_or_default();
        assert_eq!(strategy, [item(None, Some(1)), item(Some(1), None)]);
    }
}
