//! `CapacityProviderSpec` ↔ CreateCapacityProvider and UpdateCapacityProvider inputs and the
//! `CapacityProvider` that DescribeCapacityProviders returns, for both kinds of provider.
//!
//! An Auto Scaling group provider: an update changes only the managed settings (scaling,
//! termination protection, draining); the group's ARN is fixed at create. A Managed Instances
//! provider lives in one cluster (sent with every call) and an update sends the whole
//! configuration except `capacityOptionType`, which is fixed at create. The controller treats
//! a change of a fixed field as needing replacement and never builds an update for it.

use aws_sdk_ecs::operation::create_capacity_provider::CreateCapacityProviderInput;
use aws_sdk_ecs::operation::update_capacity_provider::UpdateCapacityProviderInput;
use aws_sdk_ecs::types;

use super::{
    ConvertError, SdkEnum, built, child, enum_list_from_sdk, enum_list_to_sdk, opt_enum_from_sdk, opt_enum_to_sdk,
    required, tags_to_sdk, user_tags_from_sdk,
};
use crate::canonical::capacity_provider::canonical_capacity_provider;
use crate::crd::capacity_provider::{
    AutoScalingGroupProvider, CapacityProviderSpec, InfrastructureOptimization, InstanceLaunchTemplate,
    InstanceRequirements, ManagedInstancesNetwork, ManagedInstancesProvider, ManagedInstancesStorage, ManagedScaling,
    MinMax, Toggle,
};
use crate::crd::common::Tags;

// ---- spec → requests -------------------------------------------------------------------------

/// The CreateCapacityProvider request, named `name` (`spec.name` or the object name), with
/// the user's tags plus `ownership_tags`; a Managed Instances provider in the spec's
/// `cluster` (the controller writes a resolved `clusterRef` there). Settings the spec leaves
/// out are not sent: ECS fills in its defaults.
pub fn create_capacity_provider_input(
    spec: &CapacityProviderSpec,
    name: &str,
    ownership_tags: &Tags,
) -> Result<CreateCapacityProviderInput, ConvertError> {
    let asg = spec.auto_scaling_group_provider.as_ref().map(asg_to_sdk).transpose()?;
    let managed = spec.managed_instances_provider.as_ref().map(managed_to_sdk).transpose()?;
    let input = CreateCapacityProviderInput::builder()
        .name(name)
        .set_auto_scaling_group_provider(asg)
        .set_managed_instances_provider(managed)
        .set_cluster(managed_cluster(spec)?)
        .set_tags(tags_to_sdk(spec.tags.as_ref(), ownership_tags))
        .build();
    built("CreateCapacityProviderInput", input)
}

/// The UpdateCapacityProvider request for the provider `name`: every setting ECS lets an
/// update change, with ECS's defaults written out for the ones the spec leaves out (an omitted
/// setting would otherwise keep its old value).
pub fn update_capacity_provider_input(
    spec: &CapacityProviderSpec,
    name: &str,
) -> Result<UpdateCapacityProviderInput, ConvertError> {
    let full = canonical_capacity_provider(spec);
    let asg = full.auto_scaling_group_provider.as_ref().map(|asg| {
        types::AutoScalingGroupProviderUpdate::builder()
            .set_managed_scaling(asg.managed_scaling.as_ref().map(scaling_to_sdk))
            .set_managed_termination_protection(opt_enum_to_sdk(asg.managed_termination_protection))
            .set_managed_draining(opt_enum_to_sdk(asg.managed_draining))
            .build()
    });
    let managed = full
        .managed_instances_provider
        .as_ref()
        .map(|m| {
            let t = &m.instance_launch_template;
            let template = types::InstanceLaunchTemplateUpdate::builder()
                .ec2_instance_profile_arn(&t.ec2_instance_profile_arn)
                .network_configuration(network_to_sdk(&t.network_configuration))
                .set_storage_configuration(t.storage_configuration.as_ref().map(storage_to_sdk))
                .set_monitoring(opt_enum_to_sdk(t.monitoring))
                .set_instance_requirements(t.instance_requirements.as_ref().map(requirements_to_sdk).transpose()?)
                .build();
            built(
                "UpdateManagedInstancesProviderConfiguration",
                types::UpdateManagedInstancesProviderConfiguration::builder()
                    .infrastructure_role_arn(&m.infrastructure_role_arn)
                    .instance_launch_template(template)
                    .set_propagate_tags(opt_enum_to_sdk(m.propagate_tags))
                    .set_infrastructure_optimization(m.infrastructure_optimization.as_ref().map(optimization_to_sdk))
                    .build(),
            )
        })
        .transpose()?;
    let input = UpdateCapacityProviderInput::builder()
        .name(name)
        .set_auto_scaling_group_provider(asg)
        .set_managed_instances_provider(managed)
        .set_cluster(managed_cluster(spec)?)
        .build();
    built("UpdateCapacityProviderInput", input)
}

