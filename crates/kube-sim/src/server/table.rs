//! `meta.k8s.io/v1` Table responses for `kubectl get`: a Name column, the CRD's
//! additionalPrinterColumns (evaluated with the small JSONPath subset CRDs use), and Age.

use serde_json::{Value, json};

use super::clock;
use super::registry::ResourceDef;

/// Whether the client asked for a Table.
pub fn wants_table(accept: &str) -> bool {
    accept.split(',').next().is_some_and(|first| first.contains("as=Table"))
}

pub fn table(def: &ResourceDef, objects: &[Value], resource_version: u64, now_secs: i64) -> Value {
    let mut columns = vec![
        json!({"name": "Name", "type": "string", "format": "name", "description": "Name must be unique within a namespace.", "priority": 0}),
    ];
    let custom = &def.printer_columns;
    for c in custom {
        columns.push(json!({"name": c.name, "type": c.type_, "format": c.format, "description": c.description, "priority": c.priority}));
    }
    let has_age = custom.iter().any(|c| c.json_path == ".metadata.creationTimestamp");
    if !has_age {
        columns.push(
            json!({"name": "Age", "type": "date", "format": "", "description": "CreationTimestamp", "priority": 0}),
        );
    }
    let rows: Vec<Value> = objects
        .iter()
        .map(|object| {
            let mut cells = vec![object.pointer("/metadata/name").cloned().unwrap_or(Value::Null)];
            for c in custom {
                let value = evaluate(object, &c.json_path);
                cells.push(render(value, &c.type_, now_secs));
            }
            if !has_age {
                cells.push(render(object.pointer("/metadata/creationTimestamp").cloned(), "date", now_secs));
            }
            json!({
                "cells": cells,
                "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": object.get("metadata").cloned().unwrap_or_default()},
            })
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version.to_string()},
        "columnDefinitions": columns,
        "rows": rows,
    })
}

/// Cell rendering: dates as ages ("5m"), missing values as "<none>"-style nulls.
fn render(value: Option<Value>, type_: &str, now_secs: i64) -> Value {
    match (value, type_) {
        (None, _) => Value::Null,
        (Some(Value::String(s)), "date") => match clock::parse_rfc3339(&s) {
            Some(t) => Value::String(human_age(now_secs - t)),
            None => Value::String(s),
        },
        (Some(v), _) => v,
    }
}

/// kubectl's short duration format: 45s, 5m10s, 3h, 2d…
pub fn human_age(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..=119 => format!("{s}s"),
        120..=599 => format!("{}m{}s", s / 60, s % 60).replace("m0s", "m"),
        600..=10799 => format!("{}m", s / 60),
        10800..=172799 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86400),
    }
}

/// The JSONPath subset printer columns use: `.a.b`, `.a[0]`, `.a[?(@.k=="v")].b`.
pub fn evaluate(object: &Value, path: &str) -> Option<Value> {
    let mut node = object.clone();
    let mut rest = path.trim().trim_start_matches('{').trim_end_matches('}').trim_start_matches('$');
    while !rest.is_empty() {
        if let Some(tail) = rest.strip_prefix('.') {
            let end = tail.find(['.', '[']).unwrap_or(tail.len());
            node = node.get(&tail[..end])?.clone();
            rest = &tail[end..];
        } else if let Some(tail) = rest.strip_prefix("[?(@.") {
            let close = tail.find(")]")?;
            let (field, value) = tail[..close].split_once("==")?;
            let want = value.trim().trim_matches(|c| c == '"' || c == '\'');
            let items = node.as_array()?;
            node = items.iter().find(|i| i.get(field.trim()).and_then(Value::as_str) == Some(want))?.clone();
            rest = &tail[close + 2..];
        } else if let Some(tail) = rest.strip_prefix('[') {
            let close = tail.find(']')?;
            let index: usize = tail[..close].parse().ok()?;
            node = node.get(index)?.clone();
            rest = &tail[close + 1..];
        } else {
            return None;
        }
    }
    Some(node)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonpath_subset() {
        let obj = json!({"status": {"revision": 3, "conditions": [{"type": "Synced", "status": "True"}, {"type": "Ready", "status": "False"}]}});
        assert_eq!(evaluate(&obj, ".status.revision"), Some(json!(3)));
        assert_eq!(evaluate(&obj, ".status.conditions[?(@.type==\"Ready\")].status"), Some(json!("False")));
        assert_eq!(evaluate(&obj, ".status.conditions[0].type"), Some(json!("Synced")));
        assert_eq!(evaluate(&obj, ".status.missing"), None);
    }

    #[test]
    fn ages() {
        assert_eq!(human_age(5), "5s");
        assert_eq!(human_age(150), "2m30s");
        assert_eq!(human_age(180), "3m");
        assert_eq!(human_age(4000), "66m");
        assert_eq!(human_age(90000), "25h");
        assert_eq!(human_age(200000), "2d");
    }
}
