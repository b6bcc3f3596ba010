//! What a reconcile's sync step hands to its status step, the same shape for every kind that
//! manages one named ECS resource: what ECS described, the drift, the correction gate's verdict
//! and the hash applied; and what follows from it (the conditions every kind reports alike,
//! when to look again).

use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::runtime::controller::Action;

use super::conditions::{ConditionSpec, DEGRADED, PROGRESSING, READY};
use super::context::Context;
use super::drift::{Correction, DriftItem, common_status, requeue_after};
use super::error::Error;
use crate::crd::HasCommonStatus;
use crate::crd::common::AppliedRecord;

/// What a successful sync (observe → plan → execute) found.
pub struct Synced<R> {
    /// The resource as ECS last described or answered it; None when it does not exist.
    pub described: Option<R>,
    pub drift: Vec<DriftItem>,
    pub correction: Correction,
    /// The spec hash now applied (None: keep the one in status).
    pub applied_hash: Option<String>,
    /// What this reconcile applied, for `status.lastApplied` (None: nothing was; keep it).
    pub applied: Option<AppliedRecord>,
}

/// What the status step builds from: where the reconcile got to (`stage`, per kind) and the
/// sync's findings, or its error.
pub struct Outcome<'a, S> {
    /// None when the reconcile failed before it knew.
    pub stage: Option<S>,
    pub drift: &'a [DriftItem],
    /// The correction gate's verdict; None when the reconcile did not plan.
    pub correction: Option<&'a Correction>,
    pub applied_hash: Option<&'a str>,
    /// What this reconcile applied (`status.lastApplied`); None: keep the last record.
    pub applied: Option<&'a AppliedRecord>,
    pub observe_only: bool,
    pub error: Option<&'a Error>,
}

impl<'a, S> Outcome<'a, S> {
    /// The outcome of a sync, with `stage` read from its findings.
    pub fn of<R>(
        result: &'a Result<Synced<R>, Error>,
        observe_only: bool,
        stage: impl FnOnce(&'a Synced<R>) -> S,
    ) -> Self {
        match result {
            Ok(synced) => Self {
                stage: Some(stage(synced)),
                drift: &synced.drift,
                correction: Some(&synced.correction),
                applied_hash: synced.applied_hash.as_deref(),
                applied: synced.applied.as_ref(),
                observe_only,
                error: None,
            },
            Err(error) => Self::failed(error, observe_only),
        }
    }

    /// A reconcile that failed before it knew where it stood.
    pub fn failed(error: &'a Error, observe_only: bool) -> Self {
        let (drift, correction, applied_hash, applied) = (&[][..], None, None, None);
        Self { stage: None, drift, correction, applied_hash, applied, observe_only, error: Some(error) }
    }

    /// A stage reached without a sync (a wait, a blocked deletion): nothing planned.
    pub fn at(stage: S, observe_only: bool) -> Self {
        let (drift, correction, applied_hash, applied) = (&[][..], None, None, None);
        Self { stage: Some(stage), drift, correction, applied_hash, applied, observe_only, error: None }
    }
}

/// An outcome for tests: `stage` reached with `drift`, hash "h1" applied, nothing failed.
#[cfg(test)]
pub fn observed<'a, S>(stage: S, drift: &'a [DriftItem]) -> Outcome<'a, S> {
    let (correction, applied) = (None, None);
    Outcome {
        stage: Some(stage),
        drift,
        correction,
        applied_hash: Some("h1"),
        applied,
        observe_only: false,
        error: None,
    }
}

/// A condition's status and reason in `status`, for tests.
#[cfg(test)]
pub fn condition<'a, S: crate::crd::HasCommonStatus>(status: &'a S, type_: &str) -> (&'a str, &'a str) {
    let found = status.common().conditions.as_ref().and_then(|cs| cs.iter().find(|c| c.type_ == type_));
    found.map_or(("", ""), |c| (c.status.as_str(), c.reason.as_str()))
}

