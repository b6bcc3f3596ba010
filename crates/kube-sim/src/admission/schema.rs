//! The compiled schema tree and OpenAPI (structural) validation.
//!
//! [`Node`] is a CRD version's `openAPIV3Schema` parsed once: regexes compiled, formats
//! resolved the way the apiserver strips them, CEL rules compiled (see `cel.rs`).
//! [`validate`] walks an object like kube-openapi's `SchemaValidator` as wired by
//! apiextensions-apiserver v0.33: per node the type, allOf/anyOf/oneOf/not, string,
//! format, number, list, enum and object checks in that order, errors converted with
//! `kubeOpenAPIResultToFieldErrors`. Go visits properties in random map order; we visit
//! them sorted so output is stable. On update, a node whose value equals its correlated
//! old value reports nothing (CRD validation ratcheting, on by default since 1.30).
//! This module neither prunes, defaults nor runs CEL.

use std::collections::BTreeMap;

use regex::Regex;
use serde_json::Value;

use super::SchemaError;
use super::cel::CompiledRule;
use super::errors::{BadValue, FieldError, child, go_float, json_type_name, subscript};
use super::formats::{StringFormat, compile_go_regex};

/// What `additionalProperties` says.
#[derive(Debug)]
pub(crate) enum Additional {
    /// Not set.
    Absent,
    /// `true` or `false`.
    Allows(bool),
    /// A schema for every value of the map.
    Schema(Box<Node>),
}

/// One schema node, compiled.
#[derive(Debug)]
pub(crate) struct Node {
    /// The declared `type`, empty when absent (e.g. int-or-string).
    pub type_name: String,
    pub int_or_string: bool,
    pub nullable: bool,
    /// A string format the apiserver keeps, with the spelling the schema used.
    pub format: Option<(String, StringFormat)>,
    pub enum_values: Option<Vec<Value>>,
    pub required: Vec<String>,
    pub properties: BTreeMap<String, Node>,
    pub additional: Additional,
    pub items: Option<Box<Node>>,
    pub all_of: Vec<Node>,
    pub any_of: Vec<Node>,
    pub one_of: Vec<Node>,
    pub not: Option<Box<Node>>,
    pub minimum: Option<f64>,
    pub exclusive_minimum: bool,
    pub maximum: Option<f64>,
    pub exclusive_maximum: bool,
    pub multiple_of: Option<f64>,
    pub min_length: Option<i64>,
    pub max_length: Option<i64>,
    pub pattern: Option<(String, Regex)>,
    pub min_items: Option<i64>,
    pub max_items: Option<i64>,
    pub min_properties: Option<i64>,
    pub max_properties: Option<i64>,
    pub default: Option<Value>,
    pub preserve_unknown: bool,
    pub embedded_resource: bool,
    pub list_type: Option<String>,
    pub list_map_keys: Vec<String>,
    pub map_type: Option<String>,
    pub rules: Vec<CompiledRule>,
}

fn int_of(v: &Value, key: &str) -> Option<i64> {
    let n = v.get(key)?;
    n.as_i64().or_else(|| n.as_f64().map(|f| f as i64))
}