/// The cluster a Managed Instances provider is created, updated and deleted in; None for an
/// Auto Scaling group provider.
pub fn managed_cluster(spec: &CapacityProviderSpec) -> Result<Option<String>, ConvertError> {
    match (&spec.managed_instances_provider, spec.cluster_name()) {
        (None, _) => Ok(None),
        (Some(_), Some(cluster)) => Ok(Some(cluster)),
        (Some(_), None) => Err(ConvertError::invalid("spec.cluster", "a managedInstancesProvider needs its cluster")),
    }
}

fn asg_to_sdk(asg: &AutoScalingGroupProvider) -> Result<types::AutoScalingGroupProvider, ConvertError> {
    built(
        "AutoScalingGroupProvider",
        types::AutoScalingGroupProvider::builder()
            .auto_scaling_group_arn(&asg.auto_scaling_group_arn)
            .set_managed_scaling(asg.managed_scaling.as_ref().map(scaling_to_sdk))
            .set_managed_termination_protection(opt_enum_to_sdk(asg.managed_termination_protection))
            .set_managed_draining(opt_enum_to_sdk(asg.managed_draining))
            .build(),
    )
}

fn managed_to_sdk(
    m: &ManagedInstancesProvider,
) -> Result<types::CreateManagedInstancesProviderConfiguration, ConvertError> {
    let t = &m.instance_launch_template;
    let template = built(
        "InstanceLaunchTemplate",
        types::InstanceLaunchTemplate::builder()
            .ec2_instance_profile_arn(&t.ec2_instance_profile_arn)
            .network_configuration(network_to_sdk(&t.network_configuration))
            .set_storage_configuration(t.storage_configuration.as_ref().map(storage_to_sdk))
            .set_monitoring(opt_enum_to_sdk(t.monitoring))
            .set_capacity_option_type(opt_enum_to_sdk(t.capacity_option_type))
            .set_instance_requirements(t.instance_requirements.as_ref().map(requirements_to_sdk).transpose()?)
            .build(),
    )?;
    built(
        "CreateManagedInstancesProviderConfiguration",
        types::CreateManagedInstancesProviderConfiguration::builder()
            .infrastructure_role_arn(&m.infrastructure_role_arn)
            .instance_launch_template(template)
            .set_propagate_tags(opt_enum_to_sdk(m.propagate_tags))
            .set_infrastructure_optimization(m.infrastructure_optimization.as_ref().map(optimization_to_sdk))
            .build(),
    )
}

fn network_to_sdk(n: &ManagedInstancesNetwork) -> types::ManagedInstancesNetworkConfiguration {
    types::ManagedInstancesNetworkConfiguration::builder()
        .set_subnets(Some(n.subnets.clone()))
        .set_security_groups(n.security_groups.clone())
        .build()
}

fn storage_to_sdk(s: &ManagedInstancesStorage) -> types::ManagedInstancesStorageConfiguration {
    types::ManagedInstancesStorageConfiguration::builder().storage_size_gib(s.storage_size_gib).build()
}

fn optimization_to_sdk(o: &InfrastructureOptimization) -> types::InfrastructureOptimization {
    types::InfrastructureOptimization::builder().set_scale_in_after(o.scale_in_after).build()
}

