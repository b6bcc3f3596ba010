//! Per-operation token buckets, as ECS throttles its API (sustained rate = refill per
//! second, burst = bucket capacity). Buckets run on real time, not simulated time: a
//! client's request rate is a real-time quantity even when the simulation runs fast.
//!
//! Default numbers follow the shape of AWS's "Request throttling for the Amazon ECS API"
//! page (reads ~20/s sustained with bursts of 50-100, service writes ~5/s, cluster and
//! task-definition writes ~1/s). They are approximations; tests and callers set their own
//! through `SimConfig::throttle` or `POST /_sim/throttle`.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use serde::{Deserialize, Serialize};

/// One bucket: up to `capacity` requests at once, refilled at `refill_per_second`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BucketSpec {
    pub capacity: f64,
    pub refill_per_second: f64,
}

impl BucketSpec {
    pub const fn new(capacity: f64, refill_per_second: f64) -> Self {
        BucketSpec { capacity, refill_per_second }
    }
}

/// Which buckets apply. `unlimited` turns throttling off (the default for tests).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThrottleConfig {
    #[serde(default)]
    pub unlimited: bool,
    /// Per-operation buckets that replace the defaults.
    #[serde(default)]
    pub overrides: BTreeMap<String, BucketSpec>,
}

impl ThrottleConfig {
    pub fn unlimited() -> Self {
        ThrottleConfig { unlimited: true, overrides: BTreeMap::new() }
    }

    pub fn bucket_for(&self, op: &str) -> Option<BucketSpec> {
        if self.unlimited && !self.overrides.contains_key(op) {
            return None;
        }
        self.overrides.get(op).copied().or_else(|| default_bucket(op))
    }
}

/// The realistic default for an operation; `None` for operations ECS does not throttle
/// here (the simulator's other services).
pub fn default_bucket(op: &str) -> Option<BucketSpec> {
    let spec = match op {
        "DescribeClusters" | "ListClusters" => BucketSpec::new(50.0, 20.0),
        "CreateCluster"
        | "DeleteCluster"
        | "UpdateCluster"
        | "UpdateClusterSettings"
        | "PutClusterCapacityProviders" => BucketSpec::new(20.0, 1.0),
        "DescribeServices" | "ListServices" => BucketSpec::new(100.0, 20.0),
        "CreateService" | "UpdateService" | "DeleteService" => BucketSpec::new(50.0, 5.0),
        // Service deployment calls: AWS publishes no numbers; as service reads and writes.
        "DescribeServiceDeployments" | "ListServiceDeployments" => BucketSpec::new(100.0, 20.0),
        "ContinueServiceDeployment" | "StopServiceDeployment" => BucketSpec::new(50.0, 5.0),
        // Express services and service revisions: AWS publishes none either; as service reads
        // and writes.
        "DescribeExpressGatewayService" | "DescribeServiceRevisions" => BucketSpec::new(100.0, 20.0),
        "CreateExpressGatewayService" | "UpdateExpressGatewayService" | "DeleteExpressGatewayService" => {
            BucketSpec::new(50.0, 5.0)
        }
        "DescribeTaskDefinition" | "ListTaskDefinitions" | "ListTaskDefinitionFamilies" => BucketSpec::new(100.0, 20.0),
        "RegisterTaskDefinition" | "DeregisterTaskDefinition" | "DeleteTaskDefinitions" => BucketSpec::new(20.0, 1.0),
        "DescribeTasks" | "ListTasks" => BucketSpec::new(100.0, 20.0),
        "StopTask" | "RunTask" => BucketSpec::new(100.0, 40.0),
        "TagResource" | "UntagResource" | "ListTagsForResource" => BucketSpec::new(50.0, 10.0),
        "DescribeCapacityProviders" => BucketSpec::new(50.0, 20.0),
        "CreateCapacityProvider" | "UpdateCapacityProvider" | "DeleteCapacityProvider" => BucketSpec::new(20.0, 1.0),
        _ => return None,
    };
    Some(spec)
}

#[derive(Debug)]
struct Bucket {
    spec: BucketSpec,
    tokens: f64,
    last: Instant,
}

/// The live buckets.
#[derive(Debug, Default)]
pub struct Throttler {
    config: ThrottleConfig,
    buckets: HashMap<String, Bucket>,
}

impl Throttler {
    pub fn new(config: ThrottleConfig) -> Self {
        Throttler { config, buckets: HashMap::new() }
    }

    pub fn config(&self) -> &ThrottleConfig {
        &self.config
    }

    /// Replaces the configuration; buckets start full again.
    pub fn configure(&mut self, config: ThrottleConfig) {
        self.config = config;
        self.buckets.clear();
    }

    /// Takes a token for `op`; false means the call is throttled.
    pub fn try_acquire(&mut self, op: &str, now: Instant) -> bool {
        let Some(spec) = self.config.bucket_for(op) else { return true };
        let bucket =
            self.buckets.entry(op.to_string()).or_insert_with(|| Bucket { spec, tokens: spec.capacity, last: now });
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * bucket.spec.refill_per_second).min(bucket.spec.capacity);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_allows_burst_then_refills() {
        let mut config = ThrottleConfig::unlimited();
        config.overrides.insert("DescribeServices".into(), BucketSpec::new(3.0, 2.0));
        let mut t = Throttler::new(config);
        let t0 = Instant::now();
        assert!((0..3).all(|_| t.try_acquire("DescribeServices", t0)));
        assert!(!t.try_acquire("DescribeServices", t0));
        assert!(t.try_acquire("DescribeServices", t0 + Duration::from_millis(500)));
        assert!(t.try_acquire("ListServices", t0), "unlimited for operations without an override");
    }

    #[test]
    fn defaults_apply_when_not_unlimited() {
        let mut t = Throttler::new(ThrottleConfig::default());
        let t0 = Instant::now();
        let allowed = (0..200).filter(|_| t.try_acquire("CreateService", t0)).count();
        assert_eq!(allowed, 50);
    }
}
