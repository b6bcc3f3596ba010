//! Drift as every kind reports it: every difference between the spec and AWS, turned into
//! `status.drift` entries that keep their first-seen time across reconciles; and the gate that
//! keeps a correction AWS does not take from being re-sent on every poll.
//!
//! A correction (a write with an unchanged spec, to put AWS back) is sent at most
//! [`MAX_ATTEMPTS`] times for the same fields and values, [`FIRST_RETRY`] apart and doubling.
//! After that the object says `DriftNotCorrectable` and names the fields, and the correction
//! waits for a spec change or [`RETRY_AFTER_GIVING_UP`]. Both waits come from [`Backoff`] in
//! the controller config, so tests can run the whole schedule in seconds.

use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use crate::canonical::FieldDiff;
use crate::controller::conditions::{ConditionSpec, READY, SYNCED};
use crate::crd::common::{AppliedRecord, CommonStatus, CorrectionRecord, DriftEntry};

/// Times the same correction is sent before the object reports it as not correctable.
pub const MAX_ATTEMPTS: u32 = 3;
/// Wait after the first attempt; doubles after each further one.
pub const FIRST_RETRY: Duration = Duration::from_secs(30);
/// A correction given up on is tried once more after this long (a long resync).
pub const RETRY_AFTER_GIVING_UP: Duration = Duration::from_secs(3600);

/// The waits of the correction gate. The default is the production schedule ([`FIRST_RETRY`],
/// [`RETRY_AFTER_GIVING_UP`]); tests shorten it through `Config::correction_backoff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Wait after the first attempt; doubles after each further one.
    pub first_retry: Duration,
    /// Wait after the last of [`MAX_ATTEMPTS`] attempts.
    pub after_giving_up: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { first_retry: FIRST_RETRY, after_giving_up: RETRY_AFTER_GIVING_UP }
    }
}

/// Condition reasons while the spec and AWS differ.
pub mod reasons {
    /// A correction was sent and is checked on the next poll.
    pub const CORRECTING: &str = "DriftCorrecting";
    /// A correction was sent before and AWS still differs: waiting to try again.
    pub const RETRYING: &str = "DriftCorrectionRetrying";
    /// AWS kept its value after every attempt.
    pub const NOT_CORRECTABLE: &str = "DriftNotCorrectable";
    /// driftPolicy Report or managementPolicy Observe: recorded, not corrected.
    pub const REPORTED: &str = "Drifted";
    /// Every reason above.
    pub const ALL: &[&str] = &[CORRECTING, RETRYING, NOT_CORRECTABLE, REPORTED];
}

/// A difference between the spec and AWS, for `status.drift`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriftItem {
    pub field: String,
    pub desired: Option<String>,
    pub actual: Option<String>,
}

impl DriftItem {
    /// From a canonical field difference, values as JSON text.
    pub fn from_diff(d: &FieldDiff) -> Self {
        Self {
            field: d.path.clone(),
            desired: d.desired.as_ref().map(Value::to_string),
            actual: d.actual.as_ref().map(Value::to_string),
        }
    }
}

/// Status entries for `items`, keeping `firstSeen` of differences already reported; None when
/// there is no drift (the field is left out of status).
pub fn entries(previous: &[DriftEntry], items: &[DriftItem], now: &Time) -> Option<Vec<DriftEntry>> {
    let entries: Vec<DriftEntry> = items
        .iter()
        .map(|d| DriftEntry {
            field: d.field.clone(),
            desired: d.desired.clone(),
            actual: d.actual.clone(),
            first_seen: previous
                .iter()
                .find(|p| p.field == d.field && p.actual == d.actual)
                .map(|p| p.first_seen.clone())
                .unwrap_or_else(|| now.clone()),
        })
        .collect();
    (!entries.is_empty()).then_some(entries)
}

/// What to do about a correction the plan would send.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Correction {
    /// No correction is due (nothing differs, or the write is a spec change).
    #[default]
    None,
    /// Send it; the record counts this attempt.
    Send(CorrectionRecord),
    /// Sent before and not taken yet: do not write now; the next attempt is due at `next`.
    Wait { record: CorrectionRecord, next: Time },
    /// Sent [`MAX_ATTEMPTS`] times and not taken: do not write; one more attempt at `next`.
    GiveUp { record: CorrectionRecord, next: Time },
}

impl Correction {
    /// Whether the correction may be written now.
    pub fn sends(&self) -> bool {
        matches!(self, Correction::Send(_))
    }

    /// The record to keep in status.
    pub fn record(&self) -> Option<&CorrectionRecord> {
        match self {
            Correction::None => None,
            Correction::Send(r) | Correction::Wait { record: r, .. } | Correction::GiveUp { record: r, .. } => Some(r),
        }
    }

