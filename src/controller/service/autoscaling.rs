//! `spec.autoscaling`: the scalable target and target-tracking policies in Application Auto
//! Scaling. While set, desiredCount belongs to the scaler (the service plan leaves it out).

use crate::aws::autoscaling::{ScalableTarget, TargetTracking};
use crate::controller::Context;
use crate::controller::error::Error;
use crate::crd::service::Autoscaling;

/// Writes that bring Application Auto Scaling in line with the spec.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AutoscalingPlan {
    pub register: Option<ScalableTarget>,
    pub put: Vec<TargetTracking>,
    pub delete: Vec<String>,
}

impl AutoscalingPlan {
    pub fn writes(&self) -> bool {
        self.register.is_some() || !self.put.is_empty() || !self.delete.is_empty()
    }
}

pub fn desired_policies(spec: &Autoscaling) -> Vec<TargetTracking> {
    spec.target_tracking
        .iter()
        .flatten()
        .map(|p| TargetTracking {
            name: p.name.clone(),
            // The serde names of ScalingMetric are the predefined metric types.
            metric: serde_json::to_value(p.metric).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
            target_value: p.target_value,
            resource_label: p.resource_label.clone(),
            scale_in_cooldown: p.scale_in_cooldown,
            scale_out_cooldown: p.scale_out_cooldown,
            disable_scale_in: p.disable_scale_in.unwrap_or(false),
        })
        .collect()
}

pub fn plan(spec: &Autoscaling, target: Option<ScalableTarget>, policies: &[TargetTracking]) -> AutoscalingPlan {
    let wanted = ScalableTarget { min: spec.min_capacity, max: spec.max_capacity };
    let desired = desired_policies(spec);
    AutoscalingPlan {
        register: (target != Some(wanted)).then_some(wanted),
        put: desired.iter().filter(|d| !policies.contains(d)).cloned().collect(),
        delete: policies.iter().filter(|a| !desired.iter().any(|d| d.name == a.name)).map(|a| a.name.clone()).collect(),
    }
}

/// Brings autoscaling in line; returns the resource id registered now (None when unset).
pub async fn sync(
    ctx: &Context,
    resource_id: &str,
    spec: Option<&Autoscaling>,
    previously_registered: Option<&str>,
) -> Result<Option<String>, Error> {
    let api = ctx.autoscaling.as_ref();
    let Some(spec) = spec else {
        // Autoscaling was removed from the spec: the target (and its policies) go too.
        if let Some(old) = previously_registered {
            api.deregister_target(old).await?;
        }
        return Ok(None);
    };
    let target = api.describe_target(resource_id).await?;
    // Policies only exist on a registered target.
    let policies = if target.is_some() { api.describe_policies(resource_id).await? } else { Vec::new() };
    let plan = plan(spec, target, &policies);
    if let Some(t) = plan.register {
        api.register_target(resource_id, t).await?;
    }
    for policy in &plan.put {
        api.put_policy(resource_id, policy).await?;
    }
    for name in &plan.delete {
        api.delete_policy(resource_id, name).await?;
    }
    Ok(Some(resource_id.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::service::{ScalingMetric, TargetTrackingPolicy};

    fn spec() -> Autoscaling {
        Autoscaling {
            min_capacity: 2,
            max_capacity: 10,
            target_tracking: Some(vec![TargetTrackingPolicy {
                name: "cpu".into(),
                metric: ScalingMetric::Cpu,
                target_value: 60.0,
                ..Default::default()
            }]),
        }
    }

    #[test]
    fn first_time_registers_target_and_policy() {
        let p = plan(&spec(), None, &[]);
        assert_eq!(p.register, Some(ScalableTarget { min: 2, max: 10 }));
        assert_eq!(p.put.len(), 1);
        assert_eq!(p.put[0].metric, "ECSServiceAverageCPUUtilization");
    }

    #[test]
    fn in_line_plans_nothing_and_extra_policies_go() {
        let desired = desired_policies(&spec());
        let p = plan(&spec(), Some(ScalableTarget { min: 2, max: 10 }), &desired);
        assert!(!p.writes(), "{p:?}");
        let mut actual = desired.clone();
        actual.push(TargetTracking { name: "old".into(), ..desired[0].clone() });
        actual[0].target_value = 70.0;
        let p = plan(&spec(), Some(ScalableTarget { min: 1, max: 10 }), &actual);
        assert_eq!(p.register, Some(ScalableTarget { min: 2, max: 10 }));
        assert_eq!(p.put[0].target_value, 60.0);
        assert_eq!(p.delete, vec!["old".to_string()]);
    }
}
