//! Builds a TaskDefinition's status from the previous status and what this reconcile found and
//! did. Pure: the clock is passed in.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::plan::Revision;
use crate::controller::conditions::{self, ConditionSpec, READY};
use crate::controller::drift::DriftItem;
use crate::controller::error::Error;
use crate::crd::common::AppliedRecord;
use crate::crd::task_definition::{RevisionRecord, TaskDefinitionStatus};

/// INACTIVE revisions kept in the history, newest first, after the ACTIVE ones.
const INACTIVE_KEPT: usize = 5;

/// What a reconcile learned; `Err` when a step failed.
pub struct Outcome<'a> {
    pub family: &'a str,
    pub spec_hash: Option<&'a str>,
    pub current: Option<&'a Revision>,
    pub registered: bool,
    pub deregistered: &'a [String],
    /// Differences left in place (Report policy, or Observe mode).
    pub drift: &'a [DriftItem],
    /// What this reconcile applied (`status.lastApplied`); None: keep the last record.
    pub applied: Option<&'a AppliedRecord>,
    pub observe_only: bool,
    pub error: Option<&'a Error>,
}

pub fn build(
    previous: Option<&TaskDefinitionStatus>,
    generation: Option<i64>,
    o: &Outcome<'_>,
    now: &Time,
) -> TaskDefinitionStatus {
    let prev = previous.cloned().unwrap_or_default();
    let history = history(&prev, o);
    let (ready, synced) = conditions_for(&prev, o);
    // Ready and Synced are never True over a difference (a revision registered outside the
    // object, ours deregistered): the shared overlay says so, as for every kind.
    let common = crate::controller::drift::common_status(
        &prev.common,
        generation,
        vec![ready, synced],
        o.drift,
        Some(&crate::controller::drift::Correction::None),
        o.applied,
        now,
    );
    // The revision the spec produced stays recorded even when it went INACTIVE out of band: the
    // next reconcile must keep seeing (and reporting) that revision, not search for another.
    let current = o.current;
    TaskDefinitionStatus {
        common,
        family: Some(o.family.to_owned()),
        revision: current.map(|c| c.revision).or(if o.error.is_some() { prev.revision } else { None }),
        task_definition_arn: current.map(|c| c.arn.clone()).or(if o.error.is_some() {
            prev.task_definition_arn
        } else {
            None
        }),
        // The hash of the spec that produced the recorded revision: a spec that failed to
        // register must not be recorded, or the next reconcile would take the old revision for
        // the new spec.
        spec_hash: if o.error.is_some() { prev.spec_hash } else { o.spec_hash.map(str::to_owned).or(prev.spec_hash) },
        revisions: (!history.is_empty()).then_some(history),
    }
}

/// The revisions the status lists: the current one added or updated, those deregistered marked
/// INACTIVE, newest first, every ACTIVE one and the newest INACTIVE ones kept.
fn history(prev: &TaskDefinitionStatus, o: &Outcome<'_>) -> Vec<RevisionRecord> {
    let mut history = prev.revisions.clone().unwrap_or_default();
    if let (Some(current), Some(hash)) = (o.current, o.spec_hash) {
        match history.iter_mut().find(|r| r.task_definition_arn == current.arn) {
            Some(r) => r.status = Some(current.status.clone()),
            None => history.push(RevisionRecord {
                revision: current.revision,
                task_definition_arn: current.arn.clone(),
                spec_hash: Some(hash.to_owned()),
                status: Some(current.status.clone()),
            }),
        }
    }
    for r in history.iter_mut().filter(|r| o.deregistered.contains(&r.task_definition_arn)) {
        r.status = Some("INACTIVE".into());
    }
    history.sort_by_key(|r| std::cmp::Reverse(r.revision));
    let mut inactive_seen = 0;
    history.retain(|r| {
        r.status.as_deref() == Some("ACTIVE") || {
            inactive_seen += 1;
            inactive_seen <= INACTIVE_KEPT
        }
    });
    history
}

