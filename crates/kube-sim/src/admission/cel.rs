//! `x-kubernetes-validations`: compiling CEL rules and evaluating them per node.
//!
//! Evaluation is delegated to kube-cel, one rule at a time: each rule is compiled against
//! a copy of its node's schema with every other rule and every `default` removed, so
//! kube-cel converts `self` with the right types but evaluates nothing else. The walk,
//! the error paths and the message formats are ours, following apiextensions-apiserver
//! `schema/cel/validation.go` (v0.33): rules on `null` values are skipped; a failed rule
//! reports `fieldErrorForReason(path[+fieldPath], <node type>, message, reason)`; map
//! entries are addressed as `path[key]`; on update, a non-transition rule failing on an
//! unchanged (correlated) value is ratcheted away. Cost estimation uses kube-cel's static
//! analysis. Nothing here mutates objects.

use kube_cel::{CompiledSchema, ErrorKind, Rule, WarningKind, compile_schema, estimate_rule_cost};
use serde_json::{Map, Value};

use super::SchemaError;
use super::errors::{BadValue, FieldError, child, subscript};
use super::schema::{Additional, Node};

/// One rule, compiled against its node's (stripped) schema.
#[derive(Debug)]
pub(crate) struct CompiledRule {
    /// Schema path of the node the rule sits on (`spec.items[*]`), for reports.
    pub schema_path: String,
    pub rule: Rule,
    pub compiled: CompiledSchema,
    /// Uses `oldSelf`: only evaluated on update with a correlated old value.
    pub transition: bool,
    /// `fieldPath` normalised to the form appended to the node path (`spec.cpu`).
    pub field_path: Option<String>,
}

/// Removes `x-kubernetes-validations` and `default` from every schema below `schema`.
fn strip_descendants(schema: &mut Value) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    let strip = |v: &mut Value| {
        if let Some(o) = v.as_object_mut() {
            o.remove("x-kubernetes-validations");
            o.remove("default");
        }
        strip_descendants(v);
    };
    if let Some(Value::Object(props)) = obj.get_mut("properties") {
        props.values_mut().for_each(strip);
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(v) = obj.get_mut(key) {
            strip(v);
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(list)) = obj.get_mut(key) {
            list.iter_mut().for_each(strip);
        }
    }
}

/// `fieldPath` as the apiserver normalises it: `.a.b` and `['a'].b` both become `a.b`.
fn normalize_field_path(fp: &str) -> String {
    let mut out = String::new();
    let mut rest = fp;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("['") {
            let end = r.find("']").unwrap_or(r.len());
            out = child(&out, &r[..end]);
            rest = r.get(end + 2..).unwrap_or("");
        } else if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            out = child(&out, &r[..end]);
            rest = &r[end..];
        } else if rest.starts_with('[') {
            let end = rest.find(']').map_or(rest.len(), |e| e + 1);
            out.push_str(&rest[..end]);
            rest = &rest[end..];
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            out = child(&out, &rest[..end]);
            rest = &rest[end..];
        }
    }
    out
}

/// Compiles the rules declared directly on `raw` (a node at schema path `path`).
pub(crate) fn compile_rules(raw: &Value, path: &str) -> Result<Vec<CompiledRule>, SchemaError> {
    let Some(rules) = raw.get("x-kubernetes-validations").and_then(Value::as_array) else {
        return Ok(Vec::new());
    };
    let mut base = raw.clone();
    strip_descendants(&mut base);
    if let Some(o) = base.as_object_mut() {
        o.remove("default");
    }
    let mut out = Vec::with_capacity(rules.len());
    for raw_rule in rules {
        let rule: Rule = serde_json::from_value(raw_rule.clone()).map_err(|e| SchemaError::RuleCompile {
            path: path.to_owned(),
            rule: raw_rule.to_string(),
            message: e.to_string(),
        })?;
        let mut single = base.clone();
        if let Some(o) = single.as_object_mut() {
            o.insert("x-kubernetes-validations".into(), Value::Array(vec![raw_rule.clone()]));
        }
        let compiled = compile_schema(&single);
        let transition = match compiled.validations.first() {
            Some(Ok(result)) => result.is_transition_rule,
            Some(Err(e)) => {
                return Err(SchemaError::RuleCompile {
                    path: path.to_owned(),
                    rule: rule.rule.clone(),
                    message: e.to_string(),
                });
            }
            None => false,
        };
        out.push(CompiledRule {
            schema_path: path.to_owned(),
            field_path: rule.field_path.as_deref().map(normalize_field_path),
            rule,
            compiled,
            transition,
        });
    }
    Ok(out)
}

