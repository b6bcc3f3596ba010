//! Helpers that add Kubernetes-specific parts to generated schemas: CEL rules
//! (`x-kubernetes-validations`) and list semantics. Used from `#[schemars(transform = …)]`.

use schemars::Schema;
use serde_json::{Value, json};

/// One CEL rule with the message `kubectl apply` shows and the field it blames.
pub struct CelRule<'a> {
    pub rule: &'a str,
    pub message: &'a str,
    /// Path relative to the schema node the rule sits on, e.g. `.cpu`.
    pub field_path: Option<&'a str>,
    /// Kubernetes field error reason: FieldValueInvalid (default), FieldValueRequired,
    /// FieldValueForbidden or FieldValueDuplicate.
    pub reason: Option<&'a str>,
}

impl<'a> CelRule<'a> {
    pub const fn new(rule: &'a str, message: &'a str) -> Self {
        Self { rule, message, field_path: None, reason: None }
    }
    pub const fn at(mut self, field_path: &'a str) -> Self {
        self.field_path = Some(field_path);
        self
    }
    pub const fn reason(mut self, reason: &'a str) -> Self {
        self.reason = Some(reason);
        self
    }

    fn to_json(&self) -> Value {
        let mut rule = json!({ "rule": self.rule, "message": self.message });
        if let Some(path) = self.field_path {
            rule["fieldPath"] = json!(path);
        }
        if let Some(reason) = self.reason {
            rule["reason"] = json!(reason);
        }
        rule
    }
}

/// Appends rules to the node's `x-kubernetes-validations`.
pub fn add_rules(schema: &mut Schema, rules: &[CelRule<'_>]) {
    let entry = schema.ensure_object().entry("x-kubernetes-validations").or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(list) = entry {
        list.extend(rules.iter().map(CelRule::to_json));
    }
}

/// Appends rules to the named property's node.
pub fn add_property_rules(schema: &mut Schema, property: &str, rules: &[CelRule<'_>]) {
    let node = schema.ensure_object().get_mut("properties").and_then(|props| props.get_mut(property));
    if let Some(node) = node {
        let entry = node
            .as_object_mut()
            .map(|o| o.entry("x-kubernetes-validations").or_insert_with(|| Value::Array(Vec::new())));
        if let Some(Value::Array(list)) = entry {
            list.extend(rules.iter().map(CelRule::to_json));
        }
    }
}

/// A list whose items are keyed by `name` (environment variables, secrets): a name may appear
/// once, checked by the API server as a map list, at no CEL cost.
pub fn unique_names(schema: &mut Schema) {
    map_list(schema, "name");
}

/// AWS tag maps: at most 50 entries, AWS key/value lengths, reserved prefixes refused.
pub fn tags(schema: &mut Schema) {
    let obj = schema.ensure_object();
    obj.insert("maxProperties".into(), json!(50));
    obj.insert("additionalProperties".into(), json!({ "type": "string", "maxLength": 256 }));
    add_rules(
        schema,
        &[
            CelRule::new("self.all(k, size(k) >= 1 && size(k) <= 128)", "tag keys must be 1 to 128 characters"),
            CelRule::new(
                "self.all(k, !k.startsWith('ecs.operator.dev/') && !k.lowerAscii().startsWith('aws:'))",
                "tag keys starting with 'ecs.operator.dev/' or 'aws:' are reserved",
            )
            .reason("FieldValueForbidden"),
        ],
    );
}

/// `x-kubernetes-list-type: set` for lists of scalars whose order does not matter.
pub fn set_list(schema: &mut Schema) {
    schema.ensure_object().insert("x-kubernetes-list-type".into(), json!("set"));
}

/// `x-kubernetes-list-type: map` keyed by `key`: items merge by key and duplicates are refused.
pub fn map_list(schema: &mut Schema, key: &str) {
    let obj = schema.ensure_object();
    obj.insert("x-kubernetes-list-type".into(), json!("map"));
    obj.insert("x-kubernetes-list-map-keys".into(), json!([key]));
}

/// A workload's references, shared by ECSService and ECSTask: exactly one way to name the task
/// definition and the cluster.
pub fn reference_rules(schema: &mut Schema) {
    add_rules(
        schema,
        &[
            CelRule::new(
                "has(self.taskDefinition) != has(self.taskDefinitionRef)",
                "set exactly one of taskDefinition and taskDefinitionRef",
            )
            .at(".taskDefinition")
            .reason("FieldValueRequired"),
            CelRule::new("has(self.cluster) != has(self.clusterRef)", "set exactly one of cluster and clusterRef")
                .at(".cluster")
                .reason("FieldValueRequired"),
        ],
    );
}

/// Where a workload's tasks run, shared by ECSService and ECSTask: a launch type or a capacity
/// provider strategy, and ECS's rules for the strategy.
pub fn capacity_rules(schema: &mut Schema) {
    add_rules(
        schema,
        &[
            CelRule::new(
                "!(has(self.launchType) && has(self.capacityProviderStrategy))",
                "launchType and capacityProviderStrategy cannot both be set",
            )
            .at(".launchType")
            .reason("FieldValueForbidden"),
            CelRule::new(
                "!has(self.capacityProviderStrategy) || self.capacityProviderStrategy.filter(s, has(s.base) && s.base > 0).size() <= 1",
                "only one capacityProviderStrategy item may have a base",
            )
            .at(".capacityProviderStrategy"),
            CelRule::new(
                "!has(self.capacityProviderStrategy) || self.capacityProviderStrategy.all(s, self.capacityProviderStrategy.exists_one(t, t.capacityProvider == s.capacityProvider))",
                "capacityProviderStrategy[].capacityProvider must be unique",
            )
            .at(".capacityProviderStrategy"),
        ],
    );
}
