//! How the controllers watch Kubernetes: one watch per kind and scope, cached without the
//! metadata nothing reads.
//!
//! TaskDefinitions and ECSClusters are followed by more than their own controller: an
//! ECSService resolves its references from their caches, and their changes wake it. Their
//! watch is shared. Each follower subscribes to the one stream, and the reflector writes a
//! change into the cache before it hands the change to subscribers. So an ECSService woken by
//! its TaskDefinition's new revision finds that revision in the cache. Reading the cache
//! instead of GETting the object saves two Kubernetes requests per service and poll, which is
//! two requests per service and poll.
//!
//! Every watch decodes objects one by one ([`DeserializeGuard`]): an object that does not
//! decode as its kind (stored under an older schema, or let through by a webhook that was
//! down) is skipped with a warning and counted in `ecs_operator_undecodable_objects`. Decoding
//! the list whole would fail it, and the kind's watch would retry the same list forever.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt};
use kube::core::DeserializeGuard;
use kube::runtime::reflector::{self, ObjectRef, ReflectHandle, Store, reflector};
use kube::runtime::watcher::Event;
use kube::runtime::{Controller, WatchStreamExt, watcher};
use kube::{Api, Resource, ResourceExt};
use serde::de::DeserializeOwned;

use crate::controller::status::kind_label;
use crate::metrics::{KindLabels, Metrics};

/// Changes a subscriber has not taken yet, per subscriber. The watch waits when a buffer is
/// full; controllers take changes as they come (mapping a change to objects is a pass over
/// memory), so this only absorbs bursts such as the full list after a relist.
const SUBSCRIBER_BUFFER: usize = 1024;

/// `Controller::new` without `metadata.managedFields` in its cache: nothing here reads them, and
/// they are the largest part of every cached object (more so once parsed into a
/// `serde_json::Value` tree). Nor the copy of the whole object that a
/// client-side `kubectl apply` (and Argo CD without server-side apply) keeps in an annotation,
/// which doubles the spec. Same watcher and trigger backoff otherwise.
pub fn lean_controller<K>(
    api: Api<DeserializeGuard<K>>,
    config: watcher::Config,
    metrics: &Arc<Metrics>,
) -> Controller<K>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    let (reader, writer) = reflector::store();
    let stream = decoded(api, config, metrics, Some(reader.clone())).modify(strip_unread_metadata);
    Controller::for_stream(reflector(writer, stream).applied_objects(), reader)
}

/// The watch of `api`, each object decoded on its own: one that does not decode is skipped
/// (logged and counted), never failing the list it came in. With the watch's `cache`, a change
/// that makes a cached object undecodable (or its deletion, undecodable) is passed on as the
/// deletion of the cached version: the cache and the controller forget it rather than act on a
/// stale spec, until it decodes again.
pub fn decoded<K>(
    api: Api<DeserializeGuard<K>>,
    config: watcher::Config,
    metrics: &Arc<Metrics>,
    cache: Option<Store<K>>,
) -> impl Stream<Item = watcher::Result<Event<K>>> + Send + use<K>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    let metrics = metrics.clone();
    watcher(api, config).filter_map(move |event| {
        let kept = match event {
            Ok(event) => decodable(event, &metrics, cache.as_ref()).map(Ok),
            Err(e) => Some(Err(e)),
        };
        std::future::ready(kept)
    })
}

