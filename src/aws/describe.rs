//! Batched, shared DescribeServices.
//!
//! - **The steady poll is a sweep.** Per cluster, one task ticks ceil(n/10) times per round of
//!   a little over one poll interval, for the cluster's n steady services (those no reconcile
//!   described on demand lately). A tick at which a description is a round old describes the
//!   10 stalest services.
//!   So a steady poll of n services costs ceil(n/10) calls a cycle whatever the timing of the
//!   reconciles, and every description is refreshed about once a round. Reconciles of steady
//!   services read what the sweep fetched.
//! - **Everything else is on demand.** A reconcile that needs a fresher description (a moving
//!   rollout, right after a write, a service seen for the first time) waits up to `window` for
//!   others to share its call; a full call's worth goes at once, and a short call is filled up
//!   with the cluster's stalest other services.
//! - A service no reconcile has asked about for three rounds (deleted, or waiting for a
//!   reference) is forgotten, and a cluster with no services left stops its sweep.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use aws_sdk_ecs::types::Service;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::ecs::{DESCRIBE_SERVICES_LIMIT, EcsApi};
use super::error::AwsError;

type Reply = Result<Option<Service>, AwsError>;

/// A sweep round is this much longer than the poll interval: the calls that start and end a
/// measured cycle then never add up to more than ceil(n/10) a cycle.
const ROUND_SLACK: f64 = 1.02;

/// Rounds without a read after which a service is forgotten.
const IDLE_ROUNDS: u32 = 3;

struct Entry {
    fetched: Instant,
    /// Fetched because a reconcile asked for it (not by the sweep, nor to fill a call up).
    on_demand: bool,
    /// When a reconcile last asked for this service.
    read: Instant,
    service: Option<Service>,
}

#[derive(Default)]
struct Inner {
    /// Requests waiting for the next call, per cluster.
    pending: HashMap<String, Vec<(String, oneshot::Sender<Reply>)>>,
    /// Last description per (cluster, service).
    cache: HashMap<(String, String), Entry>,
    /// Clusters whose sweep is running, with when it ticks.
    sweeping: HashMap<String, Schedule>,
}

/// When a cluster's sweep ticks next, and how often.
#[derive(Clone, Copy)]
struct Schedule {
    next: Instant,
    tick: Duration,
}

/// A description is due for the sweep once it is a round old, give or take half a tick.
fn due_age(round: Duration, tick: Duration) -> Duration {
    round.saturating_sub(tick / 2)
}

fn lock(inner: &Mutex<Inner>) -> std::sync::MutexGuard<'_, Inner> {
    // A poisoned cache only costs extra calls; keep serving.
    inner.lock().unwrap_or_else(|e| e.into_inner())
}

/// Shares DescribeServices calls between reconciles.
#[derive(Clone)]
pub struct ServiceDescriber {
    ecs: Arc<dyn EcsApi>,
    /// How long the first request of an on-demand batch waits for others to join, unless a
    /// full call's worth is waiting sooner.
    window: Duration,
    /// How often the sweep refreshes each steady service; None: no sweep.
    round: Option<Duration>,
    inner: Arc<Mutex<Inner>>,
}

impl ServiceDescriber {
    /// A describer that sweeps steady services once per `poll_interval` (a little over it).
    pub fn new(ecs: Arc<dyn EcsApi>, window: Duration, poll_interval: Option<Duration>) -> Self {
        let round = poll_interval.map(|p| p.mul_f64(ROUND_SLACK).max(Duration::from_millis(1)));
        Self { ecs, window, round, inner: Arc::default() }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        lock(&self.inner)
    }

    /// How long one sweep round takes: the age a steady service's description reaches before
    /// it is refreshed.
    pub fn round(&self) -> Option<Duration> {
        self.round
    }

