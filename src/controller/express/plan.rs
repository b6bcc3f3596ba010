//! Pure planning for an ECSExpressService: create, one UpdateExpressGatewayService when anything
//! it takes differs, tag changes, replacement when a field the update cannot change differs
//! (cluster, infrastructure role, a task role taken away), and the drift to report instead (see
//! `controller::planning::judge`). No I/O.

use crate::canonical::defaults::EXPRESS_NOT_COMPARED;
use crate::controller::planning::{self, judge};
pub use crate::controller::planning::{Plan, Why};
use crate::crd::common::DriftPolicy;
use crate::crd::express::ECSExpressServiceSpec;

pub type Actual = planning::Actual<ECSExpressServiceSpec>;
pub type PlanInput<'a> = planning::PlanInput<'a, ECSExpressServiceSpec>;

/// The plan; with `held` (ECS rolled the spec's configuration back), differences are recorded
/// as drift and not sent, as under `driftPolicy: Report`, until the spec changes.
pub fn plan(input: &PlanInput<'_>, held: bool) -> Plan {
    if let Some(actual) = input.actual
        && !input.observe_only
        && let Some(field) = fixed_field_changed(input.desired, &actual.spec)
    {
        return Plan { replace: Some(field), ..Default::default() };
    }
    if held && !input.spec_changed() {
        let reporting = PlanInput { drift_policy: DriftPolicy::Report, ..input.clone() };
        return judge(&reporting, EXPRESS_NOT_COMPARED);
    }
    judge(input, EXPRESS_NOT_COMPARED)
}