/// `event` with its object decoded; None when the object does not decode.
fn decodable<K>(event: Event<DeserializeGuard<K>>, metrics: &Metrics, cache: Option<&Store<K>>) -> Option<Event<K>>
where
    K: Resource<DynamicType = ()> + Clone,
{
    // Ok: the object; Err: the cached version of one that no longer decodes, if any.
    let object = |guard: DeserializeGuard<K>| match guard.0 {
        Ok(object) => Ok(object),
        Err(invalid) => {
            let kind = kind_label(&K::kind(&()));
            let name = format!(
                "{}/{}",
                invalid.metadata.namespace.as_deref().unwrap_or_default(),
                invalid.metadata.name.as_deref().unwrap_or_default()
            );
            tracing::warn!(kind, object = %name, error = %invalid.error, "skipping an object that does not decode");
            metrics.undecodable_objects.get_or_create(&KindLabels { kind }).inc();
            let name = invalid.metadata.name.as_deref().unwrap_or_default();
            let key = ObjectRef::<K>::new(name).within(invalid.metadata.namespace.as_deref().unwrap_or_default());
            Err(cache.and_then(|c| c.get(&key)).map(|cached| (*cached).clone()))
        }
    };
    match event {
        Event::Apply(guard) => match object(guard) {
            Ok(decoded) => Some(Event::Apply(decoded)),
            Err(cached) => cached.map(Event::Delete),
        },
        Event::Delete(guard) => match object(guard) {
            Ok(decoded) => Some(Event::Delete(decoded)),
            Err(cached) => cached.map(Event::Delete),
        },
        // A relist rebuilds the cache: an object that does not decode is simply not in it.
        Event::InitApply(guard) => object(guard).ok().map(Event::InitApply),
        Event::Init => Some(Event::Init),
        Event::InitDone => Some(Event::InitDone),
    }
}

/// One kind's watch in one scope, shared by its controller and the controllers that follow it.
/// Subscribe first, then [`SharedWatch::run`]: a subscriber sees changes from then on.
pub struct SharedWatch<K: Resource<DynamicType = ()> + Clone + 'static> {
    writer: reflector::store::Writer<K>,
}

impl<K> Default for SharedWatch<K>
where
    K: Resource<DynamicType = ()> + Clone + 'static,
{
    fn default() -> Self {
        let (_, writer) = reflector::store_shared(SUBSCRIBER_BUFFER);
        Self { writer }
    }
}

impl<K> SharedWatch<K>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    /// The cache: every watched object as the watch last saw it.
    pub fn store(&self) -> Store<K> {
        self.writer.as_reader()
    }

    /// The objects the watch sees created or changed (and, after every (re)list, all of them),
    /// each already in the cache when it arrives. Deletions are not passed on.
    // `store_shared` always makes a writer that can be subscribed to: the one invariant here.
    #[allow(clippy::expect_used)]
    pub fn subscribe(&self) -> ReflectHandle<K> {
        self.writer.subscribe().expect("a shared store's writer accepts subscribers")
    }

    /// A controller for this kind, triggered by a subscription.
    pub fn controller(&self) -> Controller<K> {
        Controller::for_shared_stream(self.subscribe(), self.store())
    }

    /// Runs the watch until dropped: it feeds the cache and the subscribers, and after a failure
    /// watches again with the client-go backoff (the failure is logged).
    pub fn run(
        self,
        api: Api<DeserializeGuard<K>>,
        config: watcher::Config,
        metrics: &Arc<Metrics>,
    ) -> impl Future<Output = ()> + Send + use<K> {
        decoded(api, config, metrics, Some(self.writer.as_reader()))
            .default_backoff()
            .modify(strip_unread_metadata)
            .reflect_shared(self.writer)
            .for_each(|event| async move {
                if let Err(error) = event {
                    tracing::warn!(kind = %K::kind(&()), %error, "watch failed; watching again after a backoff");
                }
            })
    }
}

