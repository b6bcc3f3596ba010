//! Field errors in kube-apiserver's wording and layout.
//!
//! Mirrors `k8s.io/apimachinery/pkg/util/validation/field` (v0.33: `Error.ErrorBody`,
//! `ErrorList.ToAggregate`), `util/errors.aggregate.Error` and `api/errors.NewInvalid`, so
//! that a test can compare our text with what `kubectl apply` prints. Values are rendered
//! the way Go's `fmt` renders the `interface{}` the apiserver holds: `%q` for strings, `%v`
//! for numbers and booleans, `%#v` for maps and slices. This module only formats; it never
//! decides whether something is an error.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde_json::{Value, json};

/// The `field.ErrorType` of an error; `reason()` is the cause type in a `Status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorType {
    /// `FieldValueNotFound`
    NotFound,
    /// `FieldValueRequired`
    Required,
    /// `FieldValueDuplicate`
    Duplicate,
    /// `FieldValueInvalid`
    Invalid,
    /// `FieldValueNotSupported`
    NotSupported,
    /// `FieldValueForbidden`
    Forbidden,
    /// `FieldValueTooLong`
    TooLong,
    /// `FieldValueTooMany`
    TooMany,
    /// `InternalError`
    Internal,
    /// `FieldValueTypeInvalid`
    TypeInvalid,
}

impl ErrorType {
    /// The machine-readable reason, as in `details.causes[].reason`.
    pub fn reason(self) -> &'static str {
        match self {
            ErrorType::NotFound => "FieldValueNotFound",
            ErrorType::Required => "FieldValueRequired",
            ErrorType::Duplicate => "FieldValueDuplicate",
            ErrorType::Invalid => "FieldValueInvalid",
            ErrorType::NotSupported => "FieldValueNotSupported",
            ErrorType::Forbidden => "FieldValueForbidden",
            ErrorType::TooLong => "FieldValueTooLong",
            ErrorType::TooMany => "FieldValueTooMany",
            ErrorType::Internal => "InternalError",
            ErrorType::TypeInvalid => "FieldValueTypeInvalid",
        }
    }

    /// The human label that starts the error body (`ErrorType.String()`).
    pub fn label(self) -> &'static str {
        match self {
            ErrorType::NotFound => "Not found",
            ErrorType::Required => "Required value",
            ErrorType::Duplicate => "Duplicate value",
            ErrorType::Invalid | ErrorType::TypeInvalid => "Invalid value",
            ErrorType::NotSupported => "Unsupported value",
            ErrorType::Forbidden => "Forbidden",
            ErrorType::TooLong => "Too long",
            ErrorType::TooMany => "Too many",
            ErrorType::Internal => "Internal error",
        }
    }

    /// Whether the apiserver skips all CEL rules when this error is present
    /// (`hasBlockingErr` in apiextensions' customresource strategy): the object does not
    /// have the shape the rules were written for, and type/size errors protect CEL cost.
    pub fn blocks_cel(self) -> bool {
        matches!(
            self,
            ErrorType::NotSupported
                | ErrorType::Required
                | ErrorType::TooLong
                | ErrorType::TooMany
                | ErrorType::TypeInvalid
        )
    }
}

/// The offending value as the apiserver holds it, which decides how it is printed.
#[derive(Clone, Debug, PartialEq)]
pub enum BadValue {
    /// Not printed at all (`field.omitValue`, or error types that never print a value).
    Omitted,
    /// A Go `nil`, printed as `"null"`.
    Null,
    /// Printed with `%q`.
    String(String),
    /// Printed with `%v`.
    Int(i64),
    /// Printed with `%v` (Go's shortest `%g`).
    Float(f64),
    /// Printed with `%v`.
    Bool(bool),
    /// A map or slice, printed with `%#v` (`map[string]interface {}{...}`).
    Compound(Value),
}

impl BadValue {
    /// The value as the apiserver's unstructured decoding would hold this JSON.
    pub fn from_json(value: &Value) -> Self {
        match value {
            Value::Null => BadValue::Null,
            Value::Bool(b) => BadValue::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => BadValue::Int(i),
                // u64 beyond i64 and fractions are float64 after Go's JSON decoding.
                None => BadValue::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => BadValue::String(s.clone()),
            Value::Array(_) | Value::Object(_) => BadValue::Compound(value.clone()),
        }
    }
}

impl From<&str> for BadValue {
    fn from(s: &str) -> Self {
        BadValue::String(s.to_owned())
    }
}

impl fmt::Display for BadValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BadValue::Omitted => Ok(()),
            BadValue::Null => f.write_str(&go_quote("null")),
            BadValue::String(s) => f.write_str(&go_quote(s)),
            BadValue::Int(i) => write!(f, "{i}"),
            BadValue::Float(x) => f.write_str(&go_float(*x)),
            BadValue::Bool(b) => write!(f, "{b}"),
            BadValue::Compound(v) => f.write_str(&go_sharp_v(v)),
        }
    }
}

