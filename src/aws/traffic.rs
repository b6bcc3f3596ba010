//! Every AWS request the operator sends passes through here, below the SDK's retry loop: a
//! client-side rate limiter per API operation (shared by all controllers and every per-object
//! target), and the `ecs_operator_aws_requests_total` counter by service, operation and
//! outcome. Sitting at the HTTP layer means each attempt the SDK makes, retries included, is
//! both limited and counted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use tokio::time::Instant;

use crate::metrics::{AwsCallLabels, Metrics};

/// ECS's documented request throttles (sustained requests per second, burst) per operation, for
/// one account and region. Operations not listed (Application Auto Scaling, STS) get
/// [`DEFAULT_LIMIT`].
pub fn documented_limit(operation: &str) -> Limit {
    let (burst, rate) = match operation {
        "DescribeClusters" | "ListClusters" => (50.0, 20.0),
        "CreateCluster"
        | "DeleteCluster"
        | "UpdateCluster"
        | "UpdateClusterSettings"
        | "PutClusterCapacityProviders" => (20.0, 1.0),
        "DescribeServices" | "ListServices" => (100.0, 20.0),
        "CreateService" | "UpdateService" | "DeleteService" => (50.0, 5.0),
        // AWS publishes no numbers for the service deployment calls; those of the service
        // calls they sit beside.
        "DescribeServiceDeployments" | "ListServiceDeployments" => (100.0, 20.0),
        "ContinueServiceDeployment" | "StopServiceDeployment" => (50.0, 5.0),
        "DescribeTaskDefinition" | "ListTaskDefinitions" | "ListTaskDefinitionFamilies" => (100.0, 20.0),
        "RegisterTaskDefinition" | "DeregisterTaskDefinition" | "DeleteTaskDefinitions" => (20.0, 1.0),
        "TagResource" | "UntagResource" | "ListTagsForResource" => (50.0, 10.0),
        "DescribeCapacityProviders" => (50.0, 20.0),
        "CreateCapacityProvider" | "UpdateCapacityProvider" | "DeleteCapacityProvider" => (20.0, 1.0),
        _ => return DEFAULT_LIMIT,
    };
    Limit { burst, rate }
}

/// For operations without a documented ECS limit.
pub const DEFAULT_LIMIT: Limit = Limit { burst: 20.0, rate: 10.0 };

/// A token bucket's size and refill rate (tokens per second).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    pub burst: f64,
    pub rate: f64,
}

/// How far a throttled operation's rate drops (multiplied), at most once per
/// [`DECREASE_SPACING`] (throttles that arrive together are one congestion event), the floor it
/// never goes below (a fraction of its ceiling), and how long it takes to climb from zero back
/// to the ceiling. Under real congestion (every call above the limit throttled) the rate falls
/// by 30 % a second; under a steady share of throttles that a lower rate does not cure (other
/// clients, noise) it settles near its ceiling instead of collapsing.
const THROTTLE_DECREASE: f64 = 0.7;
const DECREASE_SPACING: Duration = Duration::from_secs(1);
const FLOOR_FRACTION: f64 = 0.2;
const RECOVERY_TIME: Duration = Duration::from_secs(5);

#[derive(Debug)]
struct Bucket {
    ceiling: Limit,
    /// The rate right after the last throttle, and when that was.
    reduced: Option<(f64, Instant)>,
    tokens: f64,
    refilled: Instant,
}

impl Bucket {
    /// The allowed rate: the ceiling, or after a throttle, climbing back to it linearly.
    fn rate(&self, now: Instant) -> f64 {
        match self.reduced {
            None => self.ceiling.rate,
            Some((rate, at)) => {
                let recovered = now.saturating_duration_since(at).as_secs_f64() / RECOVERY_TIME.as_secs_f64();
                (rate + self.ceiling.rate * recovered).min(self.ceiling.rate)
            }
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate(now)).min(self.ceiling.burst);
        self.refilled = now;
    }
}