/// The status of a kind that manages one named resource: `described` (what ECS reported, in
/// the kind's status fields; None while failing or waiting, when the last status is kept as
/// the best knowledge), with the hash applied (`spec_hash` picks the field) and the conditions.
pub fn status<S, St>(
    previous: Option<&S>,
    described: Option<S>,
    generation: Option<i64>,
    o: &Outcome<'_, St>,
    conditions: Vec<ConditionSpec>,
    now: &Time,
    spec_hash: impl Fn(&mut S) -> &mut Option<String>,
) -> S
where
    S: HasCommonStatus + Default,
{
    let mut prev = previous.cloned().unwrap_or_default();
    let mut status = described.unwrap_or_else(|| prev.clone());
    let applied = o.applied_hash.map(str::to_owned).or_else(|| spec_hash(&mut prev).clone());
    *spec_hash(&mut status) = applied;
    *status.common_mut() = common_status(prev.common(), generation, conditions, o.drift, o.correction, o.applied, now);
    status
}

/// Why a resource the spec names is not in ECS and is not created.
pub fn missing_message(what: &str, observe_only: bool) -> String {
    if observe_only {
        format!("{what} does not exist; managementPolicy is Observe, so it is not created")
    } else {
        format!("{what} does not exist; driftPolicy is Report, so it is not recreated")
    }
}

/// When to look again after a successful sync: at the rollout pace while ECS is still moving
/// the resource, else on the drift schedule (see [`requeue_after`]).
pub fn requeue(ctx: &Context, moving: bool, correction: &Correction) -> Action {
    let steady: Duration = ctx.config.resync_interval;
    if moving {
        return Action::requeue(ctx.config.rollout_poll_interval);
    }
    Action::requeue(requeue_after(correction, steady, ctx.config.rollout_poll_interval, &ctx.now()))
}

/// Ready, Progressing and Degraded.
pub type Conditions = (ConditionSpec, ConditionSpec, ConditionSpec);

/// Not Ready for `reason`, nothing moving, nothing failed.
pub fn not_ready(reason: &str, message: &str) -> Conditions {
    (ConditionSpec::new(READY, false, reason, message), idle(), healthy())
}

/// Ready when ECS reports the resource ACTIVE and nothing differs from the spec; Drifted when
/// something does. `what` names it ("ECS cluster prod").
pub fn active(what: &str, drift: &[DriftItem]) -> Conditions {
    if drift.is_empty() {
        return (ConditionSpec::new(READY, true, "Active", format!("{what} is ACTIVE")), idle(), healthy());
    }
    let fields: Vec<&str> = drift.iter().map(|d| d.field.as_str()).collect();
    not_ready("Drifted", &format!("{what} differs from the spec in {}", fields.join(", ")))
}

/// Not Ready with the error that kept the reconcile from knowing more.
pub fn failed(error: Option<&Error>) -> Conditions {
    let why = error.map(|e| e.to_string()).unwrap_or_default();
    not_ready(error.map(Error::reason).unwrap_or("Unknown"), &why)
}

pub fn idle() -> ConditionSpec {
    ConditionSpec::new(PROGRESSING, false, "Idle", "")
}

pub fn healthy() -> ConditionSpec {
    ConditionSpec::new(DEGRADED, false, "Healthy", "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_is_ready_only_without_drift_and_names_what_differs() {
        let (ready, progressing, degraded) = active("ECS cluster prod", &[]);
        assert_eq!((ready.status, ready.reason.as_str()), (true, "Active"));
        assert!(!progressing.status && !degraded.status);
        let drift = [DriftItem { field: "settings.containerInsights".into(), desired: None, actual: None }];
        let (ready, ..) = active("ECS cluster prod", &drift);
        assert_eq!((ready.status, ready.reason.as_str()), (false, "Drifted"));
        assert_eq!(ready.message, "ECS cluster prod differs from the spec in settings.containerInsights");
    }

    #[test]
    fn a_failed_sync_keeps_no_findings() {
        let error = Error::InvalidSpec("spec.x".into());
        let result: Result<Synced<()>, Error> = Err(Error::InvalidSpec("spec.x".into()));
        let outcome: Outcome<'_, ()> = Outcome::of(&result, false, |_| ());
        assert!(outcome.stage.is_none() && outcome.correction.is_none() && outcome.error.is_some());
        assert_eq!(failed(Some(&error)).0.reason, error.reason());
        assert!(missing_message("ECS cluster a", true).contains("managementPolicy is Observe"));
        assert!(missing_message("ECS cluster a", false).contains("driftPolicy is Report"));
    }
}
