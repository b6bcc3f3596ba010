//! Builds a CapacityProvider's status: what ECS reports (ARN, name, status, update status)
//! and the four conditions. Pure: the clock is passed in.

use aws_sdk_ecs::types::CapacityProvider;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::controller::conditions::{ConditionSpec, DEGRADED, PROGRESSING, READY, SYNCED, reasons};
use crate::controller::drift::DriftItem;
use crate::controller::drift::{self, Correction};
use crate::controller::error::Error;
use crate::crd::capacity_provider::CapacityProviderStatus;
use crate::crd::common::{AppliedRecord, CommonStatus};

/// Ready's reason while deletion waits for clusters to stop using the provider.
pub const DELETION_BLOCKED: &str = "DeletionBlocked";

/// Where the reconcile got to.
pub enum Stage<'a> {
    /// The provider as ECS reports it (not INACTIVE).
    Observed(&'a CapacityProvider),
    /// No provider in ECS (not created: Observe mode, or deleted out of band under Report).
    Missing(&'a str),
    /// Deletion waits: a cluster still uses the provider.
    DeletionBlocked { provider: &'a CapacityProvider, message: &'a str },
}

pub struct Outcome<'a> {
    /// None when the reconcile failed before it knew.
    pub stage: Option<Stage<'a>>,
    pub drift: &'a [DriftItem],
    /// The correction gate's verdict; None when the reconcile did not plan.
    pub correction: Option<&'a Correction>,
    pub applied_hash: Option<&'a str>,
    /// What this reconcile applied (`status.lastApplied`); None: keep the last record.
    pub applied: Option<&'a AppliedRecord>,
    pub observe_only: bool,
    pub error: Option<&'a Error>,
}

pub fn build(
    previous: Option<&CapacityProviderStatus>,
    generation: Option<i64>,
    o: &Outcome<'_>,
    now: &Time,
) -> CapacityProviderStatus {
    let prev = previous.cloned().unwrap_or_default();
    let mut status = match &o.stage {
        Some(Stage::Observed(p) | Stage::DeletionBlocked { provider: p, .. }) => from_provider(p),
        Some(Stage::Missing(_)) => CapacityProviderStatus::default(),
        // Keep what was last seen while failing: it is still the best knowledge.
        None => CapacityProviderStatus { common: CommonStatus::default(), ..prev.clone() },
    };
    status.spec_hash = o.applied_hash.map(str::to_owned).or(prev.spec_hash.clone());
    status.common =
        drift::common_status(&prev.common, generation, condition_specs(o), o.drift, o.correction, o.applied, now);
    status
}

fn from_provider(p: &CapacityProvider) -> CapacityProviderStatus {
    CapacityProviderStatus {
        capacity_provider_arn: p.capacity_provider_arn().map(str::to_owned),
        name: p.name().map(str::to_owned),
        status: p.status().map(|s| s.as_str().to_owned()),
        update_status: p.update_status().map(|s| s.as_str().to_owned()),
        update_status_reason: p.update_status_reason().map(str::to_owned),
        ..Default::default()
    }
}

fn condition_specs(o: &Outcome<'_>) -> Vec<ConditionSpec> {
    let synced = match (o.error, o.observe_only) {
        (Some(err @ Error::RequiresReplacement(_)), _) => {
            ConditionSpec::new(SYNCED, false, "RequiresReplacement", err.to_string())
        }
        (Some(err), _) => {
            let class = if err.class() == crate::aws::error::ErrorClass::Terminal {
                reasons::TERMINAL
            } else {
                reasons::RETRYING
            };
            ConditionSpec::new(SYNCED, false, class, format!("{}: {err}", err.reason()))
        }
        (None, true) => ConditionSpec::new(SYNCED, true, reasons::OBSERVE_ONLY, "managementPolicy is Observe"),
        (None, false) => ConditionSpec::new(SYNCED, true, reasons::RECONCILE_SUCCESS, ""),
    };
    let idle = || ConditionSpec::new(PROGRESSING, false, "Idle", "");
    let healthy = || ConditionSpec::new(DEGRADED, false, "Healthy", "");
    let (ready, progressing, degraded) = match &o.stage {
        Some(Stage::Observed(p)) => observed_conditions(p, o.drift),
        Some(Stage::Missing(why)) => (ConditionSpec::new(READY, false, "NotFound", *why), idle(), healthy()),
        Some(Stage::DeletionBlocked { message, .. }) => {
            (ConditionSpec::new(READY, false, DELETION_BLOCKED, *message), idle(), healthy())
        }
        None => {
            let why = o.error.map(|e| e.to_string()).unwrap_or_default();
            (ConditionSpec::new(READY, false, o.error.map(Error::reason).unwrap_or("Unknown"), why), idle(), healthy())
        }
    };
    vec![ready, synced, progressing, degraded]
}

