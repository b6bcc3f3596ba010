//! Canonical form of a capacity provider (Auto Scaling group or Managed Instances): identity, tags and policies left
//! out, and every default ECS fills in written in ([`defaults::CAPACITY_PROVIDER`]), so a spec
//! that leaves a setting out and a provider that reports ECS's default compare equal, and the
//! update request says what it resets.

use super::defaults::{self, filled};
use crate::crd::capacity_provider::CapacityProviderSpec;
use crate::crd::common::Policies;

/// `spec` as ECS would describe it, every managed setting named.
pub fn canonical_capacity_provider(spec: &CapacityProviderSpec) -> CapacityProviderSpec {
    let normalised = CapacityProviderSpec {
        name: None,
        auto_scaling_group_provider: spec.auto_scaling_group_provider.clone(),
        managed_instances_provider: spec.managed_instances_provider.clone().map(|mut m| {
            let t = &mut m.instance_launch_template;
            t.network_configuration.subnets.sort();
            t.network_configuration.security_groups = super::sorted(t.network_configuration.security_groups.take());
            if let Some(r) = t.instance_requirements.as_mut() {
                r.cpu_manufacturers = super::sorted(r.cpu_manufacturers.take());
                r.instance_generations = super::sorted(r.instance_generations.take());
                r.allowed_instance_types = super::sorted(r.allowed_instance_types.take());
                r.excluded_instance_types = super::sorted(r.excluded_instance_types.take());
            }
            m
        }),
        // By name: ECS describes the cluster's name, a spec may give its ARN.
        cluster: spec.cluster_name(),
        cluster_ref: None,
        tags: None,
        policies: Policies::default(),
    };
    filled(normalised, defaults::CAPACITY_PROVIDER)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::capacity_provider::{AutoScalingGroupProvider, ManagedScaling, Toggle};

    const ARN: &str = "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:0:autoScalingGroupName/batch";

    fn spec(asg: AutoScalingGroupProvider) -> CapacityProviderSpec {
        CapacityProviderSpec {
            name: Some("batch".into()),
            auto_scaling_group_provider: Some(asg),
            managed_instances_provider: None,
            cluster: None,
            cluster_ref: None,
            tags: Some([("team".to_string(), "data".to_string())].into()),
            policies: Policies::default(),
        }
    }

    fn bare() -> AutoScalingGroupProvider {
        AutoScalingGroupProvider { auto_scaling_group_arn: ARN.into(), ..Default::default() }
    }

    #[test]
    fn explicit_defaults_equal_omitted_ones_and_every_setting_is_named() {
        let implicit = canonical_capacity_provider(&spec(bare()));
        let explicit = canonical_capacity_provider(&implicit);
        assert_eq!(explicit, implicit);
        assert_eq!((implicit.name, implicit.tags), (None, None));
        let asg = implicit.auto_scaling_group_provider.expect("asg");
        let scaling = asg.managed_scaling.expect("named");
        assert_eq!(
            (scaling.status, scaling.target_capacity, scaling.maximum_scaling_step_size),
            (Toggle::Disabled, Some(100), Some(10000))
        );
        assert_eq!(
            (asg.managed_termination_protection, asg.managed_draining),
            (Some(Toggle::Disabled), Some(Toggle::Enabled))
        );
    }

    #[test]
    fn non_defaults_are_kept() {
        let mut asg = bare();
        asg.managed_scaling = Some(ManagedScaling {
            status: Toggle::Enabled,
            target_capacity: Some(80),
            minimum_scaling_step_size: None,
            maximum_scaling_step_size: None,
            instance_warmup_period: None,
        });
        asg.managed_draining = Some(Toggle::Disabled);
        let c = canonical_capacity_provider(&spec(asg)).auto_scaling_group_provider.expect("asg");
        let scaling = c.managed_scaling.expect("kept");
        assert_eq!(
            (scaling.status, scaling.target_capacity, scaling.minimum_scaling_step_size),
            (Toggle::Enabled, Some(80), Some(1))
        );
        assert_eq!(c.managed_draining, Some(Toggle::Disabled));
    }
}
