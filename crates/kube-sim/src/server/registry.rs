//! What kube-sim serves: the built-in kinds it stores generically, and the kinds that
//! CustomResourceDefinitions add at run time (with their schema, subresources and printer
//! columns).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::store::ResourceId;
use crate::admission::CompiledCrdSchema;

/// A printer column from a CRD's `additionalPrinterColumns`.
#[derive(Clone, Debug)]
pub struct PrinterColumn {
    pub name: String,
    pub type_: String,
    pub json_path: String,
    pub priority: i64,
    pub description: String,
    pub format: String,
}

/// One served resource.
#[derive(Clone)]
pub struct ResourceDef {
    pub group: String,
    /// Served versions; the first is the preferred (storage) one.
    pub versions: Vec<String>,
    pub kind: String,
    pub plural: String,
    pub singular: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    pub has_status: bool,
    pub printer_columns: Vec<PrinterColumn>,
    /// Validation schema per version (CRDs only).
    pub schemas: BTreeMap<String, Arc<CompiledCrdSchema>>,
    /// Raw openAPIV3Schema per version, for OpenAPI documents and `kubectl explain`.
    pub raw_schemas: BTreeMap<String, Value>,
    /// Name of the CRD that defines it, if any.
    pub crd_name: Option<String>,
}

impl ResourceDef {
    pub fn id(&self) -> ResourceId {
        ResourceId::new(&self.group, &self.plural)
    }

    pub fn api_version(&self, version: &str) -> String {
        if self.group.is_empty() { version.to_owned() } else { format!("{}/{}", self.group, version) }
    }

    pub fn group_kind(&self) -> String {
        if self.group.is_empty() { self.kind.clone() } else { format!("{}.{}", self.kind, self.group) }
    }

    pub fn verbs(&self) -> Vec<&'static str> {
        vec!["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
    }

    fn builtin(group: &str, version: &str, kind: &str, plural: &str, namespaced: bool, short: &[&str]) -> Self {
        Self {
            group: group.into(),
            versions: vec![version.into()],
            kind: kind.into(),
            plural: plural.into(),
            singular: kind.to_ascii_lowercase(),
            namespaced,
            short_names: short.iter().map(|s| s.to_string()).collect(),
            categories: Vec::new(),
            has_status: false,
            printer_columns: Vec::new(),
            schemas: BTreeMap::new(),
            raw_schemas: BTreeMap::new(),
            crd_name: None,
        }
    }

    fn with_status(mut self) -> Self {
        self.has_status = true;
        self
    }

    fn in_category(mut self, category: &str) -> Self {
        self.categories.push(category.into());
        self
    }

