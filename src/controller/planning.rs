//! What every kind's plan starts from, and the judgement the plans of single named ECS
//! resources (clusters, capacity providers) share: create what is missing, compare what exists,
//! work out the tag changes, and ask the correction gate whether a difference may be written.
//! Pure (no I/O, the clock passed in), but for [`plan_object`], which gathers a plan's input
//! from the object and the context.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde::Serialize;

use super::applied::{Removals, removal_writes, track};
use super::context::Context;
use super::drift::{Backoff, Correction, DriftItem, may_write};
use super::error::Error;
use super::ownership::{check_ownership, owner_of};
use super::tags::{changed_paths, desired_tags, managed_tag_changes, tag_drift};
use crate::canonical::compare;
use crate::canonical::defaults::NotCompared;
use crate::canonical::diff::top_levels;
use crate::crd::common::{AppliedRecord, CorrectionRecord, DriftPolicy, Tags};
use crate::crd::{HasCommonStatus, ManagedObject};

/// The resource as ECS describes it: canonical spec and every tag it carries.
#[derive(Debug, Clone)]
pub struct Actual<S> {
    pub spec: S,
    pub tags: Tags,
}

#[derive(Clone)]
pub struct PlanInput<'a, S> {
    /// Canonical desired spec.
    pub desired: &'a S,
    pub desired_hash: &'a str,
    /// The user's tags plus the ownership tags.
    pub desired_tags: &'a Tags,
    /// `spec.tags` is set: the user owns the whole tag set, so unknown tags are removed. When it
    /// is unset, tags someone else put on the resource are left alone.
    pub manage_user_tags: bool,
    /// What the spec took out of what was last applied (`status.lastApplied`): the tag keys it
    /// dropped are removed even without `spec.tags`.
    pub removals: &'a Removals,
    /// None when the resource does not exist (or is INACTIVE).
    pub actual: Option<&'a Actual<S>>,
    /// Hash last applied to ECS (from status).
    pub applied_hash: Option<&'a str>,
    pub drift_policy: DriftPolicy,
    /// managementPolicy Observe: differences are only reported.
    pub observe_only: bool,
    /// The correction last sent (from status).
    pub correction: Option<&'a CorrectionRecord>,
    pub now: &'a Time,
    /// The correction gate's schedule (from the controller config).
    pub backoff: Backoff,
}

/// What a plan needs from the object itself: its policies, its tags, and what its status
/// recorded (the hash applied, the correction last sent).
pub struct FromObject<'a> {
    pub manage_user_tags: bool,
    pub applied_hash: Option<&'a str>,
    pub drift_policy: DriftPolicy,
    pub observe_only: bool,
    pub correction: Option<&'a CorrectionRecord>,
}

impl<'a> FromObject<'a> {
    pub fn of<K: ManagedObject>(obj: &'a K) -> Self {
        let policies = obj.policies();
        Self {
            manage_user_tags: obj.user_tags().is_some(),
            applied_hash: obj.applied_hash(),
            drift_policy: policies.drift(),
            observe_only: policies.management() == crate::crd::ManagementPolicy::Observe,
            correction: obj.current_status().and_then(|s| s.common().correction.as_ref()),
        }
    }
}

impl<'a, S> PlanInput<'a, S> {
    #[allow(clippy::too_many_arguments)] // the plan's inputs, each named at the one call site
    pub fn new(
        object: FromObject<'a>,
        desired: &'a S,
        desired_hash: &'a str,
        desired_tags: &'a Tags,
        removals: &'a Removals,
        actual: Option<&'a Actual<S>>,
        now: &'a Time,
        backoff: Backoff,
    ) -> Self {
        let FromObject { manage_user_tags, applied_hash, drift_policy, observe_only, correction } = object;
        Self {
            desired,
            desired_hash,
            desired_tags,
            manage_user_tags,
            removals,
            actual,
            applied_hash,
            drift_policy,
            observe_only,
            correction,
            now,
            backoff,
        }
    }

