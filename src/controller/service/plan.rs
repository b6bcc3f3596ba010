//! Pure planning for an ECSService: create, update (which fields), tag changes, or nothing;
//! why it writes; the drift to report; fields ECS cannot change in place; and whether a drift
//! correction may go out again (see `controller::drift`).

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::canonical::defaults::SERVICE_NOT_COMPARED;
use crate::canonical::diff::top_levels;
use crate::canonical::{FieldDiff, compare};
use crate::controller::applied::{Removals, removal_writes};
use crate::controller::drift::DriftItem;
use crate::controller::drift::{Correction, may_write};
use crate::controller::tags::{managed_tag_changes, tag_drift};
use crate::crd::common::{CorrectionRecord, DriftPolicy, Tags};
use crate::crd::service::ECSServiceSpec;

/// Fields ECS cannot change on an existing service.
const IMMUTABLE: &[&str] = &["launchType", "schedulingStrategy"];

/// The CreateService or UpdateService call the plan makes, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
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

#[derive(Debug, Clone, PartialEq, Eq)]
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

/// The service as ECS describes it: canonical spec and every tag it carries.
#[derive(Debug, Clone)]
pub struct Actual {
    pub spec: ECSServiceSpec,
    pub tags: Tags,
}

pub struct PlanInput<'a> {
    /// Canonical desired spec.
    pub desired: &'a ECSServiceSpec,
    pub desired_hash: &'a str,
    /// The user's tags plus the ownership tags.
    pub desired_tags: &'a Tags,
    /// `spec.tags` is set: the user owns the whole tag set, so unknown tags are removed. When it
    /// is unset, tags someone else put on the service are left alone.
    pub manage_user_tags: bool,
    /// What the spec took out of what was last applied (`status.lastApplied`).
    pub removals: &'a Removals,
    /// The service as ECS describes it, when it exists (ACTIVE).
    pub actual: Option<&'a Actual>,
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
        tag: BTreeMap::new(),
        untag: Vec::new(),
        why: None,
        drift: Vec::new(),
        requires_replacement: None,
        correction: Correction::None,
    };
    let Some(actual) = input.actual else {
        plan.action = Action::Create;
        return plan;
    };
    // Fields ECS chooses itself are not compared when the spec leaves them out; one the spec
    // took out since the last apply is a removal to carry out all the same.
    let actual_json = serde_json::to_value(&actual.spec).unwrap_or_default();
    let removed = removal_writes(&input.removals.fields, &actual_json, SERVICE_NOT_COMPARED);
    if let Some(path) = removed.replace {
        plan.requires_replacement = Some(path);
        return plan;
    }
    let mut differences = compare(input.desired, &actual.spec, SERVICE_NOT_COMPARED);
    differences.extend(removed.diffs);
    if let Some(d) = differences.iter().find(|d| IMMUTABLE.contains(&d.path.as_str())) {
        plan.requires_replacement = Some(d.path.clone());
        return plan;
    }
    // UpdateService cannot take an awsvpc configuration away from a service that has one.
    if let Some(d) = differences.iter().find(|d| d.path == "networkConfiguration" && d.desired.is_none()) {
        plan.requires_replacement = Some(d.path.clone());
        return plan;
    }
    let spec_changed = input.applied_hash != Some(input.desired_hash);
    // After a rollback the task definition difference is the circuit breaker's verdict, not
    // drift: report it, do not redeploy the failing revision until the spec changes.
    let (held, correctable): (Vec<FieldDiff>, Vec<FieldDiff>) =
        differences.into_iter().partition(|d| input.rolled_back && !spec_changed && d.path == "taskDefinition");
    plan.drift = held.iter().map(DriftItem::from_diff).collect();
    let (tag, untag) =
        managed_tag_changes(input.desired_tags, &actual.tags, input.manage_user_tags, &input.removals.tag_keys);
    let fields = top_levels(correctable.iter().map(|d| d.path.as_str()));
    let items: Vec<DriftItem> =
        correctable.iter().map(DriftItem::from_diff).chain(tag_drift(&tag, &untag, &actual.tags)).collect();
    let (write, verdict) = may_write(
        spec_changed,
        input.observe_only,
        input.drift_policy,
        input.correction,
        &items,
        input.now,
        input.backoff,
    );
    if write && spec_changed && !items.is_empty() {
        plan.write(input.restart, fields, (tag, untag), UpdateReason::SpecChanged);
        return plan;
    }
    plan.correction = verdict;
    if plan.correction.sends() {
        plan.write(input.restart, fields, (tag, untag), UpdateReason::DriftCorrected);
    } else if input.restart && !input.observe_only {
        plan.write(true, Vec::new(), Default::default(), UpdateReason::Restart);
    }
    plan.drift.extend(items);
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::service::canonical_service;
    use crate::crd::common::tags;
    use crate::crd::service::LaunchType;

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
        PlanInput {
            desired,
            desired_hash: "h2",
            desired_tags: &OWNERSHIP,
            manage_user_tags: false,
            removals: &NO_REMOVALS,
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
        report.drift_policy = DriftPolicy::Report;
        let reported = plan(&report);
        assert!(!reported.writes());
        assert_eq!(reported.drift[0].field, "desiredCount");
        assert_eq!(reported.drift[0].actual.as_deref(), Some("5"));
        let mut observe = input(&d, Some(&a), Some("h2"), &t);
        observe.observe_only = true;
        assert!(!plan(&observe).writes());
    }

    #[test]
    fn a_correction_aws_does_not_take_is_not_resent_every_poll() {
        let (d, a, t) = (spec(2, "td:1"), owned(spec(5, "td:1")), now());
        let first = plan(&input(&d, Some(&a), Some("h2"), &t));
        let record = first.correction.record().cloned().expect("record");
        let later = Time("2026-01-01T00:00:21Z".parse().expect("time"));
        let mut again = input(&d, Some(&a), Some("h2"), &later);
        again.correction = Some(&record);
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
        i.desired_tags = &want;
        i.manage_user_tags = true;
        i.drift_policy = DriftPolicy::Report;
        let p = plan(&i);
        assert_eq!(p.action, Action::None);
        assert_eq!(p.tag, with(Tags::new(), &[("team", "api"), ("cost", "42")]));
        assert_eq!(p.untag, ["tier"]);
        assert_eq!(p.why, Some(UpdateReason::SpecChanged));
        assert!(p.drift.is_empty());
        // Without spec.tags the user does not own the tag set: others' tags stay.
        i.manage_user_tags = false;
        assert!(plan(&i).untag.is_empty());
    }

    #[test]
    fn out_of_band_tag_changes_are_drift_corrected_through_the_gate() {
        let (d, t) = (spec(2, "td:1"), now());
        let want = with(ownership(), &[("team", "web")]);
        // Someone removed `team` and the cluster-id tag, and added `x`.
        let a = Actual { spec: d.clone(), tags: with(Tags::new(), &[(tags::OWNER, "ns/web"), ("x", "1")]) };
        let mut i = input(&d, Some(&a), Some("h2"), &t);
        i.desired_tags = &want;
        i.manage_user_tags = true;
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
        i.correction = Some(&record);
        i.now = &later;
        let again = plan(&i);
        assert!(!again.writes() && again.drift.len() == 3, "{again:?}");
        // Report and Observe only record.
        i.correction = None;
        i.drift_policy = DriftPolicy::Report;
        assert!(!plan(&i).writes());
        i.drift_policy = DriftPolicy::Correct;
        i.observe_only = true;
        let observed = plan(&i);
        assert!(!observed.writes() && observed.drift.len() == 3);
    }

    #[test]
    fn fields_and_tags_go_out_together() {
        let (d, a, t) = (spec(3, "td:1"), owned(spec(2, "td:1")), now());
        let want = with(ownership(), &[("team", "web")]);
        let mut i = input(&d, Some(&a), Some("h1"), &t);
        i.desired_tags = &want;
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
        i.removals = &gone;
        let p = plan(&i);
        assert_eq!((p.action, p.why), (update(&["platformVersion"]), Some(UpdateReason::SpecChanged)));
        // Observe: reported as a difference, Ready cannot be True over it.
        i.observe_only = true;
        let observed = plan(&i);
        assert!(!observed.writes());
        assert_eq!(observed.drift.iter().map(|d| d.field.as_str()).collect::<Vec<_>>(), ["platformVersion"]);
        assert_eq!(observed.drift[0].actual.as_deref(), Some("\"1.4.0\""));
        // ECS already on LATEST (canonical absent): nothing to send.
        let latest = owned(desired.clone());
        let mut done = input(&desired, Some(&latest), Some("h1"), &t);
        done.removals = &gone;
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
        i.removals = &gone;
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
        i.removals = &gone;
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
        i.removals = &gone;
        let p = plan(&i);
        assert_eq!((p.action, p.untag.as_slice()), (Action::None, &["team".to_string()][..]));
        assert!(p.tag.is_empty());
        assert_eq!(p.why, Some(UpdateReason::SpecChanged));
    }
}
