//! Kubernetes `Status` error bodies, as the API server sends them, so that kube-rs maps them to
//! `Error::Api` with the right code and reason and kubectl prints the familiar messages.

use serde_json::{Value, json};

/// An API error: HTTP status plus the Status body.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: u16,
    pub body: Value,
    /// The object changed between read and write: the handler recomputes the write, as the API
    /// server's GuaranteedUpdate does, instead of answering 409 to a request without a
    /// resourceVersion precondition.
    pub stale: bool,
}

impl ApiError {
    fn new(code: u16, reason: &str, message: String, details: Option<Value>) -> Self {
        let mut body = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "code": code,
        });
        if let Some(details) = details {
            body["details"] = details;
        }
        Self { code, body, stale: false }
    }

    pub fn not_found(group: &str, plural: &str, name: &str) -> Self {
        let resource = qualified(group, plural);
        Self::new(
            404,
            "NotFound",
            format!("{resource} \"{name}\" not found"),
            Some(json!({"name": name, "group": group, "kind": plural})),
        )
    }

    pub fn resource_not_found(path: &str) -> Self {
        Self::new(404, "NotFound", format!("the server could not find the requested resource ({path})"), None)
    }

    pub fn already_exists(group: &str, plural: &str, name: &str) -> Self {
        let resource = qualified(group, plural);
        Self::new(
            409,
            "AlreadyExists",
            format!("{resource} \"{name}\" already exists"),
            Some(json!({"name": name, "group": group, "kind": plural})),
        )
    }

    pub fn conflict(group: &str, plural: &str, name: &str, why: &str) -> Self {
        let resource = qualified(group, plural);
        Self::new(
            409,
            "Conflict",
            format!("Operation cannot be fulfilled on {resource} \"{name}\": {why}"),
            Some(json!({"name": name, "group": group, "kind": plural})),
        )
    }

    /// Server-side apply conflict: another manager owns fields with other values.
    pub fn apply_conflict(causes: Vec<(String, String)>) -> Self {
        let n = causes.len();
        let list: Vec<String> = causes.iter().map(|(manager, field)| format!("- {manager}: {field}")).collect();
        let message = format!(
            "Apply failed with {n} conflict{}: conflict with {}",
            if n == 1 { "" } else { "s" },
            list.join("\n")
        );
        let causes: Vec<Value> = causes
            .into_iter()
            .map(|(manager, field)| {
                json!({"reason": "FieldManagerConflict", "message": format!("conflict with \"{manager}\""), "field": field})
            })
            .collect();
        Self::new(409, "Conflict", message, Some(json!({"causes": causes})))
    }

    pub fn invalid(group_kind: &str, name: &str, message: String, causes: Value) -> Self {
        Self::new(
            422,
            "Invalid",
            message,
            Some(
                json!({"name": name, "group": group_kind.split_once('.').map(|(_, g)| g).unwrap_or(""), "kind": group_kind.split('.').next().unwrap_or(group_kind), "causes": causes}),
            ),
        )
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message.into(), None)
    }

    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        Self::new(405, "MethodNotAllowed", message.into(), None)
    }

    pub fn unsupported_media_type(content_type: &str) -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got {content_type})"
            ),
            None,
        )
    }

    pub fn gone(message: impl Into<String>) -> Self {
        Self::new(410, "Expired", message.into(), None)
    }

    pub fn injected(code: u16) -> Self {
        let reason = match code {
            429 => "TooManyRequests",
            500 => "InternalError",
            503 => "ServiceUnavailable",
            504 => "Timeout",
            409 => "Conflict",
            _ => "InternalError",
        };
        Self::new(code, reason, format!("kube-sim injected fault ({code})"), None)
    }

    /// Internal: the stored object moved on since it was read.
    pub fn stale(group: &str, plural: &str, name: &str) -> Self {
        let mut e = Self::conflict(
            group,
            plural,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        );
        e.stale = true;
        e
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(403, "Forbidden", message.into(), None)
    }

    pub fn not_acceptable(message: impl Into<String>) -> Self {
        Self::new(406, "NotAcceptable", message.into(), None)
    }

    /// A JSON patch that does not apply.
    /// A JSON patch that does not apply to the stored object (a failed `test`, a missing
    /// path): the API server answers with its generic 422, the patch library's message as an
    /// `UnexpectedServerResponse` cause (apiserver `applyJSPatch`, `NewGenericServerResponse`).
    pub fn patch_not_applied(message: impl Into<String>) -> Self {
        Self::new(
            422,
            "Invalid",
            "the server rejected our request due to an error in our request".to_owned(),
            Some(json!({"causes": [{"reason": "UnexpectedServerResponse", "message": message.into()}]})),
        )
    }

    /// A refusal a test asked for ([`super::Refusal`]): 403 with the RBAC authorizer's wording,
    /// or 422 saying the request is invalid.
    pub fn refused(code: u16, verb: &str, group: &str, plural: &str, path: &super::routes::ResourcePath) -> Self {
        let resource = qualified(group, plural);
        let name = path.name.clone().unwrap_or_default();
        let target = match path.subresource.as_deref() {
            Some(sub) => format!("{plural}/{sub}"),
            None => plural.to_owned(),
        };
        let scope = match &path.namespace {
            Some(ns) => format!(" in the namespace \"{ns}\""),
            None => " at the cluster scope".to_owned(),
        };
        let subject = if name.is_empty() { resource.clone() } else { format!("{resource} \"{name}\"") };
        let details = json!({"name": name, "group": group, "kind": plural});
        if code == 403 {
            let message = format!(
                "{subject} is forbidden: User \"system:serviceaccount:kube-sim:client\" cannot {verb} resource \"{target}\" in API group \"{group}\"{scope}"
            );
            Self::new(403, "Forbidden", message, Some(details))
        } else {
            let message = format!("{subject} is invalid: kube-sim refuses {verb} on {target} (injected)");
            Self::new(code, "Invalid", message, Some(details))
        }
    }

    /// Schema or CEL rejection, with the API server's `... is invalid: ...` message.
    pub fn from_field_errors(group: &str, kind: &str, name: &str, errors: &crate::admission::FieldErrors) -> Self {
        let body = errors.to_status(&crate::admission::GroupKind::new(group, kind), name);
        Self { code: 422, body, stale: false }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "InternalError", message.into(), None)
    }
}

fn qualified(group: &str, plural: &str) -> String {
    if group.is_empty() { plural.to_owned() } else { format!("{plural}.{group}") }
}

/// A successful deletion with no object to return.
pub fn success_status(group: &str, plural: &str, name: &str) -> Value {
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": {"name": name, "group": group, "kind": plural},
    })
}
