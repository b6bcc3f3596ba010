//! `ECSClusterSpec` ↔ CreateCluster, UpdateCluster and PutClusterCapacityProviders inputs and
//! the `Cluster` that DescribeClusters returns.
//!
//! ECS splits a cluster's mutable state over two calls: UpdateCluster (settings,
//! configuration, Service Connect defaults) and PutClusterCapacityProviders (providers and
//! default strategy). The controller decides which to call; this module only builds them.

use aws_sdk_ecs::operation::create_cluster::CreateClusterInput;
use aws_sdk_ecs::operation::put_cluster_capacity_providers::PutClusterCapacityProvidersInput;
use aws_sdk_ecs::operation::update_cluster::UpdateClusterInput;
use aws_sdk_ecs::types;

use super::service::{capacity_provider_strategy_from_sdk, capacity_provider_strategy_to_sdk};
use super::{ConvertError, built, opt_enum_from_sdk, opt_enum_to_sdk, tags_to_sdk, user_tags_from_sdk};
use crate::crd::cluster::{
    ClusterConfiguration, ClusterSettings, ContainerInsights, ECSClusterSpec, ExecuteCommandConfiguration,
    ExecuteCommandLogConfiguration, ManagedStorageConfiguration, ServiceConnectDefaults,
};
use crate::crd::common::Tags;

// ---- spec → requests -------------------------------------------------------------------------

/// The CreateCluster request for `spec`, named `cluster_name` (`spec.clusterName` or the object
/// name), with the user's tags plus `ownership_tags`.
pub fn create_cluster_input(
    spec: &ECSClusterSpec,
    cluster_name: &str,
    ownership_tags: &Tags,
) -> Result<CreateClusterInput, ConvertError> {
    let input = CreateClusterInput::builder()
        .cluster_name(cluster_name)
        .set_tags(tags_to_sdk(spec.tags.as_ref(), ownership_tags))
        .set_settings(spec.settings.as_ref().and_then(settings_to_sdk))
        .set_configuration(spec.configuration.as_ref().map(configuration_to_sdk))
        .set_capacity_providers(spec.capacity_providers.clone())
        .set_default_capacity_provider_strategy(capacity_provider_strategy_to_sdk(
            spec.default_capacity_provider_strategy.as_deref(),
        )?)
        .set_service_connect_defaults(service_connect_to_sdk(spec)?)
        .build();
    built("CreateClusterInput", input)
}

/// The UpdateCluster request for a canonical spec (defaults written in), sending the top-level
/// `fields` that differ in ECS, each whole. A Service Connect default the spec no longer has is
/// sent as the empty namespace, which is how ECS clears it (the Cloud Map namespace itself
/// stays: it is not the cluster's to delete).
pub fn update_cluster_input(
    canonical: &ECSClusterSpec,
    cluster: &str,
    fields: &[String],
) -> Result<UpdateClusterInput, ConvertError> {
    let send = |name: &str| fields.iter().any(|f| f == name);
    let service_connect = if send("serviceConnectDefaults") {
        let namespace = canonical.service_connect_defaults.as_ref().map(|d| d.namespace.as_str()).unwrap_or_default();
        Some(built(
            "ClusterServiceConnectDefaultsRequest",
            types::ClusterServiceConnectDefaultsRequest::builder().namespace(namespace).build(),
        )?)
    } else {
        None
    };
    let input = UpdateClusterInput::builder()
        .cluster(cluster)
        .set_settings(canonical.settings.as_ref().filter(|_| send("settings")).and_then(settings_to_sdk))
        .set_configuration(canonical.configuration.as_ref().filter(|_| send("configuration")).map(configuration_to_sdk))
        .set_service_connect_defaults(service_connect)
        .build();
    built("UpdateClusterInput", input)
}

/// The PutClusterCapacityProviders request. ECS requires both lists and replaces the
/// cluster's with them, so an unset field is sent as an empty list: the spec is the whole
/// truth here, and the caller only calls this when the providers differ.
pub fn put_cluster_capacity_providers_input(
    spec: &ECSClusterSpec,
    cluster: &str,
) -> Result<PutClusterCapacityProvidersInput, ConvertError> {
    let strategy = capacity_provider_strategy_to_sdk(spec.default_capacity_provider_strategy.as_deref())?;
    let input = PutClusterCapacityProvidersInput::builder()
        .cluster(cluster)
        .set_capacity_providers(Some(spec.capacity_providers.clone().unwrap_or_default()))
        .set_default_capacity_provider_strategy(Some(strategy.unwrap_or_default()))
        .build();
    built("PutClusterCapacityProvidersInput", input)
}

/// ECS models settings as a name/value list; the spec has one field per setting. None when
/// no setting is set, so that the request carries no empty list.
fn settings_to_sdk(settings: &ClusterSettings) -> Option<Vec<types::ClusterSetting>> {
    let insights = settings.container_insights.map(|value| {
        types::ClusterSetting::builder()
            .name(types::ClusterSettingName::ContainerInsights)
            .value(container_insights_wire(value))
            .build()
    });
    insights.map(|setting| vec![setting])
}

