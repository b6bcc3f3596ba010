//! Field-level comparison of canonical desired and actual values.
//!
//! Both sides are canonical, so every managed field has a value on both (ECS's default where the
//! spec leaves it out): a field on one side only is a difference, whichever side it is on. The
//! few fields ECS picks itself are taken out of the actual side first
//! ([`super::defaults::drop_not_compared`]), which [`compare`] does. Lists whose items carry a
//! natural key (`name`, `containerName`, `capacityProvider`, a Service Connect `portName`, a
//! Lattice `targetGroupArn`) are matched by key, so a path reads
//! `containerDefinitions[web].image` rather than an index that shifts when items are added.

use serde_json::Value;

/// Object keys that identify an item in a list.
const ITEM_KEYS: &[&str] = &["name", "containerName", "capacityProvider", "portName", "targetGroupArn"];

/// One differing field: its path and both canonical values (None = absent).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDiff {
    pub path: String,
    pub desired: Option<Value>,
    pub actual: Option<Value>,
}

impl FieldDiff {
    /// The top-level spec field the path is in: `settings` of `settings.containerInsights`,
    /// `loadBalancers` of `loadBalancers[web].containerPort`.
    pub fn top_level(&self) -> &str {
        top_level(&self.path)
    }
}

/// The top-level spec fields the drift paths are in, sorted, each once: what an update sends.
pub fn top_levels<'a>(paths: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut fields: Vec<String> = paths.into_iter().map(|p| top_level(p).to_owned()).collect();
    fields.sort();
    fields.dedup();
    fields
}

/// The top-level spec field of a drift path.
pub fn top_level(path: &str) -> &str {
    path.split(['.', '[']).next().unwrap_or(path)
}

/// Every field whose value differs between two canonical values, on either side.
pub fn diff(desired: &Value, actual: &Value) -> Vec<FieldDiff> {
    let mut out = Vec::new();
    walk("", desired, Some(actual), &mut out);
    out
}

/// The differences between canonical `desired` and `actual` specs, leaving out what ECS chose
/// where the spec does not say (`not_compared`).
pub fn compare<T: serde::Serialize>(
    desired: &T,
    actual: &T,
    not_compared: &[super::defaults::NotCompared],
) -> Vec<FieldDiff> {
    let desired = serde_json::to_value(desired).unwrap_or(Value::Null);
    let mut actual = serde_json::to_value(actual).unwrap_or(Value::Null);
    super::defaults::drop_not_compared(&desired, &mut actual, not_compared);
    diff(&desired, &actual)
}

fn walk(path: &str, desired: &Value, actual: Option<&Value>, out: &mut Vec<FieldDiff>) {
    match (desired, actual) {
        (Value::Null, _) => {}
        (Value::Object(want), Some(Value::Object(have))) => {
            for (key, value) in want {
                walk(&join(path, key), value, have.get(key), out);
            }
            // What AWS has and the canonical spec does not name is a difference too: both sides
            // carry every managed field, so a field on one side only was removed or added.
            for (key, value) in have.iter().filter(|(k, v)| !want.contains_key(*k) && !v.is_null()) {
                out.push(FieldDiff { path: join(path, key), desired: None, actual: Some(value.clone()) });
            }
        }
        (Value::Array(want), Some(Value::Array(have))) => match item_key(want, have) {
            Some(key) => walk_keyed(path, key, want, have, out),
            None if want != have => {
                out.push(FieldDiff { path: path.to_owned(), desired: Some(desired.clone()), actual: actual.cloned() })
            }
            None => {}
        },
        (_, Some(have)) if have == desired => {}
        (_, have) => out.push(FieldDiff {
            path: path.to_owned(),
            desired: Some(desired.clone()),
            actual: have.filter(|v| !v.is_null()).cloned(),
        }),
    }
}

fn walk_keyed(path: &str, key: &str, want: &[Value], have: &[Value], out: &mut Vec<FieldDiff>) {
    let key_of = |item: &Value| item.get(key).and_then(Value::as_str).map(str::to_owned);
    for item in want {
        let Some(id) = key_of(item) else { continue };
        let matching = have.iter().find(|h| key_of(h).as_deref() == Some(id.as_str()));
        walk(&format!("{path}[{id}]"), item, matching, out);
    }
    // Items AWS has that the spec does not list are drift too: the user owns the whole list.
    for item in have {
        let Some(id) = key_of(item) else { continue };
        if !want.iter().any(|w| key_of(w).as_deref() == Some(id.as_str())) {
            out.push(FieldDiff { path: format!("{path}[{id}]"), desired: None, actual: Some(item.clone()) });
        }
    }
}

