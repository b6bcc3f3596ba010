//! AWS errors reduced to what the controllers need: which call failed, AWS's code and message,
//! and whether retrying can help.

use std::fmt;

use aws_sdk_ecs::config::http::HttpResponse;
use aws_sdk_ecs::error::{ProvideErrorMetadata, SdkError};

/// Whether retrying the same request can succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Throttling, 5xx, timeouts, connection failures, conflicts with an update in flight.
    Retryable,
    /// Bad input or missing permissions: the same request fails again until something changes.
    Terminal,
}

/// A failed AWS call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    /// The API operation, e.g. `RegisterTaskDefinition`.
    pub operation: &'static str,
    /// AWS's error code, e.g. `ClientException`; `Timeout` or `Dispatch` for transport failures.
    pub code: String,
    pub message: String,
    pub class: ErrorClass,
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed: {}: {}", self.operation, self.code, self.message)
    }
}

impl std::error::Error for AwsError {}

/// The code of an answer that could not be parsed or lacks what the operation promises.
pub const MALFORMED_RESPONSE: &str = "MalformedResponse";

/// Codes that mean "try again later".
const RETRYABLE_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "ServerException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "InternalFailure",
    "InternalServerError",
    "UpdateInProgressException",
    "ResourceInUseException",
    "RequestTimeout",
    "RequestTimeoutException",
];

const THROTTLING_CODES: &[&str] =
    &["ThrottlingException", "Throttling", "ThrottledException", "TooManyRequestsException", "RequestLimitExceeded"];

/// Codes that say the resource a call named does not exist (any more).
const GONE_CODES: &[&str] = &[
    // A cluster that is gone (never created, deleted, or INACTIVE): so is every service in it.
    "ClusterNotFoundException",
    "ServiceNotFoundException",
    // Capacity providers and tagging.
    "ResourceNotFoundException",
    // Application Auto Scaling: no such scalable target or policy.
    "ObjectNotFoundException",
    // A failure entry of a batch call (DescribeServices, DescribeClusters) for an unknown name.
    "MISSING",
];

/// What ECS says in free text where it has no dedicated code: a ClientException for a capacity
/// provider or task definition revision that does not exist, and the reason of a
/// DeleteTaskDefinitions failure (which [`crate::aws::ecs`] turns into the code).
const GONE_MESSAGES: &[&str] = &["does not exist", "unable to describe task definition"];

/// ECS's answer to UpdateService or DeleteService on a service that is DRAINING or INACTIVE.
const SERVICE_NOT_ACTIVE: &str = "ServiceNotActiveException";

impl AwsError {
    /// Classifies an SDK error of `operation`.
    pub fn from_sdk<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        match &err {
            // A success status whose body the SDK could not parse (a member of the wrong type,
            // broken JSON): AWS's side is at fault, so retry, and say so rather than "Unknown".
            SdkError::ServiceError(service) if service.raw().status().is_success() => Self::new(
                operation,
                MALFORMED_RESPONSE,
                &format!("the response is malformed: {}", display_chain(&err)),
                ErrorClass::Retryable,
            ),
            SdkError::ServiceError(service) => {
                let e = service.err();
                let code = e.code().unwrap_or("Unknown").to_owned();
                let message = e.message().unwrap_or_default().to_owned();
                let mut classified = Self::classify(operation, code, message);
                // Any 5xx is AWS's side failing, whatever its code says.
                if service.raw().status().as_u16() >= 500 {
                    classified.class = ErrorClass::Retryable;
                }
                classified
            }
            SdkError::TimeoutError(_) => {
                Self::new(operation, "Timeout", "the request timed out", ErrorClass::Retryable)
            }
            SdkError::DispatchFailure(d) => {
                Self::new(operation, "Dispatch", &format!("could not send the request: {d:?}"), ErrorClass::Retryable)
            }
            SdkError::ResponseError(_) => Self::new(
                operation,
                MALFORMED_RESPONSE,
                &format!("the response could not be read: {}", display_chain(&err)),
                ErrorClass::Retryable,
            ),
            SdkError::ConstructionFailure(_) => Self::new(
                operation,
                "Construction",
                &format!("the request could not be built: {}", display_chain(&err)),
                ErrorClass::Terminal,
            ),
            _ => Self::new(operation, "Unknown", &display_chain(&err), ErrorClass::Retryable),
        }
    }

    /// An error from a code and message (used by fakes and by [`Self::from_sdk`]).
    pub fn classify(operation: &'static str, code: String, message: String) -> Self {
        let class = if RETRYABLE_CODES.contains(&code.as_str()) { ErrorClass::Retryable } else { ErrorClass::Terminal };
        Self { operation, code, message, class }
    }

    /// An answer that lacks what the operation promises or holds what the operator cannot
    /// read (a field missing, a value it does not know). Asking again gets the same answer, so
    /// it is terminal: looked at again on the slow recheck. The one place such errors are made.
    pub fn malformed(operation: &'static str, detail: impl fmt::Display) -> Self {
        Self::new(operation, MALFORMED_RESPONSE, &detail.to_string(), ErrorClass::Terminal)
    }

    fn new(operation: &'static str, code: &str, message: &str, class: ErrorClass) -> Self {
        Self { operation, code: code.to_owned(), message: message.to_owned(), class }
    }

    pub fn is_throttling(&self) -> bool {
        THROTTLING_CODES.contains(&self.code.as_str())
    }

    pub fn is_retryable(&self) -> bool {
        self.class == ErrorClass::Retryable
    }

    /// Whether AWS says the resource the call named does not exist (any more). For a call on
    /// the very resource being deleted (describe, scale in, delete, deregister), that step is
    /// done: deleting something that is gone succeeds. Not meaningful for calls that name
    /// other resources too (a create naming a capacity provider), where "not found" is bad input.
    pub fn is_gone(&self) -> bool {
        if GONE_CODES.contains(&self.code.as_str()) {
            return true;
        }
        // Free text only where ECS uses it: a ClientException, or a failure reason (a code
        // with spaces in it). An AccessDenied message mentioning a name is never "gone".
        let free_text = self.code == "ClientException" || self.code.contains(' ');
        let text = format!("{} {}", self.code, self.message).to_ascii_lowercase();
        free_text && GONE_MESSAGES.iter().any(|m| text.contains(m))
    }

    /// Whether ECS refused a service write because the service is DRAINING or INACTIVE:
    /// during deletion, someone (an earlier attempt) already deleted it.
    pub fn is_service_not_active(&self) -> bool {
        self.code == SERVICE_NOT_ACTIVE
    }
}

