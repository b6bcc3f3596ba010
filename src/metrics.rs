//! Prometheus metrics, prefix `ecs_operator`. Label sets are closed (kind, error reason,
//! operation): never object names or free text, so cardinality stays bounded.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    pub kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FailureLabels {
    pub kind: &'static str,
    pub reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AwsCallLabels {
    /// `ecs`, `application-autoscaling`, `sts`.
    pub service: &'static str,
    /// The API operation, e.g. `DescribeServices` (a closed set: the SDK calls the code makes).
    pub operation: String,
    /// `success`, `throttled`, `client_error`, `server_error`, `transport_error`.
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EventLabels {
    /// `service_action`, `deployment_state_change`, `task_state_change`, `api_call`, `other`.
    pub detail_type: &'static str,
    /// `triggered` (objects were reconciled), `unmatched` (no object of ours), `ignored` (an
    /// event with nothing to read), `unknown` (not an ECS event the operator knows), `invalid`
    /// (not an EventBridge event).
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ConditionLabels {
    pub kind: &'static str,
    pub condition: &'static str,
    /// `True`, `False` or `Unknown` (no such condition yet).
    pub status: &'static str,
}

/// Everything the operator counts.
pub struct Metrics {
    registry: Registry,
    pub reconciles: Family<KindLabels, Counter>,
    pub failures: Family<FailureLabels, Counter>,
    pub duration: Family<KindLabels, Histogram>,
    pub status_writes: Family<KindLabels, Counter>,
    /// Every HTTP request to AWS (each retry attempt counts), by service, operation, outcome.
    pub aws_requests: Family<AwsCallLabels, Counter>,
    /// Objects by condition and status, recomputed from the caches every few seconds.
    pub objects: Family<ConditionLabels, Gauge>,
    /// Drift found (fields newly listed in status.drift, which lists corrected fields too) and
    /// corrections made (one per update that put AWS back).
    pub drift_detected: Family<KindLabels, Counter>,
    pub drift_corrected: Family<KindLabels, Counter>,
    /// Objects whose current generation has not been reconciled yet (spec changes waiting),
    /// plus reconciles running: the work in front of the controller.
    pub queue_depth: Family<KindLabels, Gauge>,
    pub in_flight: Family<KindLabels, Gauge>,
    /// Objects a watch received that do not decode as their kind (skipped, with a warning).
    pub undecodable_objects: Family<KindLabels, Counter>,
    /// 1 while this replica holds the leader Lease (always 1 without leader election).
    pub leader: Gauge,
    /// Queue messages by event type and what came of them (see `crate::events`).
    pub events: Family<EventLabels, Counter>,
    /// From an event's time to the end of the reconcile it caused (its status write), by kind.
    pub event_lag: Family<KindLabels, Histogram>,
    /// Set once the caches are synced and AWS answered: what `/readyz` reports.
    ready: AtomicBool,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("ecs_operator");
        let reconciles = Family::<KindLabels, Counter>::default();
        let failures = Family::<FailureLabels, Counter>::default();
        // 5 ms to ~40 s: reconciles are AWS round trips.
        let duration = Family::<KindLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.005, 2.0, 14))
        });
        let status_writes = Family::<KindLabels, Counter>::default();
        registry.register("reconciles", "Reconciles run, by kind", reconciles.clone());
        registry.register("reconcile_failures", "Reconciles that failed, by kind and reason", failures.clone());
        registry.register("reconcile_duration_seconds", "Time per reconcile, by kind", duration.clone());
        registry.register(
            "status_writes",
            "Status patches sent (only when status changed), by kind",
            status_writes.clone(),
        );
        let aws_requests = Family::<AwsCallLabels, Counter>::default();
        registry.register(
            "aws_requests",
            "HTTP requests sent to AWS (retries included), by service, operation and outcome",
            aws_requests.clone(),
        );
        let objects = Family::<ConditionLabels, Gauge>::default();
        registry.register("objects", "Objects in the caches by kind, condition and status", objects.clone());
        let drift_detected = Family::<KindLabels, Counter>::default();
        registry.register("drift_detected", "Drifted fields found in AWS, by kind", drift_detected.clone());
        let drift_corrected = Family::<KindLabels, Counter>::default();
        registry.register(
            "drift_corrected",
            "Updates that put drifted AWS resources back, by kind",
            drift_corrected.clone(),
        );
        let queue_depth = Family::<KindLabels, Gauge>::default();
        registry.register(
            "queue_depth",
            "Objects whose latest generation is not reconciled yet, plus reconciles running, by kind",
            queue_depth.clone(),
        );
        let in_flight = Family::<KindLabels, Gauge>::default();
        registry.register("reconciles_in_flight", "Reconciles running now, by kind", in_flight.clone());
        let undecodable_objects = Family::<KindLabels, Counter>::default();
        registry.register(
            "undecodable_objects",
            "Objects watches skipped because they do not decode as their kind, by kind",
            undecodable_objects.clone(),
        );
        let leader = Gauge::default();
        registry.register("leader", "1 while this replica is the leader", leader.clone());
        let events = Family::<EventLabels, Counter>::default();
        registry.register("events_received", "Events read from the queue, by type and outcome", events.clone());
        // 0.25 s to ~2 min: EventBridge and SQS add seconds, a backlog minutes.
        let event_lag = Family::<KindLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.25, 2.0, 10))
        });
        registry.register(
            "event_lag_seconds",
            "From an event's time to the end of the reconcile it caused, by kind",
            event_lag.clone(),
        );
        Self {
            registry,
            reconciles,
            failures,
            duration,
            status_writes,
            aws_requests,
            objects,
            drift_detected,
            drift_corrected,
            queue_depth,
            in_flight,
            undecodable_objects,
            leader,
            events,
            event_lag,
            ready: AtomicBool::new(false),
        }
    }
}