fn bool_of(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

impl Node {
    /// Compiles `raw` found at `path` (a schema path such as `spec.items[*].name`).
    pub(crate) fn compile(raw: &Value, path: &str) -> Result<Node, SchemaError> {
        let obj = raw.as_object().ok_or_else(|| SchemaError::InvalidSchema {
            path: path.to_owned(),
            reason: "schema node is not an object".to_owned(),
        })?;
        let mut properties = BTreeMap::new();
        if let Some(props) = obj.get("properties").and_then(Value::as_object) {
            for (name, sub) in props {
                properties.insert(name.clone(), Node::compile(sub, &child(path, name))?);
            }
        }
        let additional = match obj.get("additionalProperties") {
            None => Additional::Absent,
            Some(Value::Bool(b)) => Additional::Allows(*b),
            Some(sub) => Additional::Schema(Box::new(Node::compile(sub, &subscript(path, "*"))?)),
        };
        let items = match obj.get("items") {
            Some(sub) => Some(Box::new(Node::compile(sub, &subscript(path, "*"))?)),
            None => None,
        };
        let compile_list = |key: &str| -> Result<Vec<Node>, SchemaError> {
            obj.get(key)
                .and_then(Value::as_array)
                .map(|list| list.iter().map(|s| Node::compile(s, path)).collect())
                .unwrap_or_else(|| Ok(Vec::new()))
        };
        let pattern = match obj.get("pattern").and_then(Value::as_str) {
            Some(p) => Some((
                p.to_owned(),
                compile_go_regex(p).map_err(|source| SchemaError::InvalidPattern {
                    path: path.to_owned(),
                    pattern: p.to_owned(),
                    source,
                })?,
            )),
            None => None,
        };
        let format = obj
            .get("format")
            .and_then(Value::as_str)
            .and_then(|f| StringFormat::parse(f).map(|parsed| (f.to_owned(), parsed)));
        Ok(Node {
            type_name: obj.get("type").and_then(Value::as_str).unwrap_or("").to_owned(),
            int_or_string: bool_of(raw, "x-kubernetes-int-or-string"),
            nullable: bool_of(raw, "nullable"),
            format,
            enum_values: obj.get("enum").and_then(Value::as_array).cloned(),
            required: obj
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default(),
            properties,
            additional,
            items,
            all_of: compile_list("allOf")?,
            any_of: compile_list("anyOf")?,
            one_of: compile_list("oneOf")?,
            not: match obj.get("not") {
                Some(sub) => Some(Box::new(Node::compile(sub, path)?)),
                None => None,
            },
            minimum: obj.get("minimum").and_then(Value::as_f64),
            exclusive_minimum: bool_of(raw, "exclusiveMinimum"),
            maximum: obj.get("maximum").and_then(Value::as_f64),
            exclusive_maximum: bool_of(raw, "exclusiveMaximum"),
            multiple_of: obj.get("multipleOf").and_then(Value::as_f64),
            min_length: int_of(raw, "minLength"),
            max_length: int_of(raw, "maxLength"),
            pattern,
            min_items: int_of(raw, "minItems"),
            max_items: int_of(raw, "maxItems"),
            min_properties: int_of(raw, "minProperties"),
            max_properties: int_of(raw, "maxProperties"),
            default: obj.get("default").cloned(),
            preserve_unknown: bool_of(raw, "x-kubernetes-preserve-unknown-fields"),
            embedded_resource: bool_of(raw, "x-kubernetes-embedded-resource"),
            list_type: obj.get("x-kubernetes-list-type").and_then(Value::as_str).map(str::to_owned),
            list_map_keys: obj
                .get("x-kubernetes-list-map-keys")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default(),
            map_type: obj.get("x-kubernetes-map-type").and_then(Value::as_str).map(str::to_owned),
            rules: super::cel::compile_rules(raw, path)?,
        })
    }

    /// The types kube-openapi checks: int-or-string becomes `integer,string`.
    fn types(&self) -> Vec<&str> {
        if self.int_or_string {
            vec!["integer", "string"]
        } else if self.type_name.is_empty() {
            Vec::new()
        } else {
            vec![self.type_name.as_str()]
        }
    }

    /// The schema for the value under `key` of an object with this schema.
    pub(crate) fn field_schema(&self, key: &str) -> Option<&Node> {
        match self.properties.get(key) {
            Some(n) => Some(n),
            None => match &self.additional {
                Additional::Schema(n) => Some(n),
                _ => None,
            },
        }
    }

    /// For a `x-kubernetes-list-type: map` list, the old item with the same keys as
    /// `item`: the only list correlation the apiserver does for ratcheting.
    pub(crate) fn correlate_item<'a>(&self, item: &Value, old: Option<&'a Value>) -> Option<&'a Value> {
        if self.list_type.as_deref() != Some("map") || self.list_map_keys.is_empty() {
            return None;
        }
        let old_items = old?.as_array()?;
        let key_of =
            |v: &Value| -> Vec<Option<Value>> { self.list_map_keys.iter().map(|k| v.get(k).cloned()).collect() };
        let wanted = key_of(item);
        old_items.iter().find(|o| key_of(o) == wanted)
    }
}

/// Go's `float64` → `int64` conversion, which truncates toward zero.
fn go_trunc(f: f64) -> i64 {
    f.trunc() as i64
}