fn display_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_table() {
        let cases = [
            ("ThrottlingException", ErrorClass::Retryable, true),
            ("ServerException", ErrorClass::Retryable, false),
            ("UpdateInProgressException", ErrorClass::Retryable, false),
            ("ClientException", ErrorClass::Terminal, false),
            ("InvalidParameterException", ErrorClass::Terminal, false),
            ("AccessDeniedException", ErrorClass::Terminal, false),
            ("ClusterNotFoundException", ErrorClass::Terminal, false),
            ("SomethingNew", ErrorClass::Terminal, false),
        ];
        for (code, class, throttled) in cases {
            let e = AwsError::classify("Op", code.into(), "m".into());
            assert_eq!(e.class, class, "{code}");
            assert_eq!(e.is_throttling(), throttled, "{code}");
        }
    }

    #[test]
    fn gone_table() {
        // (code, message, gone): every "does not exist" ECS and Application Auto Scaling give.
        let cases = [
            ("ClusterNotFoundException", "Cluster not found.", true),
            ("ServiceNotFoundException", "Service not found.", true),
            ("ResourceNotFoundException", "", true),
            ("ObjectNotFoundException", "No scalable target registered for service namespace: ecs", true),
            ("MISSING", "", true),
            ("ClientException", "The specified capacity provider does not exist.", true),
            ("ClientException", "Unable to describe task definition.", true),
            // DeleteTaskDefinitions reports per-revision failures with a reason sentence.
            ("The specified task definition does not exist.", "", true),
            // Not gone: the resource is there, or the answer says nothing about it.
            ("ServiceNotActiveException", "Service was not ACTIVE.", false),
            ("ClientException", "The specified capacity provider is in use and cannot be removed.", false),
            ("The specified task definition is still in ACTIVE status.", "", false),
            ("AccessDeniedException", "User is not authorized; resource does not exist or", false),
            ("InvalidParameterException", "", false),
            ("ThrottlingException", "Rate exceeded", false),
            ("ServerException", "", false),
        ];
        for (code, message, gone) in cases {
            let e = AwsError::classify("Op", code.into(), message.into());
            assert_eq!(e.is_gone(), gone, "{code}: {message}");
        }
        let not_active = AwsError::classify("UpdateService", "ServiceNotActiveException".into(), String::new());
        assert!(not_active.is_service_not_active() && !not_active.is_gone());
    }

    #[test]
    fn display_names_operation_code_and_message() {
        let e = AwsError::classify("RegisterTaskDefinition", "ClientException".into(), "bad cpu".into());
        assert_eq!(e.to_string(), "RegisterTaskDefinition failed: ClientException: bad cpu");
    }
}
