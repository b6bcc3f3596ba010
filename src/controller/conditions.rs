//! One condition builder for every kind: typed condition types and reasons, lastTransitionTime
//! that moves only when a condition's status flips, and a time-insensitive comparison so status
//! is written only when something a reader would notice changed.

use crate::aws::error::ErrorClass;
use crate::controller::error::Error;
use crate::crd::HasCommonStatus;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

pub use crate::crd::common::condition_types::{DEGRADED, PROGRESSING, READY, SYNCED};

/// Condition reasons shared across kinds.
pub mod reasons {
    pub const RECONCILE_SUCCESS: &str = "ReconcileSuccess";
    pub const TERMINAL: &str = "Terminal";
    pub const RETRYING: &str = "Retrying";
    /// A field differs that ECS cannot change in place: the object must be recreated.
    pub const REQUIRES_REPLACEMENT: &str = "RequiresReplacement";
    pub const OBSERVE_ONLY: &str = "ObserveOnly";
}

/// A desired condition, before timestamps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionSpec {
    pub type_: &'static str,
    pub status: bool,
    pub reason: String,
    pub message: String,
}

impl ConditionSpec {
    pub fn new(type_: &'static str, status: bool, reason: impl Into<String>, message: impl Into<String>) -> Self {
        Self { type_, status, reason: reason.into(), message: message.into() }
    }
}

/// Builds the condition list: keeps `lastTransitionTime` of conditions whose status did not
/// change, stamps `now` on the others, and sets observedGeneration on all.
pub fn build(previous: &[Condition], desired: &[ConditionSpec], generation: Option<i64>, now: &Time) -> Vec<Condition> {
    desired
        .iter()
        .map(|d| {
            let status = if d.status { "True" } else { "False" };
            let since = previous
                .iter()
                .find(|p| p.type_ == d.type_ && p.status == status)
                .map(|p| p.last_transition_time.clone())
                .unwrap_or_else(|| now.clone());
            Condition {
                type_: d.type_.to_owned(),
                status: status.to_owned(),
                reason: d.reason.clone(),
                message: d.message.clone(),
                observed_generation: generation,
                last_transition_time: since,
            }
        })
        .collect()
}

/// `previous` with the one condition `desired` set (added or replaced; `lastTransitionTime` kept
/// when its status did not change), the others left as they are.
pub fn with_condition(
    previous: &[Condition],
    desired: &ConditionSpec,
    generation: Option<i64>,
    now: &Time,
) -> Vec<Condition> {
    let mut list: Vec<Condition> = previous.to_vec();
    for updated in build(previous, std::slice::from_ref(desired), generation, now) {
        match list.iter_mut().find(|c| c.type_ == updated.type_) {
            Some(slot) => *slot = updated,
            None => list.push(updated),
        }
    }
    list
}

/// Whether two condition lists say the same thing, ignoring timestamps.
pub fn same_ignoring_time(a: &[Condition], b: &[Condition]) -> bool {
    let key =
        |c: &Condition| (c.type_.clone(), c.status.clone(), c.reason.clone(), c.message.clone(), c.observed_generation);
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| key(x) == key(y))
}

/// Whether a new status differs from the old one in anything but condition timestamps: the
/// only writes worth making.
pub fn status_changed<S: HasCommonStatus>(old: Option<&S>, new: &S) -> bool {
    let Some(old) = old else { return true };
    let strip = |s: &S| {
        let mut s = s.clone();
        s.common_mut().conditions = None;
        s
    };
    let conditions = |s: &S| s.common().conditions.clone().unwrap_or_default();
    strip(old) != strip(new) || !same_ignoring_time(&conditions(old), &conditions(new))
}