    /// How long until the next attempt is due, if one is waiting.
    pub fn retry_in(&self, now: &Time) -> Option<Duration> {
        match self {
            Correction::Wait { next, .. } | Correction::GiveUp { next, .. } => {
                Some(Duration::try_from(next.0.duration_since(now.0)).unwrap_or_default())
            }
            _ => None,
        }
    }
}

/// The gate for correcting `items` (the differences a correction would write), given the record
/// of the last correction sent. Pure: the clock and the schedule are passed in.
pub fn correction(
    previous: Option<&CorrectionRecord>,
    items: &[DriftItem],
    now: &Time,
    backoff: Backoff,
) -> Correction {
    if items.is_empty() {
        return Correction::None;
    }
    let fingerprint = fingerprint(items);
    let fields: Vec<String> = items.iter().map(|d| d.field.clone()).collect();
    let first = || CorrectionRecord {
        fields: fields.clone(),
        fingerprint: fingerprint.clone(),
        attempts: 1,
        last_attempt: now.clone(),
    };
    let Some(prev) = previous.filter(|p| p.fingerprint == fingerprint) else {
        return Correction::Send(first());
    };
    let since = Duration::try_from(now.0.duration_since(prev.last_attempt.0)).unwrap_or_default();
    let wait = if prev.attempts >= MAX_ATTEMPTS {
        backoff.after_giving_up
    } else {
        backoff.first_retry.saturating_mul(2u32.saturating_pow(prev.attempts.saturating_sub(1)))
    };
    if since >= wait {
        return Correction::Send(CorrectionRecord {
            attempts: prev.attempts.saturating_add(1),
            last_attempt: now.clone(),
            ..prev.clone()
        });
    }
    let record = CorrectionRecord { fields, ..prev.clone() };
    let next = Time(after(prev.last_attempt.0, wait));
    if prev.attempts >= MAX_ATTEMPTS { Correction::GiveUp { record, next } } else { Correction::Wait { record, next } }
}

fn after(t: Timestamp, d: Duration) -> Timestamp {
    SignedDuration::try_from(d).ok().and_then(|d| t.checked_add(d).ok()).unwrap_or(Timestamp::MAX)
}

/// Whether a plan may write, and the correction verdict, for a kind whose writes set groups of
/// fields: a spec change is always applied (not a correction); Observe never writes; Report
/// only records; Correct sends `items` through the [`correction`] gate.
pub fn may_write(
    spec_changed: bool,
    observe_only: bool,
    policy: crate::crd::common::DriftPolicy,
    previous: Option<&CorrectionRecord>,
    items: &[DriftItem],
    now: &Time,
    backoff: Backoff,
) -> (bool, Correction) {
    if observe_only {
        return (false, Correction::None);
    }
    if spec_changed {
        return (true, Correction::None);
    }
    if policy != crate::crd::common::DriftPolicy::Correct {
        return (false, Correction::None);
    }
    let verdict = correction(previous, items, now, backoff);
    (verdict.sends(), verdict)
}

/// When to look at an object again: a correction just sent is checked at the next rollout poll,
/// one waiting out its back-off when its next attempt is due, and otherwise at `steady`.
pub fn requeue_after(correction: &Correction, steady: Duration, check: Duration, now: &Time) -> Duration {
    if correction.sends() {
        return check.min(steady);
    }
    correction.retry_in(now).map_or(steady, |due| (due + Duration::from_millis(100)).min(steady))
}

/// The same fields with the same desired values: the same correction. Actual values are left
/// out, since what AWS reports may move while it keeps refusing.
fn fingerprint(items: &[DriftItem]) -> String {
    let mut parts: Vec<(&str, Option<&str>)> = items.iter().map(|d| (d.field.as_str(), d.desired.as_deref())).collect();
    parts.sort();
    crate::canonical::spec_hash(&parts).unwrap_or_default()
}

/// Ready and Synced while the spec and AWS differ: neither is True over a difference. None when
/// nothing differs. `fields` names them in the message.
pub fn conditions(drift: &[DriftItem], correction: &Correction, correcting: bool) -> Option<[ConditionSpec; 2]> {
    if drift.is_empty() {
        return None;
    }
    let fields = drift.iter().map(|d| d.field.as_str()).collect::<Vec<_>>().join(", ");
    let (reason, message) = match correction {
        Correction::Send(r) => {
            (reasons::CORRECTING, format!("put back {fields} (attempt {}); checking on the next poll", r.attempts))
        }
        Correction::Wait { record, next } => (
            reasons::RETRYING,
            format!(
                "AWS still differs in {fields} after {} correction(s); next attempt at {}",
                record.attempts, next.0
            ),
        ),
        Correction::GiveUp { record, next } => (
            reasons::NOT_CORRECTABLE,
            format!(
                "AWS kept its own value of {fields} after {} corrections; not sent again until the spec changes, or at {}",
                record.attempts, next.0
            ),
        ),
        Correction::None if correcting => (reasons::CORRECTING, format!("writing {fields}; checking on the next poll")),
        Correction::None => (reasons::REPORTED, format!("AWS differs from the spec in {fields}")),
    };
    Some([
        ConditionSpec::new(READY, false, reason, message.clone()),
        ConditionSpec::new(SYNCED, false, reason, message),
    ])
}