/// One field-level validation error (`field.Error`).
#[derive(Clone, Debug, PartialEq)]
pub struct FieldError {
    /// The field path as the apiserver prints it, e.g. `spec.containers[0].name`;
    /// `<nil>` for errors about the whole object.
    pub field: String,
    /// What kind of failure this is.
    pub error_type: ErrorType,
    /// The offending value, printed after the label for the types that print one.
    pub bad_value: BadValue,
    /// Free text after the value.
    pub detail: String,
}

/// The path the apiserver prints for a `nil` `*field.Path`.
pub const NIL_PATH: &str = "<nil>";

fn field_name(path: &str) -> String {
    if path.is_empty() { NIL_PATH.to_owned() } else { path.to_owned() }
}

impl FieldError {
    fn new(path: &str, error_type: ErrorType, bad_value: BadValue, detail: String) -> Self {
        FieldError { field: field_name(path), error_type, bad_value, detail }
    }

    /// `field.Required`
    pub fn required(path: &str, detail: impl Into<String>) -> Self {
        Self::new(path, ErrorType::Required, BadValue::Omitted, detail.into())
    }

    /// `field.Forbidden`
    pub fn forbidden(path: &str, detail: impl Into<String>) -> Self {
        Self::new(path, ErrorType::Forbidden, BadValue::Omitted, detail.into())
    }

    /// `field.Invalid`
    pub fn invalid(path: &str, value: BadValue, detail: impl Into<String>) -> Self {
        Self::new(path, ErrorType::Invalid, value, detail.into())
    }

    /// `field.TypeInvalid`
    pub fn type_invalid(path: &str, value: BadValue, detail: impl Into<String>) -> Self {
        Self::new(path, ErrorType::TypeInvalid, value, detail.into())
    }

    /// `field.Duplicate`: note the apiserver keeps no detail text for duplicates.
    pub fn duplicate(path: &str, value: BadValue) -> Self {
        Self::new(path, ErrorType::Duplicate, value, String::new())
    }

    /// `field.NotSupported`, with the allowed values already rendered as strings.
    pub fn not_supported(path: &str, value: BadValue, supported: &[String]) -> Self {
        let detail = if supported.is_empty() {
            String::new()
        } else {
            let quoted: Vec<String> = supported.iter().map(|s| go_quote(s)).collect();
            format!("supported values: {}", quoted.join(", "))
        };
        Self::new(path, ErrorType::NotSupported, value, detail)
    }

    /// `field.TooLong` (v0.33 wording; the value is never printed).
    pub fn too_long(path: &str, max_length: i64) -> Self {
        let detail = if max_length >= 0 {
            format!("may not be more than {max_length} bytes")
        } else {
            "value is too long".to_owned()
        };
        Self::new(path, ErrorType::TooLong, BadValue::Omitted, detail)
    }

    /// `field.TooMany`
    pub fn too_many(path: &str, actual: i64, max: i64) -> Self {
        let detail = if max >= 0 { format!("must have at most {max} items") } else { "has too many items".to_owned() };
        let value = if actual >= 0 { BadValue::Int(actual) } else { BadValue::Omitted };
        Self::new(path, ErrorType::TooMany, value, detail)
    }

    /// `field.InternalError`
    pub fn internal(path: &str, detail: impl Into<String>) -> Self {
        Self::new(path, ErrorType::Internal, BadValue::Omitted, detail.into())
    }

    /// The message without the field (`ErrorBody`), as in `details.causes[].message`.
    pub fn body(&self) -> String {
        let prints_value = !matches!(
            self.error_type,
            ErrorType::Required | ErrorType::Forbidden | ErrorType::TooLong | ErrorType::Internal
        ) && self.bad_value != BadValue::Omitted;
        let mut s = if prints_value {
            format!("{}: {}", self.error_type.label(), self.bad_value)
        } else {
            self.error_type.label().to_owned()
        };
        if !self.detail.is_empty() {
            s.push_str(": ");
            s.push_str(&self.detail);
        }
        s
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.body())
    }
}

/// A `Kind` with its API group, printed `Kind.group` like `schema.GroupKind.String()`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupKind {
    /// API group, e.g. `ecs.operator.dev`; empty for the core group.
    pub group: String,
    /// Kind, e.g. `TaskDefinition`.
    pub kind: String,
}

impl GroupKind {
    /// Builds a group/kind pair.
    pub fn new(group: impl Into<String>, kind: impl Into<String>) -> Self {
        GroupKind { group: group.into(), kind: kind.into() }
    }
}

