//! Controller errors: one variant per failed step, each knowing whether retrying can help and
//! the fixed reason string used for the Synced condition, the Warning event and metrics.

use crate::aws::error::{AwsError, ErrorClass};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The spec cannot be turned into an AWS request; names the field.
    #[error("invalid spec: {0}")]
    InvalidSpec(String),
    /// AWS refused or failed a call.
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// The AWS resource belongs to someone else; the operator will not take it over.
    #[error("{0}")]
    Conflict(String),
    /// Reading or writing Kubernetes failed in a way a retry may fix (a timeout, a 5xx, a
    /// conflict, a patch that did not apply to a stale read).
    #[error("{step}: {source}")]
    Kube {
        step: &'static str,
        #[source]
        source: Box<kube::Error>,
    },
    /// Kubernetes refused one of the operator's own requests: 403 (its RBAC does not allow it)
    /// or 422 (the request is invalid, e.g. a status the CRD's schema refuses). Retrying alone
    /// cannot fix it, so the message is the API's own (it names the verb, resource and
    /// service account, or the invalid field), and the object is retried on a slow back-off
    /// (see [`Self::is_kube_refusal`]) until someone fixes the RBAC or the CRD.
    #[error("{step}: Kubernetes refused the request ({code} {reason}): {message}{}", refusal_hint(*code))]
    KubeRefused { step: &'static str, code: u16, reason: String, message: String },
    /// A field differs that ECS cannot change in place; the operator never recreates silently.
    #[error("{0} cannot be changed on an existing ECS resource; delete and recreate the object to change it")]
    RequiresReplacement(String),
    /// Deletion is under way in ECS (scaling in, DRAINING); checked again shortly.
    #[error("{0}")]
    Draining(String),
    /// Something another object or ECS is about to make is not there yet (the cluster a
    /// Managed Instances capacity provider is made inside); checked again shortly.
    #[error("{0}")]
    Waiting(String),
    /// The object has no namespace or name (a watch handed us something malformed).
    #[error("object has no {0}")]
    MissingMetadata(&'static str),
    /// A deletion step failed in a way that would be terminal while applying (AccessDenied,
    /// a refused request). An object being deleted gets no spec change to wait for, and the
    /// cause is often outside it (an IAM policy, another tool's resource): retried with
    /// back-off, never parked as terminal. Reason and message are the cause's.
    #[error("deleting: {0}")]
    Cleanup(Box<Error>),
}

impl Error {
    /// A failed Kubernetes request at `step`: a refusal (403, or a 422 that is not a JSON patch
    /// failing against a stale read) becomes [`Self::KubeRefused`], anything else [`Self::Kube`].
    pub fn kube(step: &'static str, source: kube::Error) -> Self {
        match source {
            kube::Error::Api(status) if refused(&status) => Self::KubeRefused {
                step,
                code: status.code,
                reason: if status.reason.is_empty() { "Refused".to_owned() } else { status.reason.clone() },
                message: status.message.clone(),
            },
            other => Self::Kube { step, source: Box::new(other) },
        }
    }

    /// The error as a failed deletion step: terminal ones become [`Self::Cleanup`], which is
    /// retried; retryable ones are left as they are, and so are Kubernetes refusals, which keep
    /// their slow back-off (a missing permission is not fixed by asking every second).
    pub fn in_cleanup(self) -> Self {
        match self.class() {
            ErrorClass::Terminal if !self.is_kube_refusal() => Self::Cleanup(Box::new(self)),
            _ => self,
        }
    }

    /// Whether Kubernetes refused the operator's request (403 or 422): retried on a slow
    /// back-off, reported in a condition and an event where Kubernetes lets the operator.
    pub fn is_kube_refusal(&self) -> bool {
        match self {
            Self::KubeRefused { .. } => true,
            Self::Cleanup(cause) => cause.is_kube_refusal(),
            _ => false,
        }
    }

    /// Whether a write lost a race with another writer: a 409 conflict, or a JSON patch whose
    /// test failed against the object as read (the finalizer helper's 422). The next attempt
    /// reads afresh, so a first one is expected (another client was writing the object at
    /// the same moment), not a warning.
    pub fn is_stale_write(&self) -> bool {
        match self {
            Self::Kube { source, .. } => match source.as_ref() {
                kube::Error::Api(status) => status.code == 409 || (status.code == 422 && !refused(status)),
                _ => false,
            },
            Self::Cleanup(cause) => cause.is_stale_write(),
            _ => false,
        }
    }

    /// The step that failed, for a Kubernetes error.
    pub fn kube_step(&self) -> Option<&'static str> {
        match self {
            Self::Kube { step, .. } | Self::KubeRefused { step, .. } => Some(step),
            Self::Cleanup(cause) => cause.kube_step(),
            _ => None,
        }
    }

    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Aws(e) => e.class,
            Self::Kube { .. } | Self::Draining(_) | Self::Waiting(_) | Self::Cleanup(_) => ErrorClass::Retryable,
            Self::InvalidSpec(_)
            | Self::Conflict(_)
            | Self::MissingMetadata(_)
            | Self::RequiresReplacement(_)
            | Self::KubeRefused { .. } => ErrorClass::Terminal,
        }
    }

    /// PascalCase, from a closed set: condition reason, event reason and metric label.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::InvalidSpec(_) => "InvalidSpec",
            Self::Aws(e) if e.is_throttling() => "Throttled",
            Self::Aws(e) if e.class == ErrorClass::Retryable => "AwsUnavailable",
            Self::Aws(_) => "AwsRejected",
            Self::Conflict(_) => "Conflict",
            Self::Kube { .. } => "KubernetesError",
            Self::KubeRefused { code: 403, .. } => "KubernetesForbidden",
            Self::KubeRefused { .. } => "KubernetesInvalid",
            Self::RequiresReplacement(_) => "RequiresReplacement",
            Self::Draining(_) => "Draining",
            Self::Waiting(_) => "Waiting",
            Self::MissingMetadata(_) => "InvalidObject",
            Self::Cleanup(cause) => cause.reason(),
        }
    }

    /// The finalizer helper's result: an object that vanished while its finalizer was being
    /// removed is simply done (deleted by someone else, or a second removal), not a failure.
    pub fn finalizer_outcome(
        err: kube::runtime::finalizer::Error<Error>,
    ) -> Result<kube::runtime::controller::Action, Self> {
        use kube::runtime::finalizer::Error as F;
        match err {
            F::RemoveFinalizer(kube::Error::Api(status)) if status.code == 404 => {
                Ok(kube::runtime::controller::Action::await_change())
            }
            other => Err(Self::from_finalizer(other)),
        }
    }

    /// Flattens kube's finalizer wrapper so classification sees the real cause.
    pub fn from_finalizer(err: kube::runtime::finalizer::Error<Error>) -> Self {
        use kube::runtime::finalizer::Error as F;
        match err {
            F::ApplyFailed(e) => e,
            // Nothing will change an object being deleted: whatever failed is retried.
            F::CleanupFailed(e) => e.in_cleanup(),
            F::AddFinalizer(e) => Self::kube(ADDING_FINALIZER, e),
            F::RemoveFinalizer(e) => Self::kube(REMOVING_FINALIZER, e),
            F::UnnamedObject => Self::MissingMetadata("name"),
            F::InvalidFinalizer => Self::InvalidSpec("invalid finalizer name".into()),
        }
    }
}