/// The setting value ECS uses (the same spelling as the CRD's serde name).
fn container_insights_wire(value: ContainerInsights) -> &'static str {
    match value {
        ContainerInsights::Enabled => "enabled",
        ContainerInsights::Enhanced => "enhanced",
        ContainerInsights::Disabled => "disabled",
    }
}

fn configuration_to_sdk(c: &ClusterConfiguration) -> types::ClusterConfiguration {
    types::ClusterConfiguration::builder()
        .set_execute_command_configuration(c.execute_command_configuration.as_ref().map(|e| {
            types::ExecuteCommandConfiguration::builder()
                .set_kms_key_id(e.kms_key_id.clone())
                .set_logging(opt_enum_to_sdk(e.logging))
                .set_log_configuration(e.log_configuration.as_ref().map(|l| {
                    types::ExecuteCommandLogConfiguration::builder()
                        .set_cloud_watch_log_group_name(l.cloud_watch_log_group_name.clone())
                        .set_cloud_watch_encryption_enabled(l.cloud_watch_encryption_enabled)
                        .set_s3_bucket_name(l.s3_bucket_name.clone())
                        .set_s3_encryption_enabled(l.s3_encryption_enabled)
                        .set_s3_key_prefix(l.s3_key_prefix.clone())
                        .build()
                }))
                .build()
        }))
        .set_managed_storage_configuration(c.managed_storage_configuration.as_ref().map(|m| {
            types::ManagedStorageConfiguration::builder()
                .set_kms_key_id(m.kms_key_id.clone())
                .set_fargate_ephemeral_storage_kms_key_id(m.fargate_ephemeral_storage_kms_key_id.clone())
                .build()
        }))
        .build()
}

fn service_connect_to_sdk(
    spec: &ECSClusterSpec,
) -> Result<Option<types::ClusterServiceConnectDefaultsRequest>, ConvertError> {
    spec.service_connect_defaults
        .as_ref()
        .map(|d| {
            built(
                "ClusterServiceConnectDefaultsRequest",
                types::ClusterServiceConnectDefaultsRequest::builder().namespace(&d.namespace).build(),
            )
        })
        .transpose()
}

// ---- Cluster → spec --------------------------------------------------------------------------

/// The spec a described cluster stands for (describe with `include: [SETTINGS,
/// CONFIGURATIONS, TAGS]`), without the operator's own tags. ECS reports the Service Connect
/// namespace as an ARN even when it was created from a name.
pub fn cluster_spec_from_sdk(cluster: &types::Cluster) -> Result<ECSClusterSpec, ConvertError> {
    Ok(ECSClusterSpec {
        cluster_name: cluster.cluster_name.clone(),
        capacity_providers: cluster.capacity_providers.clone(),
        default_capacity_provider_strategy: capacity_provider_strategy_from_sdk(
            cluster.default_capacity_provider_strategy.as_deref(),
        ),
        settings: settings_from_sdk(cluster.settings.as_deref().unwrap_or_default())?,
        configuration: cluster.configuration.as_ref().map(configuration_from_sdk).transpose()?,
        service_connect_defaults: cluster
            .service_connect_defaults
            .as_ref()
            .and_then(|d| d.namespace.clone())
            .map(|namespace| ServiceConnectDefaults { namespace }),
        tags: user_tags_from_sdk(cluster.tags.as_deref().unwrap_or_default()),
        policies: Default::default(),
    })
}

/// Settings the spec has a field for. A setting name this SDK does not know is skipped rather
/// than failing: it is one the operator never sets, and erroring would stop every reconcile of
/// every cluster the day AWS adds a setting. A value the spec cannot express for a setting it
/// does model is an error.
fn settings_from_sdk(settings: &[types::ClusterSetting]) -> Result<Option<ClusterSettings>, ConvertError> {
    let mut out = ClusterSettings::default();
    for setting in settings {
        if setting.name == Some(types::ClusterSettingName::ContainerInsights) {
            let value = setting.value.as_deref().unwrap_or_default();
            out.container_insights = Some(container_insights_from_wire(value)?);
        }
    }
    Ok((out != ClusterSettings::default()).then_some(out))
}

fn container_insights_from_wire(value: &str) -> Result<ContainerInsights, ConvertError> {
    [ContainerInsights::Enabled, ContainerInsights::Enhanced, ContainerInsights::Disabled]
        .into_iter()
        .find(|v| container_insights_wire(*v) == value)
        .ok_or_else(|| ConvertError::UnsupportedValue {
            field: "spec.settings.containerInsights".into(),
            value: value.to_owned(),
        })
}