/// `ruleErrorString`: the trimmed message, else the trimmed rule.
fn rule_error_string(rule: &Rule) -> String {
    match rule.message.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => m.to_owned(),
        None => rule.rule.trim().to_owned(),
    }
}

/// `ruleMessageOrDefault`
fn rule_message_or_default(rule: &Rule) -> String {
    match rule.message.as_deref().filter(|m| !m.is_empty()) {
        Some(m) => m.trim().to_owned(),
        None => format!("failed rule: {}", rule.rule.trim()),
    }
}

/// The message for a failed rule. kube-cel has already evaluated `messageExpression`
/// (falling back to the message when it fails); the apiserver additionally trims the
/// result and falls back when it is empty or spans lines.
fn failure_message(rule: &Rule, kube_cel_message: &str) -> String {
    if rule.message_expression.is_none() {
        return rule_message_or_default(rule);
    }
    let kube_cel_default = format!("failed rule: {}", rule.rule);
    if Some(kube_cel_message) == rule.message.as_deref() || kube_cel_message == kube_cel_default {
        return rule_message_or_default(rule);
    }
    let trimmed = kube_cel_message.trim();
    if trimmed.is_empty() || trimmed.contains('\n') { rule_message_or_default(rule) } else { trimmed.to_owned() }
}

/// `fieldErrorForReason`
fn error_for_reason(path: &str, type_name: &str, detail: String, reason: Option<&str>) -> FieldError {
    let value = BadValue::from(type_name);
    match reason {
        Some("FieldValueForbidden") => FieldError::forbidden(path, detail),
        Some("FieldValueRequired") => FieldError::required(path, detail),
        // The apiserver keeps only the node type for duplicates; the message is lost.
        Some("FieldValueDuplicate") => FieldError::duplicate(path, value),
        _ => FieldError::invalid(path, value, detail),
    }
}

fn evaluate_rules(node: &Node, value: &Value, old: Option<&Value>, path: &str, errs: &mut Vec<FieldError>) {
    let type_name = node.type_name.as_str();
    for rule in &node.rules {
        let Err(failures) = kube_cel::validate_compiled(&rule.compiled, value, old) else {
            continue;
        };
        for failure in failures {
            match failure.kind {
                ErrorKind::ValidationFailure => {
                    if !rule.transition && old == Some(value) {
                        // Ratcheting: the value did not change, the rule may keep failing.
                        continue;
                    }
                    let error_path = match &rule.field_path {
                        Some(fp) if !fp.is_empty() => child(path, fp),
                        _ => path.to_owned(),
                    };
                    let message = failure_message(&rule.rule, &failure.message);
                    errs.push(error_for_reason(&error_path, type_name, message, rule.rule.reason.as_deref()));
                }
                ErrorKind::EvaluationError => {
                    let cause = std::error::Error::source(&failure)
                        .map(ToString::to_string)
                        .unwrap_or_else(|| failure.message.clone());
                    // cel-go words runtime errors in lower case ("no such key: x").
                    let mut chars = cause.chars();
                    let cause: String = match chars.next() {
                        Some(first) => first.to_lowercase().chain(chars).collect(),
                        None => cause,
                    };
                    errs.push(FieldError::invalid(
                        path,
                        BadValue::from(type_name),
                        format!("{cause} evaluating rule: {}", rule_error_string(&rule.rule)),
                    ));
                }
                ErrorKind::InvalidResult => {
                    errs.push(FieldError::invalid(path, BadValue::from(type_name), failure.message));
                }
                // A function or macro kube-cel does not implement, or anything else the
                // real apiserver would not produce: make it loud rather than pass.
                _ => errs
                    .push(FieldError::internal(path, format!("{} (rule: {})", failure.message, rule.rule.rule.trim()))),
            }
        }
    }
}