/// Synced as every kind reports it: False while the last reconcile failed, with the error's
/// class (Terminal, Retrying, or RequiresReplacement when ECS cannot change a field in place)
/// and its message; True otherwise, saying so when the object only observes.
pub fn synced(error: Option<&Error>, observe_only: bool) -> ConditionSpec {
    match (error, observe_only) {
        (Some(err), _) => {
            let reason = match (err, err.class()) {
                (Error::RequiresReplacement(_), _) => reasons::REQUIRES_REPLACEMENT,
                (_, ErrorClass::Terminal) => reasons::TERMINAL,
                (_, ErrorClass::Retryable) => reasons::RETRYING,
            };
            ConditionSpec::new(SYNCED, false, reason, format!("{}: {err}", err.reason()))
        }
        (None, true) => ConditionSpec::new(
            SYNCED,
            true,
            reasons::OBSERVE_ONLY,
            "managementPolicy is Observe: AWS is read, never written",
        ),
        (None, false) => ConditionSpec::new(SYNCED, true, reasons::RECONCILE_SUCCESS, ""),
    }
}

/// The reason of the Ready condition in a status, if any.
pub fn ready_reason<S: HasCommonStatus>(status: Option<&S>) -> Option<&str> {
    let conditions = status?.common().conditions.as_deref()?;
    conditions.iter().find(|c| c.type_ == READY).map(|c| c.reason.as_str())
}

/// The status ("True"/"False"/"Unknown") of a condition type, if present.
pub fn status_of<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a str> {
    conditions.iter().find(|c| c.type_ == type_).map(|c| c.status.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Time {
        Time(s.parse().expect("timestamp"))
    }

    #[test]
    fn transition_time_moves_only_on_flip() {
        let t0 = t("2026-01-01T00:00:00Z");
        let t1 = t("2026-01-01T00:05:00Z");
        let first = build(&[], &[ConditionSpec::new(READY, false, "Registering", "")], Some(1), &t0);
        let same = build(&first, &[ConditionSpec::new(READY, false, "StillRegistering", "x")], Some(2), &t1);
        assert_eq!(same[0].last_transition_time, t0, "status unchanged: time kept");
        assert_eq!(same[0].observed_generation, Some(2));
        let flipped = build(&same, &[ConditionSpec::new(READY, true, "Active", "")], Some(2), &t1);
        assert_eq!(flipped[0].last_transition_time, t1);
    }

    #[test]
    fn one_condition_is_set_and_the_others_kept() {
        let t0 = t("2026-01-01T00:00:00Z");
        let t1 = t("2026-01-01T00:05:00Z");
        let first = build(
            &[],
            &[ConditionSpec::new(READY, true, "Active", ""), ConditionSpec::new(SYNCED, true, "ReconcileSuccess", "")],
            Some(1),
            &t0,
        );
        let refused = with_condition(&first, &ConditionSpec::new(SYNCED, false, "Terminal", "no"), Some(1), &t1);
        assert_eq!(refused.len(), 2);
        assert_eq!(refused[0], first[0], "Ready untouched");
        assert_eq!((refused[1].status.as_str(), refused[1].last_transition_time.clone()), ("False", t1.clone()));
        let added = with_condition(&[], &ConditionSpec::new(SYNCED, false, "Terminal", "no"), Some(1), &t1);
        assert_eq!(added.len(), 1);
    }

    #[test]
    fn comparison_ignores_time_only() {
        let a = build(
            &[],
            &[ConditionSpec::new(SYNCED, true, "ReconcileSuccess", "")],
            Some(1),
            &t("2026-01-01T00:00:00Z"),
        );
        let b = build(
            &[],
            &[ConditionSpec::new(SYNCED, true, "ReconcileSuccess", "")],
            Some(1),
            &t("2026-02-01T00:00:00Z"),
        );
        assert!(same_ignoring_time(&a, &b));
        let c = build(&[], &[ConditionSpec::new(SYNCED, false, "Terminal", "")], Some(1), &t("2026-01-01T00:00:00Z"));
        assert!(!same_ignoring_time(&a, &c));
    }
}
