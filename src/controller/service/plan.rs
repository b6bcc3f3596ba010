//! Pure planning for an ECSService: create, update (which fields), tag changes, or nothing;
//! why it writes; the drift to report; fields ECS cannot change in place; and whether a drift
//! correction may go out again (see `controller::drift`).

use std::collections::BTreeMap;

use crate::canonical::defaults::SERVICE_NOT_COMPARED;
use crate::canonical::diff::{top_level, top_levels};
use crate::canonical::{FieldDiff, compare};
use crate::controller::applied::removal_writes;
use crate::controller::drift::DriftItem;
use crate::controller::drift::{Correction, may_write};
use crate::controller::planning;
use crate::controller::tags::{managed_tag_changes, tag_drift};
use crate::crd::service::ECSServiceSpec;

/// What ECS restores with the task definition when a deployment rolls back (the deployment's
/// own configuration).
const ROLLED_BACK_TOGETHER: &[&str] =
    &["taskDefinition", "serviceConnectConfiguration", "volumeConfigurations", "vpcLatticeConfigurations"];

/// Fields ECS cannot change on an existing service.
const IMMUTABLE: &[&str] = &["launchType", "schedulingStrategy"];

/// The CreateService or UpdateService call the plan makes, if any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Action {
    #[default]
    None,
    Create,
    /// UpdateService with the top-level `fields` that differ, each sent whole; `force` starts a
    /// new deployment.
    Update {
        force: bool,
        fields: Vec<String>,
    },
}

/// Why the plan writes to an existing service: decides the event a user sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateReason {
    SpecChanged,
    DriftCorrected,
    Restart,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServicePlan {
    pub action: Action,
    /// Tags to set with TagResource (sent before any UpdateService: adopting, this is the
    /// owner tag) and keys to remove with UntagResource.
    pub tag: BTreeMap<String, String>,
    pub untag: Vec<String>,
    /// Set when the plan updates or tags an existing service.
    pub why: Option<UpdateReason>,
    /// Every difference with an unchanged spec: left in place (Report, Observe, a rolled-back
    /// revision, a correction AWS did not take) or being corrected by this plan's write.
    pub drift: Vec<DriftItem>,
    /// A field that differs and cannot be changed in place.
    pub requires_replacement: Option<String>,
    /// The correction gate's verdict, kept in status.
    pub correction: Correction,
}

impl ServicePlan {
    /// Whether the plan calls ECS at all.
    pub fn writes(&self) -> bool {
        self.action != Action::None || !self.tag.is_empty() || !self.untag.is_empty()
    }

    /// Whether the plan's write sends the Service Connect configuration (a create does).
    pub fn names_namespace(&self) -> bool {
        match &self.action {
            Action::Create => true,
            Action::Update { fields, .. } => fields.iter().any(|f| f == "serviceConnectConfiguration"),
            Action::None => false,
        }
    }

    /// The spec paths an update or retag writes, for the event.
    pub fn changed(&self) -> Vec<String> {
        let fields = match &self.action {
            Action::Update { fields, .. } => fields.clone(),
            _ => Vec::new(),
        };
        fields.into_iter().chain(crate::controller::tags::changed_paths(&self.tag, &self.untag)).collect()
    }

    /// Writes `fields` (UpdateService, also when `force` alone asks for a deployment) and the
    /// tag changes, for `why`.
    fn write(
        &mut self,
        force: bool,
        fields: Vec<String>,
        tags: (BTreeMap<String, String>, Vec<String>),
        why: UpdateReason,
    ) {
        if force || !fields.is_empty() {
            self.action = Action::Update { force, fields };
        }
        (self.tag, self.untag) = tags;
        self.why = self.writes().then_some(why);
    }
}

pub type Actual = planning::Actual<ECSServiceSpec>;

/// What a service's plan starts from: what every kind's does, plus a restart to honour and the
/// rollback the circuit breaker made.
pub struct PlanInput<'a> {
    pub common: planning::PlanInput<'a, ECSServiceSpec>,
    /// A new `restartedAt` value to honour.
    pub restart: bool,
    /// The circuit breaker rolled the desired revision back: pushing it again would loop.
    pub rolled_back: bool,
}

