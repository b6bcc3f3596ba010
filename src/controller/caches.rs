//! What the controllers' caches say, for readiness and for the per-condition gauges: ready once
//! every cache holds its first full list, then `ecs_operator_objects` and
//! `ecs_operator_queue_depth` recomputed every few seconds (cheap: a pass over memory).

use std::collections::HashMap;
use std::time::Duration;

use kube::Resource;
use kube::runtime::reflector::Store;

use crate::crd::common::CommonStatus;
use crate::crd::common::condition_types::{DEGRADED, PROGRESSING, READY, RECONCILING, STALLED, SYNCED};
use crate::crd::{CapacityProvider, ECSCluster, ECSService, TaskDefinition};
use crate::metrics::{ConditionLabels, KindLabels, Metrics};

const CONDITIONS: [&str; 6] = [READY, SYNCED, PROGRESSING, DEGRADED, RECONCILING, STALLED];
const STATUSES: [&str; 3] = ["True", "False", "Unknown"];

/// Every controller's cache, across watched namespaces.
#[derive(Default, Clone)]
pub struct Caches {
    pub task_definitions: Vec<Store<TaskDefinition>>,
    pub services: Vec<Store<ECSService>>,
    pub clusters: Vec<Store<ECSCluster>>,
    pub providers: Vec<Store<CapacityProvider>>,
}

/// Condition counts and the backlog of one kind.
#[derive(Debug, Default, PartialEq)]
pub struct Tally {
    /// (condition, status) → objects.
    pub conditions: HashMap<(&'static str, &'static str), i64>,
    /// Objects whose generation is newer than the one their status describes.
    pub behind: i64,
}

impl Tally {
    /// Adds one object: its generation and status.
    pub fn add(&mut self, generation: Option<i64>, status: Option<&CommonStatus>) {
        let conditions = status.and_then(|s| s.conditions.as_deref()).unwrap_or_default();
        for condition in CONDITIONS {
            let value = match conditions.iter().find(|c| c.type_ == condition).map(|c| c.status.as_str()) {
                Some("True") => "True",
                Some("False") => "False",
                _ => "Unknown",
            };
            *self.conditions.entry((condition, value)).or_default() += 1;
        }
        if status.and_then(|s| s.observed_generation) != generation {
            self.behind += 1;
        }
    }
}

fn tally<K: Resource<DynamicType = ()> + Clone>(
    stores: &[Store<K>],
    status: impl Fn(&K) -> Option<&CommonStatus>,
) -> Tally {
    let mut tally = Tally::default();
    for store in stores {
        for obj in store.state() {
            tally.add(obj.meta().generation, status(&obj));
        }
    }
    tally
}

/// Whether `store` holds its first complete list. Checked without waiting: a
/// `wait_until_ready` parked before the first list arrives was seen to miss its wake-up, so
/// readiness is polled instead.
pub fn is_synced<K: Resource<DynamicType = ()> + Clone>(store: &Store<K>) -> bool {
    futures::FutureExt::now_or_never(store.wait_until_ready()).is_some_and(|r| r.is_ok())
}

impl Caches {
    /// Whether every cache holds its first complete list.
    pub fn synced(&self) -> bool {
        fn all<K: Resource<DynamicType = ()> + Clone>(stores: &[Store<K>]) -> bool {
            stores.iter().all(is_synced)
        }
        all(&self.task_definitions) && all(&self.services) && all(&self.clusters) && all(&self.providers)
    }

    pub fn tallies(&self) -> [(&'static str, Tally); 4] {
        use crate::crd::HasCommonStatus;
        [
            ("TaskDefinition", tally(&self.task_definitions, |o| o.status.as_ref().map(|s| s.common()))),
            ("ECSService", tally(&self.services, |o| o.status.as_ref().map(|s| s.common()))),
            ("ECSCluster", tally(&self.clusters, |o| o.status.as_ref().map(|s| s.common()))),
            ("CapacityProvider", tally(&self.providers, |o| o.status.as_ref().map(|s| s.common()))),
        ]
    }

    /// Sets the gauges from the caches. Every label combination is set, zeros included, so a
    /// count that drops to nothing is reported as 0 rather than left at its last value.
    pub fn report(&self, metrics: &Metrics) {
        for (kind, tally) in self.tallies() {
            for condition in CONDITIONS {
                for status in STATUSES {
                    let count = tally.conditions.get(&(condition, status)).copied().unwrap_or(0);
                    metrics.objects.get_or_create(&ConditionLabels { kind, condition, status }).set(count);
                }
            }
            let labels = KindLabels { kind };
            let running = metrics.in_flight.get_or_create(&labels).get();
            metrics.queue_depth.get_or_create(&labels).set(tally.behind + running);
        }
    }

    /// Readiness once the caches are complete, then the gauges every `period`, until dropped.
    pub async fn serve_metrics(self, metrics: std::sync::Arc<Metrics>, period: Duration) {
        while !self.synced() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        metrics.set_ready(true);
        tracing::info!("caches synced; ready");
        loop {
            self.report(&metrics);
            tokio::time::sleep(period).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

    fn status(generation: i64, conditions: &[(&str, &str)]) -> CommonStatus {
        CommonStatus {
            correction: None,
            last_applied: None,
            observed_generation: Some(generation),
            conditions: Some(
                conditions
                    .iter()
                    .map(|(t, s)| Condition {
                        type_: (*t).into(),
                        status: (*s).into(),
                        reason: "R".into(),
                        message: String::new(),
                        observed_generation: Some(generation),
                        last_transition_time: Time(k8s_openapi::jiff::Timestamp::UNIX_EPOCH),
                    })
                    .collect(),
            ),
            drift: None,
        }
    }

    #[test]
    fn counts_conditions_and_objects_behind() {
        let mut t = Tally::default();
        t.add(Some(2), Some(&status(2, &[("Ready", "True"), ("Synced", "True")])));
        t.add(Some(3), Some(&status(2, &[("Ready", "False"), ("Synced", "True"), ("Progressing", "True")])));
        t.add(Some(1), None);
        assert_eq!(t.conditions[&("Ready", "True")], 1);
        assert_eq!(t.conditions[&("Ready", "False")], 1);
        assert_eq!(t.conditions[&("Ready", "Unknown")], 1);
        assert_eq!(t.conditions[&("Synced", "True")], 2);
        assert_eq!(t.conditions[&("Degraded", "Unknown")], 3);
        assert_eq!(t.behind, 2, "the one a generation behind and the one never reconciled");
    }
}
