//! Batched, shared DescribeServices: concurrent reconciles of services in one cluster share
//! calls of up to 10 names, and each call is filled up with other known services of that
//! cluster whose last description is oldest, so a steady poll of N services costs about
//! ceil(N/10) calls instead of N.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_ecs::types::Service;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::ecs::{DESCRIBE_SERVICES_LIMIT, EcsApi};
use super::error::AwsError;

type Reply = Result<Option<Service>, AwsError>;

#[derive(Default)]
struct Inner {
    /// Requests waiting for the next call, per cluster.
    pending: HashMap<String, Vec<(String, oneshot::Sender<Reply>)>>,
    /// Last description per (cluster, service), with when it was fetched.
    cache: HashMap<(String, String), (Instant, Option<Service>)>,
}

/// Shares DescribeServices calls between reconciles.
#[derive(Clone)]
pub struct ServiceDescriber {
    ecs: Arc<dyn EcsApi>,
    /// How long the first request of a batch waits for others to join, unless a full call's
    /// worth is waiting sooner.
    window: Duration,
    inner: Arc<Mutex<Inner>>,
}

impl ServiceDescriber {
    pub fn new(ecs: Arc<dyn EcsApi>, window: Duration) -> Self {
        Self { ecs, window, inner: Arc::default() }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A poisoned cache only costs extra calls; keep serving.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The service as ECS reports it, at most `max_age` old. `None`: ECS does not know it.
    pub async fn describe(&self, cluster: &str, name: &str, max_age: Duration) -> Reply {
        let (tx, rx) = oneshot::channel();
        let (first, full) = {
            let mut inner = self.lock();
            let key = (cluster.to_owned(), name.to_owned());
            if let Some((at, service)) = inner.cache.get(&key)
                && at.elapsed() < max_age
            {
                return Ok(service.clone());
            }
            let waiting = inner.pending.entry(cluster.to_owned()).or_default();
            waiting.push((name.to_owned(), tx));
            // A full call's worth goes at once: services that come due at the steady poll's pace
            // fill calls themselves, each polled no earlier than due. Filling a short batch with
            // the stalest others refreshes those a little early, which shortens their period
            // and, at 20 ms, put a steady poll of 1,000 services at 100.3 calls a cycle.
            (waiting.len() == 1, waiting.len() >= DESCRIBE_SERVICES_LIMIT)
        };
        if first || full {
            let wait = if full { Duration::ZERO } else { self.window };
            let (this, cluster) = (self.clone(), cluster.to_owned());
            tokio::spawn(async move {
                tokio::time::sleep(wait).await;
                this.flush(&cluster).await;
            });
        }
        rx.await.unwrap_or_else(|_| {
            Err(AwsError::classify("DescribeServices", "Cancelled".into(), "the batch was dropped".into()))
        })
    }

    /// How old the cached description of this service is (None: nothing cached).
    pub fn age(&self, cluster: &str, name: &str) -> Option<Duration> {
        self.lock().cache.get(&(cluster.to_owned(), name.to_owned())).map(|(at, _)| at.elapsed())
    }

    /// Forgets a cached description (after a write, the next read must be fresh).
    pub fn invalidate(&self, cluster: &str, name: &str) {
        self.lock().cache.remove(&(cluster.to_owned(), name.to_owned()));
    }

    /// Stores what a write returned, so the next read needs no call.
    pub fn remember(&self, cluster: &str, name: &str, service: Option<Service>) {
        self.lock().cache.insert((cluster.to_owned(), name.to_owned()), (Instant::now(), service.map(trimmed)));
    }

    async fn flush(&self, cluster: &str) {
        let (waiters, names) = {
            let mut inner = self.lock();
            let waiters = inner.pending.remove(cluster).unwrap_or_default();
            let mut names: Vec<String> = Vec::new();
            for (name, _) in &waiters {
                if !names.contains(name) {
                    names.push(name.clone());
                }
            }
            // Fill the last call up with the stalest other services of this cluster.
            let room = (DESCRIBE_SERVICES_LIMIT - names.len() % DESCRIBE_SERVICES_LIMIT) % DESCRIBE_SERVICES_LIMIT;
            let mut others: Vec<(&Instant, &String)> = inner
                .cache
                .iter()
                .filter(|((c, n), _)| c == cluster && !names.contains(n))
                .map(|((_, n), (at, _))| (at, n))
                .collect();
            others.sort();
            names.extend(others.into_iter().take(room).map(|(_, n)| n.clone()));
            (waiters, names)
        };
        let mut results: BTreeMap<String, Reply> = BTreeMap::new();
        for chunk in names.chunks(DESCRIBE_SERVICES_LIMIT) {
            match self.ecs.describe_services(cluster, chunk.to_vec()).await {
                Ok(services) => {
                    let now = Instant::now();
                    let mut inner = self.lock();
                    for name in chunk {
                        // INACTIVE services are deleted ones ECS still reports for a while.
                        let found = services
                            .iter()
                            .find(|s| s.service_name() == Some(name.as_str()) && s.status() != Some("INACTIVE"))
                            .cloned()
                            .map(trimmed);
                        inner.cache.insert((cluster.to_owned(), name.clone()), (now, found.clone()));
                        results.insert(name.clone(), Ok(found));
                    }
                }
                Err(e) => {
                    for name in chunk {
                        results.insert(name.clone(), Err(e.clone()));
                    }
                }
            }
        }
        for (name, tx) in waiters {
            let reply = results.get(&name).cloned().unwrap_or(Ok(None));
            let _ = tx.send(reply);
        }
    }
}

/// Service events the controllers read: the status shows the newest few.
pub const EVENTS_CACHED: usize = 5;

/// ECS returns up to 100 events per service, newest first; the cache keeps only the ones the
/// status shows (at N = 1,000 the rest was megabytes of the operator's memory).
fn trimmed(mut service: Service) -> Service {
    if let Some(events) = service.events.as_mut() {
        events.truncate(EVENTS_CACHED);
        events.shrink_to_fit();
    }
    service
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use aws_sdk_ecs::operation::create_capacity_provider::CreateCapacityProviderInput;
    use aws_sdk_ecs::operation::create_cluster::CreateClusterInput;
    use aws_sdk_ecs::operation::create_service::CreateServiceInput;
    use aws_sdk_ecs::operation::put_cluster_capacity_providers::PutClusterCapacityProvidersInput;
    use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput;
    use aws_sdk_ecs::operation::update_capacity_provider::UpdateCapacityProviderInput;
    use aws_sdk_ecs::operation::update_cluster::UpdateClusterInput;
    use aws_sdk_ecs::operation::update_service::UpdateServiceInput;
    use aws_sdk_ecs::types::{CapacityProvider, Cluster, Tag, TaskDefinition, TaskDefinitionStatus};
    use futures::future::BoxFuture;

    use crate::aws::ecs::{AwsResult, DescribedTaskDefinition};

    /// Knows services `svc-0`..`svc-N` in every cluster; counts DescribeServices calls.
    #[derive(Default)]
    struct Fake {
        calls: AtomicUsize,
        max_names: AtomicUsize,
    }

    fn unused<T: Send + 'static>() -> BoxFuture<'static, AwsResult<T>> {
        Box::pin(async { Err(AwsError::classify("Unused", "Unused".into(), String::new())) })
    }

    impl EcsApi for Fake {
        fn check_access(&self) -> BoxFuture<'_, AwsResult<()>> {
            unused()
        }
        fn register_task_definition(&self, _: RegisterTaskDefinitionInput) -> BoxFuture<'_, AwsResult<TaskDefinition>> {
            unused()
        }
        fn describe_task_definition<'a>(
            &'a self,
            _: &'a str,
        ) -> BoxFuture<'a, AwsResult<Option<DescribedTaskDefinition>>> {
            unused()
        }
        fn list_task_definitions<'a>(
            &'a self,
            _: &'a str,
            _: TaskDefinitionStatus,
        ) -> BoxFuture<'a, AwsResult<Vec<String>>> {
            unused()
        }
        fn deregister_task_definition<'a>(&'a self, _: &'a str) -> BoxFuture<'a, AwsResult<()>> {
            unused()
        }
        fn delete_task_definitions(&self, _: Vec<String>) -> BoxFuture<'_, AwsResult<()>> {
            unused()
        }
        fn tag_resource<'a>(&'a self, _: &'a str, _: Vec<Tag>) -> BoxFuture<'a, AwsResult<()>> {
            unused()
        }
        fn untag_resource<'a>(&'a self, _: &'a str, _: Vec<String>) -> BoxFuture<'a, AwsResult<()>> {
            unused()
        }
        fn create_service(&self, _: CreateServiceInput) -> BoxFuture<'_, AwsResult<Service>> {
            unused()
        }
        fn update_service(&self, _: UpdateServiceInput) -> BoxFuture<'_, AwsResult<Service>> {
            unused()
        }
        fn delete_service<'a>(&'a self, _: &'a str, _: &'a str, _: bool) -> BoxFuture<'a, AwsResult<()>> {
            unused()
        }
        fn create_cluster(&self, _: CreateClusterInput) -> BoxFuture<'_, AwsResult<Cluster>> {
            unused()
        }
        fn describe_clusters(&self, _: Vec<String>) -> BoxFuture<'_, AwsResult<Vec<Cluster>>> {
            unused()
        }
        fn update_cluster(&self, _: UpdateClusterInput) -> BoxFuture<'_, AwsResult<Cluster>> {
            unused()
        }
        fn put_cluster_capacity_providers(
            &self,
            _: PutClusterCapacityProvidersInput,
        ) -> BoxFuture<'_, AwsResult<Cluster>> {
            unused()
        }
        fn delete_cluster<'a>(&'a self, _: &'a str) -> BoxFuture<'a, AwsResult<Cluster>> {
            unused()
        }
        fn list_services<'a>(&'a self, _: &'a str) -> BoxFuture<'a, AwsResult<Vec<String>>> {
            unused()
        }
        fn create_capacity_provider(
            &self,
            _: CreateCapacityProviderInput,
        ) -> BoxFuture<'_, AwsResult<CapacityProvider>> {
            unused()
        }
        fn describe_capacity_providers(&self, _: Vec<String>) -> BoxFuture<'_, AwsResult<Vec<CapacityProvider>>> {
            unused()
        }
        fn update_capacity_provider(
            &self,
            _: UpdateCapacityProviderInput,
        ) -> BoxFuture<'_, AwsResult<CapacityProvider>> {
            unused()
        }
        fn delete_capacity_provider<'a>(&'a self, _: &'a str) -> BoxFuture<'a, AwsResult<CapacityProvider>> {
            unused()
        }
        fn describe_services<'a>(&'a self, _: &'a str, names: Vec<String>) -> BoxFuture<'a, AwsResult<Vec<Service>>> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            self.max_names.fetch_max(names.len(), Ordering::SeqCst);
            Box::pin(async move {
                Ok(names.into_iter().map(|n| Service::builder().service_name(n).status("ACTIVE").build()).collect())
            })
        }
    }

    #[tokio::test]
    async fn concurrent_reconciles_share_calls_of_at_most_ten() {
        let fake = Arc::new(Fake::default());
        let describer = ServiceDescriber::new(fake.clone(), Duration::from_millis(20));
        let lookups = (0..25).map(|i| {
            let d = describer.clone();
            async move { d.describe("prod", &format!("svc-{i}"), Duration::ZERO).await }
        });
        let results = futures::future::join_all(lookups).await;
        assert!(results.iter().all(|r| matches!(r, Ok(Some(_)))));
        assert_eq!(fake.calls.load(Ordering::SeqCst), 3, "ceil(25/10)");
        assert_eq!(fake.max_names.load(Ordering::SeqCst), 10);
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_batch_goes_without_waiting_for_the_window() {
        let fake = Arc::new(Fake::default());
        let describer = ServiceDescriber::new(fake.clone(), Duration::from_secs(3600));
        let lookups = (0..10).map(|i| {
            let d = describer.clone();
            async move { d.describe("prod", &format!("svc-{i}"), Duration::ZERO).await }
        });
        let started = Instant::now();
        let results = futures::future::join_all(lookups).await;
        assert!(results.iter().all(|r| matches!(r, Ok(Some(_)))));
        assert!(started.elapsed() < Duration::from_secs(1), "waited {:?} for a full batch", started.elapsed());
        assert_eq!(fake.calls.load(Ordering::SeqCst), 1);
    }

    // Paused time: descriptions age only when the test says so.
    #[tokio::test(start_paused = true)]
    async fn a_lone_poll_refreshes_nine_others_for_free() {
        let fake = Arc::new(Fake::default());
        let describer = ServiceDescriber::new(fake.clone(), Duration::from_millis(1));
        for i in 0..20 {
            describer.remember("prod", &format!("svc-{i}"), None);
        }
        tokio::time::advance(Duration::from_secs(10)).await;
        // A steady poll of 20 services, one reconcile at a time; anything under 5 s is fresh.
        let fresh = Duration::from_secs(5);
        for i in 0..20 {
            describer.describe("prod", &format!("svc-{i}"), fresh).await.expect("describe");
        }
        assert_eq!(fake.calls.load(Ordering::SeqCst), 2, "each call refreshes 10");
    }
}
