//! Builds an ECSCluster's status: what ECS reports (ARN, status, counts, capacity providers)
//! and the four conditions. Pure: the clock is passed in.

use aws_sdk_ecs::types::Cluster;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::controller::conditions::{ConditionSpec, DEGRADED, PROGRESSING, READY, SYNCED, reasons};
use crate::controller::drift::{self, Correction};
use crate::controller::error::Error;
use crate::controller::task_definition::plan::DriftItem;
use crate::crd::cluster::ECSClusterStatus;
use crate::crd::common::{AppliedRecord, CommonStatus};

/// Ready's reason while deletion waits for services to leave the cluster.
pub const DELETION_BLOCKED: &str = "DeletionBlocked";

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

/// Ready's and Progressing's reason while a named CapacityProvider object is not Ready.
pub const WAITING_FOR_CAPACITY_PROVIDER: &str = "WaitingForCapacityProvider";

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
    previous: Option<&ECSClusterStatus>,
    generation: Option<i64>,
    o: &Outcome<'_>,
    now: &Time,
) -> ECSClusterStatus {
    let prev = previous.cloned().unwrap_or_default();
    let mut status = match &o.stage {
        Some(Stage::Observed(c) | Stage::DeletionBlocked { cluster: c, .. }) => from_cluster(c),
        // Nothing in ECS: no ARN for ECSServices to resolve their clusterRef to.
        Some(Stage::Missing(_)) => ECSClusterStatus::default(),
        // Keep what was last seen while failing or waiting: it is still the best knowledge.
        Some(Stage::WaitingForCapacityProvider(_)) | None => {
            ECSClusterStatus { common: CommonStatus::default(), ..prev.clone() }
        }
    };
    status.spec_hash = o.applied_hash.map(str::to_owned).or(prev.spec_hash.clone());
    status.common =
        drift::common_status(&prev.common, generation, condition_specs(o), o.drift, o.correction, o.applied, now);
    status
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
    let synced = match (o.error, o.observe_only) {
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
        Some(Stage::Observed(c)) => observed_conditions(c, o.drift),
        Some(Stage::Missing(why)) => (ConditionSpec::new(READY, false, "NotFound", *why), idle(), healthy()),
        Some(Stage::DeletionBlocked { message, .. }) => {
            (ConditionSpec::new(READY, false, DELETION_BLOCKED, *message), idle(), healthy())
        }
        Some(Stage::WaitingForCapacityProvider(message)) => (
            ConditionSpec::new(READY, false, WAITING_FOR_CAPACITY_PROVIDER, *message),
            ConditionSpec::new(PROGRESSING, true, WAITING_FOR_CAPACITY_PROVIDER, *message),
            healthy(),
        ),
        None => {
            let why = o.error.map(|e| e.to_string()).unwrap_or_default();
            (ConditionSpec::new(READY, false, o.error.map(Error::reason).unwrap_or("Unknown"), why), idle(), healthy())
        }
    };
    vec![ready, synced, progressing, degraded]
}

/// Ready only when ECS says ACTIVE and nothing differs from the spec.
fn observed_conditions(c: &Cluster, drift: &[DriftItem]) -> (ConditionSpec, ConditionSpec, ConditionSpec) {
    let name = c.cluster_name().unwrap_or_default();
    let idle = ConditionSpec::new(PROGRESSING, false, "Idle", "");
    let healthy = ConditionSpec::new(DEGRADED, false, "Healthy", "");
    match c.status().unwrap_or_default() {
        "ACTIVE" if drift.is_empty() => {
            (ConditionSpec::new(READY, true, "Active", format!("ECS cluster {name} is ACTIVE")), idle, healthy)
        }
        "ACTIVE" => {
            let fields: Vec<&str> = drift.iter().map(|d| d.field.as_str()).collect();
            let message = format!("ECS cluster {name} differs from the spec in {}", fields.join(", "));
            (ConditionSpec::new(READY, false, "Drifted", message), idle, healthy)
        }
        "PROVISIONING" | "DEPROVISIONING" => {
            let status = c.status().unwrap_or_default();
            let reason = if status == "PROVISIONING" { "Provisioning" } else { "Deprovisioning" };
            let message = format!("ECS cluster {name} is {status}");
            (
                ConditionSpec::new(READY, false, reason, message.clone()),
                ConditionSpec::new(PROGRESSING, true, reason, message),
                healthy,
            )
        }
        "FAILED" => {
            // The attachments (capacity provider resources) are what fails; ECS says no more.
            let message =
                format!("ECS cluster {name} is FAILED (attachments: {})", c.attachments_status().unwrap_or("unknown"));
            (
                ConditionSpec::new(READY, false, "Failed", message.clone()),
                idle,
                ConditionSpec::new(DEGRADED, true, "Failed", message),
            )
        }
        other => {
            let message = format!("ECS cluster {name} is {other}");
            (ConditionSpec::new(READY, false, "NotActive", message), idle, healthy)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn condition<'a>(s: &'a ECSClusterStatus, type_: &str) -> (&'a str, &'a str) {
        let c = s.common.conditions.as_ref().and_then(|cs| cs.iter().find(|c| c.type_ == type_)).expect("condition");
        (c.status.as_str(), c.reason.as_str())
    }

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
        let failed = Outcome {
            stage: None,
            drift: &[],
            correction: None,
            applied_hash: None,
            applied: None,
            observe_only: false,
            error: Some(&err),
        };
        let s2 = build(Some(&s), Some(2), &failed, &now);
        assert_eq!(condition(&s2, SYNCED), ("False", reasons::TERMINAL));
        assert_eq!(s2.cluster_arn, s.cluster_arn, "last known cluster kept while failing");
        let missing = build(Some(&s), Some(2), &outcome(Stage::Missing("not created"), &[]), &now);
        assert_eq!((condition(&missing, READY), missing.cluster_arn.as_deref()), (("False", "NotFound"), None));
    }
}
