//! Throttling and fault injection as the SDK sees them.

use std::time::{Duration, Instant};

use aws_sdk_ecs::error::ProvideErrorMetadata;
use ecs_sim::{BucketSpec, FaultSpec, SimConfig, ThrottleConfig};

use crate::harness::{env, env_with, sdk_config};

#[tokio::test]
async fn throttled_calls_get_throttling_exception() {
    let mut throttle = ThrottleConfig::unlimited();
    throttle.overrides.insert("ListClusters".into(), BucketSpec::new(2.0, 0.001));
    let env = env_with(SimConfig { throttle, ..SimConfig::for_tests() });
    env.ecs.list_clusters().send().await.unwrap();
    env.ecs.list_clusters().send().await.unwrap();
    let err = env.ecs.list_clusters().send().await.unwrap_err();
    assert_eq!(err.as_service_error().and_then(|e| e.code()), Some("ThrottlingException"));
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(400));
    env.ecs.describe_clusters().send().await.unwrap();
    let stats = env.sim.stats();
    assert_eq!(stats.operations["ListClusters"].throttled, 1);
    assert_eq!(stats.operations["ListClusters"].calls, 3);
}

#[tokio::test]
async fn sdk_retries_throttling_as_transient() {
    let mut throttle = ThrottleConfig::unlimited();
    throttle.overrides.insert("ListClusters".into(), BucketSpec::new(1.0, 0.001));
    let env = env_with(SimConfig { throttle, ..SimConfig::for_tests() });
    let retrying = aws_sdk_ecs::Client::from_conf(sdk_config(env.sim.endpoint(), true));
    retrying.list_clusters().send().await.unwrap();
    let err = retrying.list_clusters().send().await.unwrap_err();
    assert_eq!(err.code(), Some("ThrottlingException"));
    assert_eq!(env.sim.stats().operations["ListClusters"].calls, 4, "1 + 3 standard attempts");
}

#[tokio::test]
async fn default_buckets_apply_when_enabled() {
    let env = env_with(SimConfig { throttle: ThrottleConfig::default(), ..SimConfig::for_tests() });
    env.sim.set_throttle(ThrottleConfig::default());
    let mut throttled = 0;
    for i in 0..30 {
        if let Err(e) = env.ecs.create_cluster().cluster_name(format!("c{i}")).send().await {
            assert_eq!(e.code(), Some("ThrottlingException"));
            throttled += 1;
        }
    }
    assert!(throttled >= 9, "cluster writes burst at 20: {throttled} throttled");
}

#[tokio::test]
async fn injected_errors_and_latency() {
    let env = env();
    let mut spec = FaultSpec::error("ListClusters", "ServerException", 500);
    spec.remaining = Some(1);
    env.sim.set_fault(spec);
    let err = env.ecs.list_clusters().send().await.unwrap_err();
    assert_eq!(err.code(), Some("ServerException"));
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(500));
    env.ecs.list_clusters().send().await.unwrap();
    assert_eq!(env.sim.stats().total_injected_errors, 1);

    let slow = FaultSpec { latency_ms: 200, error_rate: 0.0, ..FaultSpec::error("*", "ServerException", 500) };
    env.sim.set_fault(slow);
    let t0 = Instant::now();
    env.ecs.list_services().cluster("x").send().await.unwrap_err();
    assert!(t0.elapsed() >= Duration::from_millis(200));
    env.sim.clear_faults();
}