    /// The resource a CRD defines, or an error message naming the bad field.
    pub fn from_crd(crd: &Value) -> Result<Self, String> {
        let spec = crd.get("spec").ok_or("spec: Required value")?;
        let text = |v: Option<&Value>, field: &str| -> Result<String, String> {
            v.and_then(Value::as_str).map(str::to_owned).ok_or_else(|| format!("{field}: Required value"))
        };
        let names = spec.get("names");
        let strings = |v: Option<&Value>| -> Vec<String> {
            v.and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default()
        };
        let kind = text(names.and_then(|n| n.get("kind")), "spec.names.kind")?;
        let plural = text(names.and_then(|n| n.get("plural")), "spec.names.plural")?;
        let singular = names
            .and_then(|n| n.get("singular"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| kind.to_ascii_lowercase());
        let group = text(spec.get("group"), "spec.group")?;
        let namespaced = spec.get("scope").and_then(Value::as_str) != Some("Cluster");
        let versions = spec.get("versions").and_then(Value::as_array).ok_or("spec.versions: Required value")?;
        let mut def = Self {
            group,
            versions: Vec::new(),
            kind,
            plural,
            singular,
            namespaced,
            short_names: strings(names.and_then(|n| n.get("shortNames"))),
            categories: strings(names.and_then(|n| n.get("categories"))),
            has_status: false,
            printer_columns: Vec::new(),
            schemas: BTreeMap::new(),
            raw_schemas: BTreeMap::new(),
            crd_name: crd.pointer("/metadata/name").and_then(Value::as_str).map(str::to_owned),
        };
        // Storage version first: it is the preferred version in discovery.
        let mut ordered: Vec<&Value> = versions.iter().collect();
        ordered.sort_by_key(|v| !v.get("storage").and_then(Value::as_bool).unwrap_or(false));
        for (i, version) in ordered.into_iter().enumerate() {
            let name = text(version.get("name"), &format!("spec.versions[{i}].name"))?;
            if version.get("served").and_then(Value::as_bool) == Some(false) {
                continue;
            }
            if version.pointer("/subresources/status").is_some() {
                def.has_status = true;
            }
            if def.printer_columns.is_empty() {
                def.printer_columns = printer_columns(version);
            }
            if let Some(schema) = version.pointer("/schema/openAPIV3Schema") {
                let compiled = CompiledCrdSchema::new(schema)
                    .map_err(|e| format!("spec.versions[{i}].schema.openAPIV3Schema: Invalid value: {e}"))?;
                def.schemas.insert(name.clone(), Arc::new(compiled));
                def.raw_schemas.insert(name.clone(), schema.clone());
            }
            def.versions.push(name);
        }
        if def.versions.is_empty() {
            return Err("spec.versions: must have at least one served version".into());
        }
        Ok(def)
    }
}

fn printer_columns(version: &Value) -> Vec<PrinterColumn> {
    let Some(columns) = version.get("additionalPrinterColumns").and_then(Value::as_array) else {
        return Vec::new();
    };
    let field = |c: &Value, k: &str| c.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    columns
        .iter()
        .map(|c| PrinterColumn {
            name: field(c, "name"),
            type_: field(c, "type"),
            json_path: field(c, "jsonPath"),
            priority: c.get("priority").and_then(Value::as_i64).unwrap_or(0),
            description: field(c, "description"),
            format: field(c, "format"),
        })
        .collect()
}

/// All served resources, keyed by (group, plural).
#[derive(Clone, Default)]
pub struct Registry {
    resources: BTreeMap<ResourceId, Arc<ResourceDef>>,
}

impl Registry {
    pub fn with_builtins() -> Self {
        let mut r = Self::default();
        let b = ResourceDef::builtin;
        for def in [
            b("", "v1", "Namespace", "namespaces", false, &["ns"]).with_status(),
            b("", "v1", "Secret", "secrets", true, &[]),
            b("", "v1", "ConfigMap", "configmaps", true, &["cm"]),
            b("", "v1", "ServiceAccount", "serviceaccounts", true, &["sa"]),
            b("", "v1", "Service", "services", true, &["svc"]).with_status().in_category("all"),
            b("", "v1", "Event", "events", true, &["ev"]),
            b("", "v1", "Pod", "pods", true, &["po"]).with_status().in_category("all"),
            b("events.k8s.io", "v1", "Event", "events", true, &["ev"]),
            b("coordination.k8s.io", "v1", "Lease", "leases", true, &[]),
            b("apps", "v1", "Deployment", "deployments", true, &["deploy"]).with_status().in_category("all"),
            b("rbac.authorization.k8s.io", "v1", "Role", "roles", true, &[]),
            b("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true, &[]),
            b("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false, &[]),
            b("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", false, &[]),
            b("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", true, &["pdb"]).with_status(),
            b("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", true, &["netpol"]),
            b(
                "apiextensions.k8s.io",
                "v1",
                "CustomResourceDefinition",
                "customresourcedefinitions",
                false,
                &["crd", "crds"],
            )
            .with_status(),
        ] {
            r.insert(def);
        }
        r
    }

    pub fn insert(&mut self, def: ResourceDef) {
        self.resources.insert(def.id(), Arc::new(def));
    }

    pub fn remove(&mut self, id: &ResourceId) -> Option<Arc<ResourceDef>> {
        self.resources.remove(id)
    }

    pub fn get(&self, group: &str, plural: &str) -> Option<Arc<ResourceDef>> {
        self.resources.get(&ResourceId::new(group, plural)).cloned()
    }

    /// The resource served at group/version/plural, if that version is served.
    pub fn lookup(&self, group: &str, version: &str, plural: &str) -> Option<Arc<ResourceDef>> {
        self.get(group, plural).filter(|d| d.versions.iter().any(|v| v == version))
    }

    pub fn all(&self) -> impl Iterator<Item = &Arc<ResourceDef>> {
        self.resources.values()
    }

    /// Groups with their versions, core group excluded, in a stable order.
    pub fn groups(&self) -> BTreeMap<String, Vec<String>> {
        let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for def in self.resources.values().filter(|d| !d.group.is_empty()) {
            let versions = groups.entry(def.group.clone()).or_default();
            for v in &def.versions {
                if !versions.contains(v) {
                    versions.push(v.clone());
                }
            }
        }
        groups
    }

    pub fn in_group_version<'a>(
        &'a self,
        group: &'a str,
        version: &'a str,
    ) -> impl Iterator<Item = &'a Arc<ResourceDef>> {
        self.resources.values().filter(move |d| d.group == group && d.versions.iter().any(|v| v == version))
    }
}

/// The `status` a CRD gets once its names are accepted: Established and NamesAccepted.
pub fn crd_established_status(crd: &Value, now: &str) -> Value {
    let names = crd.pointer("/spec/names").cloned().unwrap_or_else(|| json!({}));
    let stored: Vec<Value> = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .map(|vs| {
            vs.iter()
                .filter(|v| v.get("storage") == Some(&json!(true)))
                .filter_map(|v| v.get("name").cloned())
                .collect()
        })
        .unwrap_or_default();
    let condition = |type_: &str, reason: &str, message: &str| json!({"type": type_, "status": "True", "lastTransitionTime": now, "reason": reason, "message": message});
    json!({
        "acceptedNames": names,
        "storedVersions": stored,
        "conditions": [
            condition("NamesAccepted", "NoConflicts", "no conflicts found"),
            condition("Established", "InitialNamesAccepted", "the initial names have been accepted"),
        ],
    })
}