fn is_json_integer(f: f64) -> bool {
    // swag.IsFloat64AJSONInteger: integral and within float64's exact-integer range.
    f.is_finite() && f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0
}

/// Validates `value` against `node`, appending errors in kube-openapi's order.
pub(crate) fn validate(node: &Node, value: &Value, old: Option<&Value>, path: &str, errs: &mut Vec<FieldError>) {
    if old == Some(value) {
        // Ratcheting: an unchanged value may keep whatever it already had.
        return;
    }
    if value.is_null() {
        check_type(node, value, path, errs);
        check_enum(node, value, path, errs);
        return;
    }
    check_type(node, value, path, errs);
    check_composition(node, value, path, errs);
    match value {
        Value::String(s) => {
            check_string(node, s, path, errs);
            check_format(node, s, path, errs);
        }
        Value::Number(_) => check_number(node, value, path, errs),
        Value::Array(items) => check_array(node, items, old, path, errs),
        _ => {}
    }
    check_enum(node, value, path, errs);
    if let Value::Object(map) = value {
        check_object(node, map, old, path, errs);
    }
}

fn check_type(node: &Node, value: &Value, path: &str, errs: &mut Vec<FieldError>) {
    let types = node.types();
    let format = node.format.as_ref().map(|(f, _)| f.as_str()).unwrap_or("");
    if types.is_empty() && format.is_empty() {
        return;
    }
    let type_list = types.join(",");
    if value.is_null() {
        if !types.is_empty() && !types.contains(&"null") && !node.nullable {
            errs.push(type_error(path, &type_list, "null"));
        }
        return;
    }
    let sch_type = json_type_name(value);
    let is_float_int =
        sch_type == "number" && value.as_f64().is_some_and(is_json_integer) && types.contains(&"integer");
    let is_int_float = sch_type == "integer" && types.contains(&"number");
    let type_ok = types.contains(&sch_type) || is_float_int || is_int_float;
    let is_string_or_array = matches!(value, Value::String(_) | Value::Array(_));
    if !is_string_or_array && !format.is_empty() && !type_ok {
        // The data's own "format" as go-openapi names the Go type it decoded to.
        let data_format = match sch_type {
            "integer" => "int64",
            "number" => "float64",
            _ => "",
        };
        errs.push(type_error(path, format, data_format));
        return;
    }
    let is_numeric_type = types.contains(&"number") || types.contains(&"integer");
    if !is_numeric_type && !format.is_empty() && is_string_or_array {
        return;
    }
    if !type_ok {
        errs.push(type_error(path, &type_list, sch_type));
    }
}

/// `errors.InvalidType` with string data, converted to `field.TypeInvalid`.
fn type_error(path: &str, expected: &str, actual: &str) -> FieldError {
    FieldError::type_invalid(
        path,
        BadValue::from(actual),
        format!("{path} in body must be of type {expected}: {}", super::errors::go_quote(actual)),
    )
}

fn check_composition(node: &Node, value: &Value, path: &str, errs: &mut Vec<FieldError>) {
    // Composite errors are plain errors in kube-openapi, which apiextensions reports at
    // the nil path with an empty value.
    let branch = |n: &Node| {
        let mut e = Vec::new();
        validate(n, value, None, path, &mut e);
        e
    };
    if !node.any_of.is_empty() {
        let results: Vec<Vec<FieldError>> = node.any_of.iter().map(branch).collect();
        if results.iter().all(|r| !r.is_empty()) {
            errs.push(FieldError::invalid(
                "",
                BadValue::from(""),
                format!("{} must validate at least one schema (anyOf)", super::errors::go_quote(path)),
            ));
            if let Some(best) = results.into_iter().min_by_key(Vec::len) {
                errs.extend(best);
            }
        }
    }
    if !node.one_of.is_empty() {
        let results: Vec<Vec<FieldError>> = node.one_of.iter().map(branch).collect();
        let valid = results.iter().filter(|r| r.is_empty()).count();
        if valid != 1 {
            let extra =
                if valid == 0 { "Found none valid".to_owned() } else { format!("Found {valid} valid alternatives") };
            errs.push(FieldError::invalid(
                "",
                BadValue::from(""),
                format!("{} must validate one and only one schema (oneOf). {extra}", super::errors::go_quote(path)),
            ));
            if valid == 0
                && let Some(best) = results.into_iter().min_by_key(Vec::len)
            {
                errs.extend(best);
            }
        }
    }
    if !node.all_of.is_empty() {
        let mut valid = 0;
        for n in &node.all_of {
            let r = branch(n);
            if r.is_empty() {
                valid += 1;
            }
            errs.extend(r);
        }
        if valid != node.all_of.len() {
            let extra = if valid == 0 { ". None validated" } else { "" };
            errs.push(FieldError::invalid(
                "",
                BadValue::from(""),
                format!("{} must validate all the schemas (allOf){extra}", super::errors::go_quote(path)),
            ));
        }
    }
    if let Some(not) = &node.not
        && branch(not).is_empty()
    {
        errs.push(FieldError::invalid(
            "",
            BadValue::from(""),
            format!("{} must not validate the schema (not)", super::errors::go_quote(path)),
        ));
    }
}