fn requirements_to_sdk(r: &InstanceRequirements) -> Result<types::InstanceRequirementsRequest, ConvertError> {
    let vcpu = built(
        "VCpuCountRangeRequest",
        types::VCpuCountRangeRequest::builder().min(r.v_cpu_count.min).set_max(r.v_cpu_count.max).build(),
    )?;
    let memory = built(
        "MemoryMiBRequest",
        types::MemoryMiBRequest::builder().min(r.memory_mib.min).set_max(r.memory_mib.max).build(),
    )?;
    Ok(types::InstanceRequirementsRequest::builder()
        .v_cpu_count(vcpu)
        .memory_mib(memory)
        .set_cpu_manufacturers(enum_list_to_sdk(r.cpu_manufacturers.as_deref()))
        .set_instance_generations(enum_list_to_sdk(r.instance_generations.as_deref()))
        .set_allowed_instance_types(r.allowed_instance_types.clone())
        .set_excluded_instance_types(r.excluded_instance_types.clone())
        .set_bare_metal(opt_enum_to_sdk(r.bare_metal))
        .set_burstable_performance(opt_enum_to_sdk(r.burstable_performance))
        .set_spot_max_price_percentage_over_lowest_price(r.spot_max_price_percentage_over_lowest_price)
        .set_on_demand_max_price_percentage_over_lowest_price(r.on_demand_max_price_percentage_over_lowest_price)
        .build())
}

fn scaling_to_sdk(s: &ManagedScaling) -> types::ManagedScaling {
    types::ManagedScaling::builder()
        .status(s.status.to_sdk())
        .set_target_capacity(s.target_capacity)
        .set_minimum_scaling_step_size(s.minimum_scaling_step_size)
        .set_maximum_scaling_step_size(s.maximum_scaling_step_size)
        .set_instance_warmup_period(s.instance_warmup_period)
        .build()
}

// ---- CapacityProvider → spec -----------------------------------------------------------------

/// The spec a described capacity provider (with TAGS) stands for, without the operator's own
/// tags; a Managed Instances provider's cluster in `cluster`, by name. A provider of neither
/// kind has no spec here: that is an error naming the field.
pub fn capacity_provider_spec_from_sdk(p: &types::CapacityProvider) -> Result<CapacityProviderSpec, ConvertError> {
    let asg = p.auto_scaling_group_provider.as_ref().map(asg_from_sdk).transpose()?;
    let managed = p.managed_instances_provider.as_ref().map(managed_from_sdk).transpose()?;
    if asg.is_none() && managed.is_none() {
        return Err(ConvertError::MissingField { field: "spec.autoScalingGroupProvider".into() });
    }
    Ok(CapacityProviderSpec {
        name: p.name.clone(),
        auto_scaling_group_provider: asg,
        cluster: p.cluster.clone().filter(|_| managed.is_some()),
        managed_instances_provider: managed,
        cluster_ref: None,
        tags: user_tags_from_sdk(p.tags.as_deref().unwrap_or_default()),
        policies: Default::default(),
    })
}

fn asg_from_sdk(asg: &types::AutoScalingGroupProvider) -> Result<AutoScalingGroupProvider, ConvertError> {
    Ok(AutoScalingGroupProvider {
        auto_scaling_group_arn: asg.auto_scaling_group_arn.clone(),
        managed_scaling: asg.managed_scaling.as_ref().map(scaling_from_sdk).transpose()?,
        managed_termination_protection: opt_enum_from_sdk(
            "spec.autoScalingGroupProvider.managedTerminationProtection",
            asg.managed_termination_protection.as_ref(),
        )?,
        managed_draining: opt_enum_from_sdk(
            "spec.autoScalingGroupProvider.managedDraining",
            asg.managed_draining.as_ref(),
        )?,
    })
}

