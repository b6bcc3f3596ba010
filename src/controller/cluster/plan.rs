//! Pure planning for an ECSCluster: create, which of ECS's two update calls are needed
//! (UpdateCluster for settings, configuration and Service Connect defaults;
//! PutClusterCapacityProviders for providers and the default strategy), tag changes, and the
//! drift to report instead (see `controller::planning::judge`). No I/O.

use crate::canonical::defaults::CLUSTER_NOT_COMPARED;
use crate::controller::planning::{self, judge};
pub use crate::controller::planning::{Plan, Why};
use crate::crd::cluster::ECSClusterSpec;

/// Top-level spec fields that PutClusterCapacityProviders sets; every other canonical field
/// is UpdateCluster's.
pub const CAPACITY_PROVIDER_FIELDS: &[&str] = &["capacityProviders", "defaultCapacityProviderStrategy"];

pub type Actual = planning::Actual<ECSClusterSpec>;
pub type PlanInput<'a> = planning::PlanInput<'a, ECSClusterSpec>;

pub fn plan(input: &PlanInput<'_>) -> Plan {
    judge(input, CLUSTER_NOT_COMPARED)
}

/// Whether the plan calls UpdateCluster.
pub fn updates_cluster(plan: &Plan) -> bool {
    plan.updates_other_than(CAPACITY_PROVIDER_FIELDS)
}

/// Whether the plan calls PutClusterCapacityProviders.
pub fn puts_capacity_providers(plan: &Plan) -> bool {
    plan.updates_any(CAPACITY_PROVIDER_FIELDS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::cluster::canonical_cluster;
    use crate::controller::applied::Removals;
    use crate::crd::cluster::{ClusterSettings, ContainerInsights};
    use crate::crd::common::{DriftPolicy, Tags};
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
        crate::controller::planning::test_input(desired, tags, actual, "h2")
    }

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
        assert_eq!(p, Plan::default());
    }

    #[test]
    fn one_write_per_changed_group() {
        let tags = ownership();
        let d = spec(ContainerInsights::Enhanced, &["FARGATE"]);
        let a = actual(spec(ContainerInsights::Enabled, &["FARGATE"]));
        let mut i = input(&d, &tags, Some(&a));
        i.applied_hash = Some("h1");
        let p = plan(&i);
        assert!(updates_cluster(&p) && !puts_capacity_providers(&p) && p.tag.is_empty());
        assert_eq!((p.why, p.changed.as_slice()), (Some(Why::SpecChanged), &["settings.containerInsights".into()][..]));

        let d = spec(ContainerInsights::Enabled, &["FARGATE", "FARGATE_SPOT"]);
        let p = plan(&input(&d, &tags, Some(&a)));
        assert!(!updates_cluster(&p) && puts_capacity_providers(&p));
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
        assert!(updates_cluster(&plan(&i)));
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
        assert!(!updates_cluster(&p) && !puts_capacity_providers(&p));
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
