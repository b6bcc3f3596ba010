//! Structural defaulting (`default` in the schema).
//!
//! Mirrors apiextensions-apiserver `schema/defaulting.Default`: a property that is absent,
//! or a non-nullable `null`, gets a deep copy of its default; the walk then descends into
//! the (possibly just defaulted) value, so defaults nested inside defaults apply too.
//! Runs after pruning and before validation. Mutates only the object given.

use serde_json::Value;

use super::schema::{Additional, Node};

fn is_non_nullable_null(x: &Value, s: &Node) -> bool {
    x.is_null() && !s.nullable
}

/// Fills in defaults throughout `x`.
pub(crate) fn apply(x: &mut Value, s: &Node) {
    match x {
        Value::Object(map) => {
            for (k, prop) in &s.properties {
                let Some(default) = &prop.default else {
                    continue;
                };
                let missing = map.get(k).is_none_or(|v| is_non_nullable_null(v, prop));
                if missing {
                    map.insert(k.clone(), default.clone());
                }
            }
            for (k, v) in map.iter_mut() {
                if let Some(prop) = s.properties.get(k) {
                    apply(v, prop);
                } else if let Additional::Schema(add) = &s.additional {
                    if is_non_nullable_null(v, add)
                        && let Some(default) = &add.default
                    {
                        *v = default.clone();
                    }
                    apply(v, add);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = s.items.as_deref() {
                for v in items {
                    if is_non_nullable_null(v, item_schema)
                        && let Some(default) = &item_schema.default
                    {
                        *v = default.clone();
                    }
                    apply(v, item_schema);
                }
            }
        }
        _ => {}
    }
}
