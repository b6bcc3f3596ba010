//! Builds a CapacityProvider's status: what ECS reports (ARN, name, status, update status)
//! and the four conditions. Pure: the clock is passed in.

use aws_sdk_ecs::types::CapacityProvider;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::controller::conditions::{self, ConditionSpec, DEGRADED, PROGRESSING, READY};
use crate::controller::drift::DriftItem;
use crate::controller::outcome::{self, Conditions, active, healthy, idle, not_ready};
use crate::crd::capacity_provider::CapacityProvider as CapacityProviderObject;
use crate::crd::capacity_provider::CapacityProviderStatus;
use kube::Resource;

pub use crate::controller::deletion::DELETION_BLOCKED;

/// Where the reconcile got to.
pub enum Stage<'a> {
    /// The provider as ECS reports it (not INACTIVE).
    Observed(&'a CapacityProvider),
    /// No provider in ECS (not created: Observe mode, or deleted out of band under Report).
    Missing(&'a str),
    /// Deletion waits: a cluster still uses the provider.
    DeletionBlocked { provider: &'a CapacityProvider, message: &'a str },
}

pub type Outcome<'a> = outcome::Outcome<'a, Stage<'a>>;

pub fn build(
    previous: Option<&CapacityProviderStatus>,
    generation: Option<i64>,
    o: &Outcome<'_>,
    now: &Time,
) -> CapacityProviderStatus {
    let described = match &o.stage {
        Some(Stage::Observed(p) | Stage::DeletionBlocked { provider: p, .. }) => Some(from_provider(p)),
        Some(Stage::Missing(_)) => Some(CapacityProviderStatus::default()),
        None => None,
    };
    outcome::status(previous, described, generation, o, condition_specs(o), now, |s| &mut s.spec_hash)
}

/// The status while deletion waits for the clusters using `provider`, saying `message`.
pub fn blocked(
    obj: &CapacityProviderObject,
    provider: &CapacityProvider,
    message: &str,
    now: &Time,
) -> CapacityProviderStatus {
    let outcome = Outcome::at(Stage::DeletionBlocked { provider, message }, false);
    build(obj.status.as_ref(), obj.meta().generation, &outcome, now)
}

fn from_provider(p: &CapacityProvider) -> CapacityProviderStatus {
    CapacityProviderStatus {
        capacity_provider_arn: p.capacity_provider_arn().map(str::to_owned),
        name: p.name().map(str::to_owned),
        status: p.status().map(|s| s.as_str().to_owned()),
        update_status: p.update_status().map(|s| s.as_str().to_owned()),
        update_status_reason: p.update_status_reason().map(str::to_owned),
        type_: p.r#type().map(|t| t.as_str().to_owned()),
        cluster: p.cluster().map(str::to_owned),
        ..Default::default()
    }
}

fn condition_specs(o: &Outcome<'_>) -> Vec<ConditionSpec> {
    let synced = conditions::synced(o.error, o.observe_only);
    let (ready, progressing, degraded) = match &o.stage {
        Some(Stage::Observed(p)) => observed_conditions(p, o.drift),
        Some(Stage::Missing(why)) => not_ready("NotFound", why),
        Some(Stage::DeletionBlocked { message, .. }) => not_ready(DELETION_BLOCKED, message),
        None => outcome::failed(o.error),
    };
    vec![ready, synced, progressing, degraded]
}

/// Ready only when ECS says ACTIVE, the last update did not fail, and nothing differs.
fn observed_conditions(p: &CapacityProvider, drift: &[DriftItem]) -> Conditions {
    let what = format!("capacity provider {}", p.name().unwrap_or_default());
    let status = p.status().map(|s| s.as_str()).unwrap_or_default();
    let update = p.update_status().map(|s| s.as_str()).unwrap_or_default();
    let reason = p.update_status_reason().unwrap_or("no reason given");
    if update.ends_with("_FAILED") {
        let message = format!("{what}: {update} ({reason})");
        return (
            ConditionSpec::new(READY, false, "UpdateFailed", message.clone()),
            idle(),
            ConditionSpec::new(DEGRADED, true, "UpdateFailed", message),
        );
    }
    if update.ends_with("_IN_PROGRESS") || status == "PROVISIONING" {
        let message = format!("{what} is {}", if update.is_empty() { status } else { update });
        return (
            ConditionSpec::new(READY, false, "InProgress", message.clone()),
            ConditionSpec::new(PROGRESSING, true, "InProgress", message),
            healthy(),
        );
    }
    match status {
        "ACTIVE" => active(&what, drift),
        other => not_ready("NotActive", &format!("{what} is {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controller::conditions::SYNCED;
    use crate::controller::error::Error;
    use aws_sdk_ecs::types::{CapacityProviderStatus as Cps, CapacityProviderUpdateStatus as Ups};

    fn t(s: &str) -> Time {
        Time(s.parse().expect("timestamp"))
    }

    fn provider(update: Ups) -> CapacityProvider {
        CapacityProvider::builder()
            .capacity_provider_arn("arn:aws:ecs:us-east-1:123456789012:capacity-provider/batch")
            .name("batch")
            .status(Cps::Active)
            .update_status(update)
            .update_status_reason("the group is gone")
            .build()
    }

    use crate::controller::outcome::{condition, observed as outcome};

    #[test]
    fn active_is_ready_and_failed_updates_are_degraded() {
        let now = t("2026-01-01T00:00:00Z");
        let p = provider(Ups::UpdateComplete);
        let s = build(None, Some(2), &outcome(Stage::Observed(&p), &[]), &now);
        assert_eq!(condition(&s, READY), ("True", "Active"));
        assert_eq!(
            s.capacity_provider_arn.as_deref(),
            Some("arn:aws:ecs:us-east-1:123456789012:capacity-provider/batch")
        );
        assert_eq!((s.status.as_deref(), s.update_status.as_deref()), (Some("ACTIVE"), Some("UPDATE_COMPLETE")));
        assert_eq!(s.spec_hash.as_deref(), Some("h1"));
        let p = provider(Ups::UpdateFailed);
        let s = build(Some(&s), Some(2), &outcome(Stage::Observed(&p), &[]), &now);
        assert_eq!(
            (condition(&s, READY), condition(&s, DEGRADED)),
            (("False", "UpdateFailed"), ("True", "UpdateFailed"))
        );
        let p = provider(Ups::UpdateInProgress);
        let s = build(Some(&s), Some(2), &outcome(Stage::Observed(&p), &[]), &now);
        assert_eq!(condition(&s, PROGRESSING), ("True", "InProgress"));
    }

    #[test]
    fn replacement_blocked_deletion_and_unchanged_status() {
        let now = t("2026-01-01T00:00:00Z");
        let p = provider(Ups::UpdateComplete);
        let first = build(None, Some(1), &outcome(Stage::Observed(&p), &[]), &now);
        let again = build(Some(&first), Some(1), &outcome(Stage::Observed(&p), &[]), &t("2026-01-01T01:00:00Z"));
        assert!(!crate::controller::conditions::status_changed(Some(&first), &again));
        let err = Error::RequiresReplacement("spec.autoScalingGroupProvider.autoScalingGroupArn".into());
        let o = Outcome::failed(&err, false);
        let s = build(Some(&first), Some(2), &o, &now);
        assert_eq!(condition(&s, SYNCED), ("False", "RequiresReplacement"));
        assert_eq!(s.capacity_provider_arn, first.capacity_provider_arn, "last known provider kept");
        let blocked = Stage::DeletionBlocked { provider: &p, message: "in use" };
        let s = build(Some(&s), Some(2), &outcome(blocked, &[]), &now);
        assert_eq!(condition(&s, READY), ("False", DELETION_BLOCKED));
    }
}