    /// The spec differs from the one last applied: its changes are applied (not corrections).
    pub fn spec_changed(&self) -> bool {
        self.applied_hash != Some(self.desired_hash)
    }

    /// Tags to set and keys to remove on `actual` (see [`managed_tag_changes`]).
    pub fn tag_changes(&self, actual: &Actual<S>) -> (BTreeMap<String, String>, Vec<String>) {
        managed_tag_changes(self.desired_tags, &actual.tags, self.manage_user_tags, &self.removals.tag_keys)
    }
}

/// Plans the resource `what` ("ECS cluster prod") of `obj` with `plan`, as [`Planner::plan_object`]
/// does with the controller's configuration and clock.
pub fn plan_object<K: ManagedObject + kube::Resource, S: Serialize, P>(
    ctx: &Context,
    obj: &K,
    what: &str,
    planned: (&S, &str, &[NotCompared]),
    actual: Option<&Actual<S>>,
    plan: impl FnOnce(&PlanInput<'_, S>) -> P,
) -> Result<(P, AppliedRecord), Error> {
    Planner::of(ctx).plan_object(obj, what, planned, actual, plan)
}

/// What planning takes from outside the object: the operator's cluster id (for the ownership
/// tags), the clock and the correction gate's schedule. The controllers take it from their
/// context; `ecs-operator diff` from its flags, so that it plans with the very same code.
#[derive(Debug, Clone)]
pub struct Planner<'a> {
    pub cluster_id: &'a str,
    pub now: Time,
    pub backoff: Backoff,
}

impl<'a> Planner<'a> {
    pub fn of(ctx: &'a Context) -> Self {
        Self { cluster_id: &ctx.config.cluster_id, now: ctx.now(), backoff: ctx.config.correction_backoff }
    }

    /// Plans the resource `what` of `obj` with `plan`: refuses a resource another owner holds
    /// (unless only observing), and assembles the input from the object (its policies, tags
    /// and status, with what its `status.lastApplied` says was removed), the desired spec and
    /// what ECS has (`actual`). Returns the plan and the record of applying it.
    pub fn plan_object<K: ManagedObject + kube::Resource, S: Serialize, P>(
        &self,
        obj: &K,
        what: &str,
        (desired, desired_hash, not_compared): (&S, &str, &[NotCompared]),
        actual: Option<&Actual<S>>,
        plan: impl FnOnce(&PlanInput<'_, S>) -> P,
    ) -> Result<(P, AppliedRecord), Error> {
        let last_applied = obj.current_status().and_then(|s| s.common().last_applied.as_ref());
        let (record, removals) = track(desired, not_compared, obj.user_tags(), last_applied)?;
        let from = FromObject::of(obj);
        let owner = owner_of(obj);
        // Observe mode only reads: watching a resource someone else manages takes nothing over.
        if let (Some(actual), false) = (actual, from.observe_only) {
            check_ownership(what, &actual.tags, &owner, obj.policies().adopt())?;
        }
        let found = actual.map(|a| &a.tags);
        let desired_tags = desired_tags(obj.user_tags(), &owner, self.cluster_id, found, from.observe_only);
        let input =
            PlanInput::new(from, desired, desired_hash, &desired_tags, &removals, actual, &self.now, self.backoff);
        Ok((plan(&input), record))
    }
}

/// Why a plan writes: decides the event a user sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    SpecChanged,
    DriftCorrected,
}

/// The plan for one named resource: the calls to make and the drift to report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Create it (it is missing and may be created).
    pub create: bool,
    /// Top-level spec fields to update (the kind groups them into its update calls).
    pub update: Vec<String>,
    /// A field ECS cannot change differs: nothing is written, the user must recreate.
    pub replace: Option<&'static str>,
    pub tag: BTreeMap<String, String>,
    pub untag: Vec<String>,
    /// Set when the plan writes anything.
    pub why: Option<Why>,
    /// Spec paths the writes change (for the event).
    pub changed: Vec<String>,
    /// Every difference with an unchanged spec: left in place (Report, Observe, a correction
    /// AWS did not take) or being corrected by the writes.
    pub drift: Vec<DriftItem>,
    /// The correction gate's verdict, kept in status.
    pub correction: Correction,
}