fn managed_from_sdk(m: &types::ManagedInstancesProvider) -> Result<ManagedInstancesProvider, ConvertError> {
    let at = "spec.managedInstancesProvider";
    let t = required(&child(at, "instanceLaunchTemplate"), m.instance_launch_template.as_ref())?;
    let at_t = child(at, "instanceLaunchTemplate");
    let network = t.network_configuration.as_ref();
    Ok(ManagedInstancesProvider {
        infrastructure_role_arn: required(&child(at, "infrastructureRoleArn"), m.infrastructure_role_arn.as_ref())?,
        instance_launch_template: InstanceLaunchTemplate {
            ec2_instance_profile_arn: t.ec2_instance_profile_arn.clone(),
            network_configuration: ManagedInstancesNetwork {
                subnets: network.and_then(|n| n.subnets.clone()).unwrap_or_default(),
                security_groups: network.and_then(|n| n.security_groups.clone()),
            },
            storage_configuration: t
                .storage_configuration
                .as_ref()
                .and_then(|s| s.storage_size_gib)
                .map(|storage_size_gib| ManagedInstancesStorage { storage_size_gib }),
            monitoring: opt_enum_from_sdk(&child(&at_t, "monitoring"), t.monitoring.as_ref())?,
            capacity_option_type: opt_enum_from_sdk(
                &child(&at_t, "capacityOptionType"),
                t.capacity_option_type.as_ref(),
            )?,
            instance_requirements: t
                .instance_requirements
                .as_ref()
                .map(|r| requirements_from_sdk(r, &child(&at_t, "instanceRequirements")))
                .transpose()?,
        },
        propagate_tags: opt_enum_from_sdk(&child(at, "propagateTags"), m.propagate_tags.as_ref())?,
        infrastructure_optimization: m
            .infrastructure_optimization
            .as_ref()
            .map(|o| InfrastructureOptimization { scale_in_after: o.scale_in_after }),
    })
}

fn requirements_from_sdk(
    r: &types::InstanceRequirementsRequest,
    at: &str,
) -> Result<InstanceRequirements, ConvertError> {
    let vcpu = required(&child(at, "vCpuCount"), r.v_cpu_count.as_ref())?;
    let memory = required(&child(at, "memoryMiB"), r.memory_mib.as_ref())?;
    Ok(InstanceRequirements {
        v_cpu_count: MinMax { min: vcpu.min, max: vcpu.max },
        memory_mib: MinMax { min: memory.min, max: memory.max },
        cpu_manufacturers: enum_list_from_sdk(&child(at, "cpuManufacturers"), r.cpu_manufacturers.as_deref())?,
        instance_generations: enum_list_from_sdk(&child(at, "instanceGenerations"), r.instance_generations.as_deref())?,
        allowed_instance_types: r.allowed_instance_types.clone(),
        excluded_instance_types: r.excluded_instance_types.clone(),
        bare_metal: opt_enum_from_sdk(&child(at, "bareMetal"), r.bare_metal.as_ref())?,
        burstable_performance: opt_enum_from_sdk(&child(at, "burstablePerformance"), r.burstable_performance.as_ref())?,
        spot_max_price_percentage_over_lowest_price: r.spot_max_price_percentage_over_lowest_price,
        on_demand_max_price_percentage_over_lowest_price: r.on_demand_max_price_percentage_over_lowest_price,
    })
}

