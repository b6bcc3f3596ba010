//! `CapacityProviderSpec` ↔ CreateCapacityProvider and UpdateCapacityProvider inputs and the
//! `CapacityProvider` that DescribeCapacityProviders returns.
//!
//! ECS lets an update change only the managed settings (scaling, termination protection,
//! draining); the Auto Scaling group ARN is fixed at create, so the controller treats a change
//! of it as needing replacement and never builds an update for it.

use aws_sdk_ecs::operation::create_capacity_provider::CreateCapacityProviderInput;
use aws_sdk_ecs::operation::update_capacity_provider::UpdateCapacityProviderInput;
use aws_sdk_ecs::types;

use super::{ConvertError, SdkEnum, built, opt_enum_from_sdk, opt_enum_to_sdk, tags_to_sdk, user_tags_from_sdk};
use crate::canonical::capacity_provider::canonical_capacity_provider;
use crate::crd::capacity_provider::Toggle;
use crate::crd::capacity_provider::{AutoScalingGroupProvider, CapacityProviderSpec, ManagedScaling};
use crate::crd::common::Tags;

// ---- spec → requests -------------------------------------------------------------------------

/// The CreateCapacityProvider request, named `name` (`spec.name` or the object name), with
/// the user's tags plus `ownership_tags`. Settings the spec leaves out are not sent: ECS fills
/// in its defaults.
pub fn create_capacity_provider_input(
    spec: &CapacityProviderSpec,
    name: &str,
    ownership_tags: &Tags,
) -> Result<CreateCapacityProviderInput, ConvertError> {
    let asg = &spec.auto_scaling_group_provider;
    let provider = built(
        "AutoScalingGroupProvider",
        types::AutoScalingGroupProvider::builder()
            .auto_scaling_group_arn(&asg.auto_scaling_group_arn)
            .set_managed_scaling(asg.managed_scaling.as_ref().map(scaling_to_sdk))
            .set_managed_termination_protection(opt_enum_to_sdk(asg.managed_termination_protection))
            .set_managed_draining(opt_enum_to_sdk(asg.managed_draining))
            .build(),
    )?;
    let input = CreateCapacityProviderInput::builder()
        .name(name)
        .auto_scaling_group_provider(provider)
        .set_tags(tags_to_sdk(spec.tags.as_ref(), ownership_tags))
        .build();
    built("CreateCapacityProviderInput", input)
}

/// The UpdateCapacityProvider request for the provider `name`: every managed setting, with
/// ECS's defaults written out for the ones the spec leaves out (an omitted setting would
/// otherwise keep its old value).
pub fn update_capacity_provider_input(
    spec: &CapacityProviderSpec,
    name: &str,
) -> Result<UpdateCapacityProviderInput, ConvertError> {
    let full = canonical_capacity_provider(spec).auto_scaling_group_provider;
    let update = types::AutoScalingGroupProviderUpdate::builder()
        .set_managed_scaling(full.managed_scaling.as_ref().map(scaling_to_sdk))
        .set_managed_termination_protection(opt_enum_to_sdk(full.managed_termination_protection))
        .set_managed_draining(opt_enum_to_sdk(full.managed_draining))
        .build();
    let input = UpdateCapacityProviderInput::builder().name(name).auto_scaling_group_provider(update).build();
    built("UpdateCapacityProviderInput", input)
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
/// tags. A provider that is not an Auto Scaling group one (a managed-instances provider) has
/// no spec here: that is an error naming the field.
pub fn capacity_provider_spec_from_sdk(p: &types::CapacityProvider) -> Result<CapacityProviderSpec, ConvertError> {
    let field = "spec.autoScalingGroupProvider";
    let asg =
        p.auto_scaling_group_provider.as_ref().ok_or_else(|| ConvertError::MissingField { field: field.into() })?;
    Ok(CapacityProviderSpec {
        name: p.name.clone(),
        auto_scaling_group_provider: AutoScalingGroupProvider {
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
        },
        tags: user_tags_from_sdk(p.tags.as_deref().unwrap_or_default()),
        policies: Default::default(),
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
    use crate::crd::capacity_provider::Toggle;

    const ASG: &str = "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1-2:autoScalingGroupName/batch";

    fn full_spec() -> CapacityProviderSpec {
        CapacityProviderSpec {
            name: Some("batch".into()),
            auto_scaling_group_provider: AutoScalingGroupProvider {
                auto_scaling_group_arn: ASG.into(),
                managed_scaling: Some(ManagedScaling {
                    status: Toggle::Enabled,
                    target_capacity: Some(90),
                    minimum_scaling_step_size: Some(2),
                    maximum_scaling_step_size: Some(20),
                    instance_warmup_period: Some(60),
                }),
                managed_termination_protection: Some(Toggle::Enabled),
                managed_draining: Some(Toggle::Disabled),
            },
            tags: Some([("team".to_string(), "data".to_string())].into()),
            policies: Default::default(),
        }
    }

    /// What DescribeCapacityProviders would return after `input` created the provider.
    fn described(input: &CreateCapacityProviderInput) -> types::CapacityProvider {
        types::CapacityProvider::builder()
            .capacity_provider_arn("arn:aws:ecs:us-east-1:123456789012:capacity-provider/batch")
            .set_name(input.name.clone())
            .status(types::CapacityProviderStatus::Active)
            .set_auto_scaling_group_provider(input.auto_scaling_group_provider.clone())
            .set_tags(input.tags.clone())
            .build()
    }

    #[test]
    fn full_spec_round_trips_through_create() {
        let ownership: Tags = [("ecs.operator.dev/owner".to_string(), "ns/batch".to_string())].into();
        let input = create_capacity_provider_input(&full_spec(), "batch", &ownership).unwrap();
        assert_eq!(input.tags().len(), 2);
        let back = capacity_provider_spec_from_sdk(&described(&input)).unwrap();
        assert_eq!(back, full_spec());
    }

    #[test]
    fn minimal_spec_round_trips_canonically() {
        let mut spec = full_spec();
        spec.auto_scaling_group_provider =
            AutoScalingGroupProvider { auto_scaling_group_arn: ASG.into(), ..Default::default() };
        let input = create_capacity_provider_input(&spec, "batch", &Tags::new()).unwrap();
        let asg = input.auto_scaling_group_provider().unwrap();
        assert!(asg.managed_scaling().is_none(), "unset settings are left to ECS");
        let back = capacity_provider_spec_from_sdk(&described(&input)).unwrap();
        assert_eq!(canonical_capacity_provider(&back), canonical_capacity_provider(&spec));
    }

    #[test]
    fn update_sends_every_managed_setting_and_no_arn() {
        let mut spec = full_spec();
        spec.auto_scaling_group_provider.managed_scaling = None;
        spec.auto_scaling_group_provider.managed_termination_protection = None;
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
        assert_eq!(capacity_provider_spec_from_sdk(&p).unwrap_err().field(), "spec.autoScalingGroupProvider");
    }
}
