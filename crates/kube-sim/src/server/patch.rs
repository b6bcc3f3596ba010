//! Patches: JSON merge patch, JSON patch, strategic merge patch (as far as kubectl and helm use
//! it on the built-in kinds kube-sim stores) and server-side apply with field ownership
//! recorded in `metadata.managedFields`.
//!
//! Field sets are kept as sorted lists of paths whose segments are written the way FieldsV1
//! writes them (`f:spec`, `k:{"type":"Ready"}`), so they convert to and from FieldsV1 directly.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

/// Object keys that identify items of a list that merges by key (SSA `map` lists and strategic
/// merge lists). Lists without such keys are atomic.
const MERGE_KEYS: &[&str] = &["type", "name", "containerPort", "mountPath", "devicePath", "ip", "port"];

/// How a request body patches an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    Merge,
    Json,
    Strategic,
    Apply,
}

impl PatchKind {
    pub fn from_content_type(content_type: &str) -> Option<Self> {
        let base = content_type.split(';').next().unwrap_or("").trim();
        match base {
            "application/merge-patch+json" => Some(Self::Merge),
            "application/json-patch+json" => Some(Self::Json),
            "application/strategic-merge-patch+json" => Some(Self::Strategic),
            "application/apply-patch+yaml" | "application/apply-patch+cbor" => Some(Self::Apply),
            _ => None,
        }
    }
}

/// RFC 7386 merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    json_patch::merge(target, patch);
}

/// RFC 6902 JSON patch, with the API server's leniency: a `test` for `null` passes when the
/// path is absent (kube-rs's finalizer helper relies on it to add the first finalizer).
pub fn json_patch(target: &mut Value, patch: &Value) -> Result<(), String> {
    let mut ops: json_patch::Patch =
        serde_json::from_value(patch.clone()).map_err(|e| format!("invalid JSON patch: {e}"))?;
    ops.0.retain(|op| match op {
        json_patch::PatchOperation::Test(t) => !(t.value.is_null() && target.pointer(t.path.as_str()).is_none()),
        _ => true,
    });
    json_patch::patch(target, &ops).map_err(|e| format!("the JSON patch could not be applied: {e}"))
}

/// Strategic merge patch, simplified: objects merge, lists of keyed objects merge by key,
/// `$patch: delete|replace` honoured, other `$` directives dropped, other lists replaced.
pub fn strategic_merge_patch(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            if p.get("$patch").and_then(Value::as_str) == Some("replace") {
                let mut replacement = p.clone();
                replacement.remove("$patch");
                *t = replacement;
                return;
            }
            for (key, value) in p {
                if key.starts_with('$') {
                    continue;
                }
                if value.is_null() {
                    t.remove(key);
                    continue;
                }
                match t.get_mut(key) {
                    Some(existing) => strategic_merge_patch(existing, value),
                    None => {
                        let mut fresh = Value::Null;
                        strategic_merge_patch(&mut fresh, value);
                        t.insert(key.clone(), fresh);
                    }
                }
            }
        }
        (Value::Array(t), Value::Array(p)) if merge_key(t, p).is_some() => {
            let Some(key) = merge_key(t, p) else { return };
            for item in p {
                let id = item.get(key).cloned();
                let position = t.iter().position(|x| x.get(key) == id.as_ref());
                let delete = item.get("$patch").and_then(Value::as_str) == Some("delete");
                match (position, delete) {
                    (Some(i), true) => {
                        t.remove(i);
                    }
                    (Some(i), false) => strategic_merge_patch(&mut t[i], item),
                    (None, false) => {
                        let mut fresh = Value::Null;
                        strategic_merge_patch(&mut fresh, item);
                        t.push(fresh);
                    }
                    (None, true) => {}
                }
            }
        }
        (target, patch) => *target = strip_directives(patch),
    }
}

fn strip_directives(value: &Value) -> Value {
    match value {
        Value::Object(m) => Value::Object(
            m.iter().filter(|(k, _)| !k.starts_with('$')).map(|(k, v)| (k.clone(), strip_directives(v))).collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_directives).collect()),
        other => other.clone(),
    }
}