/// Ready only when ECS says ACTIVE, the last update did not fail, and nothing differs.
fn observed_conditions(p: &CapacityProvider, drift: &[DriftItem]) -> (ConditionSpec, ConditionSpec, ConditionSpec) {
    let name = p.name().unwrap_or_default();
    let status = p.status().map(|s| s.as_str()).unwrap_or_default();
    let update = p.update_status().map(|s| s.as_str()).unwrap_or_default();
    let reason = p.update_status_reason().unwrap_or("no reason given");
    let idle = ConditionSpec::new(PROGRESSING, false, "Idle", "");
    let healthy = ConditionSpec::new(DEGRADED, false, "Healthy", "");
    if update.ends_with("_FAILED") {
        let message = format!("capacity provider {name}: {update} ({reason})");
        return (
            ConditionSpec::new(READY, false, "UpdateFailed", message.clone()),
            idle,
            ConditionSpec::new(DEGRADED, true, "UpdateFailed", message),
        );
    }
    if update.ends_with("_IN_PROGRESS") || status == "PROVISIONING" {
        let message = format!("capacity provider {name} is {}", if update.is_empty() { status } else { update });
        return (
            ConditionSpec::new(READY, false, "InProgress", message.clone()),
            ConditionSpec::new(PROGRESSING, true, "InProgress", message),
            healthy,
        );
    }
    match status {
        "ACTIVE" if drift.is_empty() => {
            (ConditionSpec::new(READY, true, "Active", format!("capacity provider {name} is ACTIVE")), idle, healthy)
        }
        "ACTIVE" => {
            let fields: Vec<&str> = drift.iter().map(|d| d.field.as_str()).collect();
            let message = format!("capacity provider {name} differs from the spec in {}", fields.join(", "));
            (ConditionSpec::new(READY, false, "Drifted", message), idle, healthy)
        }
        other => {
            let message = format!("capacity provider {name} is {other}");
            (ConditionSpec::new(READY, false, "NotActive", message), idle, healthy)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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

    fn outcome<'a>(stage: Stage<'a>, drift: &'a [DriftItem]) -> Outcome<'a> {
        Outcome {
            stage: Some(stage),
            drift,
            correction: None,
            applied_hash: Some("h1"),
            applied: None,
            observe_only: false,
            error: None,
        }
    }

    fn condition<'a>(s: &'a CapacityProviderStatus, type_: &str) -> (&'a str, &'a str) {
        let c = s.common.conditions.as_ref().and_then(|cs| cs.iter().find(|c| c.type_ == type_)).expect("condition");
        (c.status.as_str(), c.reason.as_str())
    }

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
        let o = Outcome {
            stage: None,
            drift: &[],
            correction: None,
            applied_hash: None,
            applied: None,
            observe_only: false,
            error: Some(&err),
        };
        let s = build(Some(&first), Some(2), &o, &now);
        assert_eq!(condition(&s, SYNCED), ("False", "RequiresReplacement"));
        assert_eq!(s.capacity_provider_arn, first.capacity_provider_arn, "last known provider kept");
        let blocked = Stage::DeletionBlocked { provider: &p, message: "in use" };
        let s = build(Some(&s), Some(2), &outcome(blocked, &[]), &now);
        assert_eq!(condition(&s, READY), ("False", DELETION_BLOCKED));
    }
}