/// The steps of the finalizer helper's own patches.
pub const ADDING_FINALIZER: &str = "adding the finalizer";
pub const REMOVING_FINALIZER: &str = "removing the finalizer";
pub const FINALIZER_STEPS: &[&str] = &[ADDING_FINALIZER, REMOVING_FINALIZER];

/// The step of every status write, so that a refused one can be told from the others: its
/// event is published where it fails (the status cannot carry it).
pub const WRITING_STATUS: &str = "writing status";

/// A refusal the operator cannot retry its way out of: 403, or 422 unless it is a JSON patch
/// that did not apply to the object as read (kube's finalizer helper tests the finalizer list
/// it read; the API server answers a failed test with its generic 422 and an
/// `UnexpectedServerResponse` cause, and a fresh read fixes it).
fn refused(status: &kube::core::Status) -> bool {
    const PATCH_NOT_APPLIED: &str = "the server rejected our request due to an error in our request";
    let patch_not_applied = status.message.starts_with(PATCH_NOT_APPLIED)
        || status.details.as_ref().is_some_and(|d| d.causes.iter().any(|c| c.reason == "UnexpectedServerResponse"));
    match status.code {
        403 => true,
        422 => !patch_not_applied,
        _ => false,
    }
}

/// What to do about a refusal, after the API's message.
fn refusal_hint(code: u16) -> &'static str {
    match code {
        403 => "; the operator's RBAC (ClusterRole) must allow it",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_and_reasons() {
        let throttled = Error::Aws(AwsError::classify("Op", "ThrottlingException".into(), String::new()));
        assert_eq!((throttled.class(), throttled.reason()), (ErrorClass::Retryable, "Throttled"));
        let rejected = Error::Aws(AwsError::classify("Op", "ClientException".into(), String::new()));
        assert_eq!((rejected.class(), rejected.reason()), (ErrorClass::Terminal, "AwsRejected"));
        let bad = Error::InvalidSpec("spec.cpu: nope".into());
        assert_eq!((bad.class(), bad.reason()), (ErrorClass::Terminal, "InvalidSpec"));
    }

    #[test]
    fn cleanup_errors_are_never_terminal() {
        use kube::runtime::finalizer::Error as F;
        let denied = || Error::Aws(AwsError::classify("DeleteService", "AccessDeniedException".into(), "no".into()));
        let failed = Error::from_finalizer(F::CleanupFailed(denied()));
        assert_eq!((failed.class(), failed.reason()), (ErrorClass::Retryable, "AwsRejected"));
        assert!(failed.to_string().starts_with("deleting: DeleteService failed: AccessDeniedException"), "{failed}");
        // Retryable causes and waits keep their own variant (Draining keeps its steady poll).
        let throttled = Error::Aws(AwsError::classify("DeleteService", "ThrottlingException".into(), String::new()));
        assert!(matches!(Error::from_finalizer(F::CleanupFailed(throttled)), Error::Aws(_)));
        let draining = Error::from_finalizer(F::CleanupFailed(Error::Draining("DRAINING".into())));
        assert!(matches!(draining, Error::Draining(_)));
        // Applying keeps terminal errors terminal.
        assert_eq!(Error::from_finalizer(F::ApplyFailed(denied())).class(), ErrorClass::Terminal);
        // Wrapping once is enough.
        assert!(matches!(failed.in_cleanup(), Error::Cleanup(inner) if matches!(*inner, Error::Aws(_))));
    }

    fn api(code: u16, reason: &str, message: &str) -> kube::Error {
        kube::Error::Api(Box::new(kube::core::Status::failure(message, reason).with_code(code)))
    }

    const RBAC: &str = "ecsservices.ecs.operator.dev \"web\" is forbidden: User \"system:serviceaccount:ecs-system:ecs-operator\" cannot patch resource \"ecsservices/status\" in API group \"ecs.operator.dev\" in the namespace \"default\"";

    #[test]
    fn kubernetes_refusals_say_what_was_refused_and_are_not_retried_fast() {
        let forbidden = Error::kube(WRITING_STATUS, api(403, "Forbidden", RBAC));
        assert!(forbidden.is_kube_refusal());
        assert_eq!((forbidden.class(), forbidden.reason()), (ErrorClass::Terminal, "KubernetesForbidden"));
        let message = forbidden.to_string();
        assert!(message.starts_with("writing status: Kubernetes refused the request (403 Forbidden): "), "{message}");
        assert!(message.contains(RBAC) && message.contains("RBAC"), "the API's message, verbatim: {message}");

        let invalid = Error::kube(
            WRITING_STATUS,
            api(422, "Invalid", "ECSService.ecs.operator.dev \"web\" is invalid: status.desiredCount: Invalid value"),
        );
        assert!(invalid.is_kube_refusal());
        assert_eq!((invalid.class(), invalid.reason()), (ErrorClass::Terminal, "KubernetesInvalid"));
        assert!(invalid.to_string().contains("status.desiredCount: Invalid value"), "{invalid}");

        // A refusal stays a refusal while deleting (slow back-off, not the fast retry).
        assert!(matches!(forbidden.in_cleanup(), Error::KubeRefused { .. }));
        let denied = Error::from_finalizer(kube::runtime::finalizer::Error::AddFinalizer(api(403, "Forbidden", RBAC)));
        assert_eq!((denied.kube_step(), denied.reason()), (Some(ADDING_FINALIZER), "KubernetesForbidden"));
    }

    #[test]
    fn other_kubernetes_errors_stay_retryable() {
        for (code, reason, message) in [
            (500, "InternalError", "etcd timeout"),
            (409, "Conflict", "the object has been modified"),
            (429, "TooManyRequests", "slow down"),
            // A finalizer patch whose `test` failed against a stale read: the API server's
            // generic 422 for a JSON patch that did not apply; a fresh read fixes it.
            (422, "Invalid", "the server rejected our request due to an error in our request"),
        ] {
            let err = Error::kube(REMOVING_FINALIZER, api(code, reason, message));
            assert!(!err.is_kube_refusal(), "{code} {reason}");
            assert_eq!((err.class(), err.reason()), (ErrorClass::Retryable, "KubernetesError"), "{code}");
            // A lost race with another writer: logged quietly the first time.
            assert_eq!(err.is_stale_write(), code != 500 && code != 429, "{code}");
            assert_eq!(err.in_cleanup().is_stale_write(), code != 500 && code != 429, "{code} while deleting");
        }
        assert!(!Error::kube(WRITING_STATUS, api(403, "Forbidden", RBAC)).is_stale_write(), "a refusal is no race");
        assert!(!Error::kube(WRITING_STATUS, api(422, "Invalid", "status.x: Invalid value")).is_stale_write());
        let status: kube::core::Status = serde_json::from_value(serde_json::json!({
            "status": "Failure", "code": 422, "reason": "Invalid", "message": "patch failed",
            "details": {"causes": [{"reason": "UnexpectedServerResponse", "message": "testing value /metadata/finalizers failed"}]},
        }))
        .expect("a Status body");
        assert!(!Error::kube(ADDING_FINALIZER, kube::Error::Api(Box::new(status))).is_kube_refusal());
    }
}