impl fmt::Display for GroupKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.group.is_empty() { f.write_str(&self.kind) } else { write!(f, "{}.{}", self.kind, self.group) }
    }
}

/// The errors admission found, in the order the apiserver reports them
/// (`field.ErrorList`); `Display` is the aggregate text kubectl shows after "is invalid: ".
#[derive(Clone, Debug, Default, PartialEq, thiserror::Error)]
#[error("{}", self.aggregate())]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    /// Whether there are no errors.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of errors, duplicates included.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Iterates over the errors.
    pub fn iter(&self) -> std::slice::Iter<'_, FieldError> {
        self.0.iter()
    }

    /// `ErrorList.ToAggregate().Error()`: duplicates (by full text) dropped, one error
    /// printed bare, several wrapped in brackets and joined with ", ".
    pub fn aggregate(&self) -> String {
        let mut seen = HashSet::new();
        let msgs: Vec<String> = self.0.iter().map(ToString::to_string).filter(|m| seen.insert(m.clone())).collect();
        match msgs.len() {
            0 => String::new(),
            1 => msgs.into_iter().collect(),
            _ => format!("[{}]", msgs.join(", ")),
        }
    }

    /// The `Status.message` of `errors.NewInvalid`, e.g.
    /// `TaskDefinition.ecs.operator.dev "web" is invalid: spec.cpu: Required value`.
    pub fn to_status_message(&self, kind: &GroupKind, name: &str) -> String {
        if self.is_empty() {
            format!("{kind} {} is invalid", go_quote(name))
        } else {
            format!("{kind} {} is invalid: {}", go_quote(name), self.aggregate())
        }
    }

    /// The whole `Status` body (HTTP 422, reason `Invalid`) the apiserver returns, one
    /// cause per error (causes are not de-duplicated, as in `NewInvalid`).
    pub fn to_status(&self, kind: &GroupKind, name: &str) -> Value {
        let causes: Vec<Value> = self
            .0
            .iter()
            .map(|e| {
                json!({
                    "reason": e.error_type.reason(),
                    "message": e.body(),
                    "field": e.field,
                })
            })
            .collect();
        let mut details = serde_json::Map::new();
        details.insert("name".into(), Value::String(name.to_owned()));
        if !kind.group.is_empty() {
            details.insert("group".into(), Value::String(kind.group.clone()));
        }
        details.insert("kind".into(), Value::String(kind.kind.clone()));
        details.insert("causes".into(), Value::Array(causes));
        json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.to_status_message(kind, name),
            "reason": "Invalid",
            "details": Value::Object(details),
            "code": 422,
        })
    }
}

impl IntoIterator for FieldErrors {
    type Item = FieldError;
    type IntoIter = std::vec::IntoIter<FieldError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// Go's `strconv.Quote`: printable characters as they are, the rest escaped.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => {
                let cp = c as u32;
                if cp <= 0xffff {
                    out.push_str(&format!("\\u{cp:04x}"));
                } else {
                    out.push_str(&format!("\\U{cp:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go's `%v` for a `float64`: shortest representation, exponent form (`1e+21`,
/// `1e-05`) outside `[1e-4, 1e21)`.
pub fn go_float(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    let abs = x.abs();
    if abs != 0.0 && !(1e-4..1e21).contains(&abs) {
        // Rust prints `1e21` / `1.5e-5`; Go wants a sign and at least two exponent digits.
        let e = format!("{x:e}");
        if let Some((mantissa, exp)) = e.split_once('e') {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            return format!("{mantissa}e{sign}{digits:0>2}");
        }
        return e;
    }
    format!("{x}")
}

/// Go's `%#v` for the `interface{}` an unstructured value decodes to.
pub fn go_sharp_v(v: &Value) -> String {
    match v {
        Value::Null => "interface {}(nil)".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => go_float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => go_quote(s),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(go_sharp_v).collect();
            format!("[]interface {{}}{{{}}}", inner.join(", "))
        }
        Value::Object(map) => {
            // fmt prints map entries sorted by key.
            let sorted: BTreeMap<&String, &Value> = map.iter().collect();
            let inner: Vec<String> = sorted.iter().map(|(k, v)| format!("{}:{}", go_quote(k), go_sharp_v(v))).collect();
            format!("map[string]interface {{}}{{{}}}", inner.join(", "))
        }
    }
}

/// JSON type name the way kube-openapi's type validator names a decoded value.
pub fn json_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Joins a property name onto a dotted path (`field.Path.Child`).
pub fn child(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_owned() } else { format!("{path}.{name}") }
}

/// Appends a list index or map key subscript (`field.Path.Index` / `Key`).
pub fn subscript(path: &str, index: impl fmt::Display) -> String {
    format!("{path}[{index}]")
}