fn scaling_from_sdk(s: &types::ManagedScaling) -> Result<ManagedScaling, ConvertError> {
    let status = opt_enum_from_sdk("spec.autoScalingGroupProvider.managedScaling.status", s.status.as_ref())?;
    Ok(ManagedScaling {
        // A provider made elsewhere may report managed scaling without a status: ECS treats
        // that as not managed (defaults::CAPACITY_PROVIDER has the same value).
        status: status.unwrap_or(Toggle::Disabled),
        target_capacity: s.target_capacity,
        minimum_scaling_step_size: s.minimum_scaling_step_size,
        maximum_scaling_step_size: s.maximum_scaling_step_size,
        instance_warmup_period: s.instance_warmup_period,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::capacity_provider::canonical_capacity_provider;

    use crate::aws::convert::fixtures::{described_capacity_provider as described, full_capacity_provider_spec};

    /// The fixture's Auto Scaling group provider alone.
    fn full_spec() -> CapacityProviderSpec {
        CapacityProviderSpec {
            managed_instances_provider: None,
            cluster: None,
            cluster_ref: None,
            policies: Default::default(),
            ..full_capacity_provider_spec()
        }
    }

    fn asg_arn() -> String {
        full_spec().auto_scaling_group_provider.map(|a| a.auto_scaling_group_arn).unwrap_or_default()
    }

    #[test]
    fn every_field_round_trips_through_create() {
        let spec = full_capacity_provider_spec();
        let input = create_capacity_provider_input(&spec, "batch", &Tags::new()).unwrap();
        assert_eq!(input.cluster(), Some("prod"), "a Managed Instances provider is made in its cluster");
        let back = capacity_provider_spec_from_sdk(&described(&input)).unwrap();
        let expected = CapacityProviderSpec { cluster_ref: None, policies: Default::default(), ..spec };
        assert_eq!(back, expected);
    }

    #[test]
    fn managed_instances_update_sends_the_whole_configuration_in_the_cluster() {
        let mut spec = full_capacity_provider_spec();
        spec.auto_scaling_group_provider = None;
        if let Some(t) = spec.managed_instances_provider.as_mut().map(|m| &mut m.instance_launch_template) {
            t.monitoring = None;
        }
        let update = update_capacity_provider_input(&spec, "batch").unwrap();
        assert_eq!(update.cluster(), Some("prod"));
        let managed = update.managed_instances_provider().expect("managed instances");
        let template = managed.instance_launch_template().expect("template");
        assert_eq!(
            template.monitoring(),
            Some(&types::ManagedInstancesMonitoringOptions::Basic),
            "the default is said"
        );
        assert!(template.instance_requirements().is_some() && template.storage_configuration().is_some());
        let mut bare = spec.clone();
        bare.cluster = None;
        assert_eq!(update_capacity_provider_input(&bare, "batch").unwrap_err().field(), "spec.cluster");
    }

    #[test]
    fn full_spec_round_trips_through_create() {
        let ownership: Tags = [("ecs.operator.dev/owner".to_string(), "ns/batch".to_string())].into();
        let input = create_capacity_provider_input(&full_spec(), "batch", &ownership).unwrap();
        assert_eq!(input.tags().len(), full_spec().tags.map_or(0, |t| t.len()) + ownership.len());
        let back = capacity_provider_spec_from_sdk(&described(&input)).unwrap();
        assert_eq!(back, full_spec());
    }

    #[test]
    fn minimal_spec_round_trips_canonically() {
        let mut spec = full_spec();
        spec.auto_scaling_group_provider =
            Some(AutoScalingGroupProvider { auto_scaling_group_arn: asg_arn(), ..Default::default() });
        let input = create_capacity_provider_input(&spec, "batch", &Tags::new()).unwrap();
        let asg = input.auto_scaling_group_provider().unwrap();
        assert!(asg.managed_scaling().is_none(), "unset settings are left to ECS");
        let back = capacity_provider_spec_from_sdk(&described(&input)).unwrap();
        assert_eq!(canonical_capacity_provider(&back), canonical_capacity_provider(&spec));
    }

    #[test]
    fn update_sends_every_managed_setting_and_no_arn() {
        let mut spec = full_spec();
        if let Some(asg) = spec.auto_scaling_group_provider.as_mut() {
            asg.managed_scaling = None;
            asg.managed_termination_protection = None;
        }
        let update = update_capacity_provider_input(&spec, "batch").unwrap();
        assert_eq!(update.name(), Some("batch"));
        let asg = update.auto_scaling_group_provider().unwrap();
        let scaling = asg.managed_scaling().unwrap();
        assert_eq!(scaling.status(), Some(&types::ManagedScalingStatus::Disabled));
        assert_eq!((scaling.target_capacity(), scaling.instance_warmup_period()), (Some(100), Some(300)));
        assert_eq!(asg.managed_termination_protection(), Some(&types::ManagedTerminationProtection::Disabled));
        assert_eq!(asg.managed_draining(), Some(&types::ManagedDraining::Disabled));
    }

    #[test]
    fn unknown_values_and_missing_provider_name_the_field() {
        let input = create_capacity_provider_input(&full_spec(), "batch", &Tags::new()).unwrap();
        let mut p = described(&input);
        if let Some(asg) = p.auto_scaling_group_provider.as_mut() {
            asg.managed_draining = Some(types::ManagedDraining::from("SOMETIMES"));
        }
        let err = capacity_provider_spec_from_sdk(&p).unwrap_err();
        assert_eq!(err.field(), "spec.autoScalingGroupProvider.managedDraining");
        p.auto_scaling_group_provider = None;
        p.managed_instances_provider = None;
        assert_eq!(capacity_provider_spec_from_sdk(&p).unwrap_err().field(), "spec.autoScalingGroupProvider");
    }
}