/// The key that identifies items in both lists, if every item is an object carrying it.
fn merge_key<'a>(a: &'a [Value], b: &'a [Value]) -> Option<&'static str> {
    let items: Vec<&Value> = a.iter().chain(b).collect();
    if items.is_empty() {
        return None;
    }
    MERGE_KEYS.iter().copied().find(|k| items.iter().all(|i| i.get(*k).is_some_and(|v| v.is_string() || v.is_number())))
}

// ---- Server-side apply ------------------------------------------------------------------------

/// Paths of the leaves a value sets, FieldsV1-style.
pub fn field_set(value: &Value) -> BTreeSet<Vec<String>> {
    let mut out = BTreeSet::new();
    collect_fields(value, &mut Vec::new(), &mut out);
    out
}

fn collect_fields(value: &Value, path: &mut Vec<String>, out: &mut BTreeSet<Vec<String>>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                path.push(format!("f:{k}"));
                collect_fields(v, path, out);
                path.pop();
            }
        }
        Value::Array(items) if keyed_items(items).is_some() => {
            let key = keyed_items(items).unwrap_or("name");
            for item in items {
                path.push(item_segment(key, item));
                // The item itself is owned ("."), plus its fields.
                let mut dot = path.clone();
                dot.push(".".into());
                out.insert(dot);
                collect_fields(item, path, out);
                path.pop();
            }
        }
        _ => {
            if !path.is_empty() {
                out.insert(path.clone());
            }
        }
    }
}

fn keyed_items(items: &[Value]) -> Option<&'static str> {
    merge_key(items, &[])
}

fn item_segment(key: &str, item: &Value) -> String {
    let mut m = Map::new();
    m.insert(key.to_owned(), item.get(key).cloned().unwrap_or(Value::Null));
    format!("k:{}", Value::Object(m))
}

/// FieldsV1 JSON of a field set.
pub fn to_fields_v1(fields: &BTreeSet<Vec<String>>) -> Value {
    let mut root = Map::new();
    for path in fields {
        let mut node = &mut root;
        for segment in path {
            let entry = node.entry(segment.clone()).or_insert_with(|| json!({}));
            node = match entry {
                Value::Object(m) => m,
                _ => break,
            };
        }
    }
    Value::Object(root)
}

/// Field set of FieldsV1 JSON.
pub fn from_fields_v1(fields: &Value) -> BTreeSet<Vec<String>> {
    let mut out = BTreeSet::new();
    walk_fields_v1(fields, &mut Vec::new(), &mut out);
    out
}

fn walk_fields_v1(node: &Value, path: &mut Vec<String>, out: &mut BTreeSet<Vec<String>>) {
    match node.as_object() {
        Some(m) if !m.is_empty() => {
            for (k, v) in m {
                path.push(k.clone());
                walk_fields_v1(v, path, out);
                path.pop();
            }
        }
        _ => {
            if !path.is_empty() {
                out.insert(path.clone());
            }
        }
    }
}

/// The value at a field path, if present.
pub fn value_at<'a>(object: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut node = object;
    for segment in path {
        if segment == "." {
            return Some(node);
        }
        node = if let Some(field) = segment.strip_prefix("f:") {
            node.get(field)?
        } else if let Some(key) = segment.strip_prefix("k:") {
            let key: Map<String, Value> = serde_json::from_str(key).ok()?;
            node.as_array()?.iter().find(|item| key.iter().all(|(k, v)| item.get(k) == Some(v)))?
        } else {
            return None;
        };
    }
    Some(node)
}

/// Removes the fields an applier stopped setting: whole list items first, found by their key
/// while the key is still there, then the other fields, deepest first. (Removing an item's key
/// field before the item itself left the rest of the item behind, a half item the schema then
/// refused: an ECSService applied without the `placementConstraints` it had.)
pub fn remove_fields<'a>(object: &mut Value, paths: impl IntoIterator<Item = &'a Vec<String>>) {
    let (items, fields): (Vec<&Vec<String>>, Vec<&Vec<String>>) =
        paths.into_iter().partition(|p| p.last().is_some_and(|s| s == "."));
    for path in items.into_iter().chain(fields.into_iter().rev()) {
        remove_at(object, path);
    }
}

