//! One condition builder for every kind: typed condition types and reasons, lastTransitionTime
//! that moves only when a condition's status flips, and a time-insensitive comparison so status
//! is written only when something a reader would notice changed.

use crate::aws::error::ErrorClass;
use crate::controller::error::Error;
use crate::crd::HasCommonStatus;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

pub use crate::crd::common::condition_types::{DEGRADED, PROGRESSING, READY, RECONCILING, STALLED, SYNCED};

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

/// Ready reasons that mean the object cannot get there without a change: a rollout ECS rolled
/// back (the plan holds the revision until the spec changes).
const STALLED_READY: &[&str] = &[crate::controller::drift::ROLLED_BACK];

/// Synced reasons that mean the same: an error retrying will not fix, a field ECS cannot change
/// in place, a correction AWS kept refusing, a difference only reported (driftPolicy Report,
/// managementPolicy Observe).
const STALLED_SYNCED: &[&str] = &[
    reasons::TERMINAL,
    reasons::REQUIRES_REPLACEMENT,
    crate::controller::drift::reasons::NOT_CORRECTABLE,
    crate::controller::drift::reasons::REPORTED,
];

/// Degraded reasons that do not stall: ECS keeps replacing failing tasks of a steady service.
const DEGRADED_BUT_TRYING: &[&str] = &["TasksFailing"];

/// The kind's conditions with kstatus's two (sigs.k8s.io/cli-utils) derived from them, unless
/// the kind states them itself: `Stalled` True when the object cannot progress without a change
/// (see the lists above; Degraded with nothing in progress; an observed resource that does not
/// exist), else `Reconciling` True
/// while anything is under way or not yet as specified (Ready False, Progressing True, Synced
/// False); both False when the object is Current. Flux's `wait`, kpt and `kubectl wait` then
/// read every kind the same way, with no health expressions of their own.
pub fn with_kstatus(mut desired: Vec<ConditionSpec>) -> Vec<ConditionSpec> {
    if desired.iter().any(|d| d.type_ == RECONCILING || d.type_ == STALLED) {
        return desired;
    }
    let find = |type_: &str, status: bool| desired.iter().find(|d| d.type_ == type_ && d.status == status);
    let observe_only = find(SYNCED, true).is_some_and(|s| s.reason == reasons::OBSERVE_ONLY);
    let not_ready = find(READY, false);
    let stalled = find(SYNCED, false)
        .filter(|s| STALLED_SYNCED.contains(&s.reason.as_str()))
        .or(not_ready
            .filter(|r| STALLED_READY.contains(&r.reason.as_str()) || (observe_only && r.reason == "NotFound")))
        // Degraded with nothing in progress and not Ready: ECS gave up (a rollout failed or was
        // stopped, a cluster or provider FAILED, a resource ECS made failed).
        .or(find(DEGRADED, true).filter(|d| {
            not_ready.is_some()
                && find(PROGRESSING, true).is_none()
                && !DEGRADED_BUT_TRYING.contains(&d.reason.as_str())
        }));
    let busy = not_ready.or(find(PROGRESSING, true)).or(find(SYNCED, false));
    let pair = match (stalled, busy) {
        (Some(why), _) => [
            ConditionSpec::new(RECONCILING, false, "Stalled", ""),
            ConditionSpec::new(STALLED, true, why.reason.clone(), why.message.clone()),
        ],
        (None, Some(why)) => [
            ConditionSpec::new(RECONCILING, true, why.reason.clone(), why.message.clone()),
            ConditionSpec::new(STALLED, false, "Progressing", ""),
        ],
        (None, None) => {
            [ConditionSpec::new(RECONCILING, false, "Current", ""), ConditionSpec::new(STALLED, false, "Current", "")]
        }
    };
    desired.extend(pair);
    desired
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

    fn kstatus_of(specs: &[(&'static str, bool, &str)]) -> (String, String) {
        let specs = specs.iter().map(|(t, s, r)| ConditionSpec::new(t, *s, *r, "m")).collect();
        let all = with_kstatus(specs);
        let get = |t: &str| {
            let c = all.iter().find(|c| c.type_ == t).expect("derived");
            format!("{}:{}", c.status, c.reason)
        };
        (get(RECONCILING), get(STALLED))
    }

    #[test]
    fn kstatus_conditions_follow_the_kinds_own() {
        let current =
            [(READY, true, "RolloutComplete"), (SYNCED, true, "ReconcileSuccess"), (PROGRESSING, false, "Idle")];
        assert_eq!(kstatus_of(&current), ("false:Current".into(), "false:Current".into()));
        let rolling = [(READY, false, "RolloutInProgress"), (SYNCED, true, "ReconcileSuccess")];
        assert_eq!(kstatus_of(&rolling), ("true:RolloutInProgress".into(), "false:Progressing".into()));
        let retrying = [(READY, true, "Active"), (SYNCED, false, reasons::RETRYING)];
        assert_eq!(kstatus_of(&retrying).0, "true:Retrying");
        for stuck in [
            [(READY, false, "InvalidSpec"), (SYNCED, false, reasons::TERMINAL)],
            [(READY, false, "RolledBack"), (SYNCED, true, "ReconcileSuccess")],
            [(READY, false, "Drifted"), (SYNCED, false, "Drifted")],
            [(READY, false, "DriftNotCorrectable"), (SYNCED, false, "DriftNotCorrectable")],
            [(READY, false, "NotFound"), (SYNCED, true, reasons::OBSERVE_ONLY)],
            [(READY, true, "Active"), (SYNCED, false, reasons::REQUIRES_REPLACEMENT)],
        ] {
            let (reconciling, stalled) = kstatus_of(&stuck);
            assert!(stalled.starts_with("true:") && reconciling.starts_with("false:"), "{stuck:?}");
        }
        // A correction waiting for its next attempt, and an object not observed yet, move on.
        assert_eq!(
            kstatus_of(&[(READY, false, "DriftCorrectionRetrying"), (SYNCED, false, "DriftCorrectionRetrying")]).1,
            "false:Progressing"
        );
        assert_eq!(kstatus_of(&[(READY, false, "NotFound"), (SYNCED, true, "ReconcileSuccess")]).0, "true:NotFound");
        // Tasks failing while the rollout goes on is not yet a stop; a failed rollout is.
        let failing = [(READY, false, "TasksStarting"), (SYNCED, true, ""), (DEGRADED, true, "TasksFailing")];
        assert_eq!(kstatus_of(&failing).1, "false:Progressing");
        let failed = [(READY, false, "UpdatePending"), (SYNCED, true, ""), (DEGRADED, true, "RolloutFailed")];
        assert_eq!(kstatus_of(&failed).1, "true:RolloutFailed");
        let cluster =
            [(READY, false, "Failed"), (SYNCED, true, ""), (PROGRESSING, false, ""), (DEGRADED, true, "Failed")];
        assert_eq!(kstatus_of(&cluster).1, "true:Failed");
        // A hook that failed while ECS still acts on the deployment is still in progress.
        let hook =
            [(READY, false, "HookFailed"), (SYNCED, true, ""), (PROGRESSING, true, ""), (DEGRADED, true, "HookFailed")];
        assert_eq!(kstatus_of(&hook).0, "true:HookFailed");
        // A kind that states them itself (ECSTask) keeps its own.
        let own = with_kstatus(vec![ConditionSpec::new(RECONCILING, true, "Running", "")]);
        assert_eq!(own.len(), 1);
    }
}
