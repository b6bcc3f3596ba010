//! `x-kubernetes-list-type` invariants: `set` items and `map` keys must be unique.
//!
//! Mirrors apiextensions-apiserver `schema/listtype.ValidateListSetsAndMaps` (v0.33): only
//! the second occurrence of each repeated value is reported, as `Duplicate value`, with the
//! item (sets) or its key fields (maps) as the value. Paths use `[key]` for map entries, as
//! this validator builds them with `field.Path.Key`. Read-only.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::errors::{BadValue, FieldError, child, subscript};
use super::schema::{Additional, Node};

/// Appends list-type errors for the whole object.
pub(crate) fn validate(node: &Node, value: &Value, path: &str, errs: &mut Vec<FieldError>) {
    match value {
        Value::Object(map) => validate_object(node, map, path, errs),
        Value::Array(items) => validate_array(node, items, path, errs),
        _ => {}
    }
}

fn validate_object(node: &Node, map: &Map<String, Value>, path: &str, errs: &mut Vec<FieldError>) {
    if let Additional::Schema(schema) = &node.additional {
        for (k, v) in map {
            validate(schema, v, &subscript(path, k), errs);
        }
    }
    for (k, v) in map {
        if let Some(prop) = node.properties.get(k) {
            validate(prop, v, &child(path, k), errs);
        }
    }
}

fn validate_array(node: &Node, items: &[Value], path: &str, errs: &mut Vec<FieldError>) {
    match node.list_type.as_deref() {
        Some("set") => {
            for i in non_unique(items) {
                errs.push(FieldError::duplicate(&subscript(path, i), BadValue::from_json(&items[i])));
            }
        }
        Some("map") => validate_map_list(node, items, path, errs),
        _ => {}
    }
    if let Some(item_schema) = &node.items {
        for (i, item) in items.iter().enumerate() {
            validate(item_schema, item, &subscript(path, i), errs);
        }
    }
}

/// Indices of the second occurrence of every repeated value. Go compares scalars by
/// dynamic type and value (int64 1 ≠ float64 1) and compounds by their JSON encoding;
/// serde_json's compact encoding keeps that distinction.
fn non_unique(items: &[Value]) -> Vec<usize> {
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut out = Vec::new();
    for (i, x) in items.iter().enumerate() {
        let key = x.to_string();
        let times = seen.entry(key).or_insert(0);
        *times += 1;
        if *times == 2 {
            out.push(i);
        }
    }
    out
}

fn validate_map_list(node: &Node, items: &[Value], path: &str, errs: &mut Vec<FieldError>) {
    for (i, x) in items.iter().enumerate() {
        if !x.is_null() && !x.is_object() {
            errs.push(FieldError::invalid(
                &subscript(path, i),
                BadValue::from_json(x),
                "must be an object for an array of list-type map",
            ));
            return;
        }
    }
    if items.len() <= 1 {
        return;
    }
    // The key of each item: the key fields it sets (an unset key is its own value, and
    // all unset keys are equal to each other).
    let keys: Vec<Map<String, Value>> = items
        .iter()
        .map(|x| node.list_map_keys.iter().filter_map(|k| x.get(k).map(|v| (k.clone(), v.clone()))).collect())
        .collect();
    let encoded: Vec<Value> = keys.iter().cloned().map(Value::Object).collect();
    for i in non_unique(&encoded) {
        errs.push(FieldError::duplicate(&subscript(path, i), BadValue::Compound(encoded[i].clone())));
    }
}
