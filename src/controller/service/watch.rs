//! What wakes an ECSService besides its own changes: the TaskDefinition and ECSCluster it
//! references.

use std::sync::Arc;

use kube::runtime::reflector::{self, Store};

use crate::controller::watches::referencing;
use crate::crd::{ECSCluster, ECSService, TaskDefinition};

/// A TaskDefinition's change (a new revision, above all) wakes every ECSService whose
/// taskDefinitionRef names it: the service must roll to the new revision.
pub fn services_of_task_definition(
    services: Store<ECSService>,
) -> impl Fn(Arc<TaskDefinition>) -> Vec<reflector::ObjectRef<ECSService>> + Send + Sync + Clone + 'static {
    move |td: Arc<TaskDefinition>| referencing(&services, td.as_ref(), |s| s.spec.task_definition_ref.as_ref())
}

/// An ECSCluster's change (its clusterArn appearing, above all) wakes the ECSServices whose
/// clusterRef names it, so a service waiting for its cluster starts as soon as it can.
pub fn services_of_cluster(
    services: Store<ECSService>,
) -> impl Fn(Arc<ECSCluster>) -> Vec<reflector::ObjectRef<ECSService>> + Send + Sync + Clone + 'static {
    move |cluster: Arc<ECSCluster>| referencing(&services, cluster.as_ref(), |s| s.spec.cluster_ref.as_ref())
}