fn check_string(node: &Node, s: &str, path: &str, errs: &mut Vec<FieldError>) {
    // kube-openapi stops at the first failing string check; lengths count runes.
    let len = s.chars().count() as i64;
    if let Some(max) = node.max_length
        && len > max
    {
        errs.push(FieldError::too_long(path, max));
    } else if let Some(min) = node.min_length
        && len < min
    {
        errs.push(FieldError::invalid(
            path,
            BadValue::from(s),
            format!("{path} in body should be at least {min} chars long"),
        ));
    } else if let Some((pattern, re)) = &node.pattern
        && !re.is_match(s)
    {
        errs.push(FieldError::invalid(path, BadValue::from(s), format!("{path} in body should match '{pattern}'")));
    }
}

fn check_format(node: &Node, s: &str, path: &str, errs: &mut Vec<FieldError>) {
    if let Some((name, format)) = &node.format
        && !format.validates(s)
    {
        errs.push(FieldError::type_invalid(
            path,
            BadValue::from(s),
            format!("{path} in body must be of type {name}: {}", super::errors::go_quote(s)),
        ));
    }
}

/// A numeric bound as kube-openapi prints and compares it against `value`.
struct Bound {
    /// The bound printed with `%v` of the Go type it was converted to.
    shown: String,
    /// Whether the check fails.
    violated: bool,
}

fn bound_check(
    node: &Node,
    value: &Value,
    bound: f64,
    path: &str,
    what: &str,
    errs: &mut Vec<FieldError>,
    cmp: impl Fn(f64, f64) -> bool,
) -> Bound {
    // For an integer schema the bound must itself be an int64, or kube-openapi reports
    // the bound and falls back to float comparison.
    let bound_is_int = node.type_name != "integer" || is_json_integer(bound);
    if !bound_is_int {
        errs.push(FieldError::invalid(
            "",
            BadValue::from(""),
            format!("{what} value must be of type integer (default format) in {path}"),
        ));
    }
    match value.as_i64() {
        Some(v) if bound_is_int => {
            let b = go_trunc(bound);
            Bound { shown: b.to_string(), violated: cmp(v as f64, b as f64) }
        }
        _ => Bound { shown: go_float(bound), violated: cmp(value.as_f64().unwrap_or(f64::NAN), bound) },
    }
}