/// Token buckets per operation at `percent` of [`documented_limit`]: the operator stays under
/// ECS's throttles on its own, and when throttled anyway (other clients share the account) it
/// cuts that operation's rate by 30 % (once per congestion event, never below a fifth of the
/// ceiling) and climbs back to the ceiling over [`RECOVERY_TIME`]; the SDK retries the request
/// itself after its own jittered exponential back-off.
#[derive(Debug)]
pub struct RateLimiter {
    fraction: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    /// `percent` of the documented limits, clamped to 1..=100.
    pub fn new(percent: u8) -> Self {
        Self { fraction: f64::from(percent.clamp(1, 100)) / 100.0, buckets: Mutex::new(HashMap::new()) }
    }

    fn with_bucket<T>(&self, operation: &str, f: impl FnOnce(&mut Bucket, Instant) -> T) -> T {
        let now = Instant::now();
        // A poisoned lock only holds token counts: keep using them.
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = buckets.entry(operation.to_owned()).or_insert_with(|| {
            let limit = documented_limit(operation);
            let ceiling = Limit { burst: (limit.burst * self.fraction).max(1.0), rate: limit.rate * self.fraction };
            Bucket { ceiling, reduced: None, tokens: ceiling.burst, refilled: now }
        });
        bucket.refill(now);
        f(bucket, now)
    }

    /// Waits until `operation` may send one request, and takes its token.
    pub async fn acquire(&self, operation: &str) {
        loop {
            let wait = self.with_bucket(operation, |bucket, now| {
                if bucket.tokens >= 1.0 {
                    bucket.tokens -= 1.0;
                    None
                } else {
                    let rate = bucket.rate(now).max(f64::MIN_POSITIVE);
                    Some(Duration::from_secs_f64((1.0 - bucket.tokens) / rate))
                }
            });
            match wait {
                None => return,
                Some(wait) => tokio::time::sleep(wait).await,
            }
        }
    }

    /// AWS throttled `operation`: slow it down (once per congestion event). The request itself
    /// is retried by the SDK after its own jittered exponential back-off.
    pub fn throttled(&self, operation: &str) {
        self.with_bucket(operation, |bucket, now| {
            if bucket.reduced.is_some_and(|(_, at)| now.saturating_duration_since(at) < DECREASE_SPACING) {
                return;
            }
            let reduced = (bucket.rate(now) * THROTTLE_DECREASE).max(bucket.ceiling.rate * FLOOR_FRACTION);
            bucket.reduced = Some((reduced, now));
            bucket.tokens = bucket.tokens.min(0.0);
        });
    }

    /// The rate `operation` may send at now (requests per second).
    pub fn current_rate(&self, operation: &str) -> f64 {
        self.with_bucket(operation, |bucket, now| bucket.rate(now))
    }
}

/// The limiter and the counters, shared by every SDK client the operator builds.
#[derive(Debug, Clone)]
pub struct Traffic {
    pub limiter: Arc<RateLimiter>,
    pub metrics: Arc<Metrics>,
}

impl Traffic {
    pub fn new(percent: u8, metrics: Arc<Metrics>) -> Self {
        Self { limiter: Arc::new(RateLimiter::new(percent)), metrics }
    }

    /// Wraps `inner` so that every request it sends is rate limited and counted.
    pub fn wrap(&self, inner: SharedHttpClient) -> SharedHttpClient {
        SharedHttpClient::new(LimitedClient { inner, traffic: self.clone() })
    }
}

#[derive(Debug)]
struct LimitedClient {
    inner: SharedHttpClient,
    traffic: Traffic,
}

impl HttpClient for LimitedClient {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        let inner = self.inner.http_connector(settings, components);
        SharedHttpConnector::new(LimitedConnector { inner, traffic: self.traffic.clone() })
    }
}

#[derive(Debug)]
struct LimitedConnector {
    inner: SharedHttpConnector,
    traffic: Traffic,
}

