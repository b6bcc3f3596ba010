//! Pure planning for an ECSService: create, update (which fields, and why), or nothing; the
//! drift to report; fields ECS cannot change in place; and whether a drift correction may go
//! out again (see `controller::drift`).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::canonical::defaults::SERVICE_NOT_COMPARED;
use crate::canonical::{FieldDiff, compare};
use crate::controller::drift::{Correction, correction};
use crate::controller::task_definition::plan::DriftItem;
use crate::crd::common::{CorrectionRecord, DriftPolicy};
use crate::crd::service::ECSServiceSpec;

/// Fields ECS cannot change on an existing service.
const IMMUTABLE: &[&str] = &["launchType", "schedulingStrategy"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    None,
    Create,
    /// UpdateService with the top-level `fields` that differ, each sent whole; `force` starts a
    /// new deployment.
    Update {
        force: bool,
        why: UpdateReason,
        fields: Vec<String>,
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
    /// Every difference with an unchanged spec: left in place (Report, Observe, a rolled-back
    /// revision, a correction AWS did not take) or being corrected by this plan's write.
    pub drift: Vec<DriftItem>,
    /// A field that differs and cannot be changed in place.
    pub requires_replacement: Option<String>,
    /// The correction gate's verdict, kept in status.
    pub correction: Correction,
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
    /// managementPolicy Observe: differences are only reported.
    pub observe_only: bool,
    /// The circuit breaker rolled the desired revision back: pushing it again would loop.
    pub rolled_back: bool,
    /// The correction last sent (from status).
    pub correction: Option<&'a CorrectionRecord>,
    pub now: &'a Time,
    /// The correction gate's schedule (from the controller config).
    pub backoff: crate::controller::drift::Backoff,
}

pub fn plan(input: &PlanInput<'_>) -> ServicePlan {
    let mut plan = ServicePlan {
        action: Action::None,
        drift: Vec::new(),
        requires_replacement: None,
        correction: Correction::None,
    };
    let Some(actual) = input.actual else {
        plan.action = Action::Create;
        return plan;
    };
    let differences = compare(input.desired, actual, SERVICE_NOT_COMPARED);
    if let Some(d) = differences.iter().find(|d| IMMUTABLE.contains(&d.path.as_str())) {
        plan.requires_replacement = Some(d.path.clone());
        return plan;
    }
    let spec_changed = input.applied_hash != Some(input.desired_hash);
    // After a rollback the task definition difference is the circuit breaker's verdict, not
    // drift: report it, do not redeploy the failing revision until the spec changes.
    let (held, correctable): (Vec<FieldDiff>, Vec<FieldDiff>) =
        differences.into_iter().partition(|d| input.rolled_back && !spec_changed && d.path == "taskDefinition");
    plan.drift = held.iter().map(DriftItem::from_diff).collect();
    let fields = top_level_fields(&correctable);
    let items: Vec<DriftItem> = correctable.iter().map(DriftItem::from_diff).collect();
    let may_write = !input.observe_only;
    if !correctable.is_empty() && spec_changed && may_write {
        plan.action = Action::Update { force: input.restart, why: UpdateReason::SpecChanged, fields };
        return plan;
    }
    if may_write && input.drift_policy == DriftPolicy::Correct {
        plan.correction = correction(input.correction, &items, input.now, input.backoff);
    }
    if plan.correction.sends() {
        plan.action = Action::Update { force: input.restart, why: UpdateReason::DriftCorrected, fields };
    } else if input.restart && may_write {
        plan.action = Action::Update { force: true, why: UpdateReason::Restart, fields: Vec::new() };
    }
    plan.drift.extend(items);
    plan
}

fn top_level_fields(differences: &[FieldDiff]) -> Vec<String> {
    let mut fields: Vec<String> = differences.iter().map(|d| d.top_level().to_owned()).collect();
    fields.sort();
    fields.dedup();
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::service::canonical_service;
    use crate::crd::service::LaunchType;

    fn spec(count: i32, td: &str) -> ECSServiceSpec {
        canonical_service(&ECSServiceSpec { desired_count: Some(count), ..Default::default() }, Some(td), false)
    }

    fn now() -> Time {
        Time("2026-01-01T00:00:00Z".parse().expect("time"))
    }

    fn input<'a>(
        desired: &'a ECSServiceSpec,
        actual: Option<&'a ECSServiceSpec>,
        applied: Option<&'a str>,
        now: &'a Time,
    ) -> PlanInput<'a> {
        PlanInput {
            desired,
            desired_hash: "h2",
            actual,
            applied_hash: applied,
            restart: false,
            drift_policy: DriftPolicy::Correct,
            observe_only: false,
            rolled_back: false,
            correction: None,
            now,
            backoff: Default::default(),
        }
    }

    fn update(why: UpdateReason, fields: &[&str]) -> Action {
        Action::Update { force: false, why, fields: fields.iter().map(|f| f.to_string()).collect() }
    }

    #[test]
    fn missing_service_is_created() {
        let (d, t) = (spec(2, "td:1"), now());
        assert_eq!(plan(&input(&d, None, None, &t)).action, Action::Create);
    }

    #[test]
    fn steady_state_does_nothing() {
        let (d, t) = (spec(2, "td:1"), now());
        let p = plan(&input(&d, Some(&d), Some("h2"), &t));
        assert_eq!(p.action, Action::None);
        assert!(p.drift.is_empty());
        assert_eq!(p.correction, Correction::None);
    }

    #[test]
    fn spec_change_updates_only_the_changed_fields() {
        let (d, a, t) = (spec(2, "td:2"), spec(2, "td:1"), now());
        assert_eq!(
            plan(&input(&d, Some(&a), Some("h1"), &t)).action,
            update(UpdateReason::SpecChanged, &["taskDefinition"])
        );
    }

    #[test]
    fn drift_is_corrected_and_listed_or_only_reported() {
        let (d, a, t) = (spec(2, "td:1"), spec(5, "td:1"), now());
        let corrected = plan(&input(&d, Some(&a), Some("h2"), &t));
        assert_eq!(corrected.action, update(UpdateReason::DriftCorrected, &["desiredCount"]));
        assert_eq!(corrected.drift.len(), 1, "a correction's fields are in status.drift");
        assert!(corrected.correction.sends());
        let mut report = input(&d, Some(&a), Some("h2"), &t);
        report.drift_policy = DriftPolicy::Report;
        let reported = plan(&report);
        assert_eq!(reported.action, Action::None);
        assert_eq!(reported.drift[0].field, "desiredCount");
        assert_eq!(reported.drift[0].actual.as_deref(), Some("5"));
        let mut observe = input(&d, Some(&a), Some("h2"), &t);
        observe.observe_only = true;
        assert_eq!(plan(&observe).action, Action::None);
    }

    #[test]
    fn a_correction_aws_does_not_take_is_not_resent_every_poll() {
        let (d, a, t) = (spec(2, "td:1"), spec(5, "td:1"), now());
        let first = plan(&input(&d, Some(&a), Some("h2"), &t));
        let record = first.correction.record().cloned().expect("record");
        let later = Time("2026-01-01T00:00:21Z".parse().expect("time"));
        let mut again = input(&d, Some(&a), Some("h2"), &later);
        again.correction = Some(&record);
        let p = plan(&again);
        assert_eq!(p.action, Action::None, "inside the back-off");
        assert_eq!(p.drift.len(), 1);
    }

    #[test]
    fn turning_a_setting_back_to_its_default_is_a_change() {
        let t = now();
        let on = ECSServiceSpec { enable_execute_command: Some(true), ..Default::default() };
        let off = ECSServiceSpec { enable_execute_command: Some(false), ..Default::default() };
        let (actual, desired) =
            (canonical_service(&on, Some("td:1"), false), canonical_service(&off, Some("td:1"), false));
        let p = plan(&input(&desired, Some(&actual), Some("h1"), &t));
        assert_eq!(p.action, update(UpdateReason::SpecChanged, &["enableExecuteCommand"]));
        let omitted = canonical_service(&ECSServiceSpec::default(), Some("td:1"), false);
        assert_eq!(omitted, desired, "omitted and explicit default are one value");
    }

    #[test]
    fn rolled_back_revision_is_not_pushed_again() {
        let (d, a, t) = (spec(2, "td:2"), spec(2, "td:1"), now());
        let mut i = input(&d, Some(&a), Some("h2"), &t);
        i.rolled_back = true;
        let p = plan(&i);
        assert_eq!(p.action, Action::None);
        assert_eq!(p.drift[0].field, "taskDefinition");
    }

    #[test]
    fn restart_forces_a_deployment() {
        let (d, t) = (spec(2, "td:1"), now());
        let mut i = input(&d, Some(&d), Some("h2"), &t);
        i.restart = true;
        assert_eq!(plan(&i).action, Action::Update { force: true, why: UpdateReason::Restart, fields: vec![] });
    }

    #[test]
    fn launch_type_change_requires_replacement() {
        let t = now();
        let mut d = spec(2, "td:1");
        d.launch_type = Some(LaunchType::Ec2);
        let mut a = spec(2, "td:1");
        a.launch_type = Some(LaunchType::Fargate);
        let p = plan(&input(&d, Some(&a), Some("h1"), &t));
        assert_eq!(p.requires_replacement.as_deref(), Some("launchType"));
        assert_eq!(p.action, Action::None);
    }
}
