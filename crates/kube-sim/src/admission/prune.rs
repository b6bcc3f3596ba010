//! Pruning of unknown fields and of nulls the schema does not allow.
//!
//! Mirrors apiextensions-apiserver `schema/pruning.PruneWithOptions` (root treated as an
//! embedded resource, so `apiVersion`, `kind` and `metadata` survive) and
//! `schema/defaulting.PruneNonNullableNullsWithoutDefaults`, which the apiserver runs when
//! it decodes a request, before defaulting and validation. Mutates only the object given.

use serde_json::Value;

use super::errors::{child, subscript};
use super::schema::{Additional, Node};

const META_FIELDS: [&str; 3] = ["apiVersion", "kind", "metadata"];

/// Drops fields the schema does not know; returns their paths, sorted, as the apiserver
/// reports them in `unknown field "..."` warnings or strict-decoding errors.
pub(crate) fn prune_unknown(root: &Node, obj: &mut Value) -> Vec<String> {
    let mut unknown = Vec::new();
    prune(obj, Some(root), true, "", &mut unknown);
    unknown.sort();
    unknown
}

fn prune(x: &mut Value, s: Option<&Node>, embedded_root: bool, path: &str, unknown: &mut Vec<String>) {
    if let Some(node) = s
        && node.preserve_unknown
    {
        skip_prune(x, node, embedded_root, path, unknown);
        return;
    }
    match x {
        Value::Object(map) => {
            let Some(node) = s else {
                unknown.extend(map.keys().map(|k| child(path, k)));
                map.clear();
                return;
            };
            let embedded = embedded_root || node.embedded_resource;
            let mut drop = Vec::new();
            for (k, v) in map.iter_mut() {
                if embedded && META_FIELDS.contains(&k.as_str()) {
                    continue;
                }
                if let Some(prop) = node.properties.get(k) {
                    prune(v, Some(prop), false, &child(path, k), unknown);
                } else if let Additional::Schema(add) = &node.additional {
                    prune(v, Some(add), false, &child(path, k), unknown);
                } else if matches!(node.additional, Additional::Allows(true)) {
                    // additionalProperties: true keeps the value but prunes inside it
                    // as the apiserver does with a nil structural schema.
                    prune(v, None, false, &child(path, k), unknown);
                } else {
                    drop.push(k.clone());
                }
            }
            for k in drop {
                unknown.push(child(path, &k));
                map.remove(&k);
            }
        }
        Value::Array(items) => {
            let item_schema = s.and_then(|n| n.items.as_deref());
            for (i, v) in items.iter_mut().enumerate() {
                prune(v, item_schema, false, &subscript(path, i), unknown);
            }
        }
        _ => {}
    }
}

fn skip_prune(x: &mut Value, node: &Node, embedded_root: bool, path: &str, unknown: &mut Vec<String>) {
    match x {
        Value::Object(map) => {
            let embedded = embedded_root || node.embedded_resource;
            for (k, v) in map.iter_mut() {
                if embedded && META_FIELDS.contains(&k.as_str()) {
                    continue;
                }
                if let Some(prop) = node.properties.get(k) {
                    prune(v, Some(prop), false, &child(path, k), unknown);
                } else if let Additional::Schema(add) = &node.additional {
                    prune(v, Some(add), false, &child(path, k), unknown);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = node.items.as_deref() {
                for (i, v) in items.iter_mut().enumerate() {
                    skip_prune(v, item_schema, false, &subscript(path, i), unknown);
                }
            }
        }
        _ => {}
    }
}

/// Removes `null`s whose schema is neither nullable nor defaulted (those with a default
/// are filled in by defaulting instead). List items are never removed.
pub(crate) fn prune_non_nullable_nulls(x: &mut Value, s: Option<&Node>) {
    match x {
        Value::Object(map) => {
            let mut drop = Vec::new();
            for (k, v) in map.iter_mut() {
                let schema = s.and_then(|n| n.field_schema(k));
                match schema {
                    Some(f) if v.is_null() && !f.nullable && f.default.is_none() => drop.push(k.clone()),
                    _ => prune_non_nullable_nulls(v, schema),
                }
            }
            for k in drop {
                map.remove(&k);
            }
        }
        Value::Array(items) => {
            let item_schema = s.and_then(|n| n.items.as_deref());
            for v in items {
                prune_non_nullable_nulls(v, item_schema);
            }
        }
        _ => {}
    }
}
