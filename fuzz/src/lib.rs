//! Fuzz harnesses for ecs-operator, shared by the cargo-fuzz targets in `fuzz_targets/`.
//!
//! - [`canonical`]: arbitrary JSON as a TaskDefinition / ECSService / ECSCluster /
//!   CapacityProvider spec, through the canonicaliser, the spec hash and the drift diff.
//! - [`aws_response`]: arbitrary bytes as the body of a DescribeServices /
//!   DescribeTaskDefinition / DescribeClusters answer, through the operator's own SDK client
//!   (`SdkEcs`, over a connector that returns the bytes), the SDK → spec conversions, the
//!   canonicaliser, the rollout check and the status builders: what a reconcile does with an
//!   answer.
//!
//! Neither may panic, and neither may allocate without bound (libFuzzer's `-rss_limit_mb` and
//! `-malloc_limit_mb` catch that). The first input byte picks the kind or operation, so one
//! target covers several types and seeds stay plain JSON after one byte.

use std::sync::{Arc, Mutex, OnceLock};

use aws_sdk_ecs::config::{BehaviorVersion, Credentials, Region};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use ecs_operator::aws::convert::cluster::cluster_spec_from_sdk;
use ecs_operator::aws::convert::service::service_spec_from_sdk;
use ecs_operator::aws::convert::task_definition::task_definition_spec_from_sdk;
use ecs_operator::aws::ecs::{EcsApi, SdkEcs};
use ecs_operator::canonical::capacity_provider::canonical_capacity_provider;
use ecs_operator::canonical::cluster::canonical_cluster;
use ecs_operator::canonical::service::canonical_service;
use ecs_operator::canonical::task_definition::{canonical_task_definition, task_definition_hash};
use ecs_operator::canonical::{diff, spec_hash};
use ecs_operator::controller::{cluster, service, task_definition};
use ecs_operator::crd::{CapacityProviderSpec, ECSClusterSpec, ECSServiceSpec, TaskDefinitionSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde_json::Value;

const TD_ARN: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1";

// ---- canonicaliser ---------------------------------------------------------------------------

/// Byte 0 picks the kind; the rest is the spec as JSON.
pub fn canonical(data: &[u8]) {
    let Some((&kind, json)) = data.split_first() else { return };
    let Ok(raw) = serde_json::from_slice::<Value>(json) else { return };
    match kind % 4 {
        0 => canonical_td(&raw),
        1 => canonical_svc(&raw),
        2 => {
            let Ok(spec) = serde_json::from_value::<ECSClusterSpec>(raw.clone()) else { return };
            fixed_point(&canonical_cluster(&spec), canonical_cluster, &raw);
        }
        _ => {
            let Ok(spec) = serde_json::from_value::<CapacityProviderSpec>(raw.clone()) else { return };
            fixed_point(&canonical_capacity_provider(&spec), canonical_capacity_provider, &raw);
        }
    }
}

fn canonical_td(raw: &Value) {
    let Ok(spec) = serde_json::from_value::<TaskDefinitionSpec>(raw.clone()) else { return };
    let family = spec.family.clone().unwrap_or_else(|| "fuzz".into());
    // Invalid units are a CanonicalError (Terminal on the object), never a panic.
    let Ok(canon) = canonical_task_definition(&spec, &family) else { return };
    let again = canonical_task_definition(&canon, &family);
    assert_eq!(again.as_ref(), Ok(&canon), "canonical form is not a fixed point");
    // The hash is over the canonical form: spelling the spec canonically changes nothing,
    // otherwise re-applying a described spec would register a new revision.
    assert_eq!(task_definition_hash(&spec, &family), task_definition_hash(&canon, &family));
    compare(&canon, raw);
}

fn canonical_svc(raw: &Value) {
    let Ok(spec) = serde_json::from_value::<ECSServiceSpec>(raw.clone()) else { return };
    for scaler in [false, true] {
        let canon = canonical_service(&spec, Some(TD_ARN), scaler);
        fixed_point(&canon, |c| canonical_service(c, Some(TD_ARN), scaler), raw);
    }
}

/// Canonicalising twice changes nothing; hashing and diffing work on any value.
fn fixed_point<T: serde::Serialize + PartialEq + std::fmt::Debug>(canon: &T, again: impl Fn(&T) -> T, raw: &Value) {
    assert_eq!(&again(canon), canon, "canonical form is not a fixed point");
    compare(canon, raw);
}

fn compare<T: serde::Serialize>(canon: &T, raw: &Value) {
    let hash = spec_hash(canon).expect("a spec type serialises");
    assert_eq!(hash.len(), 20);
    let value = serde_json::to_value(canon).expect("a spec type serialises");
    assert!(diff(&value, &value).is_empty(), "a value differs from itself");
    // Both directions, as desired and as actual: paths and values are built, never indexed.
    let _ = diff(&value, raw);
    let _ = diff(raw, &value);
}

// ---- AWS responses ---------------------------------------------------------------------------

/// Byte 0 picks the operation (mod 3) and the HTTP status (200, 400, 500); the rest is the body.
pub fn aws_response(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else { return };
    let status = [200, 400, 500][usize::from(selector / 3 % 3)];
    let harness = harness();
    harness.respond(status, body);
    harness.runtime.block_on(async {
        match selector % 3 {
            0 => describe_services(harness.ecs.as_ref()).await,
            1 => describe_task_definition(harness.ecs.as_ref()).await,
            _ => describe_clusters(harness.ecs.as_ref()).await,
        }
    });
}

async fn describe_services(ecs: &dyn EcsApi) {
    let services = match ecs.describe_services("prod", vec!["web".into()]).await {
        Ok(services) => services,
        Err(e) => return drop(e.to_string()),
    };
    let now = Time(Default::default());
    for s in &services {
        if let Ok(spec) = service_spec_from_sdk(s) {
            let _ = spec_hash(&canonical_service(&spec, s.task_definition(), false));
        }
        // The service deployment too, when the answer names one: what status keeps of it and
        // the verdict over it.
        let deployment = match s.current_service_deployment() {
            Some(arn) => match ecs.describe_service_deployment(arn).await {
                Ok(found) => found.map(|d| service::deployment::status_of(&d, None)),
                Err(e) => return drop(e.to_string()),
            },
            None => None,
        };
        let assessment = ecs_operator::controller::rollout::assess(s, deployment.as_ref(), TD_ARN);
        let outcome = service::status::Outcome {
            stage: Some(service::status::Stage::Observed {
                service: s,
                assessment: &assessment,
                desired_task_definition: TD_ARN,
            }),
            drift: &[],
            correction: None,
            applied_hash: None,
            applied: None,
            restarted_at: None,
            scalable_target: None,
            deployment: Some((deployment.as_ref(), None)),
            namespace_seen: None,
            observe_only: false,
            error: None,
        };
        let status = service::status::build(None, Some(1), &outcome, &now);
        let _ = serde_json::to_vec(&status).expect("status serialises");
    }
}

async fn describe_task_definition(ecs: &dyn EcsApi) {
    let described = match ecs.describe_task_definition(TD_ARN).await {
        Ok(Some(d)) => d,
        Ok(None) => return,
        Err(e) => return drop(e.to_string()),
    };
    let _ = task_definition::observe::revision(&described);
    if let Ok(spec) = task_definition_spec_from_sdk(&described.task_definition, &described.tags) {
        let family = spec.family.clone().unwrap_or_default();
        if let Ok(canon) = canonical_task_definition(&spec, &family) {
            let _ = spec_hash(&canon);
        }
    }
}

async fn describe_clusters(ecs: &dyn EcsApi) {
    let clusters = match ecs.describe_clusters(vec!["prod".into()]).await {
        Ok(clusters) => clusters,
        Err(e) => return drop(e.to_string()),
    };
    let now = Time(Default::default());
    for c in &clusters {
        if let Ok(spec) = cluster_spec_from_sdk(c) {
            let _ = spec_hash(&canonical_cluster(&spec));
        }
        let outcome = cluster::status::Outcome {
            stage: Some(cluster::status::Stage::Observed(c)),
            drift: &[],
            correction: None,
            applied_hash: None,
            applied: None,
            observe_only: false,
            error: None,
        };
        let status = cluster::status::build(None, Some(1), &outcome, &now);
        let _ = serde_json::to_vec(&status).expect("status serialises");
    }
}

/// One SDK client and runtime for the whole run (building them per input would dominate the
/// time); the next answer is swapped in before each call.
struct Harness {
    runtime: tokio::runtime::Runtime,
    ecs: Arc<dyn EcsApi>,
    next: Arc<Mutex<(u16, Vec<u8>)>>,
}

impl Harness {
    fn respond(&self, status: u16, body: &[u8]) {
        let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
        *next = (status, body.to_vec());
    }
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("tokio runtime");
        let next = Arc::new(Mutex::new((200, Vec::new())));
        let http = SharedHttpClient::new(Canned { next: next.clone() });
        let config = aws_sdk_ecs::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url("http://fuzz.invalid")
            .credentials_provider(Credentials::new("AKIDFUZZ", "fuzz", None, None, "fuzz"))
            .http_client(http)
            // One attempt per input: retries would only repeat the same answer.
            .retry_config(aws_sdk_ecs::config::retry::RetryConfig::disabled())
            .sleep_impl(aws_smithy_async::rt::sleep::TokioSleep::new())
            .time_source(aws_smithy_async::time::SystemTimeSource::new())
            .build();
        let ecs = SdkEcs::shared(aws_sdk_ecs::Client::from_conf(config));
        Harness { runtime, ecs, next }
    })
}

/// Answers every request with the current canned status and body, as ECS's JSON 1.1 would.
#[derive(Debug, Clone)]
struct Canned {
    next: Arc<Mutex<(u16, Vec<u8>)>>,
}

impl HttpClient for Canned {
    fn http_connector(&self, _: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

impl HttpConnector for Canned {
    fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
        let (status, body) = self.next.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let mut response =
            HttpResponse::new(StatusCode::try_from(status).expect("a valid status"), SdkBody::from(body));
        response.headers_mut().insert("content-type", "application/x-amz-json-1.1");
        response.headers_mut().insert("x-amzn-requestid", "fuzz");
        HttpConnectorFuture::ready(Ok(response))
    }
}