fn check_number(node: &Node, value: &Value, path: &str, errs: &mut Vec<FieldError>) {
    let bad = BadValue::from_json(value);
    if node.type_name == "integer" && value.as_i64().is_none() {
        // IsValueValidAgainstRange on the value itself: a plain error at the nil path.
        let representable = value.as_f64().is_some_and(|f| f.fract() == 0.0 && f.abs() < 9.2e18);
        if !representable {
            errs.push(FieldError::invalid(
                "",
                BadValue::from(""),
                format!("Checked value must be of type integer (default format) in {path}"),
            ));
        }
    }
    if let Some(factor) = node.multiple_of
        && factor > 0.0
    {
        let not_multiple = match value.as_i64() {
            Some(v) if go_trunc(factor) != 0 && is_json_integer(factor) => v % go_trunc(factor) != 0,
            _ => {
                let data = value.as_f64().unwrap_or(f64::NAN);
                let mult = if factor < 1.0 { 1.0 / factor * data } else { data / factor };
                !is_json_integer(mult)
            }
        };
        if not_multiple {
            let shown = if value.as_i64().is_some() && is_json_integer(factor) {
                go_trunc(factor).to_string()
            } else {
                go_float(factor)
            };
            errs.push(FieldError::invalid(
                path,
                bad.clone(),
                format!("{path} in body should be a multiple of {shown}"),
            ));
        }
    }
    if let Some(min) = node.minimum {
        let exclusive = node.exclusive_minimum;
        let b = bound_check(
            node,
            value,
            min,
            path,
            "Minimum boundary",
            errs,
            |v, m| {
                if exclusive { v <= m } else { v < m }
            },
        );
        if b.violated {
            let op = if exclusive { "greater than" } else { "greater than or equal to" };
            errs.push(FieldError::invalid(path, bad.clone(), format!("{path} in body should be {op} {}", b.shown)));
        }
    }
    if let Some(max) = node.maximum {
        let exclusive = node.exclusive_maximum;
        let b = bound_check(
            node,
            value,
            max,
            path,
            "Maximum boundary",
            errs,
            |v, m| {
                if exclusive { v >= m } else { v > m }
            },
        );
        if b.violated {
            let op = if exclusive { "less than" } else { "less than or equal to" };
            errs.push(FieldError::invalid(path, bad, format!("{path} in body should be {op} {}", b.shown)));
        }
    }
}

fn check_array(node: &Node, items: &[Value], old: Option<&Value>, path: &str, errs: &mut Vec<FieldError>) {
    if let Some(item_schema) = &node.items {
        for (i, item) in items.iter().enumerate() {
            let old_item = node.correlate_item(item, old);
            validate(item_schema, item, old_item, &subscript(path, i), errs);
        }
    }
    let size = items.len() as i64;
    if let Some(min) = node.min_items
        && size < min
    {
        errs.push(FieldError::invalid(
            path,
            BadValue::Int(size),
            format!("{path} in body should have at least {min} items"),
        ));
    }
    if let Some(max) = node.max_items
        && size > max
    {
        errs.push(FieldError::too_many(path, size, max));
    }
}

/// Enum membership the way kube-openapi compares: numbers by value, the rest exactly.
fn enum_contains(values: &[Value], v: &Value) -> bool {
    values.iter().any(|e| match (e, v) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => e == v,
    })
}

fn check_enum(node: &Node, value: &Value, path: &str, errs: &mut Vec<FieldError>) {
    let Some(values) = &node.enum_values else {
        return;
    };
    if values.is_empty() || enum_contains(values, value) {
        return;
    }
    let supported: Vec<String> = values
        .iter()
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    errs.push(FieldError::not_supported(path, BadValue::from_json(value), &supported));
}

fn check_object(
    node: &Node,
    map: &serde_json::Map<String, Value>,
    old: Option<&Value>,
    path: &str,
    errs: &mut Vec<FieldError>,
) {
    let count = map.len() as i64;
    if let Some(min) = node.min_properties
        && count < min
    {
        errs.push(FieldError::invalid(
            path,
            BadValue::Int(count),
            format!("{path} in body should have at least {min} properties"),
        ));
    }
    if let Some(max) = node.max_properties
        && count > max
    {
        errs.push(FieldError::too_many(path, count, max));
    }
    match &node.additional {
        Additional::Allows(false) => {
            for key in map.keys().filter(|k| !node.properties.contains_key(*k)) {
                errs.push(FieldError::invalid(
                    path,
                    BadValue::from(key.as_str()),
                    format!("{path}.{key} in body is a forbidden property"),
                ));
            }
        }
        Additional::Schema(schema) => {
            for (key, v) in map.iter().filter(|(k, _)| !node.properties.contains_key(*k)) {
                let old_v = old.and_then(|o| o.get(key));
                validate(schema, v, old_v, &child(path, key), errs);
            }
        }
        _ => {}
    }
    for (name, prop) in &node.properties {
        if let Some(v) = map.get(name) {
            validate(prop, v, old.and_then(|o| o.get(name)), &child(path, name), errs);
        }
    }
    for name in &node.required {
        if !map.contains_key(name) {
            errs.push(FieldError::required(&child(path, name), ""));
        }
    }
}
