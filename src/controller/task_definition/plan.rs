//! Pure planning for a TaskDefinition: given what is desired and what AWS has, which writes
//! are needed and what counts as drift. No I/O.

use std::collections::{BTreeMap, BTreeSet};

use crate::controller::drift::DriftItem;
use crate::controller::ownership::ownership_tags;
use crate::controller::tags::tag_changes;
use crate::crd::common::{DriftPolicy, Tags, tags};

/// A revision as the operator knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub arn: String,
    pub revision: i64,
    /// ACTIVE, INACTIVE or DELETE_IN_PROGRESS.
    pub status: String,
    pub tags: BTreeMap<String, String>,
}

impl Revision {
    pub fn is_active(&self) -> bool {
        self.status == "ACTIVE"
    }
}

/// What the spec asks for.
#[derive(Debug, Clone)]
pub struct Desired {
    pub family: String,
    pub spec_hash: String,
    /// Tags every revision must carry: the user's plus the ownership tags.
    pub tags: Tags,
    /// Old revisions to keep ACTIVE besides the current one.
    pub history_limit: usize,
    pub drift_policy: DriftPolicy,
}

/// What AWS has, as far as this object is concerned.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// The revision for the current spec hash, if one exists in AWS (any status).
    pub current: Option<Revision>,
    /// Our older revisions that are still ACTIVE (newest first).
    pub older_active: Vec<Revision>,
    /// ACTIVE revisions in the family that are not ours, newer than our newest.
    pub foreign_newer: Vec<String>,
}

/// Writes to make and differences to report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub register: bool,
    pub tag: BTreeMap<String, String>,
    pub untag: Vec<String>,
    pub deregister: Vec<String>,
    pub drift: Vec<DriftItem>,
}

impl Plan {
    pub fn writes(&self) -> bool {
        self.register || !self.tag.is_empty() || !self.untag.is_empty() || !self.deregister.is_empty()
    }
}

pub fn plan(desired: &Desired, observed: &Observed, protected: &BTreeSet<String>) -> Plan {
    let mut plan = Plan::default();
    let correct = desired.drift_policy == DriftPolicy::Correct;
    match &observed.current {
        None => plan.register = true,
        Some(current) if !current.is_active() => {
            // Someone deregistered (or deleted) our revision out of band. A revision cannot be
            // re-activated: correcting means registering the same content again.
            plan.drift.push(DriftItem {
                field: "status".into(),
                desired: Some(format!("{} ACTIVE", current.arn)),
                actual: Some(format!("{} {}", current.arn, current.status)),
            });
            plan.register = correct;
        }
        Some(current) => {
            let (tag, untag) = tag_changes(&desired.tags, &current.tags);
            plan.tag = tag;
            plan.untag = untag;
        }
    }
    for arn in &observed.foreign_newer {
        plan.drift.push(DriftItem {
            field: "family".into(),
            desired: observed.current.as_ref().map(|c| c.arn.clone()),
            actual: Some(format!("{arn} (registered outside this object)")),
        });
    }
    plan.deregister = observed
        .older_active
        .iter()
        .filter(|r| observed.current.as_ref().is_none_or(|c| c.arn != r.arn))
        .skip(desired.history_limit)
        .filter(|r| !protected.contains(&r.arn))
        .map(|r| r.arn.clone())
        .collect();
    plan
}

/// The tags a revision for `spec_hash` must carry.
pub fn desired_tags(user: Option<&Tags>, owner: &str, cluster_id: &str, spec_hash: &str) -> Tags {
    let mut all = user.cloned().unwrap_or_default();
    all.extend(ownership_tags(owner, cluster_id));
    all.insert(tags::SPEC_HASH.into(), spec_hash.into());
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rev(n: i64, status: &str) -> Revision {
        Revision {
            arn: format!("arn:aws:ecs:us-east-1:1:task-definition/web:{n}"),
            revision: n,
            status: status.into(),
            tags: desired_tags(None, "ns/web", "c", &format!("h{n}")),
        }
    }

    fn desired(hash: &str, limit: usize, policy: DriftPolicy) -> Desired {
        Desired {
            family: "web".into(),
            spec_hash: hash.into(),
            tags: desired_tags(None, "ns/web", "c", hash),
            history_limit: limit,
            drift_policy: policy,
        }
    }

    #[test]
    fn steady_state_plans_nothing() {
        let observed = Observed { current: Some(rev(3, "ACTIVE")), ..Default::default() };
        let p = plan(&desired("h3", 10, DriftPolicy::Correct), &observed, &BTreeSet::new());
        assert!(!p.writes(), "{p:?}");
        assert!(p.drift.is_empty());
    }

    #[test]
    fn missing_revision_registers() {
        let p = plan(&desired("h4", 10, DriftPolicy::Correct), &Observed::default(), &BTreeSet::new());
        assert!(p.register);
    }

    #[test]
    fn deregistered_out_of_band_is_drift_corrected_only_under_correct() {
        let observed = Observed { current: Some(rev(3, "INACTIVE")), ..Default::default() };
        let correct = plan(&desired("h3", 10, DriftPolicy::Correct), &observed, &BTreeSet::new());
        assert!(correct.register);
        assert_eq!(correct.drift.len(), 1);
        let report = plan(&desired("h3", 10, DriftPolicy::Report), &observed, &BTreeSet::new());
        assert!(!report.register);
        assert_eq!(report.drift[0].field, "status");
    }

    #[test]
    fn history_beyond_limit_is_pruned_unless_protected() {
        let observed = Observed {
            current: Some(rev(5, "ACTIVE")),
            older_active: vec![rev(4, "ACTIVE"), rev(3, "ACTIVE"), rev(2, "ACTIVE"), rev(1, "ACTIVE")],
            ..Default::default()
        };
        let protected: BTreeSet<String> = [rev(2, "ACTIVE").arn].into();
        let p = plan(&desired("h5", 1, DriftPolicy::Correct), &observed, &protected);
        assert_eq!(p.deregister, vec![rev(3, "ACTIVE").arn, rev(1, "ACTIVE").arn]);
    }

    #[test]
    fn tag_changes_keep_ownership_and_aws_tags() {
        let mut current = rev(3, "ACTIVE");
        current.tags.insert("team".into(), "old".into());
        current.tags.insert("stale".into(), "x".into());
        current.tags.insert("aws:cloudformation:stack".into(), "s".into());
        let mut want = desired("h3", 10, DriftPolicy::Correct);
        want.tags.insert("team".into(), "new".into());
        let observed = Observed { current: Some(current), ..Default::default() };
        let p = plan(&want, &observed, &BTreeSet::new());
        assert_eq!(p.tag, [("team".to_string(), "new".to_string())].into());
        assert_eq!(p.untag, vec!["stale".to_string()]);
    }

    #[test]
    fn foreign_newer_revisions_are_reported_never_deregistered() {
        let observed = Observed {
            current: Some(rev(3, "ACTIVE")),
            foreign_newer: vec!["arn:aws:ecs:us-east-1:1:task-definition/web:9".into()],
            ..Default::default()
        };
        let p = plan(&desired("h3", 0, DriftPolicy::Correct), &observed, &BTreeSet::new());
        assert!(p.deregister.is_empty());
        assert_eq!(p.drift[0].field, "family");
    }
}