/// Removes the value at a field path (used when an applier stops setting a field it owned).
pub fn remove_at(object: &mut Value, path: &[String]) {
    let Some((last, parents)) = path.split_last() else { return };
    if last == "." {
        // The item itself: remove it from its list.
        let Some((item, list_path)) = parents.split_last() else { return };
        let emptied = match (item.strip_prefix("k:"), value_at_mut(object, list_path)) {
            (Some(key), Some(Value::Array(items))) => match serde_json::from_str::<Map<String, Value>>(key) {
                Ok(key) => {
                    items.retain(|i| !key.iter().all(|(k, v)| i.get(k) == Some(v)));
                    items.is_empty()
                }
                Err(_) => false,
            },
            _ => false,
        };
        // A list whose every item went goes too, as the API server removes a list the applier no
        // longer sets (kube-sim keys lists by a guessed field; the CRDs' lists are atomic).
        if emptied {
            remove_field(object, list_path);
        }
        return;
    }
    remove_field(object, path);
}

/// Removes the field at `path`, then every struct the removal left empty.
fn remove_field(object: &mut Value, path: &[String]) {
    let Some((last, parents)) = path.split_last() else { return };
    if let (Some(field), Some(Value::Object(parent))) = (last.strip_prefix("f:"), value_at_mut(object, parents)) {
        parent.remove(field);
    }
    // A struct left empty by the removal goes too, as in the API server: applying a config
    // without a block removes the block, not only its fields.
    let mut path = parents;
    while let Some((field, grandparents)) = path.split_last() {
        let empty = matches!(value_at_mut(object, path), Some(Value::Object(m)) if m.is_empty());
        match (field.strip_prefix("f:"), empty, value_at_mut(object, grandparents)) {
            (Some(field), true, Some(Value::Object(parent))) => {
                parent.remove(field);
            }
            _ => return,
        }
        path = grandparents;
    }
}

fn value_at_mut<'a>(object: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    let mut node = object;
    for segment in path {
        node = if let Some(field) = segment.strip_prefix("f:") {
            node.get_mut(field)?
        } else if let Some(key) = segment.strip_prefix("k:") {
            let key: Map<String, Value> = serde_json::from_str(key).ok()?;
            node.as_array_mut()?.iter_mut().find(|item| key.iter().all(|(k, v)| item.get(k) == Some(v)))?
        } else {
            return None;
        };
    }
    Some(node)
}

