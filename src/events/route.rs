//! From the resources an event names to the objects that manage them: each is marked (its next
//! reconcile reads AWS afresh), its cached service description is dropped, and its reconcile is
//! triggered at once.

use std::sync::Arc;

use k8s_openapi::jiff::Timestamp;
use kube::Resource;
use kube::runtime::reflector::{ObjectRef, Store};
use tokio::sync::mpsc;

use super::envelope::{Target, service_of};
use crate::controller::Context;
use crate::controller::context::event_key;
use crate::controller::task_definition::family_of;
use crate::crd::{CapacityProvider, ECSCluster, ECSExpressService, ECSService, ECSTask, TaskDefinition};

/// How many triggers a kind's controller may have waiting before the events source waits for
/// it (and leaves the messages on the queue meanwhile).
const TRIGGER_BUFFER: usize = 1024;

/// The sending end of one kind's triggers, and the stream its controller reconciles on.
pub fn trigger<K>() -> (mpsc::Sender<ObjectRef<K>>, impl futures::Stream<Item = ObjectRef<K>> + Send + 'static)
where
    K: Resource<DynamicType = ()> + Send + Sync + 'static,
{
    let (tx, rx) = mpsc::channel(TRIGGER_BUFFER);
    let stream = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|r| (r, rx)) });
    (tx, stream)
}

/// Where each kind's triggers go, for one watched scope.
#[derive(Clone)]
pub struct Triggers {
    pub services: mpsc::Sender<ObjectRef<ECSService>>,
    pub task_definitions: mpsc::Sender<ObjectRef<TaskDefinition>>,
    pub clusters: mpsc::Sender<ObjectRef<ECSCluster>>,
    pub providers: mpsc::Sender<ObjectRef<CapacityProvider>>,
    pub tasks: mpsc::Sender<ObjectRef<ECSTask>>,
    pub express: mpsc::Sender<ObjectRef<ECSExpressService>>,
}

/// One watched scope: its context (caches, marks, describers), the Express services' cache and
/// the triggers.
#[derive(Clone)]
pub struct Scope {
    pub ctx: Arc<Context>,
    pub express: Store<ECSExpressService>,
    pub triggers: Triggers,
}

impl Scope {
    /// Marks and triggers every object of this scope that manages `target`; how many.
    pub async fn route(&self, target: &Target, at: Timestamp) -> usize {
        let stores = &self.ctx.stores;
        match target {
            Target::Service { cluster, service } => {
                self.ctx.invalidate_service(cluster, service).await;
                let services = matching(&stores.services, |s| {
                    let status = s.status.as_ref()?;
                    service_of(status.service_arn.as_deref()?, status.cluster_name.as_deref()).filter(|t| t == target)
                });
                let express = matching(&self.express, |e| {
                    let status = e.status.as_ref()?;
                    service_of(status.service_arn.as_deref()?, None).filter(|t| t == target)
                });
                self.fire(&services, &self.triggers.services, at).await
                    + self.fire(&express, &self.triggers.express, at).await
            }
            Target::Cluster { cluster } => {
                let found = matching(&stores.clusters, |c| {
                    let status = c.status.as_ref()?;
                    (status.cluster_name.as_deref() == Some(cluster.as_str())).then_some(())
                });
                self.fire(&found, &self.triggers.clusters, at).await
            }
            Target::TaskDefinition { family } => {
                let found = matching(&stores.task_definitions, |td| (&family_of(td) == family).then_some(()));
                self.fire(&found, &self.triggers.task_definitions, at).await
            }
            Target::CapacityProvider { name } => {
                let found = matching(&stores.providers, |p| {
                    (p.status.as_ref()?.name.as_deref() == Some(name.as_str())).then_some(())
                });
                self.fire(&found, &self.triggers.providers, at).await
            }
            Target::Task { arn } => {
                let found = matching(&stores.tasks, |t| {
                    let tasks = t.status.as_ref()?.tasks.as_ref()?;
                    tasks.iter().any(|r| r.task_arn == *arn || r.task_arn.ends_with(&format!(":{arn}"))).then_some(())
                });
                self.fire(&found, &self.triggers.tasks, at).await
            }
        }
    }

    /// Marks each object and triggers its reconcile; how many.
    async fn fire<K>(&self, objects: &[Arc<K>], triggers: &mpsc::Sender<ObjectRef<K>>, at: Timestamp) -> usize
    where
        K: Resource<DynamicType = ()> + Clone,
    {
        for obj in objects {
            self.ctx.mark_event(event_key(obj.as_ref()), at);
            // A closed channel: the controller is shutting down.
            let _ = triggers.send(ObjectRef::from_obj(obj.as_ref())).await;
        }
        objects.len()
    }
}

/// The cached objects `test` accepts (by returning Some).
fn matching<K, T>(store: &Store<K>, test: impl Fn(&K) -> Option<T>) -> Vec<Arc<K>>
where
    K: Resource<DynamicType = ()> + Clone,
{
    store.state().into_iter().filter(|obj| test(obj).is_some()).collect()
}
