//! `status.lastApplied`, as every kind keeps it: what the last successful apply set of the
//! fields ECS chooses itself when they are omitted (`canonical::defaults::*_NOT_COMPARED`), and
//! the user's tag keys.
//!
//! The spec alone cannot tell a field the user never set from one the user took out: both are
//! absent, and absent means "ECS chooses" for these fields, so they are not compared. Without a
//! record a removed `platformVersion` would stay pinned in ECS, unseen. With it, a group the
//! record names and the spec no longer sets is a removal, carried out as the group's
//! [`OnRemoval`] says; a tag key the record names and `spec.tags` no longer has is untagged even
//! when the whole block is gone (without `spec.tags` the operator otherwise leaves tags alone, so
//! as not to take away tags others put there).
//!
//! An object without a record (stored by a version before it existed, or just adopted) removes
//! nothing: its first successful apply writes one. Pure functions; the plans use them.

use serde::Serialize;
use serde_json::Value;

use crate::canonical::FieldDiff;
use crate::canonical::defaults::{NotCompared, OnRemoval, lookup};
use crate::controller::error::Error;
use crate::crd::common::{AppliedRecord, Tags, tags};

/// What the spec no longer sets of what was last applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Removals {
    /// Recorded paths of not-compared groups the spec sets no path of any more.
    pub fields: Vec<String>,
    /// Recorded user tag keys `spec.tags` no longer has (all of them when it is absent).
    pub tag_keys: Vec<String>,
}

/// The record of applying the canonical `desired` spec, and what it removes from `previous` (the
/// object's `status.lastApplied`): what each kind's sync asks before it plans.
pub fn track<T: Serialize>(
    desired: &T,
    groups: &[NotCompared],
    user_tags: Option<&Tags>,
    previous: Option<&AppliedRecord>,
) -> Result<(AppliedRecord, Removals), Error> {
    let json = serde_json::to_value(desired).map_err(|e| Error::InvalidSpec(format!("spec: {e}")))?;
    let current = record(&json, groups, user_tags);
    let removed = removals(previous, &current, groups);
    Ok((current, removed))
}

/// The record of applying `desired` (canonical JSON): the paths of `groups` it sets, in table
/// order, and the user's tag keys.
pub fn record(desired: &Value, groups: &[NotCompared], user_tags: Option<&Tags>) -> AppliedRecord {
    AppliedRecord {
        fields: groups
            .iter()
            .flat_map(|g| g.paths)
            .filter(|p| lookup(desired, p).is_some())
            .map(|p| (*p).to_owned())
            .collect(),
        tag_keys: user_tags.into_iter().flat_map(|t| t.keys()).filter(|k| is_user_key(k)).cloned().collect(),
    }
}

/// What `previous` (the last record) names that `current` (the record of the spec now) does not.
/// A field counts as removed only when its whole group is unset: with one path of a group still
/// set, the group is compared as usual. Paths this version does not know are left alone.
pub fn removals(previous: Option<&AppliedRecord>, current: &AppliedRecord, groups: &[NotCompared]) -> Removals {
    let Some(previous) = previous else { return Removals::default() };
    let still_set = |group: &NotCompared| group.paths.iter().any(|p| current.fields.iter().any(|c| c == p));
    let fields =
        previous.fields.iter().filter(|f| group_of(groups, f).is_some_and(|g| !still_set(g))).cloned().collect();
    let tag_keys =
        previous.tag_keys.iter().filter(|k| is_user_key(k) && !current.tag_keys.contains(k)).cloned().collect();
    Removals { fields, tag_keys }
}

/// What the removed `fields` ask of ECS, given the canonical `actual` (JSON).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RemovalWrites {
    /// Differences an update sends ([`OnRemoval::Send`]): desired absent, actual what ECS has.
    pub diffs: Vec<FieldDiff>,
    /// A removed field ECS cannot take back in place ([`OnRemoval::Replace`]).
    pub replace: Option<String>,
}