/// Merges an applied configuration into the live object: objects deep-merge, keyed lists
/// merge by key, everything else is replaced.
pub fn apply_merge(live: &mut Value, applied: &Value) {
    match (live, applied) {
        (Value::Object(l), Value::Object(a)) => {
            for (k, v) in a {
                match l.get_mut(k) {
                    Some(existing) => apply_merge(existing, v),
                    None => {
                        l.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (Value::Array(l), Value::Array(a)) if merge_key(l, a).is_some() => {
            let Some(key) = merge_key(l, a) else { return };
            for item in a {
                match l.iter_mut().find(|x| x.get(key) == item.get(key)) {
                    Some(existing) => apply_merge(existing, item),
                    None => l.push(item.clone()),
                }
            }
        }
        (live, applied) => *live = applied.clone(),
    }
}

/// Renders a field path for conflict messages: `.spec.replicas`, `.status.conditions[type="Ready"]`.
pub fn display_path(path: &[String]) -> String {
    let mut out = String::new();
    for segment in path {
        if let Some(f) = segment.strip_prefix("f:") {
            out.push('.');
            out.push_str(f);
        } else if let Some(k) = segment.strip_prefix("k:")
            && let Ok(Value::Object(m)) = serde_json::from_str::<Value>(k)
        {
            let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
            out.push_str(&format!("[{}]", parts.join(",")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_sets_round_trip_through_fields_v1() {
        let v = json!({"spec": {"a": 1, "b": {"c": true}}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}});
        let fields = field_set(&v);
        let fv1 = to_fields_v1(&fields);
        assert_eq!(fv1["f:status"]["f:conditions"]["k:{\"type\":\"Ready\"}"]["f:status"], json!({}));
        assert_eq!(from_fields_v1(&fv1), fields);
        for path in &fields {
            assert!(value_at(&v, path).is_some(), "{path:?}");
        }
    }

    #[test]
    fn apply_merge_merges_keyed_lists() {
        let mut live = json!({"conditions": [{"type": "A", "status": "True"}, {"type": "B", "status": "False"}]});
        apply_merge(&mut live, &json!({"conditions": [{"type": "B", "status": "True"}]}));
        assert_eq!(live["conditions"][1]["status"], "True");
        assert_eq!(live["conditions"][0]["status"], "True");
    }

    #[test]
    fn removing_every_field_of_a_block_removes_the_block() {
        let mut v = json!({"status": {"correction": {"attempts": 1}, "drift": []}});
        remove_at(&mut v, &["f:status".into(), "f:correction".into(), "f:attempts".into()]);
        assert_eq!(v, json!({"status": {"drift": []}}));
    }

    #[test]
    fn remove_keyed_item() {
        let mut v = json!({"c": [{"type": "A"}, {"type": "B"}]});
        remove_at(&mut v, &["f:c".into(), "k:{\"type\":\"A\"}".into(), ".".into()]);
        assert_eq!(v, json!({"c": [{"type": "B"}]}));
    }

    #[test]
    fn an_applier_dropping_a_keyed_list_removes_it_whole() {
        // What an ECSService's placementConstraints and loadBalancers look like to kube-sim.
        let v = json!({"spec": {"desiredCount": 1, "placementConstraints": [{"type": "distinctInstance"}],
                                "loadBalancers": [{"containerName": "web", "containerPort": 80, "targetGroupArn": "tg"}]}});
        let mut owned = field_set(&v);
        let kept = field_set(&json!({"spec": {"desiredCount": 1}}));
        owned.retain(|p| !kept.contains(p));
        let mut object = v.clone();
        remove_fields(&mut object, &owned);
        assert_eq!(object, json!({"spec": {"desiredCount": 1}}));
        // Another owner's item stays, and so does its list.
        let mut shared = json!({"c": [{"type": "A", "x": 1}, {"type": "B"}]});
        let a = field_set(&json!({"c": [{"type": "A", "x": 1}]}));
        remove_fields(&mut shared, &a);
        assert_eq!(shared, json!({"c": [{"type": "B"}]}));
    }

    #[test]
    fn strategic_merge_by_name_and_delete() {
        let mut target = json!({"spec": {"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "1"}]}});
        strategic_merge_patch(
            &mut target,
            &json!({"spec": {"containers": [{"name": "a", "image": "2"}, {"name": "b", "$patch": "delete"}], "$setElementOrder/containers": []}}),
        );
        assert_eq!(target, json!({"spec": {"containers": [{"name": "a", "image": "2"}]}}));
    }

    #[test]
    fn json_patch_test_for_null_passes_on_absent_path() {
        let mut t = json!({"metadata": {}});
        let patch = json!([
            {"op": "test", "path": "/metadata/finalizers", "value": null},
            {"op": "add", "path": "/metadata/finalizers", "value": ["x"]},
        ]);
        json_patch(&mut t, &patch).unwrap();
        assert_eq!(t["metadata"]["finalizers"], json!(["x"]));
        let failing = json!([{"op": "test", "path": "/metadata/finalizers", "value": null}]);
        assert!(json_patch(&mut t, &failing).is_err(), "present value is not null");
    }

    #[test]
    fn merge_patch_null_removes() {
        let mut t = json!({"a": 1, "b": 2});
        merge_patch(&mut t, &json!({"a": null}));
        assert_eq!(t, json!({"b": 2}));
    }
}
