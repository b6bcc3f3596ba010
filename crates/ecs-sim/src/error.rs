//! Errors: `ApiError` is what a simulated AWS call answers with (an AWS error shape the
//! SDK maps to its typed errors); `Error` is what starting the simulator can fail with.
//! Nothing here knows about HTTP beyond the status code AWS would use.

/// The AWS error types the simulator returns. The `__type` string is what the SDK's JSON
/// error parser reads to pick the typed error, so the spelling must match the service model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Client,
    InvalidParameter,
    ClusterNotFound,
    ServiceNotFound,
    ServiceNotActive,
    ClusterContainsServices,
    ClusterContainsTasks,
    ClusterContainsCapacityProvider,
    ResourceNotFound,
    ResourceInUse,
    ServiceDeploymentNotFound,
    Conflict,
    UnsupportedFeature,
    Throttling,
    Server,
    // Protocol-level errors AWS returns before the operation runs.
    MissingAuthenticationToken,
    UnknownOperation,
    Serialization,
    // Application Auto Scaling uses its own names.
    Validation,
    ObjectNotFound,
}

impl ErrorKind {
    pub fn type_name(self) -> &'static str {
        match self {
            ErrorKind::Client => "ClientException",
            ErrorKind::InvalidParameter => "InvalidParameterException",
            ErrorKind::ClusterNotFound => "ClusterNotFoundException",
            ErrorKind::ServiceNotFound => "ServiceNotFoundException",
            ErrorKind::ServiceNotActive => "ServiceNotActiveException",
            ErrorKind::ClusterContainsServices => "ClusterContainsServicesException",
            ErrorKind::ClusterContainsTasks => "ClusterContainsTasksException",
            ErrorKind::ClusterContainsCapacityProvider => "ClusterContainsCapacityProviderException",
            ErrorKind::ResourceNotFound => "ResourceNotFoundException",
            ErrorKind::ResourceInUse => "ResourceInUseException",
            ErrorKind::ServiceDeploymentNotFound => "ServiceDeploymentNotFoundException",
            ErrorKind::Conflict => "ConflictException",
            ErrorKind::UnsupportedFeature => "UnsupportedFeatureException",
            ErrorKind::Throttling => "ThrottlingException",
            ErrorKind::Server => "ServerException",
            ErrorKind::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            ErrorKind::UnknownOperation => "UnknownOperationException",
            ErrorKind::Serialization => "SerializationException",
            ErrorKind::Validation => "ValidationException",
            ErrorKind::ObjectNotFound => "ObjectNotFoundException",
        }
    }

    /// ECS answers every client-side fault with 400, throttling included; only its own
    /// failures are 500.
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::Server => 500,
            ErrorKind::MissingAuthenticationToken => 403,
            _ => 400,
        }
    }
}

/// An AWS error response: `__type`, `message` and the HTTP status, plus any members the
/// error shape has besides `message` (ConflictException's `resourceIds`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{type_name}: {message}")]
pub struct ApiError {
    pub type_name: String,
    pub message: String,
    pub status: u16,
    pub members: serde_json::Map<String, serde_json::Value>,
}

impl ApiError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        let (type_name, status) = (kind.type_name().to_string(), kind.status());
        ApiError { type_name, message: message.into(), status, members: serde_json::Map::new() }
    }

    /// An arbitrary error chosen by fault injection.
    pub fn custom(type_name: impl Into<String>, status: u16, message: impl Into<String>) -> Self {
        ApiError { type_name: type_name.into(), message: message.into(), status, members: serde_json::Map::new() }
    }

    pub fn client(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Client, message)
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidParameter, message)
    }

    pub fn cluster_not_found() -> Self {
        Self::new(ErrorKind::ClusterNotFound, "Cluster not found.")
    }

    pub fn cluster_inactive() -> Self {
        Self::new(ErrorKind::ClusterNotFound, "The referenced cluster was inactive.")
    }

    pub fn service_not_found() -> Self {
        Self::new(ErrorKind::ServiceNotFound, "Service not found.")
    }

    pub fn throttled() -> Self {
        Self::new(ErrorKind::Throttling, "Rate exceeded")
    }

    /// Adds a member of the error shape (beside `message`) to the answer.
    pub fn with_member(mut self, name: &str, value: serde_json::Value) -> Self {
        self.members.insert(name.to_string(), value);
        self
    }

    pub fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::json!({"__type": self.type_name, "message": self.message});
        for (k, x) in &self.members {
            v[k] = x.clone();
        }
        v
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Failures of the simulator itself (binding, runtime), not of simulated calls.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("binding 127.0.0.1:{port}: {source}")]
    Bind { port: u16, source: std::io::Error },
    #[error("starting the simulator runtime: {0}")]
    Runtime(std::io::Error),
    #[error("invalid task failure pattern {pattern:?}: {source}")]
    FailurePattern { pattern: String, source: regex::Error },
    #[error("invalid events queue name {name:?}: {reason}")]
    EventsQueue { name: String, reason: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