    /// The service as ECS reports it, at most `max_age` old. `None`: ECS does not know it.
    pub async fn describe(&self, cluster: &str, name: &str, max_age: Duration) -> Reply {
        let (tx, rx) = oneshot::channel();
        let (first, full) = {
            let mut inner = self.lock();
            self.start_sweep(&mut inner, cluster);
            let key = (cluster.to_owned(), name.to_owned());
            if let Some(entry) = inner.cache.get_mut(&key)
                && entry.fetched.elapsed() < max_age
            {
                entry.read = Instant::now();
                return Ok(entry.service.clone());
            }
            let waiting = inner.pending.entry(cluster.to_owned()).or_default();
            waiting.push((name.to_owned(), tx));
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
    #[cfg(test)]
    fn age(&self, cluster: &str, name: &str) -> Option<Duration> {
        self.lock().cache.get(&(cluster.to_owned(), name.to_owned())).map(|e| e.fetched.elapsed())
    }

    /// How long until the sweep will have refreshed this service's description: at its first
    /// tick at which the description is due. None: no sweep, or nothing cached.
    pub fn refreshed_in(&self, cluster: &str, name: &str) -> Option<Duration> {
        let round = self.round?;
        let inner = self.lock();
        let fetched = inner.cache.get(&(cluster.to_owned(), name.to_owned()))?.fetched;
        let Schedule { next, tick } = *inner.sweeping.get(cluster)?;
        let due = fetched + due_age(round, tick);
        let ticks_after_next = due.saturating_duration_since(next).as_secs_f64() / tick.as_secs_f64().max(1e-3);
        let at = next + tick.mul_f64(ticks_after_next.ceil());
        Some(at.saturating_duration_since(Instant::now()))
    }

    /// Forgets a cached description (after a write, the next read must be fresh).
    pub fn invalidate(&self, cluster: &str, name: &str) {
        self.lock().cache.remove(&(cluster.to_owned(), name.to_owned()));
    }

    /// Forgets the cached description of service `name` in the cluster named `cluster_name`,
    /// however reconciles name that cluster (by name or by ARN).
    pub fn invalidate_named(&self, cluster_name: &str, name: &str) {
        let names_cluster = |key: &str| key == cluster_name || key.ends_with(&format!(":cluster/{cluster_name}"));
        self.lock().cache.retain(|(c, n), _| n != name || !names_cluster(c));
    }

    /// Stores what a write returned, so the next read needs no call.
    pub fn remember(&self, cluster: &str, name: &str, service: Option<Service>) {
        let now = Instant::now();
        let entry = Entry { fetched: now, on_demand: true, read: now, service: service.map(trimmed) };
        self.lock().cache.insert((cluster.to_owned(), name.to_owned()), entry);
    }

    fn start_sweep(&self, inner: &mut Inner, cluster: &str) {
        let Some(round) = self.round else { return };
        if inner.sweeping.contains_key(cluster) {
            return;
        }
        inner.sweeping.insert(cluster.to_owned(), Schedule { next: Instant::now(), tick: round });
        // The sweep holds the cache weakly: it ends when the describer is dropped.
        let (ecs, window, weak, cluster) =
            (self.ecs.clone(), self.window, Arc::downgrade(&self.inner), cluster.to_owned());
        tokio::spawn(sweep(ecs, window, round, weak, cluster));
    }

    async fn flush(&self, cluster: &str) {
        let (waiters, names, asked) = {
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
            let others = stalest(&inner, cluster, room, Duration::ZERO, &names);
            let asked = names.len();
            names.extend(others);
            (waiters, names, asked)
        };
        let mut results: BTreeMap<String, Reply> = BTreeMap::new();
        for chunk in names.chunks(DESCRIBE_SERVICES_LIMIT) {
            results.extend(self.fetch(cluster, chunk, &names[..asked]).await);
        }
        let now = Instant::now();
        let mut inner = self.lock();
        for (name, _) in &waiters {
            if let Some(entry) = inner.cache.get_mut(&(cluster.to_owned(), name.clone())) {
                entry.read = now;
            }
        }
        drop(inner);
        for (name, tx) in waiters {
            let reply = results.get(&name).cloned().unwrap_or(Ok(None));
            let _ = tx.send(reply);
        }
    }

    /// One DescribeServices call; stores what it found. `asked`: the names reconciles asked for.
    async fn fetch(&self, cluster: &str, names: &[String], asked: &[String]) -> Vec<(String, Reply)> {
        match self.ecs.describe_services(cluster, names.to_vec()).await {
            Ok(services) => {
                let now = Instant::now();
                let mut inner = self.lock();
                names
                    .iter()
                    .map(|name| {
                        // INACTIVE services are deleted ones ECS still reports for a while.
                        let found = services
                            .iter()
                            .find(|s| s.service_name() == Some(name.as_str()) && s.status() != Some("INACTIVE"))
                            .cloned()
                            .map(trimmed);
                        let key = (cluster.to_owned(), name.clone());
                        let read = inner.cache.get(&key).map_or(now, |e| e.read);
                        let on_demand = asked.contains(name);
                        inner.cache.insert(key, Entry { fetched: now, on_demand, read, service: found.clone() });
                        (name.clone(), Ok(found))
                    })
                    .collect()
            }
            Err(e) => names.iter().map(|name| (name.clone(), Err(e.clone()))).collect(),
        }
    }
}

/// Up to `count` services of `cluster` not in `except`, stalest first, fetched at least
/// `min_age` ago.
fn stalest(inner: &Inner, cluster: &str, count: usize, min_age: Duration, except: &[String]) -> Vec<String> {
    let mut candidates: Vec<(Instant, &String)> = inner
        .cache
        .iter()
        .filter(|((c, n), e)| c == cluster && !except.contains(n) && e.fetched.elapsed() >= min_age)
        .map(|((_, n), e)| (e.fetched, n))
        .collect();
    candidates.sort();
    candidates.into_iter().take(count).map(|(_, n)| n.clone()).collect()
}

/// The steady poll of one cluster: ceil(n/10) calls per round, each for the 10 stalest
/// services, spread evenly over the round. A tick that falls behind is not made up for.
async fn sweep(ecs: Arc<dyn EcsApi>, window: Duration, round: Duration, weak: Weak<Mutex<Inner>>, cluster: String) {
    let mut next = Instant::now();
    loop {
        let (describer, names) = {
            let Some(inner) = weak.upgrade() else { return };
            let mut guard = lock(&inner);
            let idle = round * IDLE_ROUNDS;
            guard.cache.retain(|(c, _), e| c != &cluster || e.read.elapsed() < idle);
            // (A cluster's first describe is still waiting for its call: not empty.)
            if !guard.cache.keys().any(|(c, _)| c == &cluster) && !guard.pending.contains_key(&cluster) {
                guard.sweeping.remove(&cluster);
                return;
            }
            // The sweep is for steady services. One a reconcile described on demand within the
            // last half round (a moving rollout, a new service) is polled by its reconcile:
            // counting it too would sweep the steady ones faster than once a round.
            let steady = guard
                .cache
                .iter()
                .filter(|((c, _), e)| c == &cluster && (!e.on_demand || e.fetched.elapsed() >= round / 2))
                .count();
            let ticks = u32::try_from(steady.div_ceil(DESCRIBE_SERVICES_LIMIT).max(1)).unwrap_or(u32::MAX);
            let tick = round / ticks;
            next = (next + tick).max(Instant::now());
            guard.sweeping.insert(cluster.clone(), Schedule { next, tick });
            // A call only when a description is due (a round old, give or take half a tick);
            // it is filled up with the next stalest. Calls other reconciles made and filled up
            // often got there first, and a tick with nothing due is skipped.
            let mut names = stalest(&guard, &cluster, DESCRIBE_SERVICES_LIMIT, due_age(round, tick), &[]);
            if !names.is_empty() {
                let room = DESCRIBE_SERVICES_LIMIT - names.len();
                names.extend(stalest(&guard, &cluster, room, round / 2, &names));
            }
            drop(guard);
            (ServiceDescriber { ecs: ecs.clone(), window, round: Some(round), inner }, names)
        };
        if !names.is_empty() {
            let results = describer.fetch(&cluster, &names, &[]).await;
            if let Some((_, Err(e))) = results.first() {
                tracing::debug!(%cluster, error = %e, "sweep call failed; reconciles describe on demand");
            }
        }
        drop(describer);
        tokio::time::sleep_until(next).await;
    }
}

/// Service events the controllers read: the status shows the newest few.
pub const EVENTS_CACHED: usize = 5;

/// ECS returns up to 100 events per service, newest first; the cache keeps only the ones the
/// status shows: the rest would grow the operator's memory with every service it follows.
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
    use aws_sdk_ecs::types::{
        CapacityProvider, Cluster, DesiredStatus, EcsExpressGatewayService, ServiceRevision, Task, TaskDefinition,
        TaskDefinitionStatus,
    };
    use futures::future::BoxFuture;

    use crate::aws::ecs::{AwsResult, DescribedTaskDefinition, Started};

    /// Knows every service it is asked about; counts DescribeServices calls.
    #[derive(Default)]
    struct Fake {
        calls: AtomicUsize,
        /// Calls that named a service called `steady-…`.
        steady_calls: AtomicUsize,
        /// Calls that named no service called `moving-…`.
        calls_without_moving: AtomicUsize,
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
        fn list_active_revisions(&self) -> BoxFuture<'_, AwsResult<Vec<String>>> {
            unused()
        }
        fn deregister_task_definition<'a>(&'a self, _: &'a str) -> BoxFuture<'a, AwsResult<()>> {
            unused()
        }
        fn delete_task_definitions(&self, _: Vec<String>) -> BoxFuture<'_, AwsResult<()>> {
            unused()
        }
        fn tag_resource<'a>(&'a self, _: &'a str, _: &'a crate::crd::common::Tags) -> BoxFuture<'a, AwsResult<()>> {
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
        fn describe_capacity_providers<'a>(
            &'a self,
            _: Vec<String>,
            _: Option<&'a str>,
        ) -> BoxFuture<'a, AwsResult<Vec<CapacityProvider>>> {
            unused()
        }
        fn update_capacity_provider(
            &self,
            _: UpdateCapacityProviderInput,
        ) -> BoxFuture<'_, AwsResult<CapacityProvider>> {
            unused()
        }
        fn delete_capacity_provider<'a>(
            &'a self,
            _: &'a str,
            _: Option<&'a str>,
        ) -> BoxFuture<'a, AwsResult<CapacityProvider>> {
            unused()
        }
        fn describe_service_deployment<'a>(
            &'a self,
            _: &'a str,
        ) -> BoxFuture<'a, AwsResult<Option<aws_sdk_ecs::types::ServiceDeployment>>> {
            unused()
        }
        fn continue_service_deployment<'a>(
            &'a self,
            _: &'a str,
            _: &'a str,
            _: aws_sdk_ecs::types::DeploymentLifecycleHookAction,
        ) -> BoxFuture<'a, AwsResult<()>> {
            unused()
        }
        fn stop_service_deployment<'a>(&'a self, _: &'a str) -> BoxFuture<'a, AwsResult<()>> {
            unused()
        }
        fn run_task(&self, _: aws_sdk_ecs::operation::run_task::RunTaskInput) -> BoxFuture<'_, AwsResult<Started>> {
            unused()
        }
        fn describe_tasks<'a>(&'a self, _: &'a str, _: Vec<String>) -> BoxFuture<'a, AwsResult<Vec<Task>>> {
            unused()
        }
        fn list_tasks<'a>(&'a self, _: &'a str, _: &'a str, _: DesiredStatus) -> BoxFuture<'a, AwsResult<Vec<String>>> {
            unused()
        }
        fn stop_task<'a>(&'a self, _: &'a str, _: &'a str, _: &'a str) -> BoxFuture<'a, AwsResult<Task>> {
            unused()
        }
        fn create_express_service(
            &self,
            _: aws_sdk_ecs::operation::create_express_gateway_service::CreateExpressGatewayServiceInput,
        ) -> BoxFuture<'_, AwsResult<EcsExpressGatewayService>> {
            unused()
        }
        fn update_express_service(
            &self,
            _: aws_sdk_ecs::operation::update_express_gateway_service::UpdateExpressGatewayServiceInput,
        ) -> BoxFuture<'_, AwsResult<()>> {
            unused()
        }
        fn describe_express_service<'a>(
            &'a self,
            _: &'a str,
        ) -> BoxFuture<'a, AwsResult<Option<EcsExpressGatewayService>>> {
            unused()
        }
        fn delete_express_service<'a>(&'a self, _: &'a str) -> BoxFuture<'a, AwsResult<EcsExpressGatewayService>> {
            unused()
        }
        fn describe_service_revision<'a>(&'a self, _: &'a str) -> BoxFuture<'a, AwsResult<Option<ServiceRevision>>> {
            unused()
        }
        fn describe_services<'a>(&'a self, _: &'a str, names: Vec<String>) -> BoxFuture<'a, AwsResult<Vec<Service>>> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if names.iter().any(|n| n.starts_with("steady-")) {
                self.steady_calls.fetch_add(1, Ordering::SeqCst);
            }
            if !names.iter().any(|n| n.starts_with("moving-")) {
                self.calls_without_moving.fetch_add(1, Ordering::SeqCst);
            }
            self.max_names.fetch_max(names.len(), Ordering::SeqCst);
            Box::pin(async move {
                Ok(names.into_iter().map(|n| Service::builder().service_name(n).status("ACTIVE").build()).collect())
            })
        }
    }

    #[tokio::test]
    async fn concurrent_reconciles_share_calls_of_at_most_ten() {
        let fake = Arc::new(Fake::default());
        let describer = ServiceDescriber::new(fake.clone(), Duration::from_millis(20), None);
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
        let describer = ServiceDescriber::new(fake.clone(), Duration::from_secs(3600), None);
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
        let describer = ServiceDescriber::new(fake.clone(), Duration::from_millis(1), None);
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

    /// Reconciles of `services` steady services, each reading once per poll interval what it
    /// may have from the last round and a half.
    async fn steady_reads(
        describer: &ServiceDescriber,
        services: usize,
        interval: Duration,
        intervals: u32,
    ) -> Duration {
        let mut oldest = Duration::ZERO;
        for _ in 0..intervals {
            for i in 0..services {
                let name = format!("svc-{i}");
                describer.describe("prod", &name, interval.mul_f64(1.5)).await.expect("describe");
                oldest = oldest.max(describer.age("prod", &name).unwrap_or(Duration::MAX));
            }
            tokio::time::sleep(interval).await;
        }
        oldest
    }

    // Paused time: the sweep's ticks and the reads interleave the same way on every run.
    #[tokio::test(start_paused = true)]
    async fn the_sweep_polls_n_steady_services_in_ceil_n_over_ten_calls_a_round() {
        let fake = Arc::new(Fake::default());
        let interval = Duration::from_secs(20);
        let describer = ServiceDescriber::new(fake.clone(), Duration::from_millis(1), Some(interval));
        steady_reads(&describer, 25, interval, 2).await;
        let before = fake.calls.load(Ordering::SeqCst);
        let oldest = steady_reads(&describer, 25, interval, 10).await;
        let calls = fake.calls.load(Ordering::SeqCst) - before;
        // Ten intervals are 9.8 rounds of three calls: 29 or 30 calls, never more.
        assert!((29..=30).contains(&calls), "{calls} calls for 25 services over 10 intervals");
        assert_eq!(fake.max_names.load(Ordering::SeqCst), 10);
        // Every read found the sweep's description, and none was older than a round and a tick.
        assert!(oldest <= interval.mul_f64(ROUND_SLACK * (1.0 + 1.0 / 3.0)), "a description {oldest:?} old was read");
    }

    #[tokio::test(start_paused = true)]
    async fn the_sweep_forgets_services_no_one_asks_about_and_stops() {
        let fake = Arc::new(Fake::default());
        let interval = Duration::from_secs(20);
        let describer = ServiceDescriber::new(fake.clone(), Duration::from_millis(1), Some(interval));
        steady_reads(&describer, 25, interval, 2).await;
        tokio::time::sleep(interval * (IDLE_ROUNDS + 2)).await;
        let (known, sweeping) = {
            let inner = describer.lock();
            (inner.cache.len(), inner.sweeping.len())
        };
        assert_eq!((known, sweeping), (0, 0), "services and sweeps left");
        let calls = fake.calls.load(Ordering::SeqCst);
        tokio::time::sleep(interval * 3).await;
        assert_eq!(fake.calls.load(Ordering::SeqCst), calls, "no calls once the sweep stopped");
    }

    /// Twelve intervals in 5 s rollout polls: 20 steady services read once an interval, and
    /// `moving` run every poll. Returns `counter` after the first two intervals.
    async fn steady_beside_moving<F, Fut>(describer: &ServiceDescriber, counter: &AtomicUsize, moving: F) -> usize
    where
        F: Fn(ServiceDescriber) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let round = describer.round().unwrap_or(Duration::from_secs(20));
        let mut before = 0;
        for poll in 0..48 {
            if poll == 8 {
                before = counter.load(Ordering::SeqCst);
            }
            if poll % 4 == 0 {
                for i in 0..20 {
                    describer.describe("prod", &format!("steady-{i}"), round.mul_f64(1.5)).await.expect("steady");
                }
            }
            moving(describer.clone()).await;
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
        before
    }

    #[tokio::test(start_paused = true)]
    async fn moving_rollouts_do_not_speed_up_the_sweep_of_steady_services() {
        let fake = Arc::new(Fake::default());
        let interval = Duration::from_secs(20);
        let rollout = Duration::from_secs(5);
        let describer = ServiceDescriber::new(fake.clone(), Duration::from_millis(1), Some(interval));
        // Twelve intervals in rollout polls: 20 steady services read once an interval, 20
        // moving ones described together every rollout poll (two full calls).
        let before = steady_beside_moving(&describer, &fake.steady_calls, |d| async move {
            let moving = (0..20).map(|i| {
                let d = d.clone();
                async move { d.describe("prod", &format!("moving-{i}"), rollout.mul_f64(0.9)).await }
            });
            assert!(futures::future::join_all(moving).await.iter().all(Result::is_ok));
        })
        .await;
        // Ten intervals are 9.8 rounds of two calls for the steady ones; counting the moving
        // ones as well would make it four calls a round.
        let calls = fake.steady_calls.load(Ordering::SeqCst) - before;
        assert!((19..=20).contains(&calls), "{calls} calls for 20 steady services over 10 intervals");
    }

    #[tokio::test(start_paused = true)]
    async fn the_sweep_skips_services_that_calls_of_others_refreshed() {
        let fake = Arc::new(Fake::default());
        let interval = Duration::from_secs(20);
        let rollout = Duration::from_secs(5);
        let describer = ServiceDescriber::new(fake.clone(), Duration::from_millis(1), Some(interval));
        // One moving service described alone every rollout poll: its calls are filled up with
        // nine steady services each, which keeps all 20 of them younger than a round.
        let before = steady_beside_moving(&describer, &fake.calls_without_moving, |d| async move {
            d.describe("prod", "moving-0", rollout.mul_f64(0.9)).await.expect("moving");
        })
        .await;
        let calls = fake.calls_without_moving.load(Ordering::SeqCst) - before;
        assert_eq!(calls, 0, "sweep calls for services the moving one's calls kept fresh");
    }

    #[tokio::test(start_paused = true)]
    async fn after_refreshed_in_the_sweep_has_refreshed_the_description() {
        let fake = Arc::new(Fake::default());
        let interval = Duration::from_secs(20);
        let describer = ServiceDescriber::new(fake.clone(), Duration::from_millis(1), Some(interval));
        let round = describer.round().unwrap_or(interval);
        // One service: the sweep ticks once a round. Described on demand just after half a
        // round, it is not due at the next tick, only at the one after: a round and a half
        // later, not the round and a twentieth of the interval reconciles used to wait.
        describer.describe("prod", "svc-0", Duration::ZERO).await.expect("describe");
        tokio::time::sleep(round / 2 + Duration::from_millis(10)).await;
        describer.describe("prod", "svc-0", Duration::ZERO).await.expect("describe");
        let wait = describer.refreshed_in("prod", "svc-0").expect("cached and swept");
        tokio::time::sleep(wait + Duration::from_millis(1)).await;
        let age = describer.age("prod", "svc-0").unwrap_or(Duration::MAX);
        assert!(age < round / 10, "{age:?} old after waiting {wait:?}");
    }
}
