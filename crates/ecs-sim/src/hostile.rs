//! Hostile responses: per-operation edits applied to a successful answer's JSON before it is
//! sent, so tests can see how a client copes with what real ECS might one day send — required
//! members missing, enum values newer than the client's SDK, lists far longer than usual, members
//! of the wrong type. The simulated state is untouched: only the answer on the wire changes.
//!
//! A path is dot-separated member names; `*` stands for every item of a list (or every member
//! of an object): `services.*.deployments.*.rolloutState`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Lists may grow to at most this many items (a guard against a typo eating the test's memory).
pub const MAX_GROWN_ITEMS: usize = 100_000;

/// One edit of an answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Mutation {
    /// Removes the member at `path` (a required member missing).
    Remove { path: String },
    /// Sets the member at `path` to `value`, creating it if absent (an unknown enum value, a
    /// member of the wrong type).
    Set { path: String, value: Value },
    /// Appends items to the list at `path` until it has `count`: copies of `item`, or of the
    /// list's last item when `item` is absent. A missing list is created when `item` is given.
    Grow {
        path: String,
        count: usize,
        #[serde(default)]
        item: Option<Value>,
    },
}

impl Mutation {
    pub fn remove(path: &str) -> Self {
        Self::Remove { path: path.to_owned() }
    }

    pub fn set(path: &str, value: Value) -> Self {
        Self::Set { path: path.to_owned(), value }
    }

    pub fn grow(path: &str, count: usize, item: Option<Value>) -> Self {
        Self::Grow { path: path.to_owned(), count, item }
    }

    fn path(&self) -> &str {
        match self {
            Self::Remove { path } | Self::Set { path, .. } | Self::Grow { path, .. } => path,
        }
    }

    /// Checks what can be checked before any answer is seen.
    pub fn validate(&self) -> Result<(), String> {
        if self.path().is_empty() || self.path().split('.').any(str::is_empty) {
            return Err(format!("path {:?} has an empty segment", self.path()));
        }
        match self {
            Self::Grow { count, .. } if *count > MAX_GROWN_ITEMS => {
                Err(format!("count {count} is above the limit of {MAX_GROWN_ITEMS}"))
            }
            _ => Ok(()),
        }
    }

    fn apply(&self, body: &mut Value) {
        let segments: Vec<&str> = self.path().split('.').collect();
        let Some((last, parents)) = segments.split_last() else { return };
        for parent in select(body, parents) {
            let Value::Object(map) = parent else { continue };
            match self {
                Self::Remove { .. } => {
                    map.remove(*last);
                }
                Self::Set { value, .. } => {
                    map.insert((*last).to_owned(), value.clone());
                }
                Self::Grow { count, item, .. } => {
                    if !map.contains_key(*last) {
                        let Some(_) = item else { continue };
                        map.insert((*last).to_owned(), Value::Array(Vec::new()));
                    }
                    let Some(Value::Array(items)) = map.get_mut(*last) else { continue };
                    let Some(template) = item.clone().or_else(|| items.last().cloned()) else { continue };
                    let missing = count.saturating_sub(items.len());
                    items.extend(std::iter::repeat_n(template, missing));
                }
            }
        }
    }
}

/// Every value the path selects, `*` fanning out over list items and object members.
fn select<'a>(root: &'a mut Value, path: &[&str]) -> Vec<&'a mut Value> {
    let mut current = vec![root];
    for segment in path {
        let mut next = Vec::new();
        for value in current {
            match (value, *segment) {
                (Value::Array(items), "*") => next.extend(items.iter_mut()),
                (Value::Object(map), "*") => next.extend(map.values_mut()),
                (Value::Object(map), name) => next.extend(map.get_mut(name)),
                _ => {}
            }
        }
        current = next;
    }
    current
}

/// The configured edits, by operation name.
#[derive(Debug, Default)]
pub struct Mutations {
    by_operation: BTreeMap<String, Vec<Mutation>>,
}

impl Mutations {
    /// Replaces `operation`'s edits (an empty list removes them).
    pub fn set(&mut self, operation: &str, mutations: Vec<Mutation>) {
        if mutations.is_empty() {
            self.by_operation.remove(operation);
        } else {
            self.by_operation.insert(operation.to_owned(), mutations);
        }
    }

    pub fn clear(&mut self) {
        self.by_operation.clear();
    }

    pub fn all(&self) -> BTreeMap<String, Vec<Mutation>> {
        self.by_operation.clone()
    }

    /// Applies `operation`'s edits, in order, to its successful answer.
    pub fn apply(&self, operation: &str, body: &mut Value) {
        for mutation in self.by_operation.get(operation).into_iter().flatten() {
            mutation.apply(body);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn answer() -> Value {
        json!({"services": [
            {"status": "ACTIVE", "deployments": [{"id": "a", "rolloutState": "COMPLETED"}]},
            {"status": "ACTIVE", "deployments": [{"id": "b"}]},
        ]})
    }

    #[test]
    fn remove_set_and_grow_through_wildcards() {
        let mut m = Mutations::default();
        m.set(
            "DescribeServices",
            vec![
                Mutation::remove("services.*.status"),
                Mutation::set("services.*.deployments.*.rolloutState", json!("WEIRD")),
                Mutation::grow("services.*.deployments", 3, None),
                Mutation::grow("services.*.events", 2, Some(json!({"message": "m"}))),
            ],
        );
        let mut body = answer();
        m.apply("DescribeServices", &mut body);
        for service in body["services"].as_array().unwrap() {
            assert!(service.get("status").is_none());
            let deployments = service["deployments"].as_array().unwrap();
            assert_eq!(deployments.len(), 3);
            assert!(deployments.iter().all(|d| d["rolloutState"] == "WEIRD"));
            assert_eq!(service["events"].as_array().unwrap().len(), 2);
        }
        let mut other = answer();
        m.apply("DescribeClusters", &mut other);
        assert_eq!(other, answer(), "other operations are untouched");
    }

    #[test]
    fn paths_that_select_nothing_change_nothing() {
        let mut body = answer();
        Mutation::remove("nothing.here").apply(&mut body);
        Mutation::set("services.*.deployments.*.id.deeper", json!(1)).apply(&mut body);
        assert_eq!(body, answer());
    }

    #[test]
    fn validation_refuses_empty_segments_and_huge_counts() {
        assert!(Mutation::remove("a..b").validate().is_err());
        assert!(Mutation::grow("a", MAX_GROWN_ITEMS + 1, None).validate().is_err());
        assert!(Mutation::grow("a", 10, None).validate().is_ok());
    }
}
