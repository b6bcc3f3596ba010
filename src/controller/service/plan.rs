//! Pure planning for an ECSService: create, update (and why), or nothing; drift to report; and
//! fields ECS cannot change in place.

use serde_json::Value;

use crate::canonical::{FieldDiff, diff};
use crate::controller::task_definition::plan::DriftItem;
use crate::crd::common::DriftPolicy;
use crate::crd::service::ECSServiceSpec;

/// Fields ECS cannot change on an existing service.
const IMMUTABLE: &[&str] = &["launchType", "schedulingStrategy"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    None,
    Create,
    /// UpdateService with the whole desired spec; `force` starts a new deployment.
    Update {
        force: bool,
        why: UpdateReason,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateReason {
    SpecChanged,
    DriftCorrected,
    Restart,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePlan {
    pub action: Action,
    /// Differences left in place (Report policy, or a rolled-back revision).
    pub drift: Vec<DriftItem>,
    /// A field that differs and cannot be changed in place.
    pub requires_replacement: Option<String>,
}

pub struct PlanInput<'a> {
    /// Canonical desired spec.
    pub desired: &'a ECSServiceSpec,
    pub desired_hash: &'a str,
    /// Canonical actual spec, when the service exists (ACTIVE).
    pub actual: Option<&'a ECSServiceSpec>,
    /// Hash last applied to ECS (from status).
    pub applied_hash: Option<&'a str>,
    /// A new `restartedAt` value to honour.
    pub restart: bool,
    pub drift_policy: DriftPolicy,
    /// The circuit breaker rolled the desired revision back: pushing it again would loop.
    pub rolled_back: bool,
}

pub fn plan(input: &PlanInput<'_>) -> ServicePlan {
    let Some(actual) = input.actual else {
        return ServicePlan { action: Action::Create, drift: Vec::new(), requires_replacement: None };
    };
    let differences = diff(&to_value(input.desired), &to_value(actual));
    if let Some(d) = differences.iter().find(|d| IMMUTABLE.contains(&d.path.as_str())) {
        return ServicePlan { action: Action::None, drift: Vec::new(), requires_replacement: Some(d.path.clone()) };
    }
    let spec_changed = input.applied_hash != Some(input.desired_hash);
    // After a rollback the task definition difference is the circuit breaker's verdict, not
    // drift: report it, do not redeploy the failing revision until the spec changes.
    let (held, correctable): (Vec<FieldDiff>, Vec<FieldDiff>) =
        differences.into_iter().partition(|d| input.rolled_back && !spec_changed && d.path == "taskDefinition");
    let mut drift: Vec<DriftItem> = held.iter().map(DriftItem::from_diff).collect();
    let action = if !correctable.is_empty() && spec_changed {
        Action::Update { force: input.restart, why: UpdateReason::SpecChanged }
    } else if !correctable.is_empty() && input.drift_policy == DriftPolicy::Correct {
        Action::Update { force: input.restart, why: UpdateReason::DriftCorrected }
    } else {
        drift.extend(correctable.iter().map(DriftItem::from_diff));
        if input.restart { Action::Update { force: true, why: UpdateReason::Restart } } else { Action::None }
    };
    ServicePlan { action, drift, requires_replacement: None }
}

fn to_value(spec: &ECSServiceSpec) -> Value {
    serde_json::to_value(spec).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::service::LaunchType;

    fn spec(count: i32, td: &str) -> ECSServiceSpec {
        ECSServiceSpec { desired_count: Some(count), task_definition: Some(td.into()), ..Default::default() }
    }

    fn input<'a>(
        desired: &'a ECSServiceSpec,
        actual: Option<&'a ECSServiceSpec>,
        applied: Option<&'a str>,
    ) -> PlanInput<'a> {
        PlanInput {
            desired,
            desired_hash: "h2",
            actual,
            applied_hash: applied,
            restart: false,
            drift_policy: DriftPolicy::Correct,
            rolled_back: false,
        }
    }

    #[test]
    fn missing_service_is_created() {
        let d = spec(2, "td:1");
        assert_eq!(plan(&input(&d, None, None)).action, Action::Create);
    }

    #[test]
    fn steady_state_does_nothing() {
        let d = spec(2, "td:1");
        let p = plan(&input(&d, Some(&d), Some("h2")));
        assert_eq!(p.action, Action::None);
        assert!(p.drift.is_empty());
    }

    #[test]
    fn spec_change_updates() {
        let (d, a) = (spec(2, "td:2"), spec(2, "td:1"));
        assert_eq!(
            plan(&input(&d, Some(&a), Some("h1"))).action,
            Action::Update { force: false, why: UpdateReason::SpecChanged }
        );
    }

    #[test]
    fn drift_is_corrected_or_reported() {
        let (d, a) = (spec(2, "td:1"), spec(5, "td:1"));
        let corrected = plan(&input(&d, Some(&a), Some("h2")));
        assert_eq!(corrected.action, Action::Update { force: false, why: UpdateReason::DriftCorrected });
        assert!(corrected.drift.is_empty());
        let mut report = input(&d, Some(&a), Some("h2"));
        report.drift_policy = DriftPolicy::Report;
        let reported = plan(&report);
        assert_eq!(reported.action, Action::None);
        assert_eq!(reported.drift[0].field, "desiredCount");
        assert_eq!(reported.drift[0].actual.as_deref(), Some("5"));
    }

    #[test]
    fn rolled_back_revision_is_not_pushed_again() {
        let (d, a) = (spec(2, "td:2"), spec(2, "td:1"));
        let mut i = input(&d, Some(&a), Some("h2"));
        i.rolled_back = true;
        let p = plan(&i);
        assert_eq!(p.action, Action::None);
        assert_eq!(p.drift[0].field, "taskDefinition");
    }

    #[test]
    fn restart_forces_a_deployment() {
        let d = spec(2, "td:1");
        let mut i = input(&d, Some(&d), Some("h2"));
        i.restart = true;
        assert_eq!(plan(&i).action, Action::Update { force: true, why: UpdateReason::Restart });
    }

    #[test]
    fn launch_type_change_requires_replacement() {
        let mut d = spec(2, "td:1");
        d.launch_type = Some(LaunchType::Ec2);
        let mut a = spec(2, "td:1");
        a.launch_type = Some(LaunchType::Fargate);
        let p = plan(&input(&d, Some(&a), Some("h1")));
        assert_eq!(p.requires_replacement.as_deref(), Some("launchType"));
        assert_eq!(p.action, Action::None);
    }
}
