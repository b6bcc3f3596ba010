//! Canonical form of an Auto Scaling group capacity provider: identity, tags and policies left
//! out, and every value equal to what ECS fills in removed, so a spec that leaves a setting out
//! and a provider that reports ECS's default compare equal. [`filled`] is the opposite: every
//! default written out, for update requests that must say what they reset.

use super::default_none;
use crate::crd::capacity_provider::{AutoScalingGroupProvider, CapacityProviderSpec, ManagedScaling, Toggle};
use crate::crd::common::Policies;

/// What ECS assumes for an omitted setting (the SDK documents the numbers; ECS reports
/// DISABLED managed scaling and termination protection, and ENABLED managed draining, for a
/// provider created without them).
pub mod defaults {
    use super::Toggle;
    pub const SCALING_STATUS: Toggle = Toggle::Disabled;
    pub const TARGET_CAPACITY: i32 = 100;
    pub const MINIMUM_SCALING_STEP_SIZE: i32 = 1;
    pub const MAXIMUM_SCALING_STEP_SIZE: i32 = 10000;
    pub const INSTANCE_WARMUP_PERIOD: i32 = 300;
    pub const TERMINATION_PROTECTION: Toggle = Toggle::Disabled;
    pub const DRAINING: Toggle = Toggle::Enabled;
}

/// `spec` as ECS would describe it, defaults removed.
pub fn canonical_capacity_provider(spec: &CapacityProviderSpec) -> CapacityProviderSpec {
    let asg = &spec.auto_scaling_group_provider;
    CapacityProviderSpec {
        name: None,
        auto_scaling_group_provider: AutoScalingGroupProvider {
            auto_scaling_group_arn: asg.auto_scaling_group_arn.clone(),
            managed_scaling: asg.managed_scaling.clone().and_then(canonical_scaling),
            managed_termination_protection: default_none(
                asg.managed_termination_protection,
                defaults::TERMINATION_PROTECTION,
            ),
            managed_draining: default_none(asg.managed_draining, defaults::DRAINING),
        },
        tags: None,
        policies: Policies::default(),
    }
}

/// None when every value is ECS's default (the same as leaving managedScaling out).
fn canonical_scaling(s: ManagedScaling) -> Option<ManagedScaling> {
    let s = ManagedScaling {
        status: s.status,
        target_capacity: default_none(s.target_capacity, defaults::TARGET_CAPACITY),
        minimum_scaling_step_size: default_none(s.minimum_scaling_step_size, defaults::MINIMUM_SCALING_STEP_SIZE),
        maximum_scaling_step_size: default_none(s.maximum_scaling_step_size, defaults::MAXIMUM_SCALING_STEP_SIZE),
        instance_warmup_period: default_none(s.instance_warmup_period, defaults::INSTANCE_WARMUP_PERIOD),
    };
    let all_default = s.status == defaults::SCALING_STATUS
        && s.target_capacity.is_none()
        && s.minimum_scaling_step_size.is_none()
        && s.maximum_scaling_step_size.is_none()
        && s.instance_warmup_period.is_none();
    (!all_default).then_some(s)
}

/// The managed settings with every default written out. An update that leaves a setting out
/// would leave the old value in place, so removing a setting from the spec must send the
/// default explicitly.
pub fn filled(asg: &AutoScalingGroupProvider) -> AutoScalingGroupProvider {
    let scaling = asg.managed_scaling.clone().unwrap_or(ManagedScaling {
        status: defaults::SCALING_STATUS,
        target_capacity: None,
        minimum_scaling_step_size: None,
        maximum_scaling_step_size: None,
        instance_warmup_period: None,
    });
    AutoScalingGroupProvider {
        auto_scaling_group_arn: asg.auto_scaling_group_arn.clone(),
        managed_scaling: Some(ManagedScaling {
            status: scaling.status,
            target_capacity: Some(scaling.target_capacity.unwrap_or(defaults::TARGET_CAPACITY)),
            minimum_scaling_step_size: Some(
                scaling.minimum_scaling_step_size.unwrap_or(defaults::MINIMUM_SCALING_STEP_SIZE),
            ),
            maximum_scaling_step_size: Some(
                scaling.maximum_scaling_step_size.unwrap_or(defaults::MAXIMUM_SCALING_STEP_SIZE),
            ),
            instance_warmup_period: Some(scaling.instance_warmup_period.unwrap_or(defaults::INSTANCE_WARMUP_PERIOD)),
        }),
        managed_termination_protection: Some(
            asg.managed_termination_protection.unwrap_or(defaults::TERMINATION_PROTECTION),
        ),
        managed_draining: Some(asg.managed_draining.unwrap_or(defaults::DRAINING)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:0:autoScalingGroupName/batch";

    fn spec(asg: AutoScalingGroupProvider) -> CapacityProviderSpec {
        CapacityProviderSpec {
            name: Some("batch".into()),
            auto_scaling_group_provider: asg,
            tags: Some([("team".to_string(), "data".to_string())].into()),
            policies: Policies::default(),
        }
    }

    fn bare() -> AutoScalingGroupProvider {
        AutoScalingGroupProvider { auto_scaling_group_arn: ARN.into(), ..Default::default() }
    }

    #[test]
    fn explicit_defaults_equal_omitted_ones() {
        let explicit = spec(filled(&bare()));
        let implicit = spec(bare());
        assert_eq!(canonical_capacity_provider(&explicit), canonical_capacity_provider(&implicit));
        let c = canonical_capacity_provider(&implicit);
        assert_eq!((c.name, c.tags, c.auto_scaling_group_provider.managed_scaling), (None, None, None));
    }

    #[test]
    fn non_defaults_are_kept() {
        let mut asg = bare();
        asg.managed_scaling = Some(ManagedScaling {
            status: Toggle::Enabled,
            target_capacity: Some(80),
            minimum_scaling_step_size: Some(1),
            maximum_scaling_step_size: None,
            instance_warmup_period: Some(300),
        });
        asg.managed_draining = Some(Toggle::Disabled);
        let c = canonical_capacity_provider(&spec(asg)).auto_scaling_group_provider;
        let scaling = c.managed_scaling.expect("kept");
        assert_eq!(
            (scaling.status, scaling.target_capacity, scaling.minimum_scaling_step_size),
            (Toggle::Enabled, Some(80), None)
        );
        assert_eq!(c.managed_draining, Some(Toggle::Disabled));
        assert_eq!(filled(&bare()).managed_scaling.and_then(|s| s.maximum_scaling_step_size), Some(10000));
    }
}