/// The writes for `removed` fields that ECS still has a value for. A field ECS already reports
/// absent needs nothing.
pub fn removal_writes(removed: &[String], actual: &Value, groups: &[NotCompared]) -> RemovalWrites {
    let mut out = RemovalWrites::default();
    for path in removed {
        let Some(group) = group_of(groups, path) else { continue };
        let Some(have) = lookup(actual, path).filter(|v| v.as_array().is_none_or(|a| !a.is_empty())) else {
            continue;
        };
        match group.on_removal {
            OnRemoval::Keep => {}
            OnRemoval::Send => {
                out.diffs.push(FieldDiff { path: path.clone(), desired: None, actual: Some(have.clone()) })
            }
            OnRemoval::Replace => {
                out.replace.get_or_insert_with(|| path.clone());
            }
        }
    }
    out
}

fn group_of<'a>(groups: &'a [NotCompared], path: &str) -> Option<&'a NotCompared> {
    groups.iter().find(|g| g.paths.contains(&path))
}

/// A key of the user's: not the operator's own (`ecs.operator.dev/`) and not AWS's (`aws:`).
fn is_user_key(key: &str) -> bool {
    !key.starts_with(tags::PREFIX) && !key.starts_with("aws:")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::defaults::{CAPACITY_PROVIDER_NOT_COMPARED, CLUSTER_NOT_COMPARED, SERVICE_NOT_COMPARED};
    use proptest::prelude::*;
    use serde_json::json;

    fn user_tags(keys: &[&str]) -> Tags {
        keys.iter().map(|k| (k.to_string(), "v".to_string())).collect()
    }

    fn rec(fields: &[&str], keys: &[&str]) -> AppliedRecord {
        AppliedRecord {
            fields: fields.iter().map(|f| f.to_string()).collect(),
            tag_keys: keys.iter().map(|k| k.to_string()).collect(),
        }
    }

    #[test]
    fn the_record_names_the_not_compared_paths_the_spec_sets_and_the_user_tag_keys() {
        let desired = json!({
            "platformVersion": "1.4.0",
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["a"], "securityGroups": ["sg-1"]}},
            "enableExecuteCommand": false,
        });
        let t = user_tags(&["team", "ecs.operator.dev/owner", "aws:cloudformation:stack"]);
        let r = record(&desired, SERVICE_NOT_COMPARED, Some(&t));
        assert_eq!(r, rec(&["platformVersion", "networkConfiguration.awsvpcConfiguration.securityGroups"], &["team"]));
        assert_eq!(record(&json!({}), SERVICE_NOT_COMPARED, None), AppliedRecord::default());
    }

    #[test]
    fn no_record_removes_nothing() {
        let now = rec(&[], &[]);
        assert_eq!(removals(None, &now, SERVICE_NOT_COMPARED), Removals::default());
    }

    #[test]
    fn a_field_is_removed_only_when_its_whole_group_is_unset() {
        let before = rec(&["platformVersion", "capacityProviderStrategy"], &[]);
        let r = removals(Some(&before), &rec(&["launchType"], &[]), SERVICE_NOT_COMPARED);
        assert_eq!(r.fields, ["platformVersion"], "launchType keeps the capacity group compared");
        let r = removals(Some(&before), &rec(&[], &[]), SERVICE_NOT_COMPARED);
        assert_eq!(r.fields, ["platformVersion", "capacityProviderStrategy"]);
        let unknown = rec(&["somethingNewer"], &[]);
        assert!(removals(Some(&unknown), &rec(&[], &[]), SERVICE_NOT_COMPARED).fields.is_empty());
    }

    #[test]
    fn tag_keys_removed_are_the_recorded_user_keys_the_spec_no_longer_has() {
        let before = rec(&[], &["team", "tier", "ecs.operator.dev/owner", "aws:x"]);
        let r = removals(Some(&before), &rec(&[], &["team"]), SERVICE_NOT_COMPARED);
        assert_eq!(r.tag_keys, ["tier"], "never the ownership tags, never aws: keys");
        let r = removals(Some(&before), &rec(&[], &[]), SERVICE_NOT_COMPARED);
        assert_eq!(r.tag_keys, ["team", "tier"], "the whole block gone: every recorded user key");
    }

    #[test]
    fn removal_writes_follow_the_table() {
        let actual = json!({
            "platformVersion": "1.4.0",
            "capacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}],
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["a"], "securityGroups": ["sg-1"]}},
            "availabilityZoneRebalancing": "ENABLED",
        });
        let removed: Vec<String> = [
            "platformVersion",
            "networkConfiguration.awsvpcConfiguration.securityGroups",
            "availabilityZoneRebalancing",
        ]
        .map(str::to_owned)
        .into();
        let w = removal_writes(&removed, &actual, SERVICE_NOT_COMPARED);
        let paths: Vec<&str> = w.diffs.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, ["platformVersion", "networkConfiguration.awsvpcConfiguration.securityGroups"]);
        assert!(w.diffs.iter().all(|d| d.desired.is_none()));
        assert_eq!(w.diffs[0].actual, Some(json!("1.4.0")));
        assert_eq!(w.replace, None, "availabilityZoneRebalancing is left to ECS");
        let w = removal_writes(&["capacityProviderStrategy".to_owned()], &actual, SERVICE_NOT_COMPARED);
        assert_eq!((w.replace.as_deref(), w.diffs.len()), (Some("capacityProviderStrategy"), 0));
        // ECS already reports nothing there (LATEST is canonical absent): nothing to write.
        let w = removal_writes(&removed, &json!({"capacityProviderStrategy": []}), SERVICE_NOT_COMPARED);
        assert_eq!(w, RemovalWrites::default());
        let w = removal_writes(&["capacityProviderStrategy".to_owned()], &json!({}), SERVICE_NOT_COMPARED);
        assert_eq!(w, RemovalWrites::default());
    }

    /// The cluster and capacity provider plans carry out tag removals only: a table entry that
    /// asked them for more would be silently ignored.
    #[test]
    fn only_service_removals_write_fields() {
        for group in CLUSTER_NOT_COMPARED.iter().chain(CAPACITY_PROVIDER_NOT_COMPARED) {
            assert_eq!(group.on_removal, OnRemoval::Keep, "{:?}", group.paths);
        }
    }

    fn paths() -> Vec<&'static str> {
        SERVICE_NOT_COMPARED.iter().flat_map(|g| g.paths.iter().copied()).collect()
    }

    proptest! {
        /// For any record and any spec now: nothing the spec still sets is removed, every removed
        /// field was recorded, a recorded group the spec sets no path of is removed whole, and
        /// the tag keys to untag are exactly the recorded user keys the spec dropped.
        #[test]
        fn removals_are_exactly_what_was_applied_and_is_no_longer_set(
            before_mask in proptest::collection::vec(any::<bool>(), paths().len()),
            now_mask in proptest::collection::vec(any::<bool>(), paths().len()),
            before_keys in proptest::collection::btree_set("(team|tier|cost|ecs\\.operator\\.dev/owner|aws:x)", 0..5),
            now_keys in proptest::option::of(proptest::collection::btree_set("(team|tier|cost)", 0..3)),
        ) {
            let all = paths();
            let pick = |mask: &[bool]| all.iter().zip(mask).filter(|(_, m)| **m).map(|(p, _)| p.to_string()).collect::<Vec<_>>();
            let before = AppliedRecord { fields: pick(&before_mask), tag_keys: before_keys.iter().cloned().collect() };
            let now_tags: Option<Tags> = now_keys.map(|k| k.into_iter().map(|k| (k, "v".to_string())).collect());
            let now = AppliedRecord { fields: pick(&now_mask), tag_keys: record(&json!({}), &[], now_tags.as_ref()).tag_keys };
            let r = removals(Some(&before), &now, SERVICE_NOT_COMPARED);
            for f in &r.fields {
                prop_assert!(before.fields.contains(f));
                let group = group_of(SERVICE_NOT_COMPARED, f).expect("a known path");
                prop_assert!(group.paths.iter().all(|p| !now.fields.iter().any(|n| n == p)));
            }
            for f in &before.fields {
                let group = group_of(SERVICE_NOT_COMPARED, f).expect("a known path");
                let unset = group.paths.iter().all(|p| !now.fields.iter().any(|n| n == p));
                prop_assert_eq!(r.fields.contains(f), unset);
            }
            let dropped: Vec<String> = before
                .tag_keys
                .iter()
                .filter(|k| is_user_key(k) && now_tags.as_ref().is_none_or(|t| !t.contains_key(*k)))
                .cloned()
                .collect();
            prop_assert_eq!(&r.tag_keys, &dropped);
            prop_assert!(r.tag_keys.iter().all(|k| !k.starts_with(tags::PREFIX) && !k.starts_with("aws:")));
        }
    }
}