/// What differs between the spec and the service, removals included; or the field that differs
/// and cannot be changed in place.
fn differences(input: &PlanInput<'_>, actual: &Actual) -> Result<Vec<FieldDiff>, String> {
    // Fields ECS chooses itself are not compared when the spec leaves them out; one the spec
    // took out since the last apply is a removal to carry out all the same.
    let actual_json = serde_json::to_value(&actual.spec).unwrap_or_default();
    let removed = removal_writes(&input.common.removals.fields, &actual_json, SERVICE_NOT_COMPARED);
    if let Some(path) = removed.replace {
        return Err(path);
    }
    let mut differences = compare(input.common.desired, &actual.spec, SERVICE_NOT_COMPARED);
    differences.extend(removed.diffs);
    let immutable = differences.iter().find(|d| IMMUTABLE.contains(&d.path.as_str()));
    // UpdateService cannot take an awsvpc configuration away from a service that has one.
    let unset_network = differences.iter().find(|d| d.path == "networkConfiguration" && d.desired.is_none());
    match immutable.or(unset_network) {
        Some(d) => Err(d.path.clone()),
        None => Ok(differences),
    }
}

pub fn plan(input: &PlanInput<'_>) -> ServicePlan {
    let mut plan = ServicePlan::default();
    let Some(actual) = input.common.actual else {
        plan.action = Action::Create;
        return plan;
    };
    let differences = match differences(input, actual) {
        Ok(differences) => differences,
        Err(field) => {
            plan.requires_replacement = Some(field);
            return plan;
        }
    };
    let spec_changed = input.common.spec_changed();
    // After a rollback the task definition difference is the circuit breaker's verdict, not
    // drift: report it, do not redeploy the failing revision until the spec changes. The
    // attachments ECS rolled back with it are held the same way.
    let (held, correctable): (Vec<FieldDiff>, Vec<FieldDiff>) = differences
        .into_iter()
        .partition(|d| input.rolled_back && !spec_changed && ROLLED_BACK_TOGETHER.contains(&top_level(&d.path)));
    plan.drift = held.iter().map(DriftItem::from_diff).collect();
    let (tag, untag) = managed_tag_changes(
        input.common.desired_tags,
        &actual.tags,
        input.common.manage_user_tags,
        &input.common.removals.tag_keys,
    );
    let fields = top_levels(correctable.iter().map(|d| d.path.as_str()));
    let items: Vec<DriftItem> =
        correctable.iter().map(DriftItem::from_diff).chain(tag_drift(&tag, &untag, &actual.tags)).collect();
    let (write, verdict) = may_write(
        spec_changed,
        input.common.observe_only,
        input.common.drift_policy,
        input.common.correction,
        &items,
        input.common.now,
        input.common.backoff,
    );
    if write && spec_changed && !items.is_empty() {
        plan.write(input.restart, fields, (tag, untag), UpdateReason::SpecChanged);
        return plan;
    }
    plan.correction = verdict;
    if plan.correction.sends() {
        plan.write(input.restart, fields, (tag, untag), UpdateReason::DriftCorrected);
    } else if input.restart && !input.common.observe_only {
        plan.write(true, Vec::new(), Default::default(), UpdateReason::Restart);
    }
    plan.drift.extend(items);
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::service::canonical_service;
    use crate::controller::applied::Removals;
    use crate::crd::common::{DriftPolicy, Tags, tags};
    use crate::crd::service::LaunchType;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    fn spec(count: i32, td: &str) -> ECSServiceSpec {
        canonical_service(&ECSServiceSpec { desired_count: Some(count), ..Default::default() }, Some(td), false)
    }

    fn now() -> Time {
        Time("2026-01-01T00:00:00Z".parse().expect("time"))
    }

    fn ownership() -> Tags {
        crate::controller::ownership::ownership_tags("ns/web", "k8s")
    }

    fn with(mut t: Tags, pairs: &[(&str, &str)]) -> Tags {
        t.extend(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        t
    }

    /// A service ECS reports with the ownership tags.
    fn owned(spec: ECSServiceSpec) -> Actual {
        Actual { spec, tags: ownership() }
    }

    static OWNERSHIP: std::sync::LazyLock<Tags> = std::sync::LazyLock::new(ownership);
    static NO_REMOVALS: Removals = Removals { fields: Vec::new(), tag_keys: Vec::new() };

    fn input<'a>(
        desired: &'a ECSServiceSpec,
        actual: Option<&'a Actual>,
        applied: Option<&'a str>,
        now: &'a Time,
    ) -> PlanInput<'a> {
        let common = planning::PlanInput {
            desired,
            desired_hash: "h2",
            desired_tags: &OWNERSHIP,
            manage_user_tags: false,
            removals: &NO_REMOVALS,
            actual,
            applied_hash: applied,
            drift_policy: DriftPolicy::Correct,
            observe_only: false,
            correction: None,
            now,
            backoff: Default::default(),
        };
        PlanInput { common, restart: false, rolled_back: false }
    }

    fn update(fields: &[&str]) -> Action {
        Action::Update { force: false, fields: fields.iter().map(|f| f.to_string()).collect() }
    }

    #[test]
    fn missing_service_is_created() {
        let (d, t) = (spec(2, "td:1"), now());
        assert_eq!(plan(&input(&d, None, None, &t)).action, Action::Create);
    }

    #[test]
    fn steady_state_does_nothing() {
        let (d, t) = (spec(2, "td:1"), now());
        let a = owned(d.clone());
        let p = plan(&input(&d, Some(&a), Some("h2"), &t));
        assert!(!p.writes(), "{p:?}");
        assert!(p.drift.is_empty());
        assert_eq!(p.correction, Correction::None);
    }

    #[test]
    fn spec_change_updates_only_the_changed_fields() {
        let (d, a, t) = (spec(2, "td:2"), owned(spec(2, "td:1")), now());
        let p = plan(&input(&d, Some(&a), Some("h1"), &t));
        assert_eq!((p.action, p.why), (update(&["taskDefinition"]), Some(UpdateReason::SpecChanged)));
        assert!(p.tag.is_empty() && p.untag.is_empty());
    }

    #[test]
    fn drift_is_corrected_and_listed_or_only_reported() {
        let (d, a, t) = (spec(2, "td:1"), owned(spec(5, "td:1")), now());
        let corrected = plan(&input(&d, Some(&a), Some("h2"), &t));
        assert_eq!((corrected.action, corrected.why), (update(&["desiredCount"]), Some(UpdateReason::DriftCorrected)));
        assert_eq!(corrected.drift.len(), 1, "a correction's fields are in status.drift");
        assert!(corrected.correction.sends());
        let mut report = input(&d, Some(&a), Some("h2"), &t);
        report.common.drift_policy = DriftPolicy::Report;
        let reported = plan(&report);
        assert!(!reported.writes());
        assert_eq!(reported.drift[0].field, "desiredCount");
        assert_eq!(reported.drift[0].actual.as_deref(), Some("5"));
        let mut observe = input(&d, Some(&a), Some("h2"), &t);
        observe.common.observe_only = true;
        assert!(!plan(&observe).writes());
    }

    #[test]
    fn a_correction_aws_does_not_take_is_not_resent_every_poll() {
        let (d, a, t) = (spec(2, "td:1"), owned(spec(5, "td:1")), now());
        let first = plan(&input(&d, Some(&a), Some("h2"), &t));
        let record = first.correction.record().cloned().expect("record");
        let later = Time("2026-01-01T00:00:21Z".parse().expect("time"));
        let mut again = input(&d, Some(&a), Some("h2"), &later);
        again.common.correction = Some(&record);
        let p = plan(&again);
        assert!(!p.writes(), "inside the back-off");
        assert_eq!(p.drift.len(), 1);
    }

    #[test]
    fn turning_a_setting_back_to_its_default_is_a_change() {
        let t = now();
        let on = ECSServiceSpec { enable_execute_command: Some(true), ..Default::default() };
        let off = ECSServiceSpec { enable_execute_command: Some(false), ..Default::default() };
        let (actual, desired) =
            (owned(canonical_service(&on, Some("td:1"), false)), canonical_service(&off, Some("td:1"), false));
        let p = plan(&input(&desired, Some(&actual), Some("h1"), &t));
        assert_eq!((p.action, p.why), (update(&["enableExecuteCommand"]), Some(UpdateReason::SpecChanged)));
        let omitted = canonical_service(&ECSServiceSpec::default(), Some("td:1"), false);
        assert_eq!(omitted, desired, "omitted and explicit default are one value");
    }

    #[test]
    fn rolled_back_revision_is_not_pushed_again() {
        let (d, a, t) = (spec(2, "td:2"), owned(spec(2, "td:1")), now());
        let mut i = input(&d, Some(&a), Some("h2"), &t);
        i.rolled_back = true;
        let p = plan(&i);
        assert!(!p.writes());
        assert_eq!(p.drift[0].field, "taskDefinition");
    }

    #[test]
    fn attachments_rolled_back_with_the_revision_are_held_too() {
        use crate::crd::service::VpcLatticeConfiguration;
        let t = now();
        let mut d = spec(2, "td:2");
        d.vpc_lattice_configurations =
            Some(vec![VpcLatticeConfiguration { port_name: "http".into(), ..Default::default() }]);
        let mut a = owned(spec(2, "td:1"));
        a.spec.desired_count = Some(3);
        let mut i = input(&d, Some(&a), Some("h2"), &t);
        i.rolled_back = true;
        let p = plan(&i);
        assert_eq!(p.action, update(&["desiredCount"]), "only the drift the rollback did not make is corrected");
        let held: Vec<&str> = p.drift.iter().map(|d| d.field.as_str()).collect();
        assert!(
            held.contains(&"taskDefinition") && held.iter().any(|f| f.starts_with("vpcLatticeConfigurations")),
            "{held:?}"
        );
    }

    #[test]
    fn restart_forces_a_deployment() {
        let (d, t) = (spec(2, "td:1"), now());
        let a = owned(d.clone());
        let mut i = input(&d, Some(&a), Some("h2"), &t);
        i.restart = true;
        let p = plan(&i);
        assert_eq!((p.action, p.why), (Action::Update { force: true, fields: vec![] }, Some(UpdateReason::Restart)));
    }

    #[test]
    fn launch_type_change_requires_replacement() {
        let t = now();
        let mut d = spec(2, "td:1");
        d.launch_type = Some(LaunchType::Ec2);
        let mut a = owned(spec(2, "td:1"));
        a.spec.launch_type = Some(LaunchType::Fargate);
        let p = plan(&input(&d, Some(&a), Some("h1"), &t));
        assert_eq!(p.requires_replacement.as_deref(), Some("launchType"));
        assert!(!p.writes());
    }

    #[test]
    fn adopting_a_matching_service_only_tags_it() {
        let (d, t) = (spec(2, "td:1"), now());
        let untagged = Actual { spec: d.clone(), tags: with(Tags::new(), &[("aws:cloudformation:stack", "s")]) };
        // First reconcile of the object: no hash applied yet.
        let p = plan(&input(&d, Some(&untagged), None, &t));
        assert_eq!(p.action, Action::None, "no UpdateService for a service that matches");
        assert_eq!(p.tag, ownership());
        assert!(p.untag.is_empty(), "aws: keys are never touched");
        assert_eq!(p.why, Some(UpdateReason::SpecChanged));
        assert!(p.drift.is_empty(), "claiming the service is not drift");
        assert_eq!(p.changed(), ["tags.ecs.operator.dev/cluster-id", "tags.ecs.operator.dev/owner"]);
    }

    #[test]
    fn a_tag_edit_is_a_spec_change_applied_under_report_too() {
        let (d, t) = (spec(2, "td:1"), now());
        let a = Actual { spec: d.clone(), tags: with(ownership(), &[("team", "web"), ("tier", "1")]) };
        let want = with(ownership(), &[("team", "api"), ("cost", "42")]);
        let mut i = input(&d, Some(&a), Some("h1"), &t);
        i.common.desired_tags = &want;
        i.common.manage_user_tags = true;
        i.common.drift_policy = DriftPolicy::Report;
        let p = plan(&i);
        assert_eq!(p.action, Action::None);
        assert_eq!(p.tag, with(Tags::new(), &[("team", "api"), ("cost", "42")]));
        assert_eq!(p.untag, ["tier"]);
        assert_eq!(p.why, Some(UpdateReason::SpecChanged));
        assert!(p.drift.is_empty());
        // Without spec.tags the user does not own the tag set: others' tags stay.
        i.common.manage_user_tags = false;
        assert!(plan(&i).untag.is_empty());
    }

    #[test]
    fn out_of_band_tag_changes_are_drift_corrected_through_the_gate() {
        let (d, t) = (spec(2, "td:1"), now());
        let want = with(ownership(), &[("team", "web")]);
        // Someone removed `team` and the cluster-id tag, and added `x`.
        let a = Actual { spec: d.clone(), tags: with(Tags::new(), &[(tags::OWNER, "ns/web"), ("x", "1")]) };
        let mut i = input(&d, Some(&a), Some("h2"), &t);
        i.common.desired_tags = &want;
        i.common.manage_user_tags = true;
        let p = plan(&i);
        assert_eq!(p.action, Action::None, "tags only: no UpdateService");
        assert_eq!(p.tag, with(Tags::new(), &[(tags::OWNER_CLUSTER, "k8s"), ("team", "web")]));
        assert_eq!(p.untag, ["x"]);
        assert_eq!(p.why, Some(UpdateReason::DriftCorrected));
        let fields: Vec<&str> = p.drift.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["tags.ecs.operator.dev/cluster-id", "tags.team", "tags.x"]);
        // The same correction again inside the back-off: recorded, not sent.
        let record = p.correction.record().cloned().expect("record");
        let later = Time("2026-01-01T00:00:10Z".parse().expect("time"));
        i.common.correction = Some(&record);
        i.common.now = &later;
        let again = plan(&i);
        assert!(!again.writes() && again.drift.len() == 3, "{again:?}");
        // Report and Observe only record.
        i.common.correction = None;
        i.common.drift_policy = DriftPolicy::Report;
        assert!(!plan(&i).writes());
        i.common.drift_policy = DriftPolicy::Correct;
        i.common.observe_only = true;
        let observed = plan(&i);
        assert!(!observed.writes() && observed.drift.len() == 3);
    }

    #[test]
    fn fields_and_tags_go_out_together() {
        let (d, a, t) = (spec(3, "td:1"), owned(spec(2, "td:1")), now());
        let want = with(ownership(), &[("team", "web")]);
        let mut i = input(&d, Some(&a), Some("h1"), &t);
        i.common.desired_tags = &want;
        let p = plan(&i);
        assert_eq!(p.action, update(&["desiredCount"]));
        assert_eq!(p.changed(), ["desiredCount", "tags.team"]);
    }

    fn removed(fields: &[&str], tag_keys: &[&str]) -> Removals {
        Removals {
            fields: fields.iter().map(|f| f.to_string()).collect(),
            tag_keys: tag_keys.iter().map(|k| k.to_string()).collect(),
        }
    }

    /// A Fargate service as ECS describes it after `spec`, with `platformVersion` and security
    /// groups of its own.
    fn fargate(spec: ECSServiceSpec) -> ECSServiceSpec {
        use crate::crd::service::{AwsVpcConfiguration, NetworkConfiguration};
        let network = NetworkConfiguration {
            awsvpc_configuration: AwsVpcConfiguration {
                subnets: vec!["subnet-a".into()],
                security_groups: spec
                    .network_configuration
                    .as_ref()
                    .and_then(|n| n.awsvpc_configuration.security_groups.clone()),
                assign_public_ip: None,
            },
        };
        let spec = ECSServiceSpec { desired_count: Some(1), network_configuration: Some(network), ..spec };
        canonical_service(&spec, Some("td:1"), false)
    }

    #[test]
    fn a_removed_platform_version_is_sent_once_and_only_while_ecs_still_has_it() {
        let t = now();
        let desired = fargate(ECSServiceSpec { launch_type: Some(LaunchType::Fargate), ..Default::default() });
        let pinned = ECSServiceSpec { platform_version: Some("1.4.0".into()), ..desired.clone() };
        let a = owned(pinned);
        let gone = removed(&["platformVersion"], &[]);
        let mut i = input(&desired, Some(&a), Some("h1"), &t);
        assert!(!plan(&i).writes(), "without the record the field is not compared");
        i.common.removals = &gone;
        let p = plan(&i);
        assert_eq!((p.action, p.why), (update(&["platformVersion"]), Some(UpdateReason::SpecChanged)));
        // Observe: reported as a difference, Ready cannot be True over it.
        i.common.observe_only = true;
        let observed = plan(&i);
        assert!(!observed.writes());
        assert_eq!(observed.drift.iter().map(|d| d.field.as_str()).collect::<Vec<_>>(), ["platformVersion"]);
        assert_eq!(observed.drift[0].actual.as_deref(), Some("\"1.4.0\""));
        // ECS already on LATEST (canonical absent): nothing to send.
        let latest = owned(desired.clone());
        let mut done = input(&desired, Some(&latest), Some("h1"), &t);
        done.common.removals = &gone;
        assert!(!plan(&done).writes());
    }

    #[test]
    fn removed_security_groups_send_the_network_configuration_without_them() {
        use crate::crd::service::{AwsVpcConfiguration, NetworkConfiguration};
        let t = now();
        let desired = fargate(ECSServiceSpec::default());
        let with_groups = ECSServiceSpec {
            network_configuration: Some(NetworkConfiguration {
                awsvpc_configuration: AwsVpcConfiguration {
                    subnets: vec!["subnet-a".into()],
                    security_groups: Some(vec!["sg-1".into()]),
                    assign_public_ip: None,
                },
            }),
            ..ECSServiceSpec::default()
        };
        let a = owned(fargate(with_groups));
        let gone = removed(&["networkConfiguration.awsvpcConfiguration.securityGroups"], &[]);
        let mut i = input(&desired, Some(&a), Some("h1"), &t);
        i.common.removals = &gone;
        let p = plan(&i);
        assert_eq!(p.action, update(&["networkConfiguration"]));
        assert_eq!(p.changed(), ["networkConfiguration"]);
    }

    #[test]
    fn a_removed_capacity_provider_strategy_without_launch_type_requires_replacement() {
        use crate::crd::service::CapacityProviderStrategyItem;
        let t = now();
        let desired = fargate(ECSServiceSpec::default());
        let strategy = vec![CapacityProviderStrategyItem {
            capacity_provider: "FARGATE_SPOT".into(),
            weight: Some(1),
            base: None,
        }];
        let a = owned(fargate(ECSServiceSpec { capacity_provider_strategy: Some(strategy), ..Default::default() }));
        let gone = removed(&["capacityProviderStrategy", "platformVersion"], &["team"]);
        let mut i = input(&desired, Some(&a), Some("h1"), &t);
        i.common.removals = &gone;
        let p = plan(&i);
        assert_eq!(p.requires_replacement.as_deref(), Some("capacityProviderStrategy"));
        assert!(!p.writes(), "nothing is half-changed: {p:?}");
    }

    #[test]
    fn a_removed_tags_block_untags_only_the_keys_the_operator_applied() {
        let (d, t) = (spec(2, "td:1"), now());
        let a = Actual { spec: d.clone(), tags: with(ownership(), &[("team", "web"), ("someone-else", "x")]) };
        let gone = removed(&[], &["team", "tier"]);
        let mut i = input(&d, Some(&a), Some("h1"), &t);
        i.common.removals = &gone;
        let p = plan(&i);
        assert_eq!((p.action, p.untag.as_slice()), (Action::None, &["team".to_string()][..]));
        assert!(p.tag.is_empty());
        assert_eq!(p.why, Some(UpdateReason::SpecChanged));
    }
}