/// The shared part of every kind's status: conditions (with Ready and Synced turned False over
/// any difference, unless an error already says why Synced is False), drift entries, the
/// correction record and the record of what was applied. `correction` None means this reconcile
/// did not get as far as planning (an error, a wait): the last record is kept, so a failing
/// reconcile does not reset the count. `applied` None means nothing was applied (an error, a
/// wait, Observe mode): the last `lastApplied` is kept, so a removal not yet carried out stays
/// pending.
/// The Ready reason of a service whose deployment was rolled back: the difference it leaves
/// (the revision not pushed again) is explained by it, not drift.
pub const ROLLED_BACK: &str = "RolledBack";

pub fn common_status(
    previous: &CommonStatus,
    generation: Option<i64>,
    mut desired: Vec<ConditionSpec>,
    drift: &[DriftItem],
    correction: Option<&Correction>,
    applied: Option<&AppliedRecord>,
    now: &Time,
) -> CommonStatus {
    let sending = correction.is_some_and(Correction::sends);
    if let Some(overlay) = conditions(drift, correction.unwrap_or(&Correction::None), sending) {
        for spec in overlay {
            if let Some(slot) = desired.iter_mut().find(|d| d.type_ == spec.type_) {
                // An error is the better explanation for Synced=False, and a rollback for the
                // Ready=False over the revision it held back; keep them.
                let rolled_back = spec.type_ == READY && !slot.status && slot.reason == ROLLED_BACK;
                if (spec.type_ != SYNCED || slot.status) && !rolled_back {
                    *slot = spec;
                }
            }
        }
    }
    let previous_conditions = previous.conditions.as_deref().unwrap_or_default();
    CommonStatus {
        observed_generation: generation,
        conditions: Some(crate::controller::conditions::build(
            previous_conditions,
            &crate::controller::conditions::with_kstatus(desired),
            generation,
            now,
        )),
        drift: entries(previous.drift.as_deref().unwrap_or_default(), drift, now),
        correction: match correction {
            Some(c) => c.record().cloned(),
            None => previous.correction.clone(),
        },
        last_applied: applied.cloned().or_else(|| previous.last_applied.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Time {
        Time(s.parse().expect("time"))
    }

    #[test]
    fn first_seen_is_kept_while_the_difference_stays_the_same() {
        let item = DriftItem { field: "desiredCount".into(), desired: Some("3".into()), actual: Some("5".into()) };
        let first = entries(&[], std::slice::from_ref(&item), &t("2026-01-01T00:00:00Z")).expect("drift");
        let again = entries(&first, std::slice::from_ref(&item), &t("2026-01-01T00:05:00Z")).expect("drift");
        assert_eq!(again[0].first_seen, t("2026-01-01T00:00:00Z"));
        let moved = DriftItem { actual: Some("6".into()), ..item };
        let changed = entries(&first, &[moved], &t("2026-01-01T00:05:00Z")).expect("drift");
        assert_eq!(changed[0].first_seen, t("2026-01-01T00:05:00Z"), "a new actual value is a new difference");
        assert_eq!(entries(&first, &[], &t("2026-01-01T00:05:00Z")), None);
    }

    fn item(field: &str, desired: &str) -> DriftItem {
        DriftItem { field: field.into(), desired: Some(desired.into()), actual: Some("x".into()) }
    }

    #[test]
    fn a_correction_is_sent_a_bounded_number_of_times_with_back_off() {
        let items = [item("availabilityZoneRebalancing", "\"ENABLED\"")];
        let t0 = t("2026-01-01T00:00:00Z");
        let Correction::Send(first) = correction(None, &items, &t0, Backoff::default()) else {
            panic!("first attempt is sent")
        };
        assert_eq!(first.attempts, 1);
        // 21 s later (the next poll): too soon.
        let soon = correction(Some(&first), &items, &t("2026-01-01T00:00:21Z"), Backoff::default());
        assert!(matches!(soon, Correction::Wait { ref record, .. } if record.attempts == 1), "{soon:?}");
        let Correction::Send(second) = correction(Some(&first), &items, &t("2026-01-01T00:00:30Z"), Backoff::default())
        else {
            panic!("second attempt after 30 s")
        };
        assert!(
            !correction(Some(&second), &items, &t("2026-01-01T00:01:29Z"), Backoff::default()).sends(),
            "then 60 s"
        );
        let Correction::Send(third) = correction(Some(&second), &items, &t("2026-01-01T00:01:30Z"), Backoff::default())
        else {
            panic!("third attempt")
        };
        assert_eq!(third.attempts, MAX_ATTEMPTS);
        let gave_up = correction(Some(&third), &items, &t("2026-01-01T00:30:00Z"), Backoff::default());
        assert!(matches!(gave_up, Correction::GiveUp { .. }), "{gave_up:?}");
        let [ready, synced] = conditions(&items, &gave_up, false).expect("conditions");
        assert_eq!((ready.status, synced.status, synced.reason.as_str()), (false, false, reasons::NOT_CORRECTABLE));
        assert!(synced.message.contains("availabilityZoneRebalancing"), "{}", synced.message);
        assert!(
            correction(Some(&third), &items, &t("2026-01-01T01:01:30Z"), Backoff::default()).sends(),
            "a long resync tries again"
        );
    }

    #[test]
    fn the_schedule_comes_from_the_backoff_passed_in() {
        let short = Backoff { first_retry: Duration::from_secs(1), after_giving_up: Duration::from_secs(10) };
        let items = [item("enableExecuteCommand", "false")];
        let Correction::Send(first) = correction(None, &items, &t("2026-01-01T00:00:00Z"), short) else { panic!() };
        let Correction::Send(second) = correction(Some(&first), &items, &t("2026-01-01T00:00:01Z"), short) else {
            panic!("second attempt after 1 s")
        };
        assert!(!correction(Some(&second), &items, &t("2026-01-01T00:00:02Z"), short).sends(), "then 2 s");
        let Correction::Send(third) = correction(Some(&second), &items, &t("2026-01-01T00:00:03Z"), short) else {
            panic!("third attempt")
        };
        let gave_up = correction(Some(&third), &items, &t("2026-01-01T00:00:12Z"), short);
        assert!(matches!(gave_up, Correction::GiveUp { .. }), "{gave_up:?}");
        assert!(correction(Some(&third), &items, &t("2026-01-01T00:00:13Z"), short).sends());
        assert_eq!(Backoff::default(), Backoff { first_retry: FIRST_RETRY, after_giving_up: RETRY_AFTER_GIVING_UP });
    }

    #[test]
    fn the_applied_record_is_replaced_only_by_an_apply() {
        let recorded = AppliedRecord { fields: vec!["platformVersion".into()], tag_keys: vec!["team".into()] };
        let previous = CommonStatus { last_applied: Some(recorded.clone()), ..Default::default() };
        let now = t("2026-01-01T00:00:00Z");
        let failed = common_status(&previous, Some(2), Vec::new(), &[], None, None, &now);
        assert_eq!(failed.last_applied, Some(recorded), "an error, a wait or Observe keeps the removal pending");
        let applied = AppliedRecord::default();
        let done = common_status(&previous, Some(2), Vec::new(), &[], None, Some(&applied), &now);
        assert_eq!(done.last_applied, Some(applied));
    }

    #[test]
    fn a_different_correction_starts_over_and_no_drift_needs_none() {
        let t0 = t("2026-01-01T00:00:00Z");
        let Correction::Send(first) = correction(None, &[item("desiredCount", "3")], &t0, Backoff::default()) else {
            panic!()
        };
        let other = correction(Some(&first), &[item("desiredCount", "4")], &t0, Backoff::default());
        assert!(matches!(other, Correction::Send(ref r) if r.attempts == 1), "{other:?}");
        assert_eq!(correction(Some(&first), &[], &t0, Backoff::default()), Correction::None);
        assert!(conditions(&[], &Correction::None, false).is_none());
    }

    #[test]
    fn a_rollback_stays_the_ready_reason_over_the_difference_it_leaves() {
        let held =
            DriftItem { field: "taskDefinition".into(), desired: Some("web:2".into()), actual: Some("web:1".into()) };
        let rolled_back = ConditionSpec::new(READY, false, ROLLED_BACK, "rolled back");
        let synced = ConditionSpec::new(SYNCED, true, "ReconcileSuccess", "");
        let now = t("2026-01-01T00:00:00Z");
        let status =
            common_status(&CommonStatus::default(), Some(1), vec![rolled_back, synced], &[held], None, None, &now);
        let conditions = status.conditions.unwrap_or_default();
        let reason =
            |type_: &str| conditions.iter().find(|c| c.type_ == type_).map(|c| (c.status.clone(), c.reason.clone()));
        assert_eq!(reason(READY), Some(("False".into(), ROLLED_BACK.into())));
        assert_eq!(reason(SYNCED).map(|r| r.0), Some("False".into()), "Synced is still never True over a difference");
    }
}
