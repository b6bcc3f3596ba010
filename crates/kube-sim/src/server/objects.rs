//! Object bookkeeping shared by the write paths: metadata the server owns (uid, timestamps,
//! generation), managedFields, and the split between the main resource and `/status`.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::clock;
use super::patch::{self, field_set, from_fields_v1, to_fields_v1};
use super::registry::ResourceDef;

/// Metadata fields clients may not set or change.
const SERVER_METADATA: &[&str] =
    &["uid", "creationTimestamp", "resourceVersion", "generation", "deletionTimestamp", "managedFields", "selfLink"];

pub fn name(object: &Value) -> &str {
    object.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("")
}

pub fn metadata_mut(object: &mut Value) -> &mut Map<String, Value> {
    if !object.is_object() {
        *object = Value::Object(Map::new());
    }
    let root = match object {
        Value::Object(map) => map,
        _ => unreachable!("replaced with an object above"),
    };
    let meta = root.entry("metadata").or_insert_with(|| Value::Object(Map::new()));
    if !meta.is_object() {
        *meta = Value::Object(Map::new());
    }
    match meta {
        Value::Object(map) => map,
        _ => unreachable!("replaced with an object above"),
    }
}

pub fn finalizers(object: &Value) -> Vec<String> {
    object
        .pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .map(|f| f.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

pub fn is_deleting(object: &Value) -> bool {
    object.pointer("/metadata/deletionTimestamp").is_some_and(|v| !v.is_null())
}

/// The parts of an object that count towards `metadata.generation`: everything but metadata
/// and (for kinds with a status subresource) status.
pub fn spec_part(def: &ResourceDef, object: &Value) -> Value {
    let mut copy = object.clone();
    if let Some(m) = copy.as_object_mut() {
        m.remove("metadata");
        m.remove("apiVersion");
        m.remove("kind");
        if def.has_status {
            m.remove("status");
        }
    }
    copy
}

/// Fills in server-owned metadata on a new object.
pub fn init_new(def: &ResourceDef, object: &mut Value, namespace: Option<&str>) {
    let meta = metadata_mut(object);
    for key in SERVER_METADATA {
        meta.remove(*key);
    }
    meta.insert("uid".into(), json!(clock::new_uid()));
    meta.insert("creationTimestamp".into(), json!(clock::now_rfc3339()));
    meta.insert("generation".into(), json!(1));
    match namespace {
        Some(ns) if def.namespaced => {
            meta.insert("namespace".into(), json!(ns));
        }
        _ => {
            meta.remove("namespace");
        }
    }
}

/// Keeps server-owned metadata of `old` on `new`, and bumps generation when the spec changed.
pub fn carry_over(def: &ResourceDef, old: &Value, new: &mut Value) {
    let spec_changed = spec_part(def, old) != spec_part(def, new);
    let generation = old.pointer("/metadata/generation").and_then(Value::as_i64).unwrap_or(1);
    let old_meta = old.get("metadata").cloned().unwrap_or_default();
    let meta = metadata_mut(new);
    for key in [
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "namespace",
        "name",
        "managedFields",
        "deletionGracePeriodSeconds",
    ] {
        match old_meta.get(key) {
            Some(v) => meta.insert(key.into(), v.clone()),
            None => meta.remove(key),
        };
    }
    meta.insert("generation".into(), json!(if spec_changed { generation + 1 } else { generation }));
}

/// Status from `source` into `target` (or removed when `source` has none).
pub fn copy_status(source: &Value, target: &mut Value) {
    if let Some(map) = target.as_object_mut() {
        match source.get("status") {
            Some(status) => map.insert("status".into(), status.clone()),
            None => map.remove("status"),
        };
    }
}

/// Whether two objects are the same apart from bookkeeping that changes on every write.
pub fn same_content(a: &Value, b: &Value) -> bool {
    let strip = |v: &Value| {
        let mut c = v.clone();
        if let Some(m) = c.get_mut("metadata").and_then(Value::as_object_mut) {
            m.remove("resourceVersion");
            m.remove("managedFields");
        }
        c
    };
    strip(a) == strip(b)
}

/// The fields an applied configuration manages: labels, annotations and finalizers of metadata
/// plus everything outside metadata (only status for the status subresource).
pub fn managed_view(applied: &Value, status_only: bool) -> Value {
    let mut out = Map::new();
    if let Some(obj) = applied.as_object() {
        for (k, v) in obj {
            match k.as_str() {
                "apiVersion" | "kind" => {}
                "metadata" => {
                    if status_only {
                        continue;
                    }
                    let mut meta = Map::new();
                    for key in ["labels", "annotations", "finalizers"] {
                        if let Some(v) = v.get(key) {
                            meta.insert(key.into(), v.clone());
                        }
                    }
                    if !meta.is_empty() {
                        out.insert(k.clone(), Value::Object(meta));
                    }
                }
                "status" if !status_only => {}
                other if status_only && other != "status" => {}
                _ => {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
    }
    Value::Object(out)
}

/// One managedFields entry, as parsed from the object.
#[derive(Debug, Clone)]
pub struct ManagedEntry {
    pub manager: String,
    pub operation: String,
    pub subresource: String,
    pub api_version: String,
    pub fields: BTreeSet<Vec<String>>,
}

pub fn managed_entries(object: &Value) -> Vec<ManagedEntry> {
    let Some(list) = object.pointer("/metadata/managedFields").and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .map(|e| {
            let text = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
            ManagedEntry {
                manager: text("manager"),
                operation: text("operation"),
                subresource: text("subresource"),
                api_version: text("apiVersion"),
                fields: e.get("fieldsV1").map(from_fields_v1).unwrap_or_default(),
            }
        })
        .collect()
}

pub fn set_managed_entries(object: &mut Value, entries: &[ManagedEntry]) {
    let now = clock::now_rfc3339();
    let list: Vec<Value> = entries
        .iter()
        .filter(|e| !e.fields.is_empty())
        .map(|e| {
            let mut v = json!({
                "manager": e.manager,
                "operation": e.operation,
                "apiVersion": e.api_version,
                "time": now,
                "fieldsType": "FieldsV1",
                "fieldsV1": to_fields_v1(&e.fields),
            });
            if !e.subresource.is_empty() {
                v["subresource"] = json!(e.subresource);
            }
            v
        })
        .collect();
    metadata_mut(object).insert("managedFields".into(), Value::Array(list));
}

/// Records a non-apply write by `manager`: it takes ownership of every field it changed.
pub fn record_update(object: &mut Value, old: Option<&Value>, manager: &str, api_version: &str, status_only: bool) {
    let new_fields = field_set(&managed_view(object, status_only));
    let changed: BTreeSet<Vec<String>> = match old {
        Some(old) => new_fields.into_iter().filter(|p| patch::value_at(old, p) != patch::value_at(object, p)).collect(),
        None => new_fields,
    };
    let subresource = if status_only { "status" } else { "" };
    let mut entries = managed_entries(object);
    if changed.is_empty() && old.is_some() {
        return;
    }
    for e in &mut entries {
        e.fields.retain(|p| !changed.contains(p));
    }
    match entries.iter_mut().find(|e| e.manager == manager && e.operation == "Update" && e.subresource == subresource) {
        Some(e) => e.fields.extend(changed),
        None => entries.push(ManagedEntry {
            manager: manager.to_owned(),
            operation: "Update".into(),
            subresource: subresource.into(),
            api_version: api_version.to_owned(),
            fields: changed,
        }),
    }
    set_managed_entries(object, &entries);
}

/// The field manager of a non-apply request: `fieldManager`, else the user agent's program name.
pub fn manager_from(field_manager: Option<&str>, user_agent: &str) -> String {
    field_manager
        .map(str::to_owned)
        .unwrap_or_else(|| user_agent.split('/').next().filter(|s| !s.is_empty()).unwrap_or("unknown").to_owned())
}