impl Plan {
    /// Whether the plan calls ECS at all.
    pub fn writes(&self) -> bool {
        self.create || !self.update.is_empty() || !self.tag.is_empty() || !self.untag.is_empty()
    }

    /// Whether any field of `group` (top-level names) is updated.
    pub fn updates_any(&self, group: &[&str]) -> bool {
        self.update.iter().any(|f| group.contains(&f.as_str()))
    }

    /// Whether any field outside `group` is updated.
    pub fn updates_other_than(&self, group: &[&str]) -> bool {
        self.update.iter().any(|f| !group.contains(&f.as_str()))
    }
}

/// Judges a resource of `input` against what ECS describes: a missing one is created when the
/// policies allow (or reported as deleted out of band when it once existed); an existing one's
/// differences (but `not_compared`) and tag changes go through the correction gate. A spec
/// change is always applied; Observe never writes; Report only records.
pub fn judge<S: Serialize>(input: &PlanInput<'_, S>, not_compared: &[NotCompared]) -> Plan {
    let spec_changed = input.spec_changed();
    let why = if spec_changed { Why::SpecChanged } else { Why::DriftCorrected };
    let mut plan = Plan::default();
    let Some(actual) = input.actual else {
        if !input.observe_only && (spec_changed || input.drift_policy == DriftPolicy::Correct) {
            plan.create = true;
            plan.why = Some(why);
        } else if input.applied_hash.is_some() {
            // It existed once (a hash was applied) and is gone: deleted out of band.
            plan.drift.push(DriftItem { field: "status".into(), desired: Some("\"ACTIVE\"".into()), actual: None });
        }
        return plan;
    };
    // A field ECS chooses itself that the spec took out since the last apply is a removal: sent
    // when ECS takes it back, refused (RequiresReplacement) when it cannot.
    let actual_json = serde_json::to_value(&actual.spec).unwrap_or_default();
    let removed = removal_writes(&input.removals.fields, &actual_json, not_compared);
    if let Some(path) = removed.replace.as_deref()
        && !input.observe_only
    {
        let field = not_compared.iter().flat_map(|g| g.paths).find(|p| **p == path).copied();
        return Plan { replace: field, ..Plan::default() };
    }
    let mut differences = compare(input.desired, &actual.spec, not_compared);
    differences.extend(removed.diffs);
    let (tag, untag) = input.tag_changes(actual);
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
    plan.update = top_levels(differences.iter().map(|d| d.path.as_str()));
    plan.changed = differences.into_iter().map(|d| d.path).collect();
    plan.changed.extend(changed_paths(&tag, &untag));
    (plan.tag, plan.untag) = (tag, untag);
    plan.why = plan.writes().then_some(why);
    plan
}

/// A plan input for tests: hash "h2" desired, `applied` last applied, Correct, Manage, no
/// correction yet, at 2026-01-01.
#[cfg(test)]
pub fn test_input<'a, S>(
    desired: &'a S,
    tags: &'a Tags,
    actual: Option<&'a Actual<S>>,
    applied: &'a str,
) -> PlanInput<'a, S> {
    static NO_REMOVALS: Removals = Removals { fields: Vec::new(), tag_keys: Vec::new() };
    static NOW: std::sync::LazyLock<Time> =
        std::sync::LazyLock::new(|| Time(k8s_openapi::jiff::Timestamp::from_second(1_767_225_600).unwrap_or_default()));
    PlanInput {
        desired,
        desired_hash: "h2",
        desired_tags: tags,
        manage_user_tags: false,
        removals: &NO_REMOVALS,
        actual,
        applied_hash: Some(applied),
        drift_policy: DriftPolicy::Correct,
        observe_only: false,
        correction: None,
        now: &NOW,
        backoff: Backoff::default(),
    }
}
