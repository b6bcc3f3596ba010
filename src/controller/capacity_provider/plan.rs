//! Pure planning for a CapacityProvider: create, one UpdateCapacityProvider when a managed
//! setting differs, tag changes, replacement when the Auto Scaling group differs (ECS cannot
//! change it), and the drift to report instead (see `controller::planning::judge`). No I/O.

use crate::canonical::defaults::CAPACITY_PROVIDER_NOT_COMPARED;
use crate::controller::planning::{self, judge};
pub use crate::controller::planning::{Plan, Why};
use crate::crd::capacity_provider::CapacityProviderSpec;

/// The spec path ECS fixes at create for an Auto Scaling group provider.
pub const ASG_ARN_FIELD: &str = "spec.autoScalingGroupProvider.autoScalingGroupArn";

pub type Actual = planning::Actual<CapacityProviderSpec>;
pub type PlanInput<'a> = planning::PlanInput<'a, CapacityProviderSpec>;

pub fn plan(input: &PlanInput<'_>) -> Plan {
    if let Some(actual) = input.actual
        && !input.observe_only
        && let Some(field) = fixed_field_changed(input.desired, &actual.spec)
    {
        return Plan { replace: Some(field), ..Default::default() };
    }
    judge(input, CAPACITY_PROVIDER_NOT_COMPARED)
}

/// The first field ECS fixes at create that differs: the kind of provider, the Auto Scaling
/// group, a Managed Instances provider's cluster and capacity option type (not in
/// InstanceLaunchTemplateUpdate).
fn fixed_field_changed(desired: &CapacityProviderSpec, actual: &CapacityProviderSpec) -> Option<&'static str> {
    let asg =
        |s: &CapacityProviderSpec| s.auto_scaling_group_provider.as_ref().map(|a| a.auto_scaling_group_arn.clone());
    let option = |s: &CapacityProviderSpec| {
        s.managed_instances_provider.as_ref().map(|m| m.instance_launch_template.capacity_option_type)
    };
    if desired.managed_instances_provider.is_some() != actual.managed_instances_provider.is_some() {
        Some("spec.managedInstancesProvider")
    } else if asg(desired) != asg(actual) {
        Some(ASG_ARN_FIELD)
    } else if desired.cluster != actual.cluster {
        Some("spec.cluster")
    } else if option(desired) != option(actual) {
        Some("spec.managedInstancesProvider.instanceLaunchTemplate.capacityOptionType")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::capacity_provider::canonical_capacity_provider;
    use crate::crd::capacity_provider::{AutoScalingGroupProvider, ManagedScaling, Toggle};
    use crate::crd::common::{DriftPolicy, Tags};

    const ASG: &str = "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1:autoScalingGroupName/a";

    fn spec(asg: &str, target: i32) -> CapacityProviderSpec {
        canonical_capacity_provider(&CapacityProviderSpec {
            name: None,
            auto_scaling_group_provider: Some(AutoScalingGroupProvider {
                auto_scaling_group_arn: asg.into(),
                managed_scaling: Some(ManagedScaling {
                    status: Toggle::Enabled,
                    target_capacity: Some(target),
                    minimum_scaling_step_size: None,
                    maximum_scaling_step_size: None,
                    instance_warmup_period: None,
                }),
                managed_termination_protection: None,
                managed_draining: None,
            }),
            managed_instances_provider: None,
            cluster: None,
            cluster_ref: None,
            tags: None,
            policies: Default::default(),
        })
    }

    fn ownership() -> Tags {
        [("ecs.operator.dev/owner".to_string(), "ns/batch".to_string())].into()
    }

    fn input<'a>(desired: &'a CapacityProviderSpec, tags: &'a Tags, actual: Option<&'a Actual>) -> PlanInput<'a> {
        crate::controller::planning::test_input(desired, tags, actual, "h1")
    }

    #[test]
    fn missing_is_created_unless_observed() {
        let (d, t) = (spec(ASG, 90), ownership());
        let mut i = input(&d, &t, None);
        assert!(plan(&i).create);
        i.observe_only = true;
        assert!(!plan(&i).writes());
    }

    #[test]
    fn equal_plans_nothing_and_a_setting_change_is_one_update() {
        let (d, t) = (spec(ASG, 90), ownership());
        let a = Actual { spec: spec(ASG, 90), tags: ownership() };
        assert_eq!(plan(&input(&d, &t, Some(&a))), Plan::default());
        let a = Actual { spec: spec(ASG, 100), tags: ownership() };
        let p = plan(&input(&d, &t, Some(&a)));
        assert!(!p.update.is_empty() && p.tag.is_empty() && p.replace.is_none());
        assert_eq!(p.changed, ["autoScalingGroupProvider.managedScaling.targetCapacity"]);
        assert_eq!(p.why, Some(Why::SpecChanged));
    }

    #[test]
    fn a_new_auto_scaling_group_needs_replacement_and_writes_nothing() {
        let (d, t) = (spec(&ASG.replace("/a", "/b"), 90), ownership());
        let a = Actual { spec: spec(ASG, 100), tags: Tags::new() };
        let p = plan(&input(&d, &t, Some(&a)));
        assert_eq!(p.replace, Some(ASG_ARN_FIELD));
        assert!(!p.writes());
        let mut i = input(&d, &t, Some(&a));
        i.observe_only = true;
        let observed = plan(&i);
        assert!(observed.replace.is_none() && !observed.writes());
        assert!(observed.drift.iter().any(|d| d.field == "autoScalingGroupProvider.autoScalingGroupArn"));
    }

    #[test]
    fn drift_is_corrected_or_reported() {
        let (d, t) = (spec(ASG, 90), ownership());
        let a = Actual { spec: spec(ASG, 50), tags: ownership() };
        let mut i = input(&d, &t, Some(&a));
        i.applied_hash = Some("h2");
        let p = plan(&i);
        assert_eq!((p.update.is_empty(), p.why), (false, Some(Why::DriftCorrected)));
        i.drift_policy = DriftPolicy::Report;
        let p = plan(&i);
        assert!(!p.writes());
        assert_eq!(p.drift[0].field, "autoScalingGroupProvider.managedScaling.targetCapacity");
        assert_eq!((p.drift[0].desired.as_deref(), p.drift[0].actual.as_deref()), (Some("90"), Some("50")));
    }

    #[test]
    fn fixed_managed_instances_fields_require_replacement() {
        use crate::crd::capacity_provider::CapacityOptionType;
        let mut spec = crate::aws::convert::fixtures::full_capacity_provider_spec();
        spec.auto_scaling_group_provider = None;
        let desired = canonical_capacity_provider(&spec);
        assert_eq!(fixed_field_changed(&desired, &desired), None);
        let mut moved = desired.clone();
        moved.cluster = Some("other".into());
        assert_eq!(fixed_field_changed(&desired, &moved), Some("spec.cluster"));
        let mut on_demand = desired.clone();
        if let Some(m) = on_demand.managed_instances_provider.as_mut() {
            m.instance_launch_template.capacity_option_type = Some(CapacityOptionType::OnDemand);
        }
        assert_eq!(
            fixed_field_changed(&desired, &on_demand),
            Some("spec.managedInstancesProvider.instanceLaunchTemplate.capacityOptionType")
        );
        assert_eq!(fixed_field_changed(&desired, &spec_asg()), Some("spec.managedInstancesProvider"));
    }

    fn spec_asg() -> CapacityProviderSpec {
        spec(ASG, 80)
    }
}
