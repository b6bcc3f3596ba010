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
    /// Reading or writing Kubernetes failed.
    #[error("{step}: {source}")]
    Kube {
        step: &'static str,
        #[source]
        source: Box<kube::Error>,
    },
    /// A field differs that ECS cannot change in place; the operator never recreates silently.
    #[error("{0} cannot be changed on an existing ECS resource; delete and recreate the object to change it")]
    RequiresReplacement(String),
    /// Deletion is under way in ECS (scaling in, DRAINING); checked again shortly.
    #[error("{0}")]
    Draining(String),
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
    pub fn kube(step: &'static str, source: kube::Error) -> Self {
        Self::Kube { step, source: Box::new(source) }
    }

    /// The error as a failed deletion step: terminal ones become [`Self::Cleanup`], which is
    /// retried; retryable ones are left as they are.
    pub fn in_cleanup(self) -> Self {
        match self.class() {
            ErrorClass::Terminal => Self::Cleanup(Box::new(self)),
            ErrorClass::Retryable => self,
        }
    }

    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Aws(e) => e.class,
            Self::Kube { .. } | Self::Draining(_) | Self::Cleanup(_) => ErrorClass::Retryable,
            Self::InvalidSpec(_) | Self::Conflict(_) | Self::MissingMetadata(_) | Self::RequiresReplacement(_) => {
                ErrorClass::Terminal
            }
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
            Self::RequiresReplacement(_) => "RequiresReplacement",
            Self::Draining(_) => "Draining",
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
            F::AddFinalizer(e) => Self::kube("adding the finalizer", e),
            F::RemoveFinalizer(e) => Self::kube("removing the finalizer", e),
            F::UnnamedObject => Self::MissingMetadata("name"),
            F::InvalidFinalizer => Self::InvalidSpec("invalid finalizer name".into()),
        }
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
}
