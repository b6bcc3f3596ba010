//! The ECS side of the bench: ecs-sim's throttling (the realistic defaults, optionally scaled),
//! the minimum calls a perfect operator needs, the time those throttles impose on them, and an
//! out-of-band DescribeServices for checking that drift was corrected.

use std::collections::BTreeMap;
use std::time::Duration;

use ecs_sim::{BucketSpec, ThrottleConfig, default_bucket};
use serde_json::{Value, json};

use crate::error::Result;
use crate::objects::Layout;
use crate::operator::http_request;

/// Every ECS operation ecs-sim throttles by default.
const THROTTLED: &[&str] = &[
    "DescribeClusters",
    "ListClusters",
    "CreateCluster",
    "DeleteCluster",
    "UpdateCluster",
    "UpdateClusterSettings",
    "PutClusterCapacityProviders",
    "DescribeServices",
    "ListServices",
    "CreateService",
    "UpdateService",
    "DeleteService",
    "DescribeServiceDeployments",
    "ListServiceDeployments",
    "ContinueServiceDeployment",
    "StopServiceDeployment",
    "DescribeTaskDefinition",
    "ListTaskDefinitions",
    "ListTaskDefinitionFamilies",
    "RegisterTaskDefinition",
    "DeregisterTaskDefinition",
    "DeleteTaskDefinitions",
    "DescribeTasks",
    "ListTasks",
    "StopTask",
    "RunTask",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
    "DescribeCapacityProviders",
    "CreateCapacityProvider",
    "UpdateCapacityProvider",
    "DeleteCapacityProvider",
];

/// ecs-sim's default buckets with burst and rate multiplied by `scale` (1 = AWS-like).
pub fn throttle(scale: f64) -> ThrottleConfig {
    let overrides = THROTTLED
        .iter()
        .filter_map(|op| {
            let b = default_bucket(op)?;
            Some(((*op).to_owned(), BucketSpec::new(b.capacity * scale, b.refill_per_second * scale)))
        })
        .collect();
    ThrottleConfig { unlimited: false, overrides }
}

/// Calls a perfect operator needs to bring the layout up: one write per object and one
/// batched read of each object's final state (10 services or 100 clusters per call).
pub fn minimum_calls(layout: &Layout) -> BTreeMap<&'static str, u64> {
    let (n, c, t) = (layout.services as u64, layout.clusters as u64, layout.task_definitions as u64);
    BTreeMap::from([
        ("CreateCluster", c),
        ("DescribeClusters", c.div_ceil(100)),
        ("RegisterTaskDefinition", t),
        ("CreateService", n),
        ("DescribeServices", n.div_ceil(10)),
    ])
}

/// Whether an operation is an SQS call (the events queue), not an ECS one.
pub fn is_queue(op: &str) -> bool {
    matches!(
        op,
        "ReceiveMessage"
            | "DeleteMessage"
            | "DeleteMessageBatch"
            | "GetQueueAttributes"
            | "GetQueueUrl"
            | "CreateQueue"
            | "SendMessage"
            | "ChangeMessageVisibility"
            | "PurgeQueue"
    )
}

/// Sets a service's desiredCount with UpdateService, as someone outside the operator would:
/// a call ECS records (and, with events on, reports through CloudTrail). False when ECS refused.
pub async fn update_desired_count(endpoint: &str, cluster: &str, service: &str, count: i64) -> Result<bool> {
    let addr = endpoint.trim_start_matches("http://");
    let body = json!({"cluster": cluster, "service": service, "desiredCount": count}).to_string();
    let headers = [
        ("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.UpdateService"),
        ("Content-Type", "application/x-amz-json-1.1"),
        ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDOUTOFBAND/20260101/us-east-1/ecs/aws4_request"),
    ];
    let (code, _) = http_request(addr, "POST", "/", &headers, &body).await?;
    Ok(code == 200)
}

/// Whether an operation changes anything in AWS.
pub fn is_write(op: &str) -> bool {
    !(op.starts_with("Describe") || op.starts_with("List") || op.starts_with("Get"))
}

/// The fastest the simulator allows the same work: each operation's minimum calls drain its
/// bucket (burst first, then the sustained rate; buckets are independent, so they overlap),
/// and the last service created still needs one simulated rollout.
pub fn lower_bound(layout: &Layout, throttle: &ThrottleConfig, rollout: Duration, speed: f64) -> Duration {
    let throttled = minimum_calls(layout)
        .into_iter()
        .filter_map(|(op, calls)| {
            let b = throttle.bucket_for(op)?;
            Some((calls as f64 - b.capacity).max(0.0) / b.refill_per_second)
        })
        .fold(0.0, f64::max);
    Duration::from_secs_f64(throttled + rollout.as_secs_f64() / speed)
}

/// desiredCount of up to 10 services of one cluster as ECS reports it, asked out of band
/// (the bench's own call, counted by ecs-sim but outside every measured window).
pub async fn desired_counts(endpoint: &str, cluster: &str, services: &[String]) -> Result<BTreeMap<String, i64>> {
    let addr = endpoint.trim_start_matches("http://");
    let body = json!({"cluster": cluster, "services": services}).to_string();
    let headers = [
        ("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.DescribeServices"),
        ("Content-Type", "application/x-amz-json-1.1"),
        // ecs-sim wants a SigV4-shaped header and never verifies it.
        ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDBENCH/20260101/us-east-1/ecs/aws4_request"),
    ];
    let (code, text) = http_request(addr, "POST", "/", &headers, &body).await?;
    if code != 200 {
        // Throttled or failed: the caller asks again.
        return Ok(BTreeMap::new());
    }
    let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    Ok(value
        .get("services")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|s| Some((s.get("serviceName")?.as_str()?.to_owned(), s.get("desiredCount")?.as_i64()?)))
                .collect()
        })
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_bound_is_the_slowest_bucket_plus_one_rollout() {
        let layout = Layout::new(1000, 250, None);
        // RegisterTaskDefinition: 1000 calls, burst 20, 1/s → 980 s; CreateService 950/5 = 190 s.
        let bound = lower_bound(&layout, &throttle(1.0), Duration::from_secs(40), 20.0);
        assert_eq!(bound, Duration::from_secs(982));
        let fast = lower_bound(&layout, &throttle(10.0), Duration::from_secs(40), 20.0);
        assert_eq!(fast, Duration::from_secs(82));
    }

    #[test]
    fn reads_are_not_writes() {
        assert!(is_write("UpdateService") && is_write("RegisterTaskDefinition"));
        assert!(!is_write("DescribeServices") && !is_write("ListTaskDefinitions"));
    }
}
