//! What wakes an ECSService besides its own changes: the TaskDefinition and ECSCluster it
//! references.

use std::sync::Arc;

use kube::runtime::reflector::{self, Store};
use kube::{Resource, ResourceExt};

use crate::crd::common::LocalObjectRef;
use crate::crd::service::ECSServiceSpec;
use crate::crd::{ECSCluster, ECSService, TaskDefinition};

/// A TaskDefinition's change (a new revision, above all) wakes every ECSService whose
/// taskDefinitionRef names it: the service must roll to the new revision.
pub fn services_of_task_definition(
    services: Store<ECSService>,
) -> impl Fn(Arc<TaskDefinition>) -> Vec<reflector::ObjectRef<ECSService>> + Send + Sync + Clone + 'static {
    move |td: Arc<TaskDefinition>| services_referencing(&services, td.as_ref(), |s| s.task_definition_ref.as_ref())
}

/// An ECSCluster's change (its clusterArn appearing, above all) wakes the ECSServices whose
/// clusterRef names it, so a service waiting for its cluster starts as soon as it can.
pub fn services_of_cluster(
    services: Store<ECSService>,
) -> impl Fn(Arc<ECSCluster>) -> Vec<reflector::ObjectRef<ECSService>> + Send + Sync + Clone + 'static {
    move |cluster: Arc<ECSCluster>| services_referencing(&services, cluster.as_ref(), |s| s.cluster_ref.as_ref())
}

/// The ECSServices in `target`'s namespace whose reference (picked by `reference`) names it.
fn services_referencing<K: Resource>(
    services: &Store<ECSService>,
    target: &K,
    reference: impl Fn(&ECSServiceSpec) -> Option<&LocalObjectRef>,
) -> Vec<reflector::ObjectRef<ECSService>> {
    let (ns, name) = (target.namespace(), target.name_any());
    services
        .state()
        .iter()
        .filter(|s| s.namespace() == ns && reference(&s.spec).is_some_and(|r| r.name == name))
        .map(|s| reflector::ObjectRef::from_obj(s.as_ref()))
        .collect()
}
