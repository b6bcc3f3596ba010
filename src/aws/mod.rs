//! Everything that speaks to AWS: the narrow [`ecs::EcsApi`] trait and its SDK implementation,
//! error classification, SDK configuration, and conversions between CRD types and SDK types.

pub mod autoscaling;
pub mod convert;
pub mod describe;
pub mod ecs;
pub mod error;

use std::sync::Arc;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};

/// SDK configuration from the default chain (env, profile, IRSA web identity, EKS Pod
/// Identity), with `region` overriding the chain's region. Endpoints follow the standard
/// `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_ECS` variables, which is how tests and local mode aim
/// the operator at a simulator. Retries are adaptive: the SDK slows down when throttled.
pub async fn load_config(region: Option<String>) -> aws_config::SdkConfig {
    // rustls on ring: the same TLS stack kube uses, so one crypto library is built.
    let http = aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .retry_config(RetryConfig::adaptive())
        .timeout_config(timeouts());
    if let Some(region) = region {
        loader = loader.region(aws_config::Region::new(region));
    }
    loader.load().await
}

/// Bounds on every AWS call: a hung connection must become a retryable timeout, never a
/// reconcile that waits forever and holds its object's queue slot.
pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(std::time::Duration::from_secs(5))
        .operation_attempt_timeout(std::time::Duration::from_secs(20))
        .operation_timeout(std::time::Duration::from_secs(60))
        .build()
}

/// The AWS APIs the controllers use.
#[derive(Clone)]
pub struct AwsClients {
    pub ecs: Arc<dyn ecs::EcsApi>,
    pub autoscaling: Arc<dyn autoscaling::AutoscalingApi>,
}

impl AwsClients {
    pub fn from_config(config: &aws_config::SdkConfig) -> Self {
        Self {
            ecs: ecs::SdkEcs::shared(aws_sdk_ecs::Client::new(config)),
            autoscaling: autoscaling::SdkAutoscaling::shared(aws_sdk_applicationautoscaling::Client::new(config)),
        }
    }
}
