//! How the controllers watch Kubernetes: one watch per kind and scope, cached without the
//! metadata nothing reads.
//!
//! TaskDefinitions and ECSClusters are followed by more than their own controller: an
//! ECSService resolves its references from their caches, and their changes wake it. Their
//! watch is shared. Each follower subscribes to the one stream, and the reflector writes a
//! change into the cache before it hands the change to subscribers. So an ECSService woken by
//! its TaskDefinition's new revision finds that revision in the cache. Reading the cache
//! instead of GETting the object saves two Kubernetes requests per service and poll, which is
//! 100 requests a second at 1,000 services with the default 20 s poll.

use std::fmt::Debug;
use std::time::Duration;

use futures::StreamExt;
use kube::runtime::reflector::{self, ReflectHandle, Store, reflector};
use kube::runtime::{Controller, WatchStreamExt, watcher};
use kube::{Api, Resource, ResourceExt};
use serde::de::DeserializeOwned;

/// Changes a subscriber has not taken yet, per subscriber. The watch waits when a buffer is
/// full; controllers take changes as they come (mapping a change to objects is a pass over
/// memory), so this only absorbs bursts such as the full list after a relist.
const SUBSCRIBER_BUFFER: usize = 1024;

/// `Controller::new` without `metadata.managedFields` in its cache: nothing here reads them, and
/// they were the largest part of every cached object (about 40 % of an ECSService's JSON, more
/// once parsed into a `serde_json::Value` tree). Nor the copy of the whole object that a
/// client-side `kubectl apply` (and Argo CD without server-side apply) keeps in an annotation,
/// which doubles the spec. Same watcher and trigger backoff otherwise.
pub fn lean_controller<K>(api: Api<K>, config: watcher::Config) -> Controller<K>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    let (reader, writer) = reflector::store();
    let stream = watcher(api, config).modify(strip_unread_metadata);
    Controller::for_stream(reflector(writer, stream).applied_objects(), reader)
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
    pub fn subscribe(&self) -> ReflectHandle<K> {
        // `store_shared` always makes a writer that can be subscribed to.
        self.writer.subscribe().expect("a shared store's writer accepts subscribers")
    }

    /// A controller for this kind, triggered by a subscription.
    pub fn controller(&self) -> Controller<K> {
        Controller::for_shared_stream(self.subscribe(), self.store())
    }

    /// Runs the watch until dropped: it feeds the cache and the subscribers, and after a failure
    /// watches again with the client-go backoff (the failure is logged).
    pub fn run(self, api: Api<K>, config: watcher::Config) -> impl Future<Output = ()> + Send {
        watcher(api, config).default_backoff().modify(strip_unread_metadata).reflect_shared(self.writer).for_each(
            |event| async move {
                if let Err(error) = event {
                    tracing::warn!(kind = %K::kind(&()), %error, "watch failed; watching again after a backoff");
                }
            },
        )
    }
}

/// Waits until `ready` holds: the stores it checks have their first full list. Checked every
/// 100 ms rather than awaited (see [`crate::controller::caches::is_synced`]).
pub async fn until_synced(ready: impl Fn() -> bool) {
    while !ready() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
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
