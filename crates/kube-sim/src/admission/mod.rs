//! Admission of custom resources against a CRD version's `openAPIV3Schema`.
//!
//! [`CompiledCrdSchema`] compiles a schema once (regexes, formats, CEL rules) and
//! [`CompiledCrdSchema::admit`] runs the apiserver's pipeline on an object: prune unknown
//! fields, drop nulls the schema forbids, apply defaults, then validate: OpenAPI checks,
//! list-type uniqueness, and CEL rules unless an earlier error blocks them (the
//! apiserver's `hasBlockingErr`). Errors carry kube-apiserver v1.33's exact wording
//! ([`FieldErrors`]); [`FieldErrors::to_status`] builds the 422 `Status` body.
//!
//! Out of scope here, for the server to do: `apiVersion`/`kind` checks, `metadata`
//! validation (name format, labels), status-subresource handling, strict field
//! validation (use [`AdmissionReport::unknown_fields`]) and runtime CEL cost limits.

mod cel;
mod defaults;
mod errors;
mod formats;
mod listtype;
mod prune;
mod schema;
#[cfg(test)]
mod tests;

use serde_json::Value;

pub use cel::{CostWarning, CostWarningKind};
pub use errors::{BadValue, ErrorType, FieldError, FieldErrors, GroupKind, NIL_PATH};
pub use formats::StringFormat;

use errors::BadValue as Bad;
use schema::Node;

/// Why a schema cannot be used; the apiserver would refuse such a CRD.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The schema is not shaped like a JSON schema.
    #[error("invalid schema at {path}: {reason}")]
    InvalidSchema {
        /// Schema path of the offending node.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A `pattern` does not compile.
    #[error("invalid pattern {pattern:?} at {path}")]
    InvalidPattern {
        /// Schema path of the offending node.
        path: String,
        /// The pattern as written.
        pattern: String,
        /// The regex error.
        #[source]
        source: regex::Error,
    },
    /// A CEL rule (or its `messageExpression`) does not compile or is malformed.
    #[error("CEL rule {rule:?} at {path} does not compile: {message}")]
    RuleCompile {
        /// Schema path of the node carrying the rule.
        path: String,
        /// The rule expression (or the raw rule when it is malformed).
        rule: String,
        /// The compiler's complaint.
        message: String,
    },
    /// The CRD has no served version of that name, or it has no schema.
    #[error("CRD has no schema for version {0:?}")]
    MissingVersion(String),
}

/// What admission did to an accepted object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AdmissionReport {
    /// Paths of the fields pruned as unknown, sorted (`spec.foo`, `spec.items[0].bar`):
    /// the apiserver's `unknown field "..."` warnings, or errors under strict validation.
    pub unknown_fields: Vec<String>,
}

/// A CRD version's schema, compiled once and reused for every object.
#[derive(Debug)]
pub struct CompiledCrdSchema {
    root: Node,
    has_rules: bool,
    group_kind: Option<GroupKind>,
}

const CEL_SKIPPED: &str = "some validation rules were not checked because the object was invalid; \
                           correct the existing errors to complete validation";

impl CompiledCrdSchema {
    /// Compiles an `openAPIV3Schema`.
    pub fn new(open_api_v3_schema: &Value) -> Result<Self, SchemaError> {
        let root = Node::compile(open_api_v3_schema, "")?;
        Ok(CompiledCrdSchema { has_rules: cel::has_rules(&root), root, group_kind: None })
    }