impl HttpConnector for LimitedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let (service, operation) = operation_of(&request);
        let (inner, traffic) = (self.inner.clone(), self.traffic.clone());
        HttpConnectorFuture::new(async move {
            traffic.limiter.acquire(&operation).await;
            let (result, outcome) = match inner.call(request).await {
                Ok(response) => match classify(response).await {
                    Ok((response, outcome)) => (Ok(response), outcome),
                    Err(err) => (Err(err), Outcome::TransportError),
                },
                Err(err) => (Err(err), Outcome::TransportError),
            };
            if outcome == Outcome::Throttled {
                traffic.limiter.throttled(&operation);
            }
            traffic
                .metrics
                .aws_requests
                .get_or_create(&AwsCallLabels { service, operation, outcome: outcome.label() })
                .inc();
            result
        })
    }
}

/// What became of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Throttled,
    ClientError,
    ServerError,
    /// No HTTP response: connection refused or reset, timeout.
    TransportError,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Throttled => "throttled",
            Self::ClientError => "client_error",
            Self::ServerError => "server_error",
            Self::TransportError => "transport_error",
        }
    }
}

/// The service and operation of a request: the JSON protocols (ECS, Application Auto Scaling)
/// name it in `X-Amz-Target`, the query protocol (STS) in the form body's `Action`.
pub fn operation_of(request: &HttpRequest) -> (&'static str, String) {
    if let Some(target) = request.headers().get("x-amz-target") {
        let (prefix, operation) = target.rsplit_once('.').unwrap_or(("", target));
        let service = match prefix {
            "AmazonEC2ContainerServiceV20141113" => "ecs",
            "AnyScaleFrontendService" => "application-autoscaling",
            "AmazonSQS" => "sqs",
            _ => "other",
        };
        return (service, label_safe(operation));
    }
    let action = request.body().bytes().and_then(|body| {
        std::str::from_utf8(body).ok()?.split('&').find_map(|pair| pair.strip_prefix("Action=")).map(label_safe)
    });
    match action {
        Some(action) => ("sts", action),
        None => ("other", "Unknown".to_owned()),
    }
}

/// Operation names become metric labels: keep them to what an AWS operation name can be.
fn label_safe(name: &str) -> String {
    if !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric()) {
        name.to_owned()
    } else {
        "Unknown".to_owned()
    }
}

/// Error codes that mean "slow down".
fn is_throttling_code(code: &str) -> bool {
    ["Throttling", "ThrottledException", "TooManyRequestsException", "RequestLimitExceeded"]
        .iter()
        .any(|c| code.contains(c))
}

