//! Pure planning for a CapacityProvider: create, one UpdateCapacityProvider when a managed
//! setting differs, tag changes, replacement when the Auto Scaling group differs (ECS cannot
//! change it), and the drift to report instead. No I/O.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::canonical::compare;
use crate::canonical::defaults::CAPACITY_PROVIDER_NOT_COMPARED;
use crate::controller::applied::Removals;
use crate::controller::drift::{Correction, DriftItem, may_write};
use crate::controller::tags::{changed_paths, managed_tag_changes, tag_drift};
use crate::crd::capacity_provider::CapacityProviderSpec;
use crate::crd::common::{CorrectionRecord, DriftPolicy, Tags};

/// The spec path ECS fixes at create.
pub const ASG_ARN_FIELD: &str = "spec.autoScalingGroupProvider.autoScalingGroupArn";

/// Why the plan writes: decides the event a user sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    SpecChanged,
    DriftCorrected,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderPlan {
    pub create: bool,
    pub update: bool,
    pub tag: BTreeMap<String, String>,
    pub untag: Vec<String>,
    /// A field ECS cannot change differs: nothing is written, the user must recreate.
    pub replace: Option<&'static str>,
    /// Set when the plan writes anything.
    pub why: Option<Why>,
    /// Spec paths the writes change (for the event).
    pub changed: Vec<String>,
    /// Every difference with an unchanged spec: left in place (Report, Observe, a correction
    /// AWS did not take) or being corrected by this plan's writes.
    pub drift: Vec<DriftItem>,
    /// The correction gate's verdict, kept in status.
    pub correction: Correction,
}

impl ProviderPlan {
    pub fn writes(&self) -> bool {
        self.create || self.update || !self.tag.is_empty() || !self.untag.is_empty()
    }
}

/// The provider as ECS describes it: canonical spec and every tag it carries.
#[derive(Debug, Clone)]
pub struct Actual {
    pub spec: CapacityProviderSpec,
    pub tags: Tags,
}

pub struct PlanInput<'a> {
    /// Canonical desired spec.
    pub desired: &'a CapacityProviderSpec,
    pub desired_hash: &'a str,
    /// The user's tags plus the ownership tags.
    pub desired_tags: &'a Tags,
    /// `spec.tags` is set: unknown tags are removed. Unset: others' tags are left alone.
    pub manage_user_tags: bool,
    /// What the spec took out of what was last applied (`status.lastApplied`): its tag keys.
    pub removals: &'a Removals,
    /// None when the provider does not exist (or is INACTIVE).
    pub actual: Option<&'a Actual>,
    /// Hash last applied to ECS (from status).
    pub applied_hash: Option<&'a str>,
    pub drift_policy: DriftPolicy,
    pub observe_only: bool,
    /// The correction last sent (from status).
    pub correction: Option<&'a CorrectionRecord>,
    pub now: &'a Time,
    /// The correction gate's schedule (from the controller config).
    pub backoff: crate::controller::drift::Backoff,
}

pub fn plan(input: &PlanInput<'_>) -> ProviderPlan {
    let spec_changed = input.applied_hash != Some(input.desired_hash);
    // Observe never writes; otherwise a spec change is always applied, drift only under Correct.
    let creatable = !input.observe_only && (spec_changed || input.drift_policy == DriftPolicy::Correct);
    let why = if spec_changed { Why::SpecChanged } else { Why::DriftCorrected };
    let mut plan = ProviderPlan::default();
    let Some(actual) = input.actual else {
        if creatable {
            plan.create = true;
            plan.why = Some(why);
        } else if input.applied_hash.is_some() {
            // It existed once (a hash was applied) and is gone: deleted out of band.
            plan.drift.push(DriftItem { field: "status".into(), desired: Some("\"ACTIVE\"".into()), actual: None });
        }
        return plan;
    };
    let differences = compare(input.desired, &actual.spec, CAPACITY_PROVIDER_NOT_COMPARED);
    let (tag, untag) =
        managed_tag_changes(input.desired_tags, &actual.tags, input.manage_user_tags, &input.removals.tag_keys);
    let asg_differs = input.desired.auto_scaling_group_provider.auto_scaling_group_arn
        != actual.spec.auto_scaling_group_provider.auto_scaling_group_arn;
    if asg_differs && !input.observe_only {
        plan.replace = Some(ASG_ARN_FIELD);
        return plan;
    }
    let items: Vec<DriftItem> =
        differences.iter().map(DriftItem::from_diff).chain(tag_drift(&tag, &untag, &actual.tags)).collect();
    let (write, correction) = may_write(
        spec_changed,
        input.observe_only,
        input.drift_policy,
        input.correction,
        &items,
        input.now,
        input.backoff,
    );
    plan.correction = correction;
    // A spec change being applied is not drift; anything left in place, or corrected, is.
    if !spec_changed || !write {
        plan.drift = items;
    }
    if !write {
        return plan;
    }
    plan.update = !differences.is_empty();
    plan.changed = differences.iter().map(|d| d.path.clone()).collect();
    plan.changed.extend(changed_paths(&tag, &untag));
    plan.tag = tag;
    plan.untag = untag;
    plan.why = plan.writes().then_some(why);
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::capacity_provider::canonical_capacity_provider;
    use crate::crd::capacity_provider::{AutoScalingGroupProvider, ManagedScaling, Toggle};

    const ASG: &str = "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1:autoScalingGroupName/a";

    fn spec(asg: &str, target: i32) -> CapacityProviderSpec {
        canonical_capacity_provider(&CapacityProviderSpec {
            name: None,
            auto_scaling_group_provider: AutoScalingGroupProvider {
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
            },
            tags: None,
            policies: Default::default(),
        })
    }

    fn ownership() -> Tags {
        [("ecs.operator.dev/owner".to_string(), "ns/batch".to_string())].into()
    }

    fn input<'a>(desired: &'a CapacityProviderSpec, tags: &'a Tags, actual: Option<&'a Actual>) -> PlanInput<'a> {
        PlanInput {
            desired,
            desired_hash: "h2",
            desired_tags: tags,
            manage_user_tags: false,
            removals: &NO_REMOVALS,
            actual,
            applied_hash: Some("h1"),
            drift_policy: DriftPolicy::Correct,
            observe_only: false,
            correction: None,
            now: &NOW,
            backoff: Default::default(),
        }
    }

    static NO_REMOVALS: Removals = Removals { fields: Vec::new(), tag_keys: Vec::new() };

    static NOW: std::sync::LazyLock<Time> =
        std::sync::LazyLock::new(|| Time("2026-01-01T00:00:00Z".parse().expect("time")));

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
        assert_eq!(plan(&input(&d, &t, Some(&a))), ProviderPlan::default());
        let a = Actual { spec: spec(ASG, 100), tags: ownership() };
        let p = plan(&input(&d, &t, Some(&a)));
        assert!(p.update && p.tag.is_empty() && p.replace.is_none());
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
        assert_eq!((p.update, p.why), (true, Some(Why::DriftCorrected)));
        i.drift_policy = DriftPolicy::Report;
        let p = plan(&i);
        assert!(!p.writes());
        assert_eq!(p.drift[0].field, "autoScalingGroupProvider.managedScaling.targetCapacity");
        assert_eq!((p.drift[0].desired.as_deref(), p.drift[0].actual.as_deref()), (Some("90"), Some("50")));
    }
}