/// Waits until `ready` holds: the stores it checks have their first full list. Checked every
/// 100 ms rather than awaited (see [`crate::controller::caches::is_synced`]).
pub async fn until_synced(ready: impl Fn() -> bool) {
    while !ready() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The objects of `store` in `target`'s namespace whose reference (picked by `reference`) names
/// `target`: what a referenced object's change wakes.
pub fn referencing<W, K>(
    store: &Store<W>,
    target: &K,
    reference: impl Fn(&W) -> Option<&crate::crd::common::LocalObjectRef>,
) -> Vec<ObjectRef<W>>
where
    W: Resource<DynamicType = ()> + Clone + 'static,
    K: Resource,
{
    let (ns, name) = (target.namespace(), target.name_any());
    store
        .state()
        .iter()
        .filter(|w| w.namespace() == ns && reference(w).is_some_and(|r| r.name == name))
        .map(|w| ObjectRef::from_obj(w.as_ref()))
        .collect()
}

fn strip_unread_metadata<K: Resource>(obj: &mut K) {
    obj.managed_fields_mut().clear();
    if let Some(annotations) = obj.meta_mut().annotations.as_mut() {
        annotations.remove(LAST_APPLIED_ANNOTATION);
    }
}

const LAST_APPLIED_ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";

#[cfg(test)]
mod tests {
    use kube::ResourceExt;

    use super::*;
    use crate::crd::ECSService;

    #[test]
    fn an_object_that_does_not_decode_is_skipped_and_counted_and_the_others_pass() {
        let guard = |spec: serde_json::Value| -> DeserializeGuard<ECSService> {
            serde_json::from_value(serde_json::json!({
                "apiVersion": "ecs.operator.dev/v1alpha1", "kind": "ECSService",
                "metadata": {"name": "web", "namespace": "apps"}, "spec": spec
            }))
            .unwrap_or_else(|e| panic!("a guard always decodes: {e}"))
        };
        let metrics = Metrics::default();
        let good = decodable(Event::InitApply(guard(serde_json::json!({"desiredCount": 2}))), &metrics, None);
        assert!(matches!(good, Some(Event::InitApply(svc)) if svc.spec.desired_count == Some(2)));
        for event in [
            Event::Apply(guard(serde_json::json!({"desiredCount": "lots"}))),
            Event::InitApply(guard(serde_json::json!({"desiredCount": "lots"}))),
            Event::Delete(guard(serde_json::json!({"launchType": 7}))),
        ] {
            assert!(decodable(event, &metrics, None).is_none());
        }
        assert!(matches!(decodable::<ECSService>(Event::InitDone, &metrics, None), Some(Event::InitDone)));
        // A cached object whose change no longer decodes is forgotten, not kept stale.
        let (reader, mut writer) = reflector::store::<ECSService>();
        let cached = match guard(serde_json::json!({"desiredCount": 2})).0 {
            Ok(svc) => svc,
            Err(e) => panic!("fixture: {e}"),
        };
        writer.apply_watcher_event(&Event::Apply(cached));
        let forgotten =
            decodable(Event::Apply(guard(serde_json::json!({"desiredCount": "lots"}))), &metrics, Some(&reader));
        assert!(matches!(forgotten, Some(Event::Delete(svc)) if svc.spec.desired_count == Some(2)));
        let skipped = metrics.undecodable_objects.get_or_create(&KindLabels { kind: "ECSService" }).get();
        assert_eq!(skipped, 4);
        assert!(metrics.encode().contains("ecs_operator_undecodable_objects_total{kind=\"ECSService\"} 4"));
    }

    #[test]
    fn cached_objects_lose_only_what_nothing_reads() {
        let mut svc: ECSService = serde_json::from_value(serde_json::json!({
            "apiVersion": "ecs.operator.dev/v1alpha1", "kind": "ECSService",
            "metadata": {
                "name": "web",
                "annotations": {LAST_APPLIED_ANNOTATION: "{\"spec\":{}}", "ecs.operator.dev/restartedAt": "now"},
                "managedFields": [{"manager": "kubectl", "operation": "Apply"}]
            },
            "spec": {"desiredCount": 1}
        }))
        .unwrap_or_else(|e| panic!("fixture: {e}"));
        strip_unread_metadata(&mut svc);
        assert!(svc.managed_fields().is_empty());
        assert_eq!(svc.annotations().keys().collect::<Vec<_>>(), ["ecs.operator.dev/restartedAt"]);
        assert_eq!(svc.spec.desired_count, Some(1));
    }
}