/// The first field UpdateExpressGatewayService cannot change that differs: the cluster and the
/// infrastructure role are not in the request, and a task role can be replaced but not taken
/// away (a request without one keeps it).
fn fixed_field_changed(desired: &ECSExpressServiceSpec, actual: &ECSExpressServiceSpec) -> Option<&'static str> {
    if desired.cluster != actual.cluster {
        Some("cluster")
    } else if !actual.infrastructure_role_arn.is_empty()
        && desired.infrastructure_role_arn != actual.infrastructure_role_arn
    {
        Some("infrastructureRoleArn")
    } else if desired.task_role_arn.is_none() && actual.task_role_arn.is_some() {
        Some("taskRoleArn")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::express::canonical_express;
    use crate::crd::common::Tags;

    fn spec(image: &str, extra: serde_json::Value) -> ECSExpressServiceSpec {
        let mut v = serde_json::json!({
            "executionRoleArn": "arn:aws:iam::123456789012:role/exec",
            "infrastructureRoleArn": "arn:aws:iam::123456789012:role/infra",
            "primaryContainer": {"image": image},
        });
        if let (Some(v), Some(extra)) = (v.as_object_mut(), extra.as_object()) {
            v.extend(extra.clone());
        }
        let spec = serde_json::from_value(v).unwrap_or_else(|e| panic!("spec: {e}"));
        canonical_express(&spec).unwrap_or_else(|e| panic!("{e}"))
    }

    fn owned() -> Tags {
        [("ecs.operator.dev/owner".to_string(), "ns/web".to_string())].into()
    }

    fn input<'a>(desired: &'a ECSExpressServiceSpec, tags: &'a Tags, actual: Option<&'a Actual>) -> PlanInput<'a> {
        crate::controller::planning::test_input(desired, tags, actual, "h1")
    }

    fn plan_now(input: &PlanInput<'_>) -> Plan {
        plan(input, false)
    }

    #[test]
    fn a_held_rollback_records_the_difference_and_sends_nothing() {
        let (d, t) = (spec("nginx:2", serde_json::json!({})), owned());
        let rolled_back = Actual { spec: spec("nginx:1", serde_json::json!({})), tags: owned() };
        let mut i = input(&d, &t, Some(&rolled_back));
        i.applied_hash = Some("h2");
        let p = plan(&i, true);
        assert!(!p.writes() && p.correction == Default::default(), "{p:?}");
        assert_eq!(p.drift.iter().map(|d| d.field.as_str()).collect::<Vec<_>>(), ["primaryContainer.image"]);
        assert!(plan(&i, false).writes(), "not held, the difference is corrected");
    }

    #[test]
    fn taking_out_what_ecs_chooses_is_sent_or_refused() {
        let t = owned();
        let logs = serde_json::json!({"image": "nginx:1", "awsLogsConfiguration": {"logGroup": "/mine", "logStreamPrefix": "web"}});
        let network = serde_json::json!({"subnets": ["subnet-1"]});
        let a = Actual {
            spec: spec("nginx:1", serde_json::json!({"primaryContainer": logs, "networkConfiguration": network})),
            tags: owned(),
        };
        let d = spec("nginx:1", serde_json::json!({"networkConfiguration": {"subnets": ["subnet-1"]}}));
        let logs_removed = crate::controller::applied::Removals {
            fields: vec!["primaryContainer.awsLogsConfiguration".into()],
            tag_keys: vec![],
        };
        let mut i = input(&d, &t, Some(&a));
        i.removals = &logs_removed;
        assert_eq!(plan(&i, false).update, ["primaryContainer"]);
        let d = spec("nginx:1", serde_json::json!({}));
        let network_removed =
            crate::controller::applied::Removals { fields: vec!["networkConfiguration".into()], tag_keys: vec![] };
        let mut i = input(&d, &t, Some(&a));
        i.removals = &network_removed;
        assert_eq!(plan(&i, false).replace, Some("networkConfiguration"));
    }

    #[test]
    fn a_new_image_is_one_update_and_defaults_are_no_difference() {
        let (d, t) = (spec("nginx:2", serde_json::json!({})), owned());
        let same = Actual {
            spec: spec("nginx:2", serde_json::json!({"cpu": "256", "healthCheckPath": "/ping"})),
            tags: owned(),
        };
        assert_eq!(plan_now(&input(&d, &t, Some(&same))), Plan::default());
        let old = Actual { spec: spec("nginx:1", serde_json::json!({})), tags: owned() };
        let p = plan_now(&input(&d, &t, Some(&old)));
        assert_eq!(p.update, ["primaryContainer"]);
        assert_eq!(p.changed, ["primaryContainer.image"]);
        assert!(plan_now(&input(&d, &t, None)).create);
    }

    #[test]
    fn what_the_update_cannot_change_needs_replacement() {
        let t = owned();
        let d = spec("nginx:1", serde_json::json!({"cluster": "apps"}));
        let a = Actual { spec: spec("nginx:1", serde_json::json!({})), tags: owned() };
        assert_eq!(plan_now(&input(&d, &t, Some(&a))).replace, Some("cluster"));
        let d = spec("nginx:1", serde_json::json!({}));
        let a = Actual {
            spec: spec("nginx:1", serde_json::json!({"taskRoleArn": "arn:aws:iam::123456789012:role/app"})),
            tags: owned(),
        };
        let p = plan_now(&input(&d, &t, Some(&a)));
        assert_eq!(p.replace, Some("taskRoleArn"));
        assert!(!p.writes());
    }

    #[test]
    fn what_ecs_chooses_is_compared_only_when_set() {
        let t = owned();
        let d = spec("nginx:1", serde_json::json!({}));
        let chosen = serde_json::json!({"networkConfiguration": {"subnets": ["subnet-1"], "securityGroups": ["sg-1"]},
            "primaryContainer": {"image": "nginx:1", "awsLogsConfiguration": {"logGroup": "/aws/ecs/default/web", "logStreamPrefix": "ecs"}}});
        let a = Actual { spec: spec("nginx:1", chosen), tags: owned() };
        assert_eq!(plan_now(&input(&d, &t, Some(&a))), Plan::default());
        let pinned = spec("nginx:1", serde_json::json!({"networkConfiguration": {"subnets": ["subnet-2"]}}));
        let p = plan_now(&input(&pinned, &t, Some(&a)));
        assert_eq!(p.update, ["networkConfiguration"]);
    }
}
