//! Prometheus metrics, prefix `ecs_operator`. Label sets are closed (kind, error reason,
//! operation): never object names or free text, so cardinality stays bounded.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
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

/// Everything the operator counts.
pub struct Metrics {
    registry: Registry,
    pub reconciles: Family<KindLabels, Counter>,
    pub failures: Family<FailureLabels, Counter>,
    pub duration: Family<KindLabels, Histogram>,
    pub status_writes: Family<KindLabels, Counter>,
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
        Self { registry, reconciles, failures, duration, status_writes, ready: AtomicBool::new(false) }
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

    /// Starts timing one reconcile; the measurement is recorded when the guard drops.
    pub fn reconcile(&self, kind: &'static str) -> ReconcileTimer<'_> {
        self.reconciles.get_or_create(&KindLabels { kind }).inc();
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
        assert!(!m.is_ready());
    }
}