fn conditions_for(prev: &TaskDefinitionStatus, o: &Outcome<'_>) -> (ConditionSpec, ConditionSpec) {
    if let Some(err) = o.error {
        let synced = conditions::synced(Some(err), o.observe_only);
        // A transient failure with the spec unchanged does not make the registered revision go
        // away: Ready stays. A spec that could not be registered is not what ECS has: not Ready.
        let was_ready =
            conditions::status_of(prev.common.conditions.as_deref().unwrap_or_default(), READY) == Some("True");
        let spec_unchanged = o.spec_hash.is_some() && prev.spec_hash.as_deref() == o.spec_hash;
        let transient = err.class() == crate::aws::error::ErrorClass::Retryable;
        let ready = if was_ready && spec_unchanged && transient {
            ConditionSpec::new(
                READY,
                true,
                "Active",
                format!("revision {} is ACTIVE", prev.revision.unwrap_or_default()),
            )
        } else {
            ConditionSpec::new(READY, false, err.reason(), err.to_string())
        };
        return (ready, synced);
    }
    let synced = conditions::synced(None, o.observe_only);
    let ready = match o.current {
        Some(c) if c.is_active() => {
            let verb = if o.registered { "registered" } else { "is ACTIVE" };
            ConditionSpec::new(READY, true, "Active", format!("revision {} {verb}", c.revision))
        }
        Some(c) => ConditionSpec::new(
            READY,
            false,
            "RevisionNotActive",
            format!("revision {} is {} in ECS; driftPolicy Report leaves it", c.revision, c.status),
        ),
        None if o.observe_only => ConditionSpec::new(READY, false, "NotFound", "no revision in ECS matches the spec"),
        None => ConditionSpec::new(READY, false, "Registering", "registering a revision"),
    };
    (ready, synced)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controller::conditions::SYNCED;
    use std::collections::BTreeMap;

    fn now() -> Time {
        Time("2026-01-01T00:00:00Z".parse().expect("time"))
    }

    fn rev(n: i64, status: &str) -> Revision {
        Revision { arn: format!("arn:td/web:{n}"), revision: n, status: status.into(), tags: BTreeMap::new() }
    }

    fn outcome<'a>(current: Option<&'a Revision>, error: Option<&'a Error>) -> Outcome<'a> {
        Outcome {
            family: "web",
            spec_hash: Some("h"),
            current,
            registered: false,
            deregistered: &[],
            drift: &[],
            applied: None,
            observe_only: false,
            error,
        }
    }

    #[test]
    fn active_revision_is_ready_and_synced() {
        let r = rev(3, "ACTIVE");
        let s = build(None, Some(2), &outcome(Some(&r), None), &now());
        assert_eq!(s.task_definition_arn.as_deref(), Some("arn:td/web:3"));
        assert_eq!(s.revision, Some(3));
        let c = s.common.conditions.unwrap_or_default();
        assert_eq!(conditions::status_of(&c, READY), Some("True"));
        assert_eq!(conditions::status_of(&c, SYNCED), Some("True"));
        assert_eq!(s.common.observed_generation, Some(2));
    }

    #[test]
    fn terminal_error_is_synced_false_and_not_ready_but_throttling_keeps_ready() {
        let r = rev(3, "ACTIVE");
        let first = build(None, Some(1), &outcome(Some(&r), None), &now());
        let err = Error::Aws(crate::aws::error::AwsError::classify(
            "RegisterTaskDefinition",
            "ClientException".into(),
            "bad".into(),
        ));
        let s = build(Some(&first), Some(2), &outcome(None, Some(&err)), &now());
        let c = s.common.conditions.unwrap_or_default();
        let synced = c.iter().find(|c| c.type_ == SYNCED).expect("synced");
        assert_eq!((synced.status.as_str(), synced.reason.as_str()), ("False", "Terminal"));
        assert!(synced.message.contains("ClientException: bad"), "{}", synced.message);
        assert_eq!(conditions::status_of(&c, READY), Some("False"), "ECS refused it: not Ready");
        assert_eq!(s.task_definition_arn.as_deref(), Some("arn:td/web:3"), "last good ARN kept");
        assert_eq!(s.spec_hash, first.spec_hash, "the hash of the spec that produced revision 3");

        let throttled = Error::Aws(crate::aws::error::AwsError::classify(
            "DescribeTaskDefinition",
            "ThrottlingException".into(),
            "slow down".into(),
        ));
        let s = build(Some(&first), Some(1), &outcome(None, Some(&throttled)), &now());
        let c = s.common.conditions.unwrap_or_default();
        assert_eq!(conditions::status_of(&c, READY), Some("True"), "a transient failure, spec unchanged");
        assert_eq!(conditions::status_of(&c, SYNCED), Some("False"));
    }

    #[test]
    fn unchanged_status_is_not_rewritten() {
        let r = rev(3, "ACTIVE");
        let a = build(None, Some(1), &outcome(Some(&r), None), &now());
        let later = Time("2026-01-02T00:00:00Z".parse().expect("time"));
        let b = build(Some(&a), Some(1), &outcome(Some(&r), None), &later);
        assert!(!crate::controller::conditions::status_changed(Some(&a), &b));
    }

    #[test]
    fn history_keeps_active_and_few_inactive() {
        let prev = TaskDefinitionStatus {
            revisions: Some(
                (1..=9)
                    .map(|n| RevisionRecord {
                        revision: n,
                        task_definition_arn: format!("arn:td/web:{n}"),
                        spec_hash: None,
                        status: Some("INACTIVE".into()),
                    })
                    .collect(),
            ),
            ..Default::default()
        };
        let r = rev(10, "ACTIVE");
        let s = build(Some(&prev), Some(1), &outcome(Some(&r), None), &now());
        let history = s.revisions.unwrap_or_default();
        assert_eq!(history[0].revision, 10);
        assert_eq!(history.len(), 1 + INACTIVE_KEPT);
    }
}
