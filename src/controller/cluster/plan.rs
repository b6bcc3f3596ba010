//! Pure planning for an ECSCluster: create, which of ECS's two update calls are needed
//! (UpdateCluster for settings, configuration and Service Connect defaults;
//! PutClusterCapacityProviders for providers and the default strategy), tag changes, and the
//! drift to report instead. No I/O.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::canonical::defaults::CLUSTER_NOT_COMPARED;
use crate::canonical::{FieldDiff, compare};
use crate::controller::applied::Removals;
use crate::controller::drift::{Correction, DriftItem, may_write};
use crate::controller::tags::{changed_paths, managed_tag_changes, tag_drift};
use crate::crd::cluster::ECSClusterSpec;
use crate::crd::common::{CorrectionRecord, DriftPolicy, Tags};

/// Top-level spec fields that PutClusterCapacityProviders sets; every other canonical field
/// is UpdateCluster's.
const CAPACITY_PROVIDER_FIELDS: &[&str] = &["capacityProviders", "defaultCapacityProviderStrategy"];

/// Why the plan writes: decides the event a user sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    SpecChanged,
    DriftCorrected,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterPlan {
    pub create: bool,
    pub update_cluster: bool,
    pub put_capacity_providers: bool,
    pub tag: BTreeMap<String, String>,
    pub untag: Vec<String>,
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

impl ClusterPlan {
    pub fn writes(&self) -> bool {
        self.create
            || self.update_cluster
            || self.put_capacity_providers
            || !self.tag.is_empty()
            || !self.untag.is_empty()
    }
}

/// The cluster as ECS describes it: canonical spec and every tag it carries.
#[derive(Debug, Clone)]
pub struct Actual {
    pub spec: ECSClusterSpec,
    pub tags: Tags,
}

pub struct PlanInput<'a> {
    /// Canonical desired spec.
    pub desired: &'a ECSClusterSpec,
    pub desired_hash: &'a str,
    /// The user's tags plus the ownership tags.
    pub desired_tags: &'a Tags,
    /// `spec.tags` is set: the user owns the whole tag set, so unknown tags are removed. When it
    /// is unset, tags someone else put on the cluster are left alone.
    pub manage_user_tags: bool,
    /// What the spec took out of what was last applied (`status.lastApplied`). Only its tag keys
    /// apply: every not-compared cluster field is left as ECS has it when removed.
    pub removals: &'a Removals,
    /// None when the cluster does not exist (or is INACTIVE).
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

pub fn plan(input: &PlanInput<'_>) -> ClusterPlan {
    let spec_changed = input.applied_hash != Some(input.desired_hash);
    // Observe never writes; otherwise a spec change is always applied, drift only under Correct.
    let creatable = !input.observe_only && (spec_changed || input.drift_policy == DriftPolicy::Correct);
    let why = if spec_changed { Why::SpecChanged } else { Why::DriftCorrected };
    let mut plan = ClusterPlan::default();
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
    let differences = compare(input.desired, &actual.spec, CLUSTER_NOT_COMPARED);
    let (mut tag, mut untag) =
        managed_tag_changes(input.desired_tags, &actual.tags, input.manage_user_tags, &input.removals.tag_keys);
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
    let (capacity, settings): (Vec<&FieldDiff>, Vec<&FieldDiff>) =
        differences.iter().partition(|d| CAPACITY_PROVIDER_FIELDS.contains(&d.top_level()));
    plan.update_cluster = !settings.is_empty();
    plan.put_capacity_providers = !capacity.is_empty();
    plan.changed = differences.iter().map(|d| d.path.clone()).collect();
    plan.changed.extend(changed_paths(&tag, &untag));
    plan.tag = std::mem::take(&mut tag);
    plan.untag = std::mem::take(&mut untag);
    plan.why = plan.writes().then_some(why);
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::cluster::canonical_cluster;
    use crate::crd::cluster::{ClusterSettings, ContainerInsights};
    use crate::crd::service::CapacityProviderStrategyItem;

    fn spec(insights: ContainerInsights, providers: &[&str]) -> ECSClusterSpec {
        canonical_cluster(&ECSClusterSpec {
            capacity_providers: Some(providers.iter().map(|p| p.to_string()).collect()),
            default_capacity_provider_strategy: Some(vec![CapacityProviderStrategyItem {
                capacity_provider: "FARGATE".into(),
                weight: Some(1),
                base: None,
            }]),
            settings: Some(ClusterSettings { container_insights: Some(insights) }),
            ..Default::default()
        })
    }

    fn ownership() -> Tags {
        [("ecs.operator.dev/owner".to_string(), "ns/prod".to_string())].into()
    }

    fn actual(spec: ECSClusterSpec) -> Actual {
        Actual { spec, tags: ownership() }
    }

    fn input<'a>(desired: &'a ECSClusterSpec, tags: &'a Tags, actual: Option<&'a Actual>) -> PlanInput<'a> {
        PlanInput {
            desired,
            desired_hash: "h2",
            desired_tags: tags,
            manage_user_tags: false,
            removals: &NO_REMOVALS,
            actual,
            applied_hash: Some("h2"),
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
    fn missing_cluster_is_created_unless_observed() {
        let (d, tags) = (spec(ContainerInsights::Enabled, &["FARGATE"]), ownership());
        let mut i = input(&d, &tags, None);
        i.applied_hash = None;
        assert!(plan(&i).create);
        i.observe_only = true;
        let observed = plan(&i);
        assert!(!observed.writes());
        assert!(observed.drift.is_empty(), "never created: nothing drifted");
    }

    #[test]
    fn equal_cluster_plans_nothing() {
        let (d, tags) = (spec(ContainerInsights::Enabled, &["FARGATE", "FARGATE_SPOT"]), ownership());
        let a = actual(spec(ContainerInsights::Enabled, &["FARGATE_SPOT", "FARGATE"]));
        let p = plan(&input(&d, &tags, Some(&a)));
        assert_eq!(p, ClusterPlan::default());
    }

    #[test]
    fn one_write_per_changed_group() {
        let tags = ownership();
        let d = spec(ContainerInsights::Enhanced, &["FARGATE"]);
        let a = actual(spec(ContainerInsights::Enabled, &["FARGATE"]));
        let mut i = input(&d, &tags, Some(&a));
        i.applied_hash = Some("h1");
        let p = plan(&i);
        assert!(p.update_cluster && !p.put_capacity_providers && p.tag.is_empty());
        assert_eq!((p.why, p.changed.as_slice()), (Some(Why::SpecChanged), &["settings.containerInsights".into()][..]));

        let d = spec(ContainerInsights::Enabled, &["FARGATE", "FARGATE_SPOT"]);
        let p = plan(&input(&d, &tags, Some(&a)));
        assert!(!p.update_cluster && p.put_capacity_providers);
        assert_eq!(p.why, Some(Why::DriftCorrected));
    }

    #[test]
    fn drift_is_reported_under_report_and_observe() {
        let tags = ownership();
        let d = spec(ContainerInsights::Enabled, &["FARGATE"]);
        let a = actual(spec(ContainerInsights::Disabled, &["FARGATE"]));
        let mut i = input(&d, &tags, Some(&a));
        i.drift_policy = DriftPolicy::Report;
        let p = plan(&i);
        assert!(!p.writes());
        assert_eq!(p.drift[0].field, "settings.containerInsights");
        assert_eq!(p.drift[0].actual.as_deref(), Some("\"disabled\""), "an explicit default is a value");
        // A spec change is applied even under Report; Observe never writes.
        i.applied_hash = Some("h1");
        assert!(plan(&i).update_cluster);
        i.observe_only = true;
        assert!(!plan(&i).writes());
    }

    #[test]
    fn deleted_out_of_band_is_recreated_or_reported() {
        let (d, tags) = (spec(ContainerInsights::Enabled, &["FARGATE"]), ownership());
        let mut i = input(&d, &tags, None);
        assert!(plan(&i).create);
        i.drift_policy = DriftPolicy::Report;
        let p = plan(&i);
        assert!(!p.create);
        assert_eq!(p.drift[0].field, "status");
    }

    #[test]
    fn tags_added_and_removed_only_when_the_user_owns_them() {
        let d = spec(ContainerInsights::Enabled, &["FARGATE"]);
        let mut want = ownership();
        want.insert("team".into(), "web".into());
        let mut a = actual(d.clone());
        a.tags.insert("cost-center".into(), "42".into());
        a.tags.insert("aws:cloudformation:stack".into(), "s".into());
        let mut i = input(&d, &want, Some(&a));
        let p = plan(&i);
        assert_eq!(p.tag, [("team".to_string(), "web".to_string())].into());
        assert!(p.untag.is_empty(), "spec.tags unset: foreign tags stay");
        assert!(!p.update_cluster && !p.put_capacity_providers);
        i.manage_user_tags = true;
        assert_eq!(plan(&i).untag, vec!["cost-center".to_string()]);
        i.drift_policy = DriftPolicy::Report;
        let fields: Vec<String> = plan(&i).drift.into_iter().map(|d| d.field).collect();
        assert_eq!(fields, ["tags.team", "tags.cost-center"]);
    }

    #[test]
    fn a_removed_tags_block_untags_the_keys_the_operator_applied_as_a_spec_change() {
        let d = spec(ContainerInsights::Enabled, &["FARGATE"]);
        let mut a = actual(d.clone());
        a.tags.insert("team".into(), "web".into());
        a.tags.insert("cost-center".into(), "42".into());
        let (tags, gone) = (ownership(), Removals { fields: Vec::new(), tag_keys: vec!["team".into()] });
        let mut i = input(&d, &tags, Some(&a));
        i.removals = &gone;
        i.applied_hash = Some("h1");
        i.drift_policy = DriftPolicy::Report;
        let p = plan(&i);
        assert_eq!(p.untag, ["team"], "not the tag someone else put there");
        assert_eq!((p.why, p.drift.len()), (Some(Why::SpecChanged), 0));
        i.observe_only = true;
        let observed = plan(&i);
        assert!(!observed.writes());
        assert_eq!(observed.drift.iter().map(|d| d.field.as_str()).collect::<Vec<_>>(), ["tags.team"]);
    }

    #[test]
    fn top_level_of_paths() {
        assert_eq!(
            crate::canonical::diff::top_level("defaultCapacityProviderStrategy[FARGATE].weight"),
            "defaultCapacityProviderStrategy"
        );
        assert_eq!(
            crate::canonical::diff::top_level("configuration.executeCommandConfiguration.logging"),
            "configuration"
        );
        assert_eq!(crate::canonical::diff::top_level("settings"), "settings");
    }
}