/// Entries sorted by key: Go visits maps in random order, we pick a stable one.
fn sorted(map: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries
}

/// Whether old map entries correlate with new ones (`MapIsCorrelatable`).
fn map_correlates(node: &Node) -> bool {
    matches!(node.map_type.as_deref(), None | Some("granular") | Some("atomic"))
}

/// Evaluates every rule in the tree against `value`, pre-order.
pub(crate) fn validate(node: &Node, value: &Value, old: Option<&Value>, path: &str, errs: &mut Vec<FieldError>) {
    if value.is_null() {
        return;
    }
    evaluate_rules(node, value, old, path, errs);
    match value {
        Value::Object(map) => {
            let old_map = if map_correlates(node) { old } else { None };
            if let Additional::Schema(add) = &node.additional {
                for (k, v) in sorted(map) {
                    validate(add, v, old_map.and_then(|o| o.get(k)), &subscript(path, k), errs);
                }
            }
            for (k, v) in sorted(map) {
                if let Some(prop) = node.properties.get(k) {
                    validate(prop, v, old_map.and_then(|o| o.get(k)), &child(path, k), errs);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = &node.items {
                for (i, item) in items.iter().enumerate() {
                    let old_item = node.correlate_item(item, old);
                    validate(item_schema, item, old_item, &subscript(path, i), errs);
                }
            }
        }
        _ => {}
    }
}

/// Whether any node in the tree carries a rule.
pub(crate) fn has_rules(node: &Node) -> bool {
    !node.rules.is_empty()
        || node.properties.values().any(has_rules)
        || node.items.as_deref().is_some_and(has_rules)
        || matches!(&node.additional, Additional::Schema(a) if has_rules(a))
}

/// What kube-cel's static cost analysis says about one rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CostWarning {
    /// Schema path of the node carrying the rule, `[*]` for list items and map values.
    pub path: String,
    /// The rule's expression.
    pub rule: String,
    /// Which check fired.
    pub kind: CostWarningKind,
    /// kube-cel's explanation, including its estimate.
    pub message: String,
    /// How many times the rule can run per object (product of the enclosing lists' and
    /// maps' `maxItems`/`maxProperties`); `None` when an enclosing one is unbounded.
    pub cardinality: Option<u64>,
}

/// The kind of a [`CostWarning`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CostWarningKind {
    /// The estimate is above the per-call budget (1,000,000 cost units).
    ExceedsBudget,
    /// A comprehension ranges over a list without `maxItems`.
    MissingBounds,
    /// Anything newer kube-cel reports.
    Other,
}

/// Runs kube-cel's estimator on every rule in the tree.
pub(crate) fn estimate_costs(node: &Node, cardinality: Option<u64>, out: &mut Vec<CostWarning>) {
    for rule in &node.rules {
        for w in estimate_rule_cost(&rule.rule.rule, &rule.compiled) {
            out.push(CostWarning {
                path: rule.schema_path.clone(),
                rule: rule.rule.rule.clone(),
                kind: match w.kind {
                    WarningKind::CostExceeded => CostWarningKind::ExceedsBudget,
                    WarningKind::MissingBounds => CostWarningKind::MissingBounds,
                    _ => CostWarningKind::Other,
                },
                message: w.message,
                cardinality,
            });
        }
    }
    let times = |bound: Option<i64>| -> Option<u64> {
        let b = u64::try_from(bound?).ok()?;
        cardinality.map(|c| c.saturating_mul(b))
    };
    for prop in node.properties.values() {
        estimate_costs(prop, cardinality, out);
    }
    if let Some(items) = &node.items {
        estimate_costs(items, times(node.max_items), out);
    }
    if let Additional::Schema(add) = &node.additional {
        estimate_costs(add, times(node.max_properties), out);
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_field_path;

    #[test]
    fn field_paths_normalise() {
        for (input, want) in
            [(".cpu", "cpu"), (".a.b", "a.b"), ("['a.b'].c", "a.b.c"), (".list[0]", "list[0]"), ("cpu", "cpu")]
        {
            assert_eq!(normalize_field_path(input), want, "{input}");
        }
    }
}
