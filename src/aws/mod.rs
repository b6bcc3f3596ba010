//! Everything that speaks to AWS: the narrow [`ecs::EcsApi`] trait and its SDK implementation,
//! error classification, SDK configuration, and conversions between CRD types and SDK types.

pub mod autoscaling;
pub mod convert;
pub mod describe;
pub mod ecs;
pub mod error;
pub mod revisions;
pub mod sqs;
pub mod traffic;

use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};

/// SDK configuration from the default chain (env, profile, IRSA web identity, EKS Pod
/// Identity), with `region` overriding the chain's region. Endpoints follow the standard
/// `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_ECS` variables, which is how tests and local mode aim
/// the operator at a simulator. Retries are the SDK's standard mode (jittered exponential
/// back-off per request); the per-operation rate limiter in `traffic` does the slowing down, so
/// the SDK's adaptive mode (one client-wide limiter that a steady share of throttles collapses)
/// is not stacked on top of it.
pub async fn load_config(region: Option<String>, traffic: &traffic::Traffic) -> aws_config::SdkConfig {
    // rustls on ring: the same TLS stack kube uses, so one crypto library is built.
    let http = aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(traffic.wrap(http))
        .retry_config(RetryConfig::standard())
        .timeout_config(timeouts());
    if let Some(region) = region {
        loader = loader.region(aws_config::Region::new(region));
    }
    loader.load().await
}

/// SDK configuration for a simulator (ecs-sim, moto) at `endpoint`, plain HTTP, with static
/// test credentials: what local mode and the tests use.
pub fn simulator_config(endpoint: &str, region: &str, traffic: &traffic::Traffic) -> aws_config::SdkConfig {
    let http = aws_smithy_http_client::Builder::new().build_http();
    let credentials = aws_sdk_ecs::config::Credentials::new("AKIDLOCAL", "local-secret", None, None, "simulator");
    aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_owned()))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_ecs::config::SharedCredentialsProvider::new(credentials))
        .http_client(traffic.wrap(http))
        .retry_config(RetryConfig::standard())
        .timeout_config(timeouts())
        .time_source(aws_smithy_async::time::SystemTimeSource::new())
        .build()
}

/// Bounds on every AWS call: a hung connection must become a retryable timeout, never a
/// reconcile that waits forever and holds its object's queue slot. An attempt includes the
/// wait for the client-side rate limiter, hence the generous attempt timeout; reads are bounded
/// separately.
pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .read_timeout(Duration::from_secs(20))
        .operation_attempt_timeout(Duration::from_secs(60))
        .operation_timeout(Duration::from_secs(120))
        .build()
}

/// The AWS APIs the controllers use, for one account and region.
#[derive(Clone)]
pub struct AwsClients {
    pub ecs: Arc<dyn ecs::EcsApi>,
    pub autoscaling: Arc<dyn autoscaling::AutoscalingApi>,
    /// The configuration the clients came from, when they came from one: per-object targets
    /// (`spec.aws.region`, `spec.aws.roleArn`) are derived from it. None for test fakes.
    pub sdk: Option<aws_config::SdkConfig>,
    /// The ECS events queue, when the operator reads one (`--events-queue-url`).
    pub events: Option<Arc<dyn sqs::EventQueue>>,
}

impl AwsClients {
    pub fn from_config(config: &aws_config::SdkConfig) -> Self {
        Self {
            ecs: ecs::SdkEcs::shared(aws_sdk_ecs::Client::new(config)),
            autoscaling: autoscaling::SdkAutoscaling::shared(aws_sdk_applicationautoscaling::Client::new(config)),
            sdk: Some(config.clone()),
            events: None,
        }
    }

    /// These clients, reading ECS events from the SQS queue at `url`.
    pub fn with_events_queue(self, url: &str) -> Self {
        let events = self.sdk.as_ref().map(|sdk| sqs::SdkQueue::shared(sdk, url));
        Self { events, ..self }
    }

    /// Clients for another region and/or an assumed role, derived from this configuration.
    /// Assumed-role credentials are fetched on first use and cached by the SDK, which refreshes
    /// them before they expire. None when these clients have no configuration to derive from.
    pub async fn for_target(&self, region: Option<&str>, role_arn: Option<&str>) -> Option<Self> {
        let base = self.sdk.as_ref()?;
        let mut builder = base.to_builder();
        if let Some(region) = region {
            builder.set_region(Some(aws_config::Region::new(region.to_owned())));
        }
        if base.time_source().is_none() {
            builder.set_time_source(Some(aws_smithy_async::time::SharedTimeSource::default()));
        }
        let regional = builder.build();
        let config = match role_arn {
            None => regional,
            Some(role) => {
                let provider = aws_config::sts::AssumeRoleProvider::builder(role)
                    .session_name("ecs-operator")
                    .configure(&regional)
                    .build()
                    .await;
                regional
                    .into_builder()
                    .credentials_provider(aws_sdk_ecs::config::SharedCredentialsProvider::new(provider))
                    .build()
            }
        };
        Some(Self::from_config(&config))
    }
}