/// The key every item of both lists carries, once per list, if any. With a repeated key
/// (admission rejects most, not all) matching by key would pair an item with its twin's
/// counterpart and report drift between equal lists, so such lists are compared whole.
fn item_key(want: &[Value], have: &[Value]) -> Option<&'static str> {
    if want.is_empty() {
        return None;
    }
    let unique = |items: &[Value], key: &str| {
        let mut seen = std::collections::BTreeSet::new();
        items.iter().all(|item| item.get(key).and_then(Value::as_str).is_some_and(|id| seen.insert(id)))
    };
    ITEM_KEYS.iter().copied().find(|key| unique(want, key) && unique(have, key))
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(d: &[FieldDiff]) -> Vec<&str> {
        d.iter().map(|f| f.path.as_str()).collect()
    }

    #[test]
    fn equal_values_have_no_diff() {
        let v = json!({"a": 1, "b": [1, 2], "c": {"d": "e"}});
        assert!(diff(&v, &v).is_empty());
    }

    #[test]
    fn fields_only_in_actual_are_differences() {
        let d = diff(&json!({"a": 1}), &json!({"a": 1, "loadBalancers": [{"containerName": "web"}]}));
        assert_eq!(paths(&d), ["loadBalancers"]);
        assert_eq!(d[0].desired, None);
    }

    #[test]
    fn what_ecs_chose_is_not_compared() {
        use crate::canonical::defaults::SERVICE_NOT_COMPARED;
        let d = compare(&json!({"a": 1}), &json!({"a": 1, "platformVersion": "1.4.0"}), SERVICE_NOT_COMPARED);
        assert!(d.is_empty());
        let d =
            compare(&json!({"platformVersion": "1.3.0"}), &json!({"platformVersion": "1.4.0"}), SERVICE_NOT_COMPARED);
        assert_eq!(paths(&d), ["platformVersion"]);
    }

    #[test]
    fn scalar_change_and_missing_field() {
        let d = diff(&json!({"a": 1, "b": "x"}), &json!({"a": 2}));
        assert_eq!(paths(&d), ["a", "b"]);
        assert_eq!(d[0].actual, Some(json!(2)));
        assert_eq!(d[1].actual, None);
    }

    #[test]
    fn keyed_lists_match_by_name() {
        let want =
            json!({"containerDefinitions": [{"name": "web", "image": "nginx:2"}, {"name": "log", "image": "fb"}]});
        let have = json!({"containerDefinitions": [{"name": "log", "image": "fb"}, {"name": "web", "image": "nginx:1"}, {"name": "x", "image": "y"}]});
        let d = diff(&want, &have);
        assert_eq!(paths(&d), ["containerDefinitions[web].image", "containerDefinitions[x]"]);
        assert_eq!(d[1].desired, None);
    }

    #[test]
    fn service_connect_ports_and_lattice_groups_match_by_key() {
        let want = json!({"services": [{"portName": "http", "discoveryName": "web"}]});
        let have = json!({"services": [{"portName": "http", "discoveryName": "www"}]});
        assert_eq!(paths(&diff(&want, &have)), ["services[http].discoveryName"]);
        let tg = "arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/tg-0123456789abcdef0";
        let want = json!({"lattice": [{"targetGroupArn": tg, "portName": "http"}, {"targetGroupArn": "b", "portName": "http"}]});
        let have = json!({"lattice": [{"targetGroupArn": tg, "portName": "admin"}, {"targetGroupArn": "b", "portName": "http"}]});
        assert_eq!(paths(&diff(&want, &have)), [format!("lattice[{tg}].portName")], "portName repeats: keyed by group");
    }

    #[test]
    fn unkeyed_lists_compare_whole() {
        let d = diff(&json!({"subnets": ["a", "b"]}), &json!({"subnets": ["a"]}));
        assert_eq!(paths(&d), ["subnets"]);
        assert_eq!(d[0].desired, Some(json!(["a", "b"])));
    }

    #[test]
    fn repeated_keys_compare_whole_lists() {
        let v = json!({"containerDefinitions": [{"name": "w", "image": "a"}, {"name": "w", "image": "b"}]});
        assert!(diff(&v, &v).is_empty());
        let other = json!({"containerDefinitions": [{"name": "w", "image": "a"}]});
        assert_eq!(paths(&diff(&v, &other)), ["containerDefinitions"]);
    }

    #[test]
    fn type_change_is_reported() {
        let d = diff(&json!({"a": {"b": 1}}), &json!({"a": "text"}));
        assert_eq!(paths(&d), ["a"]);
    }
}
