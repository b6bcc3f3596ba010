//! The steady check of a TaskDefinition: cheap, because revisions are immutable. What can
//! change under a settled object is which revisions of its family are ACTIVE (one deregistered
//! or deleted outside the operator, another writer's registered) and their tags. The first is
//! read from the account's shared listing of ACTIVE revisions ([`crate::aws::revisions`]), one
//! call per 100 revisions for every TaskDefinition; the revision is described (for its tags)
//! only when that listing differs from what the last full check saw, or when its tags are due a
//! look (`task_definition_tag_interval`; with events on, a tag change arrives as an event).

use std::time::{Duration, Instant};

use crate::controller::context::{Context, object_key};
use crate::controller::error::Error;
use crate::crd::TaskDefinition;

/// What the last full check of one TaskDefinition saw.
#[derive(Debug, Clone, Copy)]
pub struct Checked {
    /// The fingerprint of its family's ACTIVE revisions then; None after the check wrote (the
    /// family changed under it), so the next check is a full one.
    fingerprint: Option<u64>,
    at: Instant,
    /// When its tags are next due a look, counted from `at` (spread, so objects checked
    /// together at start-up do not come due together).
    tags_after: Option<Duration>,
}

/// What a steady check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The family's ACTIVE revisions are as the last full check saw them, and the tags are not
    /// due: nothing to read.
    Unchanged,
    /// Only the tags are due: a full check that takes the family's revisions from the listing.
    TagsDue(Vec<String>),
    /// The family changed, or no full check is on record: a full check.
    Changed,
}

/// Judges a settled TaskDefinition of `family` against the shared listing.
pub async fn check(ctx: &Context, td: &TaskDefinition, family: &str) -> Result<Verdict, Error> {
    let Some(last) = last_check(ctx, td) else { return Ok(Verdict::Changed) };
    let listed = ctx.revisions.fresh(ctx.config.task_definition_list_interval).await?;
    // A listing older than the last full check cannot show anything newer than it saw.
    let fingerprint = if listed.started < last.at { last.fingerprint } else { Some(listed.fingerprint(family)) };
    Ok(judge(&last, fingerprint, || listed.active(family)))
}

/// The verdict, given the last full check and the family's fingerprint now (None: unknown).
fn judge(last: &Checked, fingerprint: Option<u64>, active: impl FnOnce() -> Vec<String>) -> Verdict {
    if last.fingerprint.is_none() || last.fingerprint != fingerprint {
        return Verdict::Changed;
    }
    match last.tags_after {
        Some(after) if last.at.elapsed() >= after => Verdict::TagsDue(active()),
        _ => Verdict::Unchanged,
    }
}

fn last_check(ctx: &Context, td: &TaskDefinition) -> Option<Checked> {
    let checks = ctx.shared.task_definition_checks.lock().unwrap_or_else(|e| e.into_inner());
    checks.get(&object_key(td)).copied()
}

/// Records a full check whose status was written: the fingerprint of the family it saw, None
/// when it changed the family or held a revision back.
pub fn record(ctx: &Context, td: &TaskDefinition, fingerprint: Option<u64>) {
    // ±25 %: a restart checks every object at once; their tag checks should not come due at once.
    let tags_after = ctx.config.task_definition_tag_interval.map(|i| i.mul_f64(0.75 + fastrand::f64() / 2.0));
    let checked = Checked { fingerprint, at: Instant::now(), tags_after };
    let mut checks = ctx.shared.task_definition_checks.lock().unwrap_or_else(|e| e.into_inner());
    checks.insert(object_key(td), checked);
}

/// Forgets a deleted object's record.
pub fn forget(ctx: &Context, td: &TaskDefinition) {
    let mut checks = ctx.shared.task_definition_checks.lock().unwrap_or_else(|e| e.into_inner());
    checks.remove(&object_key(td));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(fingerprint: Option<u64>, ago: Duration, tags_after: Option<Duration>) -> Checked {
        Checked { fingerprint, at: Instant::now().checked_sub(ago).unwrap_or_else(Instant::now), tags_after }
    }

    #[test]
    fn only_a_changed_family_or_due_tags_cost_a_read() {
        let listed = || vec!["arn:aws:ecs:us-east-1:1:task-definition/web:2".to_owned()];
        let hour = Duration::from_secs(3600);
        let minute = Duration::from_secs(60);
        assert_eq!(judge(&checked(Some(7), minute, Some(hour)), Some(7), listed), Verdict::Unchanged);
        assert_eq!(judge(&checked(Some(7), minute, None), Some(7), listed), Verdict::Unchanged);
        assert_eq!(judge(&checked(Some(7), minute, Some(hour)), Some(8), listed), Verdict::Changed);
        // A check that wrote (or held a revision back) recorded no fingerprint: the next is full.
        assert_eq!(judge(&checked(None, minute, Some(hour)), Some(7), listed), Verdict::Changed);
        assert_eq!(judge(&checked(None, minute, Some(hour)), None, listed), Verdict::Changed);
        assert_eq!(judge(&checked(Some(7), hour * 2, Some(hour)), Some(7), listed), Verdict::TagsDue(listed()));
        assert_eq!(judge(&checked(Some(7), hour * 2, None), Some(7), listed), Verdict::Unchanged);
    }
}