/// Sorts a response into an [`Outcome`]. Error bodies are small and the SDK reads them whole
/// anyway: they are buffered here to find the error code, then handed on unchanged.
async fn classify(mut response: HttpResponse) -> Result<(HttpResponse, Outcome), ConnectorError> {
    let status = response.status().as_u16();
    if status < 400 {
        return Ok((response, Outcome::Success));
    }
    let header_code = response.headers().get("x-amzn-errortype").map(str::to_owned);
    let body = ByteStream::new(response.take_body())
        .collect()
        .await
        .map_err(|e| ConnectorError::io(Box::new(e)))?
        .into_bytes();
    let throttled = header_code.as_deref().is_some_and(is_throttling_code) || {
        // JSON `"__type":"…ThrottlingException"` or XML `<Code>Throttling</Code>`; error
        // bodies are a few hundred bytes.
        let text = String::from_utf8_lossy(&body[..body.len().min(4096)]);
        is_throttling_code(&text)
    };
    *response.body_mut() = SdkBody::from(body);
    let outcome = match (throttled, status) {
        (true, _) => Outcome::Throttled,
        (false, 500..) => Outcome::ServerError,
        _ => Outcome::ClientError,
    };
    Ok((response, outcome))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn spends_the_burst_then_waits_for_the_rate() {
        // 50 % of RegisterTaskDefinition's (20 burst, 1/s): 10 at once, then one per 2 s.
        let limiter = RateLimiter::new(50);
        let start = Instant::now();
        for _ in 0..10 {
            limiter.acquire("RegisterTaskDefinition").await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        limiter.acquire("RegisterTaskDefinition").await;
        assert_eq!(start.elapsed().as_secs(), 2);
        // Other operations have their own buckets.
        limiter.acquire("DescribeServices").await;
        assert_eq!(start.elapsed().as_secs(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_slows_once_per_event_never_below_the_floor_and_recovers() {
        let limiter = RateLimiter::new(100);
        assert_eq!(limiter.current_rate("DescribeServices"), 20.0);
        limiter.throttled("DescribeServices");
        assert_eq!(limiter.current_rate("DescribeServices"), 14.0);
        // Throttles within a second of a decrease are the same congestion event.
        limiter.throttled("DescribeServices");
        assert_eq!(limiter.current_rate("DescribeServices"), 14.0);
        // The bucket was emptied: the next request waits for a token at the lower rate.
        let start = Instant::now();
        limiter.acquire("DescribeServices").await;
        assert!(start.elapsed() >= Duration::from_millis(70), "{:?}", start.elapsed());
        for _ in 0..20 {
            tokio::time::advance(Duration::from_millis(1001)).await;
            limiter.throttled("DescribeServices");
        }
        // A throttle every second (r = 0.7 (r + 4)) settles near half the ceiling: slower, not
        // stalled.
        let settled = limiter.current_rate("DescribeServices");
        assert!((9.0..9.5).contains(&settled), "{settled}");
        tokio::time::advance(Duration::from_millis(2500)).await;
        let later = limiter.current_rate("DescribeServices");
        assert!((19.0..19.5).contains(&later), "climbs 4/s back towards the ceiling: {later}");
        tokio::time::advance(Duration::from_secs(60)).await;
        assert_eq!(limiter.current_rate("DescribeServices"), 20.0, "recovers to the ceiling, no further");
    }

    fn request(target: Option<&str>, body: &str) -> HttpRequest {
        let mut request = HttpRequest::new(SdkBody::from(body.to_owned()));
        if let Some(target) = target {
            request.headers_mut().insert("x-amz-target", target.to_owned());
        }
        request
    }

    #[test]
    fn operations_from_targets_and_forms() {
        let json = request(Some("AmazonEC2ContainerServiceV20141113.DescribeServices"), "{}");
        assert_eq!(operation_of(&json), ("ecs", "DescribeServices".to_owned()));
        let scaling = request(Some("AnyScaleFrontendService.RegisterScalableTarget"), "{}");
        assert_eq!(operation_of(&scaling), ("application-autoscaling", "RegisterScalableTarget".to_owned()));
        let form = request(None, "Action=AssumeRole&Version=2011-06-15");
        assert_eq!(operation_of(&form), ("sts", "AssumeRole".to_owned()));
        let odd = request(Some("X.{bad label}"), "");
        assert_eq!(operation_of(&odd), ("other", "Unknown".to_owned()));
    }

    #[tokio::test]
    async fn classifies_throttling_from_body_or_header() {
        let response = |status: u16, body: &str| {
            HttpResponse::new(status.try_into().expect("status"), SdkBody::from(body.to_owned()))
        };
        let cases = [
            (response(200, "{}"), Outcome::Success),
            (response(400, r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#), Outcome::Throttled),
            (
                response(400, "<ErrorResponse><Error><Code>Throttling</Code></Error></ErrorResponse>"),
                Outcome::Throttled,
            ),
            (response(400, r#"{"__type":"ClientException"}"#), Outcome::ClientError),
            (response(503, r#"{"__type":"ServerException"}"#), Outcome::ServerError),
        ];
        for (resp, expected) in cases {
            let (resp, outcome) = classify(resp).await.expect("classify");
            assert_eq!(outcome, expected);
            assert!(resp.body().bytes().is_some_and(|b| !b.is_empty()), "body is handed on");
        }
    }
}