    /// Compiles the schema of `version` in a `CustomResourceDefinition` object and
    /// remembers its group and kind for error messages.
    pub fn from_crd(crd: &Value, version: &str) -> Result<Self, SchemaError> {
        let schema = crd
            .pointer("/spec/versions")
            .and_then(Value::as_array)
            .and_then(|vs| vs.iter().find(|v| v.get("name").and_then(Value::as_str) == Some(version)))
            .and_then(|v| v.pointer("/schema/openAPIV3Schema"))
            .ok_or_else(|| SchemaError::MissingVersion(version.to_owned()))?;
        let mut compiled = Self::new(schema)?;
        let group = crd.pointer("/spec/group").and_then(Value::as_str);
        let kind = crd.pointer("/spec/names/kind").and_then(Value::as_str);
        if let (Some(group), Some(kind)) = (group, kind) {
            compiled.group_kind = Some(GroupKind::new(group, kind));
        }
        Ok(compiled)
    }

    /// Group and kind, when built with [`CompiledCrdSchema::from_crd`].
    pub fn group_kind(&self) -> Option<&GroupKind> {
        self.group_kind.as_ref()
    }

    /// Runs admission on a create (`old` is `None`) or an update (`old` is the stored
    /// object): `obj` is pruned and defaulted in place, then validated.
    pub fn admit(&self, obj: &mut Value, old: Option<&Value>) -> Result<(), FieldErrors> {
        self.admit_with_report(obj, old).map(|_| ())
    }

    /// Like [`CompiledCrdSchema::admit`], also reporting the pruned unknown fields.
    pub fn admit_with_report(&self, obj: &mut Value, old: Option<&Value>) -> Result<AdmissionReport, FieldErrors> {
        let unknown_fields = self.decode(obj);
        // The stored object goes through the same decoding when it is read back.
        let old = old.map(|o| {
            let mut o = o.clone();
            self.decode(&mut o);
            o
        });
        let errs = self.validate(obj, old.as_ref());
        if errs.is_empty() { Ok(AdmissionReport { unknown_fields }) } else { Err(errs) }
    }

    /// Prune, drop forbidden nulls, default: what the apiserver's decoder does.
    fn decode(&self, obj: &mut Value) -> Vec<String> {
        let unknown = self.prune(obj);
        prune::prune_non_nullable_nulls(obj, Some(&self.root));
        self.apply_defaults(obj);
        unknown
    }

    /// Removes fields the schema does not know and returns their paths.
    pub fn prune(&self, obj: &mut Value) -> Vec<String> {
        prune::prune_unknown(&self.root, obj)
    }

    /// Applies the schema's `default`s.
    pub fn apply_defaults(&self, obj: &mut Value) {
        defaults::apply(obj, &self.root);
    }

    /// Validates an already pruned and defaulted object without changing it. With `old`,
    /// unchanged parts are ratcheted as on an update.
    pub fn validate(&self, obj: &Value, old: Option<&Value>) -> FieldErrors {
        let mut errs = Vec::new();
        schema::validate(&self.root, obj, old, "", &mut errs);
        // List-type invariants are only enforced on update when the old object met them.
        let old_lists_ok = old.is_none_or(|o| {
            let mut old_errs = Vec::new();
            listtype::validate(&self.root, o, "", &mut old_errs);
            old_errs.is_empty()
        });
        if old_lists_ok {
            listtype::validate(&self.root, obj, "", &mut errs);
        }
        if self.has_rules {
            if errs.iter().any(|e| e.error_type.blocks_cel()) {
                errs.push(FieldError::invalid("", Bad::Null, CEL_SKIPPED));
            } else {
                cel::validate(&self.root, obj, old, "", &mut errs);
            }
        }
        FieldErrors(errs)
    }

    /// kube-cel's static cost warnings for every rule in the schema.
    pub fn estimate_costs(&self) -> Vec<CostWarning> {
        let mut out = Vec::new();
        cel::estimate_costs(&self.root, Some(1), &mut out);
        out
    }
}

/// Compiles `open_api_v3_schema` and returns kube-cel's cost warnings for its rules.
pub fn estimate_costs(open_api_v3_schema: &Value) -> Result<Vec<CostWarning>, SchemaError> {
    Ok(CompiledCrdSchema::new(open_api_v3_schema)?.estimate_costs())
}
