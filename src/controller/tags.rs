//! Tags as every kind keeps them: the ownership tags the operator writes, the changes that bring
//! a resource's tags in line with the desired set, the drift entries those changes stand for,
//! and the TagResource / UntagResource calls that make them. Keys AWS reserves (`aws:`) are
//! never touched.
//!
//! The desired set is the user's `spec.tags` plus the ownership tags. Keys found on the
//! resource and not desired are removed only when the user owns the whole tag set (`spec.tags`
//! is set); the callers decide that and clear the removals otherwise.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::aws::ecs::EcsApi;
use crate::controller::drift::DriftItem;
use crate::controller::error::Error;
use crate::controller::ownership::ownership_tags;
use crate::crd::common::{Tags, tags};

/// The tags a resource should carry: the user's plus the ownership tags. Observe mode claims
/// nothing: the operator's own tags are taken as found, so only the user's are compared.
pub fn desired_tags(
    user: Option<&Tags>,
    owner: &str,
    cluster_id: &str,
    actual: Option<&Tags>,
    observe_only: bool,
) -> Tags {
    let mut desired = user.cloned().unwrap_or_default();
    if observe_only {
        let found = actual.into_iter().flatten();
        desired.extend(found.filter(|(k, _)| k.starts_with(tags::PREFIX)).map(|(k, v)| (k.clone(), v.clone())));
    } else {
        desired.extend(ownership_tags(owner, cluster_id));
    }
    desired
}

/// Tags to set and keys to remove so that `actual` matches `desired`. Keys AWS reserves
/// (`aws:`) are never removed.
pub fn tag_changes(desired: &Tags, actual: &BTreeMap<String, String>) -> (BTreeMap<String, String>, Vec<String>) {
    let set = desired.iter().filter(|(k, v)| actual.get(*k) != Some(v)).map(|(k, v)| (k.clone(), v.clone())).collect();
    let remove = actual.keys().filter(|k| !desired.contains_key(*k) && !k.starts_with("aws:")).cloned().collect();
    (set, remove)
}

/// [`tag_changes`] under the rule for who owns a resource's tags: with `spec.tags` set
/// (`manage_user_tags`) the user owns the whole set, so every key not desired goes; without it
/// only the keys the operator applied before and the spec dropped (`removed`, from
/// `status.lastApplied`) go, and tags others put on the resource stay.
pub fn managed_tag_changes(
    desired: &Tags,
    actual: &Tags,
    manage_user_tags: bool,
    removed: &[String],
) -> (BTreeMap<String, String>, Vec<String>) {
    let (tag, mut untag) = tag_changes(desired, actual);
    untag.retain(|k| manage_user_tags || removed.contains(k));
    (tag, untag)
}

/// The drift entries (`tags.<key>`) that the changes `tag` and `untag` would put back.
pub fn tag_drift<'a>(
    tag: &'a BTreeMap<String, String>,
    untag: &'a [String],
    actual: &'a Tags,
) -> impl Iterator<Item = DriftItem> + 'a {
    let set = tag.iter().map(|(k, v)| DriftItem {
        field: format!("tags.{k}"),
        desired: Some(Value::from(v.as_str()).to_string()),
        actual: actual.get(k).map(|a| Value::from(a.as_str()).to_string()),
    });
    let removed = untag.iter().map(|k| DriftItem {
        field: format!("tags.{k}"),
        desired: None,
        actual: actual.get(k).map(|a| Value::from(a.as_str()).to_string()),
    });
    set.chain(removed)
}

/// The spec paths (`tags.<key>`) a set of changes writes, for events.
pub fn changed_paths(tag: &BTreeMap<String, String>, untag: &[String]) -> Vec<String> {
    tag.keys().chain(untag.iter()).map(|k| format!("tags.{k}")).collect()
}

/// TagResource for `tag`, then UntagResource for `untag`, each only when not empty. Tagging
/// goes first: on a resource being adopted it adds the owner tag, which the shipped IAM policy
/// requires before any other change (`ChangeOnlyOwned`).
pub async fn write_tag_changes(
    ecs: &dyn EcsApi,
    arn: &str,
    tag: &BTreeMap<String, String>,
    untag: &[String],
) -> Result<(), Error> {
    if !tag.is_empty() {
        ecs.tag_resource(arn, tag).await?;
    }
    if !untag.is_empty() {
        ecs.untag_resource(arn, untag.to_vec()).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> Tags {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn changes_set_what_differs_and_remove_what_is_not_desired_except_aws_keys() {
        let desired = map(&[("team", "web"), (tags::OWNER, "ns/web")]);
        let actual = map(&[("team", "old"), ("stale", "x"), ("aws:cloudformation:stack", "s")]);
        let (set, remove) = tag_changes(&desired, &actual);
        assert_eq!(set, map(&[("team", "web"), (tags::OWNER, "ns/web")]));
        assert_eq!(remove, vec!["stale".to_string()]);
        assert_eq!(tag_changes(&desired, &desired), (BTreeMap::new(), Vec::new()));
    }

    #[test]
    fn without_spec_tags_only_the_keys_the_operator_applied_are_removed() {
        let desired = map(&[(tags::OWNER, "ns/web")]);
        let actual = map(&[(tags::OWNER, "ns/web"), ("team", "web"), ("someone-else", "x"), ("aws:x", "y")]);
        let removed = ["team".to_string(), "gone-already".to_string()];
        let (set, untag) = managed_tag_changes(&desired, &actual, false, &removed);
        assert!(set.is_empty());
        assert_eq!(untag, ["team"], "not others' tags, not keys the resource no longer has");
        let (_, all) = managed_tag_changes(&desired, &actual, true, &[]);
        assert_eq!(all, ["someone-else", "team"], "spec.tags set: the user owns the whole set");
    }

    #[test]
    fn drift_names_each_key_with_json_values() {
        let actual = map(&[("team", "old"), ("stale", "x")]);
        let set = map(&[("team", "web"), ("new", "1")]);
        let items: Vec<DriftItem> = tag_drift(&set, &["stale".to_string()], &actual).collect();
        let fields: Vec<&str> = items.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["tags.new", "tags.team", "tags.stale"]);
        assert_eq!((items[0].desired.as_deref(), items[0].actual.as_deref()), (Some("\"1\""), None));
        assert_eq!((items[1].desired.as_deref(), items[1].actual.as_deref()), (Some("\"web\""), Some("\"old\"")));
        assert_eq!((items[2].desired.as_deref(), items[2].actual.as_deref()), (None, Some("\"x\"")));
        assert_eq!(changed_paths(&set, &["stale".to_string()]), ["tags.new", "tags.team", "tags.stale"]);
    }
}