impl Metrics {
    /// Prometheus text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::SeqCst);
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }

    /// Counts one queue message of `detail_type` and what came of it.
    pub fn event_received(&self, detail_type: &'static str, outcome: &'static str) {
        self.events.get_or_create(&EventLabels { detail_type, outcome }).inc();
    }

    /// A reconcile an event caused ended, `lag_seconds` after the event.
    pub fn event_handled(&self, kind: &'static str, lag_seconds: f64) {
        self.event_lag.get_or_create(&KindLabels { kind }).observe(lag_seconds);
    }

    /// Starts timing one reconcile; the measurement is recorded when the guard drops.
    pub fn reconcile(&self, kind: &'static str) -> ReconcileTimer<'_> {
        self.reconciles.get_or_create(&KindLabels { kind }).inc();
        self.in_flight.get_or_create(&KindLabels { kind }).inc();
        ReconcileTimer { metrics: self, kind, started: Instant::now() }
    }
}

/// Records a reconcile's duration on drop, however it ended.
pub struct ReconcileTimer<'a> {
    metrics: &'a Metrics,
    kind: &'static str,
    started: Instant,
}

impl ReconcileTimer<'_> {
    pub fn failed(&self, reason: &'static str) {
        self.metrics.failures.get_or_create(&FailureLabels { kind: self.kind, reason }).inc();
    }
}

impl Drop for ReconcileTimer<'_> {
    fn drop(&mut self) {
        self.metrics.in_flight.get_or_create(&KindLabels { kind: self.kind }).dec();
        self.metrics
            .duration
            .get_or_create(&KindLabels { kind: self.kind })
            .observe(self.started.elapsed().as_secs_f64());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_encodes() {
        let m = Metrics::default();
        {
            let timer = m.reconcile("ECSService");
            timer.failed("Throttled");
        }
        m.status_writes.get_or_create(&KindLabels { kind: "ECSService" }).inc();
        let text = m.encode();
        assert!(text.contains("ecs_operator_reconciles_total{kind=\"ECSService\"} 1"), "{text}");
        assert!(
            text.contains("ecs_operator_reconcile_failures_total{kind=\"ECSService\",reason=\"Throttled\"} 1"),
            "{text}"
        );
        assert!(text.contains("ecs_operator_reconcile_duration_seconds_count{kind=\"ECSService\"} 1"), "{text}");
        assert!(text.contains("ecs_operator_status_writes_total{kind=\"ECSService\"} 1"), "{text}");
        assert!(text.contains("ecs_operator_reconciles_in_flight{kind=\"ECSService\"} 0"), "{text}");
        assert!(!m.is_ready());
    }
}
