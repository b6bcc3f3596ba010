//! Builds an ECSCluster's status: what ECS reports (ARN, status, counts, capacity providers)
//! and the four conditions. Pure: the clock is passed in.

use aws_sdk_ecs::types::Cluster;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::controller::conditions::{self, ConditionSpec, DEGRADED, PROGRESSING, READY};
use crate::controller::drift::DriftItem;
use crate::controller::outcome::{self, Conditions, active, healthy, idle, not_ready};
use crate::crd::cluster::ECSCluster;
use crate::crd::cluster::ECSClusterStatus;
use kube::Resource;

pub use crate::controller::deletion::DELETION_BLOCKED;

/// Ready's and Progressing's reason while a named CapacityProvider object is not Ready.
pub const WAITING_FOR_CAPACITY_PROVIDER: &str = "WaitingForCapacityProvider";

/// Where the reconcile got to.
pub enum Stage<'a> {
    /// The cluster as ECS reports it (any status but INACTIVE).
    Observed(&'a Cluster),
    /// No cluster in ECS (not created: Observe mode, or deleted out of band under Report).
    Missing(&'a str),
    /// Deletion waits: services (or tasks) remain in the cluster.
    DeletionBlocked { cluster: &'a Cluster, message: &'a str },
    /// A capacity provider the cluster names is a CapacityProvider object that is not Ready
    /// yet; nothing is written until it is.
    WaitingForCapacityProvider(&'a str),
}

pub type Outcome<'a> = outcome::Outcome<'a, Stage<'a>>;

pub fn build(
    previous: Option<&ECSClusterStatus>,
    generation: Option<i64>,
    o: &Outcome<'_>,
    now: &Time,
) -> ECSClusterStatus {
    let described = match &o.stage {
        Some(Stage::Observed(c) | Stage::DeletionBlocked { cluster: c, .. }) => Some(from_cluster(c)),
        // Nothing in ECS: no ARN for ECSServices to resolve their clusterRef to.
        Some(Stage::Missing(_)) => Some(ECSClusterStatus::default()),
        Some(Stage::WaitingForCapacityProvider(_)) | None => None,
    };
    outcome::status(previous, described, generation, o, condition_specs(o), now, |s| &mut s.spec_hash)
}

/// The status while deletion waits for `cluster` to empty, saying `message`.
pub fn blocked(obj: &ECSCluster, cluster: &Cluster, message: &str, now: &Time) -> ECSClusterStatus {
    let outcome = Outcome::at(Stage::DeletionBlocked { cluster, message }, false);
    build(obj.status.as_ref(), obj.meta().generation, &outcome, now)
}

fn from_cluster(c: &Cluster) -> ECSClusterStatus {
    ECSClusterStatus {
        cluster_arn: c.cluster_arn().map(str::to_owned),
        cluster_name: c.cluster_name().map(str::to_owned),
        status: c.status().map(str::to_owned),
        active_services_count: Some(c.active_services_count()),
        running_tasks_count: Some(c.running_tasks_count()),
        pending_tasks_count: Some(c.pending_tasks_count()),
        registered_container_instances_count: Some(c.registered_container_instances_count()),
        capacity_providers: (!c.capacity_providers().is_empty()).then(|| c.capacity_providers().to_vec()),
        ..Default::default()
    }
}

fn condition_specs(o: &Outcome<'_>) -> Vec<ConditionSpec> {
    let synced = conditions::synced(o.error, o.observe_only);
    let (ready, progressing, degraded) = match &o.stage {
        Some(Stage::Observed(c)) => observed_conditions(c, o.drift),
        Some(Stage::Missing(why)) => not_ready("NotFound", why),
        Some(Stage::DeletionBlocked { message, .. }) => not_ready(DELETION_BLOCKED, message),
        Some(Stage::WaitingForCapacityProvider(message)) => {
            let (ready, _, degraded) = not_ready(WAITING_FOR_CAPACITY_PROVIDER, message);
            (ready, ConditionSpec::new(PROGRESSING, true, WAITING_FOR_CAPACITY_PROVIDER, *message), degraded)
        }
        None => outcome::failed(o.error),
    };
    vec![ready, synced, progressing, degraded]
}

/// Ready only when ECS says ACTIVE and nothing differs from the spec.
fn observed_conditions(c: &Cluster, drift: &[DriftItem]) -> Conditions {
    let what = format!("ECS cluster {}", c.cluster_name().unwrap_or_default());
    match c.status().unwrap_or_default() {
        "ACTIVE" => active(&what, drift),
        status @ ("PROVISIONING" | "DEPROVISIONING") => {
            let reason = if status == "PROVISIONING" { "Provisioning" } else { "Deprovisioning" };
            let message = format!("{what} is {status}");
            (
                ConditionSpec::new(READY, false, reason, message.clone()),
                ConditionSpec::new(PROGRESSING, true, reason, message),
                healthy(),
            )
        }
        "FAILED" => {
            // The attachments (capacity provider resources) are what fails; ECS says no more.
            let message = format!("{what} is FAILED (attachments: {})", c.attachments_status().unwrap_or("unknown"));
            (
                ConditionSpec::new(READY, false, "Failed", message.clone()),
                idle(),
                ConditionSpec::new(DEGRADED, true, "Failed", message),
            )
        }
        other => not_ready("NotActive", &format!("{what} is {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controller::conditions::{SYNCED, reasons};
    use crate::controller::error::Error;

    fn t(s: &str) -> Time {
        Time(s.parse().expect("timestamp"))
    }

    fn cluster(status: &str) -> Cluster {
        Cluster::builder()
            .cluster_arn("arn:aws:ecs:us-east-1:123456789012:cluster/prod")
            .cluster_name("prod")
            .status(status)
            .active_services_count(2)
            .running_tasks_count(5)
            .capacity_providers("FARGATE")
            .build()
    }

    use crate::controller::outcome::{condition, observed as outcome};

    #[test]
    fn active_and_matching_is_ready_with_counts() {
        let c = cluster("ACTIVE");
        let s = build(None, Some(3), &outcome(Stage::Observed(&c), &[]), &t("2026-01-01T00:00:00Z"));
        assert_eq!(condition(&s, READY), ("True", "Active"));
        assert_eq!(condition(&s, SYNCED), ("True", reasons::RECONCILE_SUCCESS));
        assert_eq!(s.cluster_arn.as_deref(), Some("arn:aws:ecs:us-east-1:123456789012:cluster/prod"));
        assert_eq!((s.active_services_count, s.running_tasks_count), (Some(2), Some(5)));
        assert_eq!(s.capacity_providers, Some(vec!["FARGATE".to_string()]));
        assert_eq!((s.spec_hash.as_deref(), s.common.observed_generation), (Some("h1"), Some(3)));
    }

    #[test]
    fn provisioning_failed_and_drift() {
        let now = t("2026-01-01T00:00:00Z");
        let c = cluster("PROVISIONING");
        let s = build(None, Some(1), &outcome(Stage::Observed(&c), &[]), &now);
        assert_eq!(condition(&s, PROGRESSING), ("True", "Provisioning"));
        assert_eq!(condition(&s, READY).0, "False");
        let c = cluster("FAILED");
        let s = build(None, Some(1), &outcome(Stage::Observed(&c), &[]), &now);
        assert_eq!(condition(&s, DEGRADED), ("True", "Failed"));
        let c = cluster("ACTIVE");
        let drift = [DriftItem { field: "settings".into(), desired: Some("x".into()), actual: None }];
        let s = build(None, Some(1), &outcome(Stage::Observed(&c), &drift), &now);
        assert_eq!(condition(&s, READY), ("False", "Drifted"));
        assert_eq!(s.common.drift.as_ref().map(Vec::len), Some(1));
    }

    #[test]
    fn first_seen_is_kept_and_unchanged_status_is_not_rewritten() {
        let c = cluster("ACTIVE");
        let drift = [DriftItem { field: "settings".into(), desired: Some("x".into()), actual: None }];
        let first = build(None, Some(1), &outcome(Stage::Observed(&c), &drift), &t("2026-01-01T00:00:00Z"));
        let again = build(Some(&first), Some(1), &outcome(Stage::Observed(&c), &drift), &t("2026-01-01T01:00:00Z"));
        assert!(!crate::controller::conditions::status_changed(Some(&first), &again));
        assert_eq!(again.common.drift.as_ref().map(|d| d[0].first_seen.clone()), Some(t("2026-01-01T00:00:00Z")));
    }

    #[test]
    fn deletion_blocked_and_errors() {
        let now = t("2026-01-01T00:00:00Z");
        let c = cluster("ACTIVE");
        let blocked = Stage::DeletionBlocked { cluster: &c, message: "2 services remain" };
        let s = build(None, Some(1), &outcome(blocked, &[]), &now);
        assert_eq!(condition(&s, READY), ("False", DELETION_BLOCKED));
        let err = Error::InvalidSpec("spec.capacityProviders: nope".into());
        let failed = Outcome::failed(&err, false);
        let s2 = build(Some(&s), Some(2), &failed, &now);
        assert_eq!(condition(&s2, SYNCED), ("False", reasons::TERMINAL));
        assert_eq!(s2.cluster_arn, s.cluster_arn, "last known cluster kept while failing");
        let missing = build(Some(&s), Some(2), &outcome(Stage::Missing("not created"), &[]), &now);
        assert_eq!((condition(&missing, READY), missing.cluster_arn.as_deref()), (("False", "NotFound"), None));
    }
}