fn configuration_from_sdk(c: &types::ClusterConfiguration) -> Result<ClusterConfiguration, ConvertError> {
    let execute_command_configuration = c
        .execute_command_configuration
        .as_ref()
        .map(|e| {
            Ok::<_, ConvertError>(ExecuteCommandConfiguration {
                kms_key_id: e.kms_key_id.clone(),
                logging: opt_enum_from_sdk(
                    "spec.configuration.executeCommandConfiguration.logging",
                    e.logging.as_ref(),
                )?,
                // ECS always reports both encryption flags (false when unset).
                log_configuration: e.log_configuration.as_ref().map(|l| ExecuteCommandLogConfiguration {
                    cloud_watch_log_group_name: l.cloud_watch_log_group_name.clone(),
                    cloud_watch_encryption_enabled: Some(l.cloud_watch_encryption_enabled),
                    s3_bucket_name: l.s3_bucket_name.clone(),
                    s3_encryption_enabled: Some(l.s3_encryption_enabled),
                    s3_key_prefix: l.s3_key_prefix.clone(),
                }),
            })
        })
        .transpose()?;
    Ok(ClusterConfiguration {
        execute_command_configuration,
        managed_storage_configuration: c.managed_storage_configuration.as_ref().map(|m| ManagedStorageConfiguration {
            kms_key_id: m.kms_key_id.clone(),
            fargate_ephemeral_storage_kms_key_id: m.fargate_ephemeral_storage_kms_key_id.clone(),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::convert::fixtures::{
        CLUSTER_ARN as ARN, described_cluster as described, full_cluster_spec, ownership_tags,
    };

    /// What DescribeClusters would return after `input` created the cluster.
    #[test]
    fn full_spec_round_trips_through_create() {
        let spec = full_cluster_spec();
        let input = create_cluster_input(&spec, "prod", &ownership_tags()).unwrap();
        assert_eq!(input.cluster_name(), Some("prod"));

        let back = cluster_spec_from_sdk(&described(&input)).unwrap();
        let mut expected = spec;
        expected.policies = Default::default();
        assert_eq!(back, expected);
    }

    #[test]
    fn update_and_capacity_provider_requests_split_the_spec() {
        let spec = full_cluster_spec();
        let create = create_cluster_input(&spec, "prod", &Tags::new()).unwrap();

        let fields = ["settings".to_string(), "configuration".to_string(), "serviceConnectDefaults".to_string()];
        let update = update_cluster_input(&spec, ARN, &fields).unwrap();
        assert_eq!(update.cluster(), Some(ARN));
        assert_eq!(update.settings, create.settings);
        assert_eq!(update.configuration, create.configuration);
        assert_eq!(update.service_connect_defaults, create.service_connect_defaults);

        let put = put_cluster_capacity_providers_input(&spec, ARN).unwrap();
        assert_eq!(put.cluster(), Some(ARN));
        assert_eq!(put.capacity_providers, create.capacity_providers);
        assert_eq!(put.default_capacity_provider_strategy, create.default_capacity_provider_strategy);
    }

    #[test]
    fn unset_capacity_providers_are_sent_as_empty_lists() {
        let put = put_cluster_capacity_providers_input(&ECSClusterSpec::default(), "prod").unwrap();
        assert_eq!(put.capacity_providers, Some(vec![]));
        assert_eq!(put.default_capacity_provider_strategy, Some(vec![]));
        let update = update_cluster_input(&ECSClusterSpec::default(), "prod", &[]).unwrap();
        assert_eq!(update.settings, None);
        let removed =
            update_cluster_input(&ECSClusterSpec::default(), "prod", &["serviceConnectDefaults".into()]).unwrap();
        let namespace = removed.service_connect_defaults.map(|d| d.namespace);
        assert_eq!(namespace.as_deref(), Some(""), "ECS clears Service Connect defaults with an empty namespace");
    }

    #[test]
    fn unknown_values_from_aws() {
        let input = create_cluster_input(&full_cluster_spec(), "prod", &Tags::new()).unwrap();

        let mut cluster = described(&input);
        cluster.settings = Some(vec![
            types::ClusterSetting::builder().name(types::ClusterSettingName::from("futureSetting")).value("on").build(),
        ]);
        let spec = cluster_spec_from_sdk(&cluster).unwrap();
        assert_eq!(spec.settings, None, "unmodelled setting names are skipped");

        cluster.settings = Some(vec![
            types::ClusterSetting::builder().name(types::ClusterSettingName::ContainerInsights).value("turbo").build(),
        ]);
        let err = cluster_spec_from_sdk(&cluster).unwrap_err();
        assert_eq!(err.field(), "spec.settings.containerInsights");

        let mut cluster = described(&input);
        let exec = cluster.configuration.as_mut().and_then(|c| c.execute_command_configuration.as_mut()).unwrap();
        exec.logging = Some(types::ExecuteCommandLogging::from("VERBOSE"));
        let err = cluster_spec_from_sdk(&cluster).unwrap_err();
        assert_eq!(
            err,
            ConvertError::UnsupportedValue {
                field: "spec.configuration.executeCommandConfiguration.logging".into(),
                value: "VERBOSE".into(),
            }
        );
    }
}
